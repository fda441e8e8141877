"""Security groups and rules through boto3: every operation and EC2's error codes."""
import botocore.exceptions
import pytest

from conftest import KEY_A
from sign import error_code, signed_post


def code_of(excinfo):
    return excinfo.value.response["Error"]["Code"]


def expect(code, fn, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(**kwargs)
    assert code_of(e) == code, e.value.response["Error"]
    return e.value.response["Error"]["Message"]


def tcp(port, cidr="0.0.0.0/0", **extra):
    return dict(IpProtocol="tcp", FromPort=port, ToPort=port, IpRanges=[dict(CidrIp=cidr, **extra)])


@pytest.fixture
def group(ec2, uniq):
    return ec2.create_security_group(GroupName=uniq, Description="test group")["GroupId"]


def rules_of(ec2, gid):
    return ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [gid]}])["SecurityGroupRules"]


def test_create_describe_delete(ec2, uniq):
    res = ec2.create_security_group(GroupName=uniq, Description="web servers",
                                    TagSpecifications=[{"ResourceType": "security-group", "Tags": [{"Key": "Name", "Value": "web"}]}])
    gid = res["GroupId"]
    assert res["SecurityGroupArn"].endswith(f":111111111111:security-group/{gid}")
    g = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]
    assert g["GroupName"] == uniq and g["Description"] == "web servers" and g["OwnerId"] == "111111111111"
    assert g["IpPermissions"] == []
    assert g["IpPermissionsEgress"] == [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [],
                                         "PrefixListIds": [], "UserIdGroupPairs": []}]
    assert g["Tags"] == [{"Key": "Name", "Value": "web"}]
    by_name = ec2.describe_security_groups(GroupNames=[uniq])["SecurityGroups"]
    assert [x["GroupId"] for x in by_name] == [gid]
    ec2.delete_security_group(GroupId=gid)
    expect("InvalidGroup.NotFound", ec2.describe_security_groups, GroupIds=[gid])


def test_default_group(ec2):
    d = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]
    assert d["Description"] == "default VPC security group"
    assert d["IpPermissions"][0]["IpProtocol"] == "-1"
    assert d["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == d["GroupId"]
    expect("CannotDelete", ec2.delete_security_group, GroupId=d["GroupId"])


@pytest.mark.parametrize("kwargs,code", [
    (dict(GroupName="default", Description="d"), "InvalidGroup.Reserved"),
    (dict(GroupName="sg-123", Description="d"), "InvalidParameterValue"),
    (dict(GroupName="x", Description="d", VpcId="vpc-0000000000000beef"), "InvalidVpcID.NotFound"),
    (dict(GroupName="x", Description="d", VpcId="nonsense"), "InvalidVpcID.Malformed"),
    (dict(GroupName="x", Description="é"), "InvalidParameterValue"),
])
def test_create_errors(ec2, kwargs, code):
    expect(code, ec2.create_security_group, **kwargs)


def test_missing_description(ec2, aws, uniq):
    status, err = aws("ec2", "create-security-group", "--group-name", uniq, "--description", "")
    assert status != 0 and "MissingParameter" in err


def test_duplicate_names_are_case_insensitive(ec2, group, uniq):
    msg = expect("InvalidGroup.Duplicate", ec2.create_security_group, GroupName=uniq.upper(), Description="d")
    assert "already exists for VPC" in msg


def test_malformed_and_unknown_ids(ec2):
    expect("InvalidGroupId.Malformed", ec2.describe_security_groups, GroupIds=["foo"])
    expect("InvalidGroup.NotFound", ec2.describe_security_groups, GroupIds=["sg-0000000000000beef"])
    expect("InvalidGroup.NotFound", ec2.delete_security_group, GroupName="no-such-group")
    expect("InvalidGroupId.Malformed", ec2.describe_security_group_rules,
           Filters=[{"Name": "group-id", "Values": ["foobar"]}])
    expect("InvalidSecurityGroupRuleId.NotFound", ec2.describe_security_group_rules, SecurityGroupRuleIds=["sgr-00000000"])
    expect("InvalidSecurityGroupRuleId.Malformed", ec2.revoke_security_group_ingress,
           GroupId="sg-00000000", SecurityGroupRuleIds=["sgr-zz"])


def test_dry_run(ec2, uniq):
    expect("DryRunOperation", ec2.create_security_group, GroupName=uniq, Description="d", DryRun=True)
    expect("InvalidGroup.NotFound", ec2.describe_security_groups, GroupNames=[uniq])


def test_authorize_returns_rules_and_canonicalises(ec2, group):
    res = ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        dict(IpProtocol="TCP", FromPort=443, ToPort=443, IpRanges=[{"CidrIp": "10.0.0.1/24", "Description": "lan"}],
             Ipv6Ranges=[{"CidrIpv6": "2001:db8::1/64"}])])
    rules = res["SecurityGroupRules"]
    assert res["Return"] is True
    assert [(r.get("CidrIpv4"), r.get("CidrIpv6")) for r in rules] == [("10.0.0.0/24", None), (None, "2001:db8::/64")]
    assert all(r["IpProtocol"] == "tcp" and r["GroupOwnerId"] == "111111111111" and not r["IsEgress"] for r in rules)
    assert rules[0]["Description"] == "lan"
    assert rules[0]["SecurityGroupRuleArn"].endswith(rules[0]["SecurityGroupRuleId"])
    expect("InvalidPermission.Duplicate", ec2.authorize_security_group_ingress, GroupId=group, IpPermissions=[tcp(443, "10.0.0.0/24")])


