//! What security groups attach to and reference: VPCs, subnets, network interfaces (ENIs),
//! VPC peerings and managed prefix lists.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::error::{Ec2ErrorCode, NetworkError};
use crate::ids::{AccountId, EniId, GroupId, InstanceId, PeeringId, PrefixListId, SubnetId, VpcId};

/// A resource tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// IPv4 or IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AddressFamily {
    Ipv4,
    Ipv6,
}

impl AddressFamily {
    pub fn of(addr: IpAddr) -> Self {
        match addr {
            IpAddr::V4(_) => Self::Ipv4,
            IpAddr::V6(_) => Self::Ipv6,
        }
    }
    /// EC2's spelling in `AddressFamily` (`IPv4`, `IPv6`).
    pub fn aws_name(self) -> &'static str {
        match self {
            Self::Ipv4 => "IPv4",
            Self::Ipv6 => "IPv6",
        }
    }
}

/// A VPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vpc {
    pub id: VpcId,
    pub owner: AccountId,
    pub cidrs_v4: Vec<Ipv4Net>,
    pub cidrs_v6: Vec<Ipv6Net>,
    pub is_default: bool,
    pub tags: Vec<Tag>,
    /// DNS, metrics and tenancy (DescribeVpcAttribute, `InstanceTenancy`).
    pub attributes: VpcAttributes,
}

/// What DescribeVpcAttribute/ModifyVpcAttribute and CreateVpc's `InstanceTenancy` set on a
/// VPC. [`Default`] is a VPC the caller creates: DNS support on, DNS hostnames off ("DNS
/// attributes for your VPC", VPC UG).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VpcAttributes {
    pub dns_support: bool,
    pub dns_hostnames: bool,
    pub network_address_usage_metrics: bool,
    pub tenancy: Tenancy,
}

impl Default for VpcAttributes {
    fn default() -> Self {
        Self {
            dns_support: true,
            dns_hostnames: false,
            network_address_usage_metrics: false,
            tenancy: Tenancy::Default,
        }
    }
}

impl VpcAttributes {
    /// A default VPC's: DNS hostnames on as well ("Default VPCs", VPC UG).
    pub fn default_vpc() -> Self {
        Self {
            dns_hostnames: true,
            ..Self::default()
        }
    }
}

/// `InstanceTenancy` of a VPC (`host` is not accepted for a VPC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tenancy {
    Default,
    Dedicated,
}

impl Tenancy {
    pub fn aws_name(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Dedicated => "dedicated",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "default" => Some(Self::Default),
            "dedicated" => Some(Self::Dedicated),
            _ => None,
        }
    }
}

