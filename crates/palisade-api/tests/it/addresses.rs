//! Interface addresses through the router: secondary private IPv4 and IPv6 addresses on
//! CreateNetworkInterface and RunInstances, Assign/Unassign of both, a subnet's IPv6 block,
//! their errors, how DescribeNetworkInterfaces renders them, and what the eval endpoint
//! (and so `palisade eval --endpoint`) makes of them through a group reference.

use crate::harness::{Reply, Server};
use crate::network::eval;

/// A VPC with an Amazon-provided /56, a subnet 10.0.1.0/24 holding the /56's first /64, and
/// a subnet 10.0.2.0/24 without IPv6. Returns (vpc, dual-stack subnet, IPv4-only subnet,
/// the /64).
async fn dual_stack(s: &Server) -> (String, String, String, String) {
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
    let vpc_id = vpc.text("vpcId").unwrap();
    let block = vpc.text("ipv6CidrBlock").unwrap();
    let v64 = block.replace("/56", "/64");
    let dual = s
        .call(
            "CreateSubnet",
            &[
                ("VpcId", &vpc_id),
                ("CidrBlock", "10.0.1.0/24"),
                ("Ipv6CidrBlock", &v64),
            ],
        )
        .await
        .ok();
    assert_eq!(dual.text("ipv6CidrBlock").as_deref(), Some(v64.as_str()));
    let v4_only = s
        .call(
            "CreateSubnet",
            &[("VpcId", &vpc_id), ("CidrBlock", "10.0.2.0/24")],
        )
        .await
        .ok();
    (
        vpc_id,
        dual.text("subnetId").unwrap(),
        v4_only.text("subnetId").unwrap(),
        v64,
    )
}

/// The address of `net` with host part `host`.
fn in_net(net: &str, host: u16) -> String {
    let net: ipnet::Ipv6Net = net.parse().unwrap();
    std::net::Ipv6Addr::from(u128::from(net.network()) + u128::from(host)).to_string()
}

/// The `idx`th /64 of the /56 that holds `v64`.
fn nth_64(v64: &str, idx: usize) -> String {
    let net: ipnet::Ipv6Net = v64.parse().unwrap();
    let block = ipnet::Ipv6Net::new(net.network(), 56).unwrap().trunc();
    block.subnets(64).unwrap().nth(idx).unwrap().to_string()
}

#[track_caller]
fn check_code(r: &Reply, code: &str) {
    assert_eq!(r.code().as_deref(), Some(code), "{}", r.body);
}

async fn create_eni(s: &Server, params: &[(&str, &str)]) -> Reply {
    s.call("CreateNetworkInterface", params).await
}

#[tokio::test]
async fn create_network_interface_takes_secondary_and_ipv6_addresses() {
    let s = Server::new();
    let (_, subnet, _, v64) = dual_stack(&s).await;
    let v6 = in_net(&v64, 0x10);
    let r = create_eni(
        &s,
        &[
            ("SubnetId", &subnet),
            ("PrivateIpAddresses.1.PrivateIpAddress", "10.0.1.11"),
            ("PrivateIpAddresses.1.Primary", "false"),
            ("PrivateIpAddresses.2.PrivateIpAddress", "10.0.1.10"),
            ("PrivateIpAddresses.2.Primary", "true"),
            ("SecondaryPrivateIpAddressCount", "0"),
            ("Ipv6Addresses.1.Ipv6Address", &v6),
        ],
    )
    .await
    .ok();
    assert_eq!(r.text("privateIpAddress").as_deref(), Some("10.0.1.10"));
    assert!(
        r.body.contains("<privateIpAddressesSet><item><privateIpAddress>10.0.1.10</privateIpAddress><privateDnsName>ip-10-0-1-10.ec2.internal</privateDnsName><primary>true</primary></item><item><privateIpAddress>10.0.1.11</privateIpAddress><privateDnsName>ip-10-0-1-11.ec2.internal</privateDnsName><primary>false</primary></item></privateIpAddressesSet>"),
        "{}",
        r.body
    );
    assert!(r.body.contains(&format!(
        "<ipv6AddressesSet><item><ipv6Address>{v6}</ipv6Address><isPrimaryIpv6>false</isPrimaryIpv6></item></ipv6AddressesSet><ipv6Address>{v6}</ipv6Address>"
    )), "{}", r.body);
    let counted = create_eni(
        &s,
        &[
            ("SubnetId", &subnet),
            ("PrivateIpAddress", "10.0.1.20"),
            ("SecondaryPrivateIpAddressCount", "2"),
            ("Ipv6AddressCount", "2"),
        ],
    )
    .await
    .ok();
    let eni = counted.text("networkInterfaceId").unwrap();
    let d = s
        .call(
            "DescribeNetworkInterfaces",
            &[
                ("Filter.1.Name", "addresses.private-ip-address"),
                ("Filter.1.Value.1", "10.0.1.5"),
            ],
        )
        .await
        .ok();
    assert_eq!(d.all("networkInterfaceId"), [eni]);
    assert_eq!(
        d.all("privateIpAddress"),
        ["10.0.1.20", "10.0.1.20", "10.0.1.4", "10.0.1.5"]
    );
    let v6s = d.all("ipv6Address");
    assert_eq!(v6s.len(), 3, "two items and the interface's ipv6Address");
    let prefix = v64.trim_end_matches("::/64");
    assert!(
        v6s.iter().all(|a| a.starts_with(prefix)),
        "{v6s:?} in {v64}"
    );
}

