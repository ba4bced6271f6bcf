#!/bin/sh
# Time from starting `gridmap serve` on a store to its first LOCATE answer, in rounds.
# Usage: [GRIDMAP=binary] tools/startupbench.sh STORE [ROUNDS] [PORT]   (release build; redis-cli from redis-tools)
set -eu
store=$1 rounds=${2:-3} port=${3:-6399}
bin=${GRIDMAP:-$(dirname "$0")/../.build/release/gridmap}
for r in $(seq "$rounds"); do
    start=$(date +%s.%N)
    "$bin" serve --http-port 0 --store "$store" --port "$port" >/dev/null 2>&1 &
    pid=$!
    until redis-cli -p "$port" LOCATE 109.45 24.30 2>/dev/null | grep -q '"grid"'; do sleep 0.05; done
    end=$(date +%s.%N)
    kill "$pid"; wait "$pid" 2>/dev/null || true
    echo "round $r: start to first LOCATE answer $(echo "$end - $start" | bc) s"
done
