//! The compiled engine. (First cut: delegates to the reference evaluator; the compiled
//! classifier replaces the internals behind the same API.)

use palisade_model::Snapshot;

use crate::packet::{DecideError, Decision, Packet};
use crate::reference;

/// A snapshot compiled for fast decisions.
#[derive(Debug, Clone)]
pub struct Engine {
    snapshot: Snapshot,
}

/// Compiles a snapshot.
pub fn compile(snapshot: &Snapshot) -> Engine {
    Engine { snapshot: snapshot.clone() }
}

impl Engine {
    /// Decides one packet: verdict and every matching rule.
    pub fn decide(&self, pkt: &Packet) -> Result<Decision, DecideError> {
        reference::decide(&self.snapshot, pkt)
    }
}
