//! The pure model of EC2 security groups: ids, protocols, rules, groups, VPCs, interfaces,
//! peerings and prefix lists, with validation and normalisation exactly as EC2 answers.
//!
//! This crate never does I/O, never reads the clock, the environment or a random source:
//! time ([`Timestamp`]) and new ids ([`IdGen`]) are parameters.

pub mod account;
// AWS-managed prefix lists.
pub mod aws_prefix_lists;
mod error;
mod group;
pub mod hostview;
mod ids;
mod network;
mod peer;
pub mod presets;
mod protocol;
mod quotas;
mod routing;
mod rule;
mod snapshot;
mod time;
// VPC and subnet attributes, zones.
pub mod zones;

pub use error::{Ec2ErrorCode, GroupError, IdError, NetworkError, RuleError};
pub use group::{AuthorizeCtx, SecurityGroup, validate_description, validate_group_name};
pub use ids::{
    AccountId, EniId, GroupId, IdGen, InstanceId, PeeringId, PrefixListId, RuleId, SeqIdGen,
    SubnetId, VpcId, push_hex,
};
pub use network::{
    AddressFamily, ConntrackConfig, Eni, Peering, PeeringStatus, PrefixList, PrefixListEntry,
    Subnet, Tag, Vpc,
};
// Peering and prefix-list detail (VPC peering across scopes, prefix-list states).
pub use network::{PeeringDetail, PrefixListChange, PrefixListState, VpcBlocks};
pub use peer::{GroupRef, Peer, PeerIdentity};
pub use protocol::{IcmpMatch, PortRange, Protocol, Traffic};
pub use quotas::{QUOTA_NAMES, Quotas, QuotasError};
// --- routing ---
pub use ids::{
    AddressAssociationId, AllocationId, InternetGatewayId, NetworkAclAssociationId, NetworkAclId,
    RouteTableAssociationId, RouteTableId,
};
pub use routing::{
    AclEntry, AddressAssociation, AddressView, ElasticIp, InternetGateway, NetworkAcl,
    NetworkAclView, OtherTarget, OtherTargetKind, Route, RouteDestination, RouteOrigin, RouteTable,
    RouteTableView, RouteTarget, RouteView,
};
pub use rule::{Direction, NewRule, Rule, RuleSpec};
pub use snapshot::{Snapshot, SnapshotError};
pub use time::Timestamp;
// VPC and subnet attributes, zones.
pub use network::{
    HostnameType, SubnetAttributes, Tenancy, VpcAttributes, stable_suffix, subnet_association_id,
};
