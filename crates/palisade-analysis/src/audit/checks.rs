//! The exposure checks, over the effective allowed set of each interface class (attributed
//! to a single group when that group alone suffices) and along each interface's path from
//! the internet: real where a path exists or routing is unknown, latent where a link is
//! missing or the group is attached to nothing; and each interface a known path exposes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use palisade_engine::RuleMatch;
use palisade_model::{AddressFamily, Direction, Eni, EniId, GroupId};

use super::aliases::finding_aliases;
use super::{AuditConfig, CheckId, Finding, FindingPath, Resource, is_data_store};
use crate::exposure::{ExposedRun, internet_parts, runs};
use crate::index::{Index, InterfaceClass, has_family};
use crate::path::PathState;
use crate::ports::{ADMIN_PORTS, HIGH_RISK_PORTS, KnownPort, key, label};
use crate::space::{AddrSet, KEY_MAX, TrafficSet, describe_traffic};

/// Paths a finding lists at most (the message counts the rest).
const MAX_PATHS: usize = 5;

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

/// The risky conditions: all traffic (or all TCP/UDP ports), admin ports, high-risk ports.
fn risky_conditions(open: &TrafficSet) -> Vec<Condition> {
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

/// The risky conditions and, when anything is open, "some traffic" (Prowler's any-port).
fn ingress_conditions(open: &TrafficSet) -> Vec<Condition> {
    let mut out = risky_conditions(open);
    if !open.is_empty() {
        out.push(Condition {
            check: CheckId::InternetIngress,
            what: String::new(),
            keys: (0, KEY_MAX),
        });
    }
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
    /// The traffic found open to the whole internet.
    open: TrafficSet,
    enis: BTreeSet<EniId>,
    paths: BTreeMap<(EniId, AddressFamily), PathState>,
}

impl Acc {
    fn add(&mut self, cond: &Condition, family: AddressFamily, open: &TrafficSet) {
        if !cond.what.is_empty() {
            self.whats.insert(cond.what.clone());
        }
        self.families.insert(family);
        match cond.check {
            CheckId::InternetIngress => self.open.union_in_place(open),
            _ => self
                .open
                .union_in_place(&TrafficSet::single(cond.keys.0, cond.keys.1)),
        }
    }

    fn add_path(&mut self, index: &Index<'_>, eni: &EniId, family: AddressFamily) {
        self.enis.insert(eni.clone());
        if self.paths.len() < MAX_PATHS
            && let Some(p) = index.path(eni, family)
        {
            self.paths.insert((eni.clone(), family), p.clone());
        }
    }
}

type Accs = BTreeMap<(CheckId, Resource), Acc>;

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
    /// Judge along the paths (ingress); else every interface with the family counts.
    paths: bool,
}

fn attribute(
    index: &Index<'_>,
    inet: &[AddrSet],
    scope: &Scope<'_>,
    real: &mut Accs,
    latent: &mut Accs,
) {
    let mut per_group: HashMap<(&GroupId, AddressFamily), GroupRuns> = HashMap::new();
    for class in index.classes.iter().filter(|c| (scope.class_filter)(c)) {
        let rules = index.class_rules(class, scope.direction);
        for family in [AddressFamily::Ipv4, AddressFamily::Ipv6] {
            let admits = |e: &&Eni| match scope.paths {
                true => index.path(&e.id, family).is_some_and(PathState::admits),
                false => has_family(e, family),
            };
            let (open_enis, mut latent_enis): (Vec<&Eni>, Vec<&Eni>) =
                class.enis.iter().copied().partition(admits);
            if !scope.paths {
                latent_enis.clear();
            }
            if open_enis.is_empty() && latent_enis.is_empty() {
                continue;
            }
            let class_runs = runs(index, inet, &rules, family);
            let class_open = world_open(&class_runs);
            for cond in (scope.conditions)(&class_open) {
                let mut alone = Vec::new();
                for &g in class.groups.iter().filter(|g| (scope.group_filter)(g)) {
                    let (g_runs, g_conds) = per_group.entry((g, family)).or_insert_with(|| {
                        let r = runs(index, inet, index.group_rules(g, scope.direction), family);
                        let c = (scope.conditions)(&world_open(&r));
                        (r, c)
                    });
                    if g_conds.contains(&cond) {
                        let open = world_open(g_runs);
                        alone.push((g, rules_of(g_runs, cond.keys).collect::<Vec<_>>(), open));
                    }
                }
                // Only the risky conditions have a latent form.
                let latent_too = cond.check != CheckId::InternetIngress;
                let sides = [
                    (true, &open_enis, &mut *real),
                    (false, &latent_enis, &mut *latent),
                ];
                for (is_real, enis, accs) in sides {
                    if enis.is_empty() || !(is_real || latent_too) {
                        continue;
                    }
                    if alone.is_empty() {
                        for eni in enis {
                            let a = accs
                                .entry((cond.check, Resource::Interface(eni.id.clone())))
                                .or_default();
                            a.add(&cond, family, &class_open);
                            a.rules.extend(rules_of(&class_runs, cond.keys));
                            a.groups.extend(class.groups.iter().map(|g| (*g).clone()));
                            a.add_path(index, &eni.id, family);
                        }
                    }
                    for (g, rule_matches, open) in &alone {
                        let a = accs
                            .entry((cond.check, Resource::Group((*g).clone())))
                            .or_default();
                        a.add(&cond, family, open);
                        a.rules.extend(rule_matches.iter().cloned());
                        for eni in enis {
                            a.add_path(index, &eni.id, family);
                        }
                    }
                }
            }
        }
    }
}

