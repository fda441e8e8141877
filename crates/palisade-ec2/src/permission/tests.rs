//! Tests of IpPermission conversions, with the round-trip property.

use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};
use palisade_model::{IcmpMatch, PortRange};
use proptest::prelude::*;
use serde_json::json;

use super::*;

#[track_caller]
fn check_err(json: serde_json::Value, code: Ec2ErrorCode, path: &str) {
    let err = parse_ip_permissions_value(&json, Direction::Ingress).unwrap_err();
    assert_eq!(err.code(), code, "{err}");
    assert_eq!(err.path(), path, "{err}");
}

#[track_caller]
fn check_ok(json: serde_json::Value, expect: &[&str]) {
    let rules = parse_ip_permissions_value(&json, Direction::Ingress).unwrap();
    let got: Vec<String> = rules.iter().map(|r| r.spec.to_string()).collect();
    assert_eq!(got, expect);
}

#[test]
fn one_rule_per_peer_in_order() {
    check_ok(
        json!([{
            "IpProtocol": "TCP", "FromPort": 443, "ToPort": 443,
            "IpRanges": [{"CidrIp": "10.0.0.1/24", "Description": "office"}, {"CidrIp": "0.0.0.0/0"}],
            "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
            "PrefixListIds": [{"PrefixListId": "pl-0123456789abcdef0"}],
            "UserIdGroupPairs": [{"GroupId": "sg-0123456789abcdef0", "UserId": "123456789012"}]
        }, {"IpProtocol": "-1", "FromPort": 0, "ToPort": 0, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}]),
        &[
            "ingress tcp/443 from 10.0.0.0/24",
            "ingress tcp/443 from 0.0.0.0/0",
            "ingress tcp/443 from ::/0",
            "ingress tcp/443 from pl-0123456789abcdef0",
            "ingress tcp/443 from 123456789012/sg-0123456789abcdef0",
            "ingress all traffic from 10.0.0.0/16",
        ],
    );
    let single = json!({"IpProtocol": "icmpv6", "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/32"}]});
    check_ok(single, &["ingress icmpv6/all types from 2001:db8::/32"]);
}

