//! Table tests from `shared/USE-CASES.md`: for every preset, rows of (packet, expected
//! verdict, expected matching rule), each labelled with its section. Every allow row has
//! near misses: another port, another protocol, the other family, an address just outside
//! the CIDR, a non-member of the referenced group — and §4's middlebox note (a group
//! reference never matches a member's public address). Each row is decided by the compiled
//! engine and by the reference evaluator, which must agree.

use std::net::IpAddr;

use palisade_engine::{Packet, Payload, Verdict, reference};
use palisade_model::presets::{self, DbEngine, ElbParams, ElbScheme};
use palisade_model::{Direction, EniId, GroupRef, Peer, PeeringStatus, Snapshot, Traffic};

use crate::fixture::{PCX, PEER_VPC, World};

use Direction::{Egress, Ingress};

const fn tcp(dst_port: u16) -> Payload {
    Payload::Tcp { dst_port }
}
const fn udp(dst_port: u16) -> Payload {
    Payload::Udp { dst_port }
}
const fn icmp(icmp_type: u8, code: u8) -> Payload {
    Payload::Icmp { icmp_type, code }
}
const fn icmp6(icmp_type: u8, code: u8) -> Payload {
    Payload::Icmpv6 { icmp_type, code }
}

/// One row: `expect` is `None` for deny, or the spec of the one rule that must match.
#[track_caller]
fn check(
    snap: &Snapshot,
    label: &str,
    eni: &EniId,
    dir: Direction,
    payload: Payload,
    remote: &str,
    expect: Option<&str>,
) {
    let pkt = Packet {
        interface: eni.clone(),
        direction: dir,
        remote: remote.parse::<IpAddr>().unwrap(),
        payload,
    };
    let engine = palisade_engine::compile(snap);
    let got = engine.decide(&pkt).unwrap();
    assert_eq!(
        got,
        reference::decide(snap, &pkt).unwrap(),
        "{label}: engine and reference disagree"
    );
    let specs: Vec<String> = got
        .matches
        .iter()
        .map(|m| {
            snap.groups[&m.group_id]
                .rule(&m.rule_id)
                .unwrap()
                .spec
                .to_string()
        })
        .collect();
    match expect {
        None => assert_eq!(
            got.verdict,
            Verdict::Deny,
            "{label}: {pkt:?} should be denied, matched {specs:?}"
        ),
        Some(rule) => {
            assert_eq!(
                got.verdict,
                Verdict::Allow,
                "{label}: {pkt:?} should be allowed by {rule}"
            );
            assert_eq!(specs, [rule], "{label}");
        }
    }
}

fn cidr(s: &str) -> Peer {
    Peer::parse_cidr(s).unwrap()
}

#[test]
fn section_1_web_server() {
    for ipv6 in [false, true] {
        let mut w = World::new(PeeringStatus::Active);
        let g = w.group(presets::web(ipv6));
        let e = w.target(&g);
        let s = &w.snap;
        let l = if ipv6 {
            "§1 web (IPv6 VPC)"
        } else {
            "§1 web"
        };
        check(
            s,
            l,
            &e,
            Ingress,
            tcp(80),
            "198.51.100.7",
            Some("ingress tcp/80 from 0.0.0.0/0"),
        );
        check(
            s,
            l,
            &e,
            Ingress,
            tcp(443),
            "203.0.113.200",
            Some("ingress tcp/443 from 0.0.0.0/0"),
        );
        check(s, l, &e, Ingress, tcp(8080), "198.51.100.7", None);
        check(s, l, &e, Ingress, udp(443), "198.51.100.7", None);
        check(s, l, &e, Ingress, icmp(8, 0), "198.51.100.7", None);
        check(s, l, &e, Egress, tcp(80), "198.51.100.7", None);
        let v6 = ipv6.then_some("ingress tcp/443 from ::/0");
        check(s, l, &e, Ingress, tcp(443), "2001:db8:ffff::1", v6);
        check(s, l, &e, Ingress, tcp(22), "2001:db8:ffff::1", None);
    }
}

