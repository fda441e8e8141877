//! The exposure checks (over the effective allowed set of each interface class, attributed
//! to a single group when that group alone suffices) and the hygiene checks (default group,
//! unused groups, rule counts, broad and non-canonical CIDRs, stale references).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ipnet::IpNet;
use palisade_engine::RuleMatch;
use palisade_model::{AddressFamily, Direction, GroupId, Peer};

use super::{AuditConfig, CheckId, Finding, Resource, is_data_store};
use crate::exposure::{ExposedRun, internet_parts, runs};
use crate::index::{Index, InterfaceClass, has_family};
use crate::ports::{ADMIN_PORTS, HIGH_RISK_PORTS, KnownPort, key, label};
use crate::space::{AddrSet, KEY_MAX, TrafficSet};

/// A condition that holds on a set of runs: which check, what (text), which keys.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Condition {
    check: CheckId,
    what: String,
    keys: (u32, u32),
}

type CondFn = fn(&TrafficSet) -> Vec<Condition>;

fn world_open(runs: &[ExposedRun]) -> TrafficSet {
    TrafficSet::from_ranges(runs.iter().filter(|r| r.world_open).map(|r| r.keys))
}

fn ingress_conditions(open: &TrafficSet) -> Vec<Condition> {
    let mut out = Vec::new();
    let tcp = (6 << 16, 6 << 16 | 0xFFFF);
    let udp = (17 << 16, 17 << 16 | 0xFFFF);
    if open.covers_range(0, KEY_MAX) {
        out.push(Condition {
            check: CheckId::AllTrafficOpenToInternet,
            what: "all traffic".into(),
            keys: (0, KEY_MAX),
        });
    } else {
        for (name, keys) in [("all TCP ports", tcp), ("all UDP ports", udp)] {
            if open.covers_range(keys.0, keys.1) {
                out.push(Condition {
                    check: CheckId::AllTrafficOpenToInternet,
                    what: name.into(),
                    keys,
                });
            }
        }
    }
    let mut ports = |list: &[KnownPort], check| {
        for p in list {
            if open.contains(key(p)) {
                out.push(Condition {
                    check,
                    what: label(p),
                    keys: (key(p), key(p)),
                });
            }
        }
    };
    ports(ADMIN_PORTS, CheckId::AdminPortOpenToInternet);
    ports(HIGH_RISK_PORTS, CheckId::HighRiskPortOpenToInternet);
    out
}

fn egress_conditions(open: &TrafficSet) -> Vec<Condition> {
    if open.covers_range(0, KEY_MAX) {
        return vec![Condition {
            check: CheckId::DataStoreEgressOpen,
            what: "all traffic".into(),
            keys: (0, KEY_MAX),
        }];
    }
    Vec::new()
}

#[derive(Default)]
struct Acc {
    whats: BTreeSet<String>,
    families: BTreeSet<AddressFamily>,
    rules: BTreeSet<RuleMatch>,
    /// For interface findings: the groups that add up.
    groups: BTreeSet<GroupId>,
}

fn family_name(f: AddressFamily) -> &'static str {
    match f {
        AddressFamily::Ipv4 => "IPv4",
        AddressFamily::Ipv6 => "IPv6",
    }
}

fn rules_of(runs: &[ExposedRun], keys: (u32, u32)) -> impl Iterator<Item = RuleMatch> + '_ {
    runs.iter()
        .filter(move |r| r.world_open && r.keys.0 <= keys.1 && keys.0 <= r.keys.1)
        .flat_map(|r| r.rules.iter().cloned())
}

/// One group's runs alone and the conditions they meet.
type GroupRuns = (Vec<ExposedRun>, Vec<Condition>);

struct Scope<'a> {
    direction: Direction,
    class_filter: &'a dyn Fn(&InterfaceClass<'_>) -> bool,
    group_filter: &'a dyn Fn(&GroupId) -> bool,
    conditions: CondFn,
}

fn attribute(
    index: &Index<'_>,
    inet: &[AddrSet],
    scope: &Scope<'_>,
    acc: &mut BTreeMap<(CheckId, Resource), Acc>,
) {
    let mut per_group: HashMap<(&GroupId, AddressFamily), GroupRuns> = HashMap::new();
    for class in index.classes.iter().filter(|c| (scope.class_filter)(c)) {
        let rules = index.class_rules(class, scope.direction);
        for family in [AddressFamily::Ipv4, AddressFamily::Ipv6] {
            if !class.enis.iter().any(|e| has_family(e, family)) {
                continue;
            }
            let class_runs = runs(index, inet, &rules, family);
            let conds = (scope.conditions)(&world_open(&class_runs));
            for cond in conds {
                let mut alone = Vec::new();
                for &g in class.groups.iter().filter(|g| (scope.group_filter)(g)) {
                    let (g_runs, g_conds) = per_group.entry((g, family)).or_insert_with(|| {
                        let r = runs(index, inet, index.group_rules(g, scope.direction), family);
                        let c = (scope.conditions)(&world_open(&r));
                        (r, c)
                    });
                    if g_conds.contains(&cond) {
                        alone.push((g, rules_of(g_runs, cond.keys).collect::<Vec<_>>()));
                    }
                }
                if alone.is_empty() {
                    for eni in class.enis.iter().filter(|e| has_family(e, family)) {
                        let a = acc
                            .entry((cond.check, Resource::Interface(eni.id.clone())))
                            .or_default();
                        a.whats.insert(cond.what.clone());
                        a.families.insert(family);
                        a.rules.extend(rules_of(&class_runs, cond.keys));
                        a.groups.extend(class.groups.iter().map(|g| (*g).clone()));
                    }
                }
                for (g, rule_matches) in alone {
                    let a = acc
                        .entry((cond.check, Resource::Group(g.clone())))
                        .or_default();
                    a.whats.insert(cond.what.clone());
                    a.families.insert(family);
                    a.rules.extend(rule_matches);
                }
            }
        }
    }
}

