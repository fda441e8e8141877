//! Internet exposure: for every interface, the traffic the internet can send it (or, for
//! egress, that it can send to the internet), from which public addresses, through which
//! rules — computed over the union of all the interface's groups, so rules add up.
//!
//! [`exposure`] follows the real path ([`crate::path`]): a family's runs count only when an
//! internet gateway, a route and a public (global) address carry them, and their sources
//! shrink to the addresses the routes send back through the gateway; runs the rules admit
//! but no path carries are reported apart as latent, with the missing link. Without
//! routing state the path is unknown and the rules alone decide, as before.
//! [`exposure_in`] is the rule-only judgement (the diff compares it).
//!
//! "The internet" is every address outside all VPC CIDRs and outside the never-routed ranges
//! of [`crate::space::non_internet`]. A run is *world-open* when its sources cover all of
//! that space for the family: `0.0.0.0/1` plus `128.0.0.0/1` is world-open, like `0.0.0.0/0`.

use palisade_engine::RuleMatch;
use palisade_model::{AddressFamily, Direction, EniId, Protocol};

use crate::index::{Index, has_family};
use crate::path::PathState;
use crate::ports::{ADMIN_PORTS, HIGH_RISK_PORTS};
use crate::ranges::sweep;
use crate::space::{AddrSet, KEY_MAX};

/// A run of traffic keys open to (part of) the internet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExposedRun {
    pub keys: (u32, u32),
    pub family: AddressFamily,
    /// The public addresses admitted (the intersection of the rules' peers with the internet).
    pub sources: AddrSet,
    pub world_open: bool,
    pub rules: Vec<RuleMatch>,
}

/// One interface's exposure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceExposure {
    pub eni: EniId,
    /// Higher is worse; see [`run_risk`]. Over `runs` only (0 when everything is latent).
    pub risk: u32,
    /// What the internet can send now (path open, or unknown), sources narrowed to what
    /// the routes carry.
    pub runs: Vec<ExposedRun>,
    /// What the rules admit from the internet but no path carries.
    pub latent: Vec<ExposedRun>,
    /// The path of every family that has runs or latent runs.
    pub paths: Vec<(AddressFamily, PathState)>,
}

impl InterfaceExposure {
    /// The path of one family, when it has runs.
    pub fn path(&self, family: AddressFamily) -> Option<&PathState> {
        self.paths
            .iter()
            .find(|(f, _)| *f == family)
            .map(|(_, p)| p)
    }
}

/// Per rule: the internet addresses its peer matches (empty for most rules).
pub fn internet_parts(index: &Index<'_>) -> Vec<AddrSet> {
    index
        .rules
        .iter()
        .map(|r| r.addrs.intersect(&index.internet))
        .collect()
}

/// Exposed runs of a set of rules (one direction of one interface class) for one family.
pub fn runs(
    index: &Index<'_>,
    inet: &[AddrSet],
    rules: &[usize],
    family: AddressFamily,
) -> Vec<ExposedRun> {
    let open: Vec<usize> = rules
        .iter()
        .copied()
        .filter(|&r| !inet[r].family(family).is_empty())
        .collect();
    if open.is_empty() {
        return Vec::new();
    }
    let intervals: Vec<(u32, u32)> = open.iter().map(|&r| index.rules[r].keys).collect();
    let everything = index.internet.family(family);
    let mut out: Vec<ExposedRun> = Vec::new();
    for (lo, hi, covering) in sweep(&intervals) {
        let mut rule_matches: Vec<RuleMatch> = covering
            .iter()
            .map(|&c| index.rules[open[c]].rule_match())
            .collect();
        rule_matches.sort();
        if let Some(last) = out.last_mut()
            && last.keys.1.checked_add(1) == Some(lo)
            && last.rules == rule_matches
        {
            last.keys.1 = hi;
            continue;
        }
        let mut sources = AddrSet::empty();
        for &c in &covering {
            sources.union_in_place(&inet[open[c]].family(family));
        }
        let world_open = sources.covers(&everything);
        out.push(ExposedRun {
            keys: (lo, hi),
            family,
            sources,
            world_open,
            rules: rule_matches,
        });
    }
    out
}

