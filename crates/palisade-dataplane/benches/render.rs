//! Render and apply benchmarks over 100 local interfaces: a full render and a full load at
//! 1k, 10k and 50k security-group rules; a one-rule change (cached render + incremental
//! apply) at 10k and 50k; a membership change (set elements only) at 10k. Apply runs only as
//! root with `nft` present, inside a namespace the bench creates and removes
//! (`palbench<pid>`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::net::Ipv4Addr;
use std::process::Command;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use palisade_dataplane::{ApplyKind, LocalInterface, Nft, Renderer, render};
use palisade_model::{
    AccountId, ConntrackConfig, Direction, Eni, EniId, GroupId, GroupRef, Peer, Rule, RuleId,
    RuleSpec, SecurityGroup, Snapshot, Traffic, Vpc, VpcId,
};

const RULES_PER_GROUP: usize = 500;
const N_ENIS: u32 = 100;

/// `n_rules` rules in groups of 500: distinct /24 CIDRs × ports, one in ten a group reference.
fn world(n_rules: usize) -> (Snapshot, Vec<LocalInterface>) {
    let vpc: VpcId = "vpc-00000001".parse().unwrap();
    let owner: AccountId = "111122223333".parse().unwrap();
    let mut snap = Snapshot::default();
    snap.vpcs.insert(
        vpc.clone(),
        Vpc {
            id: vpc.clone(),
            owner: owner.clone(),
            cidrs_v4: vec!["10.0.0.0/8".parse().unwrap()],
            cidrs_v6: Vec::new(),
            is_default: false,
            tags: Vec::new(),
            attributes: Default::default(),
        },
    );
    let n_groups = n_rules.div_ceil(RULES_PER_GROUP);
    let gid = |g: usize| -> GroupId { format!("sg-{g:08x}").parse().unwrap() };
    for g in 0..n_groups {
        let mut group = SecurityGroup::empty(
            gid(g),
            format!("g{g}"),
            "bench".into(),
            vpc.clone(),
            owner.clone(),
        );
        for r in 0..RULES_PER_GROUP.min(n_rules - g * RULES_PER_GROUP) {
            let k = g * RULES_PER_GROUP + r;
            let peer = if r % 10 == 0 {
                Peer::Group(GroupRef::same_account(gid((g + 1) % n_groups)))
            } else {
                let [_, b, c, _] = u32::try_from(k).unwrap().to_be_bytes();
                Peer::Ipv4(format!("172.{}.{c}.0/24", 16 + (b % 16)).parse().unwrap())
            };
            let port = i64::try_from(1000 + k % 50_000).unwrap();
            let spec = RuleSpec {
                direction: Direction::Ingress,
                traffic: Traffic::parse("tcp", Some(port), Some(port)).unwrap(),
                peer,
            };
            let id: RuleId = format!("sgr-{k:08x}").parse().unwrap();
            let rule = Rule {
                id,
                group_id: gid(g),
                spec,
                description: None,
                tags: Vec::new(),
            };
            group.insert_existing(rule).unwrap();
        }
        snap.groups.insert(gid(g), group);
    }
    let mut ifaces = Vec::new();
    for e in 0..N_ENIS {
        let id: EniId = format!("eni-{e:08x}").parse().unwrap();
        let groups = (0..5)
            .map(|k| gid((e as usize + k) % n_groups))
            .collect::<Vec<_>>();
        let mut groups = groups;
        groups.dedup();
        groups.sort();
        groups.dedup();
        snap.enis.insert(
            id.clone(),
            Eni {
                id: id.clone(),
                owner: owner.clone(),
                vpc_id: vpc.clone(),
                subnet_id: None,
                private_ipv4: vec![Ipv4Addr::from(0x0a00_0000 + e + 10)],
                ipv6: Vec::new(),
                public_ipv4: None,
                groups,
                instance_id: None,
                description: String::new(),
                conntrack: ConntrackConfig::default(),
                tags: Vec::new(),
            },
        );
        ifaces.push(LocalInterface::new(id, &format!("b{e}")).unwrap());
    }
    (snap, ifaces)
}

/// `snap` with one more ingress rule in the first group, from 192.0.2.7/32: `tcp 22` (an
/// element of the group's `address . port` set) or `icmp echo-request` (a line of its chain).
fn one_more_rule(snap: &Snapshot, proto: &str) -> Snapshot {
    let traffic = match proto {
        "tcp" => Traffic::parse("tcp", Some(22), Some(22)).unwrap(),
        _ => Traffic::parse("icmp", Some(8), Some(-1)).unwrap(),
    };
    let mut snap = snap.clone();
    let gid: GroupId = "sg-00000000".parse().unwrap();
    let rule = Rule {
        id: "sgr-ffffffff".parse().unwrap(),
        group_id: gid.clone(),
        spec: RuleSpec {
            direction: Direction::Ingress,
            traffic,
            peer: Peer::Ipv4("192.0.2.7/32".parse().unwrap()),
        },
        description: None,
        tags: Vec::new(),
    };
    snap.groups
        .get_mut(&gid)
        .unwrap()
        .insert_existing(rule)
        .unwrap();
    snap
}

