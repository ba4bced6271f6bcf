#!/usr/bin/env bash
# Sets up (apt packages) and runs every test. The README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
swift build --build-tests
swift test --skip-build
# Another language's client, unmodified, over a real socket.
python3 -c "import redis" 2>/dev/null || python3 -m pip install -q redis
python3 tools/clients/test_redis_py.py .build/debug/gridmap
