#!/usr/bin/env bash
# Installs the Debian packages congvan needs, only those missing. Idempotent, quiet when all is there.
set -euo pipefail

PACKAGES=(
  python3-venv            # the virtual environment
  libreoffice-writer-nogui  # .docx -> PDF (every PDF goes through it)
  fonts-liberation2       # Liberation Serif: metric-compatible with Times New Roman
  poppler-utils           # pdftotext/pdffonts/pdftoppm: checks and signature placement
  softhsm2                # a PKCS#11 token for the signing tests
  chromium                # browser tests (Playwright drives Debian's Chromium)
  python3-uno             # warm LibreOffice over UNO for single documents (doc_templates/uno_bridge.py)
  tesseract-ocr           # OCR of scanned incoming documents (outbox/ocr.py, via pytesseract)
  tesseract-ocr-vie       # Tesseract's Vietnamese model
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# python3-venv is only needed when the interpreter cannot make a venv by itself.
if [[ " ${missing[*]-} " == *" python3-venv "* ]] && python3 -c 'import ensurepip, venv' 2>/dev/null; then
  missing=("${missing[@]/python3-venv}")
fi
read -r -a missing <<< "${missing[*]-}"
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "Cần cài các gói Debian: ${missing[*]} — chạy lại với quyền root (sudo make …)." >&2
  exit 1
fi
echo "Cài gói Debian: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
