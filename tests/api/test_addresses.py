"""Interface addresses through boto3: secondary private IPv4 and IPv6 addresses on an
interface, a group that references its group, and the eval endpoint allowing traffic from the
secondary IPv4 and the IPv6 address (a group reference matches every private address of the
member interfaces), then denying once they are unassigned; plus their errors and their
persistence across a restart."""
import ipaddress
import os

import botocore.exceptions
import pytest

from conftest import KEY_A, Server, client, write_keys
from sign import evaluate


def dual_stack(ec2, cidr):
    """A VPC with an Amazon-provided /56 and a subnet holding its first /64."""
    vpc = ec2.create_vpc(CidrBlock=cidr, AmazonProvidedIpv6CidrBlock=True)["Vpc"]
    block = ipaddress.ip_network(vpc["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"])
    v64 = next(block.subnets(new_prefix=64))
    sub = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock=cidr.replace("0.0/16", "1.0/24"),
                            Ipv6CidrBlock=str(v64))["Subnet"]
    return vpc["VpcId"], sub["SubnetId"], v64


def code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_group_reference_follows_secondary_and_ipv6_addresses(ec2, endpoint, uniq):
    vpc, subnet, v64 = dual_stack(ec2, "10.231.0.0/16")
    app = ec2.create_security_group(GroupName=f"{uniq}-app", Description="app", VpcId=vpc)["GroupId"]
    db = ec2.create_security_group(GroupName=f"{uniq}-db", Description="db", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[dict(
        IpProtocol="tcp", FromPort=5432, ToPort=5432, UserIdGroupPairs=[{"GroupId": app}])])
    v6 = str(v64[0x10])
    app_eni = ec2.create_network_interface(
        SubnetId=subnet, Groups=[app],
        PrivateIpAddresses=[{"PrivateIpAddress": "10.231.1.10", "Primary": True},
                            {"PrivateIpAddress": "10.231.1.11", "Primary": False}],
        Ipv6Addresses=[{"Ipv6Address": v6}])["NetworkInterface"]
    assert app_eni["PrivateIpAddress"] == "10.231.1.10"
    assert [(p["PrivateIpAddress"], p["Primary"]) for p in app_eni["PrivateIpAddresses"]] == [
        ("10.231.1.10", True), ("10.231.1.11", False)]
    assert [a["Ipv6Address"] for a in app_eni["Ipv6Addresses"]] == [v6]
    app_id = app_eni["NetworkInterfaceId"]
    db_eni = ec2.create_network_interface(SubnetId=subnet, Groups=[db])["NetworkInterface"]["NetworkInterfaceId"]

    def verdict(remote):
        return evaluate(endpoint, KEY_A[0], KEY_A[1], interface=db_eni, direction="ingress",
                        remote=remote, protocol="tcp", port=5432)["verdict"]

    assert verdict("10.231.1.10") == "allow"
    assert verdict("10.231.1.11") == "allow", "a secondary address is a member's private address"
    assert verdict(v6) == "allow", "so is an IPv6 address"
    assert verdict("10.231.1.99") == "deny"

    described = ec2.describe_network_interfaces(NetworkInterfaceIds=[app_id])["NetworkInterfaces"][0]
    assert {p["PrivateIpAddress"] for p in described["PrivateIpAddresses"]} == {"10.231.1.10", "10.231.1.11"}
    assert described["Ipv6Addresses"][0]["Ipv6Address"] == v6

    ec2.unassign_private_ip_addresses(NetworkInterfaceId=app_id, PrivateIpAddresses=["10.231.1.11"])
    assert verdict("10.231.1.11") == "deny"
    assert ec2.unassign_ipv6_addresses(NetworkInterfaceId=app_id, Ipv6Addresses=[v6])["UnassignedIpv6Addresses"] == [v6]
    assert verdict(v6) == "deny"
    assert verdict("10.231.1.10") == "allow", "the primary stays"

    got = ec2.assign_private_ip_addresses(NetworkInterfaceId=app_id, SecondaryPrivateIpAddressCount=1)
    new_v4 = got["AssignedPrivateIpAddresses"][0]["PrivateIpAddress"]
    assert verdict(new_v4) == "allow"
    got = ec2.assign_ipv6_addresses(NetworkInterfaceId=app_id, Ipv6AddressCount=1)
    new_v6 = got["AssignedIpv6Addresses"][0]
    assert ipaddress.ip_address(new_v6) in v64
    assert verdict(new_v6) == "allow"


