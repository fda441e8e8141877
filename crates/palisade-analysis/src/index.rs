//! [`Index`]: a snapshot resolved once for analysis — every rule with its traffic keys and
//! the exact addresses its peer matches, group memberships, interface classes (interfaces
//! with the same set of groups share one policy), the internet address set and every
//! interface's path from the internet ([`crate::path`]).
//!
//! Peer semantics are the engine's (`palisade_engine::reference`): a CIDR matches its
//! addresses; a prefix list its entries (an unknown list nothing); a group reference the
//! private addresses of the referenced group's members in the same VPC or across an active
//! peering (the named one when the reference names one).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use palisade_engine::RuleMatch;
use palisade_model::{
    AddressFamily, Direction, Eni, EniId, GroupId, GroupRef, Peer, PeeringId, Rule, SecurityGroup,
    Snapshot, VpcId,
};

use crate::path::PathState;
use crate::space::{AddrSet, non_internet, traffic_keys};

/// One rule, resolved.
#[derive(Debug, Clone)]
pub struct RuleInfo<'s> {
    pub rule: &'s Rule,
    pub group: &'s SecurityGroup,
    /// The rule's traffic as one key interval.
    pub keys: (u32, u32),
    /// Every address the peer matches now.
    pub addrs: AddrSet,
}

impl RuleInfo<'_> {
    pub fn rule_match(&self) -> RuleMatch {
        RuleMatch {
            group_id: self.group.id.clone(),
            rule_id: self.rule.id.clone(),
        }
    }
}

/// A set of interfaces carrying exactly the same groups.
#[derive(Debug, Clone)]
pub struct InterfaceClass<'s> {
    /// Groups present in the snapshot, sorted, deduplicated.
    pub groups: Vec<&'s GroupId>,
    pub enis: Vec<&'s Eni>,
}

/// A snapshot resolved for analysis. Build once, query many times.
#[derive(Debug)]
pub struct Index<'s> {
    pub snapshot: &'s Snapshot,
    pub rules: Vec<RuleInfo<'s>>,
    /// Per group: indices into `rules`, ingress then egress.
    group_rules: HashMap<&'s GroupId, (Vec<usize>, Vec<usize>)>,
    members: HashMap<&'s GroupId, Vec<&'s Eni>>,
    pub classes: Vec<InterfaceClass<'s>>,
    class_of: HashMap<&'s EniId, usize>,
    /// Groups named by some rule's group reference.
    pub referenced: BTreeSet<&'s GroupId>,
    /// Public addresses outside every VPC.
    pub internet: AddrSet,
    /// Per interface: the path from the internet, IPv4 then IPv6.
    paths: HashMap<&'s EniId, [PathState; 2]>,
}

impl<'s> Index<'s> {
    pub fn new(snapshot: &'s Snapshot) -> Self {
        let mut members: HashMap<&GroupId, Vec<&Eni>> = HashMap::new();
        for eni in snapshot.enis.values() {
            for g in &eni.groups {
                members.entry(g).or_default().push(eni);
            }
        }
        for list in members.values_mut() {
            list.dedup_by(|a, b| a.id == b.id);
        }
        let active: BTreeMap<(&VpcId, &VpcId), Vec<&PeeringId>> = {
            let mut m: BTreeMap<(&VpcId, &VpcId), Vec<&PeeringId>> = BTreeMap::new();
            for p in snapshot.peerings.values() {
                if p.joins(&p.requester_vpc, &p.accepter_vpc) {
                    m.entry((&p.requester_vpc, &p.accepter_vpc))
                        .or_default()
                        .push(&p.id);
                    m.entry((&p.accepter_vpc, &p.requester_vpc))
                        .or_default()
                        .push(&p.id);
                }
            }
            m
        };
        let mut ref_cache: HashMap<(&VpcId, &GroupRef), AddrSet> = HashMap::new();
        let mut rules = Vec::new();
        let mut group_rules = HashMap::new();
        let mut referenced = BTreeSet::new();
        for group in snapshot.groups.values() {
            let (mut ingress, mut egress) = (Vec::new(), Vec::new());
            for rule in group.rules() {
                let addrs = match rule.peer() {
                    Peer::Ipv4(n) => AddrSet::from_net((*n).into()),
                    Peer::Ipv6(n) => AddrSet::from_net((*n).into()),
                    Peer::PrefixList(id) => snapshot
                        .prefix_lists
                        .get(id)
                        .map(|pl| AddrSet::from_nets(pl.entries.iter().map(|e| e.cidr)))
                        .unwrap_or_default(),
                    Peer::Group(gref) => {
                        referenced.insert(&gref.group_id);
                        ref_cache
                            .entry((&group.vpc_id, gref))
                            .or_insert_with(|| resolve_ref(&members, &active, &group.vpc_id, gref))
                            .clone()
                    }
                };
                match rule.direction() {
                    Direction::Ingress => ingress.push(rules.len()),
                    Direction::Egress => egress.push(rules.len()),
                }
                rules.push(RuleInfo {
                    rule,
                    group,
                    keys: traffic_keys(rule.traffic()),
                    addrs,
                });
            }
            group_rules.insert(&group.id, (ingress, egress));
        }
        let mut by_set: BTreeMap<Vec<&GroupId>, Vec<&Eni>> = BTreeMap::new();
        for eni in snapshot.enis.values() {
            let mut set: Vec<&GroupId> = eni
                .groups
                .iter()
                .filter(|g| snapshot.groups.contains_key(*g))
                .collect();
            set.sort();
            set.dedup();
            by_set.entry(set).or_default().push(eni);
        }
        let mut classes = Vec::new();
        let mut class_of = HashMap::new();
        for (groups, enis) in by_set {
            for eni in &enis {
                class_of.insert(&eni.id, classes.len());
            }
            classes.push(InterfaceClass { groups, enis });
        }
        let vpc_space = AddrSet::from_nets(snapshot.vpcs.values().flat_map(|v| {
            v.cidrs_v4
                .iter()
                .map(|n| (*n).into())
                .chain(v.cidrs_v6.iter().map(|n| (*n).into()))
        }));
        let internet = AddrSet::everything().difference(&non_internet().union(&vpc_space));
        let paths = crate::path::compute(snapshot, &internet);
        Self {
            snapshot,
            rules,
            group_rules,
            members,
            classes,
            class_of,
            referenced,
            internet,
            paths,
        }
    }

