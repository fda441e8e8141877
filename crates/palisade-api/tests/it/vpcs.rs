//! VPC and subnet attributes, CIDR block associations, zones and the default VPC/subnet,
//! through the router as Terraform's `aws_vpc`, `aws_subnet`, `aws_default_vpc`,
//! `aws_default_subnet` and the CIDR association resources call them.

use crate::harness::{Reply, Server};

#[track_caller]
fn check_code(r: &Reply, code: &str) {
    assert_eq!(r.code().as_deref(), Some(code), "{}", r.body);
}

async fn new_vpc(s: &Server, cidr: &str) -> String {
    s.call("CreateVpc", &[("CidrBlock", cidr)])
        .await
        .ok()
        .text("vpcId")
        .unwrap()
}

async fn attribute(s: &Server, vpc: &str, name: &str) -> String {
    let r = s
        .call(
            "DescribeVpcAttribute",
            &[("VpcId", vpc), ("Attribute", name)],
        )
        .await
        .ok();
    assert!(r.body.contains(&format!("<{name}><value>")), "{}", r.body);
    r.text("value").unwrap()
}

#[tokio::test]
async fn vpc_attributes_are_kept_one_per_call() {
    let s = Server::new();
    let vpc = s
        .call(
            "CreateVpc",
            &[
                ("CidrBlock", "10.0.0.0/16"),
                ("InstanceTenancy", "dedicated"),
            ],
        )
        .await
        .ok();
    assert_eq!(vpc.text("instanceTenancy").as_deref(), Some("dedicated"));
    assert!(vpc.text("dhcpOptionsId").unwrap().starts_with("dopt-"));
    let id = vpc.text("vpcId").unwrap();
    assert_eq!(attribute(&s, &id, "enableDnsSupport").await, "true");
    assert_eq!(attribute(&s, &id, "enableDnsHostnames").await, "false");
    assert_eq!(
        attribute(&s, &id, "enableNetworkAddressUsageMetrics").await,
        "false"
    );
    s.call(
        "ModifyVpcAttribute",
        &[("VpcId", &id), ("EnableDnsHostnames.Value", "true")],
    )
    .await
    .ok();
    assert_eq!(attribute(&s, &id, "enableDnsHostnames").await, "true");
    s.call(
        "ModifyVpcAttribute",
        &[
            ("VpcId", &id),
            ("EnableNetworkAddressUsageMetrics.Value", "true"),
        ],
    )
    .await
    .ok();
    assert_eq!(
        attribute(&s, &id, "enableNetworkAddressUsageMetrics").await,
        "true"
    );
    // One attribute per call; an unknown attribute name; no attribute at all.
    check_code(
        &s.call(
            "ModifyVpcAttribute",
            &[
                ("VpcId", &id),
                ("EnableDnsHostnames.Value", "false"),
                ("EnableDnsSupport.Value", "false"),
            ],
        )
        .await,
        "InvalidParameterCombination",
    );
    check_code(
        &s.call(
            "DescribeVpcAttribute",
            &[("VpcId", &id), ("Attribute", "enableDns")],
        )
        .await,
        "InvalidParameterValue",
    );
    check_code(
        &s.call("ModifyVpcAttribute", &[("VpcId", &id)]).await,
        "MissingParameter",
    );
    // DNS hostnames need DNS support.
    s.call(
        "ModifyVpcAttribute",
        &[("VpcId", &id), ("EnableDnsHostnames.Value", "false")],
    )
    .await
    .ok();
    s.call(
        "ModifyVpcAttribute",
        &[("VpcId", &id), ("EnableDnsSupport.Value", "false")],
    )
    .await
    .ok();
    check_code(
        &s.call(
            "ModifyVpcAttribute",
            &[("VpcId", &id), ("EnableDnsHostnames.Value", "true")],
        )
        .await,
        "InvalidParameterValue",
    );
    // Tenancy only goes back to default.
    let r = s
        .call(
            "ModifyVpcTenancy",
            &[("VpcId", &id), ("InstanceTenancy", "default")],
        )
        .await
        .ok();
    assert_eq!(r.text("return").as_deref(), Some("true"));
    check_code(
        &s.call(
            "ModifyVpcTenancy",
            &[("VpcId", &id), ("InstanceTenancy", "dedicated")],
        )
        .await,
        "InvalidParameterValue",
    );
    let d = s.call("DescribeVpcs", &[("VpcId.1", &id)]).await.ok();
    assert_eq!(d.text("instanceTenancy").as_deref(), Some("default"));
    check_code(
        &s.call(
            "DescribeVpcAttribute",
            &[
                ("VpcId", "vpc-0123456789abcdef0"),
                ("Attribute", "enableDnsSupport"),
            ],
        )
        .await,
        "InvalidVpcID.NotFound",
    );
}