/// Internet exposure (ingress) and data-store egress checks.
pub(super) fn exposure_checks(index: &Index<'_>, config: &AuditConfig, out: &mut Vec<Finding>) {
    let inet = internet_parts(index);
    let mut acc = BTreeMap::new();
    let ingress_wanted = [
        CheckId::AdminPortOpenToInternet,
        CheckId::HighRiskPortOpenToInternet,
        CheckId::AllTrafficOpenToInternet,
    ]
    .iter()
    .any(|c| config.enabled(*c));
    if ingress_wanted {
        let scope = Scope {
            direction: Direction::Ingress,
            class_filter: &|_| true,
            group_filter: &|_| true,
            conditions: ingress_conditions,
        };
        attribute(index, &inet, &scope, &mut acc);
    }
    if config.enabled(CheckId::DataStoreEgressOpen) {
        let marked: BTreeSet<&GroupId> = index
            .snapshot
            .groups
            .values()
            .filter(|g| is_data_store(config, g))
            .map(|g| &g.id)
            .collect();
        if !marked.is_empty() {
            let scope = Scope {
                direction: Direction::Egress,
                class_filter: &|c| c.groups.iter().any(|g| marked.contains(g)),
                group_filter: &|g| marked.contains(g),
                conditions: egress_conditions,
            };
            attribute(index, &inet, &scope, &mut acc);
        }
    }
    for ((check, resource), a) in acc {
        let fams: Vec<&str> = a.families.iter().map(|f| family_name(*f)).collect();
        let whats: Vec<&str> = a.whats.iter().map(String::as_str).collect();
        let (whats, fams) = (whats.join(", "), fams.join(" and "));
        let message = match (&resource, check) {
            (Resource::Group(g), CheckId::DataStoreEgressOpen) => format!(
                "data-store group {g} may send all traffic to the whole {fams} internet ({} interface(s))",
                index.members(g).len()
            ),
            (Resource::Group(g), _) => format!(
                "{g} opens {whats} to the whole {fams} internet, attached to {} interface(s)",
                index.members(g).len()
            ),
            (Resource::Interface(e), CheckId::DataStoreEgressOpen) => format!(
                "data-store interface {e} may send all traffic to the whole {fams} internet through its groups together ({})",
                join(&a.groups)
            ),
            (Resource::Interface(e), _) => format!(
                "{e} is open to the whole {fams} internet on {whats} through its groups together ({})",
                join(&a.groups)
            ),
        };
        out.push(Finding {
            check,
            severity: check.severity(),
            resource,
            message,
            rules: a.rules.into_iter().collect(),
        });
    }
}

