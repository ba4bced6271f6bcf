#!/usr/bin/env bash
# Two gridmap builds compared on pipelined LOCATE: each serves the same store, and
# redis-benchmark (-P 16, 50 clients, random points in the dense core, 14 decimal digits) runs against A
# then B, round after round; prints each round's requests/s and the median of the per-round
# ratios A/B (adjacent runs, so the VM's drift cancels).
# Usage: tools/locate_ab.sh BINARY_A BINARY_B [ROUNDS=7]
set -euo pipefail
a=$1; b=$2; rounds=${3:-7}
work=$(mktemp -d)
trap 'kill $pa $pb 2>/dev/null; rm -rf "$work"' EXIT
"$a" store import data/yufeng --store "$work/ab.gridmap" --author bench >/dev/null
# Ports below the kernel's ephemeral range, so a benchmark client's own socket never holds one.
"$a" serve --port 7101 --http-port 0 --store "$work/ab.gridmap" 2>/dev/null & pa=$!
"$b" serve --port 7102 --http-port 0 --store "$work/ab.gridmap" 2>/dev/null & pb=$!
for p in 7101 7102; do until redis-cli -p $p PING >/dev/null 2>&1; do sleep 0.2; done; done
run() {
  redis-benchmark -p "$1" -P 16 -c 50 -n 400000 -r 1000000000000 -q LOCATE 109.42__rand_int__ 24.29__rand_int__ \
    2>/dev/null | tr '\r' '\n' | grep -o '[0-9.]* requests per second' | cut -d' ' -f1
}
run 7101 >/dev/null; run 7102 >/dev/null
ratios=()
for r in $(seq "$rounds"); do
  ra=$(run 7101); rb=$(run 7102)
  ratios+=("$(python3 -c "print(round($ra / $rb, 3))")")
  echo "round $r: A $ra req/s, B $rb req/s, A/B ${ratios[-1]}"
done
python3 -c "import statistics, sys; print('median A/B', statistics.median(map(float, sys.argv[1:])))" "${ratios[@]}"
