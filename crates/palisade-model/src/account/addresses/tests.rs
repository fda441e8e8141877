//! Tests of interface addresses: choosing, checking, assigning and unassigning IPv4 and IPv6
//! addresses, and a subnet's IPv6 block.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::super::{AccountError, AccountState, AddressSpec, NewEni, NewInstances};
use crate::error::Ec2ErrorCode as C;
use crate::ids::{EniId, SeqIdGen, SubnetId};
use crate::quotas::Quotas;

/// A state with VPC 10.0.0.0/16 + an IPv6 /56, subnet A 10.0.1.0/24 with the /56's first
/// /64, and subnet B 10.0.2.0/24 without IPv6.
fn state() -> (AccountState, SeqIdGen, SubnetId, SubnetId) {
    let mut ids = SeqIdGen::default();
    let mut st = AccountState::bootstrap(
        "123456789012".parse().unwrap(),
        "us-east-1",
        Quotas::default(),
        &mut ids,
    );
    let vpc = st
        .create_vpc(
            "10.0.0.0/16".parse().unwrap(),
            Some("2600:1f00:0:100::/56".parse().unwrap()),
            vec![],
            &mut ids,
        )
        .unwrap();
    let a = st
        .create_subnet(
            &vpc,
            crate::account::SubnetBlocks {
                v4: Some("10.0.1.0/24".parse().unwrap()),
                v6: Some("2600:1f00:0:100::/64".parse().unwrap()),
                ipv6_native: false,
            },
            None,
            vec![],
            &mut ids,
        )
        .unwrap();
    let b = st
        .create_subnet(
            &vpc,
            crate::account::SubnetBlocks {
                v4: Some("10.0.2.0/24".parse().unwrap()),
                v6: None,
                ipv6_native: false,
            },
            None,
            vec![],
            &mut ids,
        )
        .unwrap();
    (st, ids, a, b)
}

