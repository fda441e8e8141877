//! describe-* JSON: what `aws ec2 describe-security-groups`, `describe-security-group-rules`,
//! `describe-network-interfaces`, `describe-vpcs`, `describe-subnets`,
//! `describe-vpc-peering-connections`, `describe-managed-prefix-lists` (with `Entries`),
//! `describe-route-tables`, `describe-internet-gateways`, `describe-addresses` and
//! `describe-network-acls` print, imported into a [`Snapshot`](palisade_model::Snapshot) and exported back.
//!
//! Import collects every problem it can find — document, item and field — rather than
//! stopping at the first one (the `(T, Vec<Error>)` pattern). It never reads files: callers
//! pass each document's name and text.

mod export;
mod import;
mod routing_export;
mod routing_wire;
mod wire;

pub use export::export;
pub use import::{Document, ImportError, import, import_texts};
pub use routing_wire::*;
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
    // --- routing ---
    "RouteTables",
    "InternetGateways",
    "Addresses",
    "NetworkAcls",
];

#[cfg(test)]
mod tests;
