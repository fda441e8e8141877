//! `Engine::update` after a change decides exactly as a fresh `compile` of the new snapshot,
//! and rebuilds only the group sets the change touches.

use std::collections::BTreeSet;

use palisade_engine::{Engine, compile, reference};
use palisade_model::{Direction, GroupId, NewRule, Peer, Snapshot, Traffic};
use palisade_testkit::strategies::{packet, small_snapshot};
use palisade_testkit::{AccountConfig, PacketGen, account};
use proptest::prelude::*;

/// The groups whose rules or VPC differ between two snapshots (the update contract's hint).
fn changed_groups(old: &Snapshot, new: &Snapshot) -> Vec<GroupId> {
    let ids: BTreeSet<&GroupId> = old.groups.keys().chain(new.groups.keys()).collect();
    ids.into_iter()
        .filter(|id| old.groups.get(*id) != new.groups.get(*id))
        .cloned()
        .collect()
}

/// `a` with, per mask bit, groups, interfaces, peerings and prefix lists taken from `b`.
fn mix(a: &Snapshot, b: &Snapshot, mask: &[bool]) -> Snapshot {
    let mut res = a.clone();
    let mut bit = mask.iter().copied().cycle();
    let mut take = |from: bool| from && bit.next().unwrap_or(false);
    for (id, g) in &b.groups {
        if take(true) {
            res.groups.insert(id.clone(), g.clone());
        }
    }
    for (id, e) in &b.enis {
        if take(true) {
            res.enis.insert(id.clone(), e.clone());
        }
    }
    if take(true) {
        res.peerings = b.peerings.clone();
    }
    if take(true) {
        res.prefix_lists = b.prefix_lists.clone();
    }
    if take(true) {
        res.groups.retain(|id, _| b.groups.contains_key(id));
    }
    res
}

#[track_caller]
fn check_same(updated: &Engine, snap: &Snapshot, packets: &[palisade_engine::Packet]) {
    let fresh = compile(snap);
    for pkt in packets {
        let want = reference::decide(snap, pkt);
        assert_eq!(updated.decide(pkt), want, "updated engine, packet {pkt:?}");
        assert_eq!(fresh.decide(pkt), want, "fresh engine, packet {pkt:?}");
    }
}

proptest! {
    #[test]
    fn update_equals_fresh_compile(
        (old, new, packets) in (small_snapshot(), small_snapshot(), prop::collection::vec(any::<bool>(), 1..12))
            .prop_flat_map(|(a, b, mask)| {
                let new = mix(&a, &b, &mask);
                let packets = prop::collection::vec(packet(&new), 1..8);
                (Just(a), Just(new), packets)
            })
    ) {
        let mut engine = compile(&old);
        engine.update(&new, &changed_groups(&old, &new));
        check_same(&engine, &new, &packets);
    }
}

/// Authorizing one rule in one group rebuilds exactly the group sets holding that group.
#[test]
fn update_rebuilds_only_touched_group_sets() {
    let old = account(AccountConfig {
        rules: 2_000,
        seed: 3,
    });
    let mut engine = compile(&old);
    let before = engine.n_group_sets();
    let mut new = old.clone();
    let (gid, eni) = {
        let eni = new
            .enis
            .values()
            .next()
            .expect("generated accounts have interfaces");
        (eni.groups[0].clone(), eni.id.clone())
    };
    let holding = {
        let sets: BTreeSet<Vec<&GroupId>> = new
            .enis
            .values()
            .filter(|e| e.has_group(&gid))
            .map(|e| {
                let mut s: Vec<&GroupId> = e.groups.iter().collect();
                s.sort();
                s.dedup();
                s
            })
            .collect();
        sets.len()
    };
    let peer = Peer::Ipv4("198.51.100.7/32".parse().expect("valid CIDR"));
    let rule = NewRule::new(
        Direction::Ingress,
        Traffic::Tcp(palisade_model::PortRange::single(4242)),
        peer,
    );
    let quotas = palisade_model::Quotas::default();
    let weight = |_: &palisade_model::PrefixListId| Some(1);
    let ctx = palisade_model::AuthorizeCtx {
        quotas: &quotas,
        prefix_list_weight: &weight,
    };
    let mut ids = palisade_model::SeqIdGen::starting_at(1 << 40);
    let group = new
        .groups
        .get_mut(&gid)
        .expect("the interface's group exists");
    group
        .authorize(vec![rule], &ctx, &mut ids)
        .expect("a fresh rule is accepted");

    let stats = engine.update(&new, std::slice::from_ref(&gid));
    assert_eq!(stats.rebuilt, holding);
    assert_eq!(stats.reused, before - holding);
    assert!(stats.reused > 0, "the account has group sets without {gid}");

    let pkt = palisade_engine::Packet {
        interface: eni,
        direction: Direction::Ingress,
        remote: "198.51.100.7".parse().expect("valid address"),
        payload: palisade_engine::Payload::Tcp { dst_port: 4242 },
    };
    assert_eq!(engine.allows(&pkt), Ok(true));
    let mut packets = PacketGen::new(&new).packets(5, 2_000);
    packets.push(pkt);
    check_same(&engine, &new, &packets);
}
