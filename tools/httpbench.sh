#!/usr/bin/env bash
# HTTP /api/locate under load (issue #15): wrk with 50 connections on 2 threads for 20 s
# against `gridmap serve`, random points in the district's box (a Lua script), latency
# percentiles printed by wrk. PAUSE_MS > 0 makes each connection wait that long between its
# requests (wrk's delay()): clients at a given pace, instead of as fast as the 2 cores allow.
# Usage: tools/httpbench.sh [CONNECTIONS=50] [SECONDS=20] [PAUSE_MS=0]
set -euo pipefail
cd "$(dirname "$0")/.."
conns=${1:-50}; seconds=${2:-20}; pause=${3:-0}; gridmap=${GRIDMAP:-.build/release/gridmap}
command -v wrk >/dev/null || { echo "httpbench: needs wrk (apt-get install wrk)" >&2; exit 1; }
free() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free); resp=$(free)
"$gridmap" serve --port "$resp" --http-port "$port" 2>/dev/null &
server=$!; trap 'kill $server 2>/dev/null; rm -f "$lua"' EXIT
lua=$(mktemp --suffix .lua)
cat > "$lua" <<'LUA'
math.randomseed(7)
request = function()
  local lon = 109.35 + math.random() * 0.35
  local lat = 24.20 + math.random() * 0.35
  return wrk.format("GET", string.format("/api/locate?lon=%.6f&lat=%.6f", lon, lat))
end
LUA
[ "$pause" -gt 0 ] && echo "delay = function() return $pause end" >> "$lua"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
wrk -t2 -c"$conns" -d"${seconds}s" --latency -s "$lua" "http://127.0.0.1:$port/" | sed -n '1,20p'
