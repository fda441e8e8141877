//! The rulesets of `scripts/bench-dataplane.sh` (throughput with sets vs a linear chain):
//! prints, for two local interfaces, a client (`CLIENT_ENI` = `eni1`, 10.0.1.10, all egress)
//! and a server (`SERVER_ENI` = `eni2`, 10.0.2.10), the ruleset palisade renders when the
//! server's group holds N ingress rules, or the same rules as a linear chain.
//!
//! ```text
//! cargo run -p palisade-dataplane --example throughput_ruleset -- N sets|linear
//! ```
//! The N rules come in three traffic classes in turn (tcp/5201 for iperf3, tcp/5202 for the
//! connect test, udp/9 for the flow blaster), each from its own /32 in 172.16.0.0/12; the
//! client's /32 has one rule in each class. `sets` is palisade's render: one line per
//! protocol, its `CIDR . port` pairs in one concatenated interval set. `linear` expands every
//! such line into one rule per pair, the client's last (the worst case of a first-match
//! chain: every new TCP flow of the client passes all the TCP rules before its own).
//! Nothing else differs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::net::Ipv4Addr;

use palisade_dataplane::{LocalInterface, render};
use palisade_model::{
    AccountId, ConntrackConfig, Direction, Eni, EniId, GroupId, Peer, Rule, RuleId, RuleSpec,
    SecurityGroup, Snapshot, Traffic, Vpc, VpcId,
};

const CLIENT_ENI: &str = "eni-00000001";
const SERVER_ENI: &str = "eni-00000002";
const CLASSES: [(&str, i64); 3] = [("tcp", 5201), ("tcp", 5202), ("udp", 9)];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(n), Some(mode)) = (args.get(1).and_then(|n| n.parse().ok()), args.get(2)) else {
        panic!("usage: throughput_ruleset N sets|linear");
    };
    let (snap, ifaces) = world(n);
    let ruleset = render(&snap, &ifaces).expect("the bench world renders");
    let text = match mode.as_str() {
        "sets" => ruleset.text(),
        "linear" => linear(&ruleset.text()),
        other => panic!("mode {other}: expected sets or linear"),
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .expect("stdout");
}

/// Every `ip saddr . PROTO dport @SET accept` line becomes one `ip saddr A PROTO dport P
/// accept` line per element `A . P` of SET, in reverse order (the client's 10.0.1.10/32
/// sorts first, so it ends up last); the sets themselves stay, unused.
fn linear(text: &str) -> String {
    let mut elements: std::collections::HashMap<String, Vec<String>> = Default::default();
    let mut set = None;
    for line in text.lines() {
        if let Some(name) = line
            .strip_prefix("\tset ")
            .and_then(|l| l.strip_suffix(" {"))
        {
            set = Some(name.to_owned());
        }
        if let (Some(name), Some(elems)) = (
            &set,
            line.strip_prefix("\t\telements = { ")
                .and_then(|l| l.strip_suffix(" }")),
        ) {
            elements.insert(name.clone(), elems.split(", ").map(str::to_owned).collect());
        }
    }
    let mut out = String::with_capacity(text.len() * 2);
    for line in text.lines() {
        let expanded = line
            .strip_prefix("\t\tip saddr . ")
            .and_then(|rest| rest.split_once(" dport @"))
            .and_then(|(proto, rest)| Some((proto, rest.strip_suffix(" accept")?)));
        let Some((proto, name)) = expanded else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        for elem in elements.get(name).into_iter().flatten().rev() {
            let (addr, port) = elem.split_once(" . ").expect("an address . port element");
            out.push_str(&format!(
                "\t\tip saddr {addr} {proto} dport {port} accept\n"
            ));
        }
    }
    out
}

fn world(n_rules: usize) -> (Snapshot, Vec<LocalInterface>) {
    let vpc: VpcId = "vpc-00000001".parse().unwrap();
    let owner: AccountId = "111122223333".parse().unwrap();
    let mut snap = Snapshot::default();
    snap.vpcs.insert(
        vpc.clone(),
        Vpc {
            id: vpc.clone(),
            owner: owner.clone(),
            cidrs_v4: vec!["10.0.0.0/16".parse().unwrap()],
            cidrs_v6: Vec::new(),
            is_default: false,
            tags: Vec::new(),
            attributes: Default::default(),
        },
    );
    let client_group: GroupId = "sg-00000001".parse().unwrap();
    let server_group: GroupId = "sg-00000002".parse().unwrap();
    let mut client = SecurityGroup::empty(
        client_group.clone(),
        "client".into(),
        "bench".into(),
        vpc.clone(),
        owner.clone(),
    );
    let mut server = SecurityGroup::empty(
        server_group.clone(),
        "server".into(),
        "bench".into(),
        vpc.clone(),
        owner.clone(),
    );
    let add = |group: &mut SecurityGroup, k: usize, dir, traffic, peer: &str| {
        let rule = Rule {
            id: format!("sgr-{k:08x}").parse::<RuleId>().unwrap(),
            group_id: group.id.clone(),
            spec: RuleSpec {
                direction: dir,
                traffic,
                peer: Peer::parse_cidr(peer).unwrap(),
            },
            description: None,
            tags: Vec::new(),
        };
        group.insert_existing(rule).unwrap();
    };
    add(&mut client, 0, Direction::Egress, Traffic::All, "0.0.0.0/0");
    for k in 0..n_rules {
        let (proto, port) = CLASSES[k % CLASSES.len()];
        let traffic = Traffic::parse(proto, Some(port), Some(port)).unwrap();
        let peer = if k < CLASSES.len() {
            "10.0.1.10/32".to_owned()
        } else {
            let addr = Ipv4Addr::from(0xac10_0000 + u32::try_from(k).unwrap());
            format!("{addr}/32")
        };
        add(&mut server, k + 1, Direction::Ingress, traffic, &peer);
    }
    snap.groups.insert(client_group.clone(), client);
    snap.groups.insert(server_group.clone(), server);
    let mut ifaces = Vec::new();
    for (id, addr, group, ifname) in [
        (CLIENT_ENI, [10, 0, 1, 10], &client_group, "eni1"),
        (SERVER_ENI, [10, 0, 2, 10], &server_group, "eni2"),
    ] {
        let id: EniId = id.parse().unwrap();
        snap.enis.insert(
            id.clone(),
            Eni {
                id: id.clone(),
                owner: owner.clone(),
                vpc_id: vpc.clone(),
                subnet_id: None,
                private_ipv4: vec![Ipv4Addr::from(addr)],
                ipv6: Vec::new(),
                public_ipv4: None,
                groups: vec![group.clone()],
                instance_id: None,
                description: String::new(),
                conntrack: ConntrackConfig::default(),
                tags: Vec::new(),
            },
        );
        ifaces.push(LocalInterface::new(id, ifname).unwrap());
    }
    (snap, ifaces)
}