#[tokio::test]
async fn address_errors_follow_ec2() {
    let s = Server::new();
    let (_, subnet, v4_only, v64) = dual_stack(&s).await;
    let e = |params: Vec<(&'static str, String)>| {
        let mut all = vec![("SubnetId", subnet.clone())];
        all.extend(params);
        all
    };
    let call = |params: Vec<(&'static str, String)>| {
        let s = &s;
        async move {
            let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            create_eni(s, &refs).await
        }
    };
    let ip = |v: &str| v.to_owned();
    check_code(
        &call(e(vec![("PrivateIpAddress", ip("10.0.2.10"))])).await,
        "InvalidParameterValue",
    );
    check_code(
        &call(e(vec![("PrivateIpAddress", ip("10.0.1.1"))])).await,
        "InvalidParameterValue",
    );
    call(e(vec![("PrivateIpAddress", ip("10.0.1.10"))]))
        .await
        .ok();
    check_code(
        &call(e(vec![(
            "PrivateIpAddresses.1.PrivateIpAddress",
            ip("10.0.1.10"),
        )]))
        .await,
        "InvalidIPAddress.InUse",
    );
    check_code(
        &call(e(vec![
            ("PrivateIpAddress", ip("10.0.1.30")),
            ("PrivateIpAddresses.1.PrivateIpAddress", ip("10.0.1.31")),
            ("PrivateIpAddresses.1.Primary", ip("true")),
        ]))
        .await,
        "InvalidParameterCombination",
    );
    check_code(
        &call(e(vec![
            ("Ipv6AddressCount", ip("1")),
            ("Ipv6Addresses.1.Ipv6Address", in_net(&v64, 9)),
        ]))
        .await,
        "InvalidParameterCombination",
    );
    check_code(
        &call(e(vec![("Ipv6Addresses.1.Ipv6Address", ip("2001:db8::9"))])).await,
        "InvalidParameterValue",
    );
    check_code(
        &call(vec![
            ("SubnetId", v4_only.clone()),
            ("Ipv6AddressCount", ip("1")),
        ])
        .await,
        "InvalidParameterValue",
    );
    check_code(
        &call(e(vec![("SecondaryPrivateIpAddressCount", ip("50"))])).await,
        "PrivateIpAddressLimitExceeded",
    );
    // AssociateSubnetCidrBlock gives the IPv4-only subnet a /64 of the VPC's /56.
    let other = nth_64(&v64, 1);
    check_code(
        &s.call(
            "AssociateSubnetCidrBlock",
            &[("SubnetId", &v4_only), ("Ipv6CidrBlock", "2001:db8::/64")],
        )
        .await,
        "InvalidSubnet.Range",
    );
    let r = s
        .call(
            "AssociateSubnetCidrBlock",
            &[("SubnetId", &v4_only), ("Ipv6CidrBlock", &other)],
        )
        .await
        .ok();
    assert_eq!(r.text("ipv6CidrBlock").as_deref(), Some(other.as_str()));
    // The call answers the transitional state; DescribeSubnets reads `associated`.
    assert_eq!(r.text("state").as_deref(), Some("associating"));
    call(vec![
        ("SubnetId", v4_only.clone()),
        ("Ipv6AddressCount", ip("1")),
    ])
    .await
    .ok();
}

