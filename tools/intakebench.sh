#!/bin/bash
# Case intake, sustained, against a peer in the same run (issue #39's speed point):
#   bash tools/intakebench.sh [SECONDS_PER_ROUND] [ROUNDS]
# A: `gridmap serve` on an SQLite store (synchronous=FULL: each report durable before its
#    answer), reports sent over RESP by redis-benchmark with 16 clients at -P 16, each a
#    CASE REPORT with its own idempotency key (stamped with ROUTE's answer at intake).
# B: PostgreSQL 15 (a scratch server, fsync and synchronous_commit on) inserting the same
#    rows the way an application would, by pgbench with 16 clients: the report row alone, one
#    INSERT per case (B1), and the report, its first event and its state row in one
#    transaction (B2: what gridmap writes).
# A2: the same server, reports as FixMyStreet's Open311 sender POSTs them (form-encoded
#    service_code, lat, long, description, first_name, email) by wrk with 16 connections, each
#    point a random full-precision one within ~500 m of a known address; counted in the store.
# Rounds interleave A A2 B1 B2; the medians are printed. Needs a release build and wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}; rounds=${2:-3}
bin=${GRIDMAP_BIN:-.build/release/gridmap}
[ -x "$bin" ] || swift build -c release --product gridmap >/dev/null
work=$(mktemp -d); chmod 755 "$work"; port=$((20000 + RANDOM % 20000)); pgport=$((port + 1)); hport=$((port + 2))
command -v wrk >/dev/null || { echo "intakebench: needs wrk (apt-get install wrk)" >&2; exit 1; }
cleanup() { [ -n "${server:-}" ] && kill "$server" 2>/dev/null; bash tools/pg.sh stop "$work/pg" >/dev/null 2>&1 || true
            rm -rf "$work"; }
