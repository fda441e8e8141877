"""The use cases of the EC2 page "Security group rules for different use cases", checked
with real TCP, UDP, ICMP and ICMPv6 between instances launched through the API and run by
`palisade serve --lab` as network namespaces (see conftest.py)."""
import os
import random
import subprocess
import time

import pytest

from conftest import BIN, INTERNET_V4, INTERNET_V6

ANY4 = [{"CidrIp": "0.0.0.0/0"}]
ANY6 = [{"CidrIpv6": "::/0"}]


def tcp(port, v4=ANY4, v6=None, groups=None):
    p = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    if v4:
        p["IpRanges"] = v4
    if v6:
        p["Ipv6Ranges"] = v6
    if groups:
        p["UserIdGroupPairs"] = [{"GroupId": g} for g in groups]
    return p


@pytest.fixture(scope="module")
def net(lab):
    """One public VPC shared by the tests of this module; the internet namespace serves
    tcp 80 and 25 (for egress checks)."""
    n = lab.public_vpc("10.20.0.0/16")
    lab.serve("internet", "tcp:80", "tcp:25")
    return n


def test_web_server_from_the_internet_on_80_and_443_ipv4_and_ipv6(lab, net):
    web = lab.group("web", net["vpc"], ingress=[
        tcp(80, ANY4, ANY6), tcp(443, ANY4, ANY6)])
    inst = lab.launch(net["subnet"], [web], ipv6=1, name="web1")
    lab.serve(inst["InstanceId"], "tcp:80", "tcp:443", "tcp:22")
    pub, v6 = inst["public"], inst["v6"][0]
    assert pub, "the subnet maps a public address"
    for port in (80, 443):
        assert lab.probe("internet", "tcp", pub, port), f"internet -> {pub}:{port}"
        assert lab.probe("internet", "tcp", v6, port), f"internet -> [{v6}]:{port}"
    assert not lab.probe("internet", "tcp", pub, 22)
    assert not lab.probe("internet", "tcp", v6, 22)
    assert not lab.probe("internet", "ping", pub)
    # The private address is not reachable from the internet at all.
    assert not lab.probe("internet", "tcp", inst["v4"], 80)


def test_no_public_address_or_no_route_means_no_internet(lab):
    # Same groups, but the subnet has no route to the gateway: the reply has no way back.
    n = lab.public_vpc("10.21.0.0/16")
    web = lab.group("web", n["vpc"], ingress=[tcp(80, ANY4, ANY6)])
    lab.ec2.delete_route(RouteTableId=n["rt"], DestinationCidrBlock="0.0.0.0/0")
    lab.ec2.delete_route(RouteTableId=n["rt"], DestinationIpv6CidrBlock="::/0")
    inst = lab.launch(n["subnet"], [web], ipv6=1)
    lab.serve(inst["InstanceId"], "tcp:80")
    assert not lab.probe("internet", "tcp", inst["public"], 80)
    assert not lab.probe("internet", "tcp", inst["v6"][0], 80)
    lab.ec2.create_route(RouteTableId=n["rt"], DestinationCidrBlock="0.0.0.0/0",
                         GatewayId=gateway_of(lab, n["vpc"]))
    assert lab.eventually("internet", "tcp", inst["public"], 80)


def gateway_of(lab, vpc):
    igws = lab.ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}])["InternetGateways"]
    return igws[0]["InternetGatewayId"]