#[test]
fn section_2_database_from_cidr() {
    for engine in DbEngine::ALL {
        let mut w = World::new(PeeringStatus::Active);
        let g = w.group(presets::database(*engine, &cidr("10.0.1.0/24")));
        let e = w.target(&g);
        let s = &w.snap;
        let l = format!("§2 database {engine} from CIDR");
        let port = engine.port();
        let rule = format!("ingress tcp/{port} from 10.0.1.0/24");
        check(s, &l, &e, Ingress, tcp(port), "10.0.1.5", Some(&rule));
        check(s, &l, &e, Ingress, tcp(port), "10.0.1.255", Some(&rule));
        check(s, &l, &e, Ingress, tcp(port), "10.0.2.0", None);
        check(s, &l, &e, Ingress, tcp(port), "10.0.0.255", None);
        check(s, &l, &e, Ingress, tcp(port + 1), "10.0.1.5", None);
        check(s, &l, &e, Ingress, udp(port), "10.0.1.5", None);
        check(s, &l, &e, Ingress, tcp(port), "2001:db8::5", None);
        for other in DbEngine::ALL.iter().filter(|o| o.port() != port) {
            check(s, &l, &e, Ingress, tcp(other.port()), "10.0.1.5", None);
        }
    }
}

#[test]
fn section_2_database_from_group() {
    let mut w = World::new(PeeringStatus::Active);
    let app = w.group(vec![]);
    let db = w.group(presets::database(
        DbEngine::Postgres,
        &Peer::Group(GroupRef::same_account(app.clone())),
    ));
    let e = w.target(&db);
    w.eni(
        crate::fixture::VPC,
        &["10.0.1.10", "10.0.1.11", "2001:db8:0:1::10"],
        Some("203.0.113.10"),
        &[&app],
    );
    w.eni(crate::fixture::VPC, &["10.0.1.12"], None, &[]);
    let s = &w.snap;
    let l = "§2 database postgres from group";
    let rule = format!("ingress tcp/5432 from {app}");
    check(s, l, &e, Ingress, tcp(5432), "10.0.1.10", Some(&rule));
    check(s, l, &e, Ingress, tcp(5432), "10.0.1.11", Some(&rule));
    check(
        s,
        l,
        &e,
        Ingress,
        tcp(5432),
        "2001:db8:0:1::10",
        Some(&rule),
    );
    check(s, l, &e, Ingress, tcp(5432), "10.0.1.12", None);
    check(s, l, &e, Ingress, tcp(5432), "203.0.113.10", None);
    check(s, l, &e, Ingress, tcp(3306), "10.0.1.10", None);
    check(s, l, &e, Ingress, udp(5432), "10.0.1.10", None);
}

#[test]
fn section_2_database_egress_updates() {
    for ipv6 in [false, true] {
        let mut w = World::new(PeeringStatus::Active);
        let g = w.group(presets::database_egress_updates(ipv6));
        let e = w.target(&g);
        let s = &w.snap;
        let l = if ipv6 {
            "§2 database egress (IPv6)"
        } else {
            "§2 database egress"
        };
        check(
            s,
            l,
            &e,
            Egress,
            tcp(443),
            "203.0.113.9",
            Some("egress tcp/443 to 0.0.0.0/0"),
        );
        check(
            s,
            l,
            &e,
            Egress,
            tcp(80),
            "198.51.100.9",
            Some("egress tcp/80 to 0.0.0.0/0"),
        );
        check(
            s,
            l,
            &e,
            Egress,
            tcp(80),
            "2001:db8:ffff::9",
            ipv6.then_some("egress tcp/80 to ::/0"),
        );
        check(s, l, &e, Egress, tcp(22), "203.0.113.9", None);
        check(s, l, &e, Egress, udp(53), "203.0.113.9", None);
        check(s, l, &e, Egress, udp(443), "203.0.113.9", None);
        check(s, l, &e, Ingress, tcp(443), "203.0.113.9", None);
    }
}

#[test]
fn section_3_ssh_and_rdp() {
    for (name, port, other) in [("ssh", 22, 3389), ("rdp", 3389, 22)] {
        let build = |p: &Peer| {
            if port == 22 {
                presets::ssh(p)
            } else {
                presets::rdp(p)
            }
        };
        let mut w = World::new(PeeringStatus::Active);
        let mut rules = build(&cidr("198.51.100.0/24"));
        rules.extend(build(&cidr("2001:db8:ffff::/48")));
        let g = w.group(rules);
        let e = w.target(&g);
        let s = &w.snap;
        let l = format!("§3 {name}");
        check(
            s,
            &l,
            &e,
            Ingress,
            tcp(port),
            "198.51.100.200",
            Some(&format!("ingress tcp/{port} from 198.51.100.0/24")),
        );
        check(
            s,
            &l,
            &e,
            Ingress,
            tcp(port),
            "2001:db8:ffff:1::1",
            Some(&format!("ingress tcp/{port} from 2001:db8:ffff::/48")),
        );
        check(s, &l, &e, Ingress, tcp(port), "198.51.101.0", None);
        check(s, &l, &e, Ingress, tcp(port), "198.51.99.255", None);
        check(s, &l, &e, Ingress, tcp(port), "2001:db8:fffe::1", None);
        check(s, &l, &e, Ingress, tcp(other), "198.51.100.200", None);
        check(s, &l, &e, Ingress, udp(port), "198.51.100.200", None);
    }
}

