#!/usr/bin/env python3
"""Writes the seed corpora of fuzz/corpus/: for query_decode, the form bodies botocore
serialises for the calls the client suites (tests/api/) make; for describe_import, the
example snapshot (examples/snapshot/) as separate and as merged documents; for trace_lines,
the README's and the unit tests' event lines over the example snapshot's interfaces.
Needs botocore (the .venv of scripts/test.d/setup-python.sh has it). sigv4_verify's inputs
are `arbitrary` structures, seeded by fuzzing rather than by hand. Idempotent.
"""
import hashlib
import json
import pathlib
import urllib.parse

import botocore.session
from botocore.serialize import create_serializer

ROOT = pathlib.Path(__file__).resolve().parent
CORPUS = ROOT / "corpus"
EXAMPLES = ROOT.parent / "examples" / "snapshot"


def write(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    path = CORPUS / target / f"seed-{name}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def tcp(port, cidr="0.0.0.0/0", **extra):
    return dict(IpProtocol="tcp", FromPort=port, ToPort=port, IpRanges=[dict(CidrIp=cidr, **extra)])


SG = "sg-0b2c3d4e5f6071829"
CALLS = [
    ("AuthorizeSecurityGroupIngress", "authorize-ingress", dict(GroupId=SG, IpPermissions=[
        tcp(22, "203.0.113.0/24", Description="ssh from the office"),
        dict(IpProtocol="tcp", FromPort=80, ToPort=443, Ipv6Ranges=[dict(CidrIpv6="::/0")]),
        dict(IpProtocol="-1", UserIdGroupPairs=[dict(GroupId="sg-0718293a4b5c6d7e8", UserId="123456789012",
                                                     Description="cluster")]),
        dict(IpProtocol="udp", FromPort=53, ToPort=53, PrefixListIds=[dict(PrefixListId="pl-0a1b2c3d4e5f60718")]),
        dict(IpProtocol="icmp", FromPort=8, ToPort=-1, IpRanges=[dict(CidrIp="10.0.0.0/16")]),
        dict(IpProtocol="icmpv6", FromPort=-1, ToPort=-1, Ipv6Ranges=[dict(CidrIpv6="2001:db8::/32")]),
        dict(IpProtocol="47", IpRanges=[dict(CidrIp="192.0.2.1/32")]),
    ], TagSpecifications=[dict(ResourceType="security-group-rule", Tags=[dict(Key="Name", Value="web")])])),
    ("AuthorizeSecurityGroupIngress", "authorize-ingress-legacy",
     dict(GroupName="web", IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp="0.0.0.0/0")),
    ("AuthorizeSecurityGroupIngress", "authorize-ingress-legacy-group",
     dict(GroupName="web", SourceSecurityGroupName="default", SourceSecurityGroupOwnerId="123456789012")),
    ("AuthorizeSecurityGroupEgress", "authorize-egress", dict(GroupId=SG, IpPermissions=[
        tcp(5432, "10.0.2.0/24"), dict(IpProtocol="tcp", FromPort=443, ToPort=443,
                                       UserIdGroupPairs=[dict(GroupId="sg-0a1b2c3d4e5f60718", VpcId="vpc-0a1b2c3d",
                                                              VpcPeeringConnectionId="pcx-0a1b2c3d")])])),
    ("RevokeSecurityGroupIngress", "revoke-ingress", dict(GroupId=SG, IpPermissions=[tcp(22, "203.0.113.0/24")])),
    ("RevokeSecurityGroupEgress", "revoke-egress-ids",
     dict(GroupId=SG, SecurityGroupRuleIds=["sgr-0123456789abcdef0"])),
    ("DescribeSecurityGroups", "describe-groups", dict(
        GroupIds=[SG, "sg-0a1b2c3d4e5f60718"], MaxResults=5, NextToken="pal1.sg-0a1b2c3d4e5f60718",
        Filters=[dict(Name="ip-permission.from-port", Values=["22", "8*"]),
                 dict(Name="egress.ip-permission.cidr", Values=["10.0.?.0/24"]),
                 dict(Name="tag:Name", Values=["web*"]), dict(Name="group-name", Values=["shop-*"]),
                 dict(Name="ip-permission.group-id", Values=["sg-*"])])),
    ("DescribeSecurityGroupRules", "describe-rules", dict(
        Filters=[dict(Name="group-id", Values=[SG]), dict(Name="tag-key", Values=["Name"])], MaxResults=100)),
    ("ModifySecurityGroupRules", "modify-rules", dict(GroupId=SG, SecurityGroupRules=[
        dict(SecurityGroupRuleId="sgr-0123456789abcdef0",
             SecurityGroupRule=dict(IpProtocol="tcp", FromPort=22, ToPort=22, CidrIpv4="198.51.100.0/24",
                                    Description="moved")),
        dict(SecurityGroupRuleId="sgr-0123456789abcdef1",
             SecurityGroupRule=dict(IpProtocol="-1", ReferencedGroupId="sg-0718293a4b5c6d7e8")),
    ])),
    ("UpdateSecurityGroupRuleDescriptionsIngress", "rule-descriptions", dict(
        GroupId=SG, SecurityGroupRuleDescriptions=[dict(SecurityGroupRuleId="sgr-0123456789abcdef0",
                                                        Description="ssh")])),
    ("CreateSecurityGroup", "create-group", dict(GroupName="web", Description="web servers", VpcId="vpc-0a1b2c3d",
        TagSpecifications=[dict(ResourceType="security-group", Tags=[dict(Key="Name", Value="web")])], DryRun=True)),
    ("CreateNetworkInterface", "create-eni", dict(SubnetId="subnet-0a1b2c3d", Groups=[SG],
        PrivateIpAddresses=[dict(PrivateIpAddress="10.0.1.10", Primary=True), dict(PrivateIpAddress="10.0.1.11")],
        Ipv6Addresses=[dict(Ipv6Address="2001:db8:1234:1a01::10")])),
    ("CreateNetworkInterface", "create-eni-counts", dict(SubnetId="subnet-0a1b2c3d",
        SecondaryPrivateIpAddressCount=2, Ipv6AddressCount=1, PrivateIpAddress="10.0.1.12")),
    ("RunInstances", "run-instances", dict(ImageId="ami-12345678", MinCount=1, MaxCount=1, NetworkInterfaces=[
        dict(DeviceIndex=0, SubnetId="subnet-0a1b2c3d", Groups=[SG], PrivateIpAddresses=[
            dict(PrivateIpAddress="10.0.1.20", Primary=True)], Ipv6AddressCount=1)])),
    ("RunInstances", "run-instances-top", dict(ImageId="ami-12345678", MinCount=1, MaxCount=1,
        SubnetId="subnet-0a1b2c3d", SecurityGroupIds=[SG], PrivateIpAddress="10.0.1.21",
        Ipv6Addresses=[dict(Ipv6Address="2001:db8:1234:1a01::21")])),
    ("AssignPrivateIpAddresses", "assign-private", dict(NetworkInterfaceId="eni-0b22c33d44e55f662",
        PrivateIpAddresses=["10.0.1.30", "10.0.1.31"])),
    ("AssignIpv6Addresses", "assign-ipv6", dict(NetworkInterfaceId="eni-0b22c33d44e55f662", Ipv6AddressCount=2)),
    ("DescribeNetworkInterfaces", "describe-enis", dict(NetworkInterfaceIds=["eni-0b22c33d44e55f662"],
        Filters=[dict(Name="group-id", Values=[SG])])),
    ("DeleteSecurityGroup", "delete-group", dict(GroupId=SG)),
]


def query_seeds():
    model = botocore.session.get_session().get_service_model("ec2")
    serializer = create_serializer("ec2")
    for action, name, params in CALLS:
        request = serializer.serialize_to_request(params, model.operation_model(action))
        write("query_decode", name, urllib.parse.urlencode(request["body"]))


def describe_seeds():
    docs = sorted(EXAMPLES.glob("*.json"))
    for doc in docs:
        write("describe_import", doc.stem, doc.read_bytes())
    merged = {}
    for doc in docs:
        merged.update(json.loads(doc.read_text()))
    write("describe_import", "merged", json.dumps(merged, separators=(",", ":")))
    # Several documents in one input, split at NUL as the target does.
    small = [EXAMPLES / "describe-vpcs.json", EXAMPLES / "describe-vpc-peering-connections.json",
             EXAMPLES / "describe-managed-prefix-lists.json"]
    write("describe_import", "split", b"\0".join(p.read_bytes() for p in small))


IN = '"interface":"eni-0b22c33d44e55f662","direction":"ingress"'
OUT = '"interface":"eni-0b22c33d44e55f662","direction":"egress"'
TRACES = {
    "readme": [
        '{"t":0,"interface":"eni-0e55f66a77b88c995","direction":"ingress","protocol":"tcp","src":"198.51.100.7","src_port":51514,"dst":"10.0.0.20","dst_port":22,"tcp_flags":"S"}',
        '{"t":2,"action":"revoke-ingress","group_id":"sg-0e5f60718293a4b5c","ip_permissions":[{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"IpRanges":[{"CidrIp":"198.51.100.0/24"}]}]}',
        '{"t":3,"interface":"eni-0e55f66a77b88c995","direction":"ingress","protocol":"tcp","src":"198.51.100.7","src_port":51514,"dst":"10.0.0.20","dst_port":22}',
    ],
    "web-handshake": [
        '{"t":0,' + IN + ',"protocol":"tcp","src":"203.0.113.9","src_port":5000,"dst":"10.0.1.10","dst_port":80,"tcp_flags":"S"}',
        '{"t":0.5,' + OUT + ',"protocol":"tcp","src":"10.0.1.10","src_port":80,"dst":"203.0.113.9","dst_port":5000,"tcp_flags":"SA"}',
        '{"t":1,' + IN + ',"protocol":"tcp","src":"203.0.113.9","src_port":5000,"dst":"10.0.1.10","dst_port":80,"tcp_flags":"PA"}',
        '{"t":2,' + IN + ',"protocol":"tcp","src":"203.0.113.9","src_port":5000,"dst":"10.0.1.10","dst_port":80,"tcp_flags":"FA"}',
        '{"t":3,' + OUT + ',"protocol":"tcp","src":"10.0.1.10","src_port":80,"dst":"203.0.113.9","dst_port":5000,"tcp_flags":"R"}',
    ],
    "authorize-ipv6-udp": [
        '{"t":0,"action":"authorize-ingress","group_id":"sg-0b2c3d4e5f6071829","ip_permissions":[{"IpProtocol":"udp","FromPort":53,"ToPort":53,"Ipv6Ranges":[{"CidrIpv6":"::/0"}]}]}',
        '{"t":1,' + IN + ',"protocol":"udp","src":"2001:db8::1","src_port":5353,"dst":"2001:db8:1234:1a01::10","dst_port":53}',
        '{"t":1.5,' + OUT + ',"protocol":17,"src":"2001:db8:1234:1a01::10","src_port":53,"dst":"2001:db8::1","dst_port":5353}',
    ],
    "icmp": [
        '{"t":0,"interface":"eni-0e55f66a77b88c995","direction":"egress","protocol":"icmp","src":"10.0.0.20","dst":"198.51.100.7","icmp_type":8}',
        '{"t":29.999,"interface":"eni-0e55f66a77b88c995","direction":"ingress","protocol":"icmp","src":"198.51.100.7","dst":"10.0.0.20","icmp_type":0}',
        '{"t":60,"interface":"eni-0e55f66a77b88c995","direction":"ingress","protocol":"ICMPv6","src":"2001:db8::7","dst":"2001:db8:1234:1a00::20","icmp_type":128,"icmp_code":0}',
        '{"t":61,"interface":"eni-0e55f66a77b88c995","direction":"ingress","protocol":"icmp","src":"198.51.100.7","dst":"10.0.0.20","icmp_type":3,"icmp_code":4}',
    ],
    "limit-and-other": [
        '{"t":0,"action":"set-conntrack-limit","limit":1}',
        '{"t":0,' + IN + ',"protocol":"tcp","src":"10.0.1.12","src_port":1,"dst":"10.0.1.10","dst_port":8080,"tcp_flags":"S"}',
        '{"t":1,' + IN + ',"protocol":"tcp","src":"10.0.1.12","src_port":2,"dst":"10.0.1.10","dst_port":8080,"tcp_flags":"S"}',
        '{"t":2,' + IN + ',"protocol":"47","src":"10.0.1.12","dst":"10.0.1.10"}',
        '{"t":3,"action":"revoke-egress","group_id":"sg-0b2c3d4e5f6071829","ip_permissions":{"IpProtocol":"-1","IpRanges":[{"CidrIp":"0.0.0.0/0"}]}}',
        '{"t":400,' + OUT + ',"protocol":"tcp","src":"10.0.1.10","src_port":8080,"dst":"10.0.1.12","dst_port":1,"tcp_flags":"A"}',
    ],
    "errors": [
        '{"t":1,"src_prot":2}',
        '{"t":-1,"action":"revoke-egress"}',
        '{"t":1,' + IN + ',"protocol":"udp","src":"203.0.113.9","dst":"10.0.1.10","dst_port":22}',
        '{"t":1,' + OUT + ',"protocol":"tcp","src":"10.0.1.10","src_port":1,"dst":"::1","dst_port":22,"tcp_flags":"SF"}',
        '{"t":1,"action":"authorize-egress","group_id":"sg-00000009","ip_permissions":[]}',
    ],
}


def trace_seeds():
    for name, lines in TRACES.items():
        write("trace_lines", name, "\n".join(lines) + "\n")


if __name__ == "__main__":
    query_seeds()
    describe_seeds()
    trace_seeds()
    for target in sorted(p.name for p in CORPUS.iterdir()):
        files = list((CORPUS / target).iterdir())
        print(f"{target}: {len(files)} files, {sum(f.stat().st_size for f in files)} bytes")
