#!/usr/bin/env bash
# Updates the docs' pictures from the page tests, deliberately (the test command writes its
# screenshots to scratch space only): the README's dispatcher page (docs/map-page.png: an
# address searched, its card, the category and department panels), the route card
# (docs/route-page.png) and the planner's session (docs/screenshots/plan-*.png).
# Usage: tools/screenshots.sh [PATH/TO/gridmap]   (default: a release build, made if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/gridmap}
[ -x "$bin" ] || swift build -c release --product gridmap >&2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
python3 tools/clients/test_page.py "$bin" "$out"
python3 tools/clients/test_plan_page.py "$bin" "$out"
cp "$out/search.png" docs/map-page.png
cp "$out/route.png" docs/route-page.png
cp "$out"/plan-*.png docs/screenshots/
echo "updated docs/map-page.png, docs/route-page.png, docs/screenshots/plan-*.png"
