#!/usr/bin/env bash
# Installs the C libraries gridmap builds against (Debian/Ubuntu), if they are missing; with
# --test also what the tests use (gdal-bin's ogrinfo reads and edits gridmap's GeoPackages and
# PostGIS views;
# rsvg-convert and a CJK font render the planning impact picture; Chromium loads the map page).
# libjs-leaflet is the map page's Leaflet, served by `gridmap serve`.
# Needs a Swift 6 toolchain on PATH (swift.org builds for Debian 12).
set -euo pipefail
# redis-tools (redis-cli) and curl are for the README's examples after `tools/serve.sh`.
packages=(libgeos-dev libproj-dev proj-data libsqlite3-dev libpq-dev libssl-dev pkg-config libjs-leaflet fonts-wqy-zenhei redis-tools curl)
# PostgreSQL 15 and PostGIS for the second backend's half of the suite (a scratch server,
# tools/pg.sh); python3-gdal for GDAL's GeoPackage validator.
if [ "${1:-}" = "--test" ]; then
  packages+=(gdal-bin python3-gdal python3-pip librsvg2-bin chromium postgresql-15 postgresql-15-postgis-3)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: no 'swift' on PATH; install a Swift 6 toolchain first" >&2; exit 1; }
