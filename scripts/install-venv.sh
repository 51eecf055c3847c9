#!/usr/bin/env bash
# Creates .venv and installs congvan with the locked dependency set (requirements.lock).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x .venv/bin/python ]] || python3 -m venv .venv
echo "Cài môi trường Python (.venv) theo requirements.lock…"
.venv/bin/pip install -q --upgrade pip >/dev/null
.venv/bin/pip install -q -c requirements.lock -e '.[dev]'
# The web's Babel catalogs: .po in the repository, .mo compiled here.
.venv/bin/pybabel compile -D messages -d congvan/web/locale >/dev/null
