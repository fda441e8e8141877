"""Route tables, internet gateways, Elastic IPs and network ACLs, through boto3 and the aws CLI."""
import botocore.exceptions
import pytest


def expect(code, fn, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(**kwargs)
    assert e.value.response["Error"]["Code"] == code, e.value.response["Error"]


@pytest.fixture
def net(ec2):
    """A VPC with an IPv6 block and one subnet, removed afterwards with what routes through it."""
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.1.0/24")["Subnet"]["SubnetId"]
    yield vpc, subnet
    for t in ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]:
        for a in t["Associations"]:
            if not a["Main"]:
                ec2.disassociate_route_table(AssociationId=a["RouteTableAssociationId"])
        if not any(a["Main"] for a in t["Associations"]):
            ec2.delete_route_table(RouteTableId=t["RouteTableId"])
    for g in ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}])["InternetGateways"]:
        ec2.detach_internet_gateway(InternetGatewayId=g["InternetGatewayId"], VpcId=vpc)
        ec2.delete_internet_gateway(InternetGatewayId=g["InternetGatewayId"])
    for e in ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkInterfaces"]:
        if "Attachment" not in e:
            ec2.delete_network_interface(NetworkInterfaceId=e["NetworkInterfaceId"])
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)


def main_table(ec2, vpc):
    tables = ec2.describe_route_tables(Filters=[
        {"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}])["RouteTables"]
    assert len(tables) == 1
    return tables[0]


def test_default_vpc_routing(ec2):
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    routes = main_table(ec2, vpc)["Routes"]
    assert routes[0] == {"DestinationCidrBlock": "172.31.0.0/16", "GatewayId": "local",
                         "Origin": "CreateRouteTable", "State": "active"}
    igw = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}])["InternetGateways"]
    assert igw[0]["Attachments"] == [{"State": "available", "VpcId": vpc}]
    assert routes[1]["GatewayId"] == igw[0]["InternetGatewayId"] and routes[1]["DestinationCidrBlock"] == "0.0.0.0/0"
    acl = ec2.describe_network_acls(Filters=[{"Name": "default", "Values": ["true"]},
                                             {"Name": "vpc-id", "Values": [vpc]}])["NetworkAcls"][0]
    assert acl["IsDefault"] and len(acl["Associations"]) == 3


