"""VPC peering across accounts and regions, AWS-managed and customer prefix lists, and the
legacy `tag-value` filter, through boto3 and the aws CLI."""
import boto3
import botocore.config
import botocore.exceptions
import pytest

from conftest import KEY_A, KEY_B


def expect(code, fn, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(**kwargs)
    assert e.value.response["Error"]["Code"] == code, e.value.response["Error"]
    return e.value.response["Error"]["Message"]


def regional(endpoint, key, region):
    return boto3.client(
        "ec2", endpoint_url=endpoint, region_name=region,
        aws_access_key_id=key[0], aws_secret_access_key=key[1],
        config=botocore.config.Config(retries={"max_attempts": 1}))


def test_cross_account_cross_region_peering(endpoint, ec2):
    west_b = regional(endpoint, KEY_B, "eu-west-1")
    a = ec2.create_vpc(CidrBlock="10.41.0.0/16")["Vpc"]["VpcId"]
    b = west_b.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    p = ec2.create_vpc_peering_connection(
        VpcId=a, PeerVpcId=b, PeerOwnerId=KEY_B[2], PeerRegion="eu-west-1",
        TagSpecifications=[{"ResourceType": "vpc-peering-connection",
                            "Tags": [{"Key": "Name", "Value": "a-b"}]}])["VpcPeeringConnection"]
    assert p["Status"] == {"Code": "initiating-request", "Message": f"Initiating Request to {KEY_B[2]}"}
    assert (p["AccepterVpcInfo"]["Region"], p["RequesterVpcInfo"]["Region"]) == ("eu-west-1", "us-east-1")
    assert p["AccepterVpcInfo"]["CidrBlockSet"] == [{"CidrBlock": "10.42.0.0/16"}]
    pid = p["VpcPeeringConnectionId"]
    seen = west_b.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pid])["VpcPeeringConnections"][0]
    assert seen["Status"] == {"Code": "pending-acceptance", "Message": f"Pending Acceptance by {KEY_B[2]}"}
    assert "ExpirationTime" in seen and seen.get("Tags", []) == []
    expect("OperationNotPermitted", ec2.accept_vpc_peering_connection, VpcPeeringConnectionId=pid)
    west_b.get_waiter("vpc_peering_connection_exists").wait(VpcPeeringConnectionIds=[pid])
    assert west_b.accept_vpc_peering_connection(VpcPeeringConnectionId=pid)["VpcPeeringConnection"]["Status"]["Code"] == "active"
    got = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pid])["VpcPeeringConnections"][0]
    assert got["AccepterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"] is False
    out = ec2.modify_vpc_peering_connection_options(
        VpcPeeringConnectionId=pid,
        RequesterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True})
    assert out["RequesterPeeringConnectionOptions"]["AllowDnsResolutionFromRemoteVpc"] is True
    expect("OperationNotPermitted", ec2.modify_vpc_peering_connection_options, VpcPeeringConnectionId=pid,
           AccepterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True})
    for name, value in [("requester-vpc-info.cidr-block", "10.41.0.0/16"), ("accepter-vpc-info.owner-id", KEY_B[2]),
                        ("status-message", "Active"), ("tag-value", "a-b"), ("tag:Name", "a-b")]:
        hits = ec2.describe_vpc_peering_connections(Filters=[{"Name": name, "Values": [value]}])["VpcPeeringConnections"]
        assert [h["VpcPeeringConnectionId"] for h in hits] == [pid], name
    west_b.delete_vpc_peering_connection(VpcPeeringConnectionId=pid)
    ec2.get_waiter("vpc_peering_connection_deleted").wait(VpcPeeringConnectionIds=[pid])
    gone = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pid])["VpcPeeringConnections"][0]
    assert gone["Status"] == {"Code": "deleted", "Message": f"Deleted by {KEY_B[2]}"}
    expect("InvalidStateTransition", ec2.delete_vpc_peering_connection, VpcPeeringConnectionId=pid)
    expect("InvalidVpcPeeringConnectionID.NotFound", ec2.describe_vpc_peering_connections,
           VpcPeeringConnectionIds=["pcx-0000000000000beef"])