/// Groups attached to no interface: what their rules would open is latent.
fn unattached(index: &Index<'_>, inet: &[AddrSet], latent: &mut Accs) {
    for g in index.snapshot.groups.values() {
        if !index.members(&g.id).is_empty() {
            continue;
        }
        for family in [AddressFamily::Ipv4, AddressFamily::Ipv6] {
            let g_runs = runs(
                index,
                inet,
                index.group_rules(&g.id, Direction::Ingress),
                family,
            );
            let open = world_open(&g_runs);
            for cond in risky_conditions(&open) {
                let a = latent
                    .entry((cond.check, Resource::Group(g.id.clone())))
                    .or_default();
                a.add(&cond, family, &open);
                a.rules.extend(rules_of(&g_runs, cond.keys));
            }
        }
    }
}

/// Interfaces a known path exposes to the whole internet on a risky condition, judged on
/// the sources the routes carry.
fn reachable_services(index: &Index<'_>, inet: &[AddrSet], acc: &mut Accs) {
    for class in &index.classes {
        let rules = index.class_rules(class, Direction::Ingress);
        for family in [AddressFamily::Ipv4, AddressFamily::Ipv6] {
            let mut class_runs = None;
            // Interfaces of one class behind the same routes share the answer.
            let mut cache: Vec<(AddrSet, Vec<ExposedRun>, Vec<Condition>)> = Vec::new();
            for eni in &class.enis {
                let Some(PathState::Open(path)) = index.path(&eni.id, family) else {
                    continue;
                };
                let class_runs =
                    class_runs.get_or_insert_with(|| runs(index, inet, &rules, family));
                if class_runs.is_empty() {
                    break;
                }
                let at = match cache.iter().position(|(r, _, _)| *r == path.reach) {
                    Some(at) => at,
                    None => {
                        let everything = index.internet.family(family);
                        let narrowed: Vec<ExposedRun> = class_runs
                            .iter()
                            .filter_map(|r| {
                                let sources = r.sources.intersect(&path.reach);
                                (!sources.is_empty()).then(|| ExposedRun {
                                    world_open: sources.covers(&everything),
                                    sources,
                                    ..r.clone()
                                })
                            })
                            .collect();
                        let conds = risky_conditions(&world_open(&narrowed));
                        cache.push((path.reach.clone(), narrowed, conds));
                        cache.len() - 1
                    }
                };
                let (_, narrowed, conds) = &cache[at];
                for cond in conds {
                    let a = acc
                        .entry((
                            CheckId::ServiceReachableFromInternet,
                            Resource::Interface(eni.id.clone()),
                        ))
                        .or_default();
                    a.add(cond, family, &TrafficSet::empty());
                    a.rules.extend(rules_of(narrowed, cond.keys));
                    a.add_path(index, &eni.id, family);
                }
            }
        }
    }
}

