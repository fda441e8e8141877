"""What groups attach to: VPCs, subnets, interfaces, instances, peerings, prefix lists, tags."""
import botocore.exceptions
import pytest


def expect(code, fn, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(**kwargs)
    assert e.value.response["Error"]["Code"] == code, e.value.response["Error"]


@pytest.fixture
def vpc(ec2):
    return ec2.create_vpc(CidrBlock="10.20.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "lab"}]}])["Vpc"]


def test_default_vpc_layout(ec2):
    default = [v for v in ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]]
    assert len(default) == 1 and default[0]["CidrBlock"] == "172.31.0.0/16"
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [default[0]["VpcId"]]}])["Subnets"]
    assert sorted(s["CidrBlock"] for s in subnets) == ["172.31.0.0/20", "172.31.16.0/20", "172.31.32.0/20"]
    assert all(s["DefaultForAz"] for s in subnets)


def test_vpc_lifecycle(ec2, vpc):
    vid = vpc["VpcId"]
    assert vpc["CidrBlock"] == "10.20.0.0/16" and vpc["Tags"] == [{"Key": "Name", "Value": "lab"}]
    assert ec2.describe_vpcs(VpcIds=[vid])["Vpcs"][0]["State"] == "available"
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vid]}])["SecurityGroups"]
    assert [g["GroupName"] for g in groups] == ["default"]
    ec2.delete_vpc(VpcId=vid)
    expect("InvalidVpcID.NotFound", ec2.describe_vpcs, VpcIds=[vid])
    expect("InvalidVpc.Range", ec2.create_vpc, CidrBlock="10.0.0.0/8")


def test_vpc_with_ipv6(ec2):
    v = ec2.create_vpc(CidrBlock="10.21.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]
    assoc = v["Ipv6CidrBlockAssociationSet"][0]
    assert assoc["Ipv6CidrBlock"].endswith("/56") and assoc["Ipv6CidrBlockState"]["State"] == "associated"


def test_subnets(ec2, vpc):
    vid = vpc["VpcId"]
    s = ec2.create_subnet(VpcId=vid, CidrBlock="10.20.1.0/24", AvailabilityZone="us-east-1b")["Subnet"]
    assert (s["CidrBlock"], s["AvailabilityZone"], s["AvailableIpAddressCount"]) == ("10.20.1.0/24", "us-east-1b", 251)
    expect("InvalidSubnet.Conflict", ec2.create_subnet, VpcId=vid, CidrBlock="10.20.1.128/25")
    expect("InvalidSubnet.Range", ec2.create_subnet, VpcId=vid, CidrBlock="10.99.0.0/24")
    expect("InvalidVpcID.NotFound", ec2.create_subnet, VpcId="vpc-0000000000000beef", CidrBlock="10.0.0.0/24")
    expect("DependencyViolation", ec2.delete_vpc, VpcId=vid)
    assert ec2.describe_subnets(SubnetIds=[s["SubnetId"]])["Subnets"][0]["VpcId"] == vid
    ec2.delete_subnet(SubnetId=s["SubnetId"])
    expect("InvalidSubnetID.NotFound", ec2.describe_subnets, SubnetIds=[s["SubnetId"]])


def test_network_interfaces(ec2, vpc, uniq):
    vid = vpc["VpcId"]
    sn = ec2.create_subnet(VpcId=vid, CidrBlock="10.20.2.0/24")["Subnet"]["SubnetId"]
    groups = [ec2.create_security_group(GroupName=f"{uniq}-{n}", Description="d", VpcId=vid)["GroupId"] for n in range(6)]
    eni = ec2.create_network_interface(SubnetId=sn, Groups=groups[:2], Description="two groups")["NetworkInterface"]
    assert [g["GroupId"] for g in eni["Groups"]] == groups[:2]
    assert eni["PrivateIpAddress"] == "10.20.2.4" and eni["Status"] == "available"
    default = ec2.create_network_interface(SubnetId=sn)["NetworkInterface"]
    assert [g["GroupName"] for g in default["Groups"]] == ["default"]
    expect("SecurityGroupsPerInterfaceLimitExceeded", ec2.modify_network_interface_attribute,
           NetworkInterfaceId=eni["NetworkInterfaceId"], Groups=groups)
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni["NetworkInterfaceId"], Groups=groups[2:5])
    got = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni["NetworkInterfaceId"]])["NetworkInterfaces"][0]
    assert [g["GroupId"] for g in got["Groups"]] == groups[2:5], "the set is replaced, not appended"
    by_group = ec2.describe_network_interfaces(Filters=[{"Name": "group-id", "Values": [groups[3]]}])["NetworkInterfaces"]
    assert [e["NetworkInterfaceId"] for e in by_group] == [eni["NetworkInterfaceId"]]
    expect("DependencyViolation", ec2.delete_security_group, GroupId=groups[3])
    other_vpc = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["GroupId"]
    expect("InvalidParameter", ec2.modify_network_interface_attribute, NetworkInterfaceId=eni["NetworkInterfaceId"], Groups=[other_vpc])
    expect("InvalidGroup.NotFound", ec2.create_network_interface, SubnetId=sn, Groups=["sg-0000000000000beef"])
    ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    ec2.delete_network_interface(NetworkInterfaceId=default["NetworkInterfaceId"])
    expect("InvalidNetworkInterfaceID.NotFound", ec2.delete_network_interface, NetworkInterfaceId=eni["NetworkInterfaceId"])
    expect("InvalidNetworkInterfaceID.Malformed", ec2.delete_network_interface, NetworkInterfaceId="eni-x")


