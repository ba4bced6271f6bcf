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
exec "$bin" "${@:-serve}"
