#!/usr/bin/env bash
# Fuzz smoke test (CI step; see fuzz/README.md): builds the cargo-fuzz targets of fuzz/ and
# runs each for FUZZ_SECONDS (default 30) on its committed corpus, failing on any crash,
# leak, timeout or out-of-memory. New inputs go to a temporary corpus, never into the repo.
# Installs cargo-fuzz if it is missing. The toolchain is stable, so RUSTC_BOOTSTRAP=1 lets
# cargo fuzz pass its -Z sanitizer flags (AddressSanitizer, whose runtime stable ships).
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${FUZZ_SECONDS:-30}"
targets=(query_decode sigv4_verify describe_import trace_lines)

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> cargo install cargo-fuzz --locked"
  cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1

# cargo fuzz has no --locked: check fuzz/Cargo.lock is current first.
cargo fetch --locked --manifest-path fuzz/Cargo.toml
echo "==> cargo fuzz build"
cargo fuzz build -a

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for t in "${targets[@]}"; do
  echo "==> fuzz $t for ${secs}s"
  mkdir -p "$work/$t" "fuzz/corpus/$t"
  # -timeout: a unit slower than 10 s is a hang; -rss_limit_mb: libFuzzer's default, spelled out.
  if ! cargo fuzz run -a "$t" "$work/$t" "fuzz/corpus/$t" -- \
      -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      >"$work/$t.log" 2>&1; then
    tail -n 60 "$work/$t.log"
    echo "fuzz target $t failed: the input is in fuzz/artifacts/$t/ (see fuzz/README.md)" >&2
    exit 1
  fi
  grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' "$work/$t.log" || true
done
echo "fuzz smoke: ${#targets[@]} targets, ${secs}s each, no crash"
