"""32 boto3 clients at once on the same groups: duplicates refused once, quota never
exceeded, and the rules that remain are exactly the serial result."""
from concurrent.futures import ThreadPoolExecutor

import botocore.exceptions

from conftest import KEY_A, client


def test_thirty_two_clients(endpoint, ec2, uniq):
    shared = ec2.create_security_group(GroupName=uniq, Description="d")["GroupId"]
    quota = ec2.create_security_group(GroupName=uniq + "-quota", Description="d")["GroupId"]

    def work(i):
        c = client(endpoint, KEY_A)
        perm = lambda port, cidr="10.0.0.0/8": dict(IpProtocol="tcp", FromPort=port, ToPort=port, IpRanges=[{"CidrIp": cidr}])
        c.authorize_security_group_ingress(GroupId=shared, IpPermissions=[perm(1000 + i)])
        c.authorize_security_group_ingress(GroupId=shared, IpPermissions=[perm(2000 + i)])
        c.revoke_security_group_ingress(GroupId=shared, IpPermissions=[perm(2000 + i)])
        outcomes = []
        for perms in ([perm(3000 + i * 2), perm(3001 + i * 2)], [perm(443, "0.0.0.0/0")]):
            target = quota if len(perms) == 2 else shared
            try:
                c.authorize_security_group_ingress(GroupId=target, IpPermissions=perms)
                outcomes.append("ok")
            except botocore.exceptions.ClientError as e:
                outcomes.append(e.response["Error"]["Code"])
        return outcomes

    with ThreadPoolExecutor(32) as pool:
        results = list(pool.map(work, range(32)))
    assert sum(r[0] == "ok" for r in results) == 30, "60 rules, 2 per call"
    assert {r[0] for r in results} <= {"ok", "RulesPerSecurityGroupLimitExceeded"}
    assert sum(r[1] == "ok" for r in results) == 1
    assert {r[1] for r in results} <= {"ok", "InvalidPermission.Duplicate"}
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [shared]}])["SecurityGroupRules"]
    ingress = sorted(r["FromPort"] for r in rules if not r["IsEgress"])
    assert ingress == sorted([443] + [1000 + i for i in range(32)])
    quota_rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [quota]}])["SecurityGroupRules"]
    assert sum(not r["IsEgress"] for r in quota_rules) == 60