#[tokio::test]
async fn default_vpc_has_dns_hostnames_and_default_subnets() {
    let s = Server::new();
    let d = s
        .call(
            "DescribeVpcs",
            &[("Filter.1.Name", "isDefault"), ("Filter.1.Value.1", "true")],
        )
        .await
        .ok();
    let vpc = d.text("vpcId").unwrap();
    assert_eq!(attribute(&s, &vpc, "enableDnsHostnames").await, "true");
    let subnets = s
        .call(
            "DescribeSubnets",
            &[
                ("Filter.1.Name", "defaultForAz"),
                ("Filter.1.Value.1", "true"),
            ],
        )
        .await
        .ok();
    // Items come in subnet-id order; compare them by zone.
    let mut found: Vec<(String, String, String)> = subnets
        .all("availabilityZone")
        .into_iter()
        .zip(subnets.all("availabilityZoneId"))
        .zip(subnets.all("cidrBlock"))
        .map(|((zone, id), cidr)| (zone, id, cidr))
        .collect();
    found.sort();
    let want = [
        ("us-east-1a", "use1-az6", "172.31.0.0/20"),
        ("us-east-1b", "use1-az1", "172.31.16.0/20"),
        ("us-east-1c", "use1-az2", "172.31.32.0/20"),
    ]
    .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()));
    assert_eq!(found, want);
    assert_eq!(subnets.all("mapPublicIpOnLaunch"), ["true", "true", "true"]);
}

#[tokio::test]
async fn create_default_vpc_and_subnet() {
    let s = Server::new();
    check_code(
        &s.call("CreateDefaultVpc", &[]).await,
        "DefaultVpcAlreadyExists",
    );
    check_code(
        &s.call("CreateDefaultSubnet", &[("AvailabilityZone", "us-east-1b")])
            .await,
        "DefaultSubnetAlreadyExistsInAvailabilityZone",
    );
    // A zone without one gets the next free /20.
    let r = s
        .call("CreateDefaultSubnet", &[("AvailabilityZone", "us-east-1d")])
        .await
        .ok();
    assert_eq!(r.text("cidrBlock").as_deref(), Some("172.31.48.0/20"));
    assert_eq!(r.text("defaultForAz").as_deref(), Some("true"));
    assert_eq!(r.text("availabilityZoneId").as_deref(), Some("use1-az4"));
    check_code(
        &s.call("CreateDefaultSubnet", &[("AvailabilityZone", "us-east-1z")])
            .await,
        "InvalidParameterValue",
    );
    // Without the default VPC: NoDefaultVpcForSubnet, then CreateDefaultVpc rebuilds it.
    let vpc = s
        .call(
            "DescribeVpcs",
            &[
                ("Filter.1.Name", "is-default"),
                ("Filter.1.Value.1", "true"),
            ],
        )
        .await
        .ok()
        .text("vpcId")
        .unwrap();
    let subnets = s
        .call(
            "DescribeSubnets",
            &[("Filter.1.Name", "vpc-id"), ("Filter.1.Value.1", &vpc)],
        )
        .await
        .ok()
        .all("subnetId");
    for id in &subnets {
        s.call("DeleteSubnet", &[("SubnetId", id)]).await.ok();
    }
    // The default VPC's internet gateway goes first, as on EC2.
    let igw = s
        .call(
            "DescribeInternetGateways",
            &[
                ("Filter.1.Name", "attachment.vpc-id"),
                ("Filter.1.Value.1", &vpc),
            ],
        )
        .await
        .ok()
        .text("internetGatewayId")
        .unwrap();
    s.call(
        "DetachInternetGateway",
        &[("InternetGatewayId", &igw), ("VpcId", &vpc)],
    )
    .await
    .ok();
    s.call("DeleteInternetGateway", &[("InternetGatewayId", &igw)])
        .await
        .ok();
    s.call("DeleteVpc", &[("VpcId", &vpc)]).await.ok();
    check_code(
        &s.call("CreateDefaultSubnet", &[("AvailabilityZone", "us-east-1a")])
            .await,
        "NoDefaultVpcForSubnet",
    );
    let r = s.call("CreateDefaultVpc", &[]).await.ok();
    assert_eq!(r.text("isDefault").as_deref(), Some("true"));
    assert_eq!(r.text("cidrBlock").as_deref(), Some("172.31.0.0/16"));
    let again = r.text("vpcId").unwrap();
    let d = s
        .call(
            "DescribeSubnets",
            &[("Filter.1.Name", "vpc-id"), ("Filter.1.Value.1", &again)],
        )
        .await
        .ok();
    assert_eq!(d.all("subnetId").len(), 3);
    let sg = s
        .call(
            "DescribeSecurityGroups",
            &[
                ("Filter.1.Name", "vpc-id"),
                ("Filter.1.Value.1", &again),
                ("Filter.2.Name", "group-name"),
                ("Filter.2.Value.1", "default"),
            ],
        )
        .await
        .ok();
    assert!(sg.text("groupId").is_some(), "{}", sg.body);
}

