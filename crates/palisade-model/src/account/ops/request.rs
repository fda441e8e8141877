//! [`Request`]: one variant per EC2 action, every field typed and already validated as far
//! as it can be without the account's state.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::account::{
    AccountState, GroupSelector, InstanceAttribute, NewEni, NewInstances, RuleUpdate,
};
use crate::account::{SubnetAttributeChange, VpcAttribute};
use crate::ids::{
    AccountId, EniId, GroupId, InstanceId, PeeringId, PrefixListId, RuleId, SubnetId, VpcId,
};
use crate::network::{AddressFamily, PrefixListEntry, Tag, Tenancy};
use crate::peer::Peer;
use crate::protocol::Traffic;
use crate::rule::Direction;
// --- routing ---
use crate::account::AddressTarget;
use crate::ids::{
    AddressAssociationId, AllocationId, InternetGatewayId, NetworkAclId, RouteTableAssociationId,
    RouteTableId,
};
use crate::routing::{RouteDestination, RouteTarget};
use crate::time::Timestamp;

/// A describe's filters as one predicate over a resource (or its view), with the state for
/// lookups (a referenced group's name). Built by the wire layer, which owns the filter
/// names; `label` shows what it was built from.
pub struct Select<T: ?Sized> {
    label: String,
    keep: Option<Arc<Keep<T>>>,
}

/// The predicate of a [`Select`].
type Keep<T> = dyn Fn(&T, &AccountState) -> bool + Send + Sync;

impl<T: ?Sized> Select<T> {
    /// Keeps everything.
    pub fn all() -> Self {
        Self {
            label: String::new(),
            keep: None,
        }
    }

    /// Keeps what `keep` accepts; `label` describes it (for `Debug`).
    pub fn new(
        label: impl Into<String>,
        keep: impl Fn(&T, &AccountState) -> bool + Send + Sync + 'static,
    ) -> Self {
        Self {
            label: label.into(),
            keep: Some(Arc::new(keep)),
        }
    }

    pub fn keeps(&self, item: &T, state: &AccountState) -> bool {
        self.keep.as_ref().is_none_or(|f| f(item, state))
    }
}

impl<T: ?Sized> Clone for Select<T> {
    fn clone(&self) -> Self {
        Self {
            label: self.label.clone(),
            keep: self.keep.clone(),
        }
    }
}

impl<T: ?Sized> fmt::Debug for Select<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.keep.is_none() {
            f.write_str("all")
        } else {
            write!(f, "[{}]", self.label)
        }
    }
}

/// `MaxResults`/`NextToken` in model terms: at most `max` items whose key is at least
/// `from` (the first key of the page asked for).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    pub max: Option<usize>,
    pub from: Option<String>,
}

impl PageRequest {
    /// Everything, in one page.
    pub fn all() -> Self {
        Self::default()
    }
}

/// A rule's peer as requested: a group may be named, and then resolves in the rule's
/// group's VPC inside the transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftPeer {
    Peer(Peer),
    GroupName(String),
}

/// A rule as a request states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDraft {
    pub direction: Direction,
    pub traffic: Traffic,
    pub peer: DraftPeer,
    pub description: Option<String>,
}

/// UpdateSecurityGroupRuleDescriptions*: by rule id, or by the rules' contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleEdit {
    ById(Vec<(RuleId, Option<String>)>),
    ByRule(Vec<RuleDraft>),
}

/// One `Tag.N` of DeleteTags: a key, and the value it must have (`None`: any value).
pub type TagRemoval = (String, Option<String>);

