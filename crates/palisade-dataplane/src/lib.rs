//! The nftables data plane: enforces security groups on a Linux host the way a hypervisor
//! does, outside the instance.
//!
//! - [`render()`] (pure) turns a snapshot and the interfaces local to one host into one complete
//!   `inet` ruleset ([`Ruleset`]): per-interface chains dispatched by verdict maps, one chain
//!   per security group, group references as named sets of member private addresses, prefix
//!   lists and CIDRs as interval sets, anti-spoofing, the traffic EC2 never filters, and
//!   `notrack` for flows EC2 leaves untracked.
//! - [`apply`] loads a ruleset with one `nft -f` transaction (whole-table replace, or set
//!   element changes only when nothing else changed) and removes conntrack entries of
//!   addresses that left an interface.
//!
//! Only this crate runs `nft`, `ip` or `conntrack`; rendering itself never does I/O.
#![warn(clippy::unwrap_used)]

pub mod apply;
mod counters;
mod interface;
pub mod lab;
mod render;
mod ruleset;

pub use apply::{ApplyError, ApplyKind, ApplyReport, Nft};
pub use counters::{CountersError, DirCounters, InterfaceCounters};
pub use interface::{InterfaceError, LocalInterface};
pub use render::{RenderError, render, render_closed};
pub use ruleset::{MembershipDelta, Ruleset, TABLE};
