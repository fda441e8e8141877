//! Differences between two snapshots: rule-level changes (groups, rules by identity,
//! attachments) and the reachability delta from the internet ("tcp/22 on eni-… is now
//! reachable from 0.0.0.0/0 via sg-…"), computed over each interface's effective allowed set.
//!
//! Rules are matched by identity (direction, traffic, peer), not by rule id, so re-creating
//! an identical rule is not a change.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use palisade_engine::RuleMatch;
use palisade_model::{AddressFamily, Direction, EniId, GroupId, RuleId, RuleSpec, Snapshot};

use crate::exposure::{ExposedRun, exposure_in, internet_parts};
use crate::index::Index;
use crate::matrix::{GroupMatrix, group_matrix};
use crate::ranges::sweep;
use crate::space::{AddrSet, TrafficSet, describe_keys, describe_traffic};

/// One configuration change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    GroupAdded(GroupId),
    GroupRemoved(GroupId),
    RuleAdded {
        group: GroupId,
        rule: RuleId,
        spec: RuleSpec,
    },
    RuleRemoved {
        group: GroupId,
        rule: RuleId,
        spec: RuleSpec,
    },
    InterfaceAdded(EniId),
    InterfaceRemoved(EniId),
    GroupsChanged {
        eni: EniId,
        attached: Vec<GroupId>,
        detached: Vec<GroupId>,
    },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids = |v: &[GroupId]| {
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Self::GroupAdded(g) => write!(f, "+ group {g}"),
            Self::GroupRemoved(g) => write!(f, "- group {g}"),
            Self::RuleAdded { group, rule, spec } => write!(f, "+ {group} {rule}: {spec}"),
            Self::RuleRemoved { group, rule, spec } => write!(f, "- {group} {rule}: {spec}"),
            Self::InterfaceAdded(e) => write!(f, "+ interface {e}"),
            Self::InterfaceRemoved(e) => write!(f, "- interface {e}"),
            Self::GroupsChanged {
                eni,
                attached,
                detached,
            } => {
                write!(f, "~ interface {eni}:")?;
                if !attached.is_empty() {
                    write!(f, " attached {}", ids(attached))?;
                }
                if !detached.is_empty() {
                    write!(f, " detached {}", ids(detached))?;
                }
                Ok(())
            }
        }
    }
}

/// Traffic from the internet to an interface that became (or stopped being) possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReachChange {
    pub eni: EniId,
    pub family: AddressFamily,
    pub keys: (u32, u32),
    /// True: now reachable; false: no longer reachable.
    pub gained: bool,
    /// The public addresses gained or lost.
    pub sources: AddrSet,
    /// Whether the side that admits more (the new snapshot for a gain, the old for a loss)
    /// admits the whole internet of the family.
    pub whole_internet: bool,
    /// What the other side admits for this traffic (before a gain, after a loss).
    pub other: AddrSet,
    /// For a gain, the new snapshot's rules admitting it; for a loss, the old snapshot's.
    pub via: Vec<RuleMatch>,
    /// The peers of those rules as written (e.g. `0.0.0.0/0`).
    pub peers: Vec<String>,
}

impl fmt::Display for ReachChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = describe_keys(self.keys.0, self.keys.1).join(", ");
        let state = if self.gained {
            "is now reachable"
        } else {
            "is no longer reachable"
        };
        let from = if self.whole_internet {
            let fam = match self.family {
                AddressFamily::Ipv4 => "IPv4",
                AddressFamily::Ipv6 => "IPv6",
            };
            format!("the whole {fam} internet")
        } else {
            self.sources.describe(4)
        };
        let via: BTreeSet<String> = self.via.iter().map(|m| m.group_id.to_string()).collect();
        let via: Vec<String> = via.into_iter().collect();
        write!(f, "{what} on {} {state} from {from}", self.eni)?;
        if !self.peers.is_empty() {
            write!(f, " ({})", self.peers.join(", "))?;
        }
        let word = if self.gained { "via" } else { "was via" };
        write!(f, " {word} {}", via.join(", "))?;
        match (self.other.is_empty(), self.gained) {
            (true, _) => Ok(()),
            (false, true) => write!(f, "; before only from {}", self.other.describe(4)),
            (false, false) => write!(f, "; still from {}", self.other.describe(4)),
        }
    }
}

