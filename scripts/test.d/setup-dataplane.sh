#!/usr/bin/env bash
# Installs what the data-plane end-to-end suites (crates/palisade-dataplane/tests/it, tests/lab)
# need:
# nft (nftables), ip (iproute2), conntrack, ping (iputils-ping) and python3 for the tiny
# TCP/UDP listeners and probes run inside the test namespaces. Only when something is missing,
# and only as root (elsewhere the suite skips with a printed reason).
# With --bench it also installs what scripts/bench-dataplane.sh needs (iperf3, hping3); the
# test run does not, so CI does not pay for them.
set -euo pipefail

need=()
command -v nft >/dev/null 2>&1 || need+=(nftables)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v conntrack >/dev/null 2>&1 || need+=(conntrack)
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
command -v python3 >/dev/null 2>&1 || need+=(python3)
# The lab suite (tests/lab) fetches over HTTP from inside its namespaces.
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ "${1:-}" = "--bench" ]; then
  command -v iperf3 >/dev/null 2>&1 || need+=(iperf3)
  command -v hping3 >/dev/null 2>&1 || need+=(hping3)
fi

if [ "${#need[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup-dataplane: missing ${need[*]}; not root, so the data-plane e2e suite will skip" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}"
