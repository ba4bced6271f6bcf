#!/usr/bin/env bash
# Sets up (apt packages) and runs every test, printing each stage's time. The README's test
# command; .ci/run calls it. The package is built once (release, with the tests); the Swift
# tests and the process-level stages then run on that one build in two lanes side by side
# (the process stages mostly wait on sockets, servers and browsers). A stage that fails does
# not stop the others; the run ends with every stage's result and time, the failed checks by
# stage, a check that the tests left `git status` clean, and a non-zero exit if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1
started=$SECONDS
scratch=$(mktemp -d); chmod 755 "$scratch"
# Artefacts (screenshots, logs) go here, never into the work tree.
shots="$scratch/screenshots"; mkdir -p "$shots"
: >"$scratch/results"; : >"$scratch/failed"
# The tests' own build directory: a release build with testable imports, apart from the one
# tools/serve.sh and the benchmarks use, so that neither rebuilds the other's.
build=.build/test
# A release build does not compile modules for `@testable import` unless told.
testable="-Xswiftc -enable-testing"
exec 3>&1
# run_stage NAME COMMAND…: runs it, its output kept for the summary's failed checks. Its start
# and end are also said on the terminal (fd 3) when its output goes to a lane's log.
run_stage() {
  local name=$1; shift
  local t0=$SECONDS log="$scratch/stage-${name// /-}.log"
  echo "== stage '$name'"; [ -n "${lane:-}" ] && echo "== stage '$name' started (lane $lane)" >&3
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local took=$((SECONDS - t0))
  if [ "$rc" -eq 0 ]; then
    echo "passed  ${took} s  $name" >>"$scratch/results"
  else
    echo "FAILED  ${took} s  $name (exit $rc)" >>"$scratch/results"
    echo "$name" >>"$scratch/failed"
    grep -E '^FAILED:|✘|: error:' "$log" | head -40 | sed "s/^/  [$name] /" >>"$scratch/failures"
  fi
  echo "== stage '$name' took $took s (total $((SECONDS - started)) s)"
  [ -n "${lane:-}" ] && echo "== stage '$name': $([ "$rc" -eq 0 ] && echo passed || echo FAILED) in $took s" >&3
  return "$rc"
}
finish() {
  echo
  echo "== summary ($((SECONDS - started)) s)"
  cat "$scratch/results"
  if [ -s "$scratch/failures" ]; then echo "failed checks:"; cat "$scratch/failures"; fi
  local dirty; dirty=$(git status --porcelain 2>/dev/null)
  if [ -n "$dirty" ] && [ -z "${GRIDMAP_DIRTY_OK:-}" ]; then
    # Only what the tests changed: a tree that was dirty before the run is the developer's.
    if [ "$dirty" != "$dirty_before" ]; then
      echo "FAILED: the tests changed the work tree:"; echo "$dirty" | sed 's/^/  /'
      echo "git status" >>"$scratch/failed"; echo "FAILED  git status" >>"$scratch/results"
    fi
  fi
  local n_failed n_all
  n_failed=$(wc -l <"$scratch/failed"); n_all=$(wc -l <"$scratch/results")
  echo "stages: $(( n_all - n_failed )) passed, $n_failed failed"
  [ "$n_failed" -eq 0 ] && echo "all tests passed in $((SECONDS - started)) s"
  return $(( n_failed > 0 ))
}
dirty_before=$(git status --porcelain 2>/dev/null)

bash tools/setup.sh --test || { echo "setup failed"; exit 1; }
python3 -c "import redis" 2>/dev/null || python3 -m pip install -q redis
python3 -c "import websocket" 2>/dev/null || python3 -m pip install -q websocket-client
python3 -c "import georeport" 2>/dev/null || python3 -m pip install -q georeport
# A scratch PostgreSQL (tools/pg.sh) for the PostgreSQL backend's half of the suite: the
# store and planning tests run on both backends when GRIDMAP_TEST_POSTGRES names a server.
if [ -z "${GRIDMAP_TEST_POSTGRES:-}" ]; then
  pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  export GRIDMAP_TEST_POSTGRES=$(bash tools/pg.sh start "$scratch/pg" "$pg_port")
fi
# The several-hosts stage restarts its PostgreSQL (fast and immediate): a server of its own, so
# that it runs beside the Swift tests instead of after them.
hosts_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
hosts_pg=$(bash tools/pg.sh start "$scratch/pg-hosts" "$hosts_port")
trap 'bash tools/pg.sh stop "$scratch/pg"; bash tools/pg.sh stop "$scratch/pg-hosts"; rm -rf "$scratch"' EXIT
echo "PostgreSQL for the tests: $GRIDMAP_TEST_POSTGRES; for the several hosts: $hosts_pg"
echo "passed  $((SECONDS - started)) s  setup" >>"$scratch/results"

# gridmap's own warnings (not its dependencies') fail the run: a clean clone compiles every file,
# so each warning is printed here.
no_warnings() {
  local found
  found=$(grep -E "/(Sources|Tests|tools)/[^:]+:[0-9]+:[0-9]+: warning:" "$1" | grep -v "/\.build/" | sort -u)
  [ -z "$found" ] && { echo "no warnings from Sources/ or Tests/"; return 0; }
  echo "$found" | sed 's/^/FAILED: a warning: /'
  return 1
}
if ! run_stage "build" bash -c "swift build -c release --build-tests $testable --scratch-path $build 2>&1 \
    | tee '$scratch/build.log'; exit \${PIPESTATUS[0]}"; then
  finish; exit
