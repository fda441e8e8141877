//! Route tables, internet gateways, Elastic IPs and network ACLs through the router: the
//! main table and default ACL of a VPC, routes and their states, associations, gateway
//! attachment, addresses on interfaces and instances, and the dependencies DeleteVpc,
//! DeleteSubnet and DeleteNetworkInterface honour.

use crate::harness::{Reply, Server};

async fn ok(s: &Server, action: &str, params: &[(&str, &str)]) -> Reply {
    s.call(action, params).await.ok()
}

async fn code(s: &Server, action: &str, params: &[(&str, &str)]) -> String {
    s.call(action, params).await.code().unwrap_or_default()
}

/// A VPC with an IPv6 block and one subnet: (vpc, subnet).
async fn network(s: &Server) -> (String, String) {
    let vpc = ok(
        s,
        "CreateVpc",
        &[
            ("CidrBlock", "10.0.0.0/16"),
            ("AmazonProvidedIpv6CidrBlock", "true"),
        ],
    )
    .await
    .text("vpcId")
    .unwrap();
    let subnet = ok(
        s,
        "CreateSubnet",
        &[("VpcId", &vpc), ("CidrBlock", "10.0.1.0/24")],
    )
    .await
    .text("subnetId")
    .unwrap();
    (vpc, subnet)
}

/// Attaches a new internet gateway to `vpc` (Elastic IPs need one); returns its id.
async fn gateway(s: &Server, vpc: &str) -> String {
    let igw = ok(s, "CreateInternetGateway", &[])
        .await
        .text("internetGatewayId")
        .unwrap();
    ok(
        s,
        "AttachInternetGateway",
        &[("InternetGatewayId", &igw), ("VpcId", vpc)],
    )
    .await;
    igw
}

#[tokio::test]
async fn default_vpc_has_main_table_with_internet_route_and_attached_gateway() {
    let s = Server::new();
    let t = ok(
        &s,
        "DescribeRouteTables",
        &[
            ("Filter.1.Name", "association.main"),
            ("Filter.1.Value.1", "true"),
        ],
    )
    .await;
    // One table: its id, and again in its main association.
    assert_eq!(t.all("routeTableId").len(), 2, "{}", t.body);
    assert_eq!(
        t.all("gatewayId")[0],
        "local",
        "the local route comes first"
    );
    let igw = t.all("gatewayId")[1].clone();
    assert!(igw.starts_with("igw-"));
    assert_eq!(t.all("state"), ["active", "active", "associated"]);
    let g = ok(&s, "DescribeInternetGateways", &[]).await;
    assert_eq!(g.text("internetGatewayId").unwrap(), igw);
    assert_eq!(g.text("state").unwrap(), "available");
    let acl = ok(
        &s,
        "DescribeNetworkAcls",
        &[("Filter.1.Name", "default"), ("Filter.1.Value.1", "true")],
    )
    .await;
    assert_eq!(acl.all("networkAclAssociationId").len(), 3);
    assert_eq!(acl.all("ruleNumber"), ["100", "32767", "100", "32767"]);
}

