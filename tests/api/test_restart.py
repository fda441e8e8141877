"""Restart persistence: what the server acknowledged survives a stop and a start on the same
database file (its own server, not the session's)."""
import os

from conftest import KEY_A, Server, client, write_keys


def test_state_survives_restart(tmp_path):
    keys = os.path.join(tmp_path, "keys")
    write_keys(keys)
    db = os.path.join(tmp_path, "restart.db")
    server = Server(db, keys).start()
    try:
        ec2 = client(server.endpoint, KEY_A)
        gid = ec2.create_security_group(GroupName="survivor", Description="d")["GroupId"]
        rid = ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[dict(
            IpProtocol="tcp", FromPort=22, ToPort=22, IpRanges=[{"CidrIp": "203.0.113.0/24", "Description": "ssh"}])])["SecurityGroupRules"][0]["SecurityGroupRuleId"]
        ec2.create_tags(Resources=[gid], Tags=[{"Key": "keep", "Value": "me"}])
        before = ec2.describe_security_groups()["SecurityGroups"]
        vpcs_before = ec2.describe_vpcs()["Vpcs"]
    finally:
        server.stop()
    server = Server(db, keys).start()
    try:
        ec2 = client(server.endpoint, KEY_A)
        after = ec2.describe_security_groups()["SecurityGroups"]
        assert sorted(before, key=lambda g: g["GroupId"]) == sorted(after, key=lambda g: g["GroupId"])
        assert ec2.describe_vpcs()["Vpcs"] == vpcs_before, "the default VPC is not bootstrapped twice"
        rule = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rid])["SecurityGroupRules"][0]
        assert (rule["CidrIpv4"], rule["Description"]) == ("203.0.113.0/24", "ssh")
    finally:
        server.stop()