def test_database_only_from_the_web_group_and_its_egress_limited(lab, net):
    web = lab.group("web", net["vpc"])
    db = lab.group("db", net["vpc"], ingress=[tcp(5432, v4=None, groups=[web])],
                   egress=[tcp(80), tcp(443)])
    other = lab.group("other", net["vpc"])
    insts = [("web", web), ("db", db), ("other", other)]
    random.shuffle(insts)  # launch order must not matter
    by = {name: lab.launch(net["subnet"], [g]) for name, g in insts}
    lab.serve(by["db"]["InstanceId"], "tcp:5432")
    dbip = by["db"]["v4"]
    assert lab.probe(by["web"]["InstanceId"], "tcp", dbip, 5432)
    assert not lab.probe(by["other"]["InstanceId"], "tcp", dbip, 5432)
    assert not lab.probe("internet", "tcp", by["db"]["public"], 5432)
    # Egress: 80 to the internet passes, 25 does not.
    assert lab.probe(by["db"]["InstanceId"], "tcp", INTERNET_V4, 80)
    assert not lab.probe(by["db"]["InstanceId"], "tcp", INTERNET_V4, 25)
    why = lab.why(by["other"]["InstanceId"], by["db"]["InstanceId"], "tcp/5432")
    assert why.returncode == 1, why.stdout + why.stderr
    assert f"dropped at {by['db']['NetworkInterfaces'][0]['NetworkInterfaceId']} ingress" in why.stdout
    assert db in why.stdout
    ok = lab.why(by["web"]["InstanceId"], by["db"]["InstanceId"], "tcp/5432")
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_ssh_from_a_cidr_only(lab, net):
    ssh = lab.group("ssh", net["vpc"], ingress=[tcp(22, [{"CidrIp": "198.18.0.0/24"}])])
    inst = lab.launch(net["subnet"], [ssh])
    lab.serve(inst["InstanceId"], "tcp:22", "tcp:3389")
    assert lab.probe("internet", "tcp", inst["public"], 22)
    assert not lab.probe("internet", "tcp", inst["public"], 3389)
    lab.ec2.revoke_security_group_ingress(GroupId=ssh, IpPermissions=[
        tcp(22, [{"CidrIp": "198.18.0.0/24"}])])
    lab.ec2.authorize_security_group_ingress(GroupId=ssh, IpPermissions=[
        tcp(3389, [{"CidrIp": "203.0.113.0/24"}])])
    assert lab.eventually("internet", "tcp", inst["public"], 22, want=False)
    assert not lab.probe("internet", "tcp", inst["public"], 3389)


