//! Time as a value: pure crates never read the clock; callers pass a [`Timestamp`].

use std::fmt;

/// Milliseconds since an epoch the caller chooses (a trace's start, the Unix epoch …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Timestamp(u64);

impl Timestamp {
    pub const ZERO: Self = Self(0);

    pub fn from_millis(ms: u64) -> Self {
        Self(ms)
    }
    pub fn from_secs(s: u64) -> Self {
        Self(s.saturating_mul(1000))
    }
    /// From fractional seconds; negative or non-finite values are `None`.
    pub fn from_secs_f64(s: f64) -> Option<Self> {
        if !s.is_finite() || !(0.0..=1.0e15).contains(&s) {
            return None;
        }
        // In range by the check above: 1e18 ms fits u64.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(Self((s * 1000.0).round() as u64))
    }
    pub fn millis(self) -> u64 {
        self.0
    }
    pub fn secs_f64(self) -> f64 {
        // Precision loss above 2^53 ms is irrelevant for timestamps.
        #[allow(clippy::cast_precision_loss)]
        let s = self.0 as f64 / 1000.0;
        s
    }
    pub fn plus_secs(self, s: u64) -> Self {
        Self(self.0.saturating_add(s.saturating_mul(1000)))
    }
    pub fn plus_millis(self, ms: u64) -> Self {
        Self(self.0.saturating_add(ms))
    }
    pub fn saturating_sub(self, other: Self) -> u64 {
        self.0.saturating_sub(other.0)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}
