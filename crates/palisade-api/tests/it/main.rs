//! Handler-level tests: `router(state)` driven with tower's `oneshot`, requests signed with
//! SigV4 exactly as SDKs sign them, time fixed through `Clock::Fixed`.
#![allow(clippy::unwrap_used)]

mod addresses;
mod auth;
mod codes;
mod edge;
mod groups;
mod harness;
mod metrics;
mod network;
mod routing;
// VPC peering across accounts and regions, prefix lists, legacy filters.
mod network_interfaces;
mod peering;
mod snapshots;
mod vpcs;
mod watch;