#[tokio::test]
async fn ipv4_cidr_associations_follow_ec2s_restrictions() {
    let s = Server::new();
    let vpc = new_vpc(&s, "10.0.0.0/16").await;
    let r = s
        .call(
            "AssociateVpcCidrBlock",
            &[("VpcId", &vpc), ("CidrBlock", "10.1.0.0/16")],
        )
        .await
        .ok();
    let assoc = r.text("associationId").unwrap();
    assert!(assoc.starts_with("vpc-cidr-assoc-"), "{assoc}");
    assert_eq!(r.text("state").as_deref(), Some("associating"));
    assert!(r.body.contains("<cidrBlockAssociation>"), "{}", r.body);
    // Every later read: associated, found by association id.
    let d = s
        .call(
            "DescribeVpcs",
            &[
                ("Filter.1.Name", "cidr-block-association.association-id"),
                ("Filter.1.Value.1", &assoc),
            ],
        )
        .await
        .ok();
    assert_eq!(d.all("vpcId"), std::slice::from_ref(&vpc));
    assert_eq!(d.all("state"), ["available", "associated", "associated"]);
    assert_eq!(
        d.all("cidrBlock")[0],
        "10.0.0.0/16",
        "the primary stays first"
    );
    let by_cidr = s
        .call(
            "DescribeVpcs",
            &[
                ("Filter.1.Name", "cidr"),
                ("Filter.1.Value.1", "10.1.0.0/16"),
            ],
        )
        .await
        .ok();
    assert!(
        by_cidr.all("vpcId").is_empty(),
        "`cidr` is the primary block"
    );
    // Overlap, size, private range of another kind.
    for (cidr, code) in [
        ("10.1.128.0/17", "InvalidVpc.Range"),
        ("10.2.0.0/29", "InvalidVpc.Range"),
        ("192.168.0.0/16", "InvalidVpc.Range"),
        ("172.16.0.0/16", "InvalidVpc.Range"),
    ] {
        check_code(
            &s.call(
                "AssociateVpcCidrBlock",
                &[("VpcId", &vpc), ("CidrBlock", cidr)],
            )
            .await,
            code,
        );
    }
    // A public range and 100.64.0.0/10 are allowed; then the quota of five is full.
    for cidr in ["100.64.0.0/16", "203.0.113.0/24", "10.3.0.0/16"] {
        s.call(
            "AssociateVpcCidrBlock",
            &[("VpcId", &vpc), ("CidrBlock", cidr)],
        )
        .await
        .ok();
    }
    check_code(
        &s.call(
            "AssociateVpcCidrBlock",
            &[("VpcId", &vpc), ("CidrBlock", "10.4.0.0/16")],
        )
        .await,
        "CidrLimitExceeded",
    );
    // A subnet in the block pins it; without one it goes.
    let subnet = s
        .call(
            "CreateSubnet",
            &[("VpcId", &vpc), ("CidrBlock", "10.1.1.0/24")],
        )
        .await
        .ok()
        .text("subnetId")
        .unwrap();
    check_code(
        &s.call("DisassociateVpcCidrBlock", &[("AssociationId", &assoc)])
            .await,
        "InvalidCidrBlock.InUse",
    );
    s.call("DeleteSubnet", &[("SubnetId", &subnet)]).await.ok();
    let r = s
        .call("DisassociateVpcCidrBlock", &[("AssociationId", &assoc)])
        .await
        .ok();
    assert_eq!(r.text("state").as_deref(), Some("disassociating"));
    let d = s.call("DescribeVpcs", &[("VpcId.1", &vpc)]).await.ok();
    assert!(!d.body.contains("10.1.0.0/16"), "{}", d.body);
    check_code(
        &s.call("DisassociateVpcCidrBlock", &[("AssociationId", &assoc)])
            .await,
        "InvalidVpcCidrBlockAssociationID.NotFound",
    );
    // The primary block cannot go.
    let primary = d.text("associationId").unwrap();
    check_code(
        &s.call("DisassociateVpcCidrBlock", &[("AssociationId", &primary)])
            .await,
        "OperationNotPermitted",
    );
}

