#!/usr/bin/env bash
# Sets up a fresh Debian machine and runs the main job on the bundled Yufeng data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
swift build -c release --product gridmap
exec .build/release/gridmap "${@:-serve}"
