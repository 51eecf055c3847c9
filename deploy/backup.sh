#!/usr/bin/env bash
# Back up congvan: the PostgreSQL registry (pg_dump, custom format) and then the files directory,
# with a SHA-256 manifest of the backup itself. Usage (as the congvan user, with its settings):
#   set -a; . /etc/congvan/congvan.env; set +a; deploy/backup.sh /backup/congvan-$(date +%F)
# The dump is taken first: every file a dumped row names was written (fsync + rename) before
# that row was committed, so copying the files afterwards captures all of them (plus perhaps
# newer files no dumped row names yet, which are harmless).
set -euo pipefail
dest="${1:?usage: backup.sh DEST_DIR}"
: "${CONGVAN_DATABASE_URL:?CONGVAN_DATABASE_URL must name the PostgreSQL registry}"
files="${CONGVAN_FILES_DIR:-${CONGVAN_HOME:?set CONGVAN_FILES_DIR or CONGVAN_HOME}/files}"
case "$CONGVAN_DATABASE_URL" in
  postgresql*) ;;
  *) echo "backup.sh: CONGVAN_DATABASE_URL is not PostgreSQL ($CONGVAN_DATABASE_URL)" >&2; exit 2 ;;
esac
libpq_url="$(printf '%s' "$CONGVAN_DATABASE_URL" | sed -E 's#^postgresql\+[a-z0-9]+://#postgresql://#')"
mkdir -p "$dest"
pg_dump --format=custom --no-owner --file="$dest/registry.dump" "$libpq_url"
tar --create --file="$dest/files.tar" --directory="$files" .
(cd "$dest" && sha256sum registry.dump files.tar > MANIFEST.sha256)
echo "Đã sao lưu vào $dest: registry.dump, files.tar, MANIFEST.sha256"