#[tokio::test]
async fn route_table_lifecycle_with_routes_and_associations() {
    let s = Server::new();
    let (vpc, subnet) = network(&s).await;
    let main = ok(
        &s,
        "DescribeRouteTables",
        &[
            ("Filter.1.Name", "vpc-id"),
            ("Filter.1.Value.1", &vpc),
            ("Filter.2.Name", "association.main"),
            ("Filter.2.Value.1", "true"),
        ],
    )
    .await;
    let main_id = main.text("routeTableId").unwrap();
    let main_assoc = main.text("routeTableAssociationId").unwrap();
    assert_eq!(main.all("gatewayId"), ["local", "local"], "IPv4 and IPv6");
    let rtb = ok(
        &s,
        "CreateRouteTable",
        &[
            ("VpcId", &vpc),
            ("TagSpecification.1.ResourceType", "route-table"),
            ("TagSpecification.1.Tag.1.Key", "Name"),
            ("TagSpecification.1.Tag.1.Value", "public"),
        ],
    )
    .await
    .text("routeTableId")
    .unwrap();
    let igw = ok(&s, "CreateInternetGateway", &[])
        .await
        .text("internetGatewayId")
        .unwrap();
    let r = [
        ("RouteTableId", rtb.as_str()),
        ("DestinationCidrBlock", "0.0.0.0/0"),
        ("GatewayId", igw.as_str()),
    ];
    // Not attached to the table's VPC: "belong to different networks".
    assert_eq!(code(&s, "CreateRoute", &r).await, "InvalidParameterValue");
    ok(
        &s,
        "AttachInternetGateway",
        &[("InternetGatewayId", &igw), ("VpcId", &vpc)],
    )
    .await;
    ok(&s, "CreateRoute", &r).await;
    assert_eq!(code(&s, "CreateRoute", &r).await, "RouteAlreadyExists");
    assert_eq!(
        code(
            &s,
            "CreateRoute",
            &[
                ("RouteTableId", &rtb),
                ("DestinationCidrBlock", "10.0.0.0/16"),
                ("GatewayId", &igw)
            ]
        )
        .await,
        "RouteAlreadyExists",
        "the local route"
    );
    let assoc = ok(
        &s,
        "AssociateRouteTable",
        &[("RouteTableId", &rtb), ("SubnetId", &subnet)],
    )
    .await
    .text("associationId")
    .unwrap();
    assert_eq!(
        code(
            &s,
            "AssociateRouteTable",
            &[("RouteTableId", &main_id), ("SubnetId", &subnet)]
        )
        .await,
        "Resource.AlreadyAssociated"
    );
    let by_subnet = ok(
        &s,
        "DescribeRouteTables",
        &[
            ("Filter.1.Name", "association.subnet-id"),
            ("Filter.1.Value.1", &subnet),
        ],
    )
    .await;
    assert_eq!(by_subnet.all("routeTableId")[0], rtb);
    assert_eq!(by_subnet.text("main").unwrap(), "false");
    assert_eq!(by_subnet.all("value"), ["public"]);
    assert_eq!(
        code(&s, "DeleteRouteTable", &[("RouteTableId", &rtb)]).await,
        "DependencyViolation"
    );
    assert_eq!(
        code(&s, "DeleteVpc", &[("VpcId", &vpc)]).await,
        "DependencyViolation"
    );
    // Detached, the gateway's route is a blackhole.
    ok(
        &s,
        "DetachInternetGateway",
        &[("InternetGatewayId", &igw), ("VpcId", &vpc)],
    )
    .await;
    let d = ok(&s, "DescribeRouteTables", &[("RouteTableId.1", &rtb)]).await;
    assert_eq!(d.all("state")[2], "blackhole", "{}", d.body);
    let black = ok(
        &s,
        "DescribeRouteTables",
        &[
            ("Filter.1.Name", "route.state"),
            ("Filter.1.Value.1", "blackhole"),
        ],
    )
    .await;
    // The table's id, and again in its association.
    assert_eq!(black.all("routeTableId"), [rtb.clone(), rtb.clone()]);
    // The main association moves and comes back (aws_main_route_table_association).
    let moved = ok(
        &s,
        "ReplaceRouteTableAssociation",
        &[("AssociationId", &main_assoc), ("RouteTableId", &rtb)],
    )
    .await
    .text("newAssociationId")
    .unwrap();
    let now_main = ok(
        &s,
        "DescribeRouteTables",
        &[
            ("Filter.1.Name", "association.main"),
            ("Filter.1.Value.1", "true"),
            ("Filter.2.Name", "vpc-id"),
            ("Filter.2.Value.1", &vpc),
        ],
    )
    .await;
    assert_eq!(now_main.text("routeTableId").unwrap(), rtb);
    assert_eq!(
        code(&s, "DisassociateRouteTable", &[("AssociationId", &moved)]).await,
        "InvalidParameterValue",
        "the main association stays"
    );
    ok(
        &s,
        "ReplaceRouteTableAssociation",
        &[("AssociationId", &moved), ("RouteTableId", &main_id)],
    )
    .await;
    ok(&s, "DisassociateRouteTable", &[("AssociationId", &assoc)]).await;
    assert_eq!(
        code(&s, "DisassociateRouteTable", &[("AssociationId", &assoc)]).await,
        "InvalidAssociationID.NotFound"
    );
    ok(
        &s,
        "AttachInternetGateway",
        &[("InternetGatewayId", &igw), ("VpcId", &vpc)],
    )
    .await;
    ok(
        &s,
        "ReplaceRoute",
        &[
            ("RouteTableId", &rtb),
            ("DestinationCidrBlock", "0.0.0.0/0"),
            ("GatewayId", &igw),
        ],
    )
    .await
    .text("return")
    .unwrap();
    ok(
        &s,
        "DeleteRoute",
        &[
            ("RouteTableId", &rtb),
            ("DestinationCidrBlock", "0.0.0.0/0"),
        ],
    )
    .await;
    assert_eq!(
        code(
            &s,
            "DeleteRoute",
            &[
                ("RouteTableId", &rtb),
                ("DestinationCidrBlock", "10.0.0.0/16")
            ]
        )
        .await,
        "InvalidParameterValue",
        "a local route stays"
    );
    ok(&s, "DeleteRouteTable", &[("RouteTableId", &rtb)]).await;
    assert_eq!(
        code(&s, "DeleteRouteTable", &[("RouteTableId", &main_id)]).await,
        "DependencyViolation",
        "the main table goes with its VPC"
    );
    ok(
        &s,
        "DetachInternetGateway",
        &[("InternetGatewayId", &igw), ("VpcId", &vpc)],
    )
    .await;
    ok(&s, "DeleteInternetGateway", &[("InternetGatewayId", &igw)]).await;
    ok(&s, "DeleteSubnet", &[("SubnetId", &subnet)]).await;
    ok(&s, "DeleteVpc", &[("VpcId", &vpc)]).await;
    assert_eq!(
        code(&s, "DescribeRouteTables", &[("RouteTableId.1", &main_id)]).await,
        "InvalidRouteTableID.NotFound"
    );
}

