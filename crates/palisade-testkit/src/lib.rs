//! Test and benchmark support shared by the workspace: deterministic ids, a seeded random
//! source, generated accounts at benchmark scale, packet generators aimed at a snapshot, and
//! proptest strategies for small snapshots and packets.
//!
//! Everything here is deterministic given its seed; nothing reads the clock or the OS
//! random source. Tests and benches use it; the binary uses it only for `palisade bench`.

mod account;
pub mod ids;
mod rng;
pub mod strategies;
mod traffic;

pub use account::{AccountConfig, POPULAR_PORTS, account};
pub use rng::Rng;
pub use traffic::{PacketGen, payload_in, random_payload};