def test_address_errors(ec2, uniq):
    vpc, subnet, v64 = dual_stack(ec2, "10.232.0.0/16")
    plain = ec2.create_subnet(VpcId=vpc, CidrBlock="10.232.2.0/24")["Subnet"]["SubnetId"]
    eni = ec2.create_network_interface(SubnetId=subnet, PrivateIpAddress="10.232.1.10")["NetworkInterface"]
    cases = [
        (dict(SubnetId=subnet, PrivateIpAddress="10.232.1.10"), "InvalidIPAddress.InUse"),
        (dict(SubnetId=subnet, PrivateIpAddress="10.232.9.10"), "InvalidParameterValue"),
        (dict(SubnetId=plain, Ipv6AddressCount=1), "InvalidParameterValue"),
        (dict(SubnetId=subnet, Ipv6AddressCount=1, Ipv6Addresses=[{"Ipv6Address": str(v64[9])}]),
         "InvalidParameterCombination"),
        (dict(SubnetId=subnet, SecondaryPrivateIpAddressCount=50), "PrivateIpAddressLimitExceeded"),
    ]
    for params, expected in cases:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            ec2.create_network_interface(**params)
        assert code(e) == expected, params
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.unassign_private_ip_addresses(NetworkInterfaceId=eni["NetworkInterfaceId"],
                                          PrivateIpAddresses=["10.232.1.10"])
    assert code(e) == "InvalidParameterValue", "the primary address cannot be unassigned"
    other = list(ipaddress.ip_network(str(v64)).supernet(new_prefix=56).subnets(new_prefix=64))[1]
    assoc = ec2.associate_subnet_cidr_block(SubnetId=plain, Ipv6CidrBlock=str(other))
    assert assoc["Ipv6CidrBlockAssociation"]["Ipv6CidrBlock"] == str(other)
    made = ec2.create_network_interface(SubnetId=plain, Ipv6AddressCount=1)["NetworkInterface"]
    assert ipaddress.ip_address(made["Ipv6Addresses"][0]["Ipv6Address"]) in other


def test_run_instances_addresses(ec2):
    _, subnet, v64 = dual_stack(ec2, "10.233.0.0/16")
    inst = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, SubnetId=subnet,
                             PrivateIpAddress="10.233.1.50", Ipv6AddressCount=1)["Instances"][0]
    assert inst["PrivateIpAddress"] == "10.233.1.50"
    nic = inst["NetworkInterfaces"][0]
    assert ipaddress.ip_address(nic["Ipv6Addresses"][0]["Ipv6Address"]) in v64
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.run_instances(ImageId="ami-12345678", MinCount=2, MaxCount=2, SubnetId=subnet,
                          PrivateIpAddress="10.233.1.60")
    assert code(e) == "InvalidParameterCombination"


def test_addresses_survive_restart(tmp_path):
    keys = os.path.join(tmp_path, "keys")
    write_keys(keys)
    db = os.path.join(tmp_path, "addresses.db")
    server = Server(db, keys).start()
    try:
        ec2 = client(server.endpoint, KEY_A)
        _, subnet, _ = dual_stack(ec2, "10.234.0.0/16")
        eni = ec2.create_network_interface(SubnetId=subnet, SecondaryPrivateIpAddressCount=2,
                                           Ipv6AddressCount=1)["NetworkInterface"]["NetworkInterfaceId"]
        before = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]
    finally:
        server.stop()
    server = Server(db, keys).start()
    try:
        ec2 = client(server.endpoint, KEY_A)
        after = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]
        assert after["PrivateIpAddresses"] == before["PrivateIpAddresses"]
        assert after["Ipv6Addresses"] == before["Ipv6Addresses"]
        assert len(after["PrivateIpAddresses"]) == 3 and len(after["Ipv6Addresses"]) == 1
    finally:
        server.stop()
