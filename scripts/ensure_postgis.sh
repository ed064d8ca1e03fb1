#!/usr/bin/env bash
# PostgreSQL + PostGIS for the PostGIS store tests (`make test`, via
# scripts/ensure_system_deps.sh) and `make bench-postgis`.
# Installs the Debian packages as root; otherwise stops and names them.
set -euo pipefail

have_pg() {
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 &&
        ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1
}

if have_pg; then
    exit 0
fi

need=(postgresql postgresql-postgis)
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing system packages for PostGIS (store tests, benchmark): ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    have_pg && exit 0
fi

echo "error: the PostGIS store tests and benchmark need PostgreSQL and PostGIS (Debian packages: ${need[*]})" >&2
echo "       install them (e.g. 'sudo apt-get install ${need[*]}') and run it again" >&2
exit 1
