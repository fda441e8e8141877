#!/usr/bin/env bash
# Data-plane throughput benchmark: the ruleset palisade renders (CIDRs in anonymous interval
# sets) vs the same rules as a linear chain of one rule per CIDR, vs no ruleset at all.
#
#   sudo scripts/bench-dataplane.sh            # N_RULES=10000 SECS=4 ROUNDS=3 by default
#
# Topology (all inside namespaces this script creates and removes, also on failure or ^C):
#   <p>-c (10.0.1.10) --veth-- eni1 [<p>-host: routed, the ruleset] eni2 --veth-- <p>-s (10.0.2.10)
# The server's group holds N_RULES ingress rules from distinct /32s, in three classes
# (tcp/5201 iperf3, tcp/5202 connects, udp/9 flows); the client's /32 has one rule per class.
# In the linear chain the client's rule is the last of its class (a first-match chain's worst
# case). See crates/palisade-dataplane/examples/throughput_ruleset.rs.
#
# Measured per scenario, ROUNDS times each (the median is reported):
#   bulk      iperf3 TCP throughput for SECS s (one stream): only a flow's first packet
#             meets the security-group rules, the rest is `ct state established`;
#   connects  TCP connects/s (handshake, then RST) from 2 Python client processes;
#   udp_new   UDP packets/s that arrive at the server from `hping3 --udp --flood` with a new
#             source port per packet: none is ever answered, so every packet is `ct state
#             new` and walks the ruleset (this is the ruleset's packet-classification rate);
#   load      wall time of the one `nft -f` that loads the ruleset.
# Needs root, nft, ip, iperf3, hping3, python3 and cargo (it runs
# `scripts/test.d/setup-dataplane.sh --bench` to install the packages). Only
# namespace-internal addresses are used.
set -euo pipefail

N_RULES=${N_RULES:-10000}
SECS=${SECS:-4}
ROUNDS=${ROUNDS:-3}

if [ "$(id -u)" -ne 0 ]; then
  echo "bench-dataplane: must run as root (it creates network namespaces)" >&2
  exit 2
fi
"$(dirname "$0")/test.d/setup-dataplane.sh" --bench
for tool in nft ip iperf3 hping3 python3 cargo; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "bench-dataplane: $tool is missing (scripts/test.d/setup-dataplane.sh installs it)" >&2
    exit 2
  fi
done

root="$(cd "$(dirname "$0")/.." && pwd)"
p="pbench$$"
tmp="$(mktemp -d)"
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for ns in c s host; do ip netns del "$p-$ns" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_ns() { local ns="$1"; shift; ip netns exec "$p-$ns" "$@"; }

echo "rendering $N_RULES rules (sets and linear)..." >&2
(cd "$root" && cargo run -q -p palisade-dataplane --example throughput_ruleset -- "$N_RULES" sets) >"$tmp/sets.nft"
(cd "$root" && cargo run -q -p palisade-dataplane --example throughput_ruleset -- "$N_RULES" linear) >"$tmp/linear.nft"

for ns in host c s; do
  ip netns add "$p-$ns"
  ip -n "$p-$ns" link set lo up
done
in_ns host sysctl -qw net.ipv4.ip_forward=1
in_ns host sysctl -qw net.ipv4.conf.all.rp_filter=0
in_ns host sysctl -qw net.ipv4.conf.default.rp_filter=0
for pair in "c eni1 1" "s eni2 2"; do
  set -- $pair
  ip -n "$p-host" link add "$2" type veth peer name eth0 netns "$p-$1"
  ip -n "$p-host" addr add "10.0.$3.1/24" dev "$2"
  ip -n "$p-host" link set "$2" up
  ip -n "$p-$1" addr add "10.0.$3.10/24" dev eth0
  ip -n "$p-$1" link set eth0 up
  ip -n "$p-$1" route add default via "10.0.$3.1"
done

cat >"$tmp/connect.py" <<'EOF'
"""serve PORT: accept and close | blast ADDR PORT SECS PROCS: print connects/s."""
import multiprocessing, socket, struct, sys, time

