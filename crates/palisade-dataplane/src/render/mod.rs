//! The compiler: snapshot + local interfaces → one nftables ruleset (pure, deterministic).
//!
//! Layout (see `shared/research/dataplane.md` §0 and §2): in one `inet` table,
//! - `filter_prerouting` judges what an instance *sends* (its egress) by `iifname vmap
//!   @eni_out`; `filter_forward` judges what an interface *receives* (its ingress) by
//!   `oifname vmap @eni_in`. A packet between two local instances crosses both, so it needs
//!   the sender's egress and the receiver's ingress, as in EC2. Other links (uplinks) are not
//!   in the maps: they are the outside world, judged only at the interface they reach.
//! - each interface chain: link-level and DHCP traffic (`jump link_out`), anti-spoofing,
//!   `jump track_in|track_out` (`ct state established,related accept` unless the flow is
//!   untracked at this end: `ct mark`, see `untracked`; `ct state invalid drop`; the
//!   platform allow-list), one `jump` per security group (union: the first `accept` wins),
//!   then `drop`. The shared chains keep the per-interface rule count low: nft's load time
//!   grows with rules, not with set elements;
//! - an interface that is mapped but missing from the snapshot has `drop` as its verdict.
//!
//! Never does I/O; never reads the clock. Its output is pinned by `test_data/*.nft`.

mod eni;
mod sg;
mod untracked;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;
use palisade_model::{AddressFamily, Direction, Eni, EniId, GroupId, SecurityGroup, Snapshot};
use thiserror::Error;

use crate::interface::LocalInterface;
use crate::ruleset::{Body, Object, Ruleset};

/// Why a ruleset cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RenderError {
    #[error("interface {0} is mapped more than once")]
    DuplicateEni(EniId),
    #[error("interface name '{0}' is mapped to more than one interface")]
    DuplicateIfname(String),
}

/// Renders the ruleset that enforces `snapshot` on `interfaces` (the ENIs local to this host
/// and the host-side names of their links). Deterministic: the same inputs give the same text,
/// whatever the order of `interfaces`.
pub fn render(snapshot: &Snapshot, interfaces: &[LocalInterface]) -> Result<Ruleset, RenderError> {
    Renderer::new().render(snapshot, interfaces)
}

/// The fail-closed ruleset: every packet to or from `interfaces` is dropped. The agent loads
/// it on start, before it knows the desired state, so nothing passes until a real ruleset is
/// in (and a failing first apply leaves it in force).
pub fn render_closed(interfaces: &[LocalInterface]) -> Result<Ruleset, RenderError> {
    let mut res = render(&Snapshot::default(), interfaces)?;
    res.warnings.clear();
    Ok(res)
}

/// [`render()`] with memory: keeps the rendered chains and sets of each group of the last
/// render, and reuses them while the group and what its rendering read (the VPC of each
/// group it references, the family of each prefix list) are unchanged. A one-rule change
/// re-renders one group; the output is exactly what [`render()`] gives. Still pure: the
/// cache is a value the caller owns.
#[derive(Debug, Default)]
pub struct Renderer {
    groups: HashMap<GroupId, Cached>,
}

#[derive(Debug)]
struct Cached {
    group: SecurityGroup,
    deps: sg::Deps,
    /// Rendered with references matching unforwarded packets only (some local interface
    /// forwards).
    unforwarded: bool,
    out: Arc<sg::GroupOut>,
}

