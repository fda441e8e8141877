//! The lab's desired network, computed from EC2 state alone (pure): which namespaces,
//! links, addresses, routes and rulesets make the state's instances behave as on EC2.
//!
//! Layout (all inside namespaces the lab owns, never the host's):
//! - one **router** namespace per VPC with a running instance (or a gateway or peering that
//!   one needs): every interface of an instance in that VPC is a veth pair whose router end
//!   is a routed port, so every packet, also between two instances of one subnet, crosses the
//!   router and its `table inet palisade` (sender egress at prerouting, receiver ingress at
//!   forward: two independent checks);
//! - one **instance** namespace per running instance, its interfaces `eth<device index>`
//!   holding the interface's private IPv4 and IPv6 addresses, the subnet's router (base + 1)
//!   as gateway, and no on-link prefix (nothing bypasses the router);
//! - routing in each router follows the VPC's route tables: traffic to the VPC's own blocks
//!   is local, unless the table has a route more specific than the local one (a subnet's
//!   block to a middlebox's interface); other traffic uses the route table of the subnet of
//!   the port it entered from (its explicit association, else the main table), so a
//!   peering carries traffic only when both sides' tables route it (the reply needs the
//!   other side's route), and what an appliance forwards follows the appliance's table;
//! - an instance whose source/destination check is off forwards (`ip_forward` in its
//!   namespace) and its primary interface may send from other addresses; otherwise the
//!   router's anti-spoofing drops them and the instance drops what is not addressed to it;
//! - an **internet** namespace linked to each VPC with an attached internet gateway; the
//!   gateway translates each public IPv4 address 1:1 to its private address, statelessly
//!   (as EC2's gateway does, and so that untracked flows work), and routes the VPC's IPv6
//!   blocks.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net};
use palisade_model::account::{AccountState, InstanceState};
use palisade_model::{
    ConntrackConfig, EniId, InstanceId, PeeringId, PeeringStatus, RouteDestination, RouteTableView,
    RouteTarget, Snapshot, VpcId,
};

use crate::interface::LocalInterface;

/// The internet namespace's own addresses: the client side of "from the internet" (the
/// benchmarking range and the documentation prefix, which no VPC or public address uses).
pub const INTERNET_V4: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 10);
pub const INTERNET_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0xffff, 0, 0, 0, 0, 0x10);

/// Link addresses of the point-to-point links between routers and to the internet: /32
/// addresses (no connected route) and explicit link-local IPv6 next hops.
pub(crate) const LINK_NEAR_V4: Ipv4Addr = Ipv4Addr::new(169, 254, 255, 1);
pub(crate) const LINK_FAR_V4: Ipv4Addr = Ipv4Addr::new(169, 254, 255, 2);
pub(crate) const LINK_NEAR_V6: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
pub(crate) const LINK_FAR_V6: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 2);

/// The router's port name towards the internet namespace.
pub(crate) const GATEWAY_PORT: &str = "igw0";

/// An instance as the lab needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabInstance {
    pub id: InstanceId,
    /// The `Name` tag.
    pub name: Option<String>,
    /// Attached interfaces by device index, the primary (0) first.
    pub interfaces: Vec<(u32, EniId)>,
    /// `UserData`, base64 as EC2 keeps it.
    pub user_data: Option<String>,
    /// The primary interface's source/destination check (off: the instance forwards).
    pub source_dest_check: bool,
}

/// What one (account, region) contributes to the lab.
#[derive(Debug, Clone)]
pub struct LabScope {
    pub region: String,
    pub snapshot: Snapshot,
    /// Running instances only.
    pub instances: Vec<LabInstance>,
    /// Every route table with its routes' states.
    pub route_tables: Vec<RouteTableView>,
}

