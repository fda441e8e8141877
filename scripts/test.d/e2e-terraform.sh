#!/usr/bin/env bash
# Terraform suite: starts `palisade serve` on 127.0.0.1 (a free port, temporary SQLite, two
# accounts' keys) and runs tests/terraform/run.py, which takes every configuration of
# tests/terraform/cases/ through apply, a drift-free plan, a change, another drift-free
# plan and destroy with the hashicorp/aws provider. Needs terraform on PATH and the
# provider in a filesystem mirror (PALISADE_TF_MIRROR, default /opt/tf-plugins); where
# either is absent it prints a SKIP line and succeeds. PALISADE_TF=0 skips it too.
set -euo pipefail
cd "$(dirname "$0")/../.."

MIRROR="${PALISADE_TF_MIRROR:-/opt/tf-plugins}"
if [ "${PALISADE_TF:-1}" = 0 ]; then
  echo "SKIP terraform suite: PALISADE_TF=0"
  exit 0
fi
if ! command -v terraform >/dev/null 2>&1; then
  echo "SKIP terraform suite: terraform is not on PATH"
  exit 0
fi
if [ ! -d "$MIRROR/registry.terraform.io/hashicorp/aws/5.100.0" ]; then
  echo "SKIP terraform suite: no hashicorp/aws 5.100.0 under $MIRROR"
  exit 0
fi

BIN="${PALISADE_BIN:-target/debug/palisade}"
[ -x "$BIN" ] || cargo build --locked --bin palisade
[ -x .venv/bin/python ] || bash scripts/test.d/setup-python.sh

TMP="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

cat > "$TMP/keys" <<KEYS
# ACCESS_KEY_ID SECRET_ACCESS_KEY ACCOUNT_ID
AKIDTERRAFORMA000001 secret-terraform-a 333333333333
AKIDTERRAFORMB000002 secret-terraform-b 444444444444
KEYS

"$BIN" serve --listen 127.0.0.1:0 --db "$TMP/palisade.db" --keys "$TMP/keys" >"$TMP/out" 2>"$TMP/err" &
SERVER_PID=$!
ENDPOINT=""
for _ in $(seq 1 100); do
  ENDPOINT="$(sed -n 's/^listening on //p' "$TMP/out" | head -n1)"
  [ -n "$ENDPOINT" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/err" >&2; echo "palisade serve exited early" >&2; exit 1; }
  sleep 0.1
done
[ -n "$ENDPOINT" ] || { echo "palisade serve did not report its address" >&2; exit 1; }
echo "palisade serve at $ENDPOINT; terraform $(terraform version | head -n1)"

set +e
.venv/bin/python tests/terraform/run.py "$ENDPOINT" "$TMP/keys" "$@"
status=$?
set -e
if [ "$status" -ne 0 ]; then
  echo "--- palisade serve's log (last 40 lines)"
  tail -n 40 "$TMP/err"
fi
exit "$status"