#[tokio::test]
async fn internet_gateway_attach_detach_delete() {
    let s = Server::new();
    let (vpc, _) = network(&s).await;
    let igw = ok(
        &s,
        "CreateInternetGateway",
        &[
            ("TagSpecification.1.ResourceType", "internet-gateway"),
            ("TagSpecification.1.Tag.1.Key", "Name"),
            ("TagSpecification.1.Tag.1.Value", "gw"),
        ],
    )
    .await
    .text("internetGatewayId")
    .unwrap();
    let other = ok(&s, "CreateInternetGateway", &[])
        .await
        .text("internetGatewayId")
        .unwrap();
    ok(
        &s,
        "AttachInternetGateway",
        &[("InternetGatewayId", &igw), ("VpcId", &vpc)],
    )
    .await;
    assert_eq!(
        code(
            &s,
            "AttachInternetGateway",
            &[("InternetGatewayId", &other), ("VpcId", &vpc)]
        )
        .await,
        "Resource.AlreadyAssociated",
        "one gateway per VPC"
    );
    assert_eq!(
        code(&s, "DeleteInternetGateway", &[("InternetGatewayId", &igw)]).await,
        "DependencyViolation"
    );
    let d = ok(
        &s,
        "DescribeInternetGateways",
        &[
            ("Filter.1.Name", "attachment.vpc-id"),
            ("Filter.1.Value.1", &vpc),
        ],
    )
    .await;
    assert_eq!(d.all("internetGatewayId"), std::slice::from_ref(&igw));
    assert_eq!(d.text("value").unwrap(), "gw");
    ok(
        &s,
        "DetachInternetGateway",
        &[("InternetGatewayId", &igw), ("VpcId", &vpc)],
    )
    .await;
    assert_eq!(
        code(
            &s,
            "DetachInternetGateway",
            &[("InternetGatewayId", &igw), ("VpcId", &vpc)]
        )
        .await,
        "Gateway.NotAttached"
    );
    ok(&s, "DeleteInternetGateway", &[("InternetGatewayId", &igw)]).await;
    let page = ok(&s, "DescribeInternetGateways", &[("MaxResults", "5")]).await;
    assert_eq!(
        page.all("internetGatewayId").len(),
        2,
        "the default VPC's and `other`"
    );
}