#[tokio::test]
async fn ipv6_cidr_association_and_subnet_ipv6() {
    let s = Server::new();
    let vpc = new_vpc(&s, "10.0.0.0/16").await;
    check_code(
        &s.call(
            "AssociateVpcCidrBlock",
            &[
                ("VpcId", &vpc),
                ("AmazonProvidedIpv6CidrBlock", "true"),
                ("Ipv6CidrBlockNetworkBorderGroup", "us-west-2"),
            ],
        )
        .await,
        "InvalidParameterValue",
    );
    let r = s
        .call(
            "AssociateVpcCidrBlock",
            &[
                ("VpcId", &vpc),
                ("AmazonProvidedIpv6CidrBlock", "true"),
                ("Ipv6CidrBlockNetworkBorderGroup", "us-east-1"),
            ],
        )
        .await
        .ok();
    assert!(r.body.contains("<ipv6CidrBlockAssociation>"), "{}", r.body);
    assert_eq!(r.text("state").as_deref(), Some("associating"));
    assert_eq!(r.text("ipv6Pool").as_deref(), Some("Amazon"));
    assert_eq!(r.text("networkBorderGroup").as_deref(), Some("us-east-1"));
    let assoc = r.text("associationId").unwrap();
    let block = r.text("ipv6CidrBlock").unwrap();
    assert!(block.ends_with("/56"), "{block}");
    check_code(
        &s.call(
            "AssociateVpcCidrBlock",
            &[("VpcId", &vpc), ("AmazonProvidedIpv6CidrBlock", "true")],
        )
        .await,
        "CidrLimitExceeded",
    );
    for (name, value) in [
        ("ipv6-cidr-block-association.association-id", assoc.as_str()),
        ("ipv6-cidr-block-association.state", "associated"),
        ("ipv6-cidr-block-association.ipv6-pool", "Amazon"),
        (
            "ipv6-cidr-block-association.ipv6-cidr-block",
            block.as_str(),
        ),
    ] {
        let d = s
            .call(
                "DescribeVpcs",
                &[("Filter.1.Name", name), ("Filter.1.Value.1", value)],
            )
            .await
            .ok();
        assert_eq!(d.all("vpcId"), std::slice::from_ref(&vpc), "{name}");
    }
    // A subnet with a /64 of it: its association, then DisassociateSubnetCidrBlock.
    let sub64 = block.replace("::/56", "::/64");
    let subnet = s
        .call(
            "CreateSubnet",
            &[
                ("VpcId", &vpc),
                ("CidrBlock", "10.0.1.0/24"),
                ("Ipv6CidrBlock", &sub64),
                ("AvailabilityZoneId", "use1-az2"),
            ],
        )
        .await
        .ok();
    assert_eq!(
        subnet.text("availabilityZone").as_deref(),
        Some("us-east-1c")
    );
    let subnet_id = subnet.text("subnetId").unwrap();
    let sassoc = subnet.text("associationId").unwrap();
    assert!(sassoc.starts_with("subnet-cidr-assoc-"), "{sassoc}");
    check_code(
        &s.call("DisassociateVpcCidrBlock", &[("AssociationId", &assoc)])
            .await,
        "InvalidCidrBlock.InUse",
    );
    let d = s
        .call(
            "DescribeSubnets",
            &[
                (
                    "Filter.1.Name",
                    "ipv6-cidr-block-association.association-id",
                ),
                ("Filter.1.Value.1", &sassoc),
            ],
        )
        .await
        .ok();
    assert_eq!(d.all("subnetId"), std::slice::from_ref(&subnet_id));
    let r = s
        .call("DisassociateSubnetCidrBlock", &[("AssociationId", &sassoc)])
        .await
        .ok();
    assert_eq!(r.text("state").as_deref(), Some("disassociating"));
    assert_eq!(r.text("subnetId").as_deref(), Some(subnet_id.as_str()));
    check_code(
        &s.call("DisassociateSubnetCidrBlock", &[("AssociationId", &sassoc)])
            .await,
        "InvalidSubnetCidrBlockAssociationID.NotFound",
    );
    s.call("DisassociateVpcCidrBlock", &[("AssociationId", &assoc)])
        .await
        .ok();
    let d = s.call("DescribeVpcs", &[("VpcId.1", &vpc)]).await.ok();
    assert!(
        d.body.contains("<ipv6CidrBlockAssociationSet/>"),
        "{}",
        d.body
    );
}

