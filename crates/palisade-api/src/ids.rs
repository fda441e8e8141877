//! Fresh ids and request ids for one request.

use std::hash::{BuildHasher, RandomState};

use palisade_model::IdGen;

/// Fresh ids from std's randomly keyed SipHash (no extra dependency; ids need uniqueness,
/// not secrecy).
#[derive(Debug)]
pub(crate) struct RandomIds {
    state: RandomState,
    counter: u64,
}

impl RandomIds {
    pub(crate) fn new() -> Self {
        Self {
            state: RandomState::new(),
            counter: 0,
        }
    }

    /// A random request id in UUID form.
    pub(crate) fn request_id(&mut self) -> String {
        let b = self.next_bits().to_be_bytes();
        let h = hex::encode(b);
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }
}

impl IdGen for RandomIds {
    fn next_bits(&mut self) -> u128 {
        self.counter += 1;
        let hi = self.state.hash_one((self.counter, 0u8));
        let lo = self.state.hash_one((self.counter, 1u8));
        (u128::from(hi) << 64) | u128::from(lo)
    }
}
