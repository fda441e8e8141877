//! Paths from the internet to an interface, per address family, as EC2 builds them: an
//! internet gateway attached to the interface's VPC, the route table that applies to its
//! subnet (the explicit association, else the VPC's main table) with an active route to
//! that gateway, and an address the internet can send to (a public IPv4 or Elastic IP
//! address; a global IPv6 address). Security groups come after the path; this module only
//! says whether the path exists, and which link is missing when it does not ("Enable
//! internet access for a VPC using an internet gateway", VPC UG).
//!
//! The route that carries the reply decides which internet addresses can really talk to the
//! interface: routes are matched longest prefix first (a prefix list's entries each count
//! as a route), so `0.0.0.0/0 → igw` with `52.0.0.0/8 → pcx` reaches everything but
//! `52.0.0.0/8`. A route to a gateway that is gone or attached elsewhere is a blackhole: it
//! still wins the match, and carries nothing.
//!
//! A VPC with no route table in the snapshot has unknown routing (describe JSON from before
//! `describe-route-tables` was read); its interfaces get [`PathState::Unknown`] and the
//! analyses judge them as before, by their rules alone. Only a missing address of the
//! family is known without routing state.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use palisade_model::{
    AddressFamily, AllocationId, Eni, InternetGatewayId, RouteDestination, RouteTable,
    RouteTableId, RouteTarget, Snapshot, SubnetId, VpcId,
};

use crate::space::{AddrSet, non_internet};

/// An existing path from the internet to one interface in one family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternetPath {
    pub gateway: InternetGatewayId,
    pub route_table: RouteTableId,
    /// True when the table applies as the VPC's main table (no explicit association).
    pub main: bool,
    /// The active routes to the gateway that carry internet traffic (longest prefix
    /// first), e.g. `0.0.0.0/0`.
    pub routes: Vec<RouteDestination>,
    /// The interface's public IPv4 address or first global IPv6 address.
    pub address: IpAddr,
    /// The Elastic IP address's allocation, when the IPv4 address is one.
    pub elastic_ip: Option<AllocationId>,
    /// The internet addresses whose traffic the routes send back through the gateway.
    pub reach: AddrSet,
}

/// A link missing from the path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum MissingLink {
    /// No address of the family at all (e.g. an `::/0` rule on an interface without IPv6,
    /// one AssignIpv6Addresses away from real).
    NoAddress(AddressFamily),
    /// IPv4 addresses, none public (no public IPv4 and no Elastic IP).
    NoPublicAddress,
    /// IPv6 addresses, none global (unique-local or link-local only).
    NoGlobalAddress,
    /// No internet gateway attached to the VPC.
    NoGateway(VpcId),
    /// The subnet's route table (if any) has no active route to the attached gateway for
    /// the family's internet.
    NoRoute {
        route_table: Option<RouteTableId>,
        gateway: InternetGatewayId,
    },
}

/// Why a path cannot be judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnknownPath {
    /// The snapshot has no route table for the VPC.
    NoRoutingState(VpcId),
    /// The interface's subnet is not in the input.
    NoSubnet,
}

/// The path from the internet to one interface in one family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathState {
    Open(InternetPath),
    /// Not reachable now; every missing link, sorted.
    Latent(Vec<MissingLink>),
    /// No routing state: judged by the rules alone, as if open.
    Unknown(UnknownPath),
}

impl PathState {
    /// True when the internet may reach the interface: an open path, or an unknown one
    /// (the rule-only judgement).
    pub fn admits(&self) -> bool {
        !matches!(self, Self::Latent(_))
    }

    /// The internet addresses that can reach the interface (`internet` when unknown).
    pub fn reach<'a>(&'a self, internet: &'a AddrSet) -> Option<&'a AddrSet> {
        match self {
            Self::Open(p) => Some(&p.reach),
            Self::Unknown(_) => Some(internet),
            Self::Latent(_) => None,
        }
    }
}

impl fmt::Display for InternetPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let routes: Vec<String> = self.routes.iter().map(ToString::to_string).collect();
        write!(
            f,
            "{} -> {}{} ({}) -> {}",
            self.gateway,
            self.route_table,
            if self.main { " (main)" } else { "" },
            routes.join(", "),
            self.address
        )?;
        if let Some(a) = &self.elastic_ip {
            write!(f, " ({a})")?;
        }
        Ok(())
    }
}