#[tokio::test]
async fn subnet_attributes_and_zone_checks() {
    let s = Server::new();
    let vpc = new_vpc(&s, "10.0.0.0/16").await;
    let r = s
        .call(
            "CreateSubnet",
            &[
                ("VpcId", &vpc),
                ("CidrBlock", "10.0.1.0/24"),
                ("AvailabilityZone", "us-east-1f"),
            ],
        )
        .await
        .ok();
    for (tag, value) in [
        ("availabilityZoneId", "use1-az5"),
        ("defaultForAz", "false"),
        ("mapPublicIpOnLaunch", "false"),
        ("assignIpv6AddressOnCreation", "false"),
        ("mapCustomerOwnedIpOnLaunch", "false"),
        ("ipv6Native", "false"),
        ("enableDns64", "false"),
        ("hostnameType", "ip-name"),
        ("availableIpAddressCount", "251"),
    ] {
        assert_eq!(r.text(tag).as_deref(), Some(value), "{tag}: {}", r.body);
    }
    let id = r.text("subnetId").unwrap();
    for (name, value) in [
        ("MapPublicIpOnLaunch.Value", "true"),
        ("EnableDns64.Value", "true"),
        ("PrivateDnsHostnameTypeOnLaunch", "resource-name"),
        ("EnableResourceNameDnsARecordOnLaunch.Value", "true"),
        ("EnableResourceNameDnsAAAARecordOnLaunch.Value", "true"),
        ("AssignIpv6AddressOnCreation.Value", "true"),
        ("MapCustomerOwnedIpOnLaunch.Value", "false"),
    ] {
        s.call("ModifySubnetAttribute", &[("SubnetId", &id), (name, value)])
            .await
            .ok();
    }
    let d = s
        .call(
            "DescribeSubnets",
            &[
                ("Filter.1.Name", "map-public-ip-on-launch"),
                ("Filter.1.Value.1", "true"),
                ("Filter.2.Name", "vpc-id"),
                ("Filter.2.Value.1", &vpc),
            ],
        )
        .await
        .ok();
    assert_eq!(d.all("subnetId"), std::slice::from_ref(&id));
    for (tag, value) in [
        ("mapPublicIpOnLaunch", "true"),
        ("enableDns64", "true"),
        ("hostnameType", "resource-name"),
        ("enableResourceNameDnsARecord", "true"),
        ("enableResourceNameDnsAAAARecord", "true"),
        ("assignIpv6AddressOnCreation", "true"),
    ] {
        assert_eq!(d.text(tag).as_deref(), Some(value), "{tag}");
    }
    check_code(
        &s.call(
            "ModifySubnetAttribute",
            &[
                ("SubnetId", &id),
                ("MapPublicIpOnLaunch.Value", "true"),
                ("EnableDns64.Value", "true"),
            ],
        )
        .await,
        "InvalidParameterCombination",
    );
    check_code(
        &s.call(
            "ModifySubnetAttribute",
            &[
                ("SubnetId", &id),
                ("MapCustomerOwnedIpOnLaunch.Value", "true"),
            ],
        )
        .await,
        "InvalidParameterCombination",
    );
    check_code(
        &s.call(
            "ModifySubnetAttribute",
            &[("SubnetId", &id), ("PrivateDnsHostnameTypeOnLaunch", "x")],
        )
        .await,
        "InvalidParameterValue",
    );
    let bad = s
        .call(
            "CreateSubnet",
            &[
                ("VpcId", &vpc),
                ("CidrBlock", "10.0.2.0/24"),
                ("AvailabilityZone", "us-east-1z"),
            ],
        )
        .await;
    check_code(&bad, "InvalidParameterValue");
    assert!(bad.body.contains("us-east-1a, us-east-1b"), "{}", bad.body);
    check_code(
        &s.call(
            "CreateSubnet",
            &[
                ("VpcId", &vpc),
                ("CidrBlock", "10.0.2.0/24"),
                ("Ipv6Native", "true"),
            ],
        )
        .await,
        "InvalidParameterCombination",
    );
    // Filters by zone id, ARN and tag value.
    s.call(
        "CreateTags",
        &[
            ("ResourceId.1", &id),
            ("Tag.1.Key", "Name"),
            ("Tag.1.Value", "web"),
        ],
    )
    .await
    .ok();
    let arn = d.text("subnetArn").unwrap();
    for (name, value) in [
        ("availability-zone-id", "use1-az5"),
        ("subnet-arn", arn.as_str()),
        ("tag-value", "web"),
        ("assign-ipv6-address-on-creation", "true"),
        ("ipv6-native", "false"),
    ] {
        let d = s
            .call(
                "DescribeSubnets",
                &[
                    ("Filter.1.Name", name),
                    ("Filter.1.Value.1", value),
                    ("Filter.2.Name", "vpc-id"),
                    ("Filter.2.Value.1", &vpc),
                ],
            )
            .await
            .ok();
        assert_eq!(d.all("subnetId"), std::slice::from_ref(&id), "{name}");
    }
}