#[tokio::test]
async fn elastic_ip_on_interface_and_instance() {
    let s = Server::new();
    let (vpc, subnet) = network(&s).await;
    let eni = ok(&s, "CreateNetworkInterface", &[("SubnetId", &subnet)])
        .await
        .text("networkInterfaceId")
        .unwrap();
    let a = ok(&s, "AllocateAddress", &[("Domain", "vpc")]).await;
    let alloc = a.text("allocationId").unwrap();
    let ip = a.text("publicIp").unwrap();
    assert!(ip.starts_with("198.51.100.") || ip.starts_with("203.0.113."));
    assert_eq!(a.text("networkBorderGroup").unwrap(), "us-east-1");
    assert_eq!(
        code(
            &s,
            "AssociateAddress",
            &[("AllocationId", &alloc), ("NetworkInterfaceId", &eni)]
        )
        .await,
        "Gateway.NotAttached",
        "no internet gateway yet"
    );
    let igw = gateway(&s, &vpc).await;
    let assoc = ok(
        &s,
        "AssociateAddress",
        &[("AllocationId", &alloc), ("NetworkInterfaceId", &eni)],
    )
    .await
    .text("associationId")
    .unwrap();
    let e = ok(
        &s,
        "DescribeNetworkInterfaces",
        &[("NetworkInterfaceId.1", &eni)],
    )
    .await;
    assert_eq!(e.text("publicIp").unwrap(), ip);
    assert_eq!(
        code(&s, "ReleaseAddress", &[("AllocationId", &alloc)]).await,
        "InvalidIPAddress.InUse"
    );
    assert_eq!(
        code(
            &s,
            "DetachInternetGateway",
            &[("InternetGatewayId", &igw), ("VpcId", &vpc)]
        )
        .await,
        "DependencyViolation",
        "a mapped public address"
    );
    let d = ok(
        &s,
        "DescribeAddresses",
        &[
            ("Filter.1.Name", "association-id"),
            ("Filter.1.Value.1", &assoc),
        ],
    )
    .await;
    assert_eq!(d.text("networkInterfaceId").unwrap(), eni);
    // Moving to an instance needs AllowReassociation.
    let instance = ok(
        &s,
        "RunInstances",
        &[
            ("ImageId", "ami-12345678"),
            ("MinCount", "1"),
            ("MaxCount", "1"),
            ("SubnetId", &subnet),
        ],
    )
    .await
    .text("instanceId")
    .unwrap();
    assert_eq!(
        code(
            &s,
            "AssociateAddress",
            &[("AllocationId", &alloc), ("InstanceId", &instance)]
        )
        .await,
        "Resource.AlreadyAssociated"
    );
    let moved = ok(
        &s,
        "AssociateAddress",
        &[
            ("AllocationId", &alloc),
            ("InstanceId", &instance),
            ("AllowReassociation", "true"),
        ],
    )
    .await
    .text("associationId")
    .unwrap();
    let i = ok(&s, "DescribeInstances", &[("InstanceId.1", &instance)]).await;
    assert_eq!(i.text("ipAddress").unwrap(), ip);
    let e = ok(
        &s,
        "DescribeNetworkInterfaces",
        &[("NetworkInterfaceId.1", &eni)],
    )
    .await;
    assert!(e.text("publicIp").is_none(), "{}", e.body);
    let d = ok(
        &s,
        "DescribeAddresses",
        &[
            ("Filter.1.Name", "instance-id"),
            ("Filter.1.Value.1", &instance),
        ],
    )
    .await;
    assert_eq!(d.text("associationId").unwrap(), moved);
    let attr = ok(
        &s,
        "DescribeAddressesAttribute",
        &[("AllocationId.1", &alloc), ("Attribute", "domain-name")],
    )
    .await;
    assert_eq!(attr.text("publicIp").unwrap(), ip);
    // Terminating the instance disassociates the address.
    ok(&s, "TerminateInstances", &[("InstanceId.1", &instance)]).await;
    let d = ok(&s, "DescribeAddresses", &[("AllocationId.1", &alloc)]).await;
    assert!(d.text("associationId").is_none(), "{}", d.body);
    ok(&s, "ReleaseAddress", &[("AllocationId", &alloc)]).await;
    assert_eq!(
        code(&s, "DescribeAddresses", &[("AllocationId.1", &alloc)]).await,
        "InvalidAllocationID.NotFound"
    );
}

