//! One host's view of a scope's state: only what enforcing its interfaces needs, and what
//! that view depends on, so a change can be matched to the hosts it affects without
//! rebuilding every host's view.
//!
//! A host's view holds its interfaces, their groups, the groups those groups' rules
//! reference (with the interfaces that are members of them, trimmed to the referenced
//! groups, so their addresses resolve and nothing else about them leaks), the prefix lists
//! the included groups use, the VPCs and subnets of what is included, and the scope's
//! peerings (a group reference across a peering matches members only while the peering is
//! active). Pure: no I/O, no clock.

use std::collections::BTreeSet;

use crate::{EniId, GroupId, Peer, PrefixListId, Snapshot, SubnetId, VpcId};

/// What a host's view is built from: a change to one of these may change the view.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dep {
    /// An interface of the host (present or not yet created).
    Eni(EniId),
    /// A group in the view: its rules, and its set of members.
    Group(GroupId),
    PrefixList(PrefixListId),
    Vpc(VpcId),
    Subnet(SubnetId),
    /// Any peering of the scope.
    Peerings,
}

/// A host's view and what it depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostView {
    pub snapshot: Snapshot,
    pub deps: BTreeSet<Dep>,
}

/// The view of the host whose interfaces are `interfaces` (unknown ones are skipped, and
/// recorded as dependencies so their creation reaches the host).
pub fn host_view(snap: &Snapshot, interfaces: &[EniId]) -> HostView {
    let mut view = Snapshot::default();
    let mut deps = BTreeSet::from([Dep::Peerings]);
    let mut own_groups = BTreeSet::new();
    for id in interfaces {
        deps.insert(Dep::Eni(id.clone()));
        let Some(eni) = snap.enis.get(id) else {
            continue;
        };
        own_groups.extend(eni.groups.iter().cloned());
        view.enis.insert(id.clone(), eni.clone());
    }
    // Groups the own groups' rules reference: their members' addresses are rendered.
    let mut referenced = BTreeSet::new();
    for gid in &own_groups {
        let Some(group) = snap.groups.get(gid) else {
            continue;
        };
        for rule in group.rules() {
            if let Peer::Group(gref) = rule.peer() {
                referenced.insert(gref.group_id.clone());
            }
        }
    }
    let included: BTreeSet<&GroupId> = own_groups.iter().chain(&referenced).collect();
    for gid in &included {
        deps.insert(Dep::Group((*gid).clone()));
        let Some(group) = snap.groups.get(*gid) else {
            continue;
        };
        for rule in group.rules() {
            if let Peer::PrefixList(pl) = rule.peer() {
                deps.insert(Dep::PrefixList(pl.clone()));
                if let Some(list) = snap.prefix_lists.get(pl) {
                    view.prefix_lists.insert(pl.clone(), list.clone());
                }
            }
        }
        view.groups.insert((*gid).clone(), group.clone());
    }
    // Members of referenced groups, with only the groups of the view (an interface of the
    // host keeps all of its own).
    // (Skipped outright without references: the scan is over every interface of the scope.)
    let members = snap.enis.values().filter(|_| !referenced.is_empty());
    for eni in members {
        if view.enis.contains_key(&eni.id) || !eni.groups.iter().any(|g| referenced.contains(g)) {
            continue;
        }
        let mut member = eni.clone();
        member
            .groups
            .retain(|g| included.contains(g) && view.groups.contains_key(g));
        view.enis.insert(member.id.clone(), member);
    }
    let mut vpcs: BTreeSet<VpcId> = BTreeSet::new();
    for eni in view.enis.values() {
        vpcs.insert(eni.vpc_id.clone());
        if let Some(subnet) = &eni.subnet_id {
            deps.insert(Dep::Subnet(subnet.clone()));
            if let Some(s) = snap.subnets.get(subnet) {
                view.subnets.insert(subnet.clone(), s.clone());
            }
        }
    }
    vpcs.extend(view.groups.values().map(|g| g.vpc_id.clone()));
    vpcs.extend(view.subnets.values().map(|s| s.vpc_id.clone()));
    view.peerings = snap.peerings.clone();
    for vpc in vpcs {
        if let Some(v) = snap.vpcs.get(&vpc) {
            view.vpcs.insert(vpc.clone(), v.clone());
        }
        deps.insert(Dep::Vpc(vpc));
    }
    HostView {
        snapshot: view,
        deps,
    }
}

/// What changed between two states of a scope, as the dependencies it touches: a host
/// whose view's dependencies meet this set may see a different view; any other host's view
/// is unchanged. An interface's change touches the interface and every group it had or has
/// (their members changed).
pub fn changed_deps(old: &Snapshot, new: &Snapshot) -> BTreeSet<Dep> {
    let mut res = BTreeSet::new();
    for (id, old_eni, new_eni) in differing(&old.enis, &new.enis) {
        res.insert(Dep::Eni(id.clone()));
        for eni in old_eni.into_iter().chain(new_eni) {
            res.extend(eni.groups.iter().cloned().map(Dep::Group));
        }
    }
    res.extend(differing(&old.groups, &new.groups).map(|(id, _, _)| Dep::Group(id.clone())));
    res.extend(
        differing(&old.prefix_lists, &new.prefix_lists)
            .map(|(id, _, _)| Dep::PrefixList(id.clone())),
    );
    res.extend(differing(&old.vpcs, &new.vpcs).map(|(id, _, _)| Dep::Vpc(id.clone())));
    res.extend(differing(&old.subnets, &new.subnets).map(|(id, _, _)| Dep::Subnet(id.clone())));
    if old.peerings != new.peerings {
        res.insert(Dep::Peerings);
    }
    res
}

/// The keys whose values differ between two maps (added, removed or changed), with both.
fn differing<'a, K: Ord, V: PartialEq>(
    old: &'a std::collections::BTreeMap<K, V>,
    new: &'a std::collections::BTreeMap<K, V>,
) -> impl Iterator<Item = (&'a K, Option<&'a V>, Option<&'a V>)> + 'a {
    let removed_or_changed = old.iter().filter_map(move |(k, v)| match new.get(k) {
        Some(n) if n == v => None,
        n => Some((k, Some(v), n)),
    });
    let added = new
        .iter()
        .filter(move |(k, _)| !old.contains_key(*k))
        .map(|(k, v)| (k, None, Some(v)));
    removed_or_changed.chain(added)
}

#[cfg(test)]
mod tests;
