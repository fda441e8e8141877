//! One bad snapshot and one fixed snapshot per audit check.

use palisade_analysis::{AuditConfig, CheckId, Finding, Index, RawCidr, audit};
use palisade_model::{Direction, PeeringStatus, Snapshot};

use crate::world::{World, pcx, sg};

fn run(snap: &Snapshot, config: &AuditConfig) -> Vec<Finding> {
    audit(&Index::new(snap), config)
}

#[track_caller]
fn fires_with(snap: &Snapshot, config: &AuditConfig, check: CheckId, resource: &str) {
    let findings = run(snap, config);
    assert!(
        findings.iter().any(|f| f.check == check
            && f.resource.to_string() == resource
            && f.severity == check.severity()),
        "{check} on {resource} expected, got {findings:#?}"
    );
}

#[track_caller]
fn fires(snap: &Snapshot, check: CheckId, resource: &str) {
    fires_with(snap, &AuditConfig::standard(), check, resource);
}

#[track_caller]
fn silent_with(snap: &Snapshot, config: &AuditConfig, check: CheckId) {
    let findings = run(snap, config);
    let hits: Vec<&Finding> = findings.iter().filter(|f| f.check == check).collect();
    assert!(hits.is_empty(), "{check} expected silent, got {hits:#?}");
}

#[track_caller]
fn silent(snap: &Snapshot, check: CheckId) {
    silent_with(snap, &AuditConfig::standard(), check);
}

/// One group with one ingress rule, on one dual-stack interface.
fn one_rule(proto: &str, ports: Option<(i64, i64)>, peer: &str) -> Snapshot {
    let mut w = World::new();
    w.group(1).eni(1, &["10.0.0.10", "2600:1f00::10"], &[1]);
    w.ingress(1, proto, ports, peer);
    w.snap
}

#[test]
fn admin_port() {
    let c = CheckId::AdminPortOpenToInternet;
    fires(
        &one_rule("tcp", Some((22, 22)), "0.0.0.0/0"),
        c,
        "sg-00000001",
    );
    fires(
        &one_rule("tcp", Some((3389, 3389)), "::/0"),
        c,
        "sg-00000001",
    );
    // A range covers the port; -1 covers everything.
    fires(
        &one_rule("tcp", Some((0, 65535)), "0.0.0.0/0"),
        c,
        "sg-00000001",
    );
    fires(&one_rule("-1", None, "0.0.0.0/0"), c, "sg-00000001");
    silent(&one_rule("tcp", Some((22, 22)), "203.0.113.0/24"), c);
    silent(&one_rule("tcp", Some((22, 22)), "10.0.0.0/8"), c);
    silent(&one_rule("tcp", Some((23, 3388)), "0.0.0.0/0"), c);
    silent(&one_rule("udp", Some((22, 22)), "0.0.0.0/0"), c);
}

#[test]
fn admin_port_halves_add_up() {
    let c = CheckId::AdminPortOpenToInternet;
    let mut w = World::new();
    w.group(1).eni(1, &["10.0.0.10"], &[1]);
    w.ingress(1, "tcp", Some((22, 22)), "0.0.0.0/1");
    w.ingress(1, "tcp", Some((22, 22)), "128.0.0.0/1");
    fires(&w.snap, c, "sg-00000001");

    // Split across two groups: only the interface carrying both is open.
    let mut w = World::new();
    w.group(1)
        .group(2)
        .eni(1, &["10.0.0.10"], &[1, 2])
        .eni(2, &["10.0.0.11"], &[1]);
    w.ingress(1, "tcp", Some((20, 30)), "0.0.0.0/1");
    w.ingress(2, "tcp", Some((0, 65535)), "128.0.0.0/1");
    fires(&w.snap, c, "eni-00000001");
    let findings = run(&w.snap, &AuditConfig::standard());
    assert!(
        !findings
            .iter()
            .any(|f| f.check == c && f.resource.to_string() != "eni-00000001"),
        "{findings:#?}"
    );

    // One half only: not the internet.
    let mut w = World::new();
    w.group(1).eni(1, &["10.0.0.10"], &[1]);
    w.ingress(1, "tcp", Some((22, 22)), "128.0.0.0/1");
    silent(&w.snap, c);
}