impl fmt::Display for MissingLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoAddress(AddressFamily::Ipv4) => f.write_str("no IPv4 address"),
            Self::NoAddress(AddressFamily::Ipv6) => f.write_str("no IPv6 address"),
            Self::NoPublicAddress => f.write_str("no public IPv4 or Elastic IP address"),
            Self::NoGlobalAddress => f.write_str("no global IPv6 address"),
            Self::NoGateway(v) => write!(f, "no internet gateway attached to {v}"),
            Self::NoRoute {
                route_table: Some(t),
                gateway,
            } => write!(f, "no active route in {t} to {gateway}"),
            Self::NoRoute {
                route_table: None,
                gateway,
            } => write!(
                f,
                "no route table applies to the subnet (none to {gateway})"
            ),
        }
    }
}

impl fmt::Display for UnknownPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoRoutingState(v) => {
                write!(f, "path unknown: no route tables for {v} in the input")
            }
            Self::NoSubnet => {
                f.write_str("path unknown: the interface's subnet is not in the input")
            }
        }
    }
}

impl fmt::Display for PathState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Open(p) => write!(f, "{p}"),
            Self::Latent(missing) => {
                let m: Vec<String> = missing.iter().map(ToString::to_string).collect();
                write!(f, "latent: {}", m.join(", "))
            }
            Self::Unknown(u) => write!(f, "{u}"),
        }
    }
}

/// Both families' paths of every interface.
pub(crate) fn compute<'s>(
    snapshot: &'s Snapshot,
    internet: &AddrSet,
) -> HashMap<&'s palisade_model::EniId, [PathState; 2]> {
    let mut ctx = Ctx {
        snapshot,
        internet,
        non_internet: non_internet(),
        routed: HashMap::new(),
    };
    snapshot
        .enis
        .values()
        .map(|eni| {
            let v4 = ctx.path(eni, AddressFamily::Ipv4);
            let v6 = ctx.path(eni, AddressFamily::Ipv6);
            (&eni.id, [v4, v6])
        })
        .collect()
}

/// A table's routing of one family to one gateway: the addresses and the routes.
type Routed = (AddrSet, Vec<RouteDestination>);

struct Ctx<'s, 'a> {
    snapshot: &'s Snapshot,
    internet: &'a AddrSet,
    non_internet: AddrSet,
    routed: HashMap<(&'s RouteTableId, AddressFamily), Routed>,
}

impl<'s> Ctx<'s, '_> {
    fn path(&mut self, eni: &'s Eni, family: AddressFamily) -> PathState {
        let address = self.address(eni, family);
        let snap = self.snapshot;
        if let Err(MissingLink::NoAddress(_)) = address {
            return PathState::Latent(vec![MissingLink::NoAddress(family)]);
        }
        if !snap.route_tables.values().any(|t| t.vpc_id == eni.vpc_id) {
            return PathState::Unknown(UnknownPath::NoRoutingState(eni.vpc_id.clone()));
        }
        let Some(subnet) = eni.subnet_id.as_ref() else {
            return PathState::Unknown(UnknownPath::NoSubnet);
        };
        let mut missing = Vec::new();
        let gateway = snap
            .internet_gateways
            .values()
            .find(|g| g.vpc.as_ref() == Some(&eni.vpc_id));
        let mut via = None;
        match gateway {
            None => missing.push(MissingLink::NoGateway(eni.vpc_id.clone())),
            Some(g) => {
                let table = table_of(snap, &eni.vpc_id, subnet);
                let routed = table.map(|(t, _)| self.routed(t, family, &g.id));
                match (table, routed) {
                    (Some((t, main)), Some((reach, routes))) if !reach.is_empty() => {
                        via = Some((g.id.clone(), t.id.clone(), main, reach, routes));
                    }
                    (t, _) => missing.push(MissingLink::NoRoute {
                        route_table: t.map(|(t, _)| t.id.clone()),
                        gateway: g.id.clone(),
                    }),
                }
            }
        }
        if let Err(m) = &address {
            missing.push(m.clone());
        }
        match (address, via) {
            (Ok((address, elastic_ip)), Some((gateway, route_table, main, reach, routes)))
                if missing.is_empty() =>
            {
                PathState::Open(InternetPath {
                    gateway,
                    route_table,
                    main,
                    routes,
                    address,
                    elastic_ip,
                    reach,
                })
            }
            _ => {
                missing.sort();
                PathState::Latent(missing)
            }
        }
    }

