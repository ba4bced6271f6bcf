#!/usr/bin/env bash
# Full validation of a store's current version (every rule, every grid), timed: prints each
# round's validation time as the engine measures it and the command's wall time, then medians.
# Usage: tools/validatebench.sh STORE [ROUNDS]   (GRIDMAP=binary, default the release build)
set -euo pipefail
store=$1; rounds=${2:-5}; gridmap=${GRIDMAP:-.build/release/gridmap}
engine=(); wall=()
for r in $(seq "$rounds"); do
  start=$(date +%s.%N)
  line=$("$gridmap" plan validate --store "$store" | head -1)
  end=$(date +%s.%N)
  ms=$(echo "$line" | grep -o '[0-9]* ms' | grep -o '[0-9]*')
  engine+=("$ms"); wall+=("$(echo "($end - $start) * 1000 / 1" | bc)")
  echo "round $r: $line; wall $(echo "($end - $start) * 1000 / 1" | bc) ms"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "median validation $(median "${engine[@]}") ms, wall (with reading the store) $(median "${wall[@]}") ms"
