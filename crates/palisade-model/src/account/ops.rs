//! EC2 operations as data: one [`Request`] variant per action with typed fields, one
//! [`Response`] variant per result, and `AccountState::execute` / `AccountState::query`
//! (in `execute.rs`), where every business rule of an operation lives. The wire (Query
//! parameters in, XML out) is `palisade-ec2`'s; HTTP is `palisade-api`'s.
//!
//! Describes carry a [`Select`] (the request's filters, built by the wire layer from AWS
//! filter names) and a [`PageRequest`]; the state filters, orders by id and pages, cloning
//! out only the page (subnets and instances first build a view of every candidate, since
//! their filters read derived values).

mod execute;
mod instances;
mod request;
mod response;

pub use request::VpcCidrRequest;
pub use request::{DraftPeer, PageRequest, Request, RuleDraft, RuleEdit, Select, TagRemoval};
pub use response::{CidrAssociation, CidrState};
pub use response::{
    EniView, GroupName, InstanceView, Paged, PeeringView, Response, StaleGroupView, SubnetView,
    TaggedResource,
};
// VPC peering across accounts and regions.
pub(crate) use execute::page_sorted;
pub use response::{GroupVpcAssociation, PeeringSide};
// Network interfaces and instances.
pub use request::{EniAttribute, EniAttributeName, InstanceAttributeName};
pub use response::{AttachmentView, ImageView, InstanceTypeInfo};