    /// The interface's internet-facing address of the family.
    fn address(
        &self,
        eni: &Eni,
        family: AddressFamily,
    ) -> Result<(IpAddr, Option<AllocationId>), MissingLink> {
        match family {
            AddressFamily::Ipv4 => {
                let eip = self
                    .snapshot
                    .addresses
                    .values()
                    .find(|a| a.association.as_ref().is_some_and(|x| x.eni == eni.id));
                match (eni.public_ipv4, eip) {
                    (_, Some(a)) => Ok((
                        IpAddr::V4(eni.public_ipv4.unwrap_or(a.public_ip)),
                        Some(a.allocation_id.clone()),
                    )),
                    (Some(ip), None) => Ok((IpAddr::V4(ip), None)),
                    (None, None) if eni.private_ipv4.is_empty() => {
                        Err(MissingLink::NoAddress(family))
                    }
                    (None, None) => Err(MissingLink::NoPublicAddress),
                }
            }
            AddressFamily::Ipv6 => {
                if eni.ipv6.is_empty() {
                    return Err(MissingLink::NoAddress(family));
                }
                eni.ipv6
                    .iter()
                    .map(|a| IpAddr::V6(*a))
                    .find(|a| !self.non_internet.contains(*a))
                    .map(|a| (a, None))
                    .ok_or(MissingLink::NoGlobalAddress)
            }
        }
    }

    fn routed(
        &mut self,
        table: &'s RouteTable,
        family: AddressFamily,
        gateway: &InternetGatewayId,
    ) -> (AddrSet, Vec<RouteDestination>) {
        let snap = self.snapshot;
        let internet = self.internet.family(family);
        self.routed
            .entry((&table.id, family))
            .or_insert_with(|| route_to_gateway(snap, table, family, gateway, &internet))
            .clone()
    }
}

/// The table that applies to a subnet: its explicit association, else the VPC's main table.
fn table_of<'s>(
    snap: &'s Snapshot,
    vpc: &VpcId,
    subnet: &SubnetId,
) -> Option<(&'s RouteTable, bool)> {
    let tables = || snap.route_tables.values().filter(|t| &t.vpc_id == vpc);
    if let Some(t) = tables().find(|t| t.subnets.iter().any(|(_, s)| s == subnet)) {
        return Some((t, false));
    }
    tables().find(|t| t.main.is_some()).map(|t| (t, true))
}

/// Longest-prefix match over the table's routes of one family (local routes included): the
/// internet addresses whose best route is an active route to `gateway`, and those routes.
fn route_to_gateway(
    snap: &Snapshot,
    table: &RouteTable,
    family: AddressFamily,
    gateway: &InternetGatewayId,
    internet: &AddrSet,
) -> Routed {
    let of_family = |n: &IpNet| match family {
        AddressFamily::Ipv4 => n.addr().is_ipv4(),
        AddressFamily::Ipv6 => n.addr().is_ipv6(),
    };
    // (net, carries to the gateway, the route's destination)
    let mut routes: Vec<(IpNet, bool, Option<&RouteDestination>)> = Vec::new();
    if let Some(v) = snap.vpcs.get(&table.vpc_id) {
        let local = v
            .cidrs_v4
            .iter()
            .map(|n| IpNet::V4(*n))
            .chain(v.cidrs_v6.iter().map(|n| IpNet::V6(*n)));
        routes.extend(local.map(|n| (n, false, None)));
    }
    for r in &table.routes {
        // "Route tables": a route to an internet gateway is active while the gateway is
        // attached to the table's VPC, else a blackhole.
        let to_gateway = matches!(&r.target, RouteTarget::Gateway(g) if g == gateway)
            && snap
                .internet_gateways
                .get(gateway)
                .is_some_and(|g| g.vpc.as_ref() == Some(&table.vpc_id));
        match &r.destination {
            RouteDestination::PrefixList(pl) => {
                let entries = snap.prefix_lists.get(pl).map(|p| p.entries.as_slice());
                for e in entries.unwrap_or_default() {
                    routes.push((e.cidr, to_gateway, Some(&r.destination)));
                }
            }
            d => {
                if let Some(n) = d.cidr() {
                    routes.push((n, to_gateway, Some(d)));
                }
            }
        }
    }
    routes.retain(|(n, _, _)| of_family(n));
    routes.sort_by_key(|r| std::cmp::Reverse(r.0.prefix_len()));
    let mut claimed = AddrSet::empty();
    let mut reach = AddrSet::empty();
    let mut carrying: Vec<RouteDestination> = Vec::new();
    for (net, to_gateway, dest) in routes {
        let set = AddrSet::from_net(net);
        let won = set.difference(&claimed).intersect(internet);
        if to_gateway && !won.is_empty() {
            reach.union_in_place(&won);
            if let Some(d) = dest
                && !carrying.contains(d)
            {
                carrying.push(d.clone());
            }
        }
        claimed.union_in_place(&set);
    }
    (reach, carrying)
}
