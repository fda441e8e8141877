//! Redundant rules: a rule whose every (traffic, address) is already admitted by other rules
//! — of its own group, or, on every interface that carries its group, of the groups beside it.
//!
//! Rules are removed greedily (narrowest first) as they are found, so the flagged rules can
//! all be deleted together without changing what any interface allows (two mutually covering
//! rules are never both flagged). Group references are treated symbolically: membership
//! changes, so a reference is only covered by another reference to the same group, or by
//! addresses covering its members and its VPC's CIDRs; and a reference never covers a CIDR.

use std::collections::{BTreeSet, HashMap};

use palisade_engine::RuleMatch;
use palisade_model::{Direction, GroupId, Peer};

use super::{CheckId, Finding, Resource};
use crate::index::Index;
use crate::ranges::sweep;
use crate::space::AddrSet;

pub(super) fn redundant_rules(index: &Index<'_>, out: &mut Vec<Finding>) {
    let mut classes_of: HashMap<&GroupId, Vec<usize>> = HashMap::new();
    for (c, class) in index.classes.iter().enumerate() {
        for g in &class.groups {
            classes_of.entry(g).or_default().push(c);
        }
    }
    let needs: Vec<Option<AddrSet>> = (0..index.rules.len()).map(|r| need(index, r)).collect();
    let mut removed = vec![false; index.rules.len()];
    for group in index.snapshot.groups.values() {
        for direction in [Direction::Ingress, Direction::Egress] {
            let own = index.group_rules(&group.id, direction);
            let mut order: Vec<usize> = own.to_vec();
            order.sort_by_key(|&r| {
                let ri = &index.rules[r];
                (
                    ri.keys.1 - ri.keys.0,
                    ri.addrs.v4.count(),
                    ri.addrs.v6.count(),
                    ri.rule.id.clone(),
                )
            });
            for r in order {
                let Some(need_r) = &needs[r] else { continue };
                let others: Vec<usize> = own
                    .iter()
                    .copied()
                    .filter(|&o| o != r && !removed[o])
                    .collect();
                if let Some(by) = covered(index, r, need_r, &others) {
                    removed[r] = true;
                    out.push(finding(
                        index,
                        r,
                        format!("covered by {} of the same group", list(index, &by)),
                    ));
                    continue;
                }
                let Some(classes) = classes_of.get(&group.id) else {
                    continue;
                };
                let mut by_groups = BTreeSet::new();
                let all = classes.iter().all(|&c| {
                    let others: Vec<usize> = index
                        .class_rules(&index.classes[c], direction)
                        .into_iter()
                        .filter(|&o| o != r && !removed[o])
                        .collect();
                    match covered(index, r, need_r, &others) {
                        Some(by) => {
                            by_groups.extend(by.iter().map(|&o| index.rules[o].group.id.clone()));
                            true
                        }
                        None => false,
                    }
                });
                if all {
                    removed[r] = true;
                    let n: usize = classes.iter().map(|&c| index.classes[c].enis.len()).sum();
                    let groups: Vec<String> = by_groups.iter().map(ToString::to_string).collect();
                    out.push(finding(
                        index,
                        r,
                        format!(
                            "covered on all {n} interface(s) carrying it by rules of {}",
                            groups.join(", ")
                        ),
                    ));
                }
            }
        }
    }
}

fn finding(index: &Index<'_>, r: usize, why: String) -> Finding {
    let ri = &index.rules[r];
    Finding::new(
        CheckId::RedundantRule,
        Resource::Group(ri.group.id.clone()),
        format!(
            "{} rule {} ({}) is redundant: {why}",
            ri.group.id, ri.rule.id, ri.rule.spec
        ),
        vec![ri.rule_match()],
    )
}

fn list(index: &Index<'_>, rules: &[usize]) -> String {
    let ids: BTreeSet<String> = rules
        .iter()
        .map(|&o| index.rules[o].rule.id.to_string())
        .collect();
    ids.into_iter().collect::<Vec<_>>().join(", ")
}

/// The addresses a rule must see covered; `None` when the rule matches nothing now (a stale
/// or empty reference is not "redundant", it is reported elsewhere or harmless).
fn need(index: &Index<'_>, r: usize) -> Option<AddrSet> {
    let ri = &index.rules[r];
    if ri.addrs.is_empty() {
        return None;
    }
    match ri.rule.peer() {
        Peer::Group(gref) => {
            let vpc_space = index
                .snapshot
                .groups
                .get(&gref.group_id)
                .and_then(|g| index.snapshot.vpcs.get(&g.vpc_id))
                .map(|v| {
                    AddrSet::from_nets(
                        v.cidrs_v4
                            .iter()
                            .map(|n| (*n).into())
                            .chain(v.cidrs_v6.iter().map(|n| (*n).into())),
                    )
                })
                .unwrap_or_default();
            Some(ri.addrs.union(&vpc_space))
        }
        _ => Some(ri.addrs.clone()),
    }
}

/// `Some(covering rules)` when `others` admit every (key, address) of rule `r`.
fn covered(index: &Index<'_>, r: usize, need: &AddrSet, others: &[usize]) -> Option<Vec<usize>> {
    let ri = &index.rules[r];
    let (lo, hi) = ri.keys;
    let same_ref = |o: usize| match (ri.rule.peer(), index.rules[o].rule.peer()) {
        (Peer::Group(a), Peer::Group(b)) => a.group_id == b.group_id,
        _ => false,
    };
    // Candidates overlapping r's keys that can contribute.
    let cands: Vec<usize> = others
        .iter()
        .copied()
        .filter(|&o| {
            let oi = &index.rules[o];
            oi.keys.0 <= hi
                && lo <= oi.keys.1
                && (same_ref(o)
                    || (!matches!(oi.rule.peer(), Peer::Group(_)) && oi.addrs.intersects(need)))
        })
        .collect();
    if cands.is_empty() {
        return None;
    }
    let mut intervals = vec![ri.keys];
    intervals.extend(cands.iter().map(|&o| {
        let k = index.rules[o].keys;
        (k.0.max(lo), k.1.min(hi))
    }));
    let mut used = BTreeSet::new();
    for (_, _, covering) in sweep(&intervals) {
        if covering.first() != Some(&0) {
            continue;
        }
        let mut addrs = AddrSet::empty();
        let mut ok = false;
        for &c in &covering[1..] {
            let o = cands[c - 1];
            used.insert(o);
            if same_ref(o) {
                ok = true;
                break;
            }
            addrs.union_in_place(&index.rules[o].addrs);
        }
        if !ok && !addrs.covers(need) {
            return None;
        }
    }
    let mut by: Vec<usize> = used.into_iter().collect();
    by.sort_by_key(|&o| RuleMatch::clone(&index.rules[o].rule_match()));
    Some(by)
}