impl LabScope {
    /// Reads what the lab needs from one account's state in one region.
    pub fn from_state(state: &AccountState) -> Self {
        let instances = state
            .instances()
            .values()
            .filter(|i| i.state == InstanceState::Running)
            .map(|i| LabInstance {
                id: i.id.clone(),
                name: i
                    .tags
                    .iter()
                    .find(|t| t.key == "Name")
                    .map(|t| t.value.clone()),
                interfaces: i
                    .interfaces
                    .iter()
                    .map(|a| (a.device_index, a.eni.clone()))
                    .collect(),
                user_data: i.launch.user_data.clone(),
                source_dest_check: i.source_dest_check,
            })
            .collect();
        let snapshot = state.snapshot().clone();
        let route_tables = snapshot
            .route_tables
            .values()
            .map(|t| state.route_table_view(t))
            .collect();
        Self {
            region: state.region().to_owned(),
            snapshot,
            instances,
            route_tables,
        }
    }
}

/// Every scope's state merged by region: ids are unique across a server, so the accounts of
/// one region share one snapshot (a group reference across a peering between accounts then
/// resolves to the other account's interfaces).
#[derive(Debug, Clone, Default)]
pub struct World {
    pub regions: BTreeMap<String, LabScope>,
}

impl World {
    pub fn from_scopes(scopes: impl IntoIterator<Item = LabScope>) -> Self {
        let mut regions: BTreeMap<String, LabScope> = BTreeMap::new();
        for scope in scopes {
            match regions.get_mut(&scope.region) {
                None => {
                    regions.insert(scope.region.clone(), scope);
                }
                Some(into) => {
                    let s = scope.snapshot;
                    let t = &mut into.snapshot;
                    t.vpcs.extend(s.vpcs);
                    t.subnets.extend(s.subnets);
                    t.groups.extend(s.groups);
                    t.enis.extend(s.enis);
                    t.peerings.extend(s.peerings);
                    t.prefix_lists.extend(s.prefix_lists);
                    t.route_tables.extend(s.route_tables);
                    t.internet_gateways.extend(s.internet_gateways);
                    t.addresses.extend(s.addresses);
                    t.network_acls.extend(s.network_acls);
                    into.instances.extend(scope.instances);
                    into.route_tables.extend(scope.route_tables);
                }
            }
        }
        Self { regions }
    }
}

/// One interface of an instance: a veth pair between the instance and its VPC's router.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Nic {
    pub eni: EniId,
    pub vpc: VpcId,
    /// Inside the instance: `eth<device index>`.
    pub ifname: String,
    /// The router's end.
    pub port: String,
    pub device_index: u32,
    /// Private IPv4 addresses (primary first) with the subnet's prefix length.
    pub v4: Vec<Ipv4Net>,
    pub v6: Vec<Ipv6Addr>,
    /// The subnet's router: base + 1 (EC2 "subnet sizing": reserved for the VPC router).
    pub gateway_v4: Option<Ipv4Addr>,
}

/// A running instance: its namespace and interfaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstancePlan {
    pub id: InstanceId,
    pub name: Option<String>,
    pub region: String,
    pub nics: Vec<Nic>,
    pub user_data: Option<String>,
    /// Source/destination check off: the namespace forwards (`ip_forward`), and its
    /// primary interface may send from addresses not its own.
    pub forwards: bool,
}

/// Where a route table sends a destination.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Via {
    /// The internet namespace (an attached internet gateway).
    Gateway,
    /// The peering link's port.
    Peer(String),
    /// An instance's interface (a middlebox): its router port, reached through the
    /// interface's own address.
    Port(String),
    /// A route whose target is gone or not active: dropped, as EC2's `blackhole`.
    Blackhole,
}

/// One route table, as a Linux routing table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Table {
    pub number: u32,
    /// The blocks of the subnets this table applies to.
    pub sources: Vec<IpNet>,
    /// The router ports of the interfaces in those subnets: the table routes what enters
    /// from them (policy rules `iif`).
    pub ports: Vec<String>,
    pub routes: Vec<(IpNet, Via)>,
}