/// Everything that changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    pub changes: Vec<Change>,
    /// From the internet, per interface.
    pub reach: Vec<ReachChange>,
    /// Between groups (members' private addresses, see [`crate::matrix`]), per ordered pair.
    pub group_reach: Vec<GroupReachChange>,
}

/// Traffic between two groups that became or stopped being allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupReachChange {
    pub src: GroupId,
    pub dst: GroupId,
    pub gained: TrafficSet,
    pub lost: TrafficSet,
}

impl fmt::Display for GroupReachChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}:", self.src, self.dst)?;
        if !self.gained.is_empty() {
            write!(f, " now allows {}", describe_traffic(&self.gained))?;
        }
        if !self.gained.is_empty() && !self.lost.is_empty() {
            f.write_str(";")?;
        }
        if !self.lost.is_empty() {
            write!(f, " no longer allows {}", describe_traffic(&self.lost))?;
        }
        Ok(())
    }
}

/// Compares two snapshots.
pub fn diff(old: &Snapshot, new: &Snapshot) -> Diff {
    Diff {
        changes: rule_changes(old, new),
        reach: reach_changes(old, new),
        group_reach: group_changes(old, new),
    }
}

fn cells(m: &GroupMatrix) -> BTreeMap<(GroupId, GroupId), TrafficSet> {
    m.iter()
        .map(|(a, b, t)| ((m.groups[a].clone(), m.groups[b].clone()), t.clone()))
        .collect()
}

fn group_changes(old: &Snapshot, new: &Snapshot) -> Vec<GroupReachChange> {
    let before = cells(&group_matrix(&Index::new(old)));
    let after = cells(&group_matrix(&Index::new(new)));
    let empty = TrafficSet::empty();
    let pairs: BTreeSet<&(GroupId, GroupId)> = before.keys().chain(after.keys()).collect();
    pairs
        .into_iter()
        .filter_map(|pair| {
            let b = before.get(pair).unwrap_or(&empty);
            let a = after.get(pair).unwrap_or(&empty);
            let (gained, lost) = (a.difference(b), b.difference(a));
            if gained.is_empty() && lost.is_empty() {
                return None;
            }
            Some(GroupReachChange {
                src: pair.0.clone(),
                dst: pair.1.clone(),
                gained,
                lost,
            })
        })
        .collect()
}

fn rule_changes(old: &Snapshot, new: &Snapshot) -> Vec<Change> {
    let mut out = Vec::new();
    for (id, g) in &old.groups {
        let Some(ng) = new.groups.get(id) else {
            out.push(Change::GroupRemoved(id.clone()));
            continue;
        };
        for r in g.rules() {
            if !ng.rules().iter().any(|n| n.spec.same_rule(&r.spec)) {
                out.push(Change::RuleRemoved {
                    group: id.clone(),
                    rule: r.id.clone(),
                    spec: r.spec.clone(),
                });
            }
        }
        for n in ng.rules() {
            if !g.rules().iter().any(|r| r.spec.same_rule(&n.spec)) {
                out.push(Change::RuleAdded {
                    group: id.clone(),
                    rule: n.id.clone(),
                    spec: n.spec.clone(),
                });
            }
        }
    }
    for (id, g) in &new.groups {
        if old.groups.contains_key(id) {
            continue;
        }
        out.push(Change::GroupAdded(id.clone()));
        for n in g.rules() {
            out.push(Change::RuleAdded {
                group: id.clone(),
                rule: n.id.clone(),
                spec: n.spec.clone(),
            });
        }
    }
    for (id, e) in &old.enis {
        let Some(ne) = new.enis.get(id) else {
            out.push(Change::InterfaceRemoved(id.clone()));
            continue;
        };
        let attached: Vec<GroupId> = ne
            .groups
            .iter()
            .filter(|g| !e.groups.contains(g))
            .cloned()
            .collect();
        let detached: Vec<GroupId> = e
            .groups
            .iter()
            .filter(|g| !ne.groups.contains(g))
            .cloned()
            .collect();
        if !attached.is_empty() || !detached.is_empty() {
            out.push(Change::GroupsChanged {
                eni: id.clone(),
                attached,
                detached,
            });
        }
    }
    for id in new.enis.keys().filter(|id| !old.enis.contains_key(*id)) {
        out.push(Change::InterfaceAdded(id.clone()));
    }
    out
}