fi
run_stage "no warnings" no_warnings "$scratch/build.log"
# The targets' picture in docs/ is the package's graph (tools/module-graph.py draws it).
run_stage "module graph" python3 tools/module-graph.py --check
bin=$build/release/gridmap

# Lane 1: the Swift tests (both cores while they run), then the process stages that need
# little besides.
lane1() {
  run_stage "swift tests" swift test -c release --skip-build $testable --scratch-path $build
  touch "$scratch/swift-tests-done"
  # Another language's client, unmodified, over a real socket.
  run_stage redis-py python3 tools/clients/test_redis_py.py $bin
  # HTTP and the store under attack: every spelling of every route, throttled guessing, slow
  # and silent connections, descriptors, a store removed or overwritten under the server;
  # another site's forged requests (a real browser holding the planner's credentials), Host
  # checks, HTTP sent to the RESP port, passwords from the environment and PGPASSFILE.
  run_stage "hardening and security" bash -c "python3 tools/clients/test_hardening.py $bin; a=\$?; \
    python3 tools/clients/test_http_security.py $bin; b=\$?; python3 tools/clients/test_cross_site.py $bin; \
    c=\$?; exit \$((a || b || c))"
}
# Lane 2: servers on three hosts (network namespaces, or loopback addresses where they cannot
# be made, which it says) following one PostgreSQL history: 200 publishes to every host, four
# planners racing (25 publishes each here; the README's figure is from 100 each), the LISTEN
# connections killed, a host's link cut for 60 s, PostgreSQL restarted fast and immediate.
lane2() {
  # On its own PostgreSQL (it restarts it), after the Swift tests: beside them, its three hosts'
  # followers and their LOCATE loops take a core, and the whole run took 300 s longer.
  while [ ! -e "$scratch/swift-tests-done" ]; do sleep 1; done
  run_stage "several hosts on PostgreSQL" env GRIDMAP_RACE_PUBLISHES=${GRIDMAP_RACE_PUBLISHES:-25} \
    GRIDMAP_TEST_POSTGRES="$hosts_pg" python3 tools/clients/test_multihost.py $bin
}
# Lane 3: a primary with a synchronous standby killed with SIGKILL during publishes; then the
# worked example of redrawing the map in docs/GUIDE.md, as written, and the pages in headless
# Chromium (the dispatcher's, the planner's whole redrawing session, every name an HTML
# payload that must not run, a case reported, dispatched, reworked and closed on the page, and
# the 统计 tab's choropleth, ranking and card against /api/stats).
# Screenshots go to scratch space (tools/screenshots.sh updates the docs' pictures deliberately).
lane3() {
  run_stage "failover" python3 tools/clients/test_failover.py $bin
  run_stage "planning example and pages" bash -c "bash tools/plan-example.sh $bin; a=\$?; \
    python3 tools/clients/test_page.py $bin $shots; b=\$?; python3 tools/clients/test_plan_page.py $bin $shots; \
    c=\$?; python3 tools/clients/test_page_payloads.py $bin; d=\$?; python3 tools/clients/test_case_page.py $bin; \
    e=\$?; python3 tools/clients/test_stats_page.py $bin; f=\$?; exit \$((a || b || c || d || e || f))"
  # Cases from outside: an Open311 client from PyPI, FixMyStreet's form POST, and reports and
  # actions acknowledged during bursts that a SIGKILL cuts, each kept once. (In this lane: lane
  # 1 is the longest.)
  run_stage "cases from outside" python3 tools/clients/test_cases.py $bin
  # The store across processes: two servers on one store answering a new version (also while
  # whole-map validations run), and publishes killed with SIGKILL. (In this lane, which is
  # done with the pages when the Swift tests are: lane 1 has the hardening after them.)
  run_stage "store across processes" bash -c "python3 tools/clients/test_store_servers.py $bin &&
    python3 tools/clients/test_store_durability.py $bin"
}
# The lanes side by side: the Swift tests keep both cores busy for about a minute; the rest
# mostly wait on sockets, databases, restarts and browsers.
pids=()
# Interrupted (Ctrl-C, a CI timeout), the lanes and whatever they started stop too: a
# background job of a script ignores SIGINT, and lane 2 would wait for ever for lane 1.
kill_tree() { local c; for c in $(pgrep -P "$1"); do kill_tree "$c"; done; kill "$1" 2>/dev/null; }
trap 'for p in "${pids[@]}"; do kill_tree "$p"; done; exit 130' INT TERM
for l in 1 2 3; do
  lane=$l "lane$l" >"$scratch/lane$l.log" 2>&1 &
  pids+=($!)
done
wait "${pids[@]}"
trap - INT TERM
# Each lane's whole output, one after the other.
for l in 1 2 3; do echo; echo "==== lane $l"; cat "$scratch/lane$l.log"; done
finish
