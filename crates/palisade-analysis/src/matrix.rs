//! The all-pairs group-to-group matrix: for groups A and B, the traffic that A's egress
//! rules admit towards some member address of B and that B's ingress rules admit from some
//! member address of A, per family.
//!
//! This is a group-level view (each group's own rules; the other groups on the same
//! interfaces are not added): an over-approximation of "some member of A can reach some
//! member of B" when a side matches different member addresses, and exact when every member
//! address is matched alike. Use [`crate::reach()`] for exact interface-level answers.

use palisade_model::{Direction, GroupId};

use crate::index::Index;
use crate::ranges::IntervalSet;
use crate::space::{AddrSet, TrafficSet};

/// Rows are sources, columns destinations, in `groups` order. Stored sparsely: per source,
/// the destinations with some traffic, sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMatrix {
    pub groups: Vec<GroupId>,
    rows: Vec<Vec<(usize, TrafficSet)>>,
    empty: TrafficSet,
}

impl GroupMatrix {
    /// The traffic from group `src` to group `dst` (indices into `groups`).
    pub fn cell(&self, src: usize, dst: usize) -> &TrafficSet {
        let row = &self.rows[src];
        match row.binary_search_by_key(&dst, |(d, _)| *d) {
            Ok(i) => &row[i].1,
            Err(_) => &self.empty,
        }
    }

    /// Every (source, destination, traffic) with some traffic, by source then destination.
    pub fn iter(&self) -> impl Iterator<Item = (usize, usize, &TrafficSet)> {
        self.rows
            .iter()
            .enumerate()
            .flat_map(|(a, row)| row.iter().map(move |(b, t)| (a, *b, t)))
    }

    /// Number of (source, destination) pairs with some traffic.
    pub fn n_reachable(&self) -> usize {
        self.rows.iter().map(Vec::len).sum()
    }
}

/// Computes the matrix over every group of the snapshot.
pub fn group_matrix(index: &Index<'_>) -> GroupMatrix {
    let groups: Vec<GroupId> = index.snapshot.groups.keys().cloned().collect();
    let members: Vec<AddrSet> = groups.iter().map(|g| index.member_addrs(g)).collect();
    let n = groups.len();
    let egress: Vec<&[usize]> = groups
        .iter()
        .map(|g| index.group_rules(g, Direction::Egress))
        .collect();
    let ingress: Vec<&[usize]> = groups
        .iter()
        .map(|g| index.group_rules(g, Direction::Ingress))
        .collect();
    let mut rows: Vec<Vec<(usize, TrafficSet)>> = vec![Vec::new(); n];
    let mut e_keys: Vec<(u32, u32)> = Vec::new();
    let mut i_keys: Vec<(u32, u32)> = Vec::new();
    for a in 0..n {
        if members[a].is_empty() || egress[a].is_empty() {
            continue;
        }
        for b in 0..n {
            if members[b].is_empty() || ingress[b].is_empty() {
                continue;
            }
            let mut cell = TrafficSet::empty();
            for v6 in [false, true] {
                e_keys.clear();
                i_keys.clear();
                for &r in egress[a] {
                    let ri = &index.rules[r];
                    if hits(&ri.addrs, &members[b], v6) {
                        e_keys.push(ri.keys);
                    }
                }
                if e_keys.is_empty() {
                    continue;
                }
                for &r in ingress[b] {
                    let ri = &index.rules[r];
                    if hits(&ri.addrs, &members[a], v6) {
                        i_keys.push(ri.keys);
                    }
                }
                if i_keys.is_empty() {
                    continue;
                }
                let e = IntervalSet::from_ranges(e_keys.iter().copied());
                let i = IntervalSet::from_ranges(i_keys.iter().copied());
                cell.union_in_place(&e.intersect(&i));
            }
            if !cell.is_empty() {
                rows[a].push((b, cell));
            }
        }
    }
    GroupMatrix {
        groups,
        rows,
        empty: TrafficSet::empty(),
    }
}

fn hits(rule: &AddrSet, members: &AddrSet, v6: bool) -> bool {
    if v6 {
        rule.v6.intersects(&members.v6)
    } else {
        rule.v4.intersects(&members.v4)
    }
}