def test_reject_and_overlap(endpoint, ec2, ec2_b):
    a = ec2.create_vpc(CidrBlock="10.43.0.0/16")["Vpc"]["VpcId"]
    same = ec2_b.create_vpc(CidrBlock="10.43.0.0/16")["Vpc"]["VpcId"]
    other = ec2_b.create_vpc(CidrBlock="10.44.0.0/16")["Vpc"]["VpcId"]
    failed = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=same, PeerOwnerId=KEY_B[2])["VpcPeeringConnection"]
    assert failed["Status"]["Code"] == "failed"
    pid = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=other, PeerOwnerId=KEY_B[2])["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    expect("OperationNotPermitted", ec2.reject_vpc_peering_connection, VpcPeeringConnectionId=pid)
    assert ec2_b.reject_vpc_peering_connection(VpcPeeringConnectionId=pid)["Return"] is True
    got = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pid])["VpcPeeringConnections"][0]
    assert got["Status"] == {"Code": "rejected", "Message": f"Rejected by {KEY_B[2]}"}


def test_aws_managed_prefix_lists(ec2, aws):
    lists = ec2.describe_managed_prefix_lists(Filters=[{"Name": "owner-id", "Values": ["AWS"]}])["PrefixLists"]
    by_name = {l["PrefixListName"]: l for l in lists}
    s3 = by_name["com.amazonaws.us-east-1.s3"]
    assert (s3["PrefixListId"], s3["State"], s3["OwnerId"], s3["AddressFamily"]) == ("pl-63a5400a", "create-complete", "AWS", "IPv4")
    assert "com.amazonaws.global.cloudfront.origin-facing" in by_name
    entries = ec2.get_managed_prefix_list_entries(PrefixListId=s3["PrefixListId"])["Entries"]
    assert {"Cidr": "52.216.0.0/15"} in entries
    legacy = ec2.describe_prefix_lists(PrefixListIds=["pl-02cd2c6b"])["PrefixLists"]
    assert legacy[0]["PrefixListName"] == "com.amazonaws.us-east-1.dynamodb" and "52.94.0.0/22" in legacy[0]["Cidrs"]
    code, out = aws("ec2", "describe-prefix-lists", "--filters", "Name=prefix-list-name,Values=com.amazonaws.us-east-1.s3")
    assert code == 0 and [p["PrefixListId"] for p in out["PrefixLists"]] == ["pl-63a5400a"]
    expect("UnauthorizedOperation", ec2.modify_managed_prefix_list, PrefixListId="pl-63a5400a", PrefixListName="mine")
    expect("UnauthorizedOperation", ec2.delete_managed_prefix_list, PrefixListId="pl-63a5400a")


def test_customer_prefix_list_states(ec2, uniq):
    pl = ec2.create_managed_prefix_list(PrefixListName=uniq, AddressFamily="IPv4", MaxEntries=2,
                                        Entries=[{"Cidr": "192.0.2.0/24"}])["PrefixList"]
    pid = pl["PrefixListId"]
    assert pl["State"] == "create-in-progress"
    ec2.get_waiter("managed_prefix_list_create_complete").wait(PrefixListIds=[pid]) if "managed_prefix_list_create_complete" in ec2.waiter_names else None
    assert ec2.describe_managed_prefix_lists(PrefixListIds=[pid])["PrefixLists"][0]["State"] == "create-complete"
    renamed = ec2.modify_managed_prefix_list(PrefixListId=pid, PrefixListName=uniq + "-2")["PrefixList"]
    assert (renamed["State"], renamed["Version"]) == ("modify-in-progress", 1)
    expect("InvalidParameterValue", ec2.modify_managed_prefix_list, PrefixListId=pid,
           AddEntries=[{"Cidr": "198.51.100.0/24"}], RemoveEntries=[{"Cidr": "198.51.100.0/24"}])
    expect("InvalidParameterValue", ec2.modify_managed_prefix_list, PrefixListId=pid,
           AddEntries=[{"Cidr": "198.51.100.0/24"}, {"Cidr": "203.0.113.0/24"}])
    ec2.modify_managed_prefix_list(PrefixListId=pid, MaxEntries=4)
    ec2.modify_managed_prefix_list(PrefixListId=pid, CurrentVersion=1, AddEntries=[{"Cidr": "198.51.100.0/24"}])
    got = ec2.describe_managed_prefix_lists(PrefixListIds=[pid])["PrefixLists"][0]
    assert (got["State"], got["Version"], got["MaxEntries"]) == ("modify-complete", 2, 4)
    expect("InvalidParameterCombination", ec2.modify_managed_prefix_list, PrefixListId=pid, MaxEntries=5,
           AddEntries=[{"Cidr": "203.0.113.0/24"}])
    gid = ec2.create_security_group(GroupName=uniq, Description="d")["GroupId"]
    perm = dict(IpProtocol="tcp", FromPort=22, ToPort=22, PrefixListIds=[{"PrefixListId": pid}])
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[perm])
    assoc = ec2.get_managed_prefix_list_associations(PrefixListId=pid)["PrefixListAssociations"]
    assert assoc == [{"ResourceId": gid, "ResourceOwner": KEY_A[2]}]
    assert ec2.delete_managed_prefix_list(PrefixListId=pid)["PrefixList"]["State"] == "delete-in-progress"
    failed = ec2.describe_managed_prefix_lists(PrefixListIds=[pid])["PrefixLists"][0]
    assert failed["State"] == "delete-failed" and gid in failed["StateMessage"]
    ec2.revoke_security_group_ingress(GroupId=gid, IpPermissions=[perm])
    ec2.delete_managed_prefix_list(PrefixListId=pid)
    expect("InvalidPrefixListID.NotFound", ec2.describe_managed_prefix_lists, PrefixListIds=[pid])


