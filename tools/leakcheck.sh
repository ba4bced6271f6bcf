#!/usr/bin/env bash
# Runs gridmap under valgrind: loading the data validates every polygon with GEOS, and the
# lookups use PROJ and the GCJ-02 inverse. Fails on any definitely-lost block.
set -euo pipefail
bin=${1:-.build/release/gridmap}
command -v valgrind >/dev/null || {
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y -qq valgrind >/dev/null
}
for args in "locate 109.4377 24.3041 --crs gcj02" "convert 109.43 24.3 --from bd09 --to EPSG:4545" "nearby 109.43 24.30 --limit 3"; do
  # shellcheck disable=SC2086
  valgrind --quiet --leak-check=full --show-possibly-lost=no --errors-for-leak-kinds=definite --error-exitcode=3 "$bin" $args >/dev/null
done
echo "leakcheck: 3 runs under valgrind, no definite leaks"