/// One VPC's router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterPlan {
    pub vpc: VpcId,
    pub region: String,
    /// The VPC's blocks: always local.
    pub blocks: Vec<IpNet>,
    /// The instance interfaces in this VPC.
    pub ports: Vec<Nic>,
    pub tables: Vec<Table>,
    /// Public IPv4 → private, when an internet gateway is attached.
    pub nat: Vec<(Ipv4Addr, Ipv4Addr)>,
    pub gateway: bool,
    /// The interfaces whose source/destination check is off (primary interfaces of
    /// instances that forward).
    pub forwarding: BTreeSet<EniId>,
    /// The interfaces with connection-tracking timeouts other than EC2's defaults.
    pub timeouts: Vec<EniTimeouts>,
}

/// One interface's `ConnectionTrackingSpecification`, as the router applies it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct EniTimeouts {
    pub port: String,
    pub addrs: Vec<IpAddr>,
    /// TCP established, UDP stream, UDP (seconds).
    pub tcp_established: u32,
    pub udp_stream: u32,
    pub udp: u32,
}

impl RouterPlan {
    /// The interfaces the router's ruleset enforces.
    pub fn interfaces(&self) -> Vec<LocalInterface> {
        self.ports
            .iter()
            .filter_map(|n| {
                let iface = LocalInterface::new(n.eni.clone(), &n.port).ok()?;
                Some(match self.forwarding.contains(&n.eni) {
                    true => iface.forwarding(),
                    false => iface,
                })
            })
            .collect()
    }
}

/// A peering link between two routers (an active peering whose VPCs both have routers).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PeerLink {
    pub id: PeeringId,
    pub requester: VpcId,
    pub accepter: VpcId,
    /// The port's name, the same in both routers.
    pub port: String,
}

/// The whole lab.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub routers: BTreeMap<VpcId, RouterPlan>,
    pub instances: BTreeMap<InstanceId, InstancePlan>,
    pub peerings: BTreeMap<PeeringId, PeerLink>,
    /// What could not be built, said plainly (an interface without a subnet, …).
    pub warnings: Vec<String>,
}

impl Plan {
    /// The network that makes `world`'s running instances behave as on EC2.
    pub fn compute(world: &World) -> Self {
        let mut plan = Self::default();
        for scope in world.regions.values() {
            plan.add_region(scope);
        }
        // Peerings: active, with both VPCs present in the lab (in any region).
        let mut peerings = BTreeMap::new();
        for scope in world.regions.values() {
            for p in scope.snapshot.peerings.values() {
                if p.status != PeeringStatus::Active
                    || !plan.routers.contains_key(&p.requester_vpc)
                    || !plan.routers.contains_key(&p.accepter_vpc)
                {
                    continue;
                }
                peerings.insert(
                    p.id.clone(),
                    PeerLink {
                        id: p.id.clone(),
                        requester: p.requester_vpc.clone(),
                        accepter: p.accepter_vpc.clone(),
                        port: port_name('p', p.id.as_str()),
                    },
                );
            }
        }
        plan.peerings = peerings;
        // Peering routes whose link does not exist go nowhere.
        let links: BTreeSet<String> = plan.peerings.values().map(|l| l.port.clone()).collect();
        for router in plan.routers.values_mut() {
            for table in &mut router.tables {
                for (_, via) in &mut table.routes {
                    if let Via::Peer(port) = via
                        && !links.contains(port.as_str())
                    {
                        *via = Via::Blackhole;
                    }
                }
            }
        }
        plan
    }