#[tokio::test]
async fn assign_and_unassign_change_group_membership_for_eval() {
    let s = Server::new();
    let (vpc, subnet, _, v64) = dual_stack(&s).await;
    let group = |name: &'static str| {
        let s = &s;
        let vpc = vpc.clone();
        async move {
            s.call(
                "CreateSecurityGroup",
                &[
                    ("GroupName", name),
                    ("GroupDescription", "d"),
                    ("VpcId", &vpc),
                ],
            )
            .await
            .ok()
            .text("groupId")
            .unwrap()
        }
    };
    let app = group("app").await;
    let db = group("db").await;
    s.call(
        "AuthorizeSecurityGroupIngress",
        &[
            ("GroupId", &db),
            ("IpPermissions.1.IpProtocol", "tcp"),
            ("IpPermissions.1.FromPort", "5432"),
            ("IpPermissions.1.ToPort", "5432"),
            ("IpPermissions.1.Groups.1.GroupId", &app),
        ],
    )
    .await
    .ok();
    let app_eni = create_eni(&s, &[("SubnetId", &subnet), ("SecurityGroupId.1", &app)])
        .await
        .ok()
        .text("networkInterfaceId")
        .unwrap();
    let db_eni = create_eni(&s, &[("SubnetId", &subnet), ("SecurityGroupId.1", &db)])
        .await
        .ok()
        .text("networkInterfaceId")
        .unwrap();
    let v6 = in_net(&v64, 0x66);
    let ask = |remote: &str| {
        format!(
            r#"{{"interface":"{db_eni}","direction":"ingress","remote":"{remote}","protocol":"tcp","port":5432}}"#
        )
    };
    assert_eq!(eval(&s, &ask("10.0.1.40")).await["verdict"], "deny");
    assert_eq!(eval(&s, &ask(&v6)).await["verdict"], "deny");
    let r = s
        .call(
            "AssignPrivateIpAddresses",
            &[
                ("NetworkInterfaceId", &app_eni),
                ("PrivateIpAddress.1", "10.0.1.40"),
            ],
        )
        .await
        .ok();
    assert_eq!(r.all("privateIpAddress"), ["10.0.1.40"]);
    let r = s
        .call(
            "AssignIpv6Addresses",
            &[("NetworkInterfaceId", &app_eni), ("Ipv6Addresses.1", &v6)],
        )
        .await
        .ok();
    assert!(
        r.body.contains(&format!(
            "<assignedIpv6Addresses><item>{v6}</item></assignedIpv6Addresses>"
        )),
        "{}",
        r.body
    );
    assert_eq!(eval(&s, &ask("10.0.1.40")).await["verdict"], "allow");
    assert_eq!(eval(&s, &ask(&v6)).await["verdict"], "allow");
    // The exported snapshot (what `palisade eval --endpoint` imports) carries both.
    let snap = eval(&s, "{}").await.to_string();
    assert!(snap.contains("10.0.1.40") && snap.contains(&v6), "{snap}");
    check_code(
        &s.call(
            "UnassignPrivateIpAddresses",
            &[
                ("NetworkInterfaceId", &app_eni),
                ("PrivateIpAddress.1", "10.0.1.4"),
            ],
        )
        .await,
        "InvalidParameterValue",
    );
    s.call(
        "UnassignPrivateIpAddresses",
        &[
            ("NetworkInterfaceId", &app_eni),
            ("PrivateIpAddress.1", "10.0.1.40"),
        ],
    )
    .await
    .ok();
    let r = s
        .call(
            "UnassignIpv6Addresses",
            &[("NetworkInterfaceId", &app_eni), ("Ipv6Addresses.1", &v6)],
        )
        .await
        .ok();
    assert!(r.body.contains(&format!(
        "<unassignedIpv6Addresses><item>{v6}</item></unassignedIpv6Addresses>"
    )));
    assert_eq!(eval(&s, &ask("10.0.1.40")).await["verdict"], "deny");
    assert_eq!(eval(&s, &ask(&v6)).await["verdict"], "deny");
    // A counted assignment is reported and takes effect too.
    let r = s
        .call(
            "AssignPrivateIpAddresses",
            &[
                ("NetworkInterfaceId", &app_eni),
                ("SecondaryPrivateIpAddressCount", "1"),
            ],
        )
        .await
        .ok();
    let chosen = r.all("privateIpAddress");
    assert_eq!(chosen.len(), 1);
    assert_eq!(eval(&s, &ask(&chosen[0])).await["verdict"], "allow");
    check_code(
        &s.call("AssignIpv6Addresses", &[("NetworkInterfaceId", &app_eni)])
            .await,
        "MissingParameter",
    );
}

