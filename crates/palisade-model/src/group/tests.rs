//! Tests of security groups: default rules, authorize/revoke semantics, quotas, names.

use super::*;
use crate::ids::SeqIdGen;

fn gid(n: u32) -> GroupId {
    format!("sg-{n:017x}").parse().unwrap()
}

fn group() -> (SecurityGroup, SeqIdGen) {
    let mut ids = SeqIdGen::starting_at(100);
    let g = SecurityGroup::new(
        gid(1),
        "web".into(),
        "web servers".into(),
        "vpc-00000000000000001".parse().unwrap(),
        "123456789012".parse().unwrap(),
        true,
        &mut ids,
    );
    (g, ids)
}

fn rule(dir: Direction, proto: &str, from: i64, to: i64, cidr: &str) -> NewRule {
    let peer = Peer::parse_cidr(cidr).unwrap();
    NewRule::new(
        dir,
        Traffic::parse(proto, Some(from), Some(to)).unwrap(),
        peer,
    )
}

fn no_pl(_: &PrefixListId) -> Option<u32> {
    None
}

#[track_caller]
fn check_authorize_err(rules: Vec<NewRule>, quotas: Quotas, code: Ec2ErrorCode) {
    let (mut g, mut ids) = group();
    let pl = |p: &PrefixListId| (p.as_str() == "pl-00000000000000001").then_some(50);
    let ctx = AuthorizeCtx {
        quotas: &quotas,
        prefix_list_weight: &pl,
    };
    let before = g.clone();
    let err = g.authorize(rules, &ctx, &mut ids).unwrap_err();
    assert_eq!(err.code(), code, "{err}");
    assert_eq!(g, before, "a refused authorize must change nothing");
}

#[test]
fn new_group_has_default_egress_only() {
    let (g, _) = group();
    assert_eq!(g.rules_in(Direction::Ingress).count(), 0);
    let egress: Vec<_> = g
        .rules_in(Direction::Egress)
        .map(|r| r.spec.to_string())
        .collect();
    assert_eq!(
        egress,
        [
            "egress all traffic to 0.0.0.0/0",
            "egress all traffic to ::/0"
        ]
    );
}

#[test]
fn default_group_allows_itself() {
    let mut ids = SeqIdGen::default();
    let g = SecurityGroup::new_default(
        gid(7),
        "vpc-00000000000000001".parse().unwrap(),
        "123456789012".parse().unwrap(),
        false,
        &mut ids,
    );
    let all: Vec<_> = g.rules().iter().map(|r| r.spec.to_string()).collect();
    assert_eq!(
        all,
        [
            "ingress all traffic from sg-00000000000000007",
            "egress all traffic to 0.0.0.0/0"
        ]
    );
}

#[test]
fn duplicate_after_canonicalisation() {
    let q = Quotas::default();
    check_authorize_err(
        vec![
            rule(Direction::Ingress, "tcp", 22, 22, "10.0.0.0/24"),
            rule(Direction::Ingress, "6", 22, 22, "10.0.0.1/24"),
        ],
        q,
        Ec2ErrorCode::InvalidPermissionDuplicate,
    );
    check_authorize_err(
        vec![rule(Direction::Egress, "-1", 0, 0, "0.0.0.0/0")],
        q,
        Ec2ErrorCode::InvalidPermissionDuplicate,
    );
}

#[test]
fn quota_counts_families_apart() {
    let q = Quotas::new(3, 5).unwrap();
    let v4 = |n: u8| rule(Direction::Ingress, "tcp", 22, 22, &format!("10.0.{n}.0/24"));
    let v6 = |n: u8| {
        rule(
            Direction::Ingress,
            "tcp",
            22,
            22,
            &format!("2001:db8:{n}::/48"),
        )
    };
    let (mut g, mut ids) = group();
    let ctx = AuthorizeCtx {
        quotas: &q,
        prefix_list_weight: &no_pl,
    };
    g.authorize(
        vec![v4(1), v4(2), v4(3), v6(1), v6(2), v6(3)],
        &ctx,
        &mut ids,
    )
    .unwrap();
    check_authorize_err(
        vec![v4(1), v4(2), v4(3), v4(4)],
        q,
        Ec2ErrorCode::RulesPerSecurityGroupLimitExceeded,
    );
}