fn by_eni(index: &Index<'_>) -> BTreeMap<EniId, Vec<ExposedRun>> {
    exposure_in(index, &internet_parts(index), Direction::Ingress)
        .into_iter()
        .map(|e| (e.eni, e.runs))
        .collect()
}

fn reach_changes(old: &Snapshot, new: &Snapshot) -> Vec<ReachChange> {
    let (old_i, new_i) = (Index::new(old), Index::new(new));
    let (old_e, new_e) = (by_eni(&old_i), by_eni(&new_i));
    let mut out = Vec::new();
    let enis: BTreeSet<&EniId> = old_e.keys().chain(new_e.keys()).collect();
    for eni in enis {
        let empty = Vec::new();
        let before = old_e.get(eni).unwrap_or(&empty);
        let after = new_e.get(eni).unwrap_or(&empty);
        for family in [AddressFamily::Ipv4, AddressFamily::Ipv6] {
            let internet = new_i.internet.family(family);
            delta(
                eni, family, before, after, &new_i, &internet, true, &mut out,
            );
            delta(
                eni,
                family,
                after,
                before,
                &old_i,
                &old_i.internet.family(family),
                false,
                &mut out,
            );
        }
    }
    out
}

/// What `after` admits that `before` does not, per key segment.
#[allow(clippy::too_many_arguments)]
fn delta(
    eni: &EniId,
    family: AddressFamily,
    before: &[ExposedRun],
    after: &[ExposedRun],
    after_index: &Index<'_>,
    internet: &AddrSet,
    gained: bool,
    out: &mut Vec<ReachChange>,
) {
    let before: Vec<&ExposedRun> = before.iter().filter(|r| r.family == family).collect();
    let after: Vec<&ExposedRun> = after.iter().filter(|r| r.family == family).collect();
    let n_after = after.len();
    let mut intervals: Vec<(u32, u32)> = after.iter().map(|r| r.keys).collect();
    intervals.extend(before.iter().map(|r| r.keys));
    let mut pending: Option<ReachChange> = None;
    for (lo, hi, covering) in sweep(&intervals) {
        let mut now = AddrSet::empty();
        let mut then = AddrSet::empty();
        let mut via = Vec::new();
        for &c in &covering {
            if c < n_after {
                now.union_in_place(&after[c].sources);
                via.extend(after[c].rules.iter().cloned());
            } else {
                then.union_in_place(&before[c - n_after].sources);
            }
        }
        let diff = now.difference(&then);
        if diff.is_empty() {
            if let Some(p) = pending.take() {
                out.push(p);
            }
            continue;
        }
        via.sort();
        via.dedup();
        if let Some(p) = pending.as_mut()
            && p.keys.1.checked_add(1) == Some(lo)
            && p.sources == diff
            && p.via == via
            && p.other == then
        {
            p.keys.1 = hi;
            continue;
        }
        if let Some(p) = pending.take() {
            out.push(p);
        }
        let peers: BTreeSet<String> = via
            .iter()
            .filter_map(|m| {
                after_index
                    .snapshot
                    .groups
                    .get(&m.group_id)?
                    .rule(&m.rule_id)
            })
            .map(|r| r.peer().to_string())
            .collect();
        pending = Some(ReachChange {
            eni: eni.clone(),
            family,
            keys: (lo, hi),
            gained,
            whole_internet: now.covers(internet),
            sources: diff,
            other: then,
            via,
            peers: peers.into_iter().collect(),
        });
    }
    if let Some(p) = pending {
        out.push(p);
    }
}