def test_same_group_blocked_until_the_self_reference_exists(lab, net):
    g = lab.group("peers", net["vpc"])
    a = lab.launch(net["subnet"], [g])
    b = lab.launch(net["subnet"], [g])
    lab.serve(b["InstanceId"], "tcp:7000", "udp:7001")
    # Same subnet: still filtered (no bridge bypass).
    assert not lab.probe(a["InstanceId"], "tcp", b["v4"], 7000)
    assert not lab.probe(a["InstanceId"], "udp", b["v4"], 7001)
    lab.ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=[
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": g}]}])
    assert lab.eventually(a["InstanceId"], "tcp", b["v4"], 7000)
    assert lab.probe(a["InstanceId"], "udp", b["v4"], 7001)


def test_ping_and_ping6(lab, net):
    g = lab.group("ping", net["vpc"], ingress=[
        {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "IpRanges": ANY4},
        {"IpProtocol": "icmpv6", "FromPort": 128, "ToPort": -1, "Ipv6Ranges": ANY6}])
    inst = lab.launch(net["subnet"], [g], ipv6=1)
    assert lab.probe("internet", "ping", inst["public"])
    assert lab.probe("internet", "ping", inst["v6"][0])
    plain = lab.launch(net["subnet"], [lab.group("noping", net["vpc"])], ipv6=1)
    assert not lab.probe("internet", "ping", plain["public"])
    assert not lab.probe("internet", "ping", plain["v6"][0])


def test_dns_over_tcp_and_udp_from_the_vpc(lab, net):
    dns = lab.group("dns", net["vpc"], ingress=[
        {"IpProtocol": "tcp", "FromPort": 53, "ToPort": 53,
         "IpRanges": [{"CidrIp": net["cidr"]}]},
        {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53,
         "IpRanges": [{"CidrIp": net["cidr"]}]}])
    server = lab.launch(net["subnet"], [dns])
    client = lab.launch(net["subnet"], [lab.group("client", net["vpc"])])
    lab.serve(server["InstanceId"], "tcp:53", "udp:53")
    assert lab.probe(client["InstanceId"], "tcp", server["v4"], 53)
    assert lab.probe(client["InstanceId"], "udp", server["v4"], 53)
    assert not lab.probe("internet", "udp", server["public"], 53)


def test_efs_from_a_group(lab, net):
    clients = lab.group("efs-clients", net["vpc"])
    efs = lab.group("efs", net["vpc"], ingress=[tcp(2049, v4=None, groups=[clients])])
    target = lab.launch(net["subnet"], [efs])
    c = lab.launch(net["subnet"], [clients])
    stranger = lab.launch(net["subnet"], [lab.group("stranger", net["vpc"])])
    lab.serve(target["InstanceId"], "tcp:2049")
    assert lab.probe(c["InstanceId"], "tcp", target["v4"], 2049)
    assert not lab.probe(stranger["InstanceId"], "tcp", target["v4"], 2049)


def test_load_balancer_and_instance_groups(lab, net):
    lb = lab.group("lb", net["vpc"], ingress=[tcp(80)], egress=[])
    app = lab.group("app", net["vpc"], ingress=[tcp(8080, v4=None, groups=[lb])])
    lab.ec2.authorize_security_group_egress(GroupId=lb, IpPermissions=[
        tcp(8080, v4=None, groups=[app])])
    lbi = lab.launch(net["subnet"], [lb])
    appi = lab.launch(net["subnet"], [app])
    lab.serve(lbi["InstanceId"], "tcp:80")
    lab.serve(appi["InstanceId"], "tcp:8080")
    assert lab.probe("internet", "tcp", lbi["public"], 80)
    assert lab.probe(lbi["InstanceId"], "tcp", appi["v4"], 8080)
    assert not lab.probe("internet", "tcp", appi["public"], 8080)


def test_group_in_a_peered_vpc_needs_routes_on_both_sides(lab):
    a = lab.public_vpc("10.30.0.0/16", gateway=False)
    b = lab.public_vpc("10.31.0.0/16", gateway=False)
    pcx = lab.ec2.create_vpc_peering_connection(VpcId=a["vpc"], PeerVpcId=b["vpc"])[
        "VpcPeeringConnection"]["VpcPeeringConnectionId"]
    lab.ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    client_g = lab.group("peer-client", a["vpc"])
    server_g = lab.group("peer-server", b["vpc"], ingress=[tcp(5432, v4=None, groups=[client_g])])
    client = lab.launch(a["subnet"], [client_g])
    server = lab.launch(b["subnet"], [server_g])
    lab.serve(server["InstanceId"], "tcp:5432")
    assert not lab.probe(client["InstanceId"], "tcp", server["v4"], 5432), "no routes yet"
    lab.ec2.create_route(RouteTableId=a["rt"], DestinationCidrBlock=b["cidr"],
                         VpcPeeringConnectionId=pcx)
    # One side only: the request gets there, the reply has no way back.
    assert not lab.probe(client["InstanceId"], "tcp", server["v4"], 5432)
    lab.ec2.create_route(RouteTableId=b["rt"], DestinationCidrBlock=a["cidr"],
                         VpcPeeringConnectionId=pcx)
    assert lab.eventually(client["InstanceId"], "tcp", server["v4"], 5432)
    # The reference admits the group's members only.
    other = lab.launch(a["subnet"], [lab.group("peer-other", a["vpc"])])
    assert not lab.probe(other["InstanceId"], "tcp", server["v4"], 5432)


def test_rules_empty_rules_blink_never_lets_a_packet_through(lab, net):
    rule = tcp(9000, [{"CidrIp": "198.18.0.0/16"}])
    g = lab.group("blink", net["vpc"], ingress=[rule])
    inst = lab.launch(net["subnet"], [g])
    lab.serve(inst["InstanceId"], "tcp:9000")
    for _ in range(3):
        lab.ec2.revoke_security_group_ingress(GroupId=g, IpPermissions=[rule])
        assert lab.eventually("internet", "tcp", inst["public"], 9000, want=False)
        for _ in range(3):
            assert not lab.probe("internet", "tcp", inst["public"], 9000, timeout=0.3)
        lab.ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=[rule])
        assert lab.eventually("internet", "tcp", inst["public"], 9000)


