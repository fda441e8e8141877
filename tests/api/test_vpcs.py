"""VPC and subnet attributes, CIDR block associations, zones, the default VPC and subnets:
boto3 and the aws CLI, as Terraform's aws_vpc / aws_subnet / aws_default_vpc /
aws_default_subnet and the CIDR association resources call them."""
import os
import tempfile

import botocore.exceptions
import pytest

from conftest import KEY_A, Server, client, write_keys


def expect(code, fn, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(**kwargs)
    assert e.value.response["Error"]["Code"] == code, e.value.response["Error"]


def attr(ec2, vpc, name):
    out = ec2.describe_vpc_attribute(VpcId=vpc, Attribute=name)
    key = name[0].upper() + name[1:]
    return out[key]["Value"]


def test_vpc_attributes(ec2):
    v = ec2.create_vpc(CidrBlock="10.40.0.0/16", InstanceTenancy="dedicated")["Vpc"]
    vid = v["VpcId"]
    assert v["InstanceTenancy"] == "dedicated" and v["DhcpOptionsId"].startswith("dopt-")
    assert (attr(ec2, vid, "enableDnsSupport"), attr(ec2, vid, "enableDnsHostnames"),
            attr(ec2, vid, "enableNetworkAddressUsageMetrics")) == (True, False, False)
    ec2.modify_vpc_attribute(VpcId=vid, EnableDnsHostnames={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vid, EnableNetworkAddressUsageMetrics={"Value": True})
    assert attr(ec2, vid, "enableDnsHostnames") and attr(ec2, vid, "enableNetworkAddressUsageMetrics")
    expect("InvalidParameterCombination", ec2.modify_vpc_attribute, VpcId=vid,
           EnableDnsHostnames={"Value": False}, EnableDnsSupport={"Value": False})
    ec2.modify_vpc_attribute(VpcId=vid, EnableDnsHostnames={"Value": False})
    ec2.modify_vpc_attribute(VpcId=vid, EnableDnsSupport={"Value": False})
    expect("InvalidParameterValue", ec2.modify_vpc_attribute, VpcId=vid, EnableDnsHostnames={"Value": True})
    assert ec2.modify_vpc_tenancy(VpcId=vid, InstanceTenancy="default")["ReturnValue"] is True  # `<return>`
    assert ec2.describe_vpcs(VpcIds=[vid])["Vpcs"][0]["InstanceTenancy"] == "default"
    dopt = ec2.describe_vpcs(Filters=[{"Name": "dhcp-options-id", "Values": [v["DhcpOptionsId"]]},
                                      {"Name": "vpc-id", "Values": [vid]}])["Vpcs"]
    assert [x["VpcId"] for x in dopt] == [vid]
    ec2.delete_vpc(VpcId=vid)


def test_default_vpc_attributes_and_subnets(ec2):
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]
    assert attr(ec2, vpc["VpcId"], "enableDnsHostnames") is True
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]},
                                            {"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
    zones = sorted((s["AvailabilityZone"], s["AvailabilityZoneId"]) for s in subnets)
    assert zones == [("us-east-1a", "use1-az6"), ("us-east-1b", "use1-az1"), ("us-east-1c", "use1-az2")]
    assert all(s["MapPublicIpOnLaunch"] and s["DefaultForAz"] for s in subnets)
    expect("DefaultVpcAlreadyExists", ec2.create_default_vpc)
    expect("DefaultSubnetAlreadyExistsInAvailabilityZone", ec2.create_default_subnet,
           AvailabilityZone="us-east-1a")


def test_ipv4_cidr_block_association(ec2):
    vid = ec2.create_vpc(CidrBlock="10.41.0.0/16")["Vpc"]["VpcId"]
    out = ec2.associate_vpc_cidr_block(VpcId=vid, CidrBlock="10.42.0.0/16")
    assoc = out["CidrBlockAssociation"]
    assert assoc["CidrBlockState"]["State"] == "associating" and assoc["AssociationId"].startswith("vpc-cidr-assoc-")
    found = ec2.describe_vpcs(Filters=[{"Name": "cidr-block-association.association-id",
                                        "Values": [assoc["AssociationId"]]}])["Vpcs"]
    assert [v["VpcId"] for v in found] == [vid]
    states = {a["CidrBlock"]: a["CidrBlockState"]["State"] for a in found[0]["CidrBlockAssociationSet"]}
    assert states == {"10.41.0.0/16": "associated", "10.42.0.0/16": "associated"}
    expect("InvalidVpc.Range", ec2.associate_vpc_cidr_block, VpcId=vid, CidrBlock="10.42.0.0/24")
    expect("InvalidVpc.Range", ec2.associate_vpc_cidr_block, VpcId=vid, CidrBlock="192.168.0.0/16")
    sn = ec2.create_subnet(VpcId=vid, CidrBlock="10.42.1.0/24")["Subnet"]["SubnetId"]
    expect("InvalidCidrBlock.InUse", ec2.disassociate_vpc_cidr_block, AssociationId=assoc["AssociationId"])
    ec2.delete_subnet(SubnetId=sn)
    out = ec2.disassociate_vpc_cidr_block(AssociationId=assoc["AssociationId"])
    assert out["CidrBlockAssociation"]["CidrBlockState"]["State"] == "disassociating"
    expect("InvalidVpcCidrBlockAssociationID.NotFound", ec2.disassociate_vpc_cidr_block,
           AssociationId=assoc["AssociationId"])
    primary = ec2.describe_vpcs(VpcIds=[vid])["Vpcs"][0]["CidrBlockAssociationSet"][0]["AssociationId"]
    expect("OperationNotPermitted", ec2.disassociate_vpc_cidr_block, AssociationId=primary)
    for n in range(43, 47):
        ec2.associate_vpc_cidr_block(VpcId=vid, CidrBlock=f"10.{n}.0.0/16")
    expect("CidrLimitExceeded", ec2.associate_vpc_cidr_block, VpcId=vid, CidrBlock="10.47.0.0/16")


def test_ipv6_cidr_block_association_and_subnet(ec2):
    vid = ec2.create_vpc(CidrBlock="10.48.0.0/16")["Vpc"]["VpcId"]
    out = ec2.associate_vpc_cidr_block(VpcId=vid, AmazonProvidedIpv6CidrBlock=True)
    a = out["Ipv6CidrBlockAssociation"]
    assert (a["Ipv6CidrBlockState"]["State"], a["Ipv6Pool"], a["NetworkBorderGroup"]) == \
        ("associating", "Amazon", "us-east-1")
    expect("CidrLimitExceeded", ec2.associate_vpc_cidr_block, VpcId=vid, AmazonProvidedIpv6CidrBlock=True)
    # What aws_vpc's read filters on (terraform: "The filter ... is invalid" before).
    found = ec2.describe_vpcs(Filters=[{"Name": "ipv6-cidr-block-association.association-id",
                                        "Values": [a["AssociationId"]]}])["Vpcs"]
    assert found[0]["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlockState"]["State"] == "associated"
    sub64 = a["Ipv6CidrBlock"].replace("::/56", "::/64")
    s = ec2.create_subnet(VpcId=vid, CidrBlock="10.48.1.0/24", Ipv6CidrBlock=sub64,
                          AvailabilityZoneId="use1-az4")["Subnet"]
    assert s["AvailabilityZone"] == "us-east-1d"
    sassoc = s["Ipv6CidrBlockAssociationSet"][0]["AssociationId"]
    out = ec2.disassociate_subnet_cidr_block(AssociationId=sassoc)
    assert out["Ipv6CidrBlockAssociation"]["Ipv6CidrBlockState"]["State"] == "disassociating"
    expect("InvalidSubnetCidrBlockAssociationID.NotFound", ec2.disassociate_subnet_cidr_block,
           AssociationId=sassoc)
    ec2.disassociate_vpc_cidr_block(AssociationId=a["AssociationId"])
    assert ec2.describe_vpcs(VpcIds=[vid])["Vpcs"][0].get("Ipv6CidrBlockAssociationSet", []) == []


def test_ipv6_native_subnet(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.58.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]
    vid = vpc["VpcId"]
    block = ec2.describe_vpcs(VpcIds=[vid])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
    sub64 = block.replace("::/56", "::/64")
    expect("InvalidParameterCombination", ec2.create_subnet, VpcId=vid, Ipv6Native=True)
    expect("InvalidParameterCombination", ec2.create_subnet, VpcId=vid, Ipv6Native=True,
           CidrBlock="10.58.1.0/24", Ipv6CidrBlock=sub64)
    s = ec2.create_subnet(VpcId=vid, Ipv6Native=True, Ipv6CidrBlock=sub64)["Subnet"]
    assert "CidrBlock" not in s
    assert (s["Ipv6Native"], s["AvailableIpAddressCount"], s["AssignIpv6AddressOnCreation"]) == \
        (True, 0, True)
    assert s["PrivateDnsNameOptionsOnLaunch"]["HostnameType"] == "resource-name"
    assert s["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"] == sub64
    got = ec2.describe_subnets(Filters=[{"Name": "ipv6-native", "Values": ["true"]},
                                        {"Name": "vpc-id", "Values": [vid]}])["Subnets"]
    assert [x["SubnetId"] for x in got] == [s["SubnetId"]]
    expect("InvalidParameterValue", ec2.modify_subnet_attribute, SubnetId=s["SubnetId"],
           AssignIpv6AddressOnCreation={"Value": False})
    eni = ec2.create_network_interface(SubnetId=s["SubnetId"])["NetworkInterface"]
    assert "PrivateIpAddress" not in eni and eni["PrivateIpAddresses"] == []
    assert len(eni["Ipv6Addresses"]) == 1
    ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    ec2.delete_subnet(SubnetId=s["SubnetId"])


def test_subnet_attributes(ec2):
    vid = ec2.create_vpc(CidrBlock="10.49.0.0/16")["Vpc"]["VpcId"]
    s = ec2.create_subnet(VpcId=vid, CidrBlock="10.49.1.0/24", AvailabilityZone="us-east-1e")["Subnet"]
    assert (s["AvailabilityZoneId"], s["DefaultForAz"], s["MapPublicIpOnLaunch"],
            s["AssignIpv6AddressOnCreation"], s["Ipv6Native"], s["EnableDns64"],
            s["MapCustomerOwnedIpOnLaunch"]) == ("use1-az3", False, False, False, False, False, False)
    assert s["PrivateDnsNameOptionsOnLaunch"] == {
        "HostnameType": "ip-name", "EnableResourceNameDnsARecord": False,
        "EnableResourceNameDnsAAAARecord": False}
    sid = s["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=sid, MapPublicIpOnLaunch={"Value": True})
    ec2.modify_subnet_attribute(SubnetId=sid, PrivateDnsHostnameTypeOnLaunch="resource-name")
    ec2.modify_subnet_attribute(SubnetId=sid, EnableResourceNameDnsARecordOnLaunch={"Value": True})
    expect("InvalidParameterCombination", ec2.modify_subnet_attribute, SubnetId=sid,
           MapPublicIpOnLaunch={"Value": True}, EnableDns64={"Value": True})
    got = ec2.describe_subnets(Filters=[{"Name": "map-public-ip-on-launch", "Values": ["true"]},
                                        {"Name": "vpc-id", "Values": [vid]}])["Subnets"]
    assert [x["SubnetId"] for x in got] == [sid]
    assert got[0]["PrivateDnsNameOptionsOnLaunch"]["HostnameType"] == "resource-name"
    assert got[0]["PrivateDnsNameOptionsOnLaunch"]["EnableResourceNameDnsARecord"] is True
    by_zone = ec2.describe_subnets(Filters=[{"Name": "availability-zone-id", "Values": ["use1-az3"]},
                                            {"Name": "vpc-id", "Values": [vid]}])["Subnets"]
    assert [x["SubnetId"] for x in by_zone] == [sid]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_subnet(VpcId=vid, CidrBlock="10.49.2.0/24", AvailabilityZone="us-east-1q")
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "us-east-1a, us-east-1b" in e.value.response["Error"]["Message"]


def test_public_ip_on_launch(ec2):
    r = ec2.run_instances(ImageId="ami-1", MinCount=1, MaxCount=1)["Instances"][0]
    assert r["PublicIpAddress"].startswith("192.0.2.")
    r = ec2.run_instances(ImageId="ami-1", MinCount=1, MaxCount=1, NetworkInterfaces=[
        {"DeviceIndex": 0, "AssociatePublicIpAddress": False}])["Instances"][0]
    assert "PublicIpAddress" not in r
    ec2.terminate_instances(InstanceIds=[r["InstanceId"]])


def test_availability_zones(ec2, aws):
    zones = ec2.describe_availability_zones(AllAvailabilityZones=True)["AvailabilityZones"]
    assert [(z["ZoneName"], z["ZoneId"]) for z in zones] == [
        ("us-east-1a", "use1-az6"), ("us-east-1b", "use1-az1"), ("us-east-1c", "use1-az2"),
        ("us-east-1d", "use1-az4"), ("us-east-1e", "use1-az3"), ("us-east-1f", "use1-az5")]
    z = zones[0]
    assert (z["State"], z["RegionName"], z["ZoneType"], z["OptInStatus"], z["GroupName"],
            z["NetworkBorderGroup"]) == ("available", "us-east-1", "availability-zone",
                                         "opt-in-not-required", "us-east-1", "us-east-1")
    got = ec2.describe_availability_zones(ZoneIds=["use1-az4"])["AvailabilityZones"]
    assert [z["ZoneName"] for z in got] == ["us-east-1d"]
    expect("InvalidParameterValue", ec2.describe_availability_zones, ZoneNames=["us-east-1q"])
    code, out = aws("ec2", "describe-availability-zones", "--filters", "Name=zone-name,Values=us-east-1f")
    assert code == 0 and [z["ZoneId"] for z in out["AvailabilityZones"]] == ["use1-az5"]


def test_cli_vpc_attribute_and_cidr(aws):
    code, out = aws("ec2", "create-vpc", "--cidr-block", "10.50.0.0/16")
    assert code == 0
    vid = out["Vpc"]["VpcId"]
    code, _ = aws("ec2", "modify-vpc-attribute", "--vpc-id", vid, "--enable-dns-hostnames", '{"Value":true}')
    assert code == 0
    code, out = aws("ec2", "describe-vpc-attribute", "--vpc-id", vid, "--attribute", "enableDnsHostnames")
    assert code == 0 and out["EnableDnsHostnames"]["Value"] is True
    code, out = aws("ec2", "associate-vpc-cidr-block", "--vpc-id", vid, "--cidr-block", "10.51.0.0/16")
    assert code == 0 and out["CidrBlockAssociation"]["CidrBlockState"]["State"] == "associating"
    code, err = aws("ec2", "disassociate-vpc-cidr-block", "--association-id", "vpc-cidr-assoc-0123456789abcdef0")
    assert code != 0 and "InvalidVpcCidrBlockAssociationID.NotFound" in err


def test_default_vpc_recreated():
    """CreateDefaultVpc after the default VPC is gone, on a server of its own (the session's
    server keeps its default VPC for the other tests)."""
    with tempfile.TemporaryDirectory() as tmp:
        keys = os.path.join(tmp, "keys")
        write_keys(keys)
        server = Server(os.path.join(tmp, "palisade.db"), keys).start()
        try:
            ec2 = client(server.endpoint, KEY_A)
            vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
            for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]:
                ec2.delete_subnet(SubnetId=s["SubnetId"])
            # As on EC2, the default VPC's internet gateway must go first.
            igws = ec2.describe_internet_gateways(
                Filters=[{"Name": "attachment.vpc-id", "Values": [vpc["VpcId"]]}])["InternetGateways"]
            for g in igws:
                ec2.detach_internet_gateway(InternetGatewayId=g["InternetGatewayId"], VpcId=vpc["VpcId"])
                ec2.delete_internet_gateway(InternetGatewayId=g["InternetGatewayId"])
            ec2.delete_vpc(VpcId=vpc["VpcId"])
            expect("NoDefaultVpcForSubnet", ec2.create_default_subnet, AvailabilityZone="us-east-1a")
            new = ec2.create_default_vpc()["Vpc"]
            assert new["IsDefault"] and new["CidrBlock"] == "172.31.0.0/16"
            s = ec2.create_default_subnet(AvailabilityZone="us-east-1f")["Subnet"]
            assert (s["DefaultForAz"], s["MapPublicIpOnLaunch"], s["CidrBlock"]) == (True, True, "172.31.48.0/20")
        finally:
            server.stop()