#[test]
fn section_4_same_group_and_middlebox() {
    let mut w = World::new(PeeringStatus::Active);
    let own = w.group_id();
    let g = w.group_with_id(own.clone(), crate::fixture::VPC, presets::same_group(&own));
    let a = w.eni(
        crate::fixture::VPC,
        &["10.0.1.10"],
        Some("203.0.113.10"),
        &[&g],
    );
    w.eni(
        crate::fixture::VPC,
        &["10.0.2.20", "2001:db8:0:2::20"],
        Some("203.0.113.20"),
        &[&g],
    );
    w.eni(crate::fixture::VPC, &["10.0.1.11"], None, &[]);
    let s = &w.snap;
    let l = "§4 same group";
    let rule = format!("ingress all traffic from {own}");
    check(s, l, &a, Ingress, tcp(5000), "10.0.2.20", Some(&rule));
    check(s, l, &a, Ingress, udp(53), "10.0.2.20", Some(&rule));
    check(s, l, &a, Ingress, icmp(8, 0), "10.0.2.20", Some(&rule));
    check(
        s,
        l,
        &a,
        Ingress,
        icmp6(128, 0),
        "2001:db8:0:2::20",
        Some(&rule),
    );
    check(
        s,
        l,
        &a,
        Ingress,
        Payload::Other(47),
        "10.0.2.20",
        Some(&rule),
    );
    check(s, l, &a, Ingress, tcp(5000), "10.0.1.11", None);
    check(s, l, &a, Egress, tcp(5000), "10.0.2.20", None);
    // Middlebox note: a group reference matches members' private addresses only — not the
    // public address, nor the middlebox's address the traffic arrives from.
    let m = "§4 middlebox note";
    check(s, m, &a, Ingress, tcp(5000), "203.0.113.20", None);
    check(s, m, &a, Ingress, tcp(5000), "10.0.0.5", None);

    // The alternative the note prescribes: the subnet CIDR.
    let mut w = World::new(PeeringStatus::Active);
    let g = w.group(presets::same_subnet(&cidr("10.0.2.0/24")));
    let a = w.target(&g);
    let s = &w.snap;
    let l = "§4 same subnet CIDR";
    check(
        s,
        l,
        &a,
        Ingress,
        tcp(5000),
        "10.0.2.77",
        Some("ingress all traffic from 10.0.2.0/24"),
    );
    check(s, l, &a, Ingress, tcp(5000), "10.0.3.0", None);
    check(s, l, &a, Ingress, tcp(5000), "2001:db8:0:2::77", None);
}

#[test]
fn section_5_ping_and_ping6() {
    let mut w = World::new(PeeringStatus::Active);
    let mut rules = presets::ping(&cidr("198.51.100.0/24")).unwrap();
    rules.extend(presets::ping6(&cidr("2001:db8:ffff::/48")).unwrap());
    let g = w.group(rules);
    let e = w.target(&g);
    let s = &w.snap;
    let l = "§5 ping";
    check(
        s,
        l,
        &e,
        Ingress,
        icmp(8, 0),
        "198.51.100.3",
        Some("ingress icmp type 8 from 198.51.100.0/24"),
    );
    check(
        s,
        l,
        &e,
        Ingress,
        icmp(8, 5),
        "198.51.100.3",
        Some("ingress icmp type 8 from 198.51.100.0/24"),
    );
    check(s, l, &e, Ingress, icmp(0, 0), "198.51.100.3", None);
    check(s, l, &e, Ingress, icmp(8, 0), "198.51.101.3", None);
    check(s, l, &e, Ingress, tcp(8), "198.51.100.3", None);
    let l = "§5 ping6";
    check(
        s,
        l,
        &e,
        Ingress,
        icmp6(128, 0),
        "2001:db8:ffff::5",
        Some("ingress icmpv6 type 128 code 0 from 2001:db8:ffff::/48"),
    );
    check(s, l, &e, Ingress, icmp6(128, 1), "2001:db8:ffff::5", None);
    check(s, l, &e, Ingress, icmp6(129, 0), "2001:db8:ffff::5", None);
    check(s, l, &e, Ingress, icmp6(128, 0), "2001:db8:fffe::5", None);
    check(s, l, &e, Ingress, udp(128), "2001:db8:ffff::5", None);
}