def stream(lab, target, addr, port):
    p = subprocess.Popen(lab.cmd(target, "python3", lab_probe(), "stream", addr, str(port)),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "connected"
    lab.servers.append(p)

    def exchange():
        p.stdin.write("msg\n")
        p.stdin.flush()
        return p.stdout.readline().strip() == "ok"
    return exchange


def lab_probe():
    from conftest import PROBE
    return PROBE


def test_tracked_connection_outlives_its_rule_untracked_one_does_not(lab, net):
    # Tracked: a rule from one CIDR. EC2 keeps the established connection after revoke.
    tracked_rule = tcp(7100, [{"CidrIp": "10.20.0.0/16"}])
    g = lab.group("tracked", net["vpc"], ingress=[tracked_rule])
    server = lab.launch(net["subnet"], [g])
    client = lab.launch(net["subnet"], [lab.group("tclient", net["vpc"])])
    lab.serve(server["InstanceId"], "tcp:7100")
    ex = stream(lab, client["InstanceId"], server["v4"], 7100)
    assert ex()
    lab.ec2.revoke_security_group_ingress(GroupId=g, IpPermissions=[tracked_rule])
    assert lab.eventually(client["InstanceId"], "tcp", server["v4"], 7100, want=False)
    assert ex(), "a tracked connection survives the revoke"

    # Untracked: all TCP from anywhere in and out. Revoking cuts it at once.
    everything = {"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535,
                  "IpRanges": ANY4, "Ipv6Ranges": ANY6}
    u = lab.group("untracked", net["vpc"], ingress=[everything], egress=[everything])
    userver = lab.launch(net["subnet"], [u])
    lab.serve(userver["InstanceId"], "tcp:7200")
    ex2 = stream(lab, client["InstanceId"], userver["v4"], 7200)
    assert ex2()
    lab.ec2.revoke_security_group_ingress(GroupId=u, IpPermissions=[everything])
    assert lab.eventually(client["InstanceId"], "tcp", userver["v4"], 7200, want=False)
    assert not ex2(), "an untracked flow stops with its rule"


def test_user_data_starts_a_web_server(lab, net):
    g = lab.group("ud", net["vpc"], ingress=[tcp(8081)])
    script = "#!/bin/sh\ncd /tmp && exec python3 -m http.server 8081 --bind ::\n"
    # boto3 base64-encodes UserData itself, as the aws CLI does.
    inst = lab.launch(net["subnet"], [g], user_data=script)
    assert lab.eventually("internet", "http", inst["public"], 8081, within=10)


def test_exec_by_name_and_terminate_removes_the_namespace(lab, net):
    g = lab.group("named", net["vpc"])
    inst = lab.launch(net["subnet"], [g], name=f"named-{random.randrange(1 << 20)}")
    name = inst["Tags"][0]["Value"] if inst.get("Tags") else None
    out = lab.run(name or inst["InstanceId"], "ip", "-br", "addr")
    assert inst["v4"] in out.stdout, out.stdout + out.stderr
    ns = f"{lab.prefix}-{inst['InstanceId']}"
    assert ns in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    lab.ec2.terminate_instances(InstanceIds=[inst["InstanceId"]])
    deadline = time.time() + 5
    while ns in subprocess.run(["ip", "netns", "list"], capture_output=True,
                               text=True).stdout:
        assert time.time() < deadline, f"{ns} still exists after TerminateInstances"
        time.sleep(0.05)


def test_the_lab_refuses_to_start_without_nftables(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("SKIP: needs root to get as far as the nftables check")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("id", "ip"):
        os.symlink(subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True,
                                  text=True).stdout.strip(), bindir / tool)
    r = subprocess.run([BIN, "serve", "--listen", "127.0.0.1:0", "--db",
                        str(tmp_path / "db"), "--lab", "--lab-dir", str(tmp_path / "lab"),
                        "--lab-prefix", "plrefuse"],
                       capture_output=True, text=True, timeout=20,
                       env={"PATH": str(bindir)})
    assert r.returncode == 2, r.stdout + r.stderr
    assert "nft" in r.stderr and "missing" in r.stderr, r.stderr


def netns_list():
    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout


def test_a_start_after_a_crash_clears_and_rebuilds_the_lab(lab):
    from conftest import Lab
    prefix = f"pltc{os.getpid() % 10000}"
    first = Lab(prefix=prefix)
    second = None
    try:
        n = first.public_vpc("10.50.0.0/16")
        g = first.group("crash", n["vpc"], ingress=[tcp(80)])
        inst = first.launch(n["subnet"], [g])
        first.serve(inst["InstanceId"], "tcp:80")
        assert first.probe("internet", "tcp", inst["public"], 80)
        first.proc.kill()  # kill -9: nothing is cleaned up
        first.proc.wait()
        ns = f"{prefix}-{inst['InstanceId']}"
        assert ns in netns_list()
        # The same database and prefix: the old namespaces (and the probe server in one)
        # go, and the instance, still running in the store, is wired again from scratch.
        second = Lab(prefix=prefix, tmp=first.tmp)
        second.wait_wired(inst["InstanceId"])
        assert not second.probe("internet", "tcp", inst["public"], 80), "old server is gone"
        second.serve(inst["InstanceId"], "tcp:80")
        assert second.probe("internet", "tcp", inst["public"], 80)
    finally:
        for p in first.servers:
            p.kill()
        if second:
            second.close()
        first.err.close()
    assert f"{prefix}-" not in netns_list()


def test_elastic_ip_and_a_second_interface_with_its_own_groups(lab, net):
    web = lab.group("eip-web", net["vpc"], ingress=[tcp(80)])
    inst = lab.launch(net["subnet"], [web])
    iid = inst["InstanceId"]
    lab.serve(iid, "tcp:80", "tcp:5432")
    # An Elastic IP replaces the auto-assigned address; the gateway follows.
    alloc = lab.ec2.allocate_address(Domain="vpc")
    lab.ec2.associate_address(AllocationId=alloc["AllocationId"], InstanceId=iid)
    assert lab.eventually("internet", "tcp", alloc["PublicIp"], 80)
    assert lab.eventually("internet", "tcp", inst["public"], 80, want=False)
    # A second interface, in the same subnet, with a group that admits 5432 only: eth1.
    db = lab.group("eip-db", net["vpc"], ingress=[tcp(5432, [{"CidrIp": net["cidr"]}])])
    eni = lab.ec2.create_network_interface(SubnetId=net["subnet"], Groups=[db])[
        "NetworkInterface"]
    lab.ec2.attach_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"],
                                     InstanceId=iid, DeviceIndex=1)
    client = lab.launch(net["subnet"], [lab.group("eip-client", net["vpc"])])
    second = eni["PrivateIpAddress"]
    assert lab.eventually(client["InstanceId"], "tcp", second, 5432, within=5)
    assert not lab.probe(client["InstanceId"], "tcp", second, 80), "eth1 has its own groups"
    assert lab.probe(client["InstanceId"], "tcp", inst["v4"], 80)
    assert not lab.probe(client["InstanceId"], "tcp", inst["v4"], 5432)
    out = lab.run(iid, "ip", "-br", "addr", "show", "eth1")
    assert second in out.stdout, out.stdout + out.stderr
    lab.ec2.detach_network_interface(AttachmentId=lab.ec2.describe_network_interfaces(
        NetworkInterfaceIds=[eni["NetworkInterfaceId"]])["NetworkInterfaces"][0][
        "Attachment"]["AttachmentId"])
    assert lab.eventually(client["InstanceId"], "tcp", second, 5432, want=False)


