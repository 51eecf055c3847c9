#!/usr/bin/env bash
# Makes sure a PostgreSQL server is installed and running for the tests, and writes the URL
# the tests use to var/test-postgres-url. Uses CONGVAN_TEST_POSTGRES_URL when it is set.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var

if [[ -n "${CONGVAN_TEST_POSTGRES_URL:-}" ]]; then
  echo "$CONGVAN_TEST_POSTGRES_URL" > var/test-postgres-url
  exit 0
fi

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "Cài PostgreSQL (gói Debian postgresql)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && ! pg_isready -q 2>/dev/null; then
  version=$(ls /etc/postgresql | sort -V | tail -n1)
  echo "Khởi động PostgreSQL $version…"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do pg_isready -q && break; sleep 1; done
fi

# Prefer TCP on 127.0.0.1 (trust auth on the developers' machines); else the local socket with
# peer auth as the current user, whose role and database this script creates.
if psql -w -h 127.0.0.1 -p 5432 -d test -qtAc 'select 1' >/dev/null 2>&1; then
  echo "postgresql+psycopg://127.0.0.1:5432/test" > var/test-postgres-url
  exit 0
fi
user=$(id -un)
su postgres -c "psql -qtAc \"select 1 from pg_roles where rolname='$user'\"" | grep -q 1 \
  || su postgres -c "createuser -s '$user'"
su postgres -c "psql -qtAc \"select 1 from pg_database where datname='test'\"" | grep -q 1 \
  || su postgres -c "createdb -O '$user' test"
echo "postgresql+psycopg://$user@/test?host=/var/run/postgresql" > var/test-postgres-url