#[test]
fn section_6_dns() {
    let mut w = World::new(PeeringStatus::Active);
    let clients = w.group(vec![]);
    let mut rules = presets::dns(&cidr("10.0.0.0/16"));
    rules.extend(presets::dns(&Peer::Group(GroupRef::same_account(
        clients.clone(),
    ))));
    let g = w.group(rules);
    let e = w.target(&g);
    w.eni(PEER_VPC, &["10.1.0.53"], Some("203.0.113.53"), &[]);
    let s = &w.snap;
    let l = "§6 dns";
    check(
        s,
        l,
        &e,
        Ingress,
        udp(53),
        "10.0.200.1",
        Some("ingress udp/53 from 10.0.0.0/16"),
    );
    check(
        s,
        l,
        &e,
        Ingress,
        tcp(53),
        "10.0.200.1",
        Some("ingress tcp/53 from 10.0.0.0/16"),
    );
    check(s, l, &e, Ingress, udp(54), "10.0.200.1", None);
    check(s, l, &e, Ingress, icmp(3, 3), "10.0.200.1", None);
    check(s, l, &e, Ingress, udp(53), "10.1.0.53", None);
    check(s, l, &e, Ingress, udp(53), "2001:db8::1", None);

    // From a group: the clients live outside 10.0.0.0/16 here, so only membership counts.
    let mut w = World::new(PeeringStatus::Active);
    let clients = w.group(vec![]);
    let g = w.group(presets::dns(&Peer::Group(GroupRef::same_account(
        clients.clone(),
    ))));
    let e = w.target(&g);
    w.eni(
        crate::fixture::VPC,
        &["10.0.5.5"],
        Some("203.0.113.5"),
        &[&clients],
    );
    let s = &w.snap;
    let l = "§6 dns from group";
    check(
        s,
        l,
        &e,
        Ingress,
        udp(53),
        "10.0.5.5",
        Some(&format!("ingress udp/53 from {clients}")),
    );
    check(s, l, &e, Ingress, udp(53), "10.0.5.6", None);
    check(s, l, &e, Ingress, udp(53), "203.0.113.5", None);
}

#[test]
fn section_7_efs() {
    let mut w = World::new(PeeringStatus::Active);
    let clients = w.group(presets::efs_client(&cidr("198.51.100.0/24")));
    let mount = w.group(presets::efs(&GroupRef::same_account(clients.clone())));
    let target = w.target(&mount);
    let client = w.eni(
        crate::fixture::VPC,
        &["10.0.1.30"],
        Some("203.0.113.30"),
        &[&clients],
    );
    let s = &w.snap;
    let l = "§7 efs mount target";
    check(
        s,
        l,
        &target,
        Ingress,
        tcp(2049),
        "10.0.1.30",
        Some(&format!("ingress tcp/2049 from {clients}")),
    );
    check(s, l, &target, Ingress, udp(2049), "10.0.1.30", None);
    check(s, l, &target, Ingress, tcp(111), "10.0.1.30", None);
    check(s, l, &target, Ingress, tcp(2049), "10.0.1.31", None);
    check(s, l, &target, Ingress, tcp(2049), "203.0.113.30", None);
    let l = "§7 efs client ssh";
    check(
        s,
        l,
        &client,
        Ingress,
        tcp(22),
        "198.51.100.1",
        Some("ingress tcp/22 from 198.51.100.0/24"),
    );
    check(s, l, &client, Ingress, tcp(22), "198.51.101.1", None);
    check(s, l, &client, Ingress, tcp(2049), "198.51.100.1", None);
}

