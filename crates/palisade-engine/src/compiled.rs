//! The compiled engine: a snapshot turned into per-interface-class lookup tables that answer
//! "allowed, and by which rules?" without scanning rules.
//!
//! Design (semantics are [`crate::reference`]'s; this module must agree with it exactly):
//! - **Group sets.** A decision depends only on the set of (existing) groups on the interface
//!   and their rules — never on the interface's own VPC, since group references resolve from
//!   the referencing *group's* VPC. Interfaces are deduplicated by their sorted group set;
//!   real accounts have far fewer distinct sets than interfaces (auto-scaling tiers share
//!   them), and a lookup then touches one table instead of up to five.
//! - **Tables.** Each set gets four [`table::Table`]s (ingress/egress × IPv4/IPv6), each a
//!   bit-vector classifier (Lakshman & Stiliadis, SIGCOMM'98): elementary address intervals
//!   and per-protocol port/ICMP classes map to interned bitsets of rule indices; a packet
//!   matches the rules in their intersection. The security-group shape (allow-only, no
//!   priorities, ≤ ~1000 rules per interface) keeps bitsets at a few words and makes any
//!   nonzero intersection an allow; `allows` stops at the first shared word.
//! - **Group references** are not expanded into tables: an engine-wide index maps each
//!   private address to the reference contexts it satisfies (see `refs`), so a group of
//!   5,000 interfaces costs its addresses once, and membership changes never touch tables.
//! - **Updates.** [`Engine::update`] re-derives interfaces, group sets and the reference index
//!   from the new snapshot and rebuilds only the tables of sets that contain a changed group,
//!   use a changed prefix list, or are new; every other table is moved over as is.
//! - **Costs.** Compile is linear in Σ over distinct group sets of their rules (plus sorting
//!   interval bounds), independent of the interface count; memory is that plus the interface
//!   map and one index entry per private address of a referenced group's members. A decision
//!   is an interface look-up, two binary searches over small sorted arrays, a few-word AND
//!   and — only when the traffic class admits some group-reference rule — one address look-up.
//!   Reference contexts are interned for the engine's lifetime (ids must stay stable for kept
//!   tables), so after many updates the interner holds contexts no table names any more;
//!   they cost index entries, never wrong answers.

mod fxhash;
mod refs;
mod sweep;
mod table;

use std::collections::HashMap;
use std::net::IpAddr;

use ipnet::IpNet;
use palisade_model::{Direction, EniId, GroupId, Peer, PrefixListId, Snapshot};

use self::fxhash::FxHashMap;
use self::refs::{RefIndex, RefKeys};
use self::table::{Candidate, Table};
use crate::packet::{DecideError, Decision, Packet, Payload, RuleMatch, Verdict};

/// A snapshot compiled for fast decisions. Build it with [`compile`].
#[derive(Debug, Clone)]
pub struct Engine {
    /// Interface → group-set index, keyed by [`EniId::numeric_key`] (ids are hex numbers).
    interfaces: FxHashMap<u128, u32>,
    /// Interfaces whose id does not read as `eni-` + lowercase hex (none, by `EniId`'s
    /// invariant; kept so that lookups stay exact whatever ids arrive).
    odd_interfaces: FxHashMap<EniId, u32>,
    policies: Vec<Policy>,
    ref_keys: RefKeys,
    ref_index: RefIndex,
    /// The entries of the prefix lists the tables were built from.
    prefix_lists: HashMap<PrefixListId, Vec<IpNet>>,
}

/// An interface's group set inside one engine (see [`Engine::class_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InterfaceClass(u32);

/// What [`Engine::update`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UpdateStats {
    /// Group sets whose tables were compiled anew.
    pub rebuilt: usize,
    /// Group sets whose tables were kept.
    pub reused: usize,
}

/// The tables of one group set.
#[derive(Debug, Clone)]
struct Policy {
    /// Sorted, deduplicated ids of the existing groups on the interfaces of this class.
    groups: Vec<GroupId>,
    /// Prefix lists the rules name (existing or not), sorted.
    prefix_lists: Vec<PrefixListId>,
    /// Indexed by [`dir_idx`].
    v4: [Table<u32>; 2],
    v6: [Table<u128>; 2],
}

/// Compiles a snapshot.
pub fn compile(snapshot: &Snapshot) -> Engine {
    let mut engine = Engine {
        interfaces: FxHashMap::default(),
        odd_interfaces: FxHashMap::default(),
        policies: Vec::new(),
        ref_keys: RefKeys::default(),
        ref_index: RefIndex::default(),
        prefix_lists: HashMap::new(),
    };
    engine.update(snapshot, &[]);
    engine
}