impl Renderer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Same as [`render()`]; groups not used by this render leave the cache.
    pub fn render(
        &mut self,
        snapshot: &Snapshot,
        interfaces: &[LocalInterface],
    ) -> Result<Ruleset, RenderError> {
        let interfaces = sorted_interfaces(interfaces)?;
        let mut warnings = Vec::new();
        let mut local: Vec<(&LocalInterface, &Eni)> = Vec::new();
        for iface in &interfaces {
            match snapshot.enis.get(&iface.eni) {
                Some(eni) => local.push((iface, eni)),
                None => warnings.push(format!(
                    "interface {} ({}) is not in the snapshot: all its traffic is dropped",
                    iface.eni,
                    iface.ifname()
                )),
            }
        }

        // Chains for the groups on local interfaces only, each rendered once.
        let mut group_ids: BTreeSet<&GroupId> = BTreeSet::new();
        for (_, eni) in &local {
            for group_id in &eni.groups {
                if snapshot.groups.contains_key(group_id) {
                    group_ids.insert(group_id);
                } else {
                    warnings.push(format!(
                        "interface {} uses security group {group_id}, which is not in the snapshot",
                        eni.id
                    ));
                }
            }
        }
        // With an interface that forwards others' traffic, a group reference matches only
        // what a member's own interface sent (`eni::FORWARDED`).
        let unforwarded = interfaces.iter().any(LocalInterface::forwards);
        let mut old = std::mem::take(&mut self.groups);
        let mut groups: Vec<Arc<sg::GroupOut>> = Vec::new();
        let mut by_id: HashMap<&GroupId, usize> = HashMap::new();
        for group_id in group_ids {
            let Some(group) = snapshot.groups.get(group_id) else {
                continue;
            };
            // A hit keeps the cached copy: cloning every group on every render would cost
            // more than comparing it. Equal groups have the same references, so their deps
            // are checked in place.
            let cached = match old.remove(group_id) {
                Some(c)
                    if c.group == *group
                        && c.unforwarded == unforwarded
                        && c.deps.hold(snapshot) =>
                {
                    c
                }
                _ => Cached {
                    group: group.clone(),
                    out: Arc::new(sg::render_group(snapshot, group, unforwarded)),
                    deps: sg::Deps::of(snapshot, group),
                    unforwarded,
                },
            };
            by_id.insert(group_id, groups.len());
            groups.push(Arc::clone(&cached.out));
            self.groups.insert(group_id.clone(), cached);
        }

        let mut n_rules = 0;
        let mut member_sets: BTreeMap<&str, &sg::MemberRef> = BTreeMap::new();
        let mut prefix_sets: BTreeMap<&str, _> = BTreeMap::new();
        for out in &groups {
            n_rules += out.n_rules;
            warnings.extend(out.warnings.iter().cloned());
            for m in &out.member_refs {
                member_sets.entry(m.name.as_str()).or_insert(m);
            }
            for (name, id) in &out.prefix_refs {
                prefix_sets.entry(name.as_str()).or_insert(id);
            }
        }

        let enis: Vec<&Eni> = local.iter().map(|(_, eni)| *eni).collect();
        let nt = untracked::compute(&enis, |g| by_id.get(g).map(|&i| &groups[i].everywhere));
        let mut owners = BTreeMap::new();
        for eni in &enis {
            for addr in eni.private_addrs() {
                owners.insert(addr, eni.id.clone());
            }
        }
        let resolvers = eni::resolvers(snapshot, &enis);

        let mut objects: Vec<Arc<Object>> = Vec::new();
        let mut push = |obj: Object| objects.push(Arc::new(obj));
        let (v4, v6): (Vec<IpAddr>, Vec<IpAddr>) = owners.keys().partition(|a| a.is_ipv4());
        push(Object::set(
            "local_v4".into(),
            "ipv4_addr",
            false,
            strings(&v4),
        ));
        push(Object::set(
            "local_v6".into(),
            "ipv6_addr",
            false,
            strings(&v6),
        ));
        push(Object::set(
            "src_v6".into(),
            "ifname . ipv6_addr",
            true,
            eni::sources_v6(&local),
        ));
        for (name, m) in member_sets {
            let members: BTreeSet<IpAddr> = snapshot
                .referenced_members(&m.from_vpc, &m.gref)
                .flat_map(|eni| eni.private_addrs())
                .filter(|a| AddressFamily::of(*a) == m.fam)
                .collect();
            let members: Vec<IpAddr> = members.into_iter().collect();
            push(Object::member_set(
                name.to_owned(),
                addr_type(m.fam),
                strings(&members),
            ));
        }
        for (name, id) in prefix_sets {
            let Some(list) = snapshot.prefix_lists.get(id) else {
                continue;
            };
            let nets: Vec<IpNet> = list
                .entries
                .iter()
                .map(|e| e.cidr.trunc())
                .filter(|n| sg::family_of(n) == list.family)
                .collect();
            push(Object::set(
                name.to_owned(),
                addr_type(list.family),
                true,
                strings(&sg::merge_cidrs(nets)),
            ));
        }
        if !nt.is_empty() {
            for (idx, fam) in ["v4", "v6"].iter().enumerate() {
                let ty = format!(
                    "{}_addr . inet_proto . inet_service",
                    if idx == 0 { "ipv4" } else { "ipv6" }
                );
                push(Object::set(
                    format!("nt_srv_{fam}"),
                    &ty,
                    true,
                    nt.srv[idx].clone(),
                ));
                push(Object::set(
                    format!("nt_cli_{fam}"),
                    &ty,
                    true,
                    nt.cli[idx].clone(),
                ));
            }
        }
        for (map, dir) in [("eni_out", "out"), ("eni_in", "in")] {
            let elems: Vec<(String, String)> = interfaces
                .iter()
                .map(|iface| {
                    let verdict = match snapshot.enis.contains_key(&iface.eni) {
                        true => format!("jump {}_{dir}", ident(iface.eni.as_str())),
                        false => "drop".to_owned(),
                    };
                    (format!("\"{}\"", iface.ifname()), verdict)
                })
                .collect();
            push(Object {
                name: map.to_owned(),
                body: Body::Map { elems },
            });
        }
        push(Object::chain(
            "platform_out".into(),
            None,
            eni::platform_out(&resolvers),
        ));
        push(Object::chain(
            "platform_in".into(),
            None,
            eni::platform_in(&resolvers),
        ));
        push(Object::chain("link_out".into(), None, eni::link_out()));
        push(Object::chain(
            "track_out".into(),
            None,
            eni::track(Direction::Egress),
        ));
        push(Object::chain(
            "track_in".into(),
            None,
            eni::track(Direction::Ingress),
        ));
        for out in &groups {
            objects.extend(out.sets.iter().cloned());
        }
        for out in &groups {
            objects.extend(out.chains.iter().cloned());
        }
        let mut push = |obj: Object| objects.push(Arc::new(obj));
        for (iface, eni) in &local {
            let id = ident(eni.id.as_str());
            push(Object::chain(
                format!("{id}_out"),
                None,
                eni::eni_out(snapshot, eni, iface.forwards()),
            ));
            push(Object::chain(
                format!("{id}_in"),
                None,
                eni::eni_in(snapshot, eni),
            ));
        }
        if !nt.is_empty() {
            push(Object::chain(
                "untracked".into(),
                None,
                untracked::chain_lines(),
            ));
            push(Object::chain(
                "raw_prerouting".into(),
                Some("type filter hook prerouting priority raw; policy accept;"),
                vec!["meta l4proto { tcp, udp } jump untracked".into()],
            ));
        }
        let mut prerouting = Vec::new();
        if !nt.is_empty() {
            prerouting.extend(untracked::mark_lines());
        }
        prerouting.push("iifname vmap @eni_out".into());
        push(Object::chain(
            "filter_prerouting".into(),
            Some("type filter hook prerouting priority filter; policy accept;"),
            prerouting,
        ));
        push(Object::chain(
            "filter_forward".into(),
            Some("type filter hook forward priority filter; policy accept;"),
            vec!["oifname vmap @eni_in".into()],
        ));

        Ok(Ruleset {
            objects,
            owners,
            warnings,
            n_rules,
            n_interfaces: interfaces.len(),
        })
    }
}