#[test]
fn section_8_elb() {
    for scheme in [
        ElbScheme::InternetFacing,
        ElbScheme::Internal {
            vpc_cidr: "10.0.0.0/16".parse().unwrap(),
        },
    ] {
        let mut w = World::new(PeeringStatus::Active);
        let web = w.group_id();
        let lb = w.group(presets::elb_load_balancer(&ElbParams {
            scheme,
            listener_port: 443,
            instance_port: 8080,
            health_check_port: 8081,
            instances: web.clone(),
        }));
        w.group_with_id(
            web.clone(),
            crate::fixture::VPC,
            presets::elb_instances(8080, 8081, &lb),
        );
        let lb_eni = w.eni(
            crate::fixture::VPC,
            &["10.0.0.10"],
            Some("203.0.113.10"),
            &[&lb],
        );
        let web_eni = w.eni(
            crate::fixture::VPC,
            &["10.0.1.10"],
            Some("203.0.113.21"),
            &[&web],
        );
        w.eni(crate::fixture::VPC, &["10.0.1.99"], None, &[]);
        let s = &w.snap;
        let l = "§8 elb load balancer";
        match scheme {
            ElbScheme::InternetFacing => {
                check(
                    s,
                    l,
                    &lb_eni,
                    Ingress,
                    tcp(443),
                    "198.51.100.1",
                    Some("ingress tcp/443 from 0.0.0.0/0"),
                );
                check(s, l, &lb_eni, Ingress, tcp(443), "2001:db8:ffff::1", None);
            }
            ElbScheme::Internal { .. } => {
                check(
                    s,
                    l,
                    &lb_eni,
                    Ingress,
                    tcp(443),
                    "10.0.77.1",
                    Some("ingress tcp/443 from 10.0.0.0/16"),
                );
                check(s, l, &lb_eni, Ingress, tcp(443), "198.51.100.1", None);
                check(s, l, &lb_eni, Ingress, tcp(443), "10.1.0.1", None);
            }
        }
        check(s, l, &lb_eni, Ingress, tcp(80), "10.0.77.1", None);
        check(
            s,
            l,
            &lb_eni,
            Egress,
            tcp(8080),
            "10.0.1.10",
            Some(&format!("egress tcp/8080 to {web}")),
        );
        check(
            s,
            l,
            &lb_eni,
            Egress,
            tcp(8081),
            "10.0.1.10",
            Some(&format!("egress tcp/8081 to {web}")),
        );
        check(s, l, &lb_eni, Egress, tcp(8080), "10.0.1.99", None);
        check(s, l, &lb_eni, Egress, tcp(8080), "203.0.113.21", None);
        check(s, l, &lb_eni, Egress, tcp(9090), "10.0.1.10", None);
        check(s, l, &lb_eni, Egress, udp(8080), "10.0.1.10", None);
        let l = "§8 elb instances";
        check(
            s,
            l,
            &web_eni,
            Ingress,
            tcp(8080),
            "10.0.0.10",
            Some(&format!("ingress tcp/8080 from {lb}")),
        );
        check(
            s,
            l,
            &web_eni,
            Ingress,
            tcp(8081),
            "10.0.0.10",
            Some(&format!("ingress tcp/8081 from {lb}")),
        );
        check(s, l, &web_eni, Ingress, tcp(8080), "203.0.113.10", None);
        check(s, l, &web_eni, Ingress, tcp(443), "10.0.0.10", None);
        check(s, l, &web_eni, Ingress, tcp(8080), "10.0.1.99", None);
    }
}

#[test]
fn section_9_peered_vpc_group() {
    for status in [
        PeeringStatus::Active,
        PeeringStatus::PendingAcceptance,
        PeeringStatus::Deleted,
    ] {
        let mut w = World::new(status);
        let analytics = w.group_id();
        w.group_with_id(analytics.clone(), PEER_VPC, vec![]);
        let gref = GroupRef {
            group_id: analytics.clone(),
            owner: None,
            vpc_id: Some(PEER_VPC.parse().unwrap()),
            peering_id: Some(PCX.parse().unwrap()),
        };
        let traffic = Traffic::parse("tcp", Some(5432), Some(5432)).unwrap();
        let db = w.group(presets::peered_group(Ingress, traffic, &gref).unwrap());
        let e = w.target(&db);
        w.eni(
            PEER_VPC,
            &["10.1.0.10"],
            Some("203.0.113.40"),
            &[&analytics],
        );
        w.eni(PEER_VPC, &["10.1.0.11"], None, &[]);
        let s = &w.snap;
        let l = format!("§9 peered group ({})", status.aws_name());
        let active = status == PeeringStatus::Active;
        let rule = format!("ingress tcp/5432 from {analytics}");
        check(
            s,
            &l,
            &e,
            Ingress,
            tcp(5432),
            "10.1.0.10",
            active.then_some(rule.as_str()),
        );
        check(s, &l, &e, Ingress, tcp(5432), "10.1.0.11", None);
        check(s, &l, &e, Ingress, tcp(5432), "203.0.113.40", None);
        check(s, &l, &e, Ingress, tcp(5433), "10.1.0.10", None);
    }
}
