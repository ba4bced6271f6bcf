#!/usr/bin/env bash
# Bulk join benchmark (issue #14): a file of case-like records joined to the grids by
# `gridmap join` and by geopandas (read_csv, sjoin, to_csv), in the same run, end to end
# (start-up, reading, writing a file). gridmap runs ROUNDS times around one geopandas run;
# the median is quoted. Then: peak memory streaming 1 M and 50 M rows through a pipe, bulk
# address geocoding, and how often the two joins agree on the grid.
# Usage: tools/joinbench.sh [ROWS=10000000] [ROUNDS=3]
#   GRIDMAP, DATAGEN: binaries (default the release builds); DATA: data directory (data/yufeng);
#   GEOPANDAS_VENV: where geopandas is installed for the benchmark only (pip, default /tmp);
#   BENCH_DIR: where the files go (default /dev/shm, memory: on this VM's disk, writing the
#   2.3 GB output alone takes most of the time the join does, so a disk run measures the disk).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-10000000}; rounds=${2:-3}
gridmap=${GRIDMAP:-.build/release/gridmap}; datagen=${DATAGEN:-.build/release/gridmap-datagen}
data=${DATA:-data/yufeng}; venv=${GEOPANDAS_VENV:-/tmp/gridmap-geopandas-venv}
store=${GRIDMAP_STORE:-$data.gridmap}
base=${BENCH_DIR:-/dev/shm}; [ -d "$base" ] || base=/tmp
dir=$(mktemp -d "$base/joinbench-XXXX"); trap 'rm -rf "$dir"' EXIT
if ! "$venv/bin/python" -c "import geopandas" 2>/dev/null; then
    echo "installing geopandas into $venv (for this benchmark only)"
    python3 -m venv "$venv" && "$venv/bin/pip" install -q geopandas
fi
versions='import geopandas, shapely; print(geopandas.__version__, "shapely", shapely.__version__)'
echo "geopandas $("$venv/bin/python" -c "$versions")"
"$datagen" cases --rows "$rows" --data "$data" > "$dir/cases.csv"
echo "$rows rows, $(du -m "$dir/cases.csv" | cut -f1) MB of CSV in $base; $(nproc) cores"
"$gridmap" locate 109.43 24.30 --store "$store" > /dev/null  # the store exists and is warm

now() { date +%s.%N; }
rates=()
run_gridmap() {
    rm -f "$dir/gridmap.csv" "$dir/gridmap.csv.rejects.csv"
    sync
    local t0 t1 rss
    t0=$(now)
    /usr/bin/time -o "$dir/rss" -f %M "$gridmap" join "$dir/cases.csv" -o "$dir/gridmap.csv" --store "$store" \
        2>/dev/null || [ $? -eq 3 ]
    rss=$(tail -1 "$dir/rss")
    t1=$(now)
    local rate; rate=$(echo "$rows / ($t1 - $t0)" | bc)
    rates+=("$rate")
    echo "  gridmap join: $(printf '%.2f' "$(echo "$t1 - $t0" | bc)") s, $rate rows/s, peak RSS $((rss / 1024)) MiB"
}
for ((k = 0; k < rounds; k++)); do
    run_gridmap
    if [ "$k" -eq $((rounds / 2)) ]; then
        gp=$("$venv/bin/python" tools/joinbench_geopandas.py "$dir/cases.csv" "$data/grids.geojson" \
            "$dir/geopandas.csv")
        echo "  geopandas: $gp"
        gp_rate=$(echo "$gp" | sed -E 's/.*: ([0-9]+) rows\/s/\1/')
    fi
done
median=$(printf '%s\n' "${rates[@]}" | sort -n | sed -n "$(( (${#rates[@]} + 1) / 2 ))p")
echo "gridmap median $median rows/s; geopandas $gp_rate rows/s; ratio $(echo "scale=1; $median / $gp_rate" | bc)x"

python3 - "$dir/gridmap.csv" "$dir/geopandas.csv" <<'PY'
import csv, sys
ours, theirs = csv.reader(open(sys.argv[1], encoding="utf-8")), csv.reader(open(sys.argv[2], encoding="utf-8"))
next(ours); next(theirs)
same, differ = 0, []
for row in ours:
    for other in theirs:
        if other[0] == row[0]:
            break
    if row[8] == other[8]:
        same += 1
    else:
        differ.append((row[0], row[5], row[6], row[8] or "-", other[8] or "-"))
print(f"same grid in both joins: {same} rows; different: {len(differ)}")
for d in differ[:10]:
    print("  %s at %s,%s: gridmap %s, geopandas %s" % d)
PY

echo "memory, streaming through a pipe (peak RSS):"
for n in 1000000 50000000; do
    "$datagen" cases --rows "$n" --data "$data" | /usr/bin/time -o "$dir/rss" -f %M "$gridmap" join - \
        -o /dev/null --store "$store" --quiet 2>/dev/null || [ $? -eq 3 ]
    rss=$(tail -1 "$dir/rss")
    echo "  $n rows: $((rss / 1024)) MiB"
done

n=200000
head -n $((n + 1)) "$dir/cases.csv" > "$dir/addresses.csv"
t0=$(now)
"$gridmap" join "$dir/addresses.csv" --address address -o /dev/null --store "$store" 2>/dev/null || [ $? -eq 3 ]
t1=$(now)
seconds=$(printf '%.2f' "$(echo "$t1 - $t0" | bc)")
echo "address geocoding in bulk: $n rows in $seconds s, $(echo "$n / ($t1 - $t0)" | bc) rows/s"
