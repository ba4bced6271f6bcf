#!/usr/bin/env bash
# Three gridmap builds compared on pipelined LOCATE, as tools/locate_ab.sh compares two: each
# serves the same store; redis-benchmark (-P 16, 50 clients, random 14-digit points in the
# dense core) runs against each in turn, the order rotated every round; prints each round's
# requests/s and the medians of the per-round ratios B/A, C/A and C/B (adjacent runs, so the
# VM's drift cancels).
# Usage: tools/locate_abc.sh BINARY_A BINARY_B BINARY_C [ROUNDS=13]
set -euo pipefail
bins=("$1" "$2" "$3"); rounds=${4:-13}
work=$(mktemp -d)
"${bins[0]}" store import data/yufeng --store "$work/abc.gridmap" --author bench >/dev/null
pids=()
# Ports below the kernel's ephemeral range, so a benchmark client's own socket never holds one.
for i in 0 1 2; do
  "${bins[$i]}" serve --port $((7111 + i)) --http-port 0 --store "$work/abc.gridmap" 2>/dev/null &
  pids+=($!)
done
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
for p in 7111 7112 7113; do until redis-cli -p $p PING >/dev/null 2>&1; do sleep 0.2; done; done
run() {
  redis-benchmark -p "$1" -P 16 -c 50 -n 400000 -r 1000000000000 -q LOCATE 109.42__rand_int__ 24.29__rand_int__ \
    2>/dev/null | tr '\r' '\n' | grep -o '[0-9.]* requests per second' | cut -d' ' -f1
}
for p in 7111 7112 7113; do run $p >/dev/null; done
rows=()
for r in $(seq "$rounds"); do
  declare -A v=()
  for k in 0 1 2; do i=$(( (r + k) % 3 )); v[$i]=$(run $((7111 + i))); done
  rows+=("${v[0]} ${v[1]} ${v[2]}")
  echo "round $r: A ${v[0]}, B ${v[1]}, C ${v[2]} req/s"
done
printf '%s\n' "${rows[@]}" | python3 -c "
import statistics, sys
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
for name, i, j in (('B/A', 1, 0), ('C/A', 2, 0), ('C/B', 2, 1)):
    ratios = [r[i] / r[j] for r in rows]
    print(f'median {name} {statistics.median(ratios):.3f} (rounds {min(ratios):.2f}–{max(ratios):.2f})')
"
