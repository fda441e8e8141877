//! [`Request`]: one variant per EC2 action, every field typed and already validated as far
//! as it can be without the account's state.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::account::{
    AccountState, GroupSelector, InstanceAttribute, NewEni, NewInstances, RuleUpdate,
};
use crate::ids::{
    AccountId, EniId, GroupId, InstanceId, PeeringId, PrefixListId, RuleId, SubnetId, VpcId,
};
use crate::network::{AddressFamily, PrefixListEntry, Tag};
use crate::peer::Peer;
use crate::protocol::Traffic;
use crate::rule::Direction;

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
        cidr: Ipv4Net,
        ipv6: Option<Ipv6Net>,
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

/// ModifyNetworkInterfaceAttribute's attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EniAttribute {
    Groups(Vec<GroupId>),
    Description(String),
    SourceDestCheck(bool),
    DeleteOnTermination { attachment: String, value: bool },
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
                // Network interfaces and instances.
                | Self::DescribeNetworkInterfaceAttribute { .. }
                | Self::DescribeInstanceAttribute { .. }
                | Self::DescribeImages { .. }
                | Self::DescribeInstanceTypes { .. }
                | Self::DescribeInstanceCreditSpecifications { .. }
        )
    }
}
