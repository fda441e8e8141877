//! Tests of the Query protocol: parameters, permissions, filters, pagination.

use palisade_model::{Direction, Ec2ErrorCode};

use super::*;
use crate::permissions_to_rules;

fn params(pairs: &[(&str, &str)]) -> Params {
    Params::from_pairs(pairs.iter().copied())
}

#[test]
fn lists_and_members_follow_indices() {
    let p = params(&[
        ("GroupId.2", "b"),
        ("GroupId.10", "c"),
        ("GroupId.1", "a"),
        ("GroupIdX", "z"),
    ]);
    assert_eq!(p.list("GroupId"), ["a", "b", "c"]);
    let p = params(&[
        ("Filter.2.Name", "vpc-id"),
        ("Filter.1.Name", "group-name"),
        ("Filter.1.Value.1", "web"),
    ]);
    let f = filters(&p).unwrap();
    assert_eq!(f[0].name, "group-name");
    assert_eq!(f[0].values, ["web"]);
    assert!(f[1].values.is_empty());
}

#[test]
fn ip_permissions_use_wire_names() {
    let p = params(&[
        ("IpPermissions.1.IpProtocol", "tcp"),
        ("IpPermissions.1.FromPort", "80"),
        ("IpPermissions.1.ToPort", "80"),
        ("IpPermissions.1.IpRanges.1.CidrIp", "10.0.0.1/24"),
        ("IpPermissions.1.IpRanges.2.CidrIp", "0.0.0.0/0"),
        ("IpPermissions.1.Ipv6Ranges.1.CidrIpv6", "::/0"),
        ("IpPermissions.1.Groups.1.GroupId", "sg-12345678"),
        ("IpPermissions.1.Groups.1.Description", "from app"),
    ]);
    let perms = ip_permissions(&p).unwrap();
    let rules = permissions_to_rules(&perms, Direction::Ingress).unwrap();
    let specs: Vec<String> = rules.iter().map(|r| r.spec.to_string()).collect();
    assert_eq!(
        specs,
        [
            "ingress tcp/80 from 10.0.0.0/24",
            "ingress tcp/80 from 0.0.0.0/0",
            "ingress tcp/80 from ::/0",
            "ingress tcp/80 from sg-12345678"
        ]
    );
    assert_eq!(rules[3].description.as_deref(), Some("from app"));
}

#[test]
fn legacy_source_group_grants_icmp_tcp_udp() {
    let p = params(&[("SourceSecurityGroupName", "web")]);
    let perms = legacy_permission(&p, Direction::Ingress).unwrap();
    assert_eq!(perms.len(), 3);
    let p = params(&[("CidrIp", "10.0.0.0/8")]);
    assert_eq!(
        legacy_permission(&p, Direction::Egress).unwrap_err().code(),
        Ec2ErrorCode::InvalidParameterCombination
    );
}

#[test]
fn modify_rules_errors_match_aws() {
    let base = [("SecurityGroupRule.1.SecurityGroupRuleId", "sgr-12345678")];
    let with = |extra: &[(&str, &str)]| {
        let mut v = base.to_vec();
        v.extend_from_slice(extra);
        rule_changes(&params(&v))
    };
    assert_eq!(
        with(&[]).unwrap_err().code(),
        Ec2ErrorCode::InvalidParameterValue
    );
    let proto = ("SecurityGroupRule.1.SecurityGroupRule.IpProtocol", "-1");
    assert_eq!(
        with(&[proto]).unwrap_err().code(),
        Ec2ErrorCode::MissingParameter
    );
    let v4 = (
        "SecurityGroupRule.1.SecurityGroupRule.CidrIpv4",
        "1.2.3.4/32",
    );
    let v6 = ("SecurityGroupRule.1.SecurityGroupRule.CidrIpv6", "::/0");
    assert_eq!(
        with(&[proto, v4, v6]).unwrap_err().code(),
        Ec2ErrorCode::InvalidParameterCombination
    );
    assert_eq!(with(&[proto, v4]).unwrap().len(), 1);
    let tcp = ("SecurityGroupRule.1.SecurityGroupRule.IpProtocol", "tcp");
    assert_eq!(
        with(&[tcp, v4]).unwrap_err().code(),
        Ec2ErrorCode::InvalidParameterValue
    );
}

#[test]
fn wildcards() {
    assert!(wildcard_match("web*", "web-1"));
    assert!(wildcard_match("w?b", "wib"));
    assert!(!wildcard_match("w?b", "wb"));
    assert!(wildcard_match("*", ""));
    assert!(!wildcard_match("a*c", "abd"));
}