def test_instances(ec2, uniq):
    web = ec2.create_security_group(GroupName=uniq, Description="d")["GroupId"]
    ssh = ec2.create_security_group(GroupName=uniq + "-ssh", Description="d")["GroupId"]
    res = ec2.run_instances(ImageId="ami-12345678", MinCount=2, MaxCount=2, InstanceType="t3.micro", SecurityGroupIds=[web],
                            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "role", "Value": "web"}]}])
    ids = [i["InstanceId"] for i in res["Instances"]]
    assert len(ids) == 2 and all(i["State"]["Name"] == "pending" for i in res["Instances"])
    inst = ec2.describe_instances(InstanceIds=ids[:1])["Reservations"][0]["Instances"][0]
    assert [g["GroupId"] for g in inst["SecurityGroups"]] == [web]
    eni = inst["NetworkInterfaces"][0]["NetworkInterfaceId"]
    ec2.modify_instance_attribute(InstanceId=ids[0], Groups=[web, ssh])
    got = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]
    assert [g["GroupId"] for g in got["Groups"]] == [web, ssh], "the primary interface follows the instance"
    by_group = ec2.describe_instances(Filters=[{"Name": "instance.group-id", "Values": [ssh]}])["Reservations"]
    assert [r["Instances"][0]["InstanceId"] for r in by_group] == [ids[0]]
    subnet = inst["SubnetId"]
    via_nic = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, NetworkInterfaces=[
        {"DeviceIndex": 0, "SubnetId": subnet, "Groups": [ssh]}])["Instances"][0]
    assert [g["GroupId"] for g in via_nic["SecurityGroups"]] == [ssh]
    ids.append(via_nic["InstanceId"])
    defaulted = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)["Instances"][0]
    assert [g["GroupName"] for g in defaulted["SecurityGroups"]] == ["default"]
    expect("DependencyViolation", ec2.delete_security_group, GroupId=ssh)
    term = ec2.terminate_instances(InstanceIds=ids + [defaulted["InstanceId"]])["TerminatingInstances"]
    assert {t["CurrentState"]["Name"] for t in term} == {"shutting-down"}
    ec2.delete_security_group(GroupId=ssh)
    expect("InvalidInstanceID.NotFound", ec2.describe_instances, InstanceIds=["i-0000000000000beef"])
    expect("InvalidInstanceID.Malformed", ec2.terminate_instances, InstanceIds=["i-x"])


def test_peering(ec2):
    a = ec2.create_vpc(CidrBlock="10.31.0.0/16")["Vpc"]["VpcId"]
    b = ec2.create_vpc(CidrBlock="10.32.0.0/16")["Vpc"]["VpcId"]
    p = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"]
    assert p["Status"]["Code"] == "initiating-request"
    assert p["RequesterVpcInfo"]["VpcId"] == a and p["AccepterVpcInfo"]["CidrBlock"] == "10.32.0.0/16"
    pid = p["VpcPeeringConnectionId"]
    assert ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pid)["VpcPeeringConnection"]["Status"]["Code"] == "active"
    expect("InvalidStateTransition", ec2.accept_vpc_peering_connection, VpcPeeringConnectionId=pid)
    got = ec2.describe_vpc_peering_connections(Filters=[{"Name": "status-code", "Values": ["active"]},
                                                        {"Name": "requester-vpc-info.vpc-id", "Values": [a]}])["VpcPeeringConnections"]
    assert [x["VpcPeeringConnectionId"] for x in got] == [pid]
    ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pid)
    assert ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pid])["VpcPeeringConnections"][0]["Status"]["Code"] == "deleted"
    expect("InvalidVpcPeeringConnectionID.NotFound", ec2.delete_vpc_peering_connection, VpcPeeringConnectionId="pcx-0000000000000beef")


