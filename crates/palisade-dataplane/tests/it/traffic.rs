//! Real packets through rendered rulesets (`ping`, TCP, UDP, HTTP) in network namespaces:
//! the seed's use cases, what must pass and what must not, live changes, memberships,
//! anti-spoofing, conntrack clean-up, fail-closed start and the "blink" test.

use palisade_dataplane::{ApplyKind, render_closed};
use palisade_model::Direction;

use crate::fixtures::{
    ADMIN_V4, ADMIN_V6, INET_V4, INET_V6, eni_id, gid, inst, sg, use_cases, v4, v6,
};
use crate::lab::{Lab, Probe, lab};

fn tcp(a: impl ToString, p: u16) -> Probe {
    Probe::Tcp(a.to_string(), p)
}
fn udp(a: impl ToString, p: u16) -> Probe {
    Probe::Udp(a.to_string(), p)
}
fn http(a: impl ToString, p: u16) -> Probe {
    Probe::Http(a.to_string(), p)
}
fn ping(a: impl ToString) -> Probe {
    Probe::Ping(a.to_string())
}
fn i(n: u8) -> String {
    format!("i{n}")
}

const ALL: [u8; 9] = [1, 2, 3, 4, 5, 6, 7, 8, 9];

fn use_case_lab(tag: &str) -> Option<Lab> {
    let mut lab = lab(tag)?;
    for n in ALL {
        lab.instance(n, true);
    }
    lab.serve("host", &["tcp:53", "udp:53", "tcp:80"]);
    lab.serve("inet", &["tcp:80", "tcp:443", "tcp:25"]);
    lab.serve(
        &i(inst::WEB),
        &["tcp:80", "tcp:443", "tcp:22", "tcp:3389", "tcp:8080"],
    );
    lab.serve(
        &i(inst::DB),
        &["tcp:5432", "tcp:3306", "tcp:1433", "udp:5555"],
    );
    lab.serve(&i(inst::DNS), &["tcp:53", "udp:53"]);
    lab.serve(&i(inst::EFS), &["tcp:2049"]);
    lab.serve(&i(inst::ELB), &["tcp:80"]);
    lab.serve(&i(inst::APP), &["tcp:8080", "tcp:8081", "tcp:9000"]);
    lab.serve(&i(inst::PEER_B), &["tcp:7000", "udp:7000"]);
    lab.serve(&i(inst::OTHER), &["tcp:7000"]);
    Some(lab)
}

