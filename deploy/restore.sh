#!/usr/bin/env bash
# Restore a backup made by backup.sh into an EMPTY PostgreSQL database and an empty files
# directory, then check every stored file's SHA-256 against the restored registry.
#   CONGVAN_DATABASE_URL=postgresql+psycopg://congvan@db/congvan_restored \
#   CONGVAN_FILES_DIR=/srv/congvan/files-restored deploy/restore.sh /backup/congvan-2026-11-29
# Exit status 0 only when the backup's manifest matches, the schema is current and every file
# the registry names is present with its recorded hash (congvan files check).
set -euo pipefail
src="${1:?usage: restore.sh BACKUP_DIR}"
: "${CONGVAN_DATABASE_URL:?CONGVAN_DATABASE_URL must name the (empty) PostgreSQL database}"
files="${CONGVAN_FILES_DIR:-${CONGVAN_HOME:?set CONGVAN_FILES_DIR or CONGVAN_HOME}/files}"
congvan="${CONGVAN_BIN:-congvan}"
(cd "$src" && sha256sum --check --quiet MANIFEST.sha256)
libpq_url="$(printf '%s' "$CONGVAN_DATABASE_URL" | sed -E 's#^postgresql\+[a-z0-9]+://#postgresql://#')"
if [ -d "$files" ] && [ -n "$(ls -A "$files")" ]; then
  echo "restore.sh: $files is not empty; restore into an empty directory" >&2
  exit 2
fi
pg_restore --exit-on-error --no-owner --dbname="$libpq_url" "$src/registry.dump"
mkdir -p "$files"
tar --extract --file="$src/files.tar" --directory="$files"
"$congvan" db status
"$congvan" files check