    fn add_region(&mut self, scope: &LabScope) {
        let s = &scope.snapshot;
        for inst in &scope.instances {
            let mut nics = Vec::new();
            for (device, eni_id) in &inst.interfaces {
                let Some(eni) = s.enis.get(eni_id) else {
                    continue;
                };
                let subnet = eni.subnet_id.as_ref().and_then(|id| s.subnets.get(id));
                let Some(subnet) = subnet else {
                    self.warnings
                        .push(format!("{eni_id} has no subnet in the lab: not wired"));
                    continue;
                };
                // An IPv6-only subnet (`Ipv6Native`): no IPv4 address, no IPv4 gateway.
                let cidr_v4 = subnet.cidr_v4;
                nics.push(Nic {
                    eni: eni_id.clone(),
                    vpc: eni.vpc_id.clone(),
                    ifname: format!("eth{device}"),
                    port: port_name('e', eni_id.as_str()),
                    device_index: *device,
                    v4: cidr_v4.map_or_else(Vec::new, |c| {
                        eni.private_ipv4
                            .iter()
                            .filter_map(|a| Ipv4Net::new(*a, c.prefix_len()).ok())
                            .collect()
                    }),
                    v6: eni.ipv6.clone(),
                    gateway_v4: cidr_v4
                        .map(|c| Ipv4Addr::from(u32::from(c.network()).wrapping_add(1))),
                });
            }
            nics.sort_by_key(|n| n.device_index);
            if nics.is_empty() {
                continue;
            }
            let forwards = !inst.source_dest_check;
            for nic in &nics {
                let router = self.router(scope, &nic.vpc);
                router.ports.push(nic.clone());
                // EC2 keeps the check per interface; the model keeps the primary's.
                if forwards && nic.device_index == 0 {
                    router.forwarding.insert(nic.eni.clone());
                }
                let ct = s
                    .enis
                    .get(&nic.eni)
                    .map(|e| e.conntrack)
                    .unwrap_or_default();
                if ct != ConntrackConfig::default() {
                    router.timeouts.push(EniTimeouts {
                        port: nic.port.clone(),
                        addrs: nic_addrs(nic),
                        tcp_established: ct.tcp_established(),
                        udp_stream: ct.udp_stream(),
                        udp: ct.udp(),
                    });
                }
            }
            self.instances.insert(
                inst.id.clone(),
                InstancePlan {
                    id: inst.id.clone(),
                    name: inst.name.clone(),
                    region: scope.region.clone(),
                    nics,
                    user_data: inst.user_data.clone(),
                    forwards,
                },
            );
        }
        // Routing of every router of this region.
        let vpcs: Vec<VpcId> = self
            .routers
            .iter()
            .filter(|(_, r)| r.region == scope.region)
            .map(|(v, _)| v.clone())
            .collect();
        for vpc in vpcs {
            let routing = routing(scope, &vpc);
            let router = self.routers.get_mut(&vpc).expect("listed above");
            router.ports.sort();
            router.timeouts.sort();
            router.blocks = routing.blocks;
            router.tables = routing.tables;
            for table in &mut router.tables {
                table.ports = router
                    .ports
                    .iter()
                    .filter(|n| {
                        nic_addrs(n)
                            .iter()
                            .any(|a| table.sources.iter().any(|s| s.contains(a)))
                    })
                    .map(|n| n.port.clone())
                    .collect();
            }
            router.gateway = routing.gateway;
            if router.gateway {
                router.nat = router
                    .ports
                    .iter()
                    .filter_map(|n| {
                        let eni = s.enis.get(&n.eni)?;
                        Some((eni.public_ipv4?, *eni.private_ipv4.first()?))
                    })
                    .collect();
                router.nat.sort();
            }
        }
    }

    fn router(&mut self, scope: &LabScope, vpc: &VpcId) -> &mut RouterPlan {
        self.routers
            .entry(vpc.clone())
            .or_insert_with(|| RouterPlan {
                vpc: vpc.clone(),
                region: scope.region.clone(),
                blocks: Vec::new(),
                ports: Vec::new(),
                tables: Vec::new(),
                nat: Vec::new(),
                gateway: false,
                forwarding: BTreeSet::new(),
                timeouts: Vec::new(),
            })
    }

    /// The instance namespace names, router namespace names and the internet namespace,
    /// under `prefix`.
    pub fn namespaces(&self, prefix: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .routers
            .keys()
            .map(|v| router_ns(prefix, v))
            .chain(self.instances.keys().map(|i| instance_ns(prefix, i)))
            .collect();
        out.push(internet_ns(prefix));
        out
    }
}

