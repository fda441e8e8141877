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

    /// A random request id in UUID form (8-4-4-4-12 lowercase hex digits), written
    /// straight into one string: every request makes one, and formatting it through
    /// `format!` and a hex string had cost about 3,000 instructions.
    pub(crate) fn request_id(&mut self) -> String {
        uuid_text(self.next_bits())
    }
}

/// `bits` in UUID form, most significant digit first.
fn uuid_text(bits: u128) -> String {
    let mut out = String::with_capacity(36);
    // The groups' widths in hex digits.
    let mut shift = 128;
    for (i, digits) in [8, 4, 4, 4, 12].into_iter().enumerate() {
        if i > 0 {
            out.push('-');
        }
        shift -= 4 * digits;
        palisade_model::push_hex(&mut out, bits >> shift, digits);
    }
    out
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

#[cfg(test)]
mod tests {
    use super::{RandomIds, uuid_text};

    #[test]
    fn uuid_text_writes_every_bit_in_order() {
        let bits = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210_u128;
        assert_eq!(uuid_text(bits), "01234567-89ab-cdef-fedc-ba9876543210");
        assert_eq!(uuid_text(1), "00000000-0000-0000-0000-000000000001");
    }

    #[test]
    fn request_ids_are_uuid_shaped_and_differ() {
        let mut ids = RandomIds::new();
        let (a, b) = (ids.request_id(), ids.request_id());
        assert_ne!(a, b);
        for id in [a, b] {
            let groups: Vec<usize> = id.split('-').map(str::len).collect();
            assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
            assert!(
                id.chars()
                    .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
                "{id}"
            );
        }
    }
}
