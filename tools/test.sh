#!/usr/bin/env bash
# Sets up (apt packages) and runs every test, printing each stage's time. The README's test
# command; .ci/run calls it. A stage that fails does not stop the later ones (unless they need
# what it built); the run ends with every stage's result and time, the failed checks by stage,
# a check that the tests left `git status` clean, and a non-zero exit if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1
started=$SECONDS
scratch=$(mktemp -d); chmod 755 "$scratch"
# Artefacts (screenshots, logs) go here, never into the work tree.
shots="$scratch/screenshots"; mkdir -p "$shots"
results=()
failed_stages=()
# run_stage NAME COMMAND…: runs it, its output also kept for the summary's failed checks.
run_stage() {
  local name=$1; shift
  local t0=$SECONDS log="$scratch/stage-${#results[@]}.log"
  echo "== stage '$name'"
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local took=$((SECONDS - t0))
  if [ "$rc" -eq 0 ]; then
    results+=("passed  ${took} s  $name")
  else
    results+=("FAILED  ${took} s  $name (exit $rc)")
    failed_stages+=("$name")
    grep -E '^FAILED:|✘|: error:' "$log" | head -40 | sed "s/^/  [$name] /" >>"$scratch/failures"
  fi
  echo "== stage '$name' took $took s (total $((SECONDS - started)) s)"
  return "$rc"
}
finish() {
  echo
  echo "== summary ($((SECONDS - started)) s)"
  printf '%s\n' "${results[@]}"
  if [ -s "$scratch/failures" ]; then echo "failed checks:"; cat "$scratch/failures"; fi
  local dirty; dirty=$(git status --porcelain 2>/dev/null)
  if [ -n "$dirty" ] && [ -z "${GRIDMAP_DIRTY_OK:-}" ]; then
    # Only what the tests changed: a tree that was dirty before the run is the developer's.
    if [ "$dirty" != "$dirty_before" ]; then
      echo "FAILED: the tests changed the work tree:"; echo "$dirty" | sed 's/^/  /'
      failed_stages+=("git status")
    fi
  fi
  local n_failed=${#failed_stages[@]} n_passed=$(( ${#results[@]} - ${#failed_stages[@]} ))
  [ "$n_passed" -lt 0 ] && n_passed=0
  echo "stages: $n_passed passed, $n_failed failed"
  [ "$n_failed" -eq 0 ] && echo "all tests passed in $((SECONDS - started)) s"
  return $(( n_failed > 0 ))
}
dirty_before=$(git status --porcelain 2>/dev/null)

bash tools/setup.sh --test || { echo "setup failed"; exit 1; }
python3 -c "import redis" 2>/dev/null || python3 -m pip install -q redis
python3 -c "import websocket" 2>/dev/null || python3 -m pip install -q websocket-client
# A scratch PostgreSQL (tools/pg.sh) for the PostgreSQL backend's half of the suite: the
# store and planning tests run on both backends when GRIDMAP_TEST_POSTGRES names a server.
if [ -z "${GRIDMAP_TEST_POSTGRES:-}" ]; then
  pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  export GRIDMAP_TEST_POSTGRES=$(bash tools/pg.sh start "$scratch/pg" "$pg_port")
fi
trap 'bash tools/pg.sh stop "$scratch/pg"; rm -rf "$scratch"' EXIT
echo "PostgreSQL for the tests: $GRIDMAP_TEST_POSTGRES"
results+=("passed  $((SECONDS - started)) s  setup")

# gridmap's own warnings (not its dependencies') fail the run: a clean clone compiles every file,
# so each warning is printed here.
no_warnings() {
  local found
  found=$(grep -E "/(Sources|Tests|tools)/[^:]+:[0-9]+:[0-9]+: warning:" "$1" | grep -v "/\.build/" | sort -u)
  [ -z "$found" ] && { echo "no warnings from Sources/ or Tests/"; return 0; }
  echo "$found" | sed 's/^/FAILED: a warning: /'
  return 1
}
if run_stage "debug build" bash -c "swift build --build-tests 2>&1 | tee '$scratch/build.log'; exit \${PIPESTATUS[0]}"
then
  run_stage "no warnings" no_warnings "$scratch/build.log"
  run_stage "swift tests" swift test --skip-build
  # Another language's client, unmodified, over a real socket.
  run_stage redis-py python3 tools/clients/test_redis_py.py .build/debug/gridmap
fi
if run_stage "release build" swift build -c release --product gridmap; then
  bin=.build/release/gridmap
  # The store across processes: two servers on one store answering a new version (also while
  # whole-map validations run), and publishes killed with SIGKILL.
  run_stage "store across processes" bash -c "python3 tools/clients/test_store_servers.py $bin &&
    python3 tools/clients/test_store_durability.py $bin"
  # Servers on three hosts (network namespaces, or loopback addresses where they cannot be
  # made, which it says) following one PostgreSQL history: 200 publishes to every host, four
  # planners racing (25 publishes each here; the README's figure is from 100 each), the LISTEN
  # connections killed, a host's link cut for 60 s, PostgreSQL restarted fast and immediate;
  # then a primary with a synchronous standby killed with SIGKILL during publishes.
  run_stage "several hosts on PostgreSQL" bash -c "GRIDMAP_RACE_PUBLISHES=${GRIDMAP_RACE_PUBLISHES:-25} \
    python3 tools/clients/test_multihost.py $bin; a=\$?; python3 tools/clients/test_failover.py $bin; \
    b=\$?; exit \$((a || b))"
  # HTTP and the store under attack: every spelling of every route, throttled guessing, slow
  # and silent connections, descriptors, a store removed or overwritten under the server;
  # another site's forged requests (a real browser holding the planner's credentials), Host
  # checks, HTTP sent to the RESP port, passwords from the environment and PGPASSFILE.
  run_stage "hardening and security" bash -c "python3 tools/clients/test_hardening.py $bin; a=\$?; \
    python3 tools/clients/test_http_security.py $bin; b=\$?; python3 tools/clients/test_cross_site.py $bin; \
    c=\$?; exit \$((a || b || c))"
  # The worked example of redrawing the map in docs/GUIDE.md, as written; the pages in headless
  # Chromium (the dispatcher's, the planner's whole redrawing session, and every name an HTML
  # payload that must not run). Screenshots go to scratch space (tools/screenshots.sh updates
  # the docs' pictures deliberately).
  run_stage "planning example and pages" bash -c "bash tools/plan-example.sh $bin; a=\$?; \
    python3 tools/clients/test_page.py $bin $shots; b=\$?; python3 tools/clients/test_plan_page.py $bin $shots; \
    c=\$?; python3 tools/clients/test_page_payloads.py $bin; d=\$?; exit \$((a || b || c || d))"
fi
finish
