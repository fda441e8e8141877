//! A rendered ruleset: the nft text the host loads, plus what the applier needs to move from
//! one ruleset to the next (member sets for element-only updates, address owners for
//! conntrack clean-up).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::IpAddr;

use palisade_model::EniId;

/// The one table Palisade owns on a host (`table inet palisade`); nothing else is touched.
pub const TABLE: &str = "palisade";

/// One complete ruleset for one host (see [`crate::render()`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ruleset {
    pub(crate) text: String,
    /// The text without the elements of group member sets: two rulesets with the same
    /// skeleton differ only in memberships.
    pub(crate) skeleton: String,
    pub(crate) member_sets: BTreeMap<String, BTreeSet<IpAddr>>,
    /// Every address of every local interface, and the interface it belongs to.
    pub(crate) owners: BTreeMap<IpAddr, EniId>,
    pub(crate) warnings: Vec<String>,
    pub(crate) n_rules: usize,
    pub(crate) n_interfaces: usize,
}

/// Set element changes that turn one ruleset's member sets into another's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MembershipDelta {
    pub add: BTreeMap<String, Vec<IpAddr>>,
    pub delete: BTreeMap<String, Vec<IpAddr>>,
}

impl Ruleset {
    /// What `nft -f -` loads: one transaction that replaces the whole table.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Things the render had to decide on its own (an interface missing from the snapshot,
    /// a group that does not exist, …), for the operator's log.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Security-group rules compiled (each rule once per group, however many interfaces).
    pub fn n_rules(&self) -> usize {
        self.n_rules
    }

    /// Local interfaces the ruleset polices.
    pub fn n_interfaces(&self) -> usize {
        self.n_interfaces
    }

    /// Every local address and the interface that owns it.
    pub fn owners(&self) -> &BTreeMap<IpAddr, EniId> {
        &self.owners
    }

    /// The elements of each group member set, by set name.
    pub fn member_sets(&self) -> &BTreeMap<String, BTreeSet<IpAddr>> {
        &self.member_sets
    }

    /// `Some` when `newer` differs from `self` only in group memberships, so that set element
    /// updates alone (no rule is touched) reach it.
    pub fn membership_delta(&self, newer: &Self) -> Option<MembershipDelta> {
        if self.skeleton != newer.skeleton {
            return None;
        }
        let mut delta = MembershipDelta::default();
        for (name, new_elems) in &newer.member_sets {
            let old_elems = self.member_sets.get(name)?;
            let add: Vec<IpAddr> = new_elems.difference(old_elems).copied().collect();
            let delete: Vec<IpAddr> = old_elems.difference(new_elems).copied().collect();
            if !add.is_empty() {
                delta.add.insert(name.clone(), add);
            }
            if !delete.is_empty() {
                delta.delete.insert(name.clone(), delete);
            }
        }
        Some(delta)
    }

    /// Addresses that belonged to a local interface here and, in `newer`, belong to another
    /// interface or to none: their conntrack entries must go, so that a new owner never
    /// inherits old flows.
    pub fn moved_addresses(&self, newer: &Self) -> Vec<IpAddr> {
        self.owners
            .iter()
            .filter(|(addr, eni)| newer.owners.get(addr) != Some(eni))
            .map(|(addr, _)| *addr)
            .collect()
    }
}

impl MembershipDelta {
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.delete.is_empty()
    }

    /// The nft commands, for one `nft -f -` transaction (deletions first).
    pub fn to_nft(&self) -> String {
        let mut out = String::new();
        for (verb, sets) in [("delete", &self.delete), ("add", &self.add)] {
            for (name, elems) in sets {
                let elems: Vec<String> = elems.iter().map(IpAddr::to_string).collect();
                let _ = writeln!(
                    out,
                    "{verb} element inet {TABLE} {name} {{ {} }}",
                    elems.join(", ")
                );
            }
        }
        out
    }
}
