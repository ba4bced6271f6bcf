#!/usr/bin/env bash
# Sets up (apt packages) and runs every test, printing each stage's time. The README's test
# command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1
started=$SECONDS
stage_start=$SECONDS
stage() {
  echo "== stage '$1' took $((SECONDS - stage_start)) s (total $((SECONDS - started)) s)"
  stage_start=$SECONDS
}
bash tools/setup.sh --test
python3 -c "import redis" 2>/dev/null || python3 -m pip install -q redis
python3 -c "import websocket" 2>/dev/null || python3 -m pip install -q websocket-client
# A scratch PostgreSQL (tools/pg.sh) for the PostgreSQL backend's half of the suite: the
# store and planning tests run on both backends when GRIDMAP_TEST_POSTGRES names a server.
if [ -z "${GRIDMAP_TEST_POSTGRES:-}" ]; then
  pg_scratch=$(mktemp -d); chmod 755 "$pg_scratch"
  pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  export GRIDMAP_TEST_POSTGRES=$(bash tools/pg.sh start "$pg_scratch/pg" "$pg_port")
  trap 'bash tools/pg.sh stop "$pg_scratch/pg"; rm -rf "$pg_scratch"' EXIT
fi
echo "PostgreSQL for the tests: $GRIDMAP_TEST_POSTGRES"
stage setup
swift build --build-tests
stage "debug build"
swift test --skip-build
stage "swift tests"
# Another language's client, unmodified, over a real socket.
python3 tools/clients/test_redis_py.py .build/debug/gridmap
stage redis-py
# The store across processes, on the release build whose timing they check: two servers on
# one store answering a new version within a second (also while whole-map validations run),
# and publishes killed with SIGKILL.
swift build -c release --product gridmap
stage "release build"
python3 tools/clients/test_store_servers.py .build/release/gridmap
python3 tools/clients/test_store_durability.py .build/release/gridmap
stage "store across processes"
# Servers on three hosts (network namespaces, or loopback addresses where they cannot be made,
# which it says) following one PostgreSQL history: 200 publishes timed to every host, four
# planners racing (25 publishes each here; the README's figure is from 100 each), the LISTEN
# connections killed, a host's link cut for 60 s, PostgreSQL restarted fast and immediate.
GRIDMAP_RACE_PUBLISHES=${GRIDMAP_RACE_PUBLISHES:-25} python3 tools/clients/test_multihost.py .build/release/gridmap
# A primary with a synchronous standby, killed with SIGKILL during publishes; the standby
# promoted; servers and the planner reconnect through their multi-host connection string.
python3 tools/clients/test_failover.py .build/release/gridmap
stage "several hosts on PostgreSQL"
python3 tools/clients/test_hardening.py .build/release/gridmap
# HTTP and the store under attack: every spelling of every route, throttled guessing, slow and
# silent connections, descriptors, a store removed or overwritten under the server.
python3 tools/clients/test_http_security.py .build/release/gridmap
stage "hardening and security"
# The worked example of redrawing the map in docs/GUIDE.md, as written.
bash tools/plan-example.sh .build/release/gridmap
# The map page in headless Chromium: layers drawn, an address searched, a click answered.
python3 tools/clients/test_page.py .build/release/gridmap docs/screenshots
# The planner's page: a whole redrawing session drawn with real mouse events, two planners at once.
python3 tools/clients/test_plan_page.py .build/release/gridmap docs/screenshots
stage "planning example and pages"
echo "all tests passed in $((SECONDS - started)) s"
