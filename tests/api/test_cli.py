"""The aws CLI (v1) against the server: the same wire, another client."""


def test_cli_round_trip(aws, uniq):
    status, out = aws("ec2", "create-vpc", "--cidr-block", "10.77.0.0/16")
    assert status == 0, out
    vpc = out["Vpc"]["VpcId"]
    status, out = aws("ec2", "create-security-group", "--group-name", uniq, "--description", "from the cli", "--vpc-id", vpc)
    assert status == 0, out
    gid = out["GroupId"]
    status, out = aws("ec2", "authorize-security-group-ingress", "--group-id", gid, "--protocol", "tcp", "--port", "22",
                      "--cidr", "203.0.113.0/24")
    assert status == 0, out
    status, out = aws("ec2", "authorize-security-group-ingress", "--group-id", gid, "--ip-permissions",
                      'IpProtocol=tcp,FromPort=443,ToPort=443,IpRanges=[{CidrIp=0.0.0.0/0}],Ipv6Ranges=[{CidrIpv6=::/0}]')
    assert status == 0, out
    assert len(out["SecurityGroupRules"]) == 2
    status, out = aws("ec2", "describe-security-groups", "--group-ids", gid)
    perms = out["SecurityGroups"][0]["IpPermissions"]
    assert sorted(p["FromPort"] for p in perms) == [22, 443]
    status, out = aws("ec2", "describe-security-group-rules", "--filters", f"Name=group-id,Values={gid}")
    assert len(out["SecurityGroupRules"]) == 4
    status, out = aws("ec2", "revoke-security-group-ingress", "--group-id", gid, "--protocol", "tcp", "--port", "22",
                      "--cidr", "203.0.113.0/24")
    assert status == 0, out
    status, err = aws("ec2", "revoke-security-group-ingress", "--group-id", gid, "--protocol", "tcp", "--port", "22",
                      "--cidr", "203.0.113.0/24")
    assert status != 0 and "InvalidPermission.NotFound" in err
    status, err = aws("ec2", "create-security-group", "--group-name", uniq, "--description", "again", "--vpc-id", vpc)
    assert status != 0 and "InvalidGroup.Duplicate" in err
    status, out = aws("ec2", "delete-security-group", "--group-id", gid)
    assert status == 0, out


def test_cli_sts_and_vpcs(aws):
    status, out = aws("sts", "get-caller-identity")
    assert status == 0 and out["Account"] == "111111111111"
    status, out = aws("ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true")
    assert status == 0 and out["Vpcs"][0]["CidrBlock"] == "172.31.0.0/16"


def test_cli_pagination(aws, uniq):
    for n in range(7):
        assert aws("ec2", "create-security-group", "--group-name", f"{uniq}-{n}", "--description", "d")[0] == 0
    status, out = aws("ec2", "describe-security-groups", "--page-size", "5", "--filters", f"Name=group-name,Values={uniq}-*")
    assert status == 0 and len(out["SecurityGroups"]) == 7