trap cleanup EXIT
"$bin" store import data/yufeng --store "$work/s.gridmap" >/dev/null
"$bin" serve --store "$work/s.gridmap" --port "$port" --http-port "$hport" 2>"$work/serve.log" &
server=$!
for _ in $(seq 600); do redis-cli -p "$port" PING >/dev/null 2>&1 && break; sleep 0.1; done
# One case made by gridmap gives the peer its row (the same columns and body).
redis-cli -p "$port" CASE REPORT 109.4200897 24.3072275 0101 KEY seed >/dev/null
row=$(sqlite3 -separator '|' "$work/s.gridmap" "SELECT category, source, version, lon, lat, grid, community, street,
  unit, department FROM case_report WHERE key = 'seed'")
body=$(sqlite3 "$work/s.gridmap" "SELECT replace(body, '''', '''''') FROM case_report WHERE key = 'seed'")
event=$(sqlite3 "$work/s.gridmap" "SELECT replace(body, '''', '''''') FROM case_event WHERE case_id = 1")
state=$(sqlite3 "$work/s.gridmap" "SELECT replace(body, '''', '''''') FROM case_state WHERE case_id = 1")
IFS='|' read -r cat src ver lon lat grid comm street unit dept <<<"$row"
conn=$(bash tools/pg.sh start "$work/pg" "$pgport")
psql -q "$conn" <<SQL
CREATE TABLE case_report (id BIGSERIAL PRIMARY KEY, key TEXT UNIQUE, reported_ms BIGINT NOT NULL,
  category TEXT NOT NULL, source TEXT NOT NULL, version BIGINT NOT NULL, lon DOUBLE PRECISION NOT NULL,
  lat DOUBLE PRECISION NOT NULL, grid TEXT NOT NULL, community TEXT NOT NULL, street TEXT NOT NULL, unit TEXT,
  department TEXT, body TEXT NOT NULL);
CREATE INDEX ON case_report (grid, reported_ms); CREATE INDEX ON case_report (reported_ms);
CREATE INDEX ON case_report (category, reported_ms);
CREATE TABLE case_event (case_id BIGINT NOT NULL REFERENCES case_report(id), seq BIGINT NOT NULL,
  at_ms BIGINT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (case_id, seq));
CREATE TABLE case_state (case_id BIGINT PRIMARY KEY REFERENCES case_report(id), stage TEXT NOT NULL, unit TEXT,
  due_ms BIGINT NOT NULL, last_seq BIGINT NOT NULL, updated_ms BIGINT NOT NULL, body TEXT NOT NULL);
CREATE INDEX ON case_state (stage, due_ms); CREATE INDEX ON case_state (unit, due_ms);
SQL
values="'$cat', '$src', $ver, $lon, $lat, '$grid', '$comm', '$street', '$unit', '$dept', '$body'"
cols="key, reported_ms, category, source, version, lon, lat, grid, community, street, unit, department, body"
cat >"$work/b1.sql" <<SQL
\\set r random(1, 1000000000000)
INSERT INTO case_report ($cols) VALUES ('b1-' || :client_id || '-' || :r,
  (extract(epoch from now()) * 1000)::bigint, $values);
SQL
cat >"$work/b2.sql" <<SQL
\\set r random(1, 1000000000000)
BEGIN;
INSERT INTO case_report ($cols) VALUES ('b2-' || :client_id || '-' || :r,
  (extract(epoch from now()) * 1000)::bigint, $values);
INSERT INTO case_event VALUES (currval('case_report_id_seq'), 1, (extract(epoch from now()) * 1000)::bigint, '$event');
INSERT INTO case_state VALUES (currval('case_report_id_seq'), 'reported', '$unit', 0, 1, 0, '$state');
COMMIT;
SQL
cat >"$work/post.lua" <<'LUA'
math.randomseed(39)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
request = function()
  local lon = 109.4310043995815 + (math.random() - 0.5) * 0.01
  local lat = 24.29999569041801 + (math.random() - 0.5) * 0.01
  local body = string.format("service_code=0101&lat=%.15f&long=%.15f&description=%s&first_name=%s&email=%s",
    lat, lon, "路边垃圾堆积", "张", "resident%40example.com")
  return wrk.format(nil, "/open311/v2/requests.json", nil, body)
end
LUA
a=(); a2=(); b1=(); b2=()
for r in $(seq "$rounds"); do
  before=$(sqlite3 "$work/s.gridmap" "SELECT count(*) FROM case_report")
  n=$(( secs * 3000 ))
  start=$(date +%s.%N)
  timeout $((secs * 3)) redis-benchmark -p "$port" -P 16 -c 16 -n "$n" -r 100000000 -q \
    CASE REPORT 109.4200897 24.3072275 0101 KEY "r$r:__rand_int__" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  after=$(sqlite3 "$work/s.gridmap" "SELECT count(*) FROM case_report")
  a+=("$(python3 -c "print(round(($after - $before) / ($end - $start)))")")
  before=$after
  start=$(date +%s.%N)
  wrk -t 2 -c 16 -d "${secs}s" -s "$work/post.lua" "http://127.0.0.1:$hport" >"$work/wrk.log" 2>&1 || true
  end=$(date +%s.%N)
  after=$(sqlite3 "$work/s.gridmap" "SELECT count(*) FROM case_report")
  a2+=("$(python3 -c "print(round(($after - $before) / ($end - $start)))")")
  b1+=("$(pgbench -n -c 16 -j 2 -T "$secs" -f "$work/b1.sql" "$conn" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p' \
    | cut -d. -f1)")
  b2+=("$(pgbench -n -c 16 -j 2 -T "$secs" -f "$work/b2.sql" "$conn" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p' \
    | cut -d. -f1)")
  echo "round $r: gridmap ${a[-1]} cases/s over RESP, ${a2[-1]} over Open311 POST (kept, counted in the store);" \
       "$(grep 'Non-2xx' "$work/wrk.log" || echo 'every answer 2xx');" \
       "PostgreSQL report row ${b1[-1]}/s," \
       "report+event+state ${b2[-1]}/s"
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
echo "median of $rounds rounds of ${secs} s: gridmap (SQLite, RESP -P 16, 16 clients) $(median "${a[@]}") cases/s," \
     "Open311 POST (16 connections) $(median "${a2[@]}") cases/s;" \
     "PostgreSQL one INSERT per case $(median "${b1[@]}")/s, the three rows per case $(median "${b2[@]}")/s"
