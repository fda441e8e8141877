"""The Terraform suite: every configuration under tests/terraform/cases/ taken through
init -> apply -> plan (no drift) -> a change -> apply -> plan (no drift) -> destroy against a
running `palisade serve`, which must then hold nothing but what EC2 creates by itself.

Usage: run.py ENDPOINT KEYS_FILE [CASE ...]   (scripts/test.d/e2e-terraform.sh starts the
server). Each case runs in a region of its own (so cases may run side by side and their
leftovers cannot mix); the cross-account case's second account works in another region.
PALISADE_TF_JOBS (default 4) cases run at once. Prints one PASS/FAIL line a case, the
output of a failing step, and a closing "N passed, M failed in Ts" line.
"""
import concurrent.futures
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import boto3
import botocore.config

HERE = pathlib.Path(__file__).resolve().parent
# One region a case (index order), and the second account's region for each.
REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1",
    "eu-central-1", "ap-southeast-1", "ap-northeast-1", "eu-west-2", "ca-central-1",
    "sa-east-1", "ap-south-1",
]
# Distinct from REGIONS and from each other, so no case's leftover check sees another's.
PEER_REGIONS = [
    "eu-north-1", "ap-southeast-2", "eu-west-3", "ap-northeast-2", "ap-northeast-3",
    "ap-south-2", "eu-central-2", "eu-south-1", "ca-west-1", "ap-southeast-3",
    "me-central-1", "af-south-1",
]
STEP_TIMEOUT = 900


def read_keys(path):
    keys = []
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#"):
            key, secret, account = line.split()
            keys.append((key, secret, account))
    if len(keys) < 2:
        sys.exit(f"{path}: the suite needs two accounts' keys")
    return keys


def client(endpoint, key, region):
    return boto3.client(
        "ec2",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=key[0],
        aws_secret_access_key=key[1],
        config=botocore.config.Config(retries={"max_attempts": 1}),
    )


def leftovers(ec2):
    """What is left in one account/region beyond what EC2 creates by itself (the default
    VPC, its subnets, groups, gateway and route table, and AWS's prefix lists)."""
    left = []
    vpcs = ec2.describe_vpcs()["Vpcs"]
    default = {v["VpcId"] for v in vpcs if v.get("IsDefault")}
    left += [f"vpc {v['VpcId']}" for v in vpcs if v["VpcId"] not in default]
    left += [
        f"subnet {s['SubnetId']}"
        for s in ec2.describe_subnets()["Subnets"]
        if not s.get("DefaultForAz")
    ]
    left += [
        f"security group {g['GroupId']} ({g['GroupName']})"
        for g in ec2.describe_security_groups()["SecurityGroups"]
        if g["GroupName"] != "default"
    ]
    left += [
        f"network interface {e['NetworkInterfaceId']}"
        for e in ec2.describe_network_interfaces()["NetworkInterfaces"]
    ]
    for r in ec2.describe_instances()["Reservations"]:
        left += [
            f"instance {i['InstanceId']} ({i['State']['Name']})"
            for i in r["Instances"]
            if i["State"]["Name"] != "terminated"
        ]
    left += [
        f"address {a.get('AllocationId')} {a.get('PublicIp')}"
        for a in ec2.describe_addresses()["Addresses"]
    ]
    for g in ec2.describe_internet_gateways()["InternetGateways"]:
        if not any(a.get("VpcId") in default for a in g.get("Attachments", [])):
            left.append(f"internet gateway {g['InternetGatewayId']}")
    for t in ec2.describe_route_tables()["RouteTables"]:
        main = any(a.get("Main") for a in t.get("Associations", []))
        if t["VpcId"] not in default or not main:
            left.append(f"route table {t['RouteTableId']}")
    left += [
        f"prefix list {p['PrefixListId']} ({p['State']})"
        for p in ec2.describe_managed_prefix_lists()["PrefixLists"]
        if p["OwnerId"] != "AWS"
    ]
    live = {"initiating-request", "pending-acceptance", "provisioning", "active"}
    left += [
        f"peering {p['VpcPeeringConnectionId']} ({p['Status']['Code']})"
        for p in ec2.describe_vpc_peering_connections()["VpcPeeringConnections"]
        if p["Status"]["Code"] in live
    ]
    return left


def clip(text, head=6000, tail=4000):
    if len(text) <= head + tail:
        return text
    return f"{text[:head]}\n[... {len(text) - head - tail} characters ...]\n{text[-tail:]}"


class Failed(Exception):
    pass


