//! Building the lab's network on this host: namespaces, veth links, addresses, routes,
//! policy rules, the gateways' 1:1 translation and each router's security-group ruleset,
//! brought from the plan in force to the next one with as few changes as possible.
//!
//! Order matters for failing closed: a router's ruleset names a new interface before that
//! interface exists, so its first packet already meets its groups; an interface leaves the
//! ruleset only after it is gone.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::net::IpAddr;
use std::process::{Command, Stdio};

use ipnet::IpNet;
use palisade_model::{InstanceId, Snapshot, VpcId};
use thiserror::Error;

use super::plan::{
    GATEWAY_PORT, INTERNET_V4, INTERNET_V6, LINK_FAR_V4, LINK_FAR_V6, LINK_NEAR_V4, LINK_NEAR_V6,
    Nic, PeerLink, Plan, RouterPlan, Via, instance_ns, internet_ns, port_name, router_ns,
};
use super::timeouts::timeouts_text;
use crate::apply::{ApplyError, Nft};
use crate::render::{RenderError, Renderer};
use crate::ruleset::Ruleset;

/// The lab's own nftables table in each router: the internet gateway's translation.
pub const NAT_TABLE: &str = "palisade_lab";

/// Why a lab change failed.
#[derive(Debug, Error)]
pub enum LabError {
    #[error("running {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("{command} failed (exit {status}): {stderr}")]
    Command {
        command: String,
        status: String,
        stderr: String,
    },
    #[error(transparent)]
    Apply(#[from] ApplyError),
    #[error(transparent)]
    Render(#[from] RenderError),
}

/// A route in one Linux routing table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct RouteEntry {
    table: u32,
    dst: IpNet,
    how: How,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum How {
    Unreachable,
    Blackhole,
    Dev { dev: String, via: Option<IpAddr> },
}

/// A policy rule: `to` a block (entering from `iif`), looking up a table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct RuleEntry {
    pref: u32,
    iif: Option<String>,
    net: IpNet,
    table: u32,
}

/// Table 100 holds the VPC's local routes (one per instance address); policy rule 100
/// sends the VPC's own blocks there, rules 200 the rest by the subnet of the port it
/// entered from (`iif`). Rules 50 come
/// first: a route more specific than the local one (a subnet's block to a middlebox) for
/// what enters from the ports of the subnets whose table has it.
const LOCAL_TABLE: u32 = 100;
const MORE_SPECIFIC_PREF: u32 = 50;

/// What is in force: the plan, each router's ruleset, routes and rules.
#[derive(Debug)]
pub struct Fabric {
    prefix: String,
    plan: Plan,
    rulesets: BTreeMap<VpcId, Ruleset>,
    /// Each router's render cache: a change re-renders only the groups it touched.
    renderers: BTreeMap<VpcId, Renderer>,
    nat: BTreeMap<VpcId, String>,
    /// Each router's connection-tracking timeout objects in force (`timeouts`).
    timeouts: BTreeMap<VpcId, BTreeSet<String>>,
    routes: BTreeMap<String, BTreeSet<RouteEntry>>,
    rules: BTreeMap<String, BTreeSet<RuleEntry>>,
}

impl Fabric {
    /// A lab whose namespaces are all named `PREFIX-…`. Removes whatever a previous run with
    /// the same prefix left behind (its processes, namespaces and links).
    pub fn start(prefix: &str) -> Result<Self, LabError> {
        clean(prefix)?;
        let inet = internet_ns(prefix);
        new_ns(&inet, true)?;
        batch(
            &inet,
            &[
                format!("addr add {INTERNET_V4}/32 dev lo"),
                format!("addr add {INTERNET_V6}/128 dev lo"),
            ],
        )?;
        Ok(Self {
            prefix: prefix.to_owned(),
            plan: Plan::default(),
            rulesets: BTreeMap::new(),
            renderers: BTreeMap::new(),
            nat: BTreeMap::new(),
            timeouts: BTreeMap::new(),
            routes: BTreeMap::new(),
            rules: BTreeMap::new(),
        })
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The plan in force.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Brings the host to `next`. `snapshots` are the regions' merged snapshots the routers'
    /// rulesets are rendered from. Returns the instances that came up (their network is in
    /// place and enforced: the caller may start their `UserData`).
    pub fn apply(
        &mut self,
        next: Plan,
        snapshots: &BTreeMap<String, Snapshot>,
    ) -> Result<Vec<InstanceId>, LabError> {
        let prefix = self.prefix.clone();
        let empty = Snapshot::default();
        // 1. Routers (the internet namespace lives as long as the lab).
        for vpc in next.routers.keys() {
            if !self.plan.routers.contains_key(vpc) {
                new_ns(&router_ns(&prefix, vpc), true)?;
            }
        }
        let inet = internet_ns(&prefix);
        // 2. Rulesets first: every interface that is about to exist is already enforced.
        for (vpc, router) in &next.routers {
            let snapshot = snapshots.get(&router.region).unwrap_or(&empty);
            let ruleset = self
                .renderers
                .entry(vpc.clone())
                .or_default()
                .render(snapshot, &router.interfaces())?;
            let nft = Nft::in_netns(&router_ns(&prefix, vpc));
            if let Err(e) = nft.apply(self.rulesets.get(vpc), &ruleset) {
                // The kernel may not hold the ruleset recorded (a conntrack flush failed
                // after the load): the next apply replaces the whole table.
                self.rulesets.remove(vpc);
                return Err(e.into());
            }
            self.rulesets.insert(vpc.clone(), ruleset);
            let nat = nat_text(router);
            if self.nat.get(vpc) != Some(&nat) {
                nft.load(&nat)?;
                self.nat.insert(vpc.clone(), nat);
            }
            let previous = self.timeouts.remove(vpc).unwrap_or_default();
            match timeouts_text(router, &previous) {
                Some(t) => {
                    nft.load(&t.text)?;
                    self.timeouts.insert(vpc.clone(), t.objects);
                }
                None => {
                    self.timeouts.insert(vpc.clone(), previous);
                }
            }
        }
        // 3. Instances and their interfaces.
        let mut started = Vec::new();
        for (id, inst) in &next.instances {
            let ns = instance_ns(&prefix, id);
            let old = self.plan.instances.get(id);
            if old.is_none() {
                new_ns(&ns, false)?;
                started.push(id.clone());
            }
            if old.is_some_and(|o| o.forwards) != inst.forwards {
                set_forwarding(&ns, inst.forwards)?;
            }
            let old_nics: &[Nic] = old.map_or(&[], |o| &o.nics);
            for nic in old_nics {
                if !inst.nics.contains(nic) && next.routers.contains_key(&nic.vpc) {
                    let _ = run_ip(&[
                        "-n",
                        &router_ns(&prefix, &nic.vpc),
                        "link",
                        "del",
                        &nic.port,
                    ]);
                }
            }
            for nic in &inst.nics {
                if !old_nics.contains(nic) {
                    wire_nic(&prefix, &ns, nic)?;
                }
            }
        }
        // 4. Peering links.
        for (id, link) in &next.peerings {
            if self.plan.peerings.get(id) != Some(link) {
                if let Some(old) = self.plan.peerings.get(id) {
                    unlink_peer(&prefix, old);
                }
                link_peer(&prefix, link)?;
            }
        }
        for (id, old) in &self.plan.peerings {
            if !next.peerings.contains_key(id) {
                unlink_peer(&prefix, old);
            }
        }
        // 5. Gateways.
        for (vpc, router) in &next.routers {
            let was = self.plan.routers.get(vpc).is_some_and(|r| r.gateway);
            let rns = router_ns(&prefix, vpc);
            if router.gateway && !was {
                let far = port_name('g', vpc.as_str());
                run_ip(&[
                    "-n",
                    &rns,
                    "link",
                    "add",
                    GATEWAY_PORT,
                    "type",
                    "veth",
                    "peer",
                    "name",
                    &far,
                    "netns",
                    &inet,
                ])?;
                batch(&rns, &link_lines(GATEWAY_PORT, true))?;
                batch(&inet, &link_lines(&far, false))?;
            } else if !router.gateway && was {
                let _ = run_ip(&["-n", &rns, "link", "del", GATEWAY_PORT]);
            }
        }
        // 6. Routes and rules.
        let mut inet_routes = BTreeSet::new();
        for (vpc, router) in &next.routers {
            let rns = router_ns(&prefix, vpc);
            let (routes, rules) = router_routing(router, &next.peerings);
            self.sync_routes(&rns, routes)?;
            self.sync_rules(&rns, rules)?;
            if router.gateway {
                let far = port_name('g', vpc.as_str());
                for (public, _) in &router.nat {
                    inet_routes.insert(RouteEntry {
                        table: 254,
                        dst: IpNet::V4(ipnet::Ipv4Net::from(*public)),
                        how: How::Dev {
                            dev: far.clone(),
                            via: Some(IpAddr::V4(LINK_NEAR_V4)),
                        },
                    });
                }
                for block in router.blocks.iter().filter(|b| matches!(b, IpNet::V6(_))) {
                    inet_routes.insert(RouteEntry {
                        table: 254,
                        dst: *block,
                        how: How::Dev {
                            dev: far.clone(),
                            via: Some(IpAddr::V6(LINK_NEAR_V6)),
                        },
                    });
                }
            }
        }
        self.sync_routes(&inet, inet_routes)?;
        // 7. What is gone.
        for id in self.plan.instances.keys() {
            if !next.instances.contains_key(id) {
                remove_ns(&instance_ns(&prefix, id));
            }
        }
        for vpc in self.plan.routers.keys() {
            if !next.routers.contains_key(vpc) {
                let ns = router_ns(&prefix, vpc);
                remove_ns(&ns);
                self.rulesets.remove(vpc);
                self.renderers.remove(vpc);
                self.nat.remove(vpc);
                self.timeouts.remove(vpc);
                self.routes.remove(&ns);
                self.rules.remove(&ns);
            }
        }
        self.plan = next;
        Ok(started)
    }

    /// Removes everything the lab made.
    pub fn stop(self) -> Result<(), LabError> {
        clean(&self.prefix)
    }

    fn sync_routes(&mut self, ns: &str, next: BTreeSet<RouteEntry>) -> Result<(), LabError> {
        let old = self.routes.remove(ns).unwrap_or_default();
        let mut lines = Vec::new();
        let key = |r: &RouteEntry| (r.table, r.dst);
        let wanted: BTreeSet<(u32, IpNet)> = next.iter().map(key).collect();
        for r in &old {
            if !wanted.contains(&key(r)) {
                lines.push(format!("route del {} table {}", r.dst, r.table));
            }
        }
        for r in &next {
            if !old.contains(r) {
                lines.push(route_line(r));
            }
        }
        if !lines.is_empty() {
            batch_force(ns, &lines)?;
        }
        self.routes.insert(ns.to_owned(), next);
        Ok(())
    }

    fn sync_rules(&mut self, ns: &str, next: BTreeSet<RuleEntry>) -> Result<(), LabError> {
        let old = self.rules.remove(ns).unwrap_or_default();
        let mut lines = Vec::new();
        for r in old.difference(&next) {
            lines.push(format!("{}rule del {}", v6(&r.net), rule_sel(r)));
        }
        for r in next.difference(&old) {
            lines.push(format!("{}rule add {}", v6(&r.net), rule_sel(r)));
        }
        if !lines.is_empty() {
            batch_force(ns, &lines)?;
        }
        self.rules.insert(ns.to_owned(), next);
        Ok(())
    }
}

/// Policy rules need their family spelled out (`ip -6 rule`); see `run_batch`.
fn v6(net: &IpNet) -> &'static str {
    match net {
        IpNet::V4(_) => "",
        IpNet::V6(_) => "-6 ",
    }
}

fn rule_sel(r: &RuleEntry) -> String {
    let iif = r
        .iif
        .as_ref()
        .map_or_else(String::new, |i| format!(" iif {i}"));
    format!("pref {}{iif} to {} lookup {}", r.pref, r.net, r.table)
}

fn route_line(r: &RouteEntry) -> String {
    match &r.how {
        How::Unreachable => format!("route replace unreachable {} table {}", r.dst, r.table),
        How::Blackhole => format!("route replace blackhole {} table {}", r.dst, r.table),
        How::Dev { dev, via: None } => {
            format!("route replace {} dev {dev} table {}", r.dst, r.table)
        }
        How::Dev {
            dev,
            via: Some(via),
        } => {
            let src = match via {
                IpAddr::V4(_) if r.table == 254 => format!(" src {INTERNET_V4}"),
                IpAddr::V6(_) if r.table == 254 => format!(" src {INTERNET_V6}"),
                _ => String::new(),
            };
            format!(
                "route replace {} via {via} dev {dev} onlink table {}{src}",
                r.dst, r.table
            )
        }
    }
}

/// A router's routes and policy rules.
fn router_routing(
    router: &RouterPlan,
    peerings: &BTreeMap<palisade_model::PeeringId, PeerLink>,
) -> (BTreeSet<RouteEntry>, BTreeSet<RuleEntry>) {
    let mut routes = BTreeSet::new();
    let mut rules = BTreeSet::new();
    for block in &router.blocks {
        routes.insert(RouteEntry {
            table: LOCAL_TABLE,
            dst: *block,
            how: How::Unreachable,
        });
        rules.insert(RuleEntry {
            pref: 100,
            iif: None,
            net: *block,
            table: LOCAL_TABLE,
        });
    }
    for nic in &router.ports {
        for addr in super::plan::nic_addrs(nic) {
            routes.insert(RouteEntry {
                table: LOCAL_TABLE,
                dst: IpNet::from(addr),
                how: How::Dev {
                    dev: nic.port.clone(),
                    via: None,
                },
            });
        }
    }
    for table in &router.tables {
        for default in ["0.0.0.0/0", "::/0"] {
            routes.insert(RouteEntry {
                table: table.number,
                dst: default.parse().expect("a valid default route"),
                how: How::Unreachable,
            });
        }
        // What leaves a subnet follows the subnet's table: chosen by the port it entered
        // from, not by its source address, so what an appliance forwards for others
        // follows the appliance's subnet's table (VPC UG: "Route table rules apply to all
        // traffic that leaves a subnet").
        for port in &table.ports {
            for any in ["0.0.0.0/0", "::/0"] {
                rules.insert(RuleEntry {
                    pref: 200,
                    iif: Some(port.clone()),
                    net: any.parse().expect("a valid default route"),
                    table: table.number,
                });
            }
        }
        for (dst, via) in &table.routes {
            let v6 = matches!(dst, IpNet::V6(_));
            let how = match via {
                Via::Blackhole => How::Blackhole,
                Via::Gateway if router.gateway => How::Dev {
                    dev: GATEWAY_PORT.to_owned(),
                    via: Some(if v6 {
                        IpAddr::V6(LINK_FAR_V6)
                    } else {
                        IpAddr::V4(LINK_FAR_V4)
                    }),
                },
                Via::Gateway => How::Blackhole,
                Via::Peer(port) => {
                    let near = peerings
                        .values()
                        .find(|l| &l.port == port)
                        .is_some_and(|l| l.requester == router.vpc);
                    // The far end's address: the requester holds the near one.
                    let via = match (v6, near) {
                        (false, true) => IpAddr::V4(LINK_FAR_V4),
                        (false, false) => IpAddr::V4(LINK_NEAR_V4),
                        (true, true) => IpAddr::V6(LINK_FAR_V6),
                        (true, false) => IpAddr::V6(LINK_NEAR_V6),
                    };
                    How::Dev {
                        dev: port.clone(),
                        via: Some(via),
                    }
                }
                // Through the appliance's own address: the instance answers neighbour
                // discovery for it, not for the destinations it forwards to.
                Via::Port(port) => {
                    let nic = router.ports.iter().find(|n| &n.port == port);
                    let via = nic.and_then(|n| match v6 {
                        false => n.v4.first().map(|a| IpAddr::V4(a.addr())),
                        true => n.v6.first().map(|a| IpAddr::V6(*a)),
                    });
                    match via {
                        Some(via) => How::Dev {
                            dev: port.clone(),
                            via: Some(via),
                        },
                        None => How::Blackhole,
                    }
                }
            };
            routes.insert(RouteEntry {
                table: table.number,
                dst: *dst,
                how,
            });
            // More specific than the local route: for what the table's subnets send,
            // except what the appliance itself sends on (it would loop).
            if router.blocks.iter().any(|b| b.contains(dst)) {
                for port in &table.ports {
                    if matches!(via, Via::Port(p) if p == port) {
                        continue;
                    }
                    rules.insert(RuleEntry {
                        pref: MORE_SPECIFIC_PREF,
                        iif: Some(port.clone()),
                        net: *dst,
                        table: table.number,
                    });
                }
            }
        }
    }
    (routes, rules)
}

/// The gateway's stateless 1:1 translation, before conntrack (priority -350, also before
/// the `notrack` of untracked flows at raw) on the way in, after routing on the way out.
fn nat_text(router: &RouterPlan) -> String {
    let mut t = format!("table ip {NAT_TABLE}\ndelete table ip {NAT_TABLE}\n");
    if router.nat.is_empty() {
        return t;
    }
    t.push_str(&format!("table ip {NAT_TABLE} {{\n"));
    t.push_str(
        "\tchain gateway_in {\n\t\ttype filter hook prerouting priority -350; policy accept;\n",
    );
    for (public, private) in &router.nat {
        t.push_str(&format!(
            "\t\tiifname \"{GATEWAY_PORT}\" ip daddr {public} ip daddr set {private}\n"
        ));
    }
    t.push_str("\t}\n\tchain gateway_out {\n\t\ttype filter hook postrouting priority 350; policy accept;\n");
    for (public, private) in &router.nat {
        t.push_str(&format!(
            "\t\toifname \"{GATEWAY_PORT}\" ip saddr {private} ip saddr set {public}\n"
        ));
    }
    t.push_str("\t}\n}\n");
    t
}

/// Addresses of a point-to-point link end (`near`: the router side of a gateway, the
/// requester side of a peering).
fn link_lines(dev: &str, near: bool) -> Vec<String> {
    let (v4, v6) = if near {
        (LINK_NEAR_V4, LINK_NEAR_V6)
    } else {
        (LINK_FAR_V4, LINK_FAR_V6)
    };
    vec![
        format!("addr add {v4}/32 dev {dev}"),
        format!("addr add {v6}/64 dev {dev} nodad"),
        format!("link set {dev} up"),
    ]
}

fn link_peer(prefix: &str, link: &PeerLink) -> Result<(), LabError> {
    let a = router_ns(prefix, &link.requester);
    let b = router_ns(prefix, &link.accepter);
    run_ip(&[
        "-n", &a, "link", "add", &link.port, "type", "veth", "peer", "name", &link.port, "netns",
        &b,
    ])?;
    batch(&a, &link_lines(&link.port, true))?;
    batch(&b, &link_lines(&link.port, false))
}

fn unlink_peer(prefix: &str, link: &PeerLink) {
    let _ = run_ip(&[
        "-n",
        &router_ns(prefix, &link.requester),
        "link",
        "del",
        &link.port,
    ]);
}

/// One instance interface: the veth pair, the router end (the subnet's router address and
/// `fe80::1`) and the instance end (its addresses without an on-link prefix, so even the
/// same subnet is reached through the router; the gateway as the default route, or as the
/// route of the interface's own addresses on a secondary interface).
fn wire_nic(prefix: &str, ns: &str, nic: &Nic) -> Result<(), LabError> {
    let rns = router_ns(prefix, &nic.vpc);
    run_ip(&[
        "-n",
        &rns,
        "link",
        "add",
        &nic.port,
        "type",
        "veth",
        "peer",
        "name",
        &nic.ifname,
        "netns",
        ns,
    ])?;
    let mut router = Vec::new();
    if let Some(gw) = nic.gateway_v4 {
        router.push(format!("addr add {gw}/32 dev {}", nic.port));
    }
    router.push(format!("addr add {LINK_NEAR_V6}/64 dev {} nodad", nic.port));
    router.push(format!("link set {} up", nic.port));
    let dev = &nic.ifname;
    let mut inst = vec!["link set lo up".to_owned(), format!("link set {dev} up")];
    for a in &nic.v4 {
        inst.push(format!("addr add {a} dev {dev} noprefixroute"));
    }
    for a in &nic.v6 {
        inst.push(format!("addr add {a}/128 dev {dev} nodad"));
    }
    let table = if nic.device_index == 0 {
        "main".to_owned()
    } else {
        (200 + nic.device_index).to_string()
    };
    if let Some(gw) = nic.gateway_v4 {
        inst.push(format!("route add {gw} dev {dev} table {table}"));
        inst.push(format!(
            "route add 0.0.0.0/0 via {gw} dev {dev} table {table}"
        ));
    }
    if !nic.v6.is_empty() {
        inst.push(format!(
            "route add ::/0 via {LINK_NEAR_V6} dev {dev} table {table}"
        ));
    }
    if nic.device_index != 0 {
        for a in super::plan::nic_addrs(nic) {
            let f = if a.is_ipv6() { "-6 " } else { "" };
            inst.push(format!("{f}rule add from {a} lookup {table} pref 100"));
        }
    }
    batch(&rns, &router)?;
    batch(ns, &inst)
}

/// A namespace with loopback up, no DAD wait, and forwarding when it routes.
fn new_ns(ns: &str, routes: bool) -> Result<(), LabError> {
    run_ip(&["netns", "add", ns])?;
    let mut sysctls = vec![
        "net.ipv6.conf.all.accept_dad=0",
        "net.ipv6.conf.default.accept_dad=0",
    ];
    if routes {
        sysctls.extend([
            "net.ipv4.ip_forward=1",
            "net.ipv6.conf.all.forwarding=1",
            "net.ipv4.conf.all.rp_filter=0",
            "net.ipv4.conf.default.rp_filter=0",
            // EC2's default UDP stream timeout (Linux: 120 s); the others already match
            // ("Idle connection tracking timeout", EC2 UG).
            "net.netfilter.nf_conntrack_udp_timeout_stream=180",
        ]);
    } else {
        // An instance that forwards sends no redirects: the VPC's router, not the
        // instance, decides where traffic goes next (set before its interfaces exist,
        // which take `default`).
        sysctls.extend([
            "net.ipv4.conf.all.send_redirects=0",
            "net.ipv4.conf.default.send_redirects=0",
        ]);
    }
    let mut args = vec!["netns", "exec", ns, "sysctl", "-qw"];
    args.extend(sysctls);
    run_ip(&args)?;
    batch(ns, &["link set lo up".to_owned()])
}

/// An instance that forwards (its source/destination check off) or stops forwarding.
fn set_forwarding(ns: &str, on: bool) -> Result<(), LabError> {
    let v = u8::from(on);
    let sysctls = [
        format!("net.ipv4.ip_forward={v}"),
        format!("net.ipv6.conf.all.forwarding={v}"),
    ];
    let mut args = vec!["netns", "exec", ns, "sysctl", "-qw"];
    args.extend(sysctls.iter().map(String::as_str));
    run_ip(&args)
}

/// Kills the namespace's processes, then deletes it (and with it its links).
fn remove_ns(ns: &str) {
    if let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() {
        for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            let _ = Command::new("kill").args(["-9", pid]).status();
        }
    }
    let _ = Command::new("ip").args(["netns", "del", ns]).status();
}