def test_route_tables_routes_and_associations(ec2, net):
    vpc, subnet = net
    main = main_table(ec2, vpc)
    assert [r.get("DestinationCidrBlock", r.get("DestinationIpv6CidrBlock")) is not None for r in main["Routes"]] == [True, True]
    rtb = ec2.create_route_table(VpcId=vpc, TagSpecifications=[
        {"ResourceType": "route-table", "Tags": [{"Key": "Name", "Value": "public"}]}])["RouteTable"]
    assert rtb["Tags"] == [{"Key": "Name", "Value": "public"}] and rtb["Associations"] == []
    rid = rtb["RouteTableId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.create_route(RouteTableId=rid, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.create_route(RouteTableId=rid, DestinationIpv6CidrBlock="::/0", GatewayId=igw)
    expect("RouteAlreadyExists", ec2.create_route, RouteTableId=rid, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    expect("InvalidGatewayID.NotFound", ec2.create_route, RouteTableId=rid, DestinationCidrBlock="192.0.2.0/24",
           GatewayId="igw-0123456789abcdef0")
    expect("InvalidRoute.NotFound", ec2.delete_route, RouteTableId=rid, DestinationCidrBlock="192.0.2.0/24")
    assoc = ec2.associate_route_table(RouteTableId=rid, SubnetId=subnet)
    assert assoc["AssociationState"] == {"State": "associated"}
    expect("Resource.AlreadyAssociated", ec2.associate_route_table, RouteTableId=main["RouteTableId"], SubnetId=subnet)
    found = ec2.describe_route_tables(Filters=[{"Name": "association.route-table-association-id",
                                                "Values": [assoc["AssociationId"]]}])["RouteTables"]
    assert [t["RouteTableId"] for t in found] == [rid]
    by_gw = ec2.describe_route_tables(Filters=[{"Name": "route.gateway-id", "Values": [igw]}])["RouteTables"]
    assert [t["RouteTableId"] for t in by_gw] == [rid]
    expect("DependencyViolation", ec2.delete_route_table, RouteTableId=rid)
    expect("DependencyViolation", ec2.delete_internet_gateway, InternetGatewayId=igw)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    expect("Gateway.NotAttached", ec2.detach_internet_gateway, InternetGatewayId=igw, VpcId=vpc)
    states = [r["State"] for r in ec2.describe_route_tables(RouteTableIds=[rid])["RouteTables"][0]["Routes"]]
    assert states == ["active", "active", "blackhole", "blackhole"]
    ec2.delete_internet_gateway(InternetGatewayId=igw)
    expect("InvalidInternetGatewayID.NotFound", ec2.describe_internet_gateways, InternetGatewayIds=[igw])
    # The main association moves to the new table and back.
    new = ec2.replace_route_table_association(AssociationId=main["Associations"][0]["RouteTableAssociationId"],
                                              RouteTableId=rid)["NewAssociationId"]
    assert main_table(ec2, vpc)["RouteTableId"] == rid
    ec2.replace_route_table_association(AssociationId=new, RouteTableId=main["RouteTableId"])
    assert main_table(ec2, vpc)["RouteTableId"] == main["RouteTableId"]
    ec2.disassociate_route_table(AssociationId=assoc["AssociationId"])
    expect("InvalidAssociationID.NotFound", ec2.disassociate_route_table, AssociationId=assoc["AssociationId"])
    ec2.delete_route(RouteTableId=rid, DestinationCidrBlock="0.0.0.0/0")
    ec2.delete_route_table(RouteTableId=rid)
    expect("InvalidRouteTableID.NotFound", ec2.describe_route_tables, RouteTableIds=[rid])


def test_route_table_pagination(ec2, net):
    vpc, _ = net
    made = [ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"] for _ in range(6)]
    seen, token = [], None
    while True:
        kwargs = {"MaxResults": 5, "Filters": [{"Name": "vpc-id", "Values": [vpc]}]}
        if token:
            kwargs["NextToken"] = token
        page = ec2.describe_route_tables(**kwargs)
        seen += [t["RouteTableId"] for t in page["RouteTables"]]
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(seen) == sorted(made + [main_table(ec2, vpc)["RouteTableId"]])


def test_elastic_ips(ec2, net):
    vpc, subnet = net
    eni = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    a = ec2.allocate_address(Domain="vpc", TagSpecifications=[
        {"ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "web"}]}])
    alloc, ip = a["AllocationId"], a["PublicIp"]
    assert (a["Domain"], a["PublicIpv4Pool"], a["NetworkBorderGroup"]) == ("vpc", "amazon", "us-east-1")
    try:
        expect("Gateway.NotAttached", ec2.associate_address, AllocationId=alloc, NetworkInterfaceId=eni)
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        assoc = ec2.associate_address(AllocationId=alloc, NetworkInterfaceId=eni)["AssociationId"]
        got = ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]
        assert (got["AssociationId"], got["NetworkInterfaceId"], got["PublicIp"]) == (assoc, eni, ip)
        assert got["Tags"] == [{"Key": "Name", "Value": "web"}]
        assert ec2.describe_addresses(PublicIps=[ip])["Addresses"][0]["AllocationId"] == alloc
        e = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]
        assert e["Association"]["PublicIp"] == ip
        expect("InvalidIPAddress.InUse", ec2.release_address, AllocationId=alloc)
        expect("DependencyViolation", ec2.detach_internet_gateway, InternetGatewayId=igw, VpcId=vpc)
        attr = ec2.describe_addresses_attribute(AllocationIds=[alloc], Attribute="domain-name")["Addresses"]
        assert attr[0]["AllocationId"] == alloc
        ec2.disassociate_address(AssociationId=assoc)
        expect("InvalidAssociationID.NotFound", ec2.disassociate_address, AssociationId=assoc)
        assert "Association" not in ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]
    finally:
        ec2.release_address(AllocationId=alloc)
    expect("InvalidAllocationID.NotFound", ec2.describe_addresses, AllocationIds=[alloc])


def test_address_limit(ec2):
    made = []
    try:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            for _ in range(6):
                made.append(ec2.allocate_address(Domain="vpc")["AllocationId"])
        assert e.value.response["Error"]["Code"] == "AddressLimitExceeded"
        assert len(made) <= 5
    finally:
        for alloc in made:
            ec2.release_address(AllocationId=alloc)


def test_network_acl_mutations_are_not_emulated(ec2, net):
    vpc, subnet = net
    acl = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["NetworkAcls"][0]
    assert acl["VpcId"] == vpc and acl["IsDefault"]
    assert sorted(e["RuleNumber"] for e in acl["Entries"]) == [100, 100, 101, 101, 32767, 32767, 32768, 32768]
    expect("UnsupportedOperation", ec2.create_network_acl, VpcId=vpc)
    expect("UnsupportedOperation", ec2.create_network_acl_entry, NetworkAclId=acl["NetworkAclId"], RuleNumber=10,
           Protocol="-1", RuleAction="deny", Egress=False, CidrBlock="0.0.0.0/0")
    expect("UnsupportedOperation", ec2.delete_network_acl, NetworkAclId=acl["NetworkAclId"])


def test_cli_routing(aws, net):
    vpc, subnet = net
    code, out = aws("ec2", "create-route-table", "--vpc-id", vpc)
    assert code == 0, out
    rid = out["RouteTable"]["RouteTableId"]
    code, out = aws("ec2", "create-internet-gateway")
    igw = out["InternetGateway"]["InternetGatewayId"]
    assert aws("ec2", "attach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)[0] == 0
    code, out = aws("ec2", "create-route", "--route-table-id", rid, "--destination-cidr-block", "0.0.0.0/0",
                    "--gateway-id", igw)
    assert code == 0 and out["Return"] is True, out
    code, out = aws("ec2", "describe-route-tables", "--filters", f"Name=route.gateway-id,Values={igw}")
    assert [t["RouteTableId"] for t in out["RouteTables"]] == [rid]
    code, err = aws("ec2", "delete-internet-gateway", "--internet-gateway-id", igw)
    assert code != 0 and "DependencyViolation" in err
    code, out = aws("ec2", "describe-network-acls", "--filters", f"Name=vpc-id,Values={vpc}")
    assert out["NetworkAcls"][0]["Associations"][0]["SubnetId"] == subnet
