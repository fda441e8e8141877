#!/usr/bin/env bash
# The lab suite: `palisade serve --lab` (started by tests/lab/conftest.py with its own
# namespace prefix, directory and SQLite file), instances launched with boto3, and real TCP,
# UDP, ICMP and ICMPv6 between the lab's namespaces for every use case of the EC2 page.
# Needs root, nft, ip and curl (setup-dataplane.sh); elsewhere pytest prints a SKIP line, and
# with CI set a missing prerequisite fails the run.
set -euo pipefail
cd "$(dirname "$0")/../.."

BIN="${PALISADE_BIN:-target/debug/palisade}"
[ -x "$BIN" ] || cargo build --locked --bin palisade
[ -x .venv/bin/python ] || bash scripts/test.d/setup-python.sh
case "$BIN" in /*) ABS_BIN="$BIN" ;; *) ABS_BIN="$PWD/$BIN" ;; esac

set +e
PALISADE_BIN="$ABS_BIN" .venv/bin/python -m pytest tests/lab -q -rs -p no:cacheprovider
status=$?
set -e
[ "$status" -eq 5 ] && echo "pytest collected no tests" >&2
exit "$status"