/// One EC2 action with its parameters.
#[derive(Debug, Clone)]
pub enum Request {
    CreateSecurityGroup {
        name: String,
        description: String,
        vpc: Option<VpcId>,
        tags: Vec<Tag>,
    },
    DeleteSecurityGroup {
        group: GroupSelector,
    },
    DescribeSecurityGroups {
        ids: Vec<GroupId>,
        names: Vec<String>,
        select: Select<crate::group::SecurityGroup>,
        page: PageRequest,
    },
    DescribeSecurityGroupReferences {
        groups: Vec<GroupId>,
    },
    DescribeStaleSecurityGroups {
        vpc: VpcId,
        page: PageRequest,
    },
    AuthorizeSecurityGroup {
        direction: Direction,
        group: GroupSelector,
        rules: Vec<RuleDraft>,
        tags: Vec<Tag>,
    },
    /// By rule ids (when `ids` is not empty) or by rule contents.
    RevokeSecurityGroup {
        direction: Direction,
        group: GroupSelector,
        ids: Vec<RuleId>,
        rules: Vec<RuleDraft>,
    },
    DescribeSecurityGroupRules {
        ids: Vec<RuleId>,
        select: Select<crate::rule::Rule>,
        page: PageRequest,
    },
    ModifySecurityGroupRules {
        group: GroupId,
        changes: Vec<RuleUpdate>,
    },
    UpdateSecurityGroupRuleDescriptions {
        direction: Direction,
        group: GroupSelector,
        edit: RuleEdit,
    },
    CreateVpc {
        cidr: Ipv4Net,
        amazon_ipv6: bool,
        tags: Vec<Tag>,
        /// VPC area: `InstanceTenancy` and `Ipv6CidrBlockNetworkBorderGroup`.
        tenancy: Tenancy,
        ipv6_border_group: Option<String>,
    },
    DescribeVpcs {
        ids: Vec<VpcId>,
        select: Select<crate::network::Vpc>,
        page: PageRequest,
    },
    DeleteVpc {
        vpc: VpcId,
    },
    CreateSubnet {
        vpc: VpcId,
        /// `CidrBlock`; absent only with `ipv6_native`.
        cidr: Option<Ipv4Net>,
        ipv6: Option<Ipv6Net>,
        /// `Ipv6Native`: an IPv6-only subnet.
        ipv6_native: bool,
        zone: Option<String>,
        tags: Vec<Tag>,
    },
    DescribeSubnets {
        ids: Vec<SubnetId>,
        select: Select<super::SubnetView>,
        page: PageRequest,
    },
    DeleteSubnet {
        subnet: SubnetId,
    },
    CreateNetworkInterface(NewEni),
    DescribeNetworkInterfaces {
        ids: Vec<EniId>,
        select: Select<crate::network::Eni>,
        page: PageRequest,
    },
    DeleteNetworkInterface {
        eni: EniId,
    },
    /// One attribute per call, as EC2 takes it; `None` only checks the interface.
    ModifyNetworkInterfaceAttribute {
        eni: EniId,
        attribute: Option<EniAttribute>,
    },
    RunInstances(NewInstances),
    DescribeInstances {
        ids: Vec<InstanceId>,
        select: Select<super::InstanceView>,
        page: PageRequest,
    },
    TerminateInstances {
        ids: Vec<InstanceId>,
    },
    /// `None` only checks the instance.
    ModifyInstanceAttribute {
        instance: InstanceId,
        attribute: Option<InstanceAttribute>,
    },
    CreateVpcPeeringConnection {
        vpc: VpcId,
        peer_vpc: VpcId,
        peer_owner: Option<AccountId>,
        peer_region: Option<String>,
        tags: Vec<Tag>,
        /// The request's time (set by [`Request::at`]), for the pending request's expiry.
        now: Timestamp,
    },
    AcceptVpcPeeringConnection {
        id: PeeringId,
    },
    DeleteVpcPeeringConnection {
        id: PeeringId,
    },
    DescribeVpcPeeringConnections {
        ids: Vec<PeeringId>,
        select: Select<crate::network::Peering>,
        page: PageRequest,
    },
    CreateManagedPrefixList {
        name: String,
        family: AddressFamily,
        max_entries: u32,
        entries: Vec<PrefixListEntry>,
        tags: Vec<Tag>,
    },
    ModifyManagedPrefixList {
        id: PrefixListId,
        current_version: Option<u64>,
        add: Vec<PrefixListEntry>,
        remove: Vec<IpNet>,
        name: Option<String>,
        max_entries: Option<u32>,
    },
    DescribeManagedPrefixLists {
        ids: Vec<PrefixListId>,
        select: Select<crate::network::PrefixList>,
        page: PageRequest,
    },
    GetManagedPrefixListEntries {
        id: PrefixListId,
        page: PageRequest,
    },
    DeleteManagedPrefixList {
        id: PrefixListId,
    },
    AssignPrivateIpAddresses {
        eni: EniId,
        addresses: Vec<Ipv4Addr>,
        count: u32,
        allow_reassignment: bool,
    },
    UnassignPrivateIpAddresses {
        eni: EniId,
        addresses: Vec<Ipv4Addr>,
    },
    AssignIpv6Addresses {
        eni: EniId,
        addresses: Vec<Ipv6Addr>,
        count: u32,
    },
    UnassignIpv6Addresses {
        eni: EniId,
        addresses: Vec<Ipv6Addr>,
    },
    AssociateSubnetCidrBlock {
        subnet: SubnetId,
        ipv6: Ipv6Net,
    },
    CreateTags {
        resources: Vec<String>,
        tags: Vec<Tag>,
    },
    DeleteTags {
        resources: Vec<String>,
        tags: Vec<TagRemoval>,
    },
    DescribeTags {
        select: Select<super::TaggedResource>,
        page: PageRequest,
    },
    // --- routing: route tables, internet gateways, Elastic IPs, network ACLs ---
    CreateRouteTable {
        vpc: VpcId,
        tags: Vec<Tag>,
    },
    DeleteRouteTable {
        id: RouteTableId,
    },
    DescribeRouteTables {
        ids: Vec<RouteTableId>,
        select: Select<crate::routing::RouteTableView>,
        page: PageRequest,
    },
    /// CreateRoute, or ReplaceRoute when `replace`.
    PutRoute {
        table: RouteTableId,
        destination: RouteDestination,
        target: RouteTarget,
        replace: bool,
    },
    DeleteRoute {
        table: RouteTableId,
        destination: RouteDestination,
    },
    AssociateRouteTable {
        table: RouteTableId,
        subnet: SubnetId,
    },
    DisassociateRouteTable {
        association: RouteTableAssociationId,
    },
    ReplaceRouteTableAssociation {
        association: RouteTableAssociationId,
        table: RouteTableId,
    },
    CreateInternetGateway {
        tags: Vec<Tag>,
    },
    AttachInternetGateway {
        id: InternetGatewayId,
        vpc: VpcId,
    },
    DetachInternetGateway {
        id: InternetGatewayId,
        vpc: VpcId,
    },
    DeleteInternetGateway {
        id: InternetGatewayId,
    },
    DescribeInternetGateways {
        ids: Vec<InternetGatewayId>,
        select: Select<crate::routing::InternetGateway>,
        page: PageRequest,
    },
    AllocateAddress {
        tags: Vec<Tag>,
    },
    AssociateAddress {
        allocation: AllocationId,
        target: AddressTarget,
        private_ip: Option<Ipv4Addr>,
        allow_reassociation: bool,
    },
    DisassociateAddress {
        association: AddressAssociationId,
    },
    ReleaseAddress {
        allocation: AllocationId,
    },
    DescribeAddresses {
        ids: Vec<AllocationId>,
        public_ips: Vec<Ipv4Addr>,
        select: Select<crate::routing::AddressView>,
    },
    DescribeAddressesAttribute {
        ids: Vec<AllocationId>,
    },
    DescribeNetworkAcls {
        ids: Vec<NetworkAclId>,
        select: Select<crate::routing::NetworkAclView>,
        page: PageRequest,
    },
    // VPC and subnet attributes, CIDR associations, zones, default VPC/subnet.
    DescribeVpcAttribute {
        vpc: VpcId,
        attribute: VpcAttribute,
    },
    ModifyVpcAttribute {
        vpc: VpcId,
        attribute: VpcAttribute,
        value: bool,
    },
    ModifyVpcTenancy {
        vpc: VpcId,
        tenancy: Tenancy,
    },
    AssociateVpcCidrBlock {
        vpc: VpcId,
        block: VpcCidrRequest,
    },
    DisassociateVpcCidrBlock {
        association_id: String,
    },
    DisassociateSubnetCidrBlock {
        association_id: String,
    },
    ModifySubnetAttribute {
        subnet: SubnetId,
        change: SubnetAttributeChange,
    },
    CreateDefaultVpc,
    CreateDefaultSubnet {
        zone: String,
    },
    /// `ZoneName.N`/`ZoneId.N` (either matches); `AllAvailabilityZones` changes nothing, as
    /// every zone here is opted in.
    DescribeAvailabilityZones {
        names: Vec<String>,
        select: Select<crate::zones::Zone>,
    },
    // VPC peering across accounts and regions, and the legacy prefix-list call.
    RejectVpcPeeringConnection {
        id: PeeringId,
    },
    /// `AllowDnsResolutionFromRemoteVpc` per side; `None` leaves a side as it is.
    ModifyVpcPeeringConnectionOptions {
        id: PeeringId,
        requester_dns: Option<bool>,
        accepter_dns: Option<bool>,
    },
    // Security groups associated with other VPCs.
    AssociateSecurityGroupVpc {
        group: GroupId,
        vpc: VpcId,
    },
    DisassociateSecurityGroupVpc {
        group: GroupId,
        vpc: VpcId,
    },
    DescribeSecurityGroupVpcAssociations {
        select: Select<super::GroupVpcAssociation>,
        page: PageRequest,
    },
    GetSecurityGroupsForVpc {
        vpc: VpcId,
        select: Select<crate::group::SecurityGroup>,
        page: PageRequest,
    },
    /// The groups whose rules reference a prefix list.
    GetManagedPrefixListAssociations {
        id: PrefixListId,
        page: PageRequest,
    },
    /// The legacy call: the AWS-managed lists of gateway endpoints.
    DescribePrefixLists {
        ids: Vec<PrefixListId>,
        select: Select<crate::network::PrefixList>,
        page: PageRequest,
    },
    // Network interfaces and instances.
    AttachNetworkInterface {
        eni: EniId,
        instance: InstanceId,
        device_index: u32,
        network_card_index: u32,
    },
    /// `Force` is accepted and changes nothing: detaching is immediate here.
    DetachNetworkInterface {
        attachment: String,
    },
    DescribeNetworkInterfaceAttribute {
        eni: EniId,
        attribute: EniAttributeName,
    },
    DescribeInstanceAttribute {
        instance: InstanceId,
        attribute: InstanceAttributeName,
    },
    /// Every `ami-` id is reported as an available image (synthesised: there is no image
    /// catalogue); without ids, the images the account's instances use.
    DescribeImages {
        ids: Vec<String>,
    },
    DescribeInstanceTypes {
        types: Vec<String>,
    },
    DescribeInstanceCreditSpecifications {
        ids: Vec<InstanceId>,
    },
}

