#!/usr/bin/env bash
# Creates .venv with the real AWS clients the API suite drives (tests/api/): boto3, the aws
# CLI (v1, from PyPI) and pytest, at pinned versions. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
  'awscli==1.46.3' 'boto3==1.44.8' 'botocore==1.44.8' 'pytest==9.2.0'