def test_tag_value_filter(ec2, aws, uniq):
    gid = ec2.create_security_group(GroupName=uniq, Description="d", TagSpecifications=[
        {"ResourceType": "security-group", "Tags": [{"Key": "team", "Value": uniq}]}])["GroupId"]
    groups = ec2.describe_security_groups(Filters=[{"Name": "tag-value", "Values": [uniq]}])["SecurityGroups"]
    assert [g["GroupId"] for g in groups] == [gid]
    code, out = aws("ec2", "describe-tags", "--filters", f"Name=tag-value,Values={uniq}")
    assert code == 0 and [t["ResourceId"] for t in out["Tags"]] == [gid]


def test_security_group_vpc_associations(ec2, uniq):
    home = ec2.create_vpc(CidrBlock="10.45.0.0/16")["Vpc"]["VpcId"]
    other = ec2.create_vpc(CidrBlock="10.46.0.0/16")["Vpc"]["VpcId"]
    gid = ec2.create_security_group(GroupName=uniq, Description="d", VpcId=home)["GroupId"]
    subnet = ec2.create_subnet(VpcId=other, CidrBlock="10.46.1.0/24")["Subnet"]["SubnetId"]
    expect("InvalidParameter", ec2.create_network_interface, SubnetId=subnet, Groups=[gid])
    assert ec2.associate_security_group_vpc(GroupId=gid, VpcId=other)["State"] == "associating"
    assoc = ec2.describe_security_group_vpc_associations(
        Filters=[{"Name": "group-id", "Values": [gid]}])["SecurityGroupVpcAssociations"]
    assert [(a["VpcId"], a["State"]) for a in assoc] == [(other, "associated")]
    for_vpc = ec2.get_security_groups_for_vpc(VpcId=other, Filters=[{"Name": "group-name", "Values": [uniq]}])
    assert [(g["GroupId"], g["PrimaryVpcId"]) for g in for_vpc["SecurityGroupForVpcs"]] == [(gid, home)]
    eni = ec2.create_network_interface(SubnetId=subnet, Groups=[gid])["NetworkInterface"]["NetworkInterfaceId"]
    expect("DependencyViolation", ec2.disassociate_security_group_vpc, GroupId=gid, VpcId=other)
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    assert ec2.disassociate_security_group_vpc(GroupId=gid, VpcId=other)["State"] == "disassociating"
    assert ec2.describe_security_group_vpc_associations(
        Filters=[{"Name": "group-id", "Values": [gid]}])["SecurityGroupVpcAssociations"] == []


def test_peering_pages(ec2):
    a = ec2.create_vpc(CidrBlock="10.47.0.0/16")["Vpc"]["VpcId"]
    for n in range(6):
        b = ec2.create_vpc(CidrBlock=f"10.{48 + n}.0.0/16")["Vpc"]["VpcId"]
        ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)
    pages = ec2.get_paginator("describe_vpc_peering_connections").paginate(
        Filters=[{"Name": "requester-vpc-info.vpc-id", "Values": [a]}], PaginationConfig={"PageSize": 5})
    sizes = [len(p["VpcPeeringConnections"]) for p in pages]
    assert sizes == [5, 1]
