//! describe-* JSON: what `aws ec2 describe-security-groups`, `describe-security-group-rules`,
//! `describe-network-interfaces`, `describe-vpcs`, `describe-subnets`,
//! `describe-vpc-peering-connections` and `describe-managed-prefix-lists` (with `Entries`)
//! print, imported into a [`Snapshot`](palisade_model::Snapshot) and exported back.
//!
//! Import collects every problem it can find — document, item and field — rather than
//! stopping at the first one (the `(T, Vec<Error>)` pattern). It never reads files: callers
//! pass each document's name and text.

mod export;
mod import;
mod wire;

pub use export::export;
pub use import::{Document, ImportError, import, import_texts};
pub use wire::*;

/// The top-level keys a describe-* document may hold, in import order.
pub const KEYS: &[&str] = &[
    "Vpcs",
    "Subnets",
    "VpcPeeringConnections",
    "PrefixLists",
    "SecurityGroups",
    "SecurityGroupRules",
    "NetworkInterfaces",
];

#[cfg(test)]
mod tests;