#[test]
fn errors_carry_code_and_path() {
    use Ec2ErrorCode::*;
    let cidr = |c: &str| json!([{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22}, {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}, {"CidrIp": c}]}]);
    // The first permission has no peer at all.
    check_err(cidr("10.0.0.0/8"), MissingParameter, "ip_permissions[0]");
    let cidr = |c: &str| json!([{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}, {"CidrIp": c}]}]);
    check_err(
        cidr("::/0"),
        InvalidParameterValue,
        "ip_permissions[0].ip_ranges[1].cidr_ip",
    );
    check_err(
        cidr("10.0.0.1"),
        InvalidParameterValue,
        "ip_permissions[0].ip_ranges[1].cidr_ip",
    );
    check_err(
        json!([{"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2, "Ipv6Ranges": [{"CidrIpv6": "0.0.0.0/0"}]}]),
        InvalidParameterValue,
        "ip_permissions[0].ipv6_ranges[0].cidr_ipv6",
    );
    check_err(
        json!([{"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2, "IpRanges": [{}]}]),
        MissingParameter,
        "ip_permissions[0].ip_ranges[0].cidr_ip",
    );
    check_err(
        json!([{"IpProtocol": "all", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]),
        InvalidParameterValue,
        "ip_permissions[0].ip_protocol",
    );
    check_err(
        json!([{"IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]),
        InvalidParameterValue,
        "ip_permissions[0].ip_protocol",
    );
    check_err(
        json!([{"IpProtocol": "udp", "FromPort": 1, "ToPort": 70000, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]),
        InvalidParameterValue,
        "ip_permissions[0].from_port",
    );
    check_err(
        json!([{"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "PrefixListIds": [{"PrefixListId": "pl-xyz"}]}]),
        InvalidPrefixListIdMalformed,
        "ip_permissions[0].prefix_list_ids[0].prefix_list_id",
    );
    check_err(
        json!([{"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "UserIdGroupPairs": [{"GroupId": "web"}]}]),
        InvalidGroupIdMalformed,
        "ip_permissions[0].user_id_group_pairs[0].group_id",
    );
    check_err(
        json!([{"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "UserIdGroupPairs": [{"GroupName": "web"}]}]),
        MissingParameter,
        "ip_permissions[0].user_id_group_pairs[0].group_id",
    );
    check_err(
        json!([{"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "UserIdGroupPairs": [{"GroupId": "sg-12345678", "VpcPeeringConnectionId": "vpc-12345678"}]}]),
        InvalidVpcPeeringConnectionIdMalformed,
        "ip_permissions[0].user_id_group_pairs[0].vpc_peering_connection_id",
    );
    check_err(
        json!([{"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "UserIdGroupPairs": [{"GroupId": "sg-12345678", "VpcId": "sg-12345678"}]}]),
        InvalidVpcIdMalformed,
        "ip_permissions[0].user_id_group_pairs[0].vpc_id",
    );
    check_err(
        json!([{"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "IpRanges": [{"CidrIp": "1.2.3.4/32", "Description": "caf\u{e9}"}]}]),
        InvalidParameterValue,
        "ip_permissions[0].ip_ranges[0].description",
    );
    check_err(
        json!([{"IpProtocol": 6}]),
        InvalidParameterValue,
        "ip_permissions[0]",
    );
    let err = parse_ip_permissions_json("[{", Direction::Egress).unwrap_err();
    assert_eq!(err.code(), InvalidParameterValue);
}

#[test]
fn render_groups_like_describe_security_groups() {
    let rules = parse_ip_permissions_value(
        &json!([
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.0.0/16"}]},
            {"IpProtocol": "6", "FromPort": 80, "ToPort": 80, "Ipv6Ranges": [{"CidrIpv6": "::/0", "Description": "v6"}]},
            {"IpProtocol": "47", "FromPort": 1, "ToPort": 2, "IpRanges": [{"CidrIp": "10.1.0.0/16"}]},
        ]),
        Direction::Ingress,
    )
    .unwrap();
    let out = serde_json::to_value(rules_to_permissions(&rules)).unwrap();
    assert_eq!(
        out,
        json!([
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
             "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0", "Description": "v6"}],
             "PrefixListIds": [], "UserIdGroupPairs": []},
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.0.0/16"}], "Ipv6Ranges": [],
             "PrefixListIds": [], "UserIdGroupPairs": []},
            {"IpProtocol": "47", "IpRanges": [{"CidrIp": "10.1.0.0/16"}], "Ipv6Ranges": [],
             "PrefixListIds": [], "UserIdGroupPairs": []},
        ])
    );
}

fn traffic() -> impl Strategy<Value = Traffic> {
    let ports = (any::<u16>(), any::<u16>())
        .prop_map(|(a, b)| PortRange::new(a.min(b), a.max(b)).expect("ordered"));
    let icmp = prop_oneof![
        Just(IcmpMatch::ANY),
        (any::<u8>(), proptest::option::of(any::<u8>())).prop_map(|(t, c)| IcmpMatch::new(
            Some(t),
            c
        )
        .expect("type given")),
    ];
    prop_oneof![
        Just(Traffic::All),
        ports.clone().prop_map(Traffic::Tcp),
        ports.prop_map(Traffic::Udp),
        icmp.clone().prop_map(Traffic::Icmp),
        icmp.prop_map(Traffic::Icmpv6),
        any::<u8>()
            .prop_filter("named protocols", |n| ![1, 6, 17, 58].contains(n))
            .prop_map(Traffic::Protocol),
    ]
}

fn hex_id(prefix: &'static str) -> impl Strategy<Value = String> {
    (0u64..1 << 40).prop_map(move |n| format!("{prefix}{n:017x}"))
}

fn peer() -> impl Strategy<Value = Peer> {
    let gref = (
        hex_id("sg-"),
        proptest::option::of(Just("123456789012".to_owned())),
        proptest::option::of(hex_id("vpc-")),
        proptest::option::of(hex_id("pcx-")),
    )
        .prop_map(|(g, o, v, p)| {
            Peer::Group(GroupRef {
                group_id: g.parse().expect("generated id"),
                owner: o.map(|o| o.parse().expect("generated account")),
                vpc_id: v.map(|v| v.parse().expect("generated id")),
                peering_id: p.map(|p| p.parse().expect("generated id")),
            })
        });
    prop_oneof![
        (any::<u32>(), 0u8..=32).prop_map(|(a, l)| Peer::Ipv4(
            Ipv4Net::new(Ipv4Addr::from(a), l)
                .expect("prefix <= 32")
                .trunc()
        )),
        (any::<u128>(), 0u8..=128).prop_map(|(a, l)| Peer::Ipv6(
            Ipv6Net::new(Ipv6Addr::from(a), l)
                .expect("prefix <= 128")
                .trunc()
        )),
        hex_id("pl-").prop_map(|p| Peer::PrefixList(p.parse().expect("generated id"))),
        gref,
    ]
}

fn new_rule(direction: Direction) -> impl Strategy<Value = NewRule> {
    (
        traffic(),
        peer(),
        proptest::option::of("[a-zA-Z0-9 ._:/()#,@+=&;!$*-]{0,20}"),
    )
        .prop_map(move |(t, p, d)| {
            let mut r = NewRule::new(direction, t, p);
            r.description = d;
            r
        })
}

fn sorted(mut rules: Vec<NewRule>) -> Vec<(RuleSpec, Option<String>)> {
    let mut out: Vec<_> = rules.drain(..).map(|r| (r.spec, r.description)).collect();
    out.sort();
    out
}

proptest! {
    /// parse ∘ render = id on normalised rules (as a multiset: rendering groups by traffic).
    #[test]
    fn render_then_parse_is_identity(rules in proptest::collection::vec(new_rule(Direction::Egress), 1..12)) {
        let perms = rules_to_permissions(&rules);
        let json = serde_json::to_string(&perms).unwrap();
        let back = parse_ip_permissions_json(&json, Direction::Egress).unwrap();
        prop_assert_eq!(sorted(back), sorted(rules));
    }
}
