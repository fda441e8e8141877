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
