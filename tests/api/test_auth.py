"""SigV4 (header and query forms), stale dates, STS, and account isolation."""
import datetime
import urllib.request

import botocore.exceptions
import pytest

from conftest import KEY_A, KEY_B, client
from sign import error_code, fetch, signed_post

DESCRIBE = "Action=DescribeSecurityGroups&Version=2016-11-15"


def code_of(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_wrong_secret_is_auth_failure(endpoint):
    bad = client(endpoint, (KEY_A[0], "not-the-secret"))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        bad.describe_security_groups()
    assert code_of(e) == "AuthFailure"


def test_unknown_key_is_auth_failure(endpoint):
    bad = client(endpoint, ("AKIDUNKNOWN00000000", "x"))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        bad.describe_vpcs()
    assert code_of(e) == "AuthFailure"


def test_unsigned_request_is_auth_failure(endpoint):
    req = urllib.request.Request(endpoint, data=DESCRIBE.encode(), method="POST")
    status, text = fetch(req)
    assert status == 401 and error_code(text) == "AuthFailure"
    assert "<RequestID>" in text


def test_stale_date_is_rejected(endpoint):
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
    status, text = signed_post(endpoint, KEY_A[0], KEY_A[1], DESCRIBE, when=old)
    assert error_code(text) == "RequestExpired", text
    status, text = signed_post(endpoint, KEY_A[0], KEY_A[1], DESCRIBE)
    assert status == 200, text


def test_tampered_signature(endpoint):
    status, text = signed_post(endpoint, KEY_A[0], "wrong", DESCRIBE)
    assert error_code(text) == "AuthFailure"


def test_query_string_signature(endpoint, ec2):
    url = ec2.generate_presigned_url("describe_vpcs", Params={}, ExpiresIn=300, HttpMethod="GET")
    assert "X-Amz-Signature=" in url
    status, text = fetch(urllib.request.Request(url))
    assert status == 200, text
    assert "<vpcSet>" in text
    tampered = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    status, text = fetch(urllib.request.Request(tampered))
    assert error_code(text) == "AuthFailure"


def test_sts_get_caller_identity(endpoint):
    sts = client(endpoint, KEY_B, "sts")
    who = sts.get_caller_identity()
    assert who["Account"] == KEY_B[2]
    assert who["UserId"] == KEY_B[0]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client(endpoint, ("AKIDUNKNOWN00000000", "x"), "sts").get_caller_identity()
    assert code_of(e) == "InvalidClientTokenId"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client(endpoint, (KEY_B[0], "wrong"), "sts").get_caller_identity()
    assert code_of(e) == "SignatureDoesNotMatch"


def test_accounts_never_see_each_other(ec2, ec2_b, uniq):
    gid = ec2.create_security_group(GroupName=uniq, Description="a")["GroupId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2_b.describe_security_groups(GroupIds=[gid])
    assert code_of(e) == "InvalidGroup.NotFound"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2_b.delete_security_group(GroupId=gid)
    assert code_of(e) == "InvalidGroup.NotFound"
    names = [g["GroupName"] for g in ec2_b.describe_security_groups()["SecurityGroups"]]
    assert uniq not in names
    vpcs_a = {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}
    vpcs_b = {v["VpcId"] for v in ec2_b.describe_vpcs()["Vpcs"]}
    assert not vpcs_a & vpcs_b
    # Each account has its own default VPC with the default layout.
    default_b = [v for v in ec2_b.describe_vpcs()["Vpcs"] if v["IsDefault"]]
    assert default_b[0]["CidrBlock"] == "172.31.0.0/16"


def test_regions_are_separate(endpoint, ec2, uniq):
    import boto3
    eu = boto3.client("ec2", endpoint_url=endpoint, region_name="eu-west-1",
                      aws_access_key_id=KEY_A[0], aws_secret_access_key=KEY_A[1])
    gid = ec2.create_security_group(GroupName=uniq, Description="a")["GroupId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        eu.describe_security_groups(GroupIds=[gid])
    assert code_of(e) == "InvalidGroup.NotFound"
    zones = {s["AvailabilityZone"] for s in eu.describe_subnets()["Subnets"]}
    assert zones == {"eu-west-1a", "eu-west-1b", "eu-west-1c"}
