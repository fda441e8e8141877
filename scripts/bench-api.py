#!/usr/bin/env python3
"""Benchmark: the same boto3 workload against `palisade serve` and moto's server, both on
loopback; prints calls/s and p50/p99 latency per operation, side by side.

    .venv/bin/python scripts/bench-api.py [--groups 200] [--preload 0] [--bin target/release/palisade]

Needs .venv with boto3 and moto[server] (scripts/bench-api.sh installs both). The workload,
sequential from one client: CreateSecurityGroup ×N, AuthorizeSecurityGroupIngress ×N (one
rule each), DescribeSecurityGroups(GroupIds=[one]) ×N, DescribeSecurityGroupRules(group-id
filter) ×N, RevokeSecurityGroupIngress ×N. `--preload K` first creates K extra groups in
palisade (the measured region is filled up to EC2's quota of 2,500 groups, the rest goes to
other regions) to see how latency holds at scale; moto is not preloaded (it would
take hours). Timings include boto3's own ~1 ms of client overhead per call.
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import boto3
import botocore.config

KEY, SECRET = "AKIDBENCH0000000001", "bench-secret"
REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-central-1", "ap-south-1"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def client(endpoint, region="us-east-1"):
    return boto3.client("ec2", endpoint_url=endpoint, region_name=region, aws_access_key_id=KEY,
                        aws_secret_access_key=SECRET,
                        config=botocore.config.Config(retries={"max_attempts": 1}, max_pool_connections=4))


def timed(samples, name, fn, **kw):
    t0 = time.perf_counter()
    res = fn(**kw)
    samples.setdefault(name, []).append(time.perf_counter() - t0)
    return res


def workload(ec2, n, tag):
    samples = {}
    ids = []
    for i in range(n):
        ids.append(timed(samples, "CreateSecurityGroup", ec2.create_security_group,
                         GroupName=f"bench-{tag}-{i}", Description="bench")["GroupId"])
    perm = lambda i: [dict(IpProtocol="tcp", FromPort=1000 + i % 60000, ToPort=1000 + i % 60000, IpRanges=[{"CidrIp": "10.0.0.0/8"}])]
    for i, gid in enumerate(ids):
        timed(samples, "AuthorizeSecurityGroupIngress", ec2.authorize_security_group_ingress, GroupId=gid, IpPermissions=perm(i))
    for gid in ids:
        timed(samples, "DescribeSecurityGroups(1 id)", ec2.describe_security_groups, GroupIds=[gid])
    for gid in ids:
        timed(samples, "DescribeSecurityGroupRules(group-id)", ec2.describe_security_group_rules,
              Filters=[{"Name": "group-id", "Values": [gid]}])
    for i, gid in enumerate(ids):
        timed(samples, "RevokeSecurityGroupIngress", ec2.revoke_security_group_ingress, GroupId=gid, IpPermissions=perm(i))
    return samples


class RawClient:
    """Form-encoded, SigV4-signed requests over one keep-alive connection: measures the
    server, not boto3 (whose parsing and signing cost ~1 ms a call)."""

    def __init__(self, endpoint, region="us-east-1"):
        import http.client
        import urllib.parse
        self.host = urllib.parse.urlparse(endpoint).netloc
        self.conn = http.client.HTTPConnection(self.host)
        self.region = region

    def call(self, action, **params):
        import datetime
        import hashlib
        import hmac
        import urllib.parse
        body = urllib.parse.urlencode({"Action": action, "Version": "2016-11-15", **params})
        amz = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        ctype = "application/x-www-form-urlencoded; charset=utf-8"
        payload = hashlib.sha256(body.encode()).hexdigest()
        canonical = f"POST\n/\n\ncontent-type:{ctype}\nhost:{self.host}\nx-amz-date:{amz}\n\ncontent-type;host;x-amz-date\n{payload}"
        scope = f"{amz[:8]}/{self.region}/ec2/aws4_request"
        to_sign = f"AWS4-HMAC-SHA256\n{amz}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        k = ("AWS4" + SECRET).encode()
        for part in (amz[:8], self.region, "ec2", "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
        self.conn.request("POST", "/", body=body, headers={
            "Content-Type": ctype, "X-Amz-Date": amz,
            "Authorization": f"AWS4-HMAC-SHA256 Credential={KEY}/{scope}, SignedHeaders=content-type;host;x-amz-date, Signature={sig}"})
        res = self.conn.getresponse()
        text = res.read().decode()
        if res.status != 200:
            raise RuntimeError(f"{action}: {res.status} {text[:300]}")
        return text


def raw_workload(raw, n, tag):
    samples = {}
    ids = []
    for i in range(n):
        text = timed(samples, "CreateSecurityGroup", raw.call, action="CreateSecurityGroup", GroupName=f"raw-{tag}-{i}", GroupDescription="bench")
        ids.append(text.split("<groupId>")[1].split("</groupId>")[0])
    perm = lambda gid, i: {"GroupId": gid, "IpPermissions.1.IpProtocol": "tcp", "IpPermissions.1.FromPort": str(1000 + i),
                           "IpPermissions.1.ToPort": str(1000 + i), "IpPermissions.1.IpRanges.1.CidrIp": "10.0.0.0/8"}
    for i, gid in enumerate(ids):
        timed(samples, "AuthorizeSecurityGroupIngress", raw.call, action="AuthorizeSecurityGroupIngress", **perm(gid, i))
    for gid in ids:
        timed(samples, "DescribeSecurityGroups(1 id)", raw.call, action="DescribeSecurityGroups", **{"GroupId.1": gid})
    for gid in ids:
        timed(samples, "DescribeSecurityGroupRules(group-id)", raw.call, action="DescribeSecurityGroupRules",
              **{"Filter.1.Name": "group-id", "Filter.1.Value.1": gid})
    for i, gid in enumerate(ids):
        timed(samples, "RevokeSecurityGroupIngress", raw.call, action="RevokeSecurityGroupIngress", **perm(gid, i))
    return samples


def summary(xs):
    xs = sorted(xs)
    p = lambda q: xs[min(len(xs) - 1, int(q * len(xs)))] * 1000
    return len(xs) / sum(xs), p(0.50), p(0.99)


def preload(endpoint, k, measured):
    """Creates k groups: first filling the measured region (us-east-1) up to the EC2 quota
    of 2,500 minus what the workload will add, then the other regions."""
    left = k
    for idx, region in enumerate(REGIONS):
        if left <= 0:
            break
        cap = 2499 - measured if idx == 0 else 2499
        raw = RawClient(endpoint, region)
        for i in range(min(left, cap)):
            raw.call("CreateSecurityGroup", GroupName=f"preload-{i}", GroupDescription="preload")
        left -= cap
    if left > 0:
        raise SystemExit(f"--preload {k} needs more than {len(REGIONS)} regions")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--groups", type=int, default=200)
    ap.add_argument("--preload", type=int, default=0)
    ap.add_argument("--bin", default="target/release/palisade" if os.path.exists("target/release/palisade") else "target/debug/palisade")
    ap.add_argument("--skip-moto", action="store_true")
    ap.add_argument("--raw", action="store_true", help="raw signed HTTP instead of boto3")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp()
    procs = []
    try:
        keys = os.path.join(tmp, "keys")
        with open(keys, "w") as f:
            f.write(f"{KEY} {SECRET} 123456789012\n")
        port = free_port()
        pal = subprocess.Popen([args.bin, "serve", "--listen", f"127.0.0.1:{port}", "--db", os.path.join(tmp, "bench.db"), "--keys", keys],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(pal)
        wait_port(port, pal)
        pal_ep = f"http://127.0.0.1:{port}"
        results = {}
        if args.preload:
            t0 = time.time()
            preload(pal_ep, args.preload, args.groups)
            print(f"preloaded {args.preload} groups into palisade in {time.time() - t0:.1f}s", file=sys.stderr)
        run = (lambda ep, tag: raw_workload(RawClient(ep), args.groups, tag)) if args.raw else \
            (lambda ep, tag: workload(client(ep), args.groups, tag))
        results["palisade"] = run(pal_ep, "p")
        if not args.skip_moto:
            mport = free_port()
            moto_bin = shutil.which("moto_server", path=os.path.dirname(sys.executable)) or "moto_server"
            moto = subprocess.Popen([moto_bin, "-H", "127.0.0.1", "-p", str(mport)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(moto)
            wait_port(mport, moto)
            results["moto"] = run(f"http://127.0.0.1:{mport}", "m")
        ops = list(results["palisade"])
        head = f"{'operation':40} " + " ".join(f"{name + ' calls/s':>16} {'p50 ms':>8} {'p99 ms':>8}" for name in results)
        print(head)
        print("-" * len(head))
        for op in ops + ["all"]:
            row = f"{op:40} "
            for name, samples in results.items():
                xs = sum(samples.values(), []) if op == "all" else samples[op]
                rate, p50, p99 = summary(xs)
                row += f"{rate:16.0f} {p50:8.2f} {p99:8.2f} "
            print(row)
        if "moto" in results:
            pr = summary(sum(results["palisade"].values(), []))[0]
            mr = summary(sum(results["moto"].values(), []))[0]
            print(f"\npalisade/moto calls/s: {pr / mr:.1f}x  (groups={args.groups}, preload={args.preload}, raw={args.raw}, bin={args.bin})")
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
