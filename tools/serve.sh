#!/usr/bin/env bash
# Sets up a fresh Debian machine and runs the main job on the bundled Yufeng data; with
# arguments, runs that gridmap command instead (`tools/serve.sh locate 109.43 24.30`).
# Set-up and build talk on standard error and only when there is something to do (the build
# only when a source is newer than the binary), so standard output is the command's answer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh >&2
bin=.build/release/gridmap
if [ ! -x "$bin" ] || [ -n "$(find Sources Package.swift Package.resolved -newer "$bin" -print -quit 2>/dev/null)" ]
then
  swift build -c release --product gridmap >&2
fi
# On the first run, the bundled store is made with the bundled year of cases
# (data/yufeng/cases.csv, synthetic: data/README.md), so that the pages have cases and figures.
if [ -z "${GRIDMAP_STORE:-}" ] && [ ! -e data/yufeng.gridmap ] && [ -f data/yufeng/cases.csv ]; then
  echo "first run: making data/yufeng.gridmap with the bundled year of cases (about half a minute)" >&2
  "$bin" cases import data/yufeng/cases.csv --data data/yufeng >/dev/null || echo "(some rows refused: above)" >&2
fi
exec "$bin" "${@:-serve}"