#[tokio::test]
async fn run_instances_takes_addresses() {
    let s = Server::new();
    let (_, subnet, _, v64) = dual_stack(&s).await;
    let base = [
        ("ImageId", "ami-12345678"),
        ("MinCount", "1"),
        ("MaxCount", "1"),
        ("SubnetId", subnet.as_str()),
    ];
    let mut top = base.to_vec();
    top.extend([("PrivateIpAddress", "10.0.1.50"), ("Ipv6AddressCount", "1")]);
    let r = s.call("RunInstances", &top).await.ok();
    assert_eq!(r.text("privateIpAddress").as_deref(), Some("10.0.1.50"));
    let prefix = v64.trim_end_matches("::/64");
    assert!(
        r.text("ipv6Address").unwrap().starts_with(prefix),
        "{}",
        r.body
    );
    let v6 = in_net(&v64, 0x51);
    let nic = [
        ("ImageId", "ami-12345678"),
        ("MinCount", "1"),
        ("MaxCount", "1"),
        ("NetworkInterface.1.DeviceIndex", "0"),
        ("NetworkInterface.1.SubnetId", subnet.as_str()),
        ("NetworkInterface.1.PrivateIpAddress", "10.0.1.60"),
        (
            "NetworkInterface.1.PrivateIpAddresses.1.PrivateIpAddress",
            "10.0.1.61",
        ),
        ("NetworkInterface.1.PrivateIpAddresses.1.Primary", "false"),
        (
            "NetworkInterface.1.Ipv6Addresses.1.Ipv6Address",
            v6.as_str(),
        ),
    ];
    let r = s.call("RunInstances", &nic).await.ok();
    let addrs = r.all("privateIpAddress");
    assert!(addrs.contains(&"10.0.1.61".to_owned()), "{addrs:?}");
    assert!(r.body.contains(&v6));
    let mut both = nic.to_vec();
    both.push(("PrivateIpAddress", "10.0.1.70"));
    check_code(
        &s.call("RunInstances", &both).await,
        "InvalidParameterCombination",
    );
    let mut two = base.to_vec();
    two[2] = ("MaxCount", "2");
    two.push(("PrivateIpAddress", "10.0.1.80"));
    check_code(
        &s.call("RunInstances", &two).await,
        "InvalidParameterCombination",
    );
    let mut taken = base.to_vec();
    taken.push(("PrivateIpAddress", "10.0.1.50"));
    check_code(
        &s.call("RunInstances", &taken).await,
        "InvalidIPAddress.InUse",
    );
}

#[tokio::test]
async fn ipv6_native_subnets_and_their_interfaces() {
    let s = Server::new();
    let (vpc, _, _, v64) = dual_stack(&s).await;
    let native = nth_64(&v64, 1);
    for (params, code) in [
        (vec![("Ipv6Native", "true")], "InvalidParameterCombination"),
        (
            vec![
                ("Ipv6Native", "true"),
                ("CidrBlock", "10.0.3.0/24"),
                ("Ipv6CidrBlock", &native),
            ],
            "InvalidParameterCombination",
        ),
        (vec![("Ipv6CidrBlock", &native)], "MissingParameter"),
    ] {
        let mut p = vec![("VpcId", vpc.as_str())];
        p.extend(params);
        check_code(&s.call("CreateSubnet", &p).await, code);
    }
    let r = s
        .call(
            "CreateSubnet",
            &[
                ("VpcId", &vpc),
                ("Ipv6Native", "true"),
                ("Ipv6CidrBlock", &native),
            ],
        )
        .await
        .ok();
    let subnet = r.text("subnetId").unwrap();
    assert_eq!(r.text("cidrBlock"), None, "{}", r.body);
    for (tag, value) in [
        ("ipv6Native", "true"),
        ("availableIpAddressCount", "0"),
        ("assignIpv6AddressOnCreation", "true"),
        ("hostnameType", "resource-name"),
        ("ipv6CidrBlock", native.as_str()),
    ] {
        assert_eq!(r.text(tag).as_deref(), Some(value), "{tag}: {}", r.body);
    }
    let d = s
        .call(
            "DescribeSubnets",
            &[
                ("Filter.1.Name", "ipv6-native"),
                ("Filter.1.Value.1", "true"),
            ],
        )
        .await
        .ok();
    assert_eq!(d.all("subnetId"), std::slice::from_ref(&subnet));
    check_code(
        &s.call(
            "ModifySubnetAttribute",
            &[
                ("SubnetId", &subnet),
                ("AssignIpv6AddressOnCreation.Value", "false"),
            ],
        )
        .await,
        "InvalidParameterValue",
    );
    // An interface there has one IPv6 address and no private IPv4 address.
    let e = s
        .call("CreateNetworkInterface", &[("SubnetId", &subnet)])
        .await
        .ok();
    assert_eq!(e.text("privateIpAddress"), None, "{}", e.body);
    let prefix = native.trim_end_matches("::/64");
    assert!(
        e.text("ipv6Address").unwrap().starts_with(prefix),
        "{}",
        e.body
    );
    check_code(
        &s.call(
            "CreateNetworkInterface",
            &[("SubnetId", &subnet), ("PrivateIpAddress", "10.0.1.9")],
        )
        .await,
        "InvalidParameterValue",
    );
    let i = s
        .call(
            "RunInstances",
            &[
                ("ImageId", "ami-12345678"),
                ("MinCount", "1"),
                ("MaxCount", "1"),
                ("SubnetId", &subnet),
            ],
        )
        .await
        .ok();
    assert_eq!(i.text("privateIpAddress"), None, "{}", i.body);
    assert!(
        i.text("ipv6Address").unwrap().starts_with(prefix),
        "{}",
        i.body
    );
}
