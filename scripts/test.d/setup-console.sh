#!/usr/bin/env bash
# The console suite's browser and driver: Debian's chromium (the suite never lets Playwright
# download a browser of its own) and Playwright for Python plus Pillow (screenshot checks)
# in .venv, at pinned versions. Idempotent; without root or apt it leaves chromium to the
# machine, and e2e-console.sh reports the SKIP.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
  else
    echo "setup-console: chromium is not installed and this is not root with apt-get"
  fi
fi
[ -x .venv/bin/python ] || bash scripts/test.d/setup-python.sh
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
  'playwright==1.65.2' 'pillow==13.0.0'
