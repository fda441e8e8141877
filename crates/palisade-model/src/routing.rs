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
    /// A target kept as described but never followed (see [`OtherTarget`]).
    Other(OtherTarget),
}

/// The route targets EC2 has and palisade does not model: kept so that real
/// `describe-route-tables` output imports and exports unchanged, and treated by analysis as
/// what they are for inbound traffic — not an internet gateway (a NAT gateway or an
/// egress-only internet gateway carries connections out, never in).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OtherTarget {
    kind: OtherTargetKind,
    id: String,
}

/// What an [`OtherTarget`] is, told by its id's prefix as EC2 spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OtherTargetKind {
    NatGateway,
    TransitGateway,
    /// A virtual private gateway (`vgw-`, given as `GatewayId`).
    VpnGateway,
    EgressOnlyInternetGateway,
    /// A gateway VPC endpoint (`vpce-`, given as `GatewayId`).
    VpcEndpoint,
    CarrierGateway,
    LocalGateway,
    /// A Cloud WAN core network (an ARN, `CoreNetworkArn`).
    CoreNetwork,
}

impl OtherTargetKind {
    /// The kind and its describe field, by id prefix.
    const PREFIXES: [(&'static str, Self); 8] = [
        ("nat-", Self::NatGateway),
        ("tgw-", Self::TransitGateway),
        ("vgw-", Self::VpnGateway),
        ("eigw-", Self::EgressOnlyInternetGateway),
        ("vpce-", Self::VpcEndpoint),
        ("cagw-", Self::CarrierGateway),
        ("lgw-", Self::LocalGateway),
        ("arn:", Self::CoreNetwork),
    ];

    /// The field of a describe-route-tables route (JSON, PascalCase) that names it.
    pub fn aws_field(self) -> &'static str {
        match self {
            Self::NatGateway => "NatGatewayId",
            Self::TransitGateway => "TransitGatewayId",
            Self::VpnGateway | Self::VpcEndpoint => "GatewayId",
            Self::EgressOnlyInternetGateway => "EgressOnlyInternetGatewayId",
            Self::CarrierGateway => "CarrierGatewayId",
            Self::LocalGateway => "LocalGatewayId",
            Self::CoreNetwork => "CoreNetworkArn",
        }
    }

    /// What it is, in words.
    pub fn describe(self) -> &'static str {
        match self {
            Self::NatGateway => "NAT gateway",
            Self::TransitGateway => "transit gateway",
            Self::VpnGateway => "virtual private gateway",
            Self::EgressOnlyInternetGateway => "egress-only internet gateway",
            Self::VpcEndpoint => "gateway VPC endpoint",
            Self::CarrierGateway => "carrier gateway",
            Self::LocalGateway => "local gateway",
            Self::CoreNetwork => "core network",
        }
    }
}

impl OtherTarget {
    /// The longest id kept (an ARN is the longest EC2 spells).
    const MAX_ID: usize = 256;

    /// The target with this id, when its prefix names a kind palisade keeps.
    pub fn parse(id: &str) -> Option<Self> {
        let (_, kind) = OtherTargetKind::PREFIXES
            .iter()
            .find(|(prefix, _)| id.len() > prefix.len() && id.starts_with(prefix))?;
        let clean = id.len() <= Self::MAX_ID
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-:/_.".contains(&b));
        clean.then(|| Self {
            kind: *kind,
            id: id.to_owned(),
        })
    }

    pub fn kind(&self) -> OtherTargetKind {
        self.kind
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

impl std::fmt::Display for OtherTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.id)
    }
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

#[cfg(test)]
mod other_target_tests {
    use super::{OtherTarget, OtherTargetKind};

    #[test]
    fn other_targets_are_told_by_prefix() {
        let cases = [
            (
                "nat-0a1b2c3d4e5f60718",
                OtherTargetKind::NatGateway,
                "NatGatewayId",
            ),
            (
                "tgw-0123456789abcdef0",
                OtherTargetKind::TransitGateway,
                "TransitGatewayId",
            ),
            (
                "vgw-0123456789abcdef0",
                OtherTargetKind::VpnGateway,
                "GatewayId",
            ),
            (
                "eigw-0123456789abcdef0",
                OtherTargetKind::EgressOnlyInternetGateway,
                "EgressOnlyInternetGatewayId",
            ),
            (
                "vpce-0123456789abcdef0",
                OtherTargetKind::VpcEndpoint,
                "GatewayId",
            ),
            (
                "cagw-0123456789abcdef0",
                OtherTargetKind::CarrierGateway,
                "CarrierGatewayId",
            ),
            (
                "lgw-0123456789abcdef0",
                OtherTargetKind::LocalGateway,
                "LocalGatewayId",
            ),
            (
                "arn:aws:networkmanager::123456789012:core-network/core-network-0123456789abcdef0",
                OtherTargetKind::CoreNetwork,
                "CoreNetworkArn",
            ),
        ];
        for (id, kind, field) in cases {
            let t = OtherTarget::parse(id).unwrap_or_else(|| panic!("{id} parses"));
            assert_eq!((t.kind(), t.kind().aws_field(), t.id()), (kind, field, id));
            assert_eq!(t.to_string(), id);
        }
        for bad in ["igw-0123", "nat-", "local", "", "nat-a b", "sg-0123"] {
            assert_eq!(OtherTarget::parse(bad), None, "{bad}");
        }
        assert_eq!(
            OtherTarget::parse(&format!("nat-{}", "a".repeat(300))),
            None
        );
    }
}