fn v4(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}
fn v6(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

fn eni(
    st: &mut AccountState,
    ids: &mut SeqIdGen,
    subnet: &SubnetId,
    addresses: AddressSpec,
) -> Result<EniId, AccountError> {
    st.create_eni(
        NewEni {
            subnet_id: subnet.clone(),
            groups: vec![],
            addresses,
            description: String::new(),
            tags: vec![],
            conntrack: Default::default(),
        },
        ids,
    )
}

#[track_caller]
fn check_err<T: std::fmt::Debug>(res: Result<T, AccountError>, code: C) {
    assert_eq!(res.unwrap_err().code(), code);
}

#[test]
fn chosen_addresses_skip_the_reserved_and_the_used() {
    let (mut st, mut ids, a, _) = state();
    let spec = AddressSpec {
        secondary_v4_count: 2,
        ipv6_count: 2,
        ..AddressSpec::default()
    };
    let id = eni(&mut st, &mut ids, &a, spec).unwrap();
    let e = st.eni(&id).unwrap().clone();
    assert_eq!(
        e.private_ipv4,
        [v4("10.0.1.4"), v4("10.0.1.5"), v4("10.0.1.6")]
    );
    assert_eq!(e.ipv6.len(), 2);
    let net: ipnet::Ipv6Net = "2600:1f00:0:100::/64".parse().unwrap();
    assert!(e.ipv6.iter().all(|ip| net.contains(ip)) && e.ipv6[0] != e.ipv6[1]);
    let next = eni(&mut st, &mut ids, &a, AddressSpec::default()).unwrap();
    assert_eq!(st.eni(&next).unwrap().private_ipv4, [v4("10.0.1.7")]);
}

#[test]
fn named_addresses_keep_primary_first() {
    let (mut st, mut ids, a, _) = state();
    let spec = AddressSpec {
        primary_v4: Some(v4("10.0.1.20")),
        secondary_v4: vec![v4("10.0.1.21")],
        ipv6: vec![v6("2600:1f00:0:100::20")],
        ..AddressSpec::default()
    };
    let id = eni(&mut st, &mut ids, &a, spec).unwrap();
    let e = st.eni(&id).unwrap();
    assert_eq!(e.private_ipv4, [v4("10.0.1.20"), v4("10.0.1.21")]);
    assert_eq!(e.ipv6, [v6("2600:1f00:0:100::20")]);
    let addrs: Vec<IpAddr> = e.private_addrs().collect();
    assert_eq!(addrs.len(), 3);
}

#[test]
fn named_addresses_must_be_usable_and_free() {
    let (mut st, mut ids, a, b) = state();
    let named = |ip: &str| AddressSpec {
        primary_v4: Some(v4(ip)),
        ..AddressSpec::default()
    };
    check_err(
        eni(&mut st, &mut ids, &a, named("10.0.2.9")),
        C::InvalidParameterValue,
    );
    check_err(
        eni(&mut st, &mut ids, &a, named("10.0.1.3")),
        C::InvalidParameterValue,
    );
    check_err(
        eni(&mut st, &mut ids, &a, named("10.0.1.255")),
        C::InvalidParameterValue,
    );
    eni(&mut st, &mut ids, &a, named("10.0.1.9")).unwrap();
    check_err(
        eni(&mut st, &mut ids, &a, named("10.0.1.9")),
        C::InvalidIpAddressInUse,
    );
    let six = |ip: &str| AddressSpec {
        ipv6: vec![v6(ip)],
        ..AddressSpec::default()
    };
    check_err(
        eni(&mut st, &mut ids, &b, six("2600:1f00:0:100::9")),
        C::InvalidParameterValue,
    );
    check_err(
        eni(&mut st, &mut ids, &a, six("2600:1f00:0:101::9")),
        C::InvalidParameterValue,
    );
    eni(&mut st, &mut ids, &a, six("2600:1f00:0:100::9")).unwrap();
    check_err(
        eni(&mut st, &mut ids, &a, six("2600:1f00:0:100::9")),
        C::InvalidIpAddressInUse,
    );
    let many = AddressSpec {
        secondary_v4_count: Quotas::default().addresses_per_interface(),
        ..AddressSpec::default()
    };
    check_err(
        eni(&mut st, &mut ids, &a, many),
        C::PrivateIpAddressLimitExceeded,
    );
}

#[test]
fn a_full_subnet_has_no_free_address() {
    let (mut st, mut ids, a, _) = state();
    let vpc = st.subnet(&a).unwrap().vpc_id.clone();
    let small = st
        .create_subnet(
            &vpc,
            crate::account::SubnetBlocks {
                v4: Some("10.0.9.0/28".parse().unwrap()),
                v6: None,
                ipv6_native: false,
            },
            None,
            vec![],
            &mut ids,
        )
        .unwrap();
    // A /28 has 16 - 5 reserved = 11 usable addresses.
    let spec = |n| AddressSpec {
        secondary_v4_count: n,
        ..AddressSpec::default()
    };
    check_err(
        eni(&mut st, &mut ids, &small, spec(11)),
        C::InsufficientFreeAddressesInSubnet,
    );
    eni(&mut st, &mut ids, &small, spec(10)).unwrap();
    check_err(
        eni(&mut st, &mut ids, &small, spec(0)),
        C::InsufficientFreeAddressesInSubnet,
    );
}

#[test]
fn assign_and_unassign_private_addresses() {
    let (mut st, mut ids, a, _) = state();
    let x = eni(&mut st, &mut ids, &a, AddressSpec::default()).unwrap();
    let y = eni(&mut st, &mut ids, &a, AddressSpec::default()).unwrap();
    let got = st
        .assign_private_ips(&x, &[v4("10.0.1.50")], 0, false)
        .unwrap();
    assert_eq!(got, [v4("10.0.1.50")]);
    let got = st.assign_private_ips(&x, &[], 1, false).unwrap();
    assert_eq!(got, [v4("10.0.1.6")]);
    check_err(
        st.assign_private_ips(&y, &[v4("10.0.1.50")], 0, false),
        C::InvalidIpAddressInUse,
    );
    // The primary of another interface never moves.
    check_err(
        st.assign_private_ips(&y, &[v4("10.0.1.4")], 0, true),
        C::InvalidIpAddressInUse,
    );
    st.assign_private_ips(&y, &[v4("10.0.1.50")], 0, true)
        .unwrap();
    assert_eq!(
        st.eni(&x).unwrap().private_ipv4,
        [v4("10.0.1.4"), v4("10.0.1.6")]
    );
    assert_eq!(
        st.eni(&y).unwrap().private_ipv4,
        [v4("10.0.1.5"), v4("10.0.1.50")]
    );
    check_err(
        st.unassign_private_ips(&y, &[v4("10.0.1.5")]),
        C::InvalidParameterValue,
    );
    check_err(
        st.unassign_private_ips(&y, &[v4("10.0.1.6")]),
        C::InvalidParameterValue,
    );
    st.take_changed();
    st.unassign_private_ips(&y, &[v4("10.0.1.50")]).unwrap();
    assert_eq!(st.eni(&y).unwrap().private_ipv4, [v4("10.0.1.5")]);
    assert!(
        st.take_changed()
            .contains(&super::super::ResourceKey::Eni(y))
    );
}

#[test]
fn assign_and_unassign_ipv6_addresses() {
    let (mut st, mut ids, a, b) = state();
    let x = eni(&mut st, &mut ids, &a, AddressSpec::default()).unwrap();
    let no_v6 = eni(&mut st, &mut ids, &b, AddressSpec::default()).unwrap();
    check_err(
        st.assign_ipv6(&no_v6, &[], 1, &mut ids),
        C::InvalidParameterValue,
    );
    let got = st
        .assign_ipv6(&x, &[v6("2600:1f00:0:100::77")], 1, &mut ids)
        .unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(st.eni(&x).unwrap().ipv6, got);
    check_err(
        st.unassign_ipv6(&x, &[v6("2600:1f00:0:100::78")]),
        C::InvalidParameterValue,
    );
    st.unassign_ipv6(&x, &[v6("2600:1f00:0:100::77")]).unwrap();
    assert_eq!(st.eni(&x).unwrap().ipv6, got[1..]);
}

#[test]
fn subnet_ipv6_blocks_lie_in_the_vpc_and_do_not_overlap() {
    let (mut st, mut ids, a, b) = state();
    let vpc = st.subnet(&a).unwrap().vpc_id.clone();
    let sub = |st: &mut AccountState, ids: &mut SeqIdGen, v4: &str, v6: &str| {
        st.create_subnet(
            &vpc,
            crate::account::SubnetBlocks {
                v4: Some(v4.parse().unwrap()),
                v6: Some(v6.parse().unwrap()),
                ipv6_native: false,
            },
            None,
            vec![],
            ids,
        )
    };
    check_err(
        sub(&mut st, &mut ids, "10.0.3.0/24", "2600:1f00:0:200::/64"),
        C::InvalidSubnetRange,
    );
    check_err(
        sub(&mut st, &mut ids, "10.0.3.0/24", "2600:1f00:0:100::/60"),
        C::InvalidSubnetRange,
    );
    check_err(
        sub(&mut st, &mut ids, "10.0.3.0/24", "2600:1f00:0:100::/64"),
        C::InvalidSubnetConflict,
    );
    sub(&mut st, &mut ids, "10.0.3.0/24", "2600:1f00:0:103::/64").unwrap();
    check_err(
        st.associate_subnet_ipv6(&a, "2600:1f00:0:104::/64".parse().unwrap()),
        C::InvalidParameterValue,
    );
    let got = st
        .associate_subnet_ipv6(&b, "2600:1f00:0:102::/64".parse().unwrap())
        .unwrap();
    assert_eq!(st.subnet(&b).unwrap().cidr_v6, Some(got));
}

#[test]
fn run_instances_names_addresses_for_one_instance_only() {
    let (mut st, mut ids, a, _) = state();
    let new = |count| NewInstances {
        associate_public_ip: None,
        image_id: "ami-12345678".into(),
        instance_type: "t3.micro".into(),
        count,
        subnet_id: Some(a.clone()),
        groups: vec![],
        group_names: vec![],
        addresses: AddressSpec {
            primary_v4: Some(v4("10.0.1.40")),
            ipv6_count: 1,
            ..AddressSpec::default()
        },
        tags: vec![],
        launch: Default::default(),
        interfaces: vec![],
        eni_tags: vec![],
    };
    check_err(
        st.run_instances(new(2), &mut ids),
        C::InvalidParameterCombination,
    );
    let made = st.run_instances(new(1), &mut ids).unwrap();
    let instance = st.instance(&made[0]).unwrap().clone();
    assert_eq!(instance.private_ip, v4("10.0.1.40"));
    assert_eq!(st.eni(&instance.primary_eni).unwrap().ipv6.len(), 1);
}

/// An IPv6-only subnet (`Ipv6Native`) in the fixture's VPC, on the /56's second /64.
fn native_subnet(st: &mut AccountState, ids: &mut SeqIdGen) -> SubnetId {
    let vpc = st.subnet(&state_vpc_subnet(st)).unwrap().vpc_id.clone();
    let blocks = crate::account::SubnetBlocks {
        v4: None,
        v6: Some("2600:1f00:0:101::/64".parse().unwrap()),
        ipv6_native: true,
    };
    st.create_subnet(&vpc, blocks, None, vec![], ids).unwrap()
}

fn state_vpc_subnet(st: &AccountState) -> SubnetId {
    let s = st.snapshot().subnets.values();
    s.filter(|s| s.cidr_v6.is_some())
        .map(|s| s.id.clone())
        .next()
        .unwrap()
}

#[test]
fn ipv6_native_subnets_need_an_ipv6_block_and_no_ipv4_block() {
    let (mut st, mut ids, a, _) = state();
    let vpc = st.subnet(&a).unwrap().vpc_id.clone();
    let mut create = |v4: Option<&str>, v6: Option<&str>, ipv6_native| {
        let blocks = crate::account::SubnetBlocks {
            v4: v4.map(|c| c.parse().unwrap()),
            v6: v6.map(|c| c.parse().unwrap()),
            ipv6_native,
        };
        st.create_subnet(&vpc, blocks, None, vec![], &mut ids)
    };
    let v6 = Some("2600:1f00:0:102::/64");
    check_err(
        create(Some("10.0.3.0/24"), v6, true),
        C::InvalidParameterCombination,
    );
    check_err(create(None, None, true), C::InvalidParameterCombination);
    check_err(create(None, v6, false), C::MissingParameter);
    check_err(
        create(None, Some("2600:1f00:0:100::/64"), true),
        C::InvalidSubnetConflict,
    );
    check_err(
        create(None, Some("2600:1f00:1::/64"), true),
        C::InvalidSubnetRange,
    );
    let id = create(None, v6, true).unwrap();
    let s = st.subnet(&id).unwrap();
    assert!(s.ipv6_native());
    assert_eq!(s.cidr_v4, None);
    assert!(s.attributes.assign_ipv6_address_on_creation);
    assert_eq!(
        s.attributes.hostname_type,
        crate::network::HostnameType::ResourceName
    );
}

#[test]
fn ipv6_native_interfaces_get_ipv6_addresses_only() {
    let (mut st, mut ids, _, _) = state();
    let n = native_subnet(&mut st, &mut ids);
    let id = eni(&mut st, &mut ids, &n, AddressSpec::default()).unwrap();
    let e = st.eni(&id).unwrap();
    assert!(e.private_ipv4.is_empty());
    assert_eq!(e.ipv6.len(), 1);
    assert!(e.ipv6.iter().all(|a| {
        "2600:1f00:0:101::/64"
            .parse::<ipnet::Ipv6Net>()
            .unwrap()
            .contains(a)
    }));
    let named = AddressSpec {
        primary_v4: Some(v4("10.0.1.40")),
        ..AddressSpec::default()
    };
    check_err(eni(&mut st, &mut ids, &n, named), C::InvalidParameterValue);
    check_err(
        st.assign_private_ips(&id, &[], 1, false),
        C::InvalidParameterValue,
    );
    let two = AddressSpec {
        ipv6_count: 2,
        ..AddressSpec::default()
    };
    let id = eni(&mut st, &mut ids, &n, two).unwrap();
    assert_eq!(st.eni(&id).unwrap().ipv6.len(), 2);
}

#[test]
fn ipv6_native_instances_have_no_private_ipv4() {
    let (mut st, mut ids, _, _) = state();
    let n = native_subnet(&mut st, &mut ids);
    let new = NewInstances {
        associate_public_ip: None,
        image_id: "ami-12345678".into(),
        instance_type: "t3.micro".into(),
        count: 1,
        subnet_id: Some(n),
        groups: vec![],
        group_names: vec![],
        addresses: AddressSpec::default(),
        tags: vec![],
        launch: Default::default(),
        interfaces: vec![],
        eni_tags: vec![],
    };
    let made = st.run_instances(new, &mut ids).unwrap();
    let instance = st.instance(&made[0]).unwrap().clone();
    assert!(instance.private_ip.is_unspecified());
    let e = st.eni(&instance.primary_eni).unwrap();
    assert!(e.private_ipv4.is_empty() && e.public_ipv4.is_none());
    assert_eq!(e.ipv6.len(), 1);
}
