"""Fixtures for the lab suite: one `palisade serve --lab` (its own namespace prefix, lab
directory and SQLite file), boto3 against it, and traffic probes run inside the lab's
namespaces with `palisade lab exec`.

Only namespaces the lab creates carry traffic; the suite never touches the host's network.
Without root (or without nft / ip) every test is skipped, visibly; with CI set they fail.
"""
import os
import pathlib
import random
import shutil
import subprocess
import tempfile
import time

import boto3
import botocore.config
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("PALISADE_BIN", str(ROOT / "target" / "debug" / "palisade"))
PROBE = str(ROOT / "crates" / "palisade-dataplane" / "tests" / "it" / "probe.py")
REGION = "us-east-1"
KEY = ("AKIDLABACCOUNT00001", "secret-lab-account", "333333333333")
KEY_B = ("AKIDLABACCOUNT00002", "secret-lab-account-b", "444444444444")
INTERNET_V4 = "198.18.0.10"
INTERNET_V6 = "2001:db8:ffff::10"


def usable():
    if os.geteuid() != 0:
        return "not running as root"
    for tool in ("ip", "nft", "ping", "curl"):
        if shutil.which(tool) is None:
            return f"{tool} is missing (scripts/test.d/setup-dataplane.sh installs it)"
    return None


