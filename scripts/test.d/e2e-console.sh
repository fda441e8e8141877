#!/usr/bin/env bash
# Console suite: starts `palisade serve` on 127.0.0.1 (a free port, temporary SQLite, two
# accounts' keys) and runs tests/console/ with pytest, driving Debian's chromium headless
# through Playwright for Python: sign in, a group from a preset with its preview, the rule
# in the table and in `aws ec2 describe-security-group-rules`, an interface's exposure, a
# form's EC2 error next to its field, and screenshots of the main pages checked for
# rendering errors (kept in target/console-screenshots/). Where chromium or Playwright is
# absent it prints a SKIP line: and fails when CI is set. PALISADE_CONSOLE=0 skips it.
set -euo pipefail
cd "$(dirname "$0")/../.."

skip() {
  echo "SKIP console suite: $1"
  if [ -n "${CI:-}" ]; then
    echo "console suite: CI is set, so a SKIP is a failure" >&2
    exit 1
  fi
  exit 0
}
if [ "${PALISADE_CONSOLE:-1}" = 0 ]; then
  echo "SKIP console suite: PALISADE_CONSOLE=0"
  exit 0
fi
CHROMIUM="${PALISADE_CHROMIUM:-$(command -v chromium || true)}"
[ -n "$CHROMIUM" ] && [ -x "$CHROMIUM" ] || skip "chromium is not installed (scripts/test.d/setup-console.sh)"
[ -x .venv/bin/python ] || skip "no .venv (scripts/test.d/setup-python.sh)"
.venv/bin/python -c 'import playwright, PIL' 2>/dev/null || skip "playwright or pillow is not in .venv (scripts/test.d/setup-console.sh)"

BIN="${PALISADE_BIN:-target/debug/palisade}"
[ -x "$BIN" ] || cargo build --locked --bin palisade

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
AKIDCONSOLEA00000001 secret-console-a 555555555555
AKIDCONSOLEB00000002 secret-console-b 666666666666
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
echo "palisade serve at $ENDPOINT; $("$CHROMIUM" --version 2>/dev/null | head -n1)"

mkdir -p target/console-screenshots
set +e
PALISADE_ENDPOINT="$ENDPOINT" PALISADE_CHROMIUM="$CHROMIUM" PALISADE_SHOTS="$PWD/target/console-screenshots" \
  PALISADE_USER_DATA="$TMP/chromium" AWS_CLI="$PWD/.venv/bin/aws" \
  .venv/bin/python -m pytest -q -p no:cacheprovider tests/console "$@"
status=$?
set -e
# The secrets typed into the sign-in form must never reach the server's log.
if grep -q -e secret-console-a -e secret-console-b "$TMP/err"; then
  echo "FAIL console suite: palisade serve's log contains a secret key" >&2
  status=1
fi
if [ "$status" -ne 0 ]; then
  echo "--- palisade serve's log (last 40 lines)"
  tail -n 40 "$TMP/err"
fi
exit "$status"
