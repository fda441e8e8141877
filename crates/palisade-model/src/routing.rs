//! Where traffic goes around security groups: route tables and their routes and
//! associations, internet gateways, Elastic IP addresses and network ACLs, as EC2 reports
//! them. Routes and ACLs are state only (nothing here forwards or filters a packet); an
//! Elastic IP sets its interface's public IPv4 address, which the engine and analysis read.
//!
//! A route table's `local` routes and a default ACL's entries are not stored: they follow
//! the VPC's CIDR blocks at read time (`AccountState::route_table_view`).

use std::net::Ipv4Addr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::ids::{
    AccountId, AddressAssociationId, AllocationId, EniId, InstanceId, InternetGatewayId,
    NetworkAclAssociationId, NetworkAclId, PeeringId, PrefixListId, RouteTableAssociationId,
    RouteTableId, SubnetId, VpcId,
};
use crate::network::Tag;

/// Where a route sends traffic to: one of `DestinationCidrBlock`,
/// `DestinationIpv6CidrBlock`, `DestinationPrefixListId`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RouteDestination {
    Ipv4(Ipv4Net),
    Ipv6(Ipv6Net),
    PrefixList(PrefixListId),
}

impl RouteDestination {
    /// The destination's CIDR, when it is one.
    pub fn cidr(&self) -> Option<IpNet> {
        match self {
            Self::Ipv4(n) => Some(IpNet::V4(*n)),
            Self::Ipv6(n) => Some(IpNet::V6(*n)),
            Self::PrefixList(_) => None,
        }
    }
}

impl std::fmt::Display for RouteDestination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ipv4(n) => write!(f, "{n}"),
            Self::Ipv6(n) => write!(f, "{n}"),
            Self::PrefixList(p) => write!(f, "{p}"),
        }
    }
}

/// A route's target (the `local` target is the VPC's own and never stored).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RouteTarget {
    Gateway(InternetGatewayId),
    Peering(PeeringId),
    Instance(InstanceId),
    Eni(EniId),
}

/// How a route came to be (`Origin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteOrigin {
    /// Made with the table (the `local` routes).
    CreateRouteTable,
    /// Added by CreateRoute or ReplaceRoute (or by EC2 for the default VPC's internet
    /// route).
    CreateRoute,
}

impl RouteOrigin {
    pub fn aws_name(self) -> &'static str {
        match self {
            Self::CreateRouteTable => "CreateRouteTable",
            Self::CreateRoute => "CreateRoute",
        }
    }
}

/// A stored (non-local) route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub destination: RouteDestination,
    pub target: RouteTarget,
}

/// A route table of a VPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTable {
    pub id: RouteTableId,
    pub vpc_id: VpcId,
    pub owner: AccountId,
    /// The VPC's main association, when this is its main table.
    pub main: Option<RouteTableAssociationId>,
    /// Explicit subnet associations.
    pub subnets: Vec<(RouteTableAssociationId, SubnetId)>,
    pub routes: Vec<Route>,
    pub tags: Vec<Tag>,
}

/// A route as DescribeRouteTables reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteView {
    pub destination: RouteDestination,
    /// `None` for a `local` route.
    pub target: Option<RouteTarget>,
    /// The interface an instance target resolves to, or the instance an interface target
    /// is attached to.
    pub instance: Option<InstanceId>,
    pub eni: Option<EniId>,
    pub origin: RouteOrigin,
    /// `false`: `blackhole` (the target is gone, detached or not active).
    pub active: bool,
}

/// A route table with its routes as they read now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTableView {
    pub table: RouteTable,
    pub routes: Vec<RouteView>,
}

/// An internet gateway; attached to at most one VPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternetGateway {
    pub id: InternetGatewayId,
    pub owner: AccountId,
    pub vpc: Option<VpcId>,
    pub tags: Vec<Tag>,
}

/// An Elastic IP address's association with a private address of an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressAssociation {
    pub id: AddressAssociationId,
    pub eni: EniId,
    pub private_ip: Ipv4Addr,
}

/// An Elastic IP address (domain `vpc`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElasticIp {
    pub allocation_id: AllocationId,
    pub owner: AccountId,
    pub public_ip: Ipv4Addr,
    pub association: Option<AddressAssociation>,
    pub tags: Vec<Tag>,
}

/// An Elastic IP address with the instance its interface is attached to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressView {
    pub address: ElasticIp,
    pub instance: Option<InstanceId>,
    pub region: String,
}

/// A network ACL. Only each VPC's default ACL exists (ACL mutations are not emulated), so
/// its entries and associations are derived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkAcl {
    pub id: NetworkAclId,
    pub vpc_id: VpcId,
    pub owner: AccountId,
    pub is_default: bool,
    pub tags: Vec<Tag>,
}

/// One entry of a network ACL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclEntry {
    pub rule_number: u32,
    pub egress: bool,
    pub allow: bool,
    pub cidr: IpNet,
}

/// A network ACL with its entries and subnet associations as they read now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkAclView {
    pub acl: NetworkAcl,
    pub entries: Vec<AclEntry>,
    pub associations: Vec<(NetworkAclAssociationId, SubnetId)>,
}

impl NetworkAclView {
    /// The entries of a default ACL as EC2 creates it: rule 100 allows everything and rule
    /// `*` (32767) denies everything, each direction, and the same pair for `::/0` (101,
    /// 32768) when the VPC has an IPv6 block ("Default network ACL", VPC UG).
    pub fn default_entries(ipv6: bool) -> Vec<AclEntry> {
        let mut cidrs: Vec<IpNet> = vec!["0.0.0.0/0".parse().expect("literal CIDR is valid")];
        if ipv6 {
            cidrs.push("::/0".parse().expect("literal CIDR is valid"));
        }
        let mut out = Vec::new();
        for egress in [true, false] {
            for (rule_number, allow) in [(100, true), (32767, false)] {
                for cidr in &cidrs {
                    out.push(AclEntry {
                        // The IPv6 pair is 101 and 32768.
                        rule_number: rule_number + u32::from(cidr.addr().is_ipv6()),
                        egress,
                        allow,
                        cidr: *cidr,
                    });
                }
            }
        }
        out
    }
}