/// Removes every namespace named `PREFIX-…` with its processes.
pub fn clean(prefix: &str) -> Result<(), LabError> {
    let out = Command::new("ip")
        .args(["netns", "list"])
        .output()
        .map_err(|source| LabError::Spawn {
            program: "ip".into(),
            source,
        })?;
    let want = format!("{prefix}-");
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        if name.starts_with(&want) {
            remove_ns(name);
        }
    }
    Ok(())
}

/// The namespaces named `PREFIX-…` that exist now.
pub fn existing(prefix: &str) -> Vec<String> {
    let want = format!("{prefix}-");
    Command::new("ip")
        .args(["netns", "list"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter_map(|l| l.split_whitespace().next())
                .filter(|n| n.starts_with(&want))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn batch(ns: &str, lines: &[String]) -> Result<(), LabError> {
    run_batch(ns, lines, false)
}

/// A batch whose single failures (a route already gone with its device) do not stop it.
fn batch_force(ns: &str, lines: &[String]) -> Result<(), LabError> {
    run_batch(ns, lines, true)
}

/// `ip -batch` lines take no options, so lines starting `-6 ` go to a second `ip -6` batch.
fn run_batch(ns: &str, lines: &[String], force: bool) -> Result<(), LabError> {
    let (six, four): (Vec<&String>, Vec<&String>) =
        lines.iter().partition(|l| l.starts_with("-6 "));
    if !four.is_empty() {
        let four: Vec<String> = four.into_iter().cloned().collect();
        run_one_batch(ns, None, &four, force)?;
    }
    if !six.is_empty() {
        let six: Vec<String> = six.iter().map(|l| l["-6 ".len()..].to_owned()).collect();
        run_one_batch(ns, Some("-6"), &six, force)?;
    }
    Ok(())
}

fn run_one_batch(
    ns: &str,
    family: Option<&str>,
    lines: &[String],
    force: bool,
) -> Result<(), LabError> {
    let mut args = vec!["-n", ns];
    args.extend(family);
    if force {
        args.push("-force");
    }
    args.extend(["-batch", "-"]);
    let mut child = Command::new("ip")
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| LabError::Spawn {
            program: "ip".into(),
            source,
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        let text = lines.join("\n") + "\n";
        stdin
            .write_all(text.as_bytes())
            .map_err(|source| LabError::Spawn {
                program: "ip".into(),
                source,
            })?;
    }
    let out = child.wait_with_output().map_err(|source| LabError::Spawn {
        program: "ip".into(),
        source,
    })?;
    if !out.status.success() && !force {
        return Err(LabError::Command {
            command: format!("ip -n {ns} -batch ({})", lines.join("; ")),
            status: out.status.code().map_or("signal".into(), |c| c.to_string()),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(())
}

fn run_ip(args: &[&str]) -> Result<(), LabError> {
    let out = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| LabError::Spawn {
            program: "ip".into(),
            source,
        })?;
    if !out.status.success() {
        return Err(LabError::Command {
            command: format!("ip {}", args.join(" ")),
            status: out.status.code().map_or("signal".into(), |c| c.to_string()),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(())
}

/// Starts `script` as `sh` inside an instance's namespace, detached, its output appended to
/// `log` (EC2 runs `UserData` once, at first boot, as root).
pub fn spawn_user_data(
    prefix: &str,
    instance: &InstanceId,
    script: &[u8],
    log: &std::path::Path,
) -> Result<(), LabError> {
    let spawn = |source| LabError::Spawn {
        program: "sh".into(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(spawn)?;
    let err = file.try_clone().map_err(spawn)?;
    let mut child = Command::new("ip")
        .args([
            "netns",
            "exec",
            &instance_ns(prefix, instance),
            "setsid",
            "sh",
            "-s",
        ])
        .stdin(Stdio::piped())
        .stdout(file)
        .stderr(err)
        .spawn()
        .map_err(spawn)?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(script).map_err(spawn)?;
    }
    // Reaped by a thread so a long-running script leaves no zombie.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

/// Per-interface counters of a router's ruleset: packets judged by the groups and packets
/// the groups dropped, for each direction (`nft list table` in the router's namespace).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    pub egress_judged: u64,
    pub egress_dropped: u64,
    pub ingress_judged: u64,
    pub ingress_dropped: u64,
}

/// Reads the counters of `eni` from its router.
pub fn counters(
    prefix: &str,
    vpc: &VpcId,
    eni: &palisade_model::EniId,
) -> Result<Counters, LabError> {
    let ns = router_ns(prefix, vpc);
    let mut c = Counters::default();
    for dir in ["out", "in"] {
        let chain = format!("{}_{dir}", eni.as_str().replace('-', "_"));
        let out = Command::new("ip")
            .args([
                "netns",
                "exec",
                &ns,
                "nft",
                "list",
                "chain",
                "inet",
                crate::ruleset::TABLE,
                &chain,
            ])
            .output()
            .map_err(|source| LabError::Spawn {
                program: "nft".into(),
                source,
            })?;
        let text = String::from_utf8_lossy(&out.stdout);
        let counts: Vec<u64> = text
            .lines()
            .filter_map(|l| {
                let rest = l.split("counter packets ").nth(1)?;
                rest.split_whitespace().next()?.parse().ok()
            })
            .collect();
        let (j, d) = (
            counts.first().copied().unwrap_or(0),
            counts.last().copied().unwrap_or(0),
        );
        if dir == "out" {
            c.egress_judged = j;
            c.egress_dropped = d;
        } else {
            c.ingress_judged = j;
            c.ingress_dropped = d;
        }
    }
    Ok(c)
}