/// 17 lowercase hex digits that depend only on `parts`: the stable suffix of ids EC2 assigns
/// but Palisade derives instead of storing (CIDR association ids, the DHCP option set).
/// FNV-1a, spelled out so the ids never change with the standard library's hasher.
pub fn stable_suffix(parts: &[&str]) -> String {
    let hash = |seed: u64| {
        let mut h = seed;
        for part in parts {
            for b in part.bytes().chain([0]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        h
    };
    let hi = hash(0xcbf2_9ce4_8422_2325);
    let lo = hash(0x8422_2325_cbf2_9ce4);
    format!("{hi:016x}{:x}", lo & 0xf)
}

impl Vpc {
    /// The association id of one of this VPC's blocks (`vpc-cidr-assoc-…`), stable for
    /// as long as the block stays associated.
    pub fn cidr_association_id(&self, cidr: IpNet) -> String {
        format!(
            "vpc-cidr-assoc-{}",
            stable_suffix(&[self.id.as_str(), &cidr.to_string()])
        )
    }

    /// The block with association id `id`, if this VPC has it.
    pub fn cidr_by_association(&self, id: &str) -> Option<IpNet> {
        self.cidrs_v4
            .iter()
            .map(|c| IpNet::V4(*c))
            .chain(self.cidrs_v6.iter().map(|c| IpNet::V6(*c)))
            .find(|c| self.cidr_association_id(*c) == id)
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        match addr {
            IpAddr::V4(a) => self.cidrs_v4.iter().any(|n| n.contains(&a)),
            IpAddr::V6(a) => self.cidrs_v6.iter().any(|n| n.contains(&a)),
        }
    }
}

/// A subnet of a VPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    pub id: SubnetId,
    pub vpc_id: VpcId,
    pub owner: AccountId,
    /// `None` for an IPv6-only subnet (`Ipv6Native`), whose `cidr_v6` is then set.
    pub cidr_v4: Option<Ipv4Net>,
    pub cidr_v6: Option<Ipv6Net>,
    pub availability_zone: String,
    pub tags: Vec<Tag>,
    /// What ModifySubnetAttribute sets, and whether it is its zone's default subnet.
    pub attributes: SubnetAttributes,
}

impl Subnet {
    /// An IPv6-only subnet (`Ipv6Native`): no IPv4 block, so its interfaces have IPv6
    /// addresses only.
    pub fn ipv6_native(&self) -> bool {
        self.cidr_v4.is_none()
    }

    /// The association id of this subnet's IPv6 block (`subnet-cidr-assoc-…`).
    pub fn ipv6_association_id(&self, cidr: Ipv6Net) -> String {
        subnet_association_id(&self.id, cidr)
    }
}

/// The association id of subnet `id`'s IPv6 block `cidr`.
pub fn subnet_association_id(id: &SubnetId, cidr: Ipv6Net) -> String {
    format!(
        "subnet-cidr-assoc-{}",
        stable_suffix(&[id.as_str(), &cidr.to_string()])
    )
}

/// A subnet's launch and DNS settings (ModifySubnetAttribute). [`Default`] is a subnet the
/// caller creates; a default subnet also maps public addresses ("Default subnets", VPC UG).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SubnetAttributes {
    pub default_for_az: bool,
    pub map_public_ip_on_launch: bool,
    pub assign_ipv6_address_on_creation: bool,
    pub enable_dns64: bool,
    pub hostname_type: HostnameType,
    pub resource_name_dns_a_record: bool,
    pub resource_name_dns_aaaa_record: bool,
}

impl SubnetAttributes {
    /// A default subnet's.
    pub fn default_subnet() -> Self {
        Self {
            default_for_az: true,
            map_public_ip_on_launch: true,
            ..Self::default()
        }
    }
}

/// `PrivateDnsNameOptionsOnLaunch.HostnameType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HostnameType {
    #[default]
    IpName,
    ResourceName,
}

impl HostnameType {
    pub fn aws_name(self) -> &'static str {
        match self {
            Self::IpName => "ip-name",
            Self::ResourceName => "resource-name",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ip-name" => Some(Self::IpName),
            "resource-name" => Some(Self::ResourceName),
            _ => None,
        }
    }
}

/// Idle timeouts of tracked connections on one interface, in seconds, with EC2's ranges and
/// defaults ("Security group connection tracking", `ConnectionTrackingSpecification`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConntrackConfig {
    tcp_established: u32,
    udp_stream: u32,
    udp: u32,
}

impl Default for ConntrackConfig {
    fn default() -> Self {
        Self {
            tcp_established: 432_000,
            udp_stream: 180,
            udp: 30,
        }
    }
}

impl ConntrackConfig {
    pub const TCP_ESTABLISHED_RANGE: (u32, u32) = (60, 432_000);
    pub const UDP_STREAM_RANGE: (u32, u32) = (60, 180);
    pub const UDP_RANGE: (u32, u32) = (30, 60);