#[test]
fn traffic_use_cases() {
    let Some(mut lab) = use_case_lab("use_cases") else {
        return;
    };
    let w = use_cases();
    assert_eq!(lab.apply(&w.snap).kind, ApplyKind::Replace);
    let (web, db, other) = (inst::WEB, inst::DB, inst::OTHER);
    #[rustfmt::skip]
    let cases = [
        // 1. Web server: 80/443 over IPv4 and IPv6 from the internet, other ports not.
        ("inet", tcp(v4(web), 80), true), ("inet", tcp(v4(web), 443), true),
        ("inet", tcp(v6(web), 80), true), ("inet", tcp(v6(web), 443), true),
        ("inet", http(v4(web), 80), true), ("inet", http(v6(web), 443), true),
        ("inet", tcp(v4(web), 8080), false), ("inet", tcp(v6(web), 8080), false),
        // 3. SSH/RDP only from the admin address; 5. ping only from the allowed ranges.
        ("admin", tcp(v4(web), 22), true), ("admin", tcp(v4(web), 3389), true),
        ("admin", tcp(v6(web), 22), true), ("admin", tcp(v6(web), 3389), false),
        ("inet", tcp(v4(web), 22), false), ("inet", tcp(v4(web), 3389), false),
        ("inet", tcp(v6(web), 22), false),
        ("admin", ping(v4(web)), true), ("admin", ping(v6(web)), true),
        ("inet", ping(v4(web)), false), ("inet", ping(v6(web)), false),
        ("admin", tcp(v4(web), 8080), false),
        // 2. Database: its ports only from web members; egress only 80/443.
        (&i(web), tcp(v4(db), 5432), true), (&i(web), tcp(v4(db), 3306), true),
        (&i(web), tcp(v6(db), 5432), true), (&i(web), tcp(v4(db), 1433), false),
        (&i(other), tcp(v4(db), 5432), false), (&i(other), tcp(v6(db), 5432), false),
        ("inet", tcp(v4(db), 5432), false), ("admin", ping(v4(db)), false),
        (&i(db), tcp(INET_V4, 80), true), (&i(db), tcp(INET_V4, 443), true),
        (&i(db), tcp(INET_V6, 80), true), (&i(db), tcp(INET_V4, 25), false),
        (&i(db), tcp(INET_V6, 25), false), (&i(db), tcp(v4(web), 80), true),
        (&i(db), tcp(v4(web), 8080), false), (&i(db), ping(INET_V4), false),
        // Traffic EC2 never filters: the resolver and instance metadata, with no egress rule.
        (&i(db), tcp("10.0.0.2", 53), true), (&i(db), udp("10.0.0.2", 53), true),
        (&i(db), http("169.254.169.254", 80), true),
        // 6. DNS over TCP and UDP from the VPC, not from the internet.
        (&i(other), tcp(v4(inst::DNS), 53), true), (&i(other), udp(v4(inst::DNS), 53), true),
        ("inet", udp(v4(inst::DNS), 53), false), ("inet", tcp(v4(inst::DNS), 53), false),
        // 7. EFS from the client group only (web is a client).
        (&i(web), tcp(v4(inst::EFS), 2049), true), (&i(web), tcp(v6(inst::EFS), 2049), true),
        (&i(other), tcp(v4(inst::EFS), 2049), false),
        // 8. ELB: listener from anywhere; listener and health check to the instances only.
        ("inet", http(v4(inst::ELB), 80), true), ("inet", tcp(v6(inst::ELB), 80), false),
        (&i(inst::ELB), tcp(v4(inst::APP), 8080), true), (&i(inst::ELB), tcp(v4(inst::APP), 8081), true),
        (&i(inst::ELB), tcp(v4(inst::APP), 9000), false), ("inet", tcp(v4(inst::APP), 8080), false),
        (&i(other), tcp(v4(inst::APP), 8081), false),
        // Prefix list on the app: 203.0.113.0/24 and 198.51.100.0/24.
        ("inet", tcp(v4(inst::APP), 9000), true), ("admin", tcp(v4(inst::APP), 9000), true),
        (&i(other), tcp(v4(inst::APP), 9000), false),
        // 4. Same group: all traffic between members; a non-member is blocked.
        (&i(inst::PEER_A), tcp(v4(inst::PEER_B), 7000), true),
        (&i(inst::PEER_A), udp(v4(inst::PEER_B), 7000), true),
        (&i(inst::PEER_A), ping(v4(inst::PEER_B)), true),
        (&i(inst::PEER_A), tcp(v6(inst::PEER_B), 7000), true),
        (&i(other), tcp(v4(inst::PEER_B), 7000), false), (&i(other), ping(v4(inst::PEER_B)), false),
        // Stateful: replies pass with no rule for them; nothing reaches a group with no inbound.
        (&i(other), tcp(INET_V4, 80), true), (&i(other), tcp(INET_V6, 80), true),
        (&i(web), tcp(v4(other), 7000), false), ("inet", tcp(v4(other), 7000), false),
    ];
    lab.expect(&cases);
}

#[test]
fn traffic_anti_spoofing() {
    // An instance that forges a web member's address does not reach the database.
    let Some(mut lab) = lab("spoof") else { return };
    for n in [inst::WEB, inst::DB, inst::OTHER] {
        lab.instance(n, true);
    }
    lab.serve(&i(inst::DB), &["udp:5555"]);
    lab.apply(&use_cases().snap);
    let forged = v4(inst::WEB).to_string();
    let other = lab.ns(&i(inst::OTHER));
    lab.sh(&[
        "ip",
        "-n",
        &other,
        "addr",
        "add",
        &format!("{forged}/32"),
        "dev",
        "eth0",
    ]);
    let probe = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/probe.py");
    let db = v4(inst::DB).to_string();
    for (role, token, src) in [
        (i(inst::WEB), "real", None),
        (i(inst::OTHER), "forged", Some(&forged)),
    ] {
        let mut args = vec!["python3", probe, "send", &db, "5555"];
        let mark = format!("mark:{token}");
        args.push(&mark);
        args.extend(src.map(String::as_str));
        assert!(lab.cmd(&role, &args).status().unwrap().success());
    }
    // Ask from the host namespace (host traffic is not an instance's).
    let query = |token: &str| {
        lab.cmd(
            "host",
            &["python3", probe, "query", &db, "5555", token, "2"],
        )
        .status()
        .unwrap()
        .code()
    };
    assert_eq!(
        query("real"),
        Some(0),
        "the web server's own datagram must arrive"
    );
    assert_eq!(
        query("forged"),
        Some(1),
        "the forged datagram must not arrive"
    );
}

