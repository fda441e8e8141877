//! Tests of host views and of which hosts a change affects.

use std::net::Ipv4Addr;

use super::*;
use crate::ids::SeqIdGen;
use crate::{
    AddressFamily, AuthorizeCtx, ConntrackConfig, Direction, Eni, GroupRef, NewRule, PrefixList,
    PrefixListEntry, Quotas, SecurityGroup, Traffic, Vpc,
};

fn gid(n: u32) -> GroupId {
    format!("sg-{n:017x}").parse().unwrap()
}

fn eid(n: u32) -> EniId {
    format!("eni-{n:017x}").parse().unwrap()
}

fn vpc_id() -> VpcId {
    "vpc-00000000000000001".parse().unwrap()
}

fn pl_id() -> PrefixListId {
    "pl-00000000000000001".parse().unwrap()
}

/// Groups 1 (ingress tcp/80 from group 2), 2, 3; interfaces 1 (group 1), 2 (group 2),
/// 3 (group 3), 4 (groups 2 and 3); prefix list 1 used by no rule yet.
fn snapshot() -> Snapshot {
    let mut snap = Snapshot::default();
    let owner: crate::AccountId = "123456789012".parse().unwrap();
    snap.vpcs.insert(
        vpc_id(),
        Vpc {
            id: vpc_id(),
            owner: owner.clone(),
            cidrs_v4: vec!["10.0.0.0/16".parse().unwrap()],
            cidrs_v6: Vec::new(),
            is_default: false,
            tags: Vec::new(),
            attributes: Default::default(),
        },
    );
    let mut ids = SeqIdGen::starting_at(100);
    for n in 1..=3 {
        let g = SecurityGroup::new(
            gid(n),
            format!("g{n}"),
            "test".into(),
            vpc_id(),
            owner.clone(),
            false,
            &mut ids,
        );
        snap.groups.insert(gid(n), g);
    }
    let rule = NewRule::new(
        Direction::Ingress,
        Traffic::parse("tcp", Some(80), Some(80)).unwrap(),
        Peer::Group(GroupRef::same_account(gid(2))),
    );
    authorize(&mut snap, 1, rule);
    snap.prefix_lists.insert(
        pl_id(),
        PrefixList {
            id: pl_id(),
            name: "office".into(),
            owner: owner.clone(),
            family: AddressFamily::Ipv4,
            max_entries: 5,
            version: 1,
            entries: vec![PrefixListEntry {
                cidr: "192.0.2.0/24".parse().unwrap(),
                description: None,
            }],
            tags: Vec::new(),
            change: Default::default(),
        },
    );
    for (n, groups) in [(1, vec![1]), (2, vec![2]), (3, vec![3]), (4, vec![2, 3])] {
        snap.enis.insert(
            eid(n),
            Eni {
                id: eid(n),
                owner: owner.clone(),
                vpc_id: vpc_id(),
                subnet_id: None,
                private_ipv4: vec![Ipv4Addr::new(10, 0, 0, u8::try_from(n).unwrap())],
                ipv6: Vec::new(),
                public_ipv4: None,
                groups: groups.into_iter().map(gid).collect(),
                instance_id: None,
                description: String::new(),
                conntrack: ConntrackConfig::default(),
                tags: Vec::new(),
            },
        );
    }
    snap
}

fn authorize(snap: &mut Snapshot, group: u32, rule: NewRule) {
    let quotas = Quotas::default();
    let weight = |_: &PrefixListId| Some(5);
    let ctx = AuthorizeCtx {
        quotas: &quotas,
        prefix_list_weight: &weight,
    };
    let mut ids = SeqIdGen::starting_at(500);
    snap.groups
        .get_mut(&gid(group))
        .unwrap()
        .authorize(vec![rule], &ctx, &mut ids)
        .unwrap();
}

fn ids<K: ToString, V>(map: &std::collections::BTreeMap<K, V>) -> Vec<String> {
    map.keys().map(ToString::to_string).collect()
}

/// Whether the host with `interfaces`, viewing the base state, is affected by the change to
/// `new`; an unaffected host's view is checked to be indeed unchanged.
#[track_caller]
fn check_affected(interfaces: &[EniId], new: &Snapshot, expected: bool) {
    let old = snapshot();
    let before = host_view(&old, interfaces);
    let changes = changed_deps(&old, new);
    let affected = !before.deps.is_disjoint(&changes);
    assert_eq!(affected, expected, "changes {changes:?}");
    if !affected {
        assert_eq!(host_view(new, interfaces).snapshot, before.snapshot);
    }
}