    /// Validates each timeout against EC2's range; `None` takes the default.
    pub fn new(
        tcp_established: Option<u32>,
        udp_stream: Option<u32>,
        udp: Option<u32>,
    ) -> Result<Self, NetworkError> {
        let d = Self::default();
        let check = |name: &str, v: Option<u32>, default: u32, (lo, hi): (u32, u32)| match v {
            None => Ok(default),
            Some(v) if (lo..=hi).contains(&v) => Ok(v),
            Some(v) => Err(NetworkError::new(
                Ec2ErrorCode::InvalidParameterValue,
                format!("{name} ({v}) is out of range {lo}..={hi}"),
            )),
        };
        Ok(Self {
            tcp_established: check(
                "TcpEstablishedTimeout",
                tcp_established,
                d.tcp_established,
                Self::TCP_ESTABLISHED_RANGE,
            )?,
            udp_stream: check(
                "UdpStreamTimeout",
                udp_stream,
                d.udp_stream,
                Self::UDP_STREAM_RANGE,
            )?,
            udp: check("UdpTimeout", udp, d.udp, Self::UDP_RANGE)?,
        })
    }

    pub fn tcp_established(&self) -> u32 {
        self.tcp_established
    }
    pub fn udp_stream(&self) -> u32 {
        self.udp_stream
    }
    pub fn udp(&self) -> u32 {
        self.udp
    }
}

/// An elastic network interface: where security groups are enforced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eni {
    pub id: EniId,
    pub owner: AccountId,
    pub vpc_id: VpcId,
    pub subnet_id: Option<SubnetId>,
    /// Primary private IPv4 first, then secondaries.
    pub private_ipv4: Vec<Ipv4Addr>,
    pub ipv6: Vec<Ipv6Addr>,
    pub public_ipv4: Option<Ipv4Addr>,
    /// The groups on this interface, in attachment order (1..=quota).
    pub groups: Vec<GroupId>,
    pub instance_id: Option<InstanceId>,
    pub description: String,
    pub conntrack: ConntrackConfig,
    pub tags: Vec<Tag>,
}

impl Eni {
    /// Every private address: what a group reference to one of this interface's groups
    /// matches ("private IP addresses … not the public IP or Elastic IP addresses", EC2 UG
    /// "Security group rules").
    pub fn private_addrs(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.private_ipv4
            .iter()
            .map(|a| IpAddr::V4(*a))
            .chain(self.ipv6.iter().map(|a| IpAddr::V6(*a)))
    }

    pub fn has_group(&self, group: &GroupId) -> bool {
        self.groups.iter().any(|g| g == group)
    }

    /// True when `addr` is one of this interface's own addresses (private or public).
    pub fn owns(&self, addr: IpAddr) -> bool {
        self.private_addrs().any(|a| a == addr) || self.public_ipv4.map(IpAddr::V4) == Some(addr)
    }
}

/// The state of a VPC peering connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeeringStatus {
    InitiatingRequest,
    PendingAcceptance,
    Provisioning,
    Active,
    Deleting,
    Deleted,
    Rejected,
    Failed,
    Expired,
}

impl PeeringStatus {
    pub fn aws_name(self) -> &'static str {
        match self {
            Self::InitiatingRequest => "initiating-request",
            Self::PendingAcceptance => "pending-acceptance",
            Self::Provisioning => "provisioning",
            Self::Active => "active",
            Self::Deleting => "deleting",
            Self::Deleted => "deleted",
            Self::Rejected => "rejected",
            Self::Failed => "failed",
            Self::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "initiating-request" => Self::InitiatingRequest,
            "pending-acceptance" => Self::PendingAcceptance,
            "provisioning" => Self::Provisioning,
            "active" => Self::Active,
            "deleting" => Self::Deleting,
            "deleted" => Self::Deleted,
            "rejected" => Self::Rejected,
            "failed" => Self::Failed,
            "expired" => Self::Expired,
            _ => return None,
        })
    }
}

/// A VPC peering connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peering {
    pub id: PeeringId,
    pub requester_vpc: VpcId,
    pub requester_owner: AccountId,
    pub accepter_vpc: VpcId,
    pub accepter_owner: AccountId,
    pub status: PeeringStatus,
    pub tags: Vec<Tag>,
    /// What EC2 reports besides the two VPCs and the status code.
    pub detail: PeeringDetail,
}

