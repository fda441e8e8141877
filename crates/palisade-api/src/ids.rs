//! Fresh ids and request ids for one request.

use std::hash::{BuildHasher, RandomState};

use std::time::{SystemTime, UNIX_EPOCH};

use palisade_model::{IdGen, Timestamp};

/// Fresh ids from std's randomly keyed SipHash (no extra dependency; ids need uniqueness,
/// not secrecy).
#[derive(Debug)]
pub(crate) struct RandomIds {
    state: RandomState,
    counter: u64,
    /// The request's instant (launch and attachment times).
    now: Timestamp,
}

impl RandomIds {
    pub(crate) fn new() -> Self {
        Self {
            state: RandomState::new(),
            counter: 0,
            now: Timestamp::ZERO,
        }
    }

    /// The same generator, reporting `at` as the operation's instant.
    pub(crate) fn at(mut self, at: SystemTime) -> Self {
        let ms = at
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        self.now = Timestamp::from_millis(ms);
        self
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
    fn now(&self) -> Timestamp {
        self.now
    }
}