/// Every interface whose rules admit the internet (ingress), along its real path: riskiest
/// first, then the latent-only ones.
pub fn exposure(index: &Index<'_>) -> Vec<InterfaceExposure> {
    let inet = internet_parts(index);
    let mut out = Vec::new();
    for class in &index.classes {
        let rules = index.class_rules(class, Direction::Ingress);
        let by_family =
            [AddressFamily::Ipv4, AddressFamily::Ipv6].map(|f| (f, runs(index, &inet, &rules, f)));
        if by_family.iter().all(|(_, r)| r.is_empty()) {
            continue;
        }
        for eni in &class.enis {
            let mut e = InterfaceExposure {
                eni: eni.id.clone(),
                risk: 0,
                runs: Vec::new(),
                latent: Vec::new(),
                paths: Vec::new(),
            };
            for (family, family_runs) in by_family.iter().filter(|(_, r)| !r.is_empty()) {
                let Some(path) = index.path(&eni.id, *family) else {
                    continue;
                };
                let everything = index.internet.family(*family);
                match path.reach(&everything) {
                    Some(reach) => {
                        for run in family_runs {
                            let sources = run.sources.intersect(reach);
                            if sources.is_empty() {
                                e.latent.push(run.clone());
                                continue;
                            }
                            e.runs.push(ExposedRun {
                                world_open: sources.covers(&everything),
                                sources,
                                ..run.clone()
                            });
                        }
                    }
                    None => e.latent.extend(family_runs.iter().cloned()),
                }
                e.paths.push((*family, path.clone()));
            }
            e.risk = e.runs.iter().map(run_risk).max().unwrap_or(0);
            out.push(e);
        }
    }
    out.sort_by(|a, b| {
        b.risk
            .cmp(&a.risk)
            .then_with(|| a.runs.is_empty().cmp(&b.runs.is_empty()))
            .then_with(|| a.eni.cmp(&b.eni))
    });
    out
}

/// The rule-only judgement, in a direction (egress: what may reach the internet): every
/// interface with an address of the family whose rules admit internet addresses, whatever
/// the path.
pub fn exposure_in(
    index: &Index<'_>,
    inet: &[AddrSet],
    direction: Direction,
) -> Vec<InterfaceExposure> {
    let mut out = Vec::new();
    for class in &index.classes {
        let rules = index.class_rules(class, direction);
        let v4 = runs(index, inet, &rules, AddressFamily::Ipv4);
        let v6 = runs(index, inet, &rules, AddressFamily::Ipv6);
        if v4.is_empty() && v6.is_empty() {
            continue;
        }
        for eni in &class.enis {
            let mut eni_runs = Vec::new();
            if has_family(eni, AddressFamily::Ipv4) {
                eni_runs.extend(v4.iter().cloned());
            }
            if has_family(eni, AddressFamily::Ipv6) {
                eni_runs.extend(v6.iter().cloned());
            }
            if eni_runs.is_empty() {
                continue;
            }
            let risk = eni_runs.iter().map(run_risk).max().unwrap_or(0);
            out.push(InterfaceExposure {
                eni: eni.id.clone(),
                risk,
                runs: eni_runs,
                latent: Vec::new(),
                paths: Vec::new(),
            });
        }
    }
    out.sort_by(|a, b| b.risk.cmp(&a.risk).then_with(|| a.eni.cmp(&b.eni)));
    out
}

/// Risk of one run: what is open (all traffic 100, admin ports 90, database and other
/// high-risk ports 80, wide port ranges 60, other ports 40, other protocols 30, ICMP 10),
/// scaled by how much of the internet is admitted (world-open full, more than a /24 half,
/// smaller a quarter).
pub fn run_risk(run: &ExposedRun) -> u32 {
    let (lo, hi) = run.keys;
    let covers = |proto: u8, port: u16| {
        let k = u32::from(proto) << 16 | u32::from(port);
        lo <= k && k <= hi
    };
    let base = if lo == 0 && hi == KEY_MAX {
        100
    } else if ADMIN_PORTS.iter().any(|p| covers(Protocol::TCP, p.port)) {
        90
    } else if HIGH_RISK_PORTS.iter().any(|p| covers(p.protocol, p.port)) {
        80
    } else if hi - lo >= 1000 {
        60
    } else {
        match u8::try_from(lo >> 16).unwrap_or(0) {
            Protocol::TCP | Protocol::UDP => 40,
            Protocol::ICMP | Protocol::ICMPV6 => 10,
            _ => 30,
        }
    };
    if run.world_open {
        base
    } else if run.sources.v4.count() > 256 || run.sources.v6.count() > (1u128 << 56) {
        base / 2
    } else {
        base / 4
    }
}
