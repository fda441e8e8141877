//! Analysis over security-group snapshots: reachability between interfaces, groups and
//! address sets; internet exposure; audit findings with stable check ids; diffs between two
//! snapshots; graphs of who may talk to whom.
//!
//! Everything reasons over what is really allowed — the union of every rule of every group
//! on an interface, as address and traffic interval sets — with the engine's semantics
//! (group references match members' private addresses in the same VPC or across an active
//! peering, prefix lists by entries, IPv4 and IPv6 never cross). Build an [`Index`] once per
//! snapshot and ask it questions. Pure: no I/O, no clock; findings are data.

pub mod audit;
pub mod diff;
pub mod exposure;
pub mod flows;
pub mod graph;
mod index;
pub mod matrix;
pub mod path;
pub mod ports;
pub mod ranges;
pub mod reach;
pub mod space;

pub use audit::{AuditConfig, CheckId, Finding, FindingPath, RawCidr, Resource, Severity, audit};
pub use exposure::{ExposedRun, InterfaceExposure, exposure};
pub use index::{Index, InterfaceClass, RuleInfo, has_family};
pub use path::{InternetPath, MissingLink, PathState, UnknownPath};
pub use reach::{Blocker, Endpoint, Flow, PairVerdict, Party, Reach, ReachError, reach};