#[test]
fn view_holds_own_groups_referenced_groups_and_their_members() {
    let view = host_view(&snapshot(), &[eid(1)]).snapshot;
    assert_eq!(ids(&view.groups), [gid(1).to_string(), gid(2).to_string()]);
    assert_eq!(
        ids(&view.enis),
        [eid(1).to_string(), eid(2).to_string(), eid(4).to_string()]
    );
    // The member in groups 2 and 3 shows only the group of the view.
    assert_eq!(view.enis[&eid(4)].groups, [gid(2)]);
    assert!(view.prefix_lists.is_empty());
    assert_eq!(ids(&view.vpcs), [vpc_id().to_string()]);
    assert!(view.check().is_empty(), "{:?}", view.check());
}

#[test]
fn view_of_a_host_without_references_is_its_own_interface() {
    let view = host_view(&snapshot(), &[eid(3)]).snapshot;
    assert_eq!(ids(&view.groups), [gid(3).to_string()]);
    assert_eq!(ids(&view.enis), [eid(3).to_string()]);
}

#[test]
fn unknown_interface_is_a_dependency_and_an_empty_view() {
    let view = host_view(&snapshot(), &[eid(9)]);
    assert!(view.snapshot.enis.is_empty());
    assert!(view.deps.contains(&Dep::Eni(eid(9))));
    let mut new = snapshot();
    let mut eni = new.enis[&eid(3)].clone();
    eni.id = eid(9);
    new.enis.insert(eid(9), eni);
    check_affected(&[eid(9)], &new, true);
}

#[test]
fn member_address_change_affects_referencing_host_only() {
    let mut new = snapshot();
    new.enis.get_mut(&eid(2)).unwrap().private_ipv4 = vec![Ipv4Addr::new(10, 0, 9, 9)];
    check_affected(&[eid(1)], &new, true);
    check_affected(&[eid(3)], &new, false);
}

#[test]
fn unrelated_interface_change_affects_no_one_else() {
    let mut new = snapshot();
    new.enis.get_mut(&eid(3)).unwrap().private_ipv4 = vec![Ipv4Addr::new(10, 0, 9, 9)];
    check_affected(&[eid(1)], &new, false);
    check_affected(&[eid(3)], &new, true);
}

#[test]
fn joining_a_referenced_group_affects_the_referencing_host() {
    let mut new = snapshot();
    new.enis.get_mut(&eid(3)).unwrap().groups.push(gid(2));
    check_affected(&[eid(1)], &new, true);
    assert!(
        host_view(&new, &[eid(1)])
            .snapshot
            .enis
            .contains_key(&eid(3))
    );
}

#[test]
fn rule_change_on_an_unrelated_group_affects_no_one_else() {
    let mut new = snapshot();
    let rule = NewRule::new(
        Direction::Ingress,
        Traffic::parse("tcp", Some(22), Some(22)).unwrap(),
        Peer::parse_cidr("198.51.100.0/24").unwrap(),
    );
    authorize(&mut new, 3, rule);
    check_affected(&[eid(1)], &new, false);
    check_affected(&[eid(4)], &new, true);
}

#[test]
fn prefix_list_used_by_a_rule_is_in_the_view_and_its_edit_affects_the_host() {
    let mut with_pl = snapshot();
    let rule = NewRule::new(
        Direction::Ingress,
        Traffic::parse("tcp", Some(443), Some(443)).unwrap(),
        Peer::PrefixList(pl_id()),
    );
    authorize(&mut with_pl, 1, rule);
    let view = host_view(&with_pl, &[eid(1)]);
    assert_eq!(ids(&view.snapshot.prefix_lists), [pl_id().to_string()]);
    let mut edited = with_pl.clone();
    edited.prefix_lists.get_mut(&pl_id()).unwrap().version = 2;
    let changes = changed_deps(&with_pl, &edited);
    assert_eq!(changes, BTreeSet::from([Dep::PrefixList(pl_id())]));
    assert!(!view.deps.is_disjoint(&changes));
    assert!(host_view(&with_pl, &[eid(3)]).deps.is_disjoint(&changes));
}

#[test]
fn identical_states_change_nothing() {
    assert!(changed_deps(&snapshot(), &snapshot()).is_empty());
}
