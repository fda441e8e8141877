//! The lab: EC2 instances as network namespaces on this host, enforced by their security
//! groups through the same rulesets the agent applies.
//!
//! [`Plan::compute`] (pure) turns the server's state ([`World`]) into the desired network;
//! [`Fabric`] builds it and moves it from one plan to the next.

mod fabric;
mod flowlog;
mod plan;
mod timeouts;

pub use fabric::{
    Counters, Fabric, LabError, NAT_TABLE, clean, counters, existing, spawn_user_data,
};
pub use flowlog::{Collected, Count, Direction, FLOW_TABLE, FlowKey, FlowRecord, FlowTap, Skipped};
pub use plan::{
    EniTimeouts, INTERNET_V4, INTERNET_V6, InstancePlan, LabInstance, LabScope, Nic, PeerLink,
    Plan, RouterPlan, Table, Via, World, instance_ns, internet_ns, nic_addrs, router_ns,
};
pub use timeouts::CT_TABLE;