def serve(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(4096)
    print("ready", flush=True)
    while True:
        c, _ = s.accept()
        c.close()

def worker(addr, port, secs, out):
    n, end = 0, time.monotonic() + secs
    linger = struct.pack("ii", 1, 0)  # close with RST: no TIME_WAIT, no port exhaustion
    while time.monotonic() < end:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        s.settimeout(1)
        try:
            s.connect((addr, port))
            n += 1
        except OSError:
            pass
        s.close()
    out.put(n)

if sys.argv[1] == "serve":
    serve(int(sys.argv[2]))
else:
    addr, port, secs, procs = sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    q = multiprocessing.Queue()
    ps = [multiprocessing.Process(target=worker, args=(addr, port, secs, q)) for _ in range(procs)]
    for p in ps: p.start()
    total = sum(q.get() for _ in ps)
    for p in ps: p.join()
    print(round(total / secs))
EOF

# Started with `ip netns exec` directly (it execs), so $! is the server's own pid.
ip netns exec "$p-s" iperf3 -s >"$tmp/iperf3.out" 2>&1 &
pids+=($!)
ip netns exec "$p-s" python3 "$tmp/connect.py" serve 5202 >"$tmp/serve.out" 2>&1 &
pids+=($!)
ready=0
for _ in $(seq 100); do
  if grep -q ready "$tmp/serve.out" && in_ns s ss -ltn | grep -q ':5201 '; then ready=1; break; fi
  sleep 0.1
done
if [ "$ready" -ne 1 ]; then
  echo "bench-dataplane: servers did not start:" >&2
  cat "$tmp/iperf3.out" "$tmp/serve.out" >&2
  exit 1
fi

load() {
  in_ns host nft delete table inet palisade 2>/dev/null || true
  in_ns host conntrack -F >/dev/null 2>&1 || true
  [ "$1" = none ] && { echo 0; return; }
  local t0 t1
  t0=$(date +%s%N)
  in_ns host nft -f "$tmp/$1.nft"
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}

bulk() {
  in_ns c iperf3 -c 10.0.2.10 -t "$SECS" -J >"$tmp/bulk.json" || true
  python3 - "$tmp/bulk.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
if "error" in r:
    sys.exit("iperf3: " + r["error"])
print(round(r["end"]["sum_received"]["bits_per_second"] / 1e9, 2))
EOF
}

connects() { in_ns c python3 "$tmp/connect.py" blast 10.0.2.10 5202 "$SECS" 2; }

udp_count() {
  in_ns s cat /proc/net/snmp |
    awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) col[$i] = i; h = 1 } else { print $col["InDatagrams"] + $col["NoPorts"] + $col["InErrors"] } }'
}

udp_new() {
  ip netns exec "$p-c" hping3 --udp --flood -q -p 9 10.0.2.10 >/dev/null 2>&1 &
  local hp=$!
  sleep 0.5
  local a t0 b t1
  a=$(udp_count); t0=$(date +%s%N)
  sleep "$SECS"
  b=$(udp_count); t1=$(date +%s%N)
  kill "$hp" 2>/dev/null || true
  wait "$hp" 2>/dev/null || true
  echo $(((b - a) * 1000000000 / (t1 - t0)))
}

median() { tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A res
scenarios=(none sets linear)
for round in $(seq "$ROUNDS"); do
  for sc in "${scenarios[@]}"; do
    echo "round $round: $sc" >&2
    ms=$(load "$sc")
    res[$sc,load]+="$ms "
    res[$sc,bulk]+="$(bulk) "
    res[$sc,connects]+="$(connects) "
    res[$sc,udp]+="$(udp_new) "
  done
done

echo
echo "$N_RULES rules, ${SECS}s per measurement, median of $ROUNDS rounds; $(nproc) CPU(s), kernel $(uname -r), $(nft --version)"
echo
echo "| ruleset | nft -f load (ms) | bulk TCP (Gbit/s) | TCP connects/s | new-flow UDP packets/s |"
echo "| --- | ---: | ---: | ---: | ---: |"
for sc in "${scenarios[@]}"; do
  label=$sc
  [ "$sc" = none ] && label="no ruleset"
  [ "$sc" = sets ] && label="palisade (interval sets)"
  [ "$sc" = linear ] && label="linear chain, 1 rule per CIDR"
  printf '| %s | %s | %s | %s | %s |\n' "$label" \
    "$(echo ${res[$sc,load]} | median)" "$(echo ${res[$sc,bulk]} | median)" \
    "$(echo ${res[$sc,connects]} | median)" "$(echo ${res[$sc,udp]} | median)"
done
echo
echo "all rounds (load ms / Gbit/s / connects/s / udp pps):"
for sc in "${scenarios[@]}"; do
  echo "  $sc: ${res[$sc,load]}/ ${res[$sc,bulk]}/ ${res[$sc,connects]}/ ${res[$sc,udp]}"
done