/// The block AssociateVpcCidrBlock asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VpcCidrRequest {
    Ipv4(Ipv4Net),
    /// `AmazonProvidedIpv6CidrBlock`, with `Ipv6CidrBlockNetworkBorderGroup`.
    AmazonIpv6 {
        border_group: Option<String>,
    },
}

/// ModifyNetworkInterfaceAttribute's attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EniAttribute {
    Groups(Vec<GroupId>),
    Description(String),
    SourceDestCheck(bool),
    DeleteOnTermination {
        attachment: String,
        value: bool,
    },
    /// `ConnectionTrackingSpecification`: the idle timeouts given, in seconds; the others
    /// keep their current value.
    ConnectionTracking {
        tcp_established: Option<i64>,
        udp_stream: Option<i64>,
        udp: Option<i64>,
    },
}

/// DescribeNetworkInterfaceAttribute's `Attribute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EniAttributeName {
    Description,
    GroupSet,
    SourceDestCheck,
    Attachment,
    AssociatePublicIpAddress,
}

/// DescribeInstanceAttribute's `Attribute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceAttributeName {
    InstanceType,
    Kernel,
    Ramdisk,
    UserData,
    DisableApiTermination,
    DisableApiStop,
    InstanceInitiatedShutdownBehavior,
    RootDeviceName,
    BlockDeviceMapping,
    SourceDestCheck,
    GroupSet,
    EbsOptimized,
}

