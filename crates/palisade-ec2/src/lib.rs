//! EC2's wire vocabulary for security groups, and its conversion to and from the model.
//!
//! The structs here mirror AWS exactly (`IpPermission`, `UserIdGroupPair`, the describe-*
//! outputs) and accept anything that parses; converting them into model types is where
//! EC2's validation happens and where error codes and item paths arise. Pure: no I/O, no
//! clock, no environment — callers read files and hand over JSON.

pub mod describe;
pub mod permission;
pub mod query;
pub mod wire;

pub use describe::{Document, ImportError, export, import, import_texts};
pub use permission::{
    IpPermission, IpRange, Ipv6Range, PermissionError, PrefixListIdEntry, RuleParts,
    UserIdGroupPair, parse_ip_permissions_json, parse_ip_permissions_value, permissions_to_rules,
    rules_to_permissions,
};
