#!/usr/bin/env bash
# Bulk geocoding throughput: N typed addresses (library addresses in the forms people use,
# made from a data directory's addresses.csv) through `gridmap geocode --input`, on every core.
# Usage: tools/geocodebench.sh [DATA_DIR] [N]   (GRIDMAP=binary, default the release build)
set -euo pipefail
data=${1:-data/yufeng}; n=${2:-200000}; gridmap=${GRIDMAP:-.build/release/gridmap}
file=$(mktemp); trap 'rm -f "$file"' EXIT
python3 - "$data/addresses.csv" "$n" > "$file" <<'PY'
import csv, itertools, random, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
random.seed(7)
forms = [
    lambda a: a["address"],
    lambda a: a["road"] + a["number"] + ("号" + a["compound"] + a["building"] + "-" + a["unit"] if a["compound"] else ""),
    lambda a: (a["compound"] + a["building"] + "栋" + a["unit"] + "单元") if a["compound"] else a["road"] + a["number"],
    lambda a: "我在" + a["road"] + a["number"] + "号门口",
    lambda a: a["community"] + a["road"][0] + "X" + a["road"][2:] + a["number"] + "号",
]
for k in range(int(sys.argv[2])):
    print(forms[k % len(forms)](random.choice(rows)))
PY
start=$(date +%s.%N)
"$gridmap" geocode --input "$file" --store "${GRIDMAP_STORE:-$data.gridmap}" > /dev/null
end=$(date +%s.%N)
echo "$n addresses in $(echo "$end - $start" | bc) s: $(echo "$n / ($end - $start)" | bc) addresses/s (with start-up)"
