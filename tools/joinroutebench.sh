#!/usr/bin/env bash
# The routed join against the plain join (issue #37 point 9): the same file of case rows whose
# category column holds catalogue names, `gridmap join FILE --category category` (B) and
# `gridmap join FILE` (A) alternated A B A B… for ROUNDS pairs, output to memory (/dev/shm),
# each pair's ratio A÷B of wall times (the routed join's speed as a fraction of the plain
# one's), and the median of the per-pair ratios, as the VM drifts between pairs.
# Usage: tools/joinroutebench.sh [ROWS=2000000] [ROUNDS=7]
#   GRIDMAP, DATAGEN: binaries (default the release builds); DATA: data directory.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-2000000}; rounds=${2:-7}
gridmap=${GRIDMAP:-.build/release/gridmap}; datagen=${DATAGEN:-.build/release/gridmap-datagen}
data=${DATA:-data/yufeng}; store=${GRIDMAP_STORE:-$data.gridmap}
base=/dev/shm; [ -d "$base" ] || base=/tmp
dir=$(mktemp -d "$base/joinroute-XXXX"); trap 'rm -rf "$dir"' EXIT
"$datagen" cases --rows "$rows" --data "$data" > "$dir/cases.csv"
echo "$rows rows ($(du -m "$dir/cases.csv" | cut -f1) MB), categories by name; $(nproc) cores; $gridmap"
one() {  # one join, its wall time in seconds on stdout
    local t0 t1
    rm -f "$dir/out.csv" "$dir/out.csv.rejects.csv"
    t0=$(date +%s.%N)
    "$gridmap" join "$dir/cases.csv" -o "$dir/out.csv" --store "$store" "$@" 2>/dev/null || [ $? -eq 3 ]
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
}
one > /dev/null  # warm the store and the page cache
ratios=()
for ((k = 1; k <= rounds; k++)); do
    a=$(one); b=$(one --category category)
    r=$(echo "scale=3; $a / $b" | bc)
    ratios+=("$r")
    printf '  round %d: plain %.3f s, routed %.3f s, ratio %s\n' "$k" "$a" "$b" "$r"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | sed -n "$(( (rounds + 1) / 2 ))p")
echo "routed join ÷ plain join, median of $rounds per-pair ratios: ${median}× (goal ≥ 0.5×)"