#[test]
fn admin_port_needs_the_family_and_a_member() {
    let c = CheckId::AdminPortOpenToInternet;
    // ::/0 on an interface without IPv6.
    let mut w = World::new();
    w.group(1).eni(1, &["10.0.0.10"], &[1]);
    w.ingress(1, "tcp", Some((22, 22)), "::/0");
    silent(&w.snap, c);
    // A group attached nowhere exposes nothing.
    let mut w = World::new();
    w.group(1);
    w.ingress(1, "tcp", Some((22, 22)), "0.0.0.0/0");
    silent(&w.snap, c);
}

#[test]
fn high_risk_port() {
    let c = CheckId::HighRiskPortOpenToInternet;
    fires(
        &one_rule("tcp", Some((5432, 5432)), "::/0"),
        c,
        "sg-00000001",
    );
    fires(
        &one_rule("tcp", Some((6000, 6400)), "0.0.0.0/0"),
        c,
        "sg-00000001",
    );
    fires(
        &one_rule("udp", Some((11211, 11211)), "0.0.0.0/0"),
        c,
        "sg-00000001",
    );
    silent(&one_rule("tcp", Some((5432, 5432)), "sg-00000001"), c);
    silent(&one_rule("tcp", Some((443, 443)), "0.0.0.0/0"), c);
}

#[test]
fn all_traffic() {
    let c = CheckId::AllTrafficOpenToInternet;
    fires(&one_rule("-1", None, "0.0.0.0/0"), c, "sg-00000001");
    fires(&one_rule("tcp", Some((0, 65535)), "::/0"), c, "sg-00000001");
    silent(&one_rule("tcp", Some((1, 65535)), "0.0.0.0/0"), c);
    silent(&one_rule("-1", None, "10.0.0.0/16"), c);
}

#[test]
fn default_group() {
    let c = CheckId::DefaultGroupHasRules;
    let mut w = World::new();
    w.group_in(1, 1, "default").eni(1, &["10.0.0.10"], &[1]);
    silent(&w.snap, c);
    w.ingress(1, "-1", None, "sg-00000001");
    fires(&w.snap, c, "sg-00000001");
}

#[test]
fn unused_group() {
    let c = CheckId::UnusedGroup;
    let mut w = World::new();
    w.group(1).group(2).eni(1, &["10.0.0.10"], &[1]);
    fires(&w.snap, c, "sg-00000002");
    // Referenced by another group: in use.
    w.ingress(1, "tcp", Some((443, 443)), "sg-00000002");
    silent(&w.snap, c);
    // Attached: in use.
    let mut w = World::new();
    w.group(1).group(2).eni(1, &["10.0.0.10"], &[1, 2]);
    silent(&w.snap, c);
}

#[test]
fn too_many_rules() {
    let c = CheckId::InterfaceTooManyRules;
    let config = AuditConfig {
        max_rules_per_interface: 3,
        ..AuditConfig::standard()
    };
    let mut w = World::new();
    w.group(1).group(2).eni(1, &["10.0.0.10"], &[1, 2]);
    for port in [1, 2] {
        w.ingress(1, "tcp", Some((port, port)), "10.0.0.0/16");
        w.ingress(2, "tcp", Some((port, port)), "10.1.0.0/16");
    }
    fires_with(&w.snap, &config, c, "eni-00000001");
    let mut w = World::new();
    w.group(1).group(2).eni(1, &["10.0.0.10"], &[1, 2]);
    w.ingress(1, "tcp", Some((1, 1)), "10.0.0.0/16");
    w.ingress(2, "tcp", Some((1, 2)), "10.1.0.0/16");
    silent_with(&w.snap, &config, c);
}