impl Engine {
    /// Decides one packet: verdict and every matching rule, sorted by (group id, rule id) —
    /// exactly what [`crate::reference::decide`] returns.
    pub fn decide(&self, pkt: &Packet) -> Result<Decision, DecideError> {
        let policy = self.policy(pkt)?;
        let d = dir_idx(pkt.direction);
        let matches = match pkt.remote {
            IpAddr::V4(a) => policy.v4[d].matches(u32::from(a), pkt.payload, &self.ref_index),
            IpAddr::V6(a) => policy.v6[d].matches(u128::from(a), pkt.payload, &self.ref_index),
        };
        let verdict = if matches.is_empty() {
            Verdict::Deny
        } else {
            Verdict::Allow
        };
        Ok(Decision { verdict, matches })
    }

    /// The verdict alone, without allocating: `decide(pkt)?.verdict == Verdict::Allow`.
    #[inline]
    pub fn allows(&self, pkt: &Packet) -> Result<bool, DecideError> {
        let policy = self.policy(pkt)?;
        let d = dir_idx(pkt.direction);
        Ok(match pkt.remote {
            IpAddr::V4(a) => policy.v4[d].allows(u32::from(a), pkt.payload, &self.ref_index),
            IpAddr::V6(a) => policy.v6[d].allows(u128::from(a), pkt.payload, &self.ref_index),
        })
    }

    /// The class of `interface` (its group set), for [`Engine::visit_class`]: callers
    /// that decide many packets of one interface resolve it once. Valid until the engine
    /// is updated.
    pub fn class_of(&self, interface: &EniId) -> Result<InterfaceClass, DecideError> {
        let idx = match EniId::numeric_key(interface.as_str()) {
            Some(key) => self.interfaces.get(&key),
            None => self.odd_interfaces.get(interface),
        };
        idx.map(|&i| InterfaceClass(i))
            .ok_or_else(|| DecideError::UnknownInterface(interface.clone()))
    }

    /// Calls `f` on every rule that admits `payload` from/to `remote` on the interfaces of
    /// `class` in `direction`, in `(group_id, rule_id)` order — the matches of
    /// [`Engine::decide`], without building a packet or allocating. Returns how many rules
    /// matched.
    pub fn visit_class(
        &self,
        class: InterfaceClass,
        direction: Direction,
        remote: IpAddr,
        payload: Payload,
        f: impl FnMut(&RuleMatch),
    ) -> usize {
        let policy = &self.policies[class.0 as usize];
        let d = dir_idx(direction);
        match remote {
            IpAddr::V4(a) => policy.v4[d].visit(u32::from(a), payload, &self.ref_index, f),
            IpAddr::V6(a) => policy.v6[d].visit(u128::from(a), payload, &self.ref_index, f),
        }
    }

    /// Brings the engine in line with `snapshot` after a change.
    ///
    /// `changed_groups` must name every group whose rules (or VPC) changed since the engine
    /// was compiled or last updated; their group sets are recompiled. Everything else is
    /// re-derived from `snapshot` and needs no hint: interfaces and their groups, membership
    /// and addresses (what group references match), peerings, prefix-list contents and
    /// groups created or deleted. The result decides exactly as `compile(snapshot)` would.
    pub fn update(&mut self, snapshot: &Snapshot, changed_groups: &[GroupId]) -> UpdateStats {
        let new_lists: HashMap<PrefixListId, Vec<IpNet>> = snapshot
            .prefix_lists
            .iter()
            .map(|(id, pl)| (id.clone(), pl.entries.iter().map(|e| e.cidr).collect()))
            .collect();
        let list_changed = |id: &PrefixListId| self.prefix_lists.get(id) != new_lists.get(id);
        let mut old: HashMap<Vec<GroupId>, Policy> = self
            .policies
            .drain(..)
            .filter(|p| {
                !p.groups.iter().any(|g| changed_groups.contains(g))
                    && !p.prefix_lists.iter().any(list_changed)
            })
            .map(|p| (p.groups.clone(), p))
            .collect();

        let mut stats = UpdateStats::default();
        let mut index: HashMap<Vec<GroupId>, u32> = HashMap::new();
        let mut interfaces = FxHashMap::default();
        let mut odd_interfaces = FxHashMap::default();
        interfaces.reserve(snapshot.enis.len());
        for eni in snapshot.enis.values() {
            let mut groups: Vec<GroupId> = eni
                .groups
                .iter()
                .filter(|g| snapshot.groups.contains_key(*g))
                .cloned()
                .collect();
            groups.sort_unstable();
            groups.dedup();
            let idx = match index.get(&groups) {
                Some(&idx) => idx,
                None => {
                    let policy = match old.remove(&groups) {
                        Some(p) => {
                            stats.reused += 1;
                            p
                        }
                        None => {
                            stats.rebuilt += 1;
                            build_policy(snapshot, groups.clone(), &mut self.ref_keys)
                        }
                    };
                    let idx = u32::try_from(self.policies.len())
                        .expect("fewer than 2^32 distinct group sets");
                    self.policies.push(policy);
                    index.insert(groups, idx);
                    idx
                }
            };
            match EniId::numeric_key(eni.id.as_str()) {
                Some(key) => interfaces.insert(key, idx),
                None => odd_interfaces.insert(eni.id.clone(), idx),
            };
        }
        self.interfaces = interfaces;
        self.odd_interfaces = odd_interfaces;
        self.ref_index = RefIndex::build(snapshot, &self.ref_keys);
        self.prefix_lists = new_lists;
        stats
    }

