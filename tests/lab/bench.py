#!/usr/bin/env python3
"""Lab latency benchmark: how long after an API call returns does the network follow?

    sudo .venv/bin/python tests/lab/bench.py [--instances 10,100] [--rounds 20]

For each N it starts `palisade serve --lab`, launches N instances in one public VPC (a group
allowing tcp/80 from the internet, launch time measured per instance: from RunInstances
returning until the instance's kernel answers a TCP SYN on its public address, a RST since
nothing listens; this includes the probe's own start-up), then authorizes and revokes tcp/81 `--rounds` times, measuring from the
call returning until a new connection attempt from the internet namespace is answered
(authorize) or dropped (revoke). The probe runs in the internet namespace, one connection
attempt every ~10 ms with a 20 ms timeout, so figures are good to about 20 ms.
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conftest  # noqa: E402

POLLER = r"""
import socket, sys, time
addr, port, want = sys.argv[1], int(sys.argv[2]), sys.argv[3]
print("ready", flush=True)
t0 = float(sys.stdin.readline())
deadline = time.time() + 10
while time.time() < deadline:
    start = time.time()
    s = socket.socket()
    s.settimeout(0.02)
    try:
        s.connect((addr, port)); answered = True
    except ConnectionRefusedError:
        answered = True
    except OSError:
        answered = False
    finally:
        s.close()
    if start >= t0 and answered == (want == "open"):
        print(f"{start - t0:.4f}"); sys.exit(0)
    time.sleep(0.01)
print("timeout"); sys.exit(1)
"""


class Poller:
    """A probe started (and its Python warmed up) before the call it times."""

    def __init__(self, lab, addr, port, want):
        self.p = subprocess.Popen(
            lab.cmd("internet", "python3", "-c", POLLER, addr, str(port), want),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.p.stdout.readline().strip() == "ready"
        self.what = f"{addr}:{port} {want}"

    def since(self, t0):
        """Milliseconds from t0 until the wanted state was seen."""
        self.p.stdin.write(f"{t0}\n")
        self.p.stdin.flush()
        out = self.p.stdout.readline().strip()
        self.p.wait()
        if out == "timeout" or not out:
            raise RuntimeError(f"{self.what}: never seen")
        return float(out) * 1000


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def run(n, rounds, flow_log_interval):
    lab = conftest.Lab(flow_log_interval=flow_log_interval)
    try:
        net = lab.public_vpc("10.40.0.0/16")
        g = lab.group("bench", net["vpc"], ingress=[
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
             "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        launch = []
        last = None
        for _ in range(n):
            # The public address is known only from the answer, so this probe starts after
            # the call: the launch figure includes its start-up (~40 ms of Python).
            inst = lab.ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1,
                                         SubnetId=net["subnet"], SecurityGroupIds=[g])[
                "Instances"][0]
            t0 = time.time()
            pub = inst["PublicIpAddress"]
            launch.append(Poller(lab, pub, 80, "open").since(t0))
            last = pub
        auth, revoke = [], []
        perm = [{"IpProtocol": "tcp", "FromPort": 81, "ToPort": 81,
                 "IpRanges": [{"CidrIp": "198.18.0.0/16"}]}]
        for _ in range(rounds):
            poll = Poller(lab, last, 81, "open")
            lab.ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=perm)
            auth.append(poll.since(time.time()))
            poll = Poller(lab, last, 81, "closed")
            lab.ec2.revoke_security_group_ingress(GroupId=g, IpPermissions=perm)
            revoke.append(poll.since(time.time()))
        return launch, auth, revoke
    finally:
        lab.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--instances", default="10,100")
    ap.add_argument("--rounds", type=int, default=20)
    # The server's default; the test suite's 2 s windows are for its own flow-log test.
    ap.add_argument("--flow-log-interval", type=int, default=60)
    args = ap.parse_args()
    reason = conftest.usable()
    if reason:
        sys.exit(f"cannot run the lab here: {reason}")
    print("| instances | RunInstances → answering p50 / p99 (ms) | Authorize → enforced p50 / p99 (ms) | Revoke → enforced p50 / p99 (ms) |")
    print("|---:|---:|---:|---:|")
    for n in [int(x) for x in args.instances.split(",")]:
        launch, auth, revoke = run(n, args.rounds, args.flow_log_interval)
        f = lambda xs: f"{pct(xs, 50):.0f} / {pct(xs, 99):.0f}"  # noqa: E731
        print(f"| {n} | {f(launch)} | {f(auth)} | {f(revoke)} |", flush=True)


if __name__ == "__main__":
    main()