def test_group_reference_across_accounts_through_a_peering(lab):
    from conftest import KEY, KEY_B
    a = lab.public_vpc("10.60.0.0/16", gateway=False)
    b = lab.public_vpc("10.61.0.0/16", ec2=lab.ec2_b, gateway=False)
    pcx = lab.ec2.create_vpc_peering_connection(
        VpcId=a["vpc"], PeerVpcId=b["vpc"], PeerOwnerId=KEY_B[2])[
        "VpcPeeringConnection"]["VpcPeeringConnectionId"]
    lab.ec2_b.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    lab.ec2.create_route(RouteTableId=a["rt"], DestinationCidrBlock=b["cidr"],
                         VpcPeeringConnectionId=pcx)
    lab.ec2_b.create_route(RouteTableId=b["rt"], DestinationCidrBlock=a["cidr"],
                           VpcPeeringConnectionId=pcx)
    app = lab.group("xacct-app", a["vpc"])
    db = lab.group("xacct-db", b["vpc"], ec2=lab.ec2_b, ingress=[{
        "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
        "UserIdGroupPairs": [{"GroupId": app, "UserId": KEY[2],
                              "VpcPeeringConnectionId": pcx}]}])
    client = lab.launch(a["subnet"], [app])
    other = lab.launch(a["subnet"], [lab.group("xacct-other", a["vpc"])])
    server = lab.launch(b["subnet"], [db], ec2=lab.ec2_b)
    lab.serve(server["InstanceId"], "tcp:5432")
    assert lab.eventually(client["InstanceId"], "tcp", server["v4"], 5432)
    assert not lab.probe(other["InstanceId"], "tcp", server["v4"], 5432)