#[tokio::test]
async fn describe_availability_zones() {
    let s = Server::new();
    let r = s.call("DescribeAvailabilityZones", &[]).await.ok();
    assert_eq!(r.all("zoneName").len(), 6);
    assert_eq!(
        r.all("zoneId"),
        [
            "use1-az6", "use1-az1", "use1-az2", "use1-az4", "use1-az3", "use1-az5"
        ]
    );
    for (tag, value) in [
        ("zoneState", "available"),
        ("regionName", "us-east-1"),
        ("zoneType", "availability-zone"),
        ("optInStatus", "opt-in-not-required"),
        ("groupName", "us-east-1"),
        ("networkBorderGroup", "us-east-1"),
    ] {
        assert_eq!(r.text(tag).as_deref(), Some(value), "{tag}");
    }
    let r = s
        .call(
            "DescribeAvailabilityZones",
            &[
                ("ZoneName.1", "us-east-1b"),
                ("ZoneId.1", "use1-az3"),
                ("AllAvailabilityZones", "true"),
            ],
        )
        .await
        .ok();
    assert_eq!(r.all("zoneName"), ["us-east-1b", "us-east-1e"]);
    for (name, value, n) in [
        ("zone-name", "us-east-1c", 1),
        ("zone-id", "use1-az4", 1),
        ("state", "available", 6),
        ("region-name", "us-east-1", 6),
        ("zone-type", "local-zone", 0),
        ("opt-in-status", "opt-in-not-required", 6),
        ("group-name", "us-east-1", 6),
    ] {
        let r = s
            .call(
                "DescribeAvailabilityZones",
                &[("Filter.1.Name", name), ("Filter.1.Value.1", value)],
            )
            .await
            .ok();
        assert_eq!(r.all("zoneName").len(), n, "{name}");
    }
    check_code(
        &s.call("DescribeAvailabilityZones", &[("ZoneName.1", "us-east-1z")])
            .await,
        "InvalidParameterValue",
    );
    check_code(
        &s.call(
            "DescribeAvailabilityZones",
            &[("Filter.1.Name", "zone"), ("Filter.1.Value.1", "x")],
        )
        .await,
        "InvalidParameterValue",
    );
}