fn bench_render(c: &mut Criterion) {
    let mut group = c.benchmark_group("render");
    group.sample_size(10);
    for n in [1_000, 10_000, 50_000] {
        let (snap, ifaces) = world(n);
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| render(&snap, &ifaces).unwrap());
        });
    }
    group.finish();

    // A one-rule change with the per-group cache warm: only the changed group re-renders.
    let mut group = c.benchmark_group("render_one_rule_change");
    group.sample_size(20);
    for n in [10_000, 50_000] {
        let (base, ifaces) = world(n);
        let changed = one_more_rule(&base, "tcp");
        let mut renderer = Renderer::new();
        renderer.render(&base, &ifaces).unwrap();
        let mut flip = false;
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                flip = !flip;
                renderer
                    .render(if flip { &changed } else { &base }, &ifaces)
                    .unwrap()
            });
        });
    }
    group.finish();
}

/// A namespace for the apply benches, removed on drop.
struct Netns(String);

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

fn can_apply() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let nft = Command::new("sh")
        .args(["-c", "command -v nft"])
        .output()
        .is_ok_and(|o| o.status.success());
    root && nft
}

fn bench_apply(c: &mut Criterion) {
    if !can_apply() {
        eprintln!("skipping apply benchmarks: needs root and nft");
        return;
    }
    let ns = Netns(format!("palbench{}", std::process::id()));
    assert!(
        Command::new("ip")
            .args(["netns", "add", &ns.0])
            .status()
            .unwrap()
            .success()
    );
    let nft = Nft::in_netns(&ns.0);
    let mut group = c.benchmark_group("apply_replace");
    group.sample_size(10);
    for n in [1_000, 10_000, 50_000] {
        let (snap, ifaces) = world(n);
        let ruleset = render(&snap, &ifaces).unwrap();
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| nft.apply(None, &ruleset).unwrap());
        });
    }
    group.finish();

    // A one-rule change to enforcement: cached render, delta, one incremental transaction.
    // `set` adds a set element only; `chain` flushes and refills the group's ingress chain.
    // Each through libnftables (the default, when the host has it) and nft processes.
    let engines = [nft.clone(), nft.clone().with_processes()];
    let mut group = c.benchmark_group("one_rule_change");
    group.sample_size(20);
    for (n, kind) in [(10_000, "set"), (50_000, "set"), (50_000, "chain")] {
        let (base, ifaces) = world(n);
        let changed = one_more_rule(&base, if kind == "set" { "tcp" } else { "icmp" });
        for nft in &engines {
            let mut renderer = Renderer::new();
            let mut in_force = renderer.render(&base, &ifaces).unwrap();
            nft.apply(None, &in_force).unwrap();
            let mut flip = false;
            let id = format!("{kind}/{}", nft.engine().as_str().replace(' ', "_"));
            group.bench_with_input(BenchmarkId::new(id, n), &n, |b, _| {
                b.iter(|| {
                    flip = !flip;
                    let next = renderer
                        .render(if flip { &changed } else { &base }, &ifaces)
                        .unwrap();
                    let report = nft.apply(Some(&in_force), &next).unwrap();
                    assert_eq!(report.kind, ApplyKind::Incremental);
                    in_force = next;
                });
            });
        }
    }
    group.finish();

    // Membership change to enforcement: one interface joins and leaves a referenced group
    // (render + element update in one nft transaction), with 10k rules in force.
    let (base_snap, ifaces) = world(10_000);
    let mut joined_snap = base_snap.clone();
    let outsider: EniId = "eni-0000ffff".parse().unwrap();
    let mut eni = base_snap.enis.values().next().unwrap().clone();
    eni.id = outsider.clone();
    eni.private_ipv4 = vec![Ipv4Addr::new(10, 200, 0, 1)];
    eni.groups = vec!["sg-00000001".parse().unwrap()];
    joined_snap.enis.insert(outsider, eni);
    for nft in &engines {
        let mut renderer = Renderer::new();
        let mut in_force = renderer.render(&base_snap, &ifaces).unwrap();
        nft.apply(None, &in_force).unwrap();
        let mut joined = false;
        let id = format!(
            "membership_change_10k_rules/{}",
            nft.engine().as_str().replace(' ', "_")
        );
        c.bench_function(&id, |b| {
            b.iter(|| {
                joined = !joined;
                let snap = if joined { &joined_snap } else { &base_snap };
                let next = renderer.render(snap, &ifaces).unwrap();
                let report = nft.apply(Some(&in_force), &next).unwrap();
                assert_eq!(report.kind, ApplyKind::Members);
                in_force = next;
            });
        });
    }
}

criterion_group!(benches, bench_render, bench_apply);
criterion_main!(benches);