#[test]
fn traffic_live_authorize_revoke() {
    let Some(mut lab) = lab("live") else { return };
    for n in [inst::WEB, inst::DB, inst::OTHER] {
        lab.instance(n, true);
    }
    lab.serve(&i(inst::DB), &["tcp:5432"]);
    lab.serve(&i(inst::WEB), &["tcp:80"]);
    let mut w = use_cases();
    lab.apply(&w.snap);
    let (db, other) = (v4(inst::DB), i(inst::OTHER));
    lab.expect(&[(&other, tcp(db, 5432), false)]);

    // Authorize: a new connection passes at once.
    let rule = w.rule(
        &gid(sg::DB),
        Direction::Ingress,
        "tcp",
        Some(5432),
        Some(5432),
        "10.0.9.10/32",
    );
    assert_eq!(lab.apply(&w.snap).kind, ApplyKind::Incremental);
    lab.expect(&[(&other, tcp(db, 5432), true)]);

    // Revoke: new connections are refused, the established tracked one goes on.
    let mut tracked = lab.stream(&other, &db.to_string(), 5432);
    assert!(tracked.exchange());
    w.revoke(&gid(sg::DB), &rule);
    lab.apply(&w.snap);
    lab.expect(&[(&other, tcp(db, 5432), false)]);
    for _ in 0..3 {
        assert!(
            tracked.exchange(),
            "an established tracked connection must survive the revoke"
        );
    }

    // Untracked (80 from 0.0.0.0/0, all egress): no conntrack entry, and the flow stops at
    // once when its rule goes.
    let web = v4(inst::WEB).to_string();
    let mut untracked = lab.stream("inet", &web, 80);
    assert!(untracked.exchange());
    assert_eq!(
        lab.conntrack_count(&["-p", "tcp", "--dport", "80", "-d", &web]),
        0,
        "port 80 of web is untracked"
    );
    let web_group = w.snap.groups[&gid(sg::WEB)].clone();
    let http_v4 = web_group
        .rules_in(Direction::Ingress)
        .find(|r| {
            r.peer().is_everywhere()
                && r.traffic().ports() == Some((80, 80))
                && r.peer().to_string() == "0.0.0.0/0"
        })
        .unwrap()
        .id
        .clone();
    w.revoke(&gid(sg::WEB), &http_v4);
    lab.apply(&w.snap);
    assert!(
        !untracked.exchange(),
        "an untracked flow stops at once when its rule goes"
    );
    lab.expect(&[
        ("inet", tcp(&web, 80), false),
        ("inet", tcp(v6(inst::WEB), 80), true),
    ]);
}

#[test]
fn traffic_membership_change_updates_a_set() {
    // The database's host; instance 9 sits behind another host (its link is not mapped).
    let Some(mut lab) = lab("members") else {
        return;
    };
    lab.instance(inst::DB, true);
    lab.instance(inst::OTHER, false);
    lab.serve(&i(inst::DB), &["tcp:5432"]);
    let mut w = use_cases();
    lab.apply(&w.snap);
    let (db, other) = (v4(inst::DB), i(inst::OTHER));
    lab.expect(&[
        (&other, tcp(db, 5432), false),
        (&other, tcp(v6(inst::DB), 5432), false),
    ]);

    let (web, client) = (gid(sg::WEB), gid(sg::CLIENT));
    w.set_groups(&eni_id(inst::OTHER), &[&client, &web]);
    assert_eq!(
        lab.apply(&w.snap).kind,
        ApplyKind::Members,
        "only set elements change"
    );
    lab.expect(&[
        (&other, tcp(db, 5432), true),
        (&other, tcp(v6(inst::DB), 5432), true),
    ]);
    let set = lab
        .cmd(
            "host",
            &["nft", "list", "set", "inet", "palisade", "grp_00000001_v4"],
        )
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&set.stdout).contains("10.0.9.10"));

    w.set_groups(&eni_id(inst::OTHER), &[&client]);
    assert_eq!(lab.apply(&w.snap).kind, ApplyKind::Members);
    lab.expect(&[(&other, tcp(db, 5432), false)]);
    assert_eq!(lab.apply(&w.snap).kind, ApplyKind::Unchanged);
}