#[tokio::test]
async fn launch_maps_public_and_ipv6_addresses_per_subnet() {
    let s = Server::new();
    // The default subnets map a public IPv4 address.
    let r = s
        .call(
            "RunInstances",
            &[("ImageId", "ami-1"), ("MinCount", "2"), ("MaxCount", "2")],
        )
        .await
        .ok();
    let public = r.all("ipAddress");
    assert_eq!(public.len(), 2, "{}", r.body);
    assert!(
        public.iter().all(|ip| ip.starts_with("192.0.2.")),
        "{public:?}"
    );
    assert_ne!(public[0], public[1]);
    // `AssociatePublicIpAddress=false` on the primary interface overrides the subnet.
    let r = s
        .call(
            "RunInstances",
            &[
                ("ImageId", "ami-1"),
                ("MinCount", "1"),
                ("MaxCount", "1"),
                ("NetworkInterface.1.DeviceIndex", "0"),
                ("NetworkInterface.1.AssociatePublicIpAddress", "false"),
            ],
        )
        .await
        .ok();
    assert!(r.all("ipAddress").is_empty(), "{}", r.body);
    // A subnet that assigns IPv6 on creation gives the interface one address.
    let vpc = s
        .call(
            "CreateVpc",
            &[
                ("CidrBlock", "10.0.0.0/16"),
                ("AmazonProvidedIpv6CidrBlock", "true"),
            ],
        )
        .await
        .ok();
    let block = vpc.text("ipv6CidrBlock").unwrap();
    let subnet = s
        .call(
            "CreateSubnet",
            &[
                ("VpcId", &vpc.text("vpcId").unwrap()),
                ("CidrBlock", "10.0.1.0/24"),
                ("Ipv6CidrBlock", &block.replace("::/56", "::/64")),
            ],
        )
        .await
        .ok()
        .text("subnetId")
        .unwrap();
    s.call(
        "ModifySubnetAttribute",
        &[
            ("SubnetId", &subnet),
            ("AssignIpv6AddressOnCreation.Value", "true"),
        ],
    )
    .await
    .ok();
    let r = s
        .call(
            "RunInstances",
            &[
                ("ImageId", "ami-1"),
                ("MinCount", "1"),
                ("MaxCount", "1"),
                ("SubnetId", &subnet),
            ],
        )
        .await
        .ok();
    // The instance's ipv6Address, its interface's, and the interface's address set item.
    assert_eq!(
        r.all("ipv6Address").len(),
        3,
        "set item and first: {}",
        r.body
    );
    assert!(
        r.all("ipAddress").is_empty(),
        "created subnets map no public address"
    );
    let d = s
        .call("DescribeSubnets", &[("SubnetId.1", &subnet)])
        .await
        .ok();
    assert_eq!(d.text("availableIpAddressCount").as_deref(), Some("250"));
}
