"""The seed's use cases (shared/USE-CASES.md), each built by API calls and checked by asking
the server's eval endpoint which flows pass and which do not."""
import pytest

from conftest import KEY_A
from sign import evaluate


def tcp(port, cidr=None, v6=None, group=None):
    perm = dict(IpProtocol="tcp", FromPort=port, ToPort=port)
    if cidr:
        perm["IpRanges"] = [{"CidrIp": cidr}]
    if v6:
        perm["Ipv6Ranges"] = [{"CidrIpv6": v6}]
    if group:
        perm["UserIdGroupPairs"] = [{"GroupId": group}]
    return perm


class Lab:
    """A VPC with IPv6 and one subnet; helpers to make groups and interfaces."""

    def __init__(self, ec2, endpoint, name, cidr):
        self.ec2, self.endpoint, self.name = ec2, endpoint, name
        self.vpc = ec2.create_vpc(CidrBlock=cidr, AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
        self.subnet = ec2.create_subnet(VpcId=self.vpc, CidrBlock=cidr.replace("0.0/16", "1.0/24"))["Subnet"]["SubnetId"]

    def group(self, suffix, ingress=(), egress=None):
        gid = self.ec2.create_security_group(GroupName=f"{self.name}-{suffix}", Description=suffix, VpcId=self.vpc)["GroupId"]
        if ingress:
            self.ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=list(ingress))
        if egress is not None:
            self.ec2.revoke_security_group_egress(GroupId=gid, IpPermissions=[
                dict(IpProtocol="-1", IpRanges=[{"CidrIp": "0.0.0.0/0"}], Ipv6Ranges=[{"CidrIpv6": "::/0"}])])
            if egress:
                self.ec2.authorize_security_group_egress(GroupId=gid, IpPermissions=list(egress))
        return gid

    def eni(self, *groups):
        e = self.ec2.create_network_interface(SubnetId=self.subnet, Groups=list(groups))["NetworkInterface"]
        return e["NetworkInterfaceId"], e["PrivateIpAddress"]

    def verdict(self, eni, remote, proto="tcp", port=None, direction="ingress", **icmp):
        ans = evaluate(self.endpoint, KEY_A[0], KEY_A[1], interface=eni, direction=direction, remote=remote,
                       protocol=proto, port=port, **icmp)
        return ans["verdict"]


@pytest.fixture
def lab(ec2, endpoint, uniq):
    n = abs(hash(uniq)) % 200 + 20
    return Lab(ec2, endpoint, uniq, f"10.{n}.0.0/16")


def test_1_web_server(lab):
    web = lab.group("web", [tcp(80, "0.0.0.0/0", "::/0"), tcp(443, "0.0.0.0/0", "::/0")])
    eni, _ = lab.eni(web)
    assert lab.verdict(eni, "198.51.100.1", port=443) == "allow"
    assert lab.verdict(eni, "2001:db8::1", port=80) == "allow"
    assert lab.verdict(eni, "198.51.100.1", port=22) == "deny"
    assert lab.verdict(eni, "198.51.100.1", proto="udp", port=443) == "deny"


def test_2_database_with_restricted_egress(lab):
    app = lab.group("app")
    db = lab.group("db", [tcp(p, group=app) for p in (1433, 3306, 5439, 5432, 1521)],
                   egress=[tcp(80, "0.0.0.0/0", "::/0"), tcp(443, "0.0.0.0/0", "::/0")])
    db_eni, _ = lab.eni(db)
    _, app_ip = lab.eni(app)
    for port in (1433, 3306, 5439, 5432, 1521):
        assert lab.verdict(db_eni, app_ip, port=port) == "allow"
    assert lab.verdict(db_eni, "10.250.0.9", port=3306) == "deny", "not a member of the app group"
    assert lab.verdict(db_eni, app_ip, port=6379) == "deny"
    assert lab.verdict(db_eni, "203.0.113.5", port=443, direction="egress") == "allow"
    assert lab.verdict(db_eni, "203.0.113.5", port=25, direction="egress") == "deny"


def test_3_ssh_and_rdp_from_your_network(lab):
    admin = lab.group("admin", [tcp(22, "203.0.113.0/24"), tcp(3389, "203.0.113.0/24")])
    eni, _ = lab.eni(admin)
    assert lab.verdict(eni, "203.0.113.9", port=22) == "allow"
    assert lab.verdict(eni, "203.0.113.9", port=3389) == "allow"
    assert lab.verdict(eni, "203.0.114.9", port=22) == "deny"