#[test]
fn traffic_address_owner_change_flushes_conntrack() {
    let Some(mut lab) = lab("owner") else { return };
    for n in [inst::WEB, inst::DB] {
        lab.instance(n, true);
    }
    lab.serve(&i(inst::DB), &["tcp:5432"]);
    let mut w = use_cases();
    lab.apply(&w.snap);
    let web = v4(inst::WEB).to_string();
    let mut flow = lab.stream(&i(inst::WEB), &v4(inst::DB).to_string(), 5432);
    assert!(flow.exchange());
    assert_eq!(lab.conntrack_count(&["-s", &web]), 1);

    // The web interface's address moves to the database's interface.
    let addr = w
        .snap
        .enis
        .get_mut(&eni_id(inst::WEB))
        .unwrap()
        .private_ipv4
        .remove(0);
    w.snap
        .enis
        .get_mut(&eni_id(inst::DB))
        .unwrap()
        .private_ipv4
        .push(addr);
    let report = lab.apply(&w.snap);
    assert_eq!(report.flushed, vec![std::net::IpAddr::V4(addr)]);
    assert_eq!(
        lab.conntrack_count(&["-s", &web]),
        0,
        "the old owner's flows are gone"
    );
}

#[test]
fn traffic_fail_closed_then_failed_apply_keeps_rules() {
    let Some(mut lab) = lab("closed") else { return };
    lab.instance(inst::WEB, true);
    lab.serve(&i(inst::WEB), &["tcp:80"]);
    lab.serve("host", &["tcp:53"]);
    let web = v4(inst::WEB);
    // Before any ruleset, nothing filters (the agent's first act is the closed ruleset).
    lab.expect(&[("inet", tcp(web, 80), true)]);
    let closed = render_closed(&lab.ifaces).unwrap();
    lab.nft.load(&closed.text()).unwrap();
    lab.current = Some(closed);
    lab.expect(&[
        ("inet", tcp(web, 80), false),
        (&i(inst::WEB), tcp("10.0.0.2", 53), false),
    ]);

    lab.apply(&use_cases().snap);
    lab.expect(&[
        ("inet", tcp(web, 80), true),
        (&i(inst::WEB), tcp("10.0.0.2", 53), true),
    ]);
    let before = lab
        .cmd("host", &["nft", "-s", "list", "table", "inet", "palisade"])
        .output()
        .unwrap()
        .stdout;
    let bad = format!(
        "{}\nthis is not nft\n",
        lab.current.as_ref().unwrap().text()
    );
    assert!(lab.nft.load(&bad).is_err());
    let after = lab
        .cmd("host", &["nft", "-s", "list", "table", "inet", "palisade"])
        .output()
        .unwrap()
        .stdout;
    assert_eq!(
        before, after,
        "a failed apply leaves the previous ruleset in force"
    );
    lab.expect(&[
        ("inet", tcp(web, 80), true),
        ("inet", tcp(web, 8080), false),
    ]);
}