    /// The path from the internet to an interface in one family (`None` for an interface
    /// not in the snapshot).
    pub fn path(&self, eni: &EniId, family: AddressFamily) -> Option<&PathState> {
        let [v4, v6] = self.paths.get(eni)?;
        Some(match family {
            AddressFamily::Ipv4 => v4,
            AddressFamily::Ipv6 => v6,
        })
    }

    /// Rule indices of a group in one direction (empty for an unknown group).
    pub fn group_rules(&self, group: &GroupId, direction: Direction) -> &[usize] {
        match (self.group_rules.get(group), direction) {
            (Some((i, _)), Direction::Ingress) => i,
            (Some((_, e)), Direction::Egress) => e,
            (None, _) => &[],
        }
    }

    /// Rule indices of every group on an interface class, in one direction.
    pub fn class_rules(&self, class: &InterfaceClass<'_>, direction: Direction) -> Vec<usize> {
        class
            .groups
            .iter()
            .flat_map(|g| self.group_rules(g, direction).iter().copied())
            .collect()
    }

    /// Rule indices of every group on an interface, in one direction.
    pub fn interface_rules(&self, eni: &EniId, direction: Direction) -> Vec<usize> {
        match self.class_of.get(eni) {
            Some(&c) => self.class_rules(&self.classes[c], direction),
            None => Vec::new(),
        }
    }

    pub fn class_index(&self, eni: &EniId) -> Option<usize> {
        self.class_of.get(eni).copied()
    }

    /// The interfaces carrying a group.
    pub fn members(&self, group: &GroupId) -> &[&'s Eni] {
        self.members.get(group).map_or(&[], Vec::as_slice)
    }

    /// The private addresses of a group's members.
    pub fn member_addrs(&self, group: &GroupId) -> AddrSet {
        AddrSet::from_addrs(self.members(group).iter().flat_map(|e| e.private_addrs()))
    }
}

/// True when the interface has an address of the family (public IPv4 included).
pub fn has_family(eni: &Eni, family: AddressFamily) -> bool {
    match family {
        AddressFamily::Ipv4 => !eni.private_ipv4.is_empty() || eni.public_ipv4.is_some(),
        AddressFamily::Ipv6 => !eni.ipv6.is_empty(),
    }
}

fn resolve_ref(
    members: &HashMap<&GroupId, Vec<&Eni>>,
    active: &BTreeMap<(&VpcId, &VpcId), Vec<&PeeringId>>,
    from_vpc: &VpcId,
    gref: &GroupRef,
) -> AddrSet {
    let Some(list) = members.get(&gref.group_id) else {
        return AddrSet::empty();
    };
    let reachable = |vpc: &VpcId| {
        if vpc == from_vpc {
            return true;
        }
        active
            .get(&(from_vpc, vpc))
            .is_some_and(|ids| match &gref.peering_id {
                Some(want) => ids.contains(&want),
                None => true,
            })
    };
    AddrSet::from_addrs(
        list.iter()
            .filter(|e| reachable(&e.vpc_id))
            .flat_map(|e| e.private_addrs()),
    )
}
