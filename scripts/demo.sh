#!/usr/bin/env bash
# make demo: one real cycle on the embedded default (SQLite, Prefect ephemeral, LibreOffice).
set -euo pipefail
cd "$(dirname "$0")/.."
export CONGVAN_HOME="${CONGVAN_HOME:-var/demo}"
export CONGVAN_DEMO=1
export PREFECT_HOME="${PREFECT_HOME:-$PWD/var/prefect}"
exec .venv/bin/congvan demo "$@"
