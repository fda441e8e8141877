//! The nftables data plane: enforces security groups on a Linux host the way a hypervisor
//! does, outside the instance.
//!
//! - [`render()`] (pure) turns a snapshot and the interfaces local to one host into one complete
//!   `inet` ruleset ([`Ruleset`], a list of named sets, maps and chains): per-interface chains
//!   dispatched by verdict maps, one chain per security group and direction, group
//!   references as named sets of member private addresses, CIDR/port rules as concatenated
//!   interval sets, prefix lists as interval sets, anti-spoofing, the traffic EC2 never
//!   filters, and `notrack` for flows EC2 leaves untracked. [`Renderer`] renders the same
//!   with a per-group cache, so a one-rule change re-renders one group.
//! - [`apply`] brings the host's table from one ruleset to the next in one nft transaction
//!   (in-process through libnftables when the host has it, else `nft -f -`): only the objects that changed ([`Ruleset::delta`]), or a whole-table
//!   replace when there is no previous ruleset; then removes conntrack entries of addresses
//!   that left an interface.
//!
//! Only this crate runs `nft`, `ip` or `conntrack`; rendering itself never does I/O.
#![warn(clippy::unwrap_used)]

pub mod apply;
mod counters;
mod interface;
pub mod lab;
mod render;
mod ruleset;

pub use apply::{ApplyError, ApplyKind, ApplyReport, Nft, NftEngine};
pub use counters::{CountersError, DirCounters, InterfaceCounters};
pub use interface::{InterfaceError, LocalInterface};
pub use render::{RenderError, Renderer, render, render_closed};
pub use ruleset::{Delta, Ruleset, TABLE};
