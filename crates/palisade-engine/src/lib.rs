//! The decision engine: "is this packet allowed on this interface in this direction, and by
//! which rules?".
//!
//! [`compile`] turns a [`Snapshot`](palisade_model::Snapshot) into an [`Engine`] that answers fast; [`reference::decide`]
//! answers the same question with a plain loop and is the oracle the property tests compare
//! against. Both return the same [`Decision`]. Pure: no I/O, no clock.

mod compiled;
pub mod flow;
mod packet;
pub mod reference;

pub use packet::{DecideError, Decision, Packet, Payload, RuleMatch, Verdict};

pub use compiled::{Engine, InterfaceClass, UpdateStats, compile};