def test_authorize_is_all_or_nothing(ec2, group):
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[tcp(80)])
    expect("InvalidPermission.Duplicate", ec2.authorize_security_group_ingress, GroupId=group,
           IpPermissions=[tcp(81), tcp(80)])
    ports = sorted(r["FromPort"] for r in rules_of(ec2, group) if not r["IsEgress"])
    assert ports == [80]


@pytest.mark.parametrize("perm,code", [
    (dict(IpProtocol="tcp", FromPort=80, ToPort=70000, IpRanges=[{"CidrIp": "0.0.0.0/0"}]), "InvalidParameterValue"),
    (dict(IpProtocol="tcp", IpRanges=[{"CidrIp": "0.0.0.0/0"}]), "InvalidParameterValue"),
    (dict(IpProtocol="all", IpRanges=[{"CidrIp": "0.0.0.0/0"}]), "InvalidParameterValue"),
    (dict(IpProtocol="tcp", FromPort=1, ToPort=1, IpRanges=[{"CidrIp": "::/0"}]), "InvalidParameterValue"),
    (dict(IpProtocol="tcp", FromPort=1, ToPort=1, IpRanges=[{"CidrIp": "123.123.123.123"}]), "InvalidParameterValue"),
    (dict(IpProtocol="icmp", FromPort=-1, ToPort=3, IpRanges=[{"CidrIp": "0.0.0.0/0"}]), "InvalidParameterValue"),
    (dict(IpProtocol="tcp", FromPort=1, ToPort=1), "MissingParameter"),
    (dict(IpProtocol="-1", PrefixListIds=[{"PrefixListId": "pl-0000000000000beef"}]), "InvalidPrefixListID.NotFound"),
    (dict(IpProtocol="-1", UserIdGroupPairs=[{"GroupId": "sg-0000000000000beef"}]), "InvalidGroup.NotFound"),
    (dict(IpProtocol="-1", UserIdGroupPairs=[{"GroupId": "nope"}]), "InvalidGroupId.Malformed"),
])
def test_authorize_validation(ec2, group, perm, code):
    expect(code, ec2.authorize_security_group_ingress, GroupId=group, IpPermissions=[perm])


def test_rule_quota(ec2, group):
    perms = [tcp(p, "10.0.0.0/8") for p in range(1, 61)]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=perms)
    expect("RulesPerSecurityGroupLimitExceeded", ec2.authorize_security_group_ingress, GroupId=group, IpPermissions=[tcp(61)])
    # IPv6 rules have their own bucket.
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        dict(IpProtocol="tcp", FromPort=1, ToPort=1, Ipv6Ranges=[{"CidrIpv6": "::/0"}])])