#[test]
fn pagination_by_key() {
    let items: Vec<String> = (0..12).map(|n| format!("k{n:02}")).collect();
    let page = paginate(
        items.clone(),
        Clone::clone,
        &params(&[("MaxResults", "5")]),
        (5, 1000),
    )
    .unwrap();
    assert_eq!(page.items.len(), 5);
    let token = page.next_token.unwrap();
    let page2 = paginate(
        items.clone(),
        Clone::clone,
        &params(&[("MaxResults", "5"), ("NextToken", &token)]),
        (5, 1000),
    )
    .unwrap();
    assert_eq!(page2.items[0], "k05");
    let err = paginate(
        items.clone(),
        Clone::clone,
        &params(&[("MaxResults", "2")]),
        (5, 1000),
    )
    .unwrap_err();
    assert_eq!(err.code(), Ec2ErrorCode::InvalidParameterValue);
    let err = paginate(
        items,
        Clone::clone,
        &params(&[("NextToken", "junk")]),
        (5, 1000),
    )
    .unwrap_err();
    assert_eq!(err.code(), Ec2ErrorCode::InvalidNextToken);
}

#[test]
fn tag_specs_check_resource_type() {
    let p = params(&[
        ("TagSpecification.1.ResourceType", "security-group"),
        ("TagSpecification.1.Tag.1.Key", "Name"),
        ("TagSpecification.1.Tag.1.Value", "web"),
    ]);
    assert_eq!(p.tag_specs("security-group").unwrap()[0].value, "web");
    assert_eq!(
        p.tag_specs("vpc").unwrap_err().code(),
        Ec2ErrorCode::InvalidParameterValue
    );
}

#[track_caller]
fn check_spec_err(pairs: &[(&str, &str)], code: Ec2ErrorCode) {
    assert_eq!(
        address_spec(&params(pairs), "Ipv6Addresses")
            .unwrap_err()
            .code(),
        code
    );
}

#[test]
fn address_spec_reads_create_network_interface_names() {
    // Wire names as botocore 1.44.8 serialises CreateNetworkInterface.
    let p = params(&[
        ("PrivateIpAddresses.1.PrivateIpAddress", "10.0.0.6"),
        ("PrivateIpAddresses.1.Primary", "false"),
        ("PrivateIpAddresses.2.PrivateIpAddress", "10.0.0.5"),
        ("PrivateIpAddresses.2.Primary", "true"),
        ("Ipv6Addresses.1.Ipv6Address", "2600:1f00::10"),
    ]);
    let spec = address_spec(&p, "Ipv6Addresses").unwrap();
    assert_eq!(spec.primary_v4, Some("10.0.0.5".parse().unwrap()));
    assert_eq!(
        spec.secondary_v4,
        ["10.0.0.6".parse::<std::net::Ipv4Addr>().unwrap()]
    );
    assert_eq!(
        spec.ipv6,
        ["2600:1f00::10".parse::<std::net::Ipv6Addr>().unwrap()]
    );
    let p = params(&[
        ("PrivateIpAddress", "10.0.0.5"),
        ("SecondaryPrivateIpAddressCount", "2"),
        ("Ipv6AddressCount", "1"),
    ]);
    let spec = address_spec(&p, "Ipv6Addresses").unwrap();
    assert_eq!((spec.secondary_v4_count, spec.ipv6_count), (2, 1));
}

#[test]
fn address_spec_refuses_combinations() {
    use Ec2ErrorCode::{InvalidParameterCombination as Comb, InvalidParameterValue as Bad};
    check_spec_err(
        &[
            ("PrivateIpAddress", "10.0.0.5"),
            ("PrivateIpAddresses.1.PrivateIpAddress", "10.0.0.6"),
            ("PrivateIpAddresses.1.Primary", "true"),
        ],
        Comb,
    );
    check_spec_err(
        &[
            ("PrivateIpAddresses.1.PrivateIpAddress", "10.0.0.6"),
            ("PrivateIpAddresses.2.PrivateIpAddress", "10.0.0.7"),
            ("SecondaryPrivateIpAddressCount", "1"),
        ],
        Comb,
    );
    check_spec_err(
        &[
            ("Ipv6Addresses.1.Ipv6Address", "2600::1"),
            ("Ipv6AddressCount", "1"),
        ],
        Comb,
    );
    check_spec_err(&[("PrivateIpAddress", "10.0.0.300")], Bad);
    check_spec_err(&[("Ipv6Addresses.1.Ipv6Address", "10.0.0.1")], Bad);
    check_spec_err(&[("Ipv6AddressCount", "-1")], Bad);
}

#[test]
fn run_instances_takes_top_level_or_primary_interface_addresses() {
    let top = params(&[
        ("PrivateIpAddress", "10.0.0.9"),
        ("Ipv6Address.1.Ipv6Address", "2600::2"),
    ]);
    let spec = run_instances_spec(&top, None).unwrap();
    assert_eq!(
        spec.ipv6,
        ["2600::2".parse::<std::net::Ipv6Addr>().unwrap()]
    );
    let nic = params(&[("PrivateIpAddress", "10.0.0.3"), ("Ipv6AddressCount", "1")]);
    let spec = run_instances_spec(&params(&[]), Some(&nic)).unwrap();
    assert_eq!(
        (spec.primary_v4, spec.ipv6_count),
        (Some("10.0.0.3".parse().unwrap()), 1)
    );
    assert_eq!(
        run_instances_spec(&top, Some(&nic)).unwrap_err().code(),
        Ec2ErrorCode::InvalidParameterCombination
    );
}

