//! Incremental applies are whole loads in disguise: over seeded random change sequences
//! (add and remove rules, change memberships, add and remove groups, interfaces and
//! prefix-list entries), a kernel that received `delta(prev, next)` holds exactly what a
//! kernel given a full load of `next` holds (`nft -j list table`, handles and counters
//! left out, set elements sorted). Each side lives in a namespace the test creates and
//! removes. The renderer's cache is checked on the way: its output equals a fresh render.

use std::process::Command;

use palisade_dataplane::{ApplyError, ApplyKind, Nft, NftEngine, Renderer, TABLE, render};
use palisade_model::Direction;
use serde_json::Value;

use crate::fixtures::{World, eni_id, use_cases};
use crate::lab::unusable;
use crate::render::local;

/// A bare network namespace, removed on drop.
struct Netns(String);

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

fn netns(role: &str) -> Netns {
    let name = format!("pald{}{role}", std::process::id());
    let ok = Command::new("ip")
        .args(["netns", "add", &name])
        .status()
        .unwrap()
        .success();
    assert!(ok, "ip netns add {name}");
    Netns(name)
}

/// The table as JSON, without what differs between equal tables: handles, counter values,
/// the order of objects (creation order) and of set elements.
fn listing(ns: &Netns) -> Value {
    let out = Command::new("nsenter")
        .arg(format!("--net=/run/netns/{}", ns.0))
        .args(["nft", "-j", "list", "table", "inet", TABLE])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut objects: Vec<(String, Value)> = Vec::new();
    let mut rules: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
    for item in json["nftables"].as_array().unwrap() {
        let Some((kind, body)) = item.as_object().and_then(|o| o.iter().next()) else {
            continue;
        };
        let mut body = body.clone();
        normalise(&mut body);
        match kind.as_str() {
            "metainfo" => {}
            "rule" => rules
                .entry(body["chain"].as_str().unwrap().to_owned())
                .or_default()
                .push(body),
            _ => objects.push((format!("{kind} {}", body["name"]), body)),
        }
    }
    objects.sort_by(|a, b| a.0.cmp(&b.0));
    serde_json::json!({ "objects": objects, "rules": rules })
}

fn normalise(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.remove("handle");
            if let Some(counter) = map.get_mut("counter")
                && counter.is_object()
            {
                *counter = Value::Null;
            }
            if let Some(Value::Array(elems)) = map.get_mut("elem") {
                elems.sort_by_key(|e| e.to_string());
            }
            map.values_mut().for_each(normalise);
        }
        Value::Array(items) => items.iter_mut().for_each(normalise),
        _ => {}
    }
}

/// xorshift64: seeded, so every run makes the same changes.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % n as u64).expect("below n, which is a usize")
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const PEERS: &[&str] = &[
    "10.0.0.0/16",
    "10.0.5.0/24",
    "10.0.5.10/32",
    "0.0.0.0/0",
    "::/0",
    "2001:db8::/32",
    "198.51.100.0/24",
    "sg-00000001",
    "sg-00000007",
    "sg-00000015",
    "pl-00000001",
];