def test_prefix_lists(ec2, uniq):
    pl = ec2.create_managed_prefix_list(PrefixListName=uniq, AddressFamily="IPv4", MaxEntries=3,
                                        Entries=[{"Cidr": "198.51.100.7/24", "Description": "hq"}])["PrefixList"]
    pid = pl["PrefixListId"]
    assert (pl["MaxEntries"], pl["Version"], pl["AddressFamily"]) == (3, 1, "IPv4")
    ec2.modify_managed_prefix_list(PrefixListId=pid, CurrentVersion=1, AddEntries=[{"Cidr": "203.0.113.0/24"}])
    expect("PrefixListVersionMismatch", ec2.modify_managed_prefix_list, PrefixListId=pid, CurrentVersion=1, AddEntries=[{"Cidr": "192.0.2.0/24"}])
    entries = ec2.get_managed_prefix_list_entries(PrefixListId=pid)["Entries"]
    assert entries == [{"Cidr": "198.51.100.0/24", "Description": "hq"}, {"Cidr": "203.0.113.0/24"}]
    ec2.modify_managed_prefix_list(PrefixListId=pid, CurrentVersion=2, RemoveEntries=[{"Cidr": "203.0.113.0/24"}])
    assert ec2.describe_managed_prefix_lists(PrefixListIds=[pid])["PrefixLists"][0]["Version"] == 3
    # A rule referencing it weighs MaxEntries against the quota and makes its deletion fail.
    gid = ec2.create_security_group(GroupName=uniq, Description="d")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[dict(IpProtocol="tcp", FromPort=22, ToPort=22,
                                                                          PrefixListIds=[{"PrefixListId": pid}])])
    assert ec2.delete_managed_prefix_list(PrefixListId=pid)["PrefixList"]["State"] == "delete-in-progress"
    assert ec2.describe_managed_prefix_lists(PrefixListIds=[pid])["PrefixLists"][0]["State"] == "delete-failed"
    ec2.revoke_security_group_ingress(GroupId=gid, IpPermissions=[dict(IpProtocol="tcp", FromPort=22, ToPort=22,
                                                                       PrefixListIds=[{"PrefixListId": pid}])])
    ec2.delete_managed_prefix_list(PrefixListId=pid)
    expect("InvalidPrefixListID.NotFound", ec2.describe_managed_prefix_lists, PrefixListIds=[pid])


def test_tags(ec2, uniq):
    gid = ec2.create_security_group(GroupName=uniq, Description="d")["GroupId"]
    rid = ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[dict(IpProtocol="udp", FromPort=53, ToPort=53,
                                                                                IpRanges=[{"CidrIp": "10.0.0.0/8"}])])["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    ec2.create_tags(Resources=[gid, rid], Tags=[{"Key": "env", "Value": "prod"}, {"Key": "owner", "Value": uniq}])
    tags = ec2.describe_tags(Filters=[{"Name": "value", "Values": [uniq]}])["Tags"]
    assert sorted((t["ResourceId"], t["ResourceType"]) for t in tags) == sorted([(gid, "security-group"), (rid, "security-group-rule")])
    by_tag = ec2.describe_security_group_rules(Filters=[{"Name": "tag:owner", "Values": [uniq]}])["SecurityGroupRules"]
    assert [r["SecurityGroupRuleId"] for r in by_tag] == [rid]
    ec2.delete_tags(Resources=[gid], Tags=[{"Key": "owner", "Value": "someone-else"}])
    assert len(ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [gid]}])["Tags"]) == 2
    ec2.delete_tags(Resources=[gid], Tags=[{"Key": "owner"}])
    assert [t["Key"] for t in ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [gid]}])["Tags"]] == ["env"]
    expect("InvalidGroup.NotFound", ec2.create_tags, Resources=["sg-0000000000000beef"], Tags=[{"Key": "a", "Value": "b"}])
    expect("InvalidAction", ec2.describe_volumes)