def forwarded(lab, instance_id):
    """IP datagrams the instance's namespace has forwarded (`Ip: ForwDatagrams`)."""
    out = lab.run(instance_id, "cat", "/proc/net/snmp").stdout.splitlines()
    names, values = [line.split() for line in out if line.startswith("Ip:")][:2]
    return int(values[names.index("ForwDatagrams")])


def test_middlebox_route_more_specific_than_local_and_source_dest_check(lab):
    # Subnets a and b route each other's block (more specific than the VPC's local route)
    # to appliance c in a third subnet. On EC2 a group reference does not admit traffic a
    # middlebox forwards (USE-CASES "middlebox"); a CIDR rule does; with its
    # source/destination check on, the appliance forwards nothing.
    ec2 = lab.ec2
    vpc = ec2.create_vpc(CidrBlock="10.41.0.0/16")["Vpc"]["VpcId"]
    sa, sb, sc = (ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.41.{i}.0/24")["Subnet"]["SubnetId"]
                  for i in (1, 2, 3))
    ga = lab.group("mb-a", vpc)
    gb = lab.group("mb-b", vpc, ingress=[tcp(80, v4=None, groups=[ga])])
    gc = lab.group("mb-appliance", vpc, ingress=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.41.0.0/16"}]}])
    a = lab.launch(sa, [ga])
    b = lab.launch(sb, [gb])
    c = lab.launch(sc, [gc])
    a_id, c_id = a["InstanceId"], c["InstanceId"]
    lab.serve(b["InstanceId"], "tcp:80")
    assert lab.probe(a_id, "tcp", b["v4"], 80), "directly, the reference to a's group admits a"

    c_eni = c["NetworkInterfaces"][0]["NetworkInterfaceId"]
    # Only a subnet's whole block, only towards an interface or instance.
    with pytest.raises(ec2.exceptions.ClientError) as e:
        ec2.create_route(RouteTableId=ec2.create_route_table(VpcId=vpc)["RouteTable"][
            "RouteTableId"], DestinationCidrBlock="10.41.2.0/25", NetworkInterfaceId=c_eni)
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    for subnet, other in ((sa, "10.41.2.0/24"), (sb, "10.41.1.0/24")):
        rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=rt, SubnetId=subnet)
        ec2.create_route(RouteTableId=rt, DestinationCidrBlock=other, NetworkInterfaceId=c_eni)
    cidr_a = tcp(80, [{"CidrIp": a["v4"] + "/32"}])
    ec2.authorize_security_group_ingress(GroupId=gb, IpPermissions=[cidr_a])

    # Source/destination check on (the default): the appliance drops what is not its own.
    assert lab.eventually(a_id, "tcp", b["v4"], 80, want=False)
    assert not lab.probe(a_id, "tcp", b["v4"], 80)
    assert forwarded(lab, c_id) == 0

    # Off: a's traffic passes c, and b's CIDR rule for a's address admits it.
    ec2.modify_instance_attribute(InstanceId=c_id, SourceDestCheck={"Value": False})
    assert lab.eventually(a_id, "tcp", b["v4"], 80), "forwarded by c, allowed by the CIDR rule"
    assert forwarded(lab, c_id) > 0, "the traffic went through the appliance"
    # Without the CIDR rule only the reference to a's group is left: it does not admit
    # what c forwards.
    ec2.revoke_security_group_ingress(GroupId=gb, IpPermissions=[cidr_a])
    assert lab.eventually(a_id, "tcp", b["v4"], 80, want=False)
    assert not lab.probe(a_id, "tcp", b["v4"], 80), "the reference does not admit forwarded traffic"
    # The appliance's own groups judge the hop too: without its ingress rule, nothing
    # reaches it to forward.
    ec2.authorize_security_group_ingress(GroupId=gb, IpPermissions=[cidr_a])
    assert lab.eventually(a_id, "tcp", b["v4"], 80)
    ec2.revoke_security_group_ingress(GroupId=gc, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.41.0.0/16"}]}])
    assert lab.eventually(a_id, "tcp", b["v4"], 80, want=False)
    ec2.authorize_security_group_ingress(GroupId=gc, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.41.0.0/16"}]}])
    assert lab.eventually(a_id, "tcp", b["v4"], 80)

    # On again: the appliance stops forwarding.
    ec2.modify_instance_attribute(InstanceId=c_id, SourceDestCheck={"Value": True})
    assert lab.eventually(a_id, "tcp", b["v4"], 80, want=False)
    before = forwarded(lab, c_id)
    assert not lab.probe(a_id, "tcp", b["v4"], 80)
    assert forwarded(lab, c_id) == before


def router_timeouts(lab, vpc, proto, addr, port):
    """The remaining timeouts (seconds) of the router's conntrack entries to addr:port."""
    out = subprocess.run(
        ["ip", "netns", "exec", f"{lab.prefix}-{vpc}", "conntrack", "-L", "-p", proto,
         "--dst", addr, "--dport", str(port)], capture_output=True, text=True).stdout
    return [int(line.split()[2]) for line in out.splitlines() if line.strip()]


def test_interface_conntrack_timeouts_reach_the_router(lab, net):
    if subprocess.run(["which", "conntrack"], capture_output=True).returncode != 0:
        if os.environ.get("CI"):
            pytest.fail("conntrack is missing")
        pytest.skip("SKIP: conntrack (conntrack-tools) is missing")
    g = lab.group("ct", net["vpc"], ingress=[
        tcp(7300, [{"CidrIp": "10.20.0.0/16"}]),
        {"IpProtocol": "udp", "FromPort": 7301, "ToPort": 7301,
         "IpRanges": [{"CidrIp": "10.20.0.0/16"}]}])
    client = lab.launch(net["subnet"], [lab.group("ct-client", net["vpc"])])
    server = lab.launch(net["subnet"], [g])
    lab.serve(server["InstanceId"], "tcp:7300", "udp:7301")
    cid, addr = client["InstanceId"], server["v4"]

    # EC2's defaults: UDP 30 s, TCP established 5 days.
    assert lab.probe(cid, "udp", addr, 7301)
    assert 0 < max(router_timeouts(lab, net["vpc"], "udp", addr, 7301)) <= 30

    eni = server["NetworkInterfaces"][0]["NetworkInterfaceId"]
    lab.ec2.modify_network_interface_attribute(
        NetworkInterfaceId=eni,
        ConnectionTrackingSpecification={"UdpTimeout": 60, "TcpEstablishedTimeout": 120})
    got = lab.ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])[
        "NetworkInterfaces"][0]["ConnectionTrackingConfiguration"]
    assert got == {"TcpEstablishedTimeout": 120, "UdpStreamTimeout": 180, "UdpTimeout": 60}
    with pytest.raises(lab.ec2.exceptions.ClientError) as e:
        lab.ec2.modify_network_interface_attribute(
            NetworkInterfaceId=eni, ConnectionTrackingSpecification={"UdpTimeout": 61})
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"

    # A new flow to the interface gets its timeouts (a flow's first packet sets them).
    deadline = time.time() + 5
    while True:
        assert lab.probe(cid, "udp", addr, 7301)
        if max(router_timeouts(lab, net["vpc"], "udp", addr, 7301)) > 30:
            break
        assert time.time() < deadline, "the interface's UdpTimeout never reached the router"
        time.sleep(0.1)
    assert max(router_timeouts(lab, net["vpc"], "udp", addr, 7301)) <= 60
    ex = stream(lab, cid, addr, 7300)
    assert ex()
    established = router_timeouts(lab, net["vpc"], "tcp", addr, 7300)
    assert established and 0 < max(established) <= 120, established