#[test]
fn prefix_list_weighs_max_entries() {
    let q = Quotas::default();
    let pl: PrefixListId = "pl-00000000000000001".parse().unwrap();
    let r = |pl: PrefixListId| NewRule::new(Direction::Ingress, Traffic::All, Peer::PrefixList(pl));
    // 50 + 11 > 60.
    let mut rules = vec![r(pl)];
    rules.extend(
        (0..11).map(|n| rule(Direction::Ingress, "tcp", 22, 22, &format!("10.1.{n}.0/24"))),
    );
    check_authorize_err(rules, q, Ec2ErrorCode::RulesPerSecurityGroupLimitExceeded);
    check_authorize_err(
        vec![r("pl-00000000000000002".parse().unwrap())],
        q,
        Ec2ErrorCode::InvalidPrefixListIdNotFound,
    );
}

#[test]
fn quotas_validate() {
    assert!(Quotas::new(200, 5).is_ok());
    assert_eq!(
        Quotas::new(201, 5).unwrap_err().code(),
        Ec2ErrorCode::InvalidParameterValue
    );
    let q = Quotas::default();
    let six: Vec<GroupId> = (1..=6).map(gid).collect();
    assert_eq!(
        q.check_interface_groups(&six).unwrap_err().code(),
        Ec2ErrorCode::SecurityGroupsPerInterfaceLimitExceeded
    );
    assert!(q.check_interface_groups(&six[..5]).is_ok());
}

#[test]
fn names_validate() {
    assert!(validate_group_name("web tier (prod)").is_ok());
    assert_eq!(
        validate_group_name("sg-web").unwrap_err().code(),
        Ec2ErrorCode::InvalidParameterValue
    );
    assert_eq!(
        validate_group_name("Default").unwrap_err().code(),
        Ec2ErrorCode::InvalidGroupReserved
    );
    assert_eq!(
        validate_group_name("").unwrap_err().code(),
        Ec2ErrorCode::MissingParameter
    );
    assert_eq!(
        validate_group_name("caf\u{e9}").unwrap_err().code(),
        Ec2ErrorCode::InvalidParameterValue
    );
    assert!(validate_description("d", &"x".repeat(256)).is_err());
}

#[test]
fn revoke_is_all_or_nothing() {
    let (mut g, mut ids) = group();
    let q = Quotas::default();
    let ctx = AuthorizeCtx {
        quotas: &q,
        prefix_list_weight: &no_pl,
    };
    let a = rule(Direction::Ingress, "tcp", 22, 22, "10.0.0.0/24");
    let b = rule(Direction::Ingress, "tcp", 80, 80, "10.0.0.0/24");
    g.authorize(vec![a.clone()], &ctx, &mut ids).unwrap();
    let err = g.revoke_matching(&[a.spec.clone(), b.spec]).unwrap_err();
    assert_eq!(err.code(), Ec2ErrorCode::InvalidPermissionNotFound);
    assert_eq!(g.rules_in(Direction::Ingress).count(), 1);
    // Canonicalised match: 10.0.0.7/24 revokes 10.0.0.0/24.
    let twin = rule(Direction::Ingress, "tcp", 22, 22, "10.0.0.7/24");
    assert_eq!(g.revoke_matching(&[twin.spec]).unwrap().len(), 1);
    // Revoking the default egress with ports 0/0 (what Terraform sends) matches `-1`.
    let egress = rule(Direction::Egress, "-1", 0, 0, "0.0.0.0/0");
    assert_eq!(g.revoke_matching(&[egress.spec]).unwrap().len(), 1);
}

#[test]
fn revoke_by_id() {
    let (mut g, _) = group();
    let id = g.rules()[0].id.clone();
    let err = g
        .revoke_ids(Direction::Ingress, std::slice::from_ref(&id))
        .unwrap_err();
    assert_eq!(err.code(), Ec2ErrorCode::InvalidSecurityGroupRuleIdNotFound);
    assert_eq!(g.revoke_ids(Direction::Egress, &[id]).unwrap().len(), 1);
}