struct Routing {
    blocks: Vec<IpNet>,
    tables: Vec<Table>,
    gateway: bool,
}

/// A VPC's route tables as Linux tables: number 1000 + the table's place among the VPC's
/// tables in id order; each subnet's blocks select its explicit table, else the main one.
fn routing(scope: &LabScope, vpc_id: &VpcId) -> Routing {
    let s = &scope.snapshot;
    let Some(vpc) = s.vpcs.get(vpc_id) else {
        return Routing {
            blocks: Vec::new(),
            tables: Vec::new(),
            gateway: false,
        };
    };
    let blocks: Vec<IpNet> = vpc
        .cidrs_v4
        .iter()
        .map(|n| IpNet::V4(*n))
        .chain(vpc.cidrs_v6.iter().map(|n| IpNet::V6(*n)))
        .collect();
    let gateway = s
        .internet_gateways
        .values()
        .any(|g| g.vpc.as_ref() == Some(vpc_id));
    let mut views: Vec<&RouteTableView> = scope
        .route_tables
        .iter()
        .filter(|t| &t.table.vpc_id == vpc_id)
        .collect();
    views.sort_by(|a, b| a.table.id.cmp(&b.table.id));
    let explicit: BTreeSet<_> = views
        .iter()
        .flat_map(|t| t.table.subnets.iter().map(|(_, s)| s.clone()))
        .collect();
    let mut tables = Vec::new();
    for (n, view) in views.iter().enumerate() {
        let mut subnets: Vec<_> = view.table.subnets.iter().map(|(_, s)| s.clone()).collect();
        if view.table.main.is_some() {
            subnets.extend(
                s.subnets
                    .values()
                    .filter(|sub| &sub.vpc_id == vpc_id && !explicit.contains(&sub.id))
                    .map(|sub| sub.id.clone()),
            );
        }
        let mut sources: Vec<IpNet> = Vec::new();
        for id in &subnets {
            if let Some(sub) = s.subnets.get(id) {
                sources.extend(sub.cidr_v4.map(IpNet::V4));
                sources.extend(sub.cidr_v6.map(IpNet::V6));
            }
        }
        sources.sort();
        let mut routes = Vec::new();
        for r in &view.routes {
            let Some(target) = &r.target else { continue }; // local
            let dests: Vec<IpNet> = match &r.destination {
                RouteDestination::PrefixList(id) => s
                    .prefix_lists
                    .get(id)
                    .map(|l| l.entries.iter().map(|e| e.cidr).collect())
                    .unwrap_or_default(),
                other => other.cidr().into_iter().collect(),
            };
            let via = if !r.active {
                Via::Blackhole
            } else {
                match target {
                    RouteTarget::Gateway(_) => Via::Gateway,
                    RouteTarget::Peering(p) => Via::Peer(port_name('p', p.as_str())),
                    RouteTarget::Instance(_) | RouteTarget::Eni(_) => match &r.eni {
                        Some(eni) => Via::Port(port_name('e', eni.as_str())),
                        None => Via::Blackhole,
                    },
                    // Not emulated: nothing in the lab answers behind such a target.
                    RouteTarget::Other(_) => Via::Blackhole,
                }
            };
            routes.extend(dests.into_iter().map(|d| (d, via.clone())));
        }
        routes.sort();
        tables.push(Table {
            number: 1000 + u32::try_from(n).unwrap_or(0),
            sources,
            ports: Vec::new(),
            routes,
        });
    }
    Routing {
        blocks,
        tables,
        gateway,
    }
}

/// A Linux interface name from a resource id: a letter and the id's last 14 hex digits
/// (15 characters, the kernel's limit).
pub(crate) fn port_name(letter: char, id: &str) -> String {
    let hex = id.rsplit('-').next().unwrap_or(id);
    let tail = &hex[hex.len().saturating_sub(14)..];
    format!("{letter}{tail}")
}