impl InstanceAttributeName {
    /// EC2's spelling, as `Attribute` takes it.
    pub fn aws_name(self) -> &'static str {
        match self {
            Self::InstanceType => "instanceType",
            Self::Kernel => "kernel",
            Self::Ramdisk => "ramdisk",
            Self::UserData => "userData",
            Self::DisableApiTermination => "disableApiTermination",
            Self::DisableApiStop => "disableApiStop",
            Self::InstanceInitiatedShutdownBehavior => "instanceInitiatedShutdownBehavior",
            Self::RootDeviceName => "rootDeviceName",
            Self::BlockDeviceMapping => "blockDeviceMapping",
            Self::SourceDestCheck => "sourceDestCheck",
            Self::GroupSet => "groupSet",
            Self::EbsOptimized => "ebsOptimized",
        }
    }
    pub const ALL: &'static [Self] = &[
        Self::InstanceType,
        Self::Kernel,
        Self::Ramdisk,
        Self::UserData,
        Self::DisableApiTermination,
        Self::DisableApiStop,
        Self::InstanceInitiatedShutdownBehavior,
        Self::RootDeviceName,
        Self::BlockDeviceMapping,
        Self::SourceDestCheck,
        Self::GroupSet,
        Self::EbsOptimized,
    ];
}