class Lab:
    def __init__(self, prefix=None, tmp=None, flow_log_interval=2):
        self.tmp = tmp or tempfile.mkdtemp(prefix="palisade-lab-")
        self.dir = os.path.join(self.tmp, "lab")
        self.prefix = prefix or f"plt{os.getpid() % 100000}"
        self.servers = []
        keys = os.path.join(self.tmp, "keys")
        with open(keys, "w") as f:
            for k in (KEY, KEY_B):
                f.write(" ".join(k) + "\n")
        quotas = os.path.join(self.tmp, "quotas")
        with open(quotas, "w") as f:
            f.write("vpcs_per_region = 100\n")
        self.err = open(os.path.join(self.tmp, "server.log"), "a")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--listen", "127.0.0.1:0", "--db", os.path.join(self.tmp, "db"),
             "--keys", keys, "--quotas", quotas, "--lab", "--lab-dir", self.dir,
             "--lab-prefix", self.prefix, "--lab-flow-log-interval", str(flow_log_interval)],
            stdout=subprocess.PIPE, stderr=self.err, text=True,
            env={**os.environ, "RUST_LOG": "info"})
        self.endpoint = None
        for line in self.proc.stdout:
            if line.startswith("listening on "):
                self.endpoint = line.split()[-1]
                break
        if self.endpoint is None:
            raise RuntimeError(f"palisade serve --lab exited with {self.proc.wait()}: "
                               + open(os.path.join(self.tmp, "server.log")).read())
        self.ec2 = self.client(KEY)
        self.ec2_b = self.client(KEY_B)

    def client(self, key):
        return boto3.client(
            "ec2", endpoint_url=self.endpoint, region_name=REGION,
            aws_access_key_id=key[0], aws_secret_access_key=key[1],
            config=botocore.config.Config(retries={"max_attempts": 1}))

    # --- commands inside the lab ------------------------------------------------------

    def cmd(self, target, *args):
        return [BIN, "lab", "--lab-dir", self.dir, "exec", target, "--", *args]

    def run(self, target, *args, timeout=20):
        return subprocess.run(self.cmd(target, *args), capture_output=True, text=True,
                              timeout=timeout)

    def wait_wired(self, instance_id, timeout=10):
        """Until the lab lists the instance (its namespace is up and enforced)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.run(instance_id, "true").returncode == 0:
                return
            time.sleep(0.05)
        raise AssertionError(f"{instance_id} never came up in the lab")

    def serve(self, target, *specs):
        """Start the probe's servers (tcp:PORT, udp:PORT) inside `target`."""
        p = subprocess.Popen(self.cmd(target, "python3", PROBE, "serve", *specs),
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert p.stdout.readline().strip() == "ready", f"probe server in {target}"
        self.servers.append(p)
        return p

    def probe(self, target, kind, addr, port=None, timeout=1.5):
        """True when the probe gets through: tcp/udp echo, http 200, or a ping reply."""
        if kind == "ping":
            args = ["ping", "-c", "1", "-W", str(max(1, int(timeout))), addr]
        else:
            args = ["python3", PROBE, kind, addr, str(port), str(timeout)]
        return self.run(target, *args).returncode == 0

    def eventually(self, target, kind, addr, port=None, want=True, within=3.0):
        """True when the probe gives `want` within `within` seconds (enforcement follows
        an API call shortly)."""
        deadline = time.time() + within
        while True:
            if self.probe(target, kind, addr, port, timeout=0.5) == want:
                return True
            if time.time() > deadline:
                return False
            time.sleep(0.05)

    def why(self, src, dst, traffic, *flags):
        return subprocess.run(
            [BIN, "lab", "--lab-dir", self.dir, "why", src, dst, traffic, *flags],
            capture_output=True, text=True, timeout=20)

    # --- EC2 helpers ------------------------------------------------------------------

    def group(self, name, vpc, ingress=(), egress=None, ec2=None):
        ec2 = ec2 or self.ec2
        gid = ec2.create_security_group(GroupName=f"{name}-{random.randrange(1 << 30)}",
                                        Description=name, VpcId=vpc)["GroupId"]
        if ingress:
            ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=list(ingress))
        if egress is not None:
            ec2.revoke_security_group_egress(GroupId=gid, IpPermissions=[
                {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
            if egress:
                ec2.authorize_security_group_egress(GroupId=gid, IpPermissions=list(egress))
        return gid

    def launch(self, subnet, groups, ipv6=0, user_data=None, name=None, ec2=None,
               private_ip=None):
        ec2 = ec2 or self.ec2
        kw = dict(ImageId="ami-12345678", MinCount=1, MaxCount=1, SubnetId=subnet,
                  SecurityGroupIds=list(groups))
        if ipv6:
            kw["Ipv6AddressCount"] = ipv6
        if user_data:
            kw["UserData"] = user_data
        if private_ip:
            kw["PrivateIpAddress"] = private_ip
        if name:
            kw["TagSpecifications"] = [{"ResourceType": "instance",
                                        "Tags": [{"Key": "Name", "Value": name}]}]
        inst = ec2.run_instances(**kw)["Instances"][0]
        self.wait_wired(inst["InstanceId"])
        eni = ec2.describe_network_interfaces(NetworkInterfaceIds=[
            inst["NetworkInterfaces"][0]["NetworkInterfaceId"]])["NetworkInterfaces"][0]
        inst["v4"] = eni["PrivateIpAddress"]
        inst["v6"] = [a["Ipv6Address"] for a in eni.get("Ipv6Addresses", [])]
        inst["public"] = eni.get("Association", {}).get("PublicIp")
        return inst

    def public_vpc(self, cidr="10.0.0.0/16", ec2=None, gateway=True):
        """A VPC with an Amazon IPv6 block, one dual-stack subnet that maps public
        addresses, an internet gateway and routes 0.0.0.0/0 and ::/0 to it."""
        ec2 = ec2 or self.ec2
        vpc = ec2.create_vpc(CidrBlock=cidr, AmazonProvidedIpv6CidrBlock=True)["Vpc"]
        vid = vpc["VpcId"]
        v6 = ec2.describe_vpcs(VpcIds=[vid])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0][
            "Ipv6CidrBlock"]
        sub_v6 = v6.replace("::/56", "::/64")
        base = cidr.split("/")[0].rsplit(".", 2)[0]
        sub = ec2.create_subnet(VpcId=vid, CidrBlock=f"{base}.1.0/24",
                                Ipv6CidrBlock=sub_v6)["Subnet"]["SubnetId"]
        ec2.modify_subnet_attribute(SubnetId=sub, MapPublicIpOnLaunch={"Value": True})
        rt = ec2.create_route_table(VpcId=vid)["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=rt, SubnetId=sub)
        if gateway:
            igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
            ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vid)
            ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
            ec2.create_route(RouteTableId=rt, DestinationIpv6CidrBlock="::/0", GatewayId=igw)
        return {"vpc": vid, "subnet": sub, "rt": rt, "cidr": cidr, "v6": v6}

    def close(self):
        for p in self.servers:
            p.kill()
            p.wait()
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.err.close()


@pytest.fixture(scope="session")
def lab():
    reason = usable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but the lab suite cannot run: {reason}")
        pytest.skip(f"SKIP lab suite: {reason}")
    lab = Lab()
    yield lab
    lab.close()
    left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert f"{lab.prefix}-" not in left, f"the lab left namespaces behind:\n{left}"
    if not os.environ.get("PALISADE_LAB_KEEP"):
        shutil.rmtree(lab.tmp, ignore_errors=True)
    else:
        print(f"lab files kept in {lab.tmp}")