#[tokio::test]
async fn deleting_an_interface_disassociates_its_address() {
    let s = Server::new();
    let (vpc, subnet) = network(&s).await;
    gateway(&s, &vpc).await;
    let eni = ok(&s, "CreateNetworkInterface", &[("SubnetId", &subnet)])
        .await
        .text("networkInterfaceId")
        .unwrap();
    let alloc = ok(&s, "AllocateAddress", &[])
        .await
        .text("allocationId")
        .unwrap();
    ok(
        &s,
        "AssociateAddress",
        &[("AllocationId", &alloc), ("NetworkInterfaceId", &eni)],
    )
    .await;
    ok(
        &s,
        "DeleteNetworkInterface",
        &[("NetworkInterfaceId", &eni)],
    )
    .await;
    ok(&s, "ReleaseAddress", &[("AllocationId", &alloc)]).await;
}

#[tokio::test]
async fn network_acls_are_reported_not_emulated() {
    let s = Server::new();
    let (vpc, subnet) = network(&s).await;
    let d = ok(
        &s,
        "DescribeNetworkAcls",
        &[
            ("Filter.1.Name", "association.subnet-id"),
            ("Filter.1.Value.1", &subnet),
        ],
    )
    .await;
    assert_eq!(d.text("vpcId").unwrap(), vpc);
    assert_eq!(d.text("default").unwrap(), "true");
    assert_eq!(
        d.all("ruleNumber"),
        [
            "100", "101", "32767", "32768", "100", "101", "32767", "32768"
        ],
        "the IPv6 pair too"
    );
    let acl = d.text("networkAclId").unwrap();
    for action in [
        "CreateNetworkAcl",
        "CreateNetworkAclEntry",
        "ReplaceNetworkAclEntry",
        "DeleteNetworkAclEntry",
        "ReplaceNetworkAclAssociation",
        "DeleteNetworkAcl",
    ] {
        assert_eq!(
            code(&s, action, &[("NetworkAclId", &acl), ("VpcId", &vpc)]).await,
            "UnsupportedOperation",
            "{action}"
        );
    }
    // DeleteSubnet drops the subnet's route table association and ACL association.
    let rtb = ok(&s, "CreateRouteTable", &[("VpcId", &vpc)])
        .await
        .text("routeTableId")
        .unwrap();
    ok(
        &s,
        "AssociateRouteTable",
        &[("RouteTableId", &rtb), ("SubnetId", &subnet)],
    )
    .await;
    ok(&s, "DeleteSubnet", &[("SubnetId", &subnet)]).await;
    ok(&s, "DeleteRouteTable", &[("RouteTableId", &rtb)]).await;
    let d = ok(&s, "DescribeNetworkAcls", &[("NetworkAclId.1", &acl)]).await;
    assert!(d.all("networkAclAssociationId").is_empty(), "{}", d.body);
    assert_eq!(
        code(
            &s,
            "DescribeNetworkAcls",
            &[("Filter.1.Name", "bogus"), ("Filter.1.Value.1", "x")]
        )
        .await,
        "InvalidParameterValue"
    );
}