/// Internet exposure (ingress, along the paths), latent exposure, exposed interfaces and
/// data-store egress checks.
pub(super) fn exposure_checks(index: &Index<'_>, config: &AuditConfig, out: &mut Vec<Finding>) {
    let inet = internet_parts(index);
    let (mut real, mut latent) = (Accs::new(), Accs::new());
    let ingress_wanted = [
        CheckId::AdminPortOpenToInternet,
        CheckId::HighRiskPortOpenToInternet,
        CheckId::AllTrafficOpenToInternet,
        CheckId::InternetIngress,
        CheckId::LatentInternetExposure,
    ]
    .iter()
    .any(|c| config.enabled(*c));
    if ingress_wanted {
        let scope = Scope {
            direction: Direction::Ingress,
            class_filter: &|_| true,
            group_filter: &|_| true,
            conditions: ingress_conditions,
            paths: true,
        };
        attribute(index, &inet, &scope, &mut real, &mut latent);
        unattached(index, &inet, &mut latent);
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
                paths: false,
            };
            attribute(index, &inet, &scope, &mut real, &mut latent);
        }
    }
    if config.enabled(CheckId::ServiceReachableFromInternet) {
        reachable_services(index, &inet, &mut real);
    }
    for ((check, resource), a) in &latent {
        if real.contains_key(&(*check, resource.clone())) {
            continue;
        }
        out.push(latent_finding(index, *check, resource, a));
    }
    for ((check, resource), a) in real {
        out.push(real_finding(index, check, resource, a));
    }
}

fn whats_and_families(a: &Acc) -> (String, String) {
    let fams: Vec<&str> = a.families.iter().map(|f| family_name(*f)).collect();
    let whats: Vec<String> = match a.whats.is_empty() {
        true => vec![describe_traffic(&a.open)],
        false => a.whats.iter().cloned().collect(),
    };
    (whats.join(", "), fams.join(" and "))
}

fn finding_paths(a: &Acc) -> Vec<FindingPath> {
    a.paths
        .iter()
        .map(|((eni, family), state)| FindingPath {
            eni: eni.clone(),
            family: *family,
            state: state.clone(),
        })
        .collect()
}

/// `; eni-1 (IPv4): igw-… -> rtb-… (0.0.0.0/0) -> 203.0.113.5` for up to [`MAX_PATHS`].
fn path_text(a: &Acc) -> String {
    if a.paths.is_empty() {
        return String::new();
    }
    let mut parts: Vec<String> = a
        .paths
        .iter()
        .map(|((eni, family), state)| format!("{eni} ({}): {state}", family_name(*family)))
        .collect();
    if a.enis.len() > a.paths.len() {
        parts.push(format!("{} more", a.enis.len() - a.paths.len()));
    }
    format!("; {}", parts.join("; "))
}

fn real_finding(index: &Index<'_>, check: CheckId, resource: Resource, a: Acc) -> Finding {
    let (whats, fams) = whats_and_families(&a);
    let paths = path_text(&a);
    let message = match (&resource, check) {
        (Resource::Group(g), CheckId::DataStoreEgressOpen) => format!(
            "data-store group {g} may send all traffic to the whole {fams} internet ({} interface(s))",
            index.members(g).len()
        ),
        (Resource::Interface(e), CheckId::DataStoreEgressOpen) => format!(
            "data-store interface {e} may send all traffic to the whole {fams} internet through its groups together ({})",
            join(&a.groups)
        ),
        (Resource::Interface(e), CheckId::ServiceReachableFromInternet) => {
            format!("{e} is reachable from the whole {fams} internet on {whats}{paths}")
        }
        (Resource::Group(g), _) => format!(
            "{g} opens {whats} to the whole {fams} internet, attached to {} interface(s){paths}",
            index.members(g).len()
        ),
        (Resource::Interface(e), _) => format!(
            "{e} is open to the whole {fams} internet on {whats} through its groups together ({}){paths}",
            join(&a.groups)
        ),
    };
    let aliases = finding_aliases(check, None, &a.open);
    let paths = finding_paths(&a);
    let mut f = Finding::new(check, resource, message, a.rules.into_iter().collect());
    f.aliases = aliases;
    f.paths = paths;
    f
}

fn latent_finding(index: &Index<'_>, check: CheckId, resource: &Resource, a: &Acc) -> Finding {
    let (whats, fams) = whats_and_families(a);
    let why = match (resource, a.paths.is_empty()) {
        (Resource::Group(g), true) if index.members(g).is_empty() => {
            "attached to no interface".to_owned()
        }
        _ => format!("no path carries it{}", path_text(a)),
    };
    let message = format!(
        "{resource} would open {whats} to the whole {fams} internet ({check}), latent: {why}"
    );
    let lat = CheckId::LatentInternetExposure;
    let mut f = Finding::new(
        lat,
        resource.clone(),
        message,
        a.rules.iter().cloned().collect(),
    );
    f.aliases = finding_aliases(lat, Some(check), &a.open);
    f.paths = finding_paths(a);
    f
}

fn join(groups: &BTreeSet<GroupId>) -> String {
    groups
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