#[test]
fn traffic_blink_replacing_rulesets() {
    // While rulesets are replaced over and over, no denied packet passes and an established
    // allowed flow does not break (Neutron's test_preventing_firewall_blink, adapted).
    let Some(mut lab) = lab("blink") else { return };
    for n in [inst::WEB, inst::DB] {
        lab.instance(n, true);
    }
    lab.serve(&i(inst::DB), &["tcp:5432"]);
    let v1 = use_cases();
    let mut v2 = use_cases();
    v2.rule(
        &gid(sg::WEB),
        Direction::Ingress,
        "icmp",
        Some(-1),
        Some(-1),
        "10.0.0.0/16",
    );
    lab.apply(&v1.snap);
    let mut flow = lab.stream(&i(inst::WEB), &v4(inst::DB).to_string(), 5432);
    let db = v4(inst::DB).to_string();
    let db6 = v6(inst::DB).to_string();
    let denied: Vec<std::process::Child> = [&db, &db6]
        .iter()
        .map(|a| {
            lab.cmd(
                "inet",
                &["ping", "-q", "-i", "0.02", "-c", "150", "-W", "1", a],
            )
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    // Half the rounds as incremental transactions, half as whole-table replaces.
    for round in 0..40 {
        let w = if round % 2 == 0 { &v2 } else { &v1 };
        let kind = match round < 20 {
            true => lab.apply(&w.snap).kind,
            false => lab.replace(&w.snap).kind,
        };
        let expected = match round < 20 {
            true => ApplyKind::Incremental,
            false => ApplyKind::Replace,
        };
        assert_eq!(kind, expected);
        assert!(
            flow.exchange(),
            "the established flow broke at replace {round}"
        );
    }
    for child in denied {
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(" 0 received"),
            "denied pings got through: {text}"
        );
    }
}

#[test]
fn traffic_rendered_snapshots_load() {
    // Every pinned ruleset is accepted by the kernel (a syntax and semantics gate).
    let Some(lab) = lab("load") else { return };
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/test_data");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    assert!(names.len() >= 4);
    for path in names {
        let text = std::fs::read_to_string(&path).unwrap();
        lab.nft
            .load(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    let _ = ADMIN_V6;
    let _ = ADMIN_V4;
}

/// Issue 5 (data plane), follow-up: a flow between two local interfaces that is untracked at
/// one end only keeps its conntrack entry (the tracked end needs it), yet EC2 tracks per
/// interface, so at the untracked end its packets are judged by the rules and revoking the
/// rule there cuts it at once. It used to go on, accepted by the shared conntrack state.
#[test]
fn regression_5_local_flow_untracked_at_one_end_stops_on_revoke() {
    let Some(mut lab) = lab("one_end") else {
        return;
    };
    for n in [inst::WEB, inst::OTHER] {
        lab.instance(n, true);
    }
    lab.serve(&i(inst::WEB), &["tcp:80", "tcp:22"]);
    let mut w = use_cases();
    // SSH from the client's address: tracked at both ends (not from everywhere).
    w.rule(
        &gid(sg::WEB),
        Direction::Ingress,
        "tcp",
        Some(22),
        Some(22),
        "10.0.9.10/32",
    );
    lab.apply(&w.snap);
    let web = v4(inst::WEB).to_string();
    // Web's 80 from everywhere with all egress: untracked at web's end; the client (no
    // inbound rule for everywhere) is tracked, so the flow has a conntrack entry.
    let mut one_end = lab.stream(&i(inst::OTHER), &web, 80);
    let mut tracked = lab.stream(&i(inst::OTHER), &web, 22);
    assert!(one_end.exchange() && tracked.exchange());
    assert_eq!(
        lab.conntrack_count(&["-p", "tcp", "--dport", "80", "-d", &web]),
        1,
        "the tracked client end keeps a conntrack entry"
    );
    let rule_of = |w: &crate::fixtures::World, port, peer: &str| {
        w.snap.groups[&gid(sg::WEB)]
            .rules_in(Direction::Ingress)
            .find(|r| r.traffic().ports() == Some((port, port)) && r.peer().to_string() == peer)
            .unwrap()
            .id
            .clone()
    };
    let http_v4 = rule_of(&w, 80, "0.0.0.0/0");
    let ssh = rule_of(&w, 22, "10.0.9.10/32");
    w.revoke(&gid(sg::WEB), &http_v4);
    w.revoke(&gid(sg::WEB), &ssh);
    lab.apply(&w.snap);
    assert!(
        !one_end.exchange(),
        "a flow untracked at the web end stops at once when web's rule goes"
    );
    assert!(
        tracked.exchange(),
        "a flow tracked at both ends survives the revoke"
    );
}
