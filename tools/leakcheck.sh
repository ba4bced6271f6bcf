#!/usr/bin/env bash
# Builds gridmap with AddressSanitizer (LeakSanitizer included) and runs it: the CLI lookups
# (loading the data validates every polygon with GEOS; PROJ; the GCJ-02 inverse), then a
# server taking pipelined traffic and bad requests, shut down with SIGTERM. Fails on any leak
# or memory error. valgrind was the tool here until Swift 6.3: Debian 12's valgrind 3.19 cannot
# read the DWARF 5 debug info of its builds and crashes in libdispatch even without it.
# Needs redis-tools (redis-cli, redis-benchmark). Usage: tools/leakcheck.sh
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --sanitize=address --scratch-path .build/asan --product gridmap >/dev/null
bin=.build/asan/debug/gridmap
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
for args in "locate 109.4377 24.3041 --crs gcj02" "convert 109.43 24.3 --from bd09 --to EPSG:4545" \
            "nearby 109.43 24.30 --limit 3"; do
  # shellcheck disable=SC2086
  "$bin" $args >/dev/null
done

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" serve --http-port 0 --port "$port" 2>/dev/null &
server=$!
for _ in $(seq 200); do redis-cli -p "$port" PING >/dev/null 2>&1 && break; sleep 0.1; done
redis-benchmark -p "$port" -c 10 -n 20000 -P 16 -q LOCATE 109.4300 24.3000 >/dev/null
redis-benchmark -p "$port" -c 10 -n 2000 -P 16 -q NEARBY 109.4300 24.3000 LIMIT 5 >/dev/null
for command in "LOCATE 109.4377 24.3041 CRS gcj02" "LOCATE nan 24.3" "LOCATE 109.43" "NEARBY 109.43 24.3 KIND nosuch" \
               "GRIDS STREET 450203103" "NEIGHBORS 450203001007002" "GRID 450203001007002" "GRID nosuch" \
               "INTERSECTS BOX 109.42 24.29 109.43 24.30" "INTERSECTS CIRCLE 109.43 24.3 300" "GEOCODE 鱼峰区天马街道" \
               "LOCATEADDR 鱼峰区天马街道" "INFO" "COMMAND" "NOSUCH 1 2"; do
  # shellcheck disable=SC2086
  redis-cli -p "$port" $command >/dev/null
done
redis-cli -p "$port" INTERSECTS \
  "POLYGON((109.42 24.29, 109.43 24.30, 109.43 24.29, 109.42 24.30, 109.42 24.29))" >/dev/null
python3 - "$port" <<'PY'  # a broken frame: an error reply, then that connection closes
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"*2\r\n$4\r\nPING\r\n$-5\r\n")
assert s.recv(4096).startswith(b"-ERR")
PY
kill -TERM "$server"
wait "$server"  # LeakSanitizer runs at exit: a leak makes this fail
echo "leakcheck: the CLI three times and a server under load, under AddressSanitizer: no leaks, no memory errors"