#[test]
fn redundant_same_group() {
    let c = CheckId::RedundantRule;
    let mut w = World::new();
    w.group(1).eni(1, &["10.0.0.10"], &[1]);
    let narrow = w.ingress(1, "tcp", Some((80, 80)), "10.0.0.0/16");
    w.ingress(1, "tcp", Some((80, 443)), "10.0.0.0/8");
    let findings = run(&w.snap, &AuditConfig::standard());
    let hits: Vec<&Finding> = findings.iter().filter(|f| f.check == c).collect();
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].rules[0].rule_id, narrow);
    assert_eq!(hits[0].resource.to_string(), "sg-00000001");

    let mut w = World::new();
    w.group(1).eni(1, &["10.0.0.10"], &[1]);
    w.ingress(1, "tcp", Some((80, 80)), "10.0.0.0/16");
    w.ingress(1, "tcp", Some((81, 443)), "10.0.0.0/8");
    silent(&w.snap, c);
}

#[test]
fn redundant_union_and_mutual() {
    let c = CheckId::RedundantRule;
    // Covered only by the union of two rules.
    let mut w = World::new();
    w.group(1).eni(1, &["10.0.0.10"], &[1]);
    w.ingress(1, "tcp", Some((22, 22)), "0.0.0.0/0");
    w.ingress(1, "tcp", Some((0, 100)), "0.0.0.0/1");
    w.ingress(1, "tcp", Some((0, 100)), "128.0.0.0/1");
    let hits: Vec<Finding> = run(&w.snap, &AuditConfig::standard())
        .into_iter()
        .filter(|f| f.check == c)
        .collect();
    assert_eq!(hits.len(), 1, "{hits:#?}");
    // Two rules admitting the same thing: exactly one is flagged.
    let mut w = World::new();
    w.prefix_list(1, &["10.0.0.0/8"])
        .group(1)
        .eni(1, &["10.0.0.10"], &[1]);
    w.ingress(1, "tcp", Some((80, 80)), "pl-00000001");
    w.ingress(1, "tcp", Some((80, 80)), "10.0.0.0/8");
    let hits: Vec<Finding> = run(&w.snap, &AuditConfig::standard())
        .into_iter()
        .filter(|f| f.check == c)
        .collect();
    assert_eq!(hits.len(), 1, "{hits:#?}");
}

#[test]
fn redundant_across_groups() {
    let c = CheckId::RedundantRule;
    let mut w = World::new();
    w.group(1).group(2).eni(1, &["10.0.0.10"], &[1, 2]);
    w.ingress(1, "tcp", Some((22, 22)), "10.0.0.0/16");
    w.ingress(2, "tcp", Some((0, 65535)), "10.0.0.0/8");
    fires(&w.snap, c, "sg-00000001");
    // Another interface carries group 1 alone: the rule is needed there.
    w.eni(2, &["10.0.0.11"], &[1]);
    silent(&w.snap, c);
}

#[test]
fn redundant_group_reference_is_not_covered_by_current_addresses() {
    let c = CheckId::RedundantRule;
    let mut w = World::new();
    w.group(1)
        .group(2)
        .eni(1, &["10.0.0.10"], &[1])
        .eni(2, &["10.0.0.20"], &[2]);
    w.ingress(1, "tcp", Some((5432, 5432)), "sg-00000002");
    w.ingress(1, "tcp", Some((5432, 5432)), "10.0.0.20/32");
    silent(&w.snap, c);
    // A CIDR covering the whole VPC does cover the reference.
    w.ingress(1, "tcp", Some((5432, 5432)), "10.0.0.0/16");
    fires(&w.snap, c, "sg-00000001");
}