    /// Approximate bytes held by the compiled structure (tables, interface map, reference
    /// index), heap and inline; a measure for benchmarks, not an allocator-exact figure.
    pub fn approx_bytes(&self) -> usize {
        let interfaces = self.interfaces.capacity() * (size_of::<(u128, u32)>() + 1)
            + self.odd_interfaces.capacity() * (size_of::<(EniId, u32)>() + 1);
        let policies: usize = self
            .policies
            .iter()
            .map(|p| {
                size_of::<Policy>()
                    + p.groups
                        .iter()
                        .map(|g| size_of::<GroupId>() + g.as_str().len())
                        .sum::<usize>()
                    + p.v4.iter().map(Table::heap_bytes).sum::<usize>()
                    + p.v6.iter().map(Table::heap_bytes).sum::<usize>()
            })
            .sum();
        size_of::<Self>() + interfaces + policies + self.ref_index.heap_bytes(&self.ref_keys)
    }

    /// Distinct group sets (interface classes) compiled.
    pub fn n_group_sets(&self) -> usize {
        self.policies.len()
    }

    /// Rule slots over all tables (a rule counts once per group set and family using it).
    pub fn n_table_rules(&self) -> usize {
        self.policies
            .iter()
            .map(|p| {
                p.v4.iter().map(Table::n_rules).sum::<usize>()
                    + p.v6.iter().map(Table::n_rules).sum::<usize>()
            })
            .sum()
    }

    fn policy(&self, pkt: &Packet) -> Result<&Policy, DecideError> {
        self.policy_of(&pkt.interface)
    }

    fn policy_of(&self, interface: &EniId) -> Result<&Policy, DecideError> {
        self.class_of(interface)
            .map(|c| &self.policies[c.0 as usize])
    }
}

fn dir_idx(direction: Direction) -> usize {
    match direction {
        Direction::Ingress => 0,
        Direction::Egress => 1,
    }
}

fn build_policy(snapshot: &Snapshot, groups: Vec<GroupId>, ref_keys: &mut RefKeys) -> Policy {
    let mut ids: Vec<RuleMatch> = Vec::new();
    let mut rules = Vec::new();
    let mut prefix_lists = Vec::new();
    for gid in &groups {
        let Some(group) = snapshot.groups.get(gid) else {
            continue;
        };
        for rule in group.rules() {
            ids.push(RuleMatch {
                group_id: group.id.clone(),
                rule_id: rule.id.clone(),
            });
            rules.push((rule, &group.vpc_id));
            if let Peer::PrefixList(pl) = rule.peer() {
                prefix_lists.push(pl.clone());
            }
        }
    }
    prefix_lists.sort_unstable();
    prefix_lists.dedup();
    let candidates = |direction: Direction| -> Vec<Candidate<'_>> {
        ids.iter()
            .zip(&rules)
            .filter(|(_, (rule, _))| rule.direction() == direction)
            .map(|(id, &(rule, from_vpc))| Candidate { id, rule, from_vpc })
            .collect()
    };
    let ingress = candidates(Direction::Ingress);
    let egress = candidates(Direction::Egress);
    Policy {
        v4: [
            Table::build(&ingress, snapshot, ref_keys),
            Table::build(&egress, snapshot, ref_keys),
        ],
        v6: [
            Table::build(&ingress, snapshot, ref_keys),
            Table::build(&egress, snapshot, ref_keys),
        ],
        groups,
        prefix_lists,
    }
}