def test_4_same_group_members(lab, ec2):
    peer = lab.group("peer")
    ec2.authorize_security_group_ingress(GroupId=peer, IpPermissions=[dict(IpProtocol="-1", UserIdGroupPairs=[{"GroupId": peer}])])
    a, _ = lab.eni(peer)
    _, b_ip = lab.eni(peer)
    lonely = lab.group("lonely")
    _, c_ip = lab.eni(lonely)
    assert lab.verdict(a, b_ip, proto="udp", port=9999) == "allow"
    assert lab.verdict(a, c_ip, port=22) == "deny"


def test_5_ping(lab):
    ping = lab.group("ping", [dict(IpProtocol="icmp", FromPort=8, ToPort=-1, IpRanges=[{"CidrIp": "198.51.100.0/24"}]),
                              dict(IpProtocol="icmpv6", FromPort=128, ToPort=0, Ipv6Ranges=[{"CidrIpv6": "2001:db8::/32"}])])
    eni, _ = lab.eni(ping)
    assert lab.verdict(eni, "198.51.100.7", proto="icmp", icmp_type=8, icmp_code=0) == "allow"
    assert lab.verdict(eni, "198.51.100.7", proto="icmp", icmp_type=13, icmp_code=0) == "deny"
    assert lab.verdict(eni, "2001:db8::7", proto="icmpv6", icmp_type=128, icmp_code=0) == "allow"
    assert lab.verdict(eni, "2001:db9::7", proto="icmpv6", icmp_type=128, icmp_code=0) == "deny"


def test_6_dns(lab):
    dns = lab.group("dns", [tcp(53, "10.0.0.0/8"), dict(IpProtocol="udp", FromPort=53, ToPort=53, IpRanges=[{"CidrIp": "10.0.0.0/8"}])])
    eni, _ = lab.eni(dns)
    assert lab.verdict(eni, "10.9.9.9", proto="udp", port=53) == "allow"
    assert lab.verdict(eni, "10.9.9.9", port=53) == "allow"
    assert lab.verdict(eni, "11.9.9.9", proto="udp", port=53) == "deny"


def test_7_efs(lab):
    clients = lab.group("efs-clients", [tcp(22, "203.0.113.0/24")])
    mount = lab.group("efs-mount", [tcp(2049, group=clients)])
    target, _ = lab.eni(mount)
    client, client_ip = lab.eni(clients)
    assert lab.verdict(target, client_ip, port=2049) == "allow"
    assert lab.verdict(target, client_ip, port=2050) == "deny"
    assert lab.verdict(client, "203.0.113.50", port=22) == "allow"


def test_8_load_balancer(lab, ec2):
    lb = lab.group("lb", [tcp(443, "0.0.0.0/0")], egress=[])
    inst = lab.group("inst")
    ec2.authorize_security_group_egress(GroupId=lb, IpPermissions=[tcp(8080, group=inst), tcp(8081, group=inst)])
    ec2.authorize_security_group_ingress(GroupId=inst, IpPermissions=[tcp(8080, group=lb), tcp(8081, group=lb)])
    lb_eni, lb_ip = lab.eni(lb)
    inst_eni, inst_ip = lab.eni(inst)
    assert lab.verdict(lb_eni, "198.51.100.1", port=443) == "allow"
    assert lab.verdict(lb_eni, inst_ip, port=8080, direction="egress") == "allow"
    assert lab.verdict(lb_eni, inst_ip, port=22, direction="egress") == "deny"
    assert lab.verdict(inst_eni, lb_ip, port=8081) == "allow"
    assert lab.verdict(inst_eni, "198.51.100.1", port=8080) == "deny", "only through the load balancer"


def test_9_peering(ec2, endpoint, uniq):
    left = Lab(ec2, endpoint, uniq + "-l", "10.201.0.0/16")
    right = Lab(ec2, endpoint, uniq + "-r", "10.202.0.0/16")
    remote = right.group("remote")
    _, remote_ip = right.eni(remote)
    pcx = ec2.create_vpc_peering_connection(VpcId=left.vpc, PeerVpcId=right.vpc)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    local = left.group("local", [dict(IpProtocol="tcp", FromPort=443, ToPort=443,
                                      UserIdGroupPairs=[{"GroupId": remote, "VpcPeeringConnectionId": pcx}])])
    eni, _ = left.eni(local)
    assert left.verdict(eni, remote_ip, port=443) == "allow"
    ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    assert left.verdict(eni, remote_ip, port=443) == "deny", "a stale reference matches nothing"