/// One random change to the world or to the host's interfaces.
fn change(rng: &mut Rng, w: &mut World, local_ns: &mut Vec<u8>, next_group: &mut u32) -> String {
    let groups: Vec<_> = w.snap.groups.keys().cloned().collect();
    match rng.below(8) {
        0 | 1 => {
            let group = rng.pick(&groups).clone();
            let dir = *rng.pick(&[Direction::Ingress, Direction::Egress]);
            let proto = *rng.pick(&["tcp", "tcp", "udp", "icmp", "-1"]);
            let from = i64::try_from(rng.below(40)).unwrap() + 20;
            let to = from + i64::try_from(rng.below(3)).unwrap() * 5;
            let (from, to) = match proto {
                "icmp" => (Some(8), Some(-1)),
                "-1" => (None, None),
                _ if rng.below(6) == 0 => (Some(0), Some(65535)),
                _ => (Some(from), Some(to)),
            };
            let peer = *rng.pick(PEERS);
            w.try_rule(&group, (dir, proto, from, to), peer);
            format!("add rule to {group}: {proto} {from:?}-{to:?} {peer}")
        }
        2 => {
            let group = rng.pick(&groups).clone();
            let rules: Vec<_> = w.snap.groups[&group]
                .rules()
                .iter()
                .map(|r| r.id.clone())
                .collect();
            if rules.is_empty() {
                return "nothing to revoke".into();
            }
            let rule = rng.pick(&rules).clone();
            w.revoke(&group, &rule);
            format!("revoke {rule} of {group}")
        }
        3 => {
            let eni = eni_id(u8::try_from(rng.below(9)).unwrap() + 1);
            if !w.snap.enis.contains_key(&eni) {
                return "no such interface".into();
            }
            let picked: Vec<_> = (0..=rng.below(3))
                .map(|_| rng.pick(&groups).clone())
                .collect();
            let mut picked = picked;
            picked.sort();
            picked.dedup();
            let refs: Vec<_> = picked.iter().collect();
            w.set_groups(&eni, &refs);
            format!("{eni} now in {picked:?}")
        }
        4 => {
            *next_group += 1;
            let id = w.group(*next_group, &format!("g{next_group}"));
            for _ in 0..=rng.below(3) {
                let port = i64::try_from(rng.below(100)).unwrap() + 1000;
                let peer = *rng.pick::<&str>(PEERS);
                w.try_rule(
                    &id,
                    (Direction::Ingress, "tcp", Some(port), Some(port)),
                    peer,
                );
            }
            let eni = eni_id(u8::try_from(rng.below(9)).unwrap() + 1);
            if let Some(e) = w.snap.enis.get_mut(&eni) {
                e.groups.push(id.clone());
            }
            format!("new group {id} on {eni}")
        }
        5 => {
            let group = rng.pick(&groups).clone();
            for eni in w.snap.enis.values_mut() {
                eni.groups.retain(|g| g != &group);
            }
            w.snap.groups.remove(&group);
            format!("group {group} deleted")
        }
        6 => {
            let n = u8::try_from(rng.below(9)).unwrap() + 1;
            match local_ns.iter().position(|x| *x == n) {
                Some(idx) if local_ns.len() > 1 => {
                    local_ns.remove(idx);
                    format!("interface {n} leaves the host")
                }
                Some(_) => "last interface stays".into(),
                None => {
                    local_ns.push(n);
                    format!("interface {n} comes to the host")
                }
            }
        }
        _ => {
            let list = "pl-00000001".parse().unwrap();
            let Some(pl) = w.snap.prefix_lists.get_mut(&list) else {
                return "no prefix list".into();
            };
            let net = format!("192.0.2.{}/32", rng.below(4) * 64);
            let cidr: ipnet::IpNet = net.parse().unwrap();
            match pl.entries.iter().position(|e| e.cidr == cidr) {
                Some(idx) => {
                    pl.entries.remove(idx);
                    format!("{net} leaves the prefix list")
                }
                None => {
                    pl.entries.push(palisade_model::PrefixListEntry {
                        cidr,
                        description: None,
                    });
                    format!("{net} joins the prefix list")
                }
            }
        }
    }
}