fn addr_type(fam: AddressFamily) -> &'static str {
    match fam {
        AddressFamily::Ipv4 => "ipv4_addr",
        AddressFamily::Ipv6 => "ipv6_addr",
    }
}

fn sorted_interfaces(interfaces: &[LocalInterface]) -> Result<Vec<LocalInterface>, RenderError> {
    let mut by_eni = BTreeMap::new();
    let mut names = BTreeSet::new();
    for iface in interfaces {
        if by_eni.insert(iface.eni.clone(), iface.clone()).is_some() {
            return Err(RenderError::DuplicateEni(iface.eni.clone()));
        }
        if !names.insert(iface.ifname().to_owned()) {
            return Err(RenderError::DuplicateIfname(iface.ifname().to_owned()));
        }
    }
    Ok(by_eni.into_values().collect())
}

/// An nft identifier from a resource id: `sg-0abc` → `sg_0abc` (ids are validated hex, so
/// the result is always a valid, keyword-free identifier).
fn ident(id: &str) -> String {
    id.replace('-', "_")
}

fn sg_chain_name(group: &GroupId, direction: Direction) -> String {
    let dir = match direction {
        Direction::Ingress => "in",
        Direction::Egress => "out",
    };
    format!("{}_{dir}", ident(group.as_str()))
}

fn strings<T: ToString>(items: &[T]) -> Vec<String> {
    items.iter().map(ToString::to_string).collect()
}
