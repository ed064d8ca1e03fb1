#!/usr/bin/env bash
# System packages the test suite needs that pip cannot provide.
# Installs them on Debian as root; otherwise stops and names them.
set -euo pipefail

# PostgreSQL + PostGIS for the PostGIS store tests (a throw-away cluster per test session)
bash "$(dirname "$0")/ensure_postgis.sh"

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# pdftoppm/pdftotext: the map-export tests read back the PDF's text and its first page
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
# a CJK font, so screenshots of the Chinese pages show characters, not boxes
if ! fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy"; then
    need+=(fonts-wqy-microhei)
fi

if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing system packages for the tests: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    exit 0
fi

echo "error: the browser tests need these Debian packages: ${need[*]}" >&2
echo "       install them (e.g. 'sudo apt-get install ${need[*]}') and run 'make test' again" >&2
exit 1