#[test]
fn delta_applied_equals_a_full_load() {
    if let Some(reason) = unusable() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but the data-plane suite cannot run: {reason}"
        );
        eprintln!("skipping the delta equivalence test: {reason}");
        return;
    }
    let (inc_ns, full_ns) = (netns("i"), netns("f"));
    // Deltas through libnftables (when the host has it), full loads through nft processes:
    // the equality below also holds the two engines to the same result.
    let inc = Nft::in_netns(&inc_ns.0);
    let full = Nft::in_netns(&full_ns.0).with_processes();
    assert_eq!(full.engine(), NftEngine::Processes);
    if std::env::var_os("CI").is_some() {
        // The nftables package depends on libnftables1, so CI always has the library.
        assert_eq!(
            inc.engine(),
            NftEngine::Library,
            "{:?}",
            Nft::library_unavailable()
        );
    }
    let mut kinds = Vec::new();
    for seed in [1_u64, 7, 42, 1234] {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let mut w = use_cases();
        let mut local_ns: Vec<u8> = vec![1, 2, 6, 7];
        let mut next_group = 20;
        let mut renderer = Renderer::new();
        let mut prev = renderer.render(&w.snap, &local(&local_ns)).unwrap();
        inc.apply(None, &prev).unwrap();
        let mut log = Vec::new();
        for step in 0..12 {
            log.push(change(&mut rng, &mut w, &mut local_ns, &mut next_group));
            let ifaces = local(&local_ns);
            let next = renderer.render(&w.snap, &ifaces).unwrap();
            assert_eq!(
                next,
                render(&w.snap, &ifaces).unwrap(),
                "cache, after {log:#?}"
            );
            let report = inc
                .apply(Some(&prev), &next)
                .unwrap_or_else(|e| panic!("seed {seed} step {step}: {e}\nafter {log:#?}"));
            kinds.push(report.kind);
            full.replace(None, &next).unwrap();
            assert_eq!(
                listing(&inc_ns),
                listing(&full_ns),
                "seed {seed} step {step}, after {log:#?}"
            );
            prev = next;
        }
    }
    // The sequences exercised every kind of apply.
    for kind in [
        ApplyKind::Incremental,
        ApplyKind::Members,
        ApplyKind::Unchanged,
    ] {
        assert!(kinds.contains(&kind), "{kind:?} never happened: {kinds:?}");
    }
}

/// Both engines refuse what nft refuses, with nft's message, commit nothing on a check, and
/// read the table back as `nft -j` does.
#[test]
fn engines_refuse_check_and_list_alike() {
    if let Some(reason) = unusable() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but the data-plane suite cannot run: {reason}"
        );
        eprintln!("skipping the nft engine test: {reason}");
        return;
    }
    let ns = netns("e");
    let table = format!("table inet {TABLE} {{\n  chain c {{\n    counter accept\n  }}\n}}\n");
    for nft in [Nft::in_netns(&ns.0), Nft::in_netns(&ns.0).with_processes()] {
        let engine = nft.engine();
        let err = nft
            .load(&format!(
                "table inet {TABLE} {{\n  chain c {{\n    bogus\n  }}\n}}\n"
            ))
            .unwrap_err();
        let ApplyError::Nft { stderr, .. } = &err else {
            panic!("{engine:?}: {err}");
        };
        assert!(stderr.contains("syntax error"), "{engine:?}: {stderr}");
        nft.check(&table).unwrap();
        assert!(
            Command::new("nsenter")
                .arg(format!("--net=/run/netns/{}", ns.0))
                .args(["nft", "list", "table", "inet", TABLE])
                .output()
                .unwrap()
                .stdout
                .is_empty(),
            "{engine:?}: a check committed the table"
        );
        nft.load(&table).unwrap();
        assert_eq!(nft.counters(&[eni_id(1)]).unwrap(), [], "{engine:?}");
        nft.load(&format!("delete table inet {TABLE}")).unwrap();
    }
}

/// A namespace deleted and added again under its name is entered anew, as a process
/// would: the next load lands in the new namespace, not in the one the context was in.
#[test]
fn a_namespace_added_again_is_entered_anew() {
    if let Some(reason) = unusable() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but the data-plane suite cannot run: {reason}"
        );
        eprintln!("skipping the namespace re-entry test: {reason}");
        return;
    }
    let ns = netns("r");
    let nft = Nft::in_netns(&ns.0);
    let table = format!("table inet {TABLE} {{\n  chain c {{\n    accept\n  }}\n}}\n");
    nft.load(&table).unwrap();
    let listed = |ns: &Netns| {
        Command::new("nsenter")
            .arg(format!("--net=/run/netns/{}", ns.0))
            .args(["nft", "list", "tables"])
            .output()
            .unwrap()
            .stdout
    };
    assert!(!listed(&ns).is_empty());
    let name = ns.0.clone();
    drop(ns);
    let ns = netns("r");
    assert_eq!(ns.0, name);
    assert!(listed(&ns).is_empty(), "a new namespace has no table");
    nft.load(&table).unwrap();
    assert!(
        !listed(&ns).is_empty(),
        "{:?}: loaded elsewhere",
        nft.engine()
    );
}