pub fn router_ns(prefix: &str, vpc: &VpcId) -> String {
    format!("{prefix}-{vpc}")
}

pub fn instance_ns(prefix: &str, id: &InstanceId) -> String {
    format!("{prefix}-{id}")
}

pub fn internet_ns(prefix: &str) -> String {
    format!("{prefix}-internet")
}

/// Every address of a nic, for manifests and `why`.
pub fn nic_addrs(nic: &Nic) -> Vec<IpAddr> {
    nic.v4
        .iter()
        .map(|n| IpAddr::V4(n.addr()))
        .chain(nic.v6.iter().map(|a| IpAddr::V6(*a)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_names_fit_the_kernel_limit() {
        assert_eq!(port_name('e', "eni-0123456789abcdef0"), "e3456789abcdef0");
        assert_eq!(port_name('p', "pcx-0123456789abcdef0").len(), 15);
        assert_eq!(port_name('e', "eni-12"), "e12");
    }
}

#[cfg(test)]
mod plan_tests {
    use palisade_model::account::{AccountState, AddressSpec, LaunchOptions, NewInstances};
    use palisade_model::{Quotas, SeqIdGen};

    use super::*;

    fn launched(n: u32) -> (AccountState, Vec<InstanceId>) {
        let mut ids = SeqIdGen::starting_at(1);
        let mut st = AccountState::bootstrap(
            "123456789012".parse().unwrap(),
            "us-east-1",
            Quotas::default(),
            &mut ids,
        );
        let vpc = st.default_vpc().unwrap().id.clone();
        let g = st
            .create_group("web", "d", Some(&vpc), vec![], &mut ids)
            .unwrap();
        let out = st
            .run_instances(
                NewInstances {
                    image_id: "ami-12345678".into(),
                    instance_type: "t3.micro".into(),
                    count: n,
                    subnet_id: None,
                    groups: vec![g],
                    group_names: vec![],
                    addresses: AddressSpec::default(),
                    tags: vec![],
                    launch: LaunchOptions::default(),
                    interfaces: vec![],
                    eni_tags: vec![],
                    associate_public_ip: None,
                },
                &mut ids,
            )
            .unwrap();
        (st, out)
    }

    #[test]
    fn every_running_instance_is_wired_to_its_vpcs_router() {
        let (st, ids) = launched(2);
        let plan = Plan::compute(&World::from_scopes([LabScope::from_state(&st)]));
        assert_eq!(plan.instances.len(), 2);
        assert_eq!(plan.routers.len(), 1, "one VPC, one router");
        let router = plan.routers.values().next().unwrap();
        assert_eq!(router.ports.len(), 2);
        for id in &ids {
            let nic = &plan.instances[id].nics[0];
            assert_eq!(nic.ifname, "eth0");
            assert!(nic.port.len() <= 15);
            let gw = nic.gateway_v4.unwrap();
            assert!(nic.v4[0].contains(&gw), "the gateway is in the subnet");
            assert_eq!(u32::from(gw), u32::from(nic.v4[0].network()) + 1);
        }
        // The default VPC has an attached gateway and a 0.0.0.0/0 route to it; launched
        // instances there get public addresses, each translated to its private one.
        assert!(router.gateway);
        assert_eq!(router.nat.len(), 2);
        let main = &router.tables[0];
        assert!(
            main.routes
                .contains(&("0.0.0.0/0".parse().unwrap(), Via::Gateway))
        );
        assert!(
            !main.sources.is_empty(),
            "the main table serves every default subnet"
        );
        assert!(plan.peerings.is_empty());
    }

    #[test]
    fn terminated_instances_leave_the_plan() {
        let (mut st, ids) = launched(1);
        st.terminate_instances(&ids).unwrap();
        let plan = Plan::compute(&World::from_scopes([LabScope::from_state(&st)]));
        assert!(plan.instances.is_empty());
        assert!(
            plan.routers.is_empty(),
            "no router for a VPC without instances"
        );
    }
}

#[cfg(test)]
mod middlebox_tests {
    use palisade_model::account::{
        AccountState, AddressSpec, InstanceAttribute, LaunchOptions, NewInstances,
    };
    use palisade_model::{Quotas, RouteDestination, RouteTarget, SeqIdGen, SubnetId};

    use super::*;

    fn launch(st: &mut AccountState, subnet: &SubnetId, ids: &mut SeqIdGen) -> InstanceId {
        let new = NewInstances {
            image_id: "ami-12345678".into(),
            instance_type: "t3.micro".into(),
            count: 1,
            subnet_id: Some(subnet.clone()),
            groups: vec![],
            group_names: vec![],
            addresses: AddressSpec::default(),
            tags: vec![],
            launch: LaunchOptions::default(),
            interfaces: vec![],
            eni_tags: vec![],
            associate_public_ip: None,
        };
        st.run_instances(new, ids).unwrap().remove(0)
    }

    #[test]
    fn a_middlebox_route_serves_its_subnets_ports_and_an_appliance_forwards() {
        let mut ids = SeqIdGen::starting_at(1);
        let mut st = AccountState::bootstrap(
            "123456789012".parse().unwrap(),
            "us-east-1",
            Quotas::default(),
            &mut ids,
        );
        let vpc = st.default_vpc().unwrap().id.clone();
        let mut subnets: Vec<_> = st.snapshot().subnets.values().cloned().collect();
        subnets.sort_by_key(|s| s.cidr_v4);
        let [a, b, c] = [0, 1, 2].map(|n| launch(&mut st, &subnets[n].id, &mut ids));
        let eni_of = |st: &AccountState, i: &InstanceId| st.instances()[i].primary_eni.clone();
        let (eni_a, eni_b, eni_c) = (eni_of(&st, &a), eni_of(&st, &b), eni_of(&st, &c));
        let table = st.create_route_table(&vpc, vec![], &mut ids).unwrap();
        st.associate_route_table(&table, &subnets[0].id, &mut ids)
            .unwrap();
        let block_b = subnets[1].cidr_v4.unwrap();
        st.put_route(
            &table,
            RouteDestination::Ipv4(block_b),
            RouteTarget::Eni(eni_c.clone()),
            false,
        )
        .unwrap();
        st.modify_instance(&c, InstanceAttribute::SourceDestCheck(false))
            .unwrap();
        st.set_eni_conntrack(&eni_b, [None, None, Some(45)])
            .unwrap();

        let plan = Plan::compute(&World::from_scopes([LabScope::from_state(&st)]));
        let router = &plan.routers[&vpc];
        let port = |e: &EniId| port_name('e', e.as_str());
        let t = router
            .tables
            .iter()
            .find(|t| t.routes.iter().any(|(d, _)| *d == IpNet::V4(block_b)))
            .expect("the middlebox route's table");
        assert_eq!(t.ports, [port(&eni_a)], "only subnet a's port uses it");
        assert!(
            t.routes
                .contains(&(IpNet::V4(block_b), Via::Port(port(&eni_c))))
        );
        let main = router.tables.iter().find(|x| x.number != t.number).unwrap();
        let mut served = main.ports.clone();
        served.sort();
        let mut want = vec![port(&eni_b), port(&eni_c)];
        want.sort();
        assert_eq!(served, want, "the main table serves b's and c's subnets");
        assert_eq!(router.forwarding, [eni_c.clone()].into());
        assert!(plan.instances[&c].forwards && !plan.instances[&a].forwards);
        let forwarding: Vec<_> = router
            .interfaces()
            .into_iter()
            .filter(LocalInterface::forwards)
            .map(|i| i.eni)
            .collect();
        assert_eq!(forwarding, [eni_c]);
        assert_eq!(router.timeouts.len(), 1);
        assert_eq!(
            (router.timeouts[0].port.as_str(), router.timeouts[0].udp),
            (port(&eni_b).as_str(), 45)
        );
    }
}