def test_legacy_flat_parameters(ec2, group, uniq):
    ec2.authorize_security_group_ingress(GroupId=group, IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp="198.51.100.0/24")
    src = ec2.create_security_group(GroupName=uniq + "-src", Description="d")["GroupId"]
    ec2.authorize_security_group_ingress(GroupName=uniq, SourceSecurityGroupName=uniq + "-src")
    got = {(r["IpProtocol"], r["FromPort"], r.get("CidrIpv4") or r["ReferencedGroupInfo"]["GroupId"]) for r in rules_of(ec2, group) if not r["IsEgress"]}
    assert got == {("tcp", 22, "198.51.100.0/24"), ("icmp", -1, src), ("tcp", 0, src), ("udp", 0, src)}
    ec2.revoke_security_group_ingress(GroupId=group, IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp="198.51.100.0/24")


def test_revoke_default_egress_ipv4_and_ipv6(ec2, uniq):
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    gid = ec2.create_security_group(GroupName=uniq, Description="d", VpcId=vpc)["GroupId"]
    egress = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["IpPermissionsEgress"]
    assert egress[0]["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}] and egress[0]["Ipv6Ranges"] == [{"CidrIpv6": "::/0"}]
    # Terraform's form: protocol -1 with ports 0/0, one address family per call.
    res = ec2.revoke_security_group_egress(GroupId=gid, IpPermissions=[
        dict(IpProtocol="-1", FromPort=0, ToPort=0, IpRanges=[{"CidrIp": "0.0.0.0/0"}])])
    assert [r["CidrIpv4"] for r in res["RevokedSecurityGroupRules"]] == ["0.0.0.0/0"]
    ec2.revoke_security_group_egress(GroupId=gid, IpPermissions=[
        dict(IpProtocol="-1", Ipv6Ranges=[{"CidrIpv6": "::/0"}])])
    assert ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["IpPermissionsEgress"] == []
    expect("InvalidPermission.NotFound", ec2.revoke_security_group_egress, GroupId=gid, IpPermissions=[
        dict(IpProtocol="-1", IpRanges=[{"CidrIp": "0.0.0.0/0"}])])


def test_revoke_one_range_of_many(ec2, group):
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        dict(IpProtocol="tcp", FromPort=8080, ToPort=8080, IpRanges=[{"CidrIp": c} for c in ("10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16")])])
    ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=[tcp(8080, "10.2.0.0/16")])
    perm = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"]
    assert perm == [{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [], "Ipv6Ranges": [], "PrefixListIds": [],
                     "IpRanges": [{"CidrIp": "10.1.0.0/16"}, {"CidrIp": "10.3.0.0/16"}]}]


def test_rule_lookup_and_revoke_by_id(ec2, group):
    rid = ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[tcp(5000)])["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    got = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rid])["SecurityGroupRules"]
    assert [(r["SecurityGroupRuleId"], r["GroupId"], r["FromPort"]) for r in got] == [(rid, group, 5000)]
    ec2.revoke_security_group_ingress(GroupId=group, SecurityGroupRuleIds=[rid])
    expect("InvalidSecurityGroupRuleId.NotFound", ec2.revoke_security_group_ingress, GroupId=group, SecurityGroupRuleIds=[rid])
    # Default VPC: a miss is no error, the response names it (botocore model docstring).
    res = ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=[tcp(5000)])
    assert [p["FromPort"] for p in res["UnknownIpPermissions"]] == [5000] and res.get("RevokedSecurityGroupRules", []) == []
    expect("InvalidParameterCombination", ec2.revoke_security_group_ingress, GroupId=group, SecurityGroupRuleIds=[rid], IpPermissions=[tcp(1)])