def test_conntrack_timeouts_given_at_launch_and_on_create(lab, net):
    if subprocess.run(["which", "conntrack"], capture_output=True).returncode != 0:
        pytest.skip("SKIP: conntrack (conntrack-tools) is missing")
    spec = {"UdpTimeout": 50, "UdpStreamTimeout": 90}
    eni = lab.ec2.create_network_interface(SubnetId=net["subnet"],
                                           ConnectionTrackingSpecification=spec)
    got = eni["NetworkInterface"]["ConnectionTrackingConfiguration"]
    assert got == {"TcpEstablishedTimeout": 432000, **spec}
    lab.ec2.delete_network_interface(
        NetworkInterfaceId=eni["NetworkInterface"]["NetworkInterfaceId"])

    g = lab.group("ct-launch", net["vpc"], ingress=[
        {"IpProtocol": "udp", "FromPort": 7302, "ToPort": 7302,
         "IpRanges": [{"CidrIp": "10.20.0.0/16"}]}])
    inst = lab.ec2.run_instances(
        ImageId="ami-12345678", MinCount=1, MaxCount=1,
        NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": net["subnet"], "Groups": [g],
                            "ConnectionTrackingSpecification": spec}])["Instances"][0]
    sid = inst["InstanceId"]
    lab.wait_wired(sid)
    addr = inst["PrivateIpAddress"]
    client = lab.launch(net["subnet"], [lab.group("ct-launch-client", net["vpc"])])
    lab.serve(sid, "udp:7302")
    assert lab.probe(client["InstanceId"], "udp", addr, 7302)
    left = max(router_timeouts(lab, net["vpc"], "udp", addr, 7302))
    assert 30 < left <= 50, left