/// A peering's regions, blocks, options, status message and expiry: the other side's VPC
/// may live in another account or region, so what DescribeVpcPeeringConnections reports of
/// it is recorded on the connection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeeringDetail {
    /// `None`: the region of the state holding the record (same-region peerings).
    pub requester_region: Option<String>,
    pub accepter_region: Option<String>,
    /// The VPC's blocks as recorded when requested; `None`: read them from the VPC itself.
    pub requester_blocks: Option<VpcBlocks>,
    pub accepter_blocks: Option<VpcBlocks>,
    /// `AllowDnsResolutionFromRemoteVpc` of each side's `PeeringOptions`.
    pub requester_dns: bool,
    pub accepter_dns: bool,
    /// The status message; `None`: the code's plain text.
    pub message: Option<String>,
    /// When a pending request expires (Unix epoch).
    pub expires: Option<crate::Timestamp>,
}

/// A VPC's CIDR blocks, as a peering reports them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VpcBlocks {
    pub v4: Vec<Ipv4Net>,
    pub v6: Vec<Ipv6Net>,
}

impl Peering {
    /// True when this peering is active and joins `a` and `b` (either way round).
    pub fn joins(&self, a: &VpcId, b: &VpcId) -> bool {
        self.status == PeeringStatus::Active
            && ((&self.requester_vpc == a && &self.accepter_vpc == b)
                || (&self.requester_vpc == b && &self.accepter_vpc == a))
    }
}

/// One entry of a managed prefix list.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PrefixListEntry {
    pub cidr: IpNet,
    pub description: Option<String>,
}

/// A customer-managed (or AWS-managed) prefix list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixList {
    pub id: PrefixListId,
    pub name: String,
    pub owner: AccountId,
    pub family: AddressFamily,
    /// What a rule referencing this list weighs against the rule quota ("Security group
    /// size", VPC UG "Security group rules").
    pub max_entries: u32,
    pub version: u64,
    pub entries: Vec<PrefixListEntry>,
    pub tags: Vec<Tag>,
    /// The last change made to the list: what its `State` reports.
    pub change: PrefixListChange,
}

/// The last change of a prefix list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PrefixListChange {
    #[default]
    Created,
    Modified,
    /// A delete failed (the list is still referenced), with the `StateMessage`.
    DeleteFailed(String),
}

/// A prefix list's `State` ("ManagedPrefixList", EC2 API Reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrefixListState {
    CreateInProgress,
    CreateComplete,
    ModifyInProgress,
    ModifyComplete,
    DeleteInProgress,
    DeleteFailed,
}

impl PrefixListState {
    pub fn aws_name(self) -> &'static str {
        match self {
            Self::CreateInProgress => "create-in-progress",
            Self::CreateComplete => "create-complete",
            Self::ModifyInProgress => "modify-in-progress",
            Self::ModifyComplete => "modify-complete",
            Self::DeleteInProgress => "delete-in-progress",
            Self::DeleteFailed => "delete-failed",
        }
    }
}

impl PrefixList {
    /// The state a read reports: the last change is complete (EC2 applies it within
    /// seconds; here at once), or the last delete failed.
    pub fn state(&self) -> PrefixListState {
        match self.change {
            PrefixListChange::Created => PrefixListState::CreateComplete,
            PrefixListChange::Modified => PrefixListState::ModifyComplete,
            PrefixListChange::DeleteFailed(_) => PrefixListState::DeleteFailed,
        }
    }

    /// The `StateMessage` of a failed delete.
    pub fn state_message(&self) -> Option<&str> {
        match &self.change {
            PrefixListChange::DeleteFailed(m) => Some(m),
            _ => None,
        }
    }

    /// True for the AWS-managed lists of gateway endpoints (S3, DynamoDB): what the legacy
    /// DescribePrefixLists shows.
    pub fn is_gateway_endpoint_list(&self) -> bool {
        self.owner.is_aws_managed()
            && (self.name.ends_with(".s3") || self.name.ends_with(".dynamodb"))
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        self.entries.iter().any(|e| e.cidr.contains(&addr))
    }
}
