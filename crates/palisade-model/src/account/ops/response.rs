//! [`Response`]: what an operation answers, with the derived values EC2 reports (a subnet's
//! free addresses, an interface's zone and group names) computed here, so the wire layer
//! only spells them.

use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv6Net};

use crate::account::{Attachment, Instance, InstanceState, StaleGroup, VpcAttribute};
use crate::group::SecurityGroup;
use crate::ids::{EniId, GroupId, InstanceId, PeeringId, SubnetId, VpcId};
use crate::network::{Eni, Peering, PeeringStatus, PrefixList, PrefixListEntry, Subnet, Tag, Vpc};
use crate::rule::{NewRule, Rule};
// --- routing ---
use crate::ids::{AddressAssociationId, RouteTableAssociationId};
use crate::routing::{AddressView, ElasticIp, InternetGateway, NetworkAclView, RouteTableView};
use crate::zones::Zone;

/// One page of a describe; `next` is the key of the next page's first item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// A subnet as DescribeSubnets reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetView {
    pub subnet: Subnet,
    /// The default subnet of its zone (a subnet of the default VPC).
    pub default_for_az: bool,
    /// Default subnets give launched instances a public IPv4 address.
    pub map_public_ip_on_launch: bool,
    /// The block's size minus the 5 addresses AWS reserves and those interfaces use.
    pub available_ips: u64,
    /// The zone's id (`use1-az6`).
    pub zone_id: String,
}

/// A group id with its name, where the group still exists.
pub type GroupName = (GroupId, Option<String>);

/// An interface as DescribeNetworkInterfaces reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EniView {
    pub eni: Eni,
    pub zone: String,
    pub groups: Vec<GroupName>,
    pub attachment: Option<AttachmentView>,
    /// `ip-10-0-1-5.ec2.internal` (us-east-1) or `ip-….REGION.compute.internal`.
    pub private_dns_name: String,
    pub source_dest_check: bool,
}

/// An interface's attachment with its instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentView {
    pub instance: InstanceId,
    pub attachment: Attachment,
    /// The interface's last attachment, since detached (status `detached`).
    pub detached: bool,
}

/// An instance as DescribeInstances reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceView {
    pub instance: Instance,
    pub zone: String,
    /// The union over its interfaces' groups.
    pub groups: Vec<GroupName>,
    /// Its attached interfaces, by device index.
    pub interfaces: Vec<EniView>,
    pub private_dns_name: String,
    /// Whether `instance_type` is a burstable type (credit specification).
    pub burstable: bool,
}

/// An image as DescribeImages reports it (synthesised from its id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageView {
    pub id: String,
    pub owner: String,
}

/// What DescribeInstanceTypes reports of one type (a small synthesised catalogue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceTypeInfo {
    pub name: String,
    pub vcpus: u32,
    pub cores: u32,
    pub threads_per_core: u32,
    pub memory_mib: u64,
    pub burstable: bool,
    pub max_interfaces: u32,
    pub ipv4_per_interface: u32,
    pub ipv6_per_interface: u32,
}

/// A peering connection as DescribeVpcPeeringConnections reports it: its status message
/// and each side's region, blocks and options resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeeringView {
    pub peering: Peering,
    pub message: String,
    pub requester: PeeringSide,
    pub accepter: PeeringSide,
}

/// One side of a peering (`RequesterVpcInfo`/`AccepterVpcInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeeringSide {
    pub region: String,
    pub blocks: crate::network::VpcBlocks,
    /// `PeeringOptions.AllowDnsResolutionFromRemoteVpc`; `None` while not active (EC2 sends
    /// `PeeringOptions` only for active connections).
    pub allow_dns: Option<bool>,
}

/// A group with stale rules and the status of every peering they name (`Deleted` when the
/// connection is gone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleGroupView {
    pub group: StaleGroup,
    pub peerings: Vec<(PeeringId, PeeringStatus)>,
}

/// A group's association with a VPC other than its own (AssociateSecurityGroupVpc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupVpcAssociation {
    pub group_id: GroupId,
    pub group_owner: crate::ids::AccountId,
    pub vpc_id: VpcId,
    pub vpc_owner: crate::ids::AccountId,
    /// `associating`, `associated`, `disassociating` (`SecurityGroupVpcAssociationState`).
    pub state: &'static str,
}

/// One tag of one resource (DescribeTags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedResource {
    pub id: String,
    /// The resource type as EC2 names it (`security-group`, `vpc` …).
    pub kind: &'static str,
    pub tag: Tag,
}