def test_middlebox_over_ipv6(lab):
    # The same topology with IPv6 only in the rules: subnet blocks /64 of the VPC's /56.
    ec2 = lab.ec2
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"][
        "VpcId"]
    v6 = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0][
        "Ipv6CidrBlock"]
    prefix = v6.split("::/")[0].rsplit(":", 1)[0] + ":"
    base = int(v6.split("::/")[0].rsplit(":", 1)[1] or "0", 16)
    blocks = [f"{prefix}{base + i:x}::/64" for i in (1, 2, 3)]
    sa, sb, sc = (ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24",
                                    Ipv6CidrBlock=blocks[i - 1])["Subnet"]["SubnetId"]
                  for i in (1, 2, 3))
    ga = lab.group("mb6-a", vpc)
    gb = lab.group("mb6-b", vpc, ingress=[tcp(80, v4=None, groups=[ga])])
    gc = lab.group("mb6-appliance", vpc, ingress=[
        {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": v6}]}])
    a = lab.launch(sa, [ga], ipv6=1)
    b = lab.launch(sb, [gb], ipv6=1)
    c = lab.launch(sc, [gc], ipv6=1)
    a_id, b6 = a["InstanceId"], b["v6"][0]
    lab.serve(b["InstanceId"], "tcp:80")
    assert lab.probe(a_id, "tcp", b6, 80), "directly, the reference admits a"
    c_eni = c["NetworkInterfaces"][0]["NetworkInterfaceId"]
    for subnet, other in ((sa, blocks[1]), (sb, blocks[0])):
        rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=rt, SubnetId=subnet)
        ec2.create_route(RouteTableId=rt, DestinationIpv6CidrBlock=other,
                         NetworkInterfaceId=c_eni)
    assert lab.eventually(a_id, "tcp", b6, 80, want=False), "check on: not forwarded"
    ec2.modify_network_interface_attribute(NetworkInterfaceId=c_eni,
                                           SourceDestCheck={"Value": False})
    cidr_a = tcp(80, v4=None, v6=[{"CidrIpv6": a["v6"][0] + "/128"}])
    ec2.authorize_security_group_ingress(GroupId=gb, IpPermissions=[cidr_a])
    assert lab.eventually(a_id, "tcp", b6, 80), "forwarded by c, allowed by the CIDR rule"
    snmp6 = dict(line.split() for line in lab.run(c["InstanceId"], "cat", "/proc/net/snmp6")
                 .stdout.splitlines() if line.strip())
    assert int(snmp6["Ip6OutForwDatagrams"]) > 0, "the traffic went through the appliance"
    ec2.revoke_security_group_ingress(GroupId=gb, IpPermissions=[cidr_a])
    assert lab.eventually(a_id, "tcp", b6, 80, want=False)
    assert not lab.probe(a_id, "tcp", b6, 80), "the reference does not admit forwarded traffic"