fn join(groups: &BTreeSet<GroupId>) -> String {
    groups
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Default group, unused groups, rule counts, broad and non-canonical CIDRs, stale references.
pub(super) fn hygiene_checks(index: &Index<'_>, config: &AuditConfig, out: &mut Vec<Finding>) {
    let snap = index.snapshot;
    let mut referenced_by_others: BTreeSet<&GroupId> = BTreeSet::new();
    for g in snap.groups.values() {
        for r in g.rules() {
            if let Peer::Group(gref) = r.peer()
                && gref.group_id != g.id
            {
                referenced_by_others.insert(&gref.group_id);
            }
        }
    }
    for g in snap.groups.values() {
        let group_match = |r: &palisade_model::Rule| RuleMatch {
            group_id: g.id.clone(),
            rule_id: r.id.clone(),
        };
        if g.is_default() && !g.rules().is_empty() {
            out.push(Finding {
                check: CheckId::DefaultGroupHasRules,
                severity: CheckId::DefaultGroupHasRules.severity(),
                resource: Resource::Group(g.id.clone()),
                message: format!(
                    "default group {g_id} of {vpc} has {n} rule(s); it should allow nothing",
                    g_id = g.id,
                    vpc = g.vpc_id,
                    n = g.rules().len()
                ),
                rules: g.rules().iter().map(group_match).collect(),
            });
        }
        if !g.is_default()
            && index.members(&g.id).is_empty()
            && !referenced_by_others.contains(&g.id)
        {
            out.push(Finding {
                check: CheckId::UnusedGroup,
                severity: CheckId::UnusedGroup.severity(),
                resource: Resource::Group(g.id.clone()),
                message: format!(
                    "{} ({}) is attached to no interface and referenced by no other group",
                    g.id, g.name
                ),
                rules: Vec::new(),
            });
        }
        for r in g.rules() {
            if r.direction() == Direction::Ingress
                && let Some((net, wide)) = broad(r.peer())
                && AddrSet::from_net(net).intersects(&index.internet)
                && wide
            {
                out.push(Finding {
                    check: CheckId::BroadCidr,
                    severity: CheckId::BroadCidr.severity(),
                    resource: Resource::Group(g.id.clone()),
                    message: format!(
                        "{} allows {} from {net}, a broad public range",
                        g.id,
                        r.traffic()
                    ),
                    rules: vec![group_match(r)],
                });
            }
            if let Some(why) = stale(index, g, r.peer()) {
                out.push(Finding {
                    check: CheckId::StaleReference,
                    severity: CheckId::StaleReference.severity(),
                    resource: Resource::Group(g.id.clone()),
                    message: format!("{} rule {} ({}): {why}", g.id, r.id, r.spec),
                    rules: vec![group_match(r)],
                });
            }
        }
    }
    for raw in &config.raw_cidrs {
        let Ok(net) = raw.text.trim().parse::<IpNet>() else {
            continue;
        };
        if net.trunc() != net {
            let rules = raw
                .rule_id
                .iter()
                .map(|id| RuleMatch {
                    group_id: raw.group_id.clone(),
                    rule_id: id.clone(),
                })
                .collect();
            out.push(Finding {
                check: CheckId::NonCanonicalCidr,
                severity: CheckId::NonCanonicalCidr.severity(),
                resource: Resource::Group(raw.group_id.clone()),
                message: format!(
                    "{} {} rule written as {} is stored by EC2 as {}: the whole /{} is allowed, not one host",
                    raw.group_id,
                    raw.direction,
                    raw.text.trim(),
                    net.trunc(),
                    net.prefix_len()
                ),
                rules,
            });
        }
    }
    if config.enabled(CheckId::InterfaceTooManyRules) {
        too_many_rules(index, config.max_rules_per_interface, out);
    }
}

/// The CIDR of a peer and whether it is broad: IPv4 /1–/23, IPv6 /1–/47 (`/0` is left to the
/// exposure checks).
fn broad(peer: &Peer) -> Option<(IpNet, bool)> {
    match peer {
        Peer::Ipv4(n) => Some(((*n).into(), (1..=23).contains(&n.prefix_len()))),
        Peer::Ipv6(n) => Some(((*n).into(), (1..=47).contains(&n.prefix_len()))),
        _ => None,
    }
}

fn stale(index: &Index<'_>, g: &palisade_model::SecurityGroup, peer: &Peer) -> Option<String> {
    let snap = index.snapshot;
    match peer {
        Peer::PrefixList(pl) if !snap.prefix_lists.contains_key(pl) => {
            Some(format!("prefix list {pl} does not exist"))
        }
        Peer::Group(gref) => {
            if let Some(pid) = &gref.peering_id {
                match snap.peerings.get(pid) {
                    None => return Some(format!("peering {pid} does not exist")),
                    Some(p) if !p.joins(&p.requester_vpc, &p.accepter_vpc) => {
                        return Some(format!("peering {pid} is {}", p.status.aws_name()));
                    }
                    Some(_) => {}
                }
            }
            let foreign = gref.owner.as_ref().is_some_and(|o| o != &g.owner);
            match snap.groups.get(&gref.group_id) {
                None if foreign => None,
                None => Some(format!("group {} does not exist (deleted?)", gref.group_id)),
                Some(target)
                    if target.vpc_id != g.vpc_id
                        && !snap.peered(&g.vpc_id, &target.vpc_id, gref.peering_id.as_ref()) =>
                {
                    Some(format!(
                        "group {} is in {} with no active peering to {}",
                        target.id, target.vpc_id, g.vpc_id
                    ))
                }
                Some(_) => None,
            }
        }
        _ => None,
    }
}

fn too_many_rules(index: &Index<'_>, max: u32, out: &mut Vec<Finding>) {
    let weight = |r: usize| -> u64 {
        match index.rules[r].rule.peer() {
            Peer::PrefixList(pl) => index
                .snapshot
                .prefix_lists
                .get(pl)
                .map_or(1, |p| u64::from(p.max_entries)),
            _ => 1,
        }
    };
    for class in &index.classes {
        for direction in [Direction::Ingress, Direction::Egress] {
            let total: u64 = index
                .class_rules(class, direction)
                .into_iter()
                .map(weight)
                .sum();
            if total <= u64::from(max) {
                continue;
            }
            for eni in &class.enis {
                out.push(Finding {
                    check: CheckId::InterfaceTooManyRules,
                    severity: CheckId::InterfaceTooManyRules.severity(),
                    resource: Resource::Interface(eni.id.clone()),
                    message: format!(
                        "{} carries {total} {direction} rules across {} group(s) (maximum {max})",
                        eni.id,
                        class.groups.len()
                    ),
                    rules: Vec::new(),
                });
            }
        }
    }
}