def test_modify_rules(ec2, group):
    rid = ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[tcp(22, "203.0.113.0/24")])["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    ec2.modify_security_group_rules(GroupId=group, SecurityGroupRules=[{"SecurityGroupRuleId": rid, "SecurityGroupRule": {
        "IpProtocol": "tcp", "FromPort": 2222, "ToPort": 2222, "CidrIpv6": "2001:db8::/32", "Description": "ssh"}}])
    r = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rid])["SecurityGroupRules"][0]
    assert (r["FromPort"], r["CidrIpv6"], r["Description"]) == (2222, "2001:db8::/32", "ssh")
    expect("InvalidParameterValue", ec2.modify_security_group_rules, GroupId=group, SecurityGroupRules=[
        {"SecurityGroupRuleId": rid, "SecurityGroupRule": {"CidrIpv4": "1.2.3.4/32"}}])
    expect("MissingParameter", ec2.modify_security_group_rules, GroupId=group, SecurityGroupRules=[
        {"SecurityGroupRuleId": rid, "SecurityGroupRule": {"IpProtocol": "-1"}}])
    expect("InvalidParameterCombination", ec2.modify_security_group_rules, GroupId=group, SecurityGroupRules=[
        {"SecurityGroupRuleId": rid, "SecurityGroupRule": {"IpProtocol": "-1", "CidrIpv4": "1.2.3.4/32", "CidrIpv6": "::/0"}}])
    expect("InvalidSecurityGroupRuleId.NotFound", ec2.modify_security_group_rules, GroupId=group, SecurityGroupRules=[
        {"SecurityGroupRuleId": "sgr-00000000", "SecurityGroupRule": {"IpProtocol": "-1", "CidrIpv4": "1.2.3.4/32"}}])


def test_update_descriptions(ec2, group):
    rid = ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[tcp(443)])["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    ec2.update_security_group_rule_descriptions_ingress(GroupId=group, IpPermissions=[tcp(443, Description="https")])
    assert ec2.describe_security_group_rules(SecurityGroupRuleIds=[rid])["SecurityGroupRules"][0]["Description"] == "https"
    ec2.update_security_group_rule_descriptions_ingress(GroupId=group, SecurityGroupRuleDescriptions=[
        {"SecurityGroupRuleId": rid, "Description": "tls"}])
    assert ec2.describe_security_group_rules(SecurityGroupRuleIds=[rid])["SecurityGroupRules"][0]["Description"] == "tls"
    egress = [r for r in rules_of(ec2, group) if r["IsEgress"]][0]["SecurityGroupRuleId"]
    ec2.update_security_group_rule_descriptions_egress(GroupId=group, SecurityGroupRuleDescriptions=[
        {"SecurityGroupRuleId": egress, "Description": "all out"}])
    expect("InvalidPermission.NotFound", ec2.update_security_group_rule_descriptions_ingress, GroupId=group,
           IpPermissions=[tcp(444, Description="x")])


def test_delete_dependencies(ec2, uniq):
    app = ec2.create_security_group(GroupName=uniq + "-app", Description="d")["GroupId"]
    db = ec2.create_security_group(GroupName=uniq + "-db", Description="d")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[dict(IpProtocol="tcp", FromPort=5432, ToPort=5432,
                                                                          UserIdGroupPairs=[{"GroupId": app, "Description": "from app"}])])
    msg = expect("DependencyViolation", ec2.delete_security_group, GroupId=app)
    assert app in msg
    ec2.delete_security_group(GroupId=db)
    ec2.delete_security_group(GroupId=app)


def test_cross_account_reference_needs_a_peering(ec2, ec2_b, group):
    # EC2 lets a rule reference another account's group only across an active peering of
    # the two VPCs; without one it answers "two resources that belong to different networks".
    other = ec2_b.create_security_group(GroupName="peer-of-a", Description="d")["GroupId"]
    msg = expect("InvalidGroup.NotFound", ec2.authorize_security_group_ingress, GroupId=group, IpPermissions=[dict(
        IpProtocol="tcp", FromPort=443, ToPort=443, UserIdGroupPairs=[{"GroupId": other, "UserId": "222222222222"}])])
    assert "different networks" in msg
    assert ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"] == []


