#!/usr/bin/env bash
# Builds palisade (release), installs boto3 and moto[server] into .venv, runs
# scripts/bench-api.py with the given arguments. A benchmark, not a test: CI never runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test.d/setup-python.sh
.venv/bin/python -m pip install --quiet --disable-pip-version-check 'moto[server]==5.2.5'
cargo build --release --locked --bin palisade
exec .venv/bin/python scripts/bench-api.py --bin target/release/palisade "$@"