/// What an operation answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// `<return>true</return>` and nothing else.
    Done,
    GroupCreated {
        id: GroupId,
        tags: Vec<Tag>,
    },
    GroupDeleted {
        id: GroupId,
    },
    Groups(Paged<SecurityGroup>),
    GroupReferences(Vec<(GroupId, VpcId, Option<PeeringId>)>),
    StaleGroups(Paged<StaleGroupView>),
    Authorized(Vec<Rule>),
    Revoked {
        rules: Vec<Rule>,
        /// Requested rules that matched nothing (default VPC only).
        unknown: Vec<NewRule>,
    },
    Rules(Paged<Rule>),
    Vpc(Vpc),
    Vpcs(Paged<Vpc>),
    Subnet(SubnetView),
    Subnets(Paged<SubnetView>),
    Eni(EniView),
    Enis(Paged<EniView>),
    /// RunInstances: one reservation.
    Reservation(Vec<InstanceView>),
    /// DescribeInstances: one reservation per instance.
    Reservations(Paged<InstanceView>),
    Terminated(Vec<(InstanceId, InstanceState)>),
    Peering(Box<PeeringView>),
    Peerings(Paged<PeeringView>),
    /// A created, modified or deleted list, with the state the call reports.
    PrefixList {
        list: PrefixList,
        state: crate::network::PrefixListState,
    },
    PrefixLists(Paged<PrefixList>),
    PrefixListEntries(Paged<PrefixListEntry>),
    PrivateIpsAssigned {
        eni: EniId,
        addresses: Vec<Ipv4Addr>,
    },
    Ipv6Assigned {
        eni: EniId,
        addresses: Vec<Ipv6Addr>,
    },
    Ipv6Unassigned {
        eni: EniId,
        addresses: Vec<Ipv6Addr>,
    },
    SubnetCidrAssociated {
        subnet: SubnetId,
        cidr: Ipv6Net,
    },
    Tags(Paged<TaggedResource>),
    // --- routing ---
    RouteTable(RouteTableView),
    RouteTables(Paged<RouteTableView>),
    /// AssociateRouteTable.
    RouteTableAssociated(RouteTableAssociationId),
    /// ReplaceRouteTableAssociation.
    RouteTableAssociationReplaced(RouteTableAssociationId),
    InternetGateway(InternetGateway),
    InternetGateways(Paged<InternetGateway>),
    AddressAllocated(AddressView),
    AddressAssociated(AddressAssociationId),
    Addresses(Vec<AddressView>),
    AddressAttributes(Vec<ElasticIp>),
    NetworkAcls(Paged<NetworkAclView>),
    // VPC and subnet attributes, CIDR associations, zones, default VPC/subnet.
    VpcAttribute {
        vpc: VpcId,
        attribute: VpcAttribute,
        value: bool,
    },
    /// Associate/DisassociateVpcCidrBlock: the block in its transitional state.
    VpcCidrBlock {
        vpc: VpcId,
        association: CidrAssociation,
    },
    /// DisassociateSubnetCidrBlock.
    SubnetCidrBlock {
        subnet: SubnetId,
        association: CidrAssociation,
    },
    Zones(Vec<Zone>),
    // VPC peering options and the legacy prefix-list call.
    /// ModifyVpcPeeringConnectionOptions: the options of each side the call set.
    PeeringOptions {
        requester_dns: Option<bool>,
        accepter_dns: Option<bool>,
    },
    /// DescribePrefixLists.
    GatewayPrefixLists(Paged<PrefixList>),
    /// Associate/DisassociateSecurityGroupVpc: the association's new state.
    GroupVpcAssociationState(&'static str),
    GroupVpcAssociations(Paged<GroupVpcAssociation>),
    /// GetManagedPrefixListAssociations: (group id, its owner) per referencing group.
    PrefixListAssociations(Paged<(GroupId, crate::ids::AccountId)>),
    /// GetSecurityGroupsForVpc: the groups interfaces in the VPC may use.
    GroupsForVpc(Paged<SecurityGroup>),
    // Network interfaces and instances.
    Attached {
        attachment: String,
        network_card_index: u32,
    },
    EniAttribute {
        view: EniView,
        attribute: super::EniAttributeName,
    },
    InstanceAttribute {
        view: InstanceView,
        attribute: super::InstanceAttributeName,
    },
    Images(Vec<ImageView>),
    InstanceTypes(Vec<InstanceTypeInfo>),
    CreditSpecifications(Vec<(InstanceId, String)>),
}

/// A CIDR block association as a call reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CidrAssociation {
    pub id: String,
    pub cidr: IpNet,
    pub state: CidrState,
    /// The IPv6 block's network border group (the region).
    pub border_group: Option<String>,
}

/// `associating`, `associated` or `disassociating`: a call answers with the transitional
/// state, every later read with `associated` ("VpcCidrBlockState").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CidrState {
    Associating,
    Associated,
    Disassociating,
}

impl CidrState {
    pub fn aws_name(self) -> &'static str {
        match self {
            Self::Associating => "associating",
            Self::Associated => "associated",
            Self::Disassociating => "disassociating",
        }
    }
}