def test_filters(ec2, uniq):
    web = ec2.create_security_group(GroupName=uniq + "-web", Description="front end")["GroupId"]
    db = ec2.create_security_group(GroupName=uniq + "-db", Description="back end")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[tcp(80)])
    ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[dict(IpProtocol="tcp", FromPort=5432, ToPort=5432,
                                                                          UserIdGroupPairs=[{"GroupId": web}])])
    ec2.create_tags(Resources=[web], Tags=[{"Key": "tier", "Value": "front"}])

    def ids(*filters):
        return sorted(g["GroupId"] for g in ec2.describe_security_groups(Filters=list(filters))["SecurityGroups"])
    assert ids({"Name": "group-name", "Values": [uniq + "-*"]}) == sorted([web, db])
    assert ids({"Name": "group-id", "Values": [web]}) == [web]
    assert ids({"Name": "description", "Values": ["back end"]}) == [db]
    assert ids({"Name": "tag:tier", "Values": ["front"]}) == [web]
    assert ids({"Name": "tag-key", "Values": ["tier"]}, {"Name": "group-name", "Values": [uniq + "*"]}) == [web]
    assert ids({"Name": "ip-permission.from-port", "Values": ["80"]}, {"Name": "group-name", "Values": [uniq + "*"]}) == [web]
    assert ids({"Name": "ip-permission.group-id", "Values": [web]}) == [db]
    assert ids({"Name": "ip-permission.group-name", "Values": [uniq + "-web"]}) == [db]
    assert ids({"Name": "ip-permission.cidr", "Values": ["0.0.0.0/0"]}, {"Name": "ip-permission.protocol", "Values": ["tcp"]},
               {"Name": "group-name", "Values": [uniq + "*"]}) == [web]
    vpc = ec2.describe_security_groups(GroupIds=[web])["SecurityGroups"][0]["VpcId"]
    assert web in ids({"Name": "vpc-id", "Values": [vpc]}, {"Name": "egress.ip-permission.cidr", "Values": ["0.0.0.0/0"]})
    expect("InvalidParameterValue", ec2.describe_security_groups, Filters=[{"Name": "bogus", "Values": ["x"]}])


def test_pagination(ec2, endpoint, uniq):
    made = {ec2.create_security_group(GroupName=f"{uniq}-{n}", Description="d")["GroupId"] for n in range(12)}
    seen = []
    for page in ec2.get_paginator("describe_security_groups").paginate(PaginationConfig={"PageSize": 5}):
        assert len(page["SecurityGroups"]) <= 5
        seen += [g["GroupId"] for g in page["SecurityGroups"]]
    assert len(seen) == len(set(seen)) and made <= set(seen)
    rules = []
    for page in ec2.get_paginator("describe_security_group_rules").paginate(PaginationConfig={"PageSize": 5}):
        rules += [r["SecurityGroupRuleId"] for r in page["SecurityGroupRules"]]
    assert len(rules) == len(set(rules)) >= 12
    # boto3 refuses MaxResults=4 itself; the server must too.
    status, text = signed_post(endpoint, KEY_A[0], KEY_A[1], "Action=DescribeSecurityGroups&Version=2016-11-15&MaxResults=4")
    assert (status, error_code(text)) == (400, "InvalidParameterValue")
    expect("InvalidParameterCombination", ec2.describe_security_groups, GroupIds=list(made)[:1], MaxResults=5)
    expect("InvalidNextToken", ec2.describe_security_groups, MaxResults=5, NextToken="garbage")


def test_references_and_stale_groups(ec2, uniq):
    v1 = ec2.create_vpc(CidrBlock="10.61.0.0/16")["Vpc"]["VpcId"]
    v2 = ec2.create_vpc(CidrBlock="10.62.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_security_group(GroupName=uniq, Description="d", VpcId=v1)["GroupId"]
    b = ec2.create_security_group(GroupName=uniq, Description="d", VpcId=v2)["GroupId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=v1, PeerVpcId=v2)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    ec2.authorize_security_group_ingress(GroupId=a, IpPermissions=[dict(IpProtocol="tcp", FromPort=443, ToPort=443,
        UserIdGroupPairs=[{"GroupId": b, "VpcId": v2, "VpcPeeringConnectionId": pcx}])])
    refs = ec2.describe_security_group_references(GroupId=[b])["SecurityGroupReferenceSet"]
    assert refs == [{"GroupId": b, "ReferencingVpcId": v1, "VpcPeeringConnectionId": pcx}]
    assert ec2.describe_stale_security_groups(VpcId=v1)["StaleSecurityGroupSet"] == []
    ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    stale = ec2.describe_stale_security_groups(VpcId=v1)["StaleSecurityGroupSet"]
    assert [s["GroupId"] for s in stale] == [a]
    pair = stale[0]["StaleIpPermissions"][0]["UserIdGroupPairs"][0]
    assert (pair["GroupId"], pair["PeeringStatus"]) == (b, "deleted")
    expect("InvalidVpcID.NotFound", ec2.describe_stale_security_groups, VpcId="vpc-0000000000000beef")