#[test]
fn assign_needs_addresses_or_count() {
    let p = params(&[
        ("PrivateIpAddress.1", "10.0.0.7"),
        ("SecondaryPrivateIpAddressCount", "1"),
    ]);
    let addrs = ipv4_list(&p, "PrivateIpAddress").unwrap();
    let code = |r: Result<(Vec<std::net::Ipv4Addr>, u32), QueryError>| r.unwrap_err().code();
    assert_eq!(
        code(addresses_or_count(
            addrs.clone(),
            "SecondaryPrivateIpAddressCount",
            &p
        )),
        Ec2ErrorCode::InvalidParameterCombination
    );
    assert_eq!(
        code(addresses_or_count(
            vec![],
            "SecondaryPrivateIpAddressCount",
            &params(&[])
        )),
        Ec2ErrorCode::MissingParameter
    );
    let p = params(&[
        ("Ipv6Addresses.1", "2600::1"),
        ("Ipv6Addresses.2", "2600::2"),
    ]);
    assert_eq!(ipv6_list(&p, "Ipv6Addresses").unwrap().len(), 2);
}

/// `Params::parse` of one pair named `name`: `None` when accepted, else the error code.
#[track_caller]
fn check_name(name: &str, expected: Option<Ec2ErrorCode>) {
    let res = Params::parse([(name, "v")]);
    assert_eq!(res.err().map(|e| e.code()), expected, "{name}");
}

#[test]
fn parse_accepts_well_formed_names() {
    for name in [
        "Action",
        "X-Amz-Credential",
        "GroupId.1",
        "GroupId.10",
        "IpPermissions.1.IpRanges.2.CidrIp",
        "SecurityGroupRule.1.SecurityGroupRule.CidrIpv4",
        "TagSpecification.3.Tag.50.Key",
        "Filter.4294967295.Value.1",
    ] {
        check_name(name, None);
    }
}

#[test]
fn parse_refuses_malformed_indices() {
    use Ec2ErrorCode::UnknownParameter as Unknown;
    for name in [
        "IpPermissions.01.IpProtocol",
        "IpPermissions.0.IpProtocol",
        "IpPermissions.-1.IpProtocol",
        "IpPermissions.+1.IpProtocol",
        "IpPermissions.1x.IpProtocol",
        "IpPermissions.x.IpProtocol",
        "IpPermissions. 1.IpProtocol",
        "IpPermissions.4294967296.IpProtocol",
        "GroupId.99999999999999999999999",
        "GroupId.",
        "Filter..Name",
        ".1",
        "",
        "Filter.1.name",
        "Filter.1.Value-1",
    ] {
        check_name(name, Some(Unknown));
    }
}

#[test]
fn parse_refuses_two_spellings_of_one_parameter() {
    let twice = Params::parse([("GroupId.1", "a"), ("GroupId.1", "b")]);
    assert_eq!(
        twice.unwrap_err().code(),
        Ec2ErrorCode::InvalidParameterValue
    );
    let spellings = Params::parse([
        ("IpPermissions.1.IpProtocol", "tcp"),
        ("IpPermissions.01.IpProtocol", "udp"),
    ]);
    assert_eq!(
        spellings.unwrap_err().code(),
        Ec2ErrorCode::UnknownParameter
    );
    let p = Params::parse([("GroupId.2", "b"), ("GroupId.1", "a")]).unwrap();
    assert_eq!(p.list("GroupId"), ["a", "b"]);
}

#[test]
fn filter_values_are_limited_per_filter() {
    let mut pairs = vec![("Filter.1.Name".to_owned(), "group-id".to_owned())];
    pairs.extend((1..=3).map(|n| (format!("Filter.1.Value.{n}"), format!("sg-{n}"))));
    pairs.push(("Filter.2.Name".to_owned(), "vpc-id".to_owned()));
    pairs.extend((1..=3).map(|n| (format!("Filter.2.Value.{n}"), format!("vpc-{n}"))));
    let p = Params::from_pairs(pairs);
    assert!(check_filter_values(&p, 3).is_ok());
    assert_eq!(
        check_filter_values(&p, 2).unwrap_err().code(),
        Ec2ErrorCode::FilterLimitExceeded
    );
}

/// Lists and members take only names under `Name.`: a longer name sharing the prefix
/// (`Groups.…` beside `Group.…`) and the bare name are not theirs.
#[test]
fn lists_and_members_take_only_their_own_names() {
    let p = Params::from_pairs([
        ("Group", "bare"),
        ("Group.2", "second"),
        ("Group.10", "tenth"),
        ("Group.1.Name", "a"),
        ("Group.1.Tag.1", "t"),
        ("Groups.1.Name", "other"),
        ("GroupX.1", "other"),
    ]);
    assert_eq!(p.list("Group"), ["second", "tenth"]);
    let members = p.members("Group");
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].get("Name"), Some("a"));
    assert_eq!(members[0].list("Tag"), ["t"]);
    let member = p.member("Group");
    assert_eq!(member.get("2"), Some("second"));
    assert_eq!(member.get("1.Name"), Some("a"));
    assert_eq!(member.get("Name"), None);
    assert!(p.members("Groupz").is_empty());
}