#[test]
fn broad_cidr() {
    let c = CheckId::BroadCidr;
    fires(
        &one_rule("tcp", Some((443, 443)), "52.0.0.0/8"),
        c,
        "sg-00000001",
    );
    fires(
        &one_rule("tcp", Some((443, 443)), "2a00::/16"),
        c,
        "sg-00000001",
    );
    silent(&one_rule("tcp", Some((443, 443)), "52.1.2.0/24"), c);
    silent(&one_rule("tcp", Some((443, 443)), "10.0.0.0/8"), c);
}

#[test]
fn non_canonical_cidr() {
    let c = CheckId::NonCanonicalCidr;
    let snap = one_rule("tcp", Some((22, 22)), "10.0.0.0/24");
    let raw = |text: &str| AuditConfig {
        raw_cidrs: vec![RawCidr {
            group_id: sg(1),
            direction: Direction::Ingress,
            rule_id: None,
            text: text.into(),
        }],
        ..AuditConfig::standard()
    };
    fires_with(&snap, &raw("10.0.0.1/24"), c, "sg-00000001");
    fires_with(&snap, &raw("2001:db8::1/64"), c, "sg-00000001");
    silent_with(&snap, &raw("10.0.0.0/24"), c);
    silent_with(&snap, &raw("10.0.0.1/32"), c);
}

#[test]
fn stale_references() {
    let c = CheckId::StaleReference;
    // Deleted group.
    fires(
        &one_rule("tcp", Some((22, 22)), "sg-00000099"),
        c,
        "sg-00000001",
    );
    // Missing prefix list.
    fires(
        &one_rule("tcp", Some((22, 22)), "pl-00000009"),
        c,
        "sg-00000001",
    );
    // A group in another VPC, no peering, then a pending one, then an active one.
    let mut w = World::new();
    w.vpc(2, "10.1.0.0/16", "2600:1f01::/56")
        .group(1)
        .group_in(2, 2, "other");
    w.eni(1, &["10.0.0.10"], &[1])
        .eni_in(2, 2, &["10.1.0.10"], &[2]);
    w.ingress(1, "tcp", Some((22, 22)), "sg-00000002");
    fires(&w.snap, c, "sg-00000001");
    w.peering(1, 1, 2, PeeringStatus::PendingAcceptance);
    fires(&w.snap, c, "sg-00000001");
    w.peering(1, 1, 2, PeeringStatus::Active);
    silent(&w.snap, c);
    assert_eq!(pcx(1).to_string(), "pcx-00000001");
}

#[test]
fn data_store_egress() {
    let c = CheckId::DataStoreEgressOpen;
    let build = |egress_all: bool, tag: bool| {
        let mut w = World::new();
        w.group(1).eni(1, &["10.0.0.10"], &[1]);
        if tag {
            w.tag_group(1, "Tier", "database");
        }
        if egress_all {
            w.egress(1, "-1", None, "0.0.0.0/0");
        } else {
            w.egress(1, "tcp", Some((443, 443)), "0.0.0.0/0");
        }
        w.snap
    };
    fires(&build(true, true), c, "sg-00000001");
    silent(&build(false, true), c);
    silent(&build(true, false), c);
    let flagged = AuditConfig {
        data_store_groups: vec![sg(1)],
        ..AuditConfig::standard()
    };
    fires_with(&build(true, false), &flagged, c, "sg-00000001");
}

#[test]
fn disabled_checks_are_silent_and_order_is_by_severity() {
    let snap = one_rule("-1", None, "0.0.0.0/0");
    let config = AuditConfig {
        disabled: vec![CheckId::AdminPortOpenToInternet],
        ..AuditConfig::standard()
    };
    silent_with(&snap, &config, CheckId::AdminPortOpenToInternet);
    let findings = run(&snap, &AuditConfig::standard());
    assert!(findings.windows(2).all(|w| w[0].severity >= w[1].severity));
    assert!(
        findings
            .iter()
            .any(|f| f.check == CheckId::HighRiskPortOpenToInternet)
    );
}