def run_case(case, index, endpoint, keys, cli_config):
    if index >= len(REGIONS):
        raise SystemExit(f"{case.name}: more cases than regions in run.py")
    region = REGIONS[index]
    peer_region = PEER_REGIONS[index]
    work = pathlib.Path(tempfile.mkdtemp(prefix=f"tf-{case.name}-"))
    log = []
    first_failure = []  # the output of the step that failed first (destroy may fail too)
    started = time.monotonic()
    timings = []
    env = dict(os.environ, TF_CLI_CONFIG_FILE=str(cli_config), TF_IN_AUTOMATION="1",
               CHECKPOINT_DISABLE="1", TF_INPUT="0")
    env.pop("TF_LOG", None)
    try:
        for f in case.glob("*.tf"):
            shutil.copy(f, work / f.name)
        shutil.copy(HERE / "shared" / "providers.tf", work / "providers.tf")
        (work / "terraform.tfvars.json").write_text(json.dumps({
            "endpoint": endpoint, "region": region, "peer_region": peer_region,
            "access_key": keys[0][0], "secret_key": keys[0][1],
            "peer_access_key": keys[1][0], "peer_secret_key": keys[1][1],
        }))

        def tf(step, *args, expect=(0,)):
            t0 = time.monotonic()
            try:
                p = subprocess.run(["terraform", *args, "-no-color"], cwd=work, env=env,
                                   capture_output=True, text=True, timeout=STEP_TIMEOUT)
            except subprocess.TimeoutExpired as e:
                out = (e.stdout or b"")
                out = out.decode(errors="replace") if isinstance(out, bytes) else out
                log.append(f"--- {step}: timed out after {STEP_TIMEOUT} s\n{out}")
                raise Failed(f"{step}: timed out")
            timings.append(f"{step} {time.monotonic() - t0:.0f}s")
            log.append(f"--- {step} (exit {p.returncode})\n{p.stdout}{p.stderr}")
            if p.returncode not in expect:
                what = "drift: the plan is not empty" if p.returncode == 2 else f"exit {p.returncode}"
                first_failure.append(log[-1])
                raise Failed(f"{step}: {what}")

        tf("init", "init", "-input=false")
        applied = False
        try:
            for stage in (0, 1):
                var = f"-var=stage={stage}"
                tf(f"apply-{stage}", "apply", "-auto-approve", "-input=false", var)
                applied = True
                tf(f"plan-{stage}", "plan", "-detailed-exitcode", "-input=false", var)
        finally:
            if applied:
                tf("destroy", "destroy", "-auto-approve", "-input=false", "-var=stage=1")
        left = leftovers(client(endpoint, keys[0], region))
        left += [f"{x} (second account)" for x in leftovers(client(endpoint, keys[1], peer_region))]
        if left:
            raise Failed("destroy left resources behind: " + ", ".join(left))
        return case.name, True, time.monotonic() - started, " ".join(timings), ""
    except Exception as e:  # a failed case is reported with its log, never aborts the run
        detail = "\n".join(clip(s) for s in (first_failure[:2] or log[-1:]))
        return case.name, False, time.monotonic() - started, f"{e}", detail
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    endpoint, keys = sys.argv[1], read_keys(sys.argv[2])
    wanted = set(sys.argv[3:])
    cases = sorted(p for p in (HERE / "cases").iterdir() if p.is_dir())
    indexed = [(i, c) for i, c in enumerate(cases) if not wanted or c.name in wanted]
    if not indexed:
        sys.exit("no case matched")
    cli_config = pathlib.Path(tempfile.mkdtemp(prefix="tf-cli-")) / "cli.tfrc"
    mirror = os.environ.get("PALISADE_TF_MIRROR", "/opt/tf-plugins")
    cli_config.write_text(
        'provider_installation {\n  filesystem_mirror {\n    path = "%s"\n  }\n}\n' % mirror)
    jobs = int(os.environ.get("PALISADE_TF_JOBS", "4"))
    started = time.monotonic()
    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_case, c, i, endpoint, keys, cli_config) for i, c in indexed]
        for fut in concurrent.futures.as_completed(futures):
            name, ok, secs, what, detail = fut.result()
            if ok:
                passed += 1
                print(f"PASS {name} ({secs:.0f} s: {what})", flush=True)
            else:
                failed += 1
                print(f"FAIL {name} ({secs:.0f} s): {what}\n{detail}\n--- end of {name}",
                      flush=True)
    print(f"==== {passed} passed, {failed} failed in {time.monotonic() - started:.1f}s ====")
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()