impl EniAttributeName {
    pub fn aws_name(self) -> &'static str {
        match self {
            Self::Description => "description",
            Self::GroupSet => "groupSet",
            Self::SourceDestCheck => "sourceDestCheck",
            Self::Attachment => "attachment",
            Self::AssociatePublicIpAddress => "associatePublicIpAddress",
        }
    }
    pub const ALL: &'static [Self] = &[
        Self::Description,
        Self::GroupSet,
        Self::SourceDestCheck,
        Self::Attachment,
        Self::AssociatePublicIpAddress,
    ];
}

impl Request {
    /// True for operations that only read: [`AccountState::query`] answers them without a
    /// write transaction.
    pub fn is_read(&self) -> bool {
        matches!(
            self,
            Self::DescribeSecurityGroups { .. }
                | Self::DescribeSecurityGroupReferences { .. }
                | Self::DescribeStaleSecurityGroups { .. }
                | Self::DescribeSecurityGroupRules { .. }
                | Self::DescribeVpcs { .. }
                | Self::DescribeSubnets { .. }
                | Self::DescribeNetworkInterfaces { .. }
                | Self::DescribeInstances { .. }
                | Self::DescribeVpcPeeringConnections { .. }
                | Self::DescribeManagedPrefixLists { .. }
                | Self::GetManagedPrefixListEntries { .. }
                | Self::DescribeTags { .. }
                // --- routing ---
                | Self::DescribeRouteTables { .. }
                | Self::DescribeInternetGateways { .. }
                | Self::DescribeAddresses { .. }
                | Self::DescribeAddressesAttribute { .. }
                | Self::DescribeNetworkAcls { .. }
                // VPC area.
                | Self::DescribeVpcAttribute { .. }
                | Self::DescribeAvailabilityZones { .. }
                | Self::DescribePrefixLists { .. }
                | Self::DescribeSecurityGroupVpcAssociations { .. }
                | Self::GetSecurityGroupsForVpc { .. }
                | Self::GetManagedPrefixListAssociations { .. }
                // Network interfaces and instances.
                | Self::DescribeNetworkInterfaceAttribute { .. }
                | Self::DescribeInstanceAttribute { .. }
                | Self::DescribeImages { .. }
                | Self::DescribeInstanceTypes { .. }
                | Self::DescribeInstanceCreditSpecifications { .. }
        )
    }

    /// True for the calls that may join another account's or region's state (VPC peering):
    /// see `AccountState::peering_counterpart`.
    pub fn may_join_scopes(&self) -> bool {
        matches!(
            self,
            Self::CreateVpcPeeringConnection { .. }
                | Self::AcceptVpcPeeringConnection { .. }
                | Self::RejectVpcPeeringConnection { .. }
                | Self::DeleteVpcPeeringConnection { .. }
                | Self::ModifyVpcPeeringConnectionOptions { .. }
        )
    }

    /// The request as made at `now` (the server's clock, read at its edge): only requests
    /// that record a time use it.
    #[must_use]
    pub fn at(mut self, time: Timestamp) -> Self {
        if let Self::CreateVpcPeeringConnection { now, .. } = &mut self {
            *now = time;
        }
        self
    }
}
