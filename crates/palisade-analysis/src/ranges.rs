//! Sets of integers as sorted, disjoint, non-adjacent inclusive intervals: the set algebra
//! every analysis is built on (addresses as `u32`/`u128`, traffic keys as `u32`).
//!
//! Every operation is a linear merge; nothing here allocates per point, so a `/0` costs the
//! same as a `/32`.

use std::fmt::Debug;

/// A point type: a bounded unsigned integer.
pub trait Point: Copy + Ord + Debug {
    const MIN: Self;
    const MAX: Self;
    fn succ(self) -> Option<Self>;
    fn pred(self) -> Option<Self>;
    /// Number of points in `lo..=hi`, saturating at `u128::MAX`.
    fn count(lo: Self, hi: Self) -> u128;
}

macro_rules! point {
    ($t:ty) => {
        impl Point for $t {
            const MIN: Self = <$t>::MIN;
            const MAX: Self = <$t>::MAX;
            fn succ(self) -> Option<Self> {
                self.checked_add(1)
            }
            fn pred(self) -> Option<Self> {
                self.checked_sub(1)
            }
            fn count(lo: Self, hi: Self) -> u128 {
                u128::from(hi - lo).saturating_add(1)
            }
        }
    };
}
point!(u16);
point!(u32);
point!(u128);

/// A set of points as sorted, disjoint, non-adjacent inclusive intervals.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IntervalSet<T> {
    ranges: Vec<(T, T)>,
}

impl<T: Point> Default for IntervalSet<T> {
    fn default() -> Self {
        Self { ranges: Vec::new() }
    }
}

impl<T: Point> IntervalSet<T> {
    pub fn empty() -> Self {
        Self::default()
    }

    pub fn full() -> Self {
        Self {
            ranges: vec![(T::MIN, T::MAX)],
        }
    }

    pub fn single(lo: T, hi: T) -> Self {
        Self::from_ranges(std::iter::once((lo, hi)))
    }

    /// Builds a set from intervals in any order, overlapping or not; `lo > hi` is empty.
    pub fn from_ranges(iter: impl IntoIterator<Item = (T, T)>) -> Self {
        let mut v: Vec<(T, T)> = iter.into_iter().filter(|(lo, hi)| lo <= hi).collect();
        v.sort_unstable();
        let mut out: Vec<(T, T)> = Vec::with_capacity(v.len());
        for (lo, hi) in v {
            match out.last_mut() {
                Some(last) if last.1.succ().is_none_or(|next| lo <= next) => {
                    if hi > last.1 {
                        last.1 = hi;
                    }
                }
                _ => out.push((lo, hi)),
            }
        }
        Self { ranges: out }
    }

    pub fn ranges(&self) -> &[(T, T)] {
        &self.ranges
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn is_full(&self) -> bool {
        self.ranges == [(T::MIN, T::MAX)]
    }

    /// Number of points, saturating.
    pub fn count(&self) -> u128 {
        self.ranges
            .iter()
            .fold(0u128, |acc, &(lo, hi)| acc.saturating_add(T::count(lo, hi)))
    }

    pub fn contains(&self, p: T) -> bool {
        let idx = self.ranges.partition_point(|&(_, hi)| hi < p);
        self.ranges.get(idx).is_some_and(|&(lo, _)| lo <= p)
    }

    pub fn union(&self, other: &Self) -> Self {
        Self::from_ranges(self.ranges.iter().chain(other.ranges.iter()).copied())
    }

    pub fn union_in_place(&mut self, other: &Self) {
        if other.is_empty() {
            return;
        }
        if self.is_empty() {
            self.ranges.clone_from(&other.ranges);
            return;
        }
        *self = self.union(other);
    }

    pub fn intersect(&self, other: &Self) -> Self {
        let (a, b) = (&self.ranges, &other.ranges);
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        while i < a.len() && j < b.len() {
            let lo = a[i].0.max(b[j].0);
            let hi = a[i].1.min(b[j].1);
            if lo <= hi {
                out.push((lo, hi));
            }
            if a[i].1 < b[j].1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        Self { ranges: out }
    }

    /// True when the sets share a point (no allocation).
    pub fn intersects(&self, other: &Self) -> bool {
        let (a, b) = (&self.ranges, &other.ranges);
        if a.len() == 1 {
            return other.intersects_range(a[0].0, a[0].1);
        }
        if b.len() == 1 {
            return self.intersects_range(b[0].0, b[0].1);
        }
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            if a[i].0.max(b[j].0) <= a[i].1.min(b[j].1) {
                return true;
            }
            if a[i].1 < b[j].1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        false
    }

    /// True when some point of `lo..=hi` is in the set.
    pub fn intersects_range(&self, lo: T, hi: T) -> bool {
        let idx = self.ranges.partition_point(|&(_, h)| h < lo);
        self.ranges.get(idx).is_some_and(|&(l, _)| l <= hi)
    }

    /// True when `lo..=hi` lies entirely in the set.
    pub fn covers_range(&self, lo: T, hi: T) -> bool {
        let idx = self.ranges.partition_point(|&(_, h)| h < lo);
        self.ranges
            .get(idx)
            .is_some_and(|&(l, h)| l <= lo && hi <= h)
    }

    /// True when every point of `other` is in `self`.
    pub fn covers(&self, other: &Self) -> bool {
        other
            .ranges
            .iter()
            .all(|&(lo, hi)| self.covers_range(lo, hi))
    }

    pub fn complement(&self) -> Self {
        let mut out = Vec::with_capacity(self.ranges.len() + 1);
        let mut next = Some(T::MIN);
        for &(lo, hi) in &self.ranges {
            if let Some(n) = next
                && n < lo
                && let Some(p) = lo.pred()
            {
                out.push((n, p));
            }
            next = hi.succ();
        }
        if let Some(n) = next {
            out.push((n, T::MAX));
        }
        Self { ranges: out }
    }

    pub fn difference(&self, other: &Self) -> Self {
        self.intersect(&other.complement())
    }
}

/// Cuts the union of `intervals` into elementary segments, each with the indices of the
/// intervals covering it (in input order). Uncovered gaps are left out.
pub fn sweep(intervals: &[(u32, u32)]) -> Vec<(u32, u32, Vec<usize>)> {
    let mut bounds: Vec<u64> = Vec::with_capacity(intervals.len() * 2);
    for &(lo, hi) in intervals {
        bounds.push(u64::from(lo));
        bounds.push(u64::from(hi) + 1);
    }
    bounds.sort_unstable();
    bounds.dedup();
    let mut out = Vec::new();
    for w in bounds.windows(2) {
        let (lo, hi) = (w[0], w[1] - 1);
        let covering: Vec<usize> = intervals
            .iter()
            .enumerate()
            .filter(|(_, (l, h))| u64::from(*l) <= lo && hi <= u64::from(*h))
            .map(|(idx, _)| idx)
            .collect();
        if covering.is_empty() {
            continue;
        }
        // Bounds come from u32 values (+1), so lo and hi fit u32.
        let (Ok(lo), Ok(hi)) = (u32::try_from(lo), u32::try_from(hi)) else {
            continue;
        };
        out.push((lo, hi, covering));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(r: &[(u16, u16)]) -> IntervalSet<u16> {
        IntervalSet::from_ranges(r.iter().copied())
    }

    #[test]
    fn normalises_and_merges_adjacent() {
        assert_eq!(
            set(&[(5, 9), (0, 4), (20, 30), (25, 26)]).ranges(),
            &[(0, 9), (20, 30)]
        );
        assert!(set(&[(0, 100), (101, 65535)]).is_full());
    }

    #[test]
    fn algebra() {
        let a = set(&[(0, 10), (20, 30)]);
        let b = set(&[(5, 25)]);
        assert_eq!(a.intersect(&b).ranges(), &[(5, 10), (20, 25)]);
        assert_eq!(a.union(&b).ranges(), &[(0, 30)]);
        assert_eq!(a.difference(&b).ranges(), &[(0, 4), (26, 30)]);
        assert_eq!(a.complement().ranges(), &[(11, 19), (31, 65535)]);
        assert_eq!(
            IntervalSet::<u16>::full().complement(),
            IntervalSet::empty()
        );
        assert!(a.intersects(&b));
        assert!(!a.intersects(&set(&[(11, 19)])));
        assert!(a.covers(&set(&[(1, 2), (22, 30)])));
        assert!(!a.covers(&set(&[(1, 12)])));
        assert!(a.contains(30) && !a.contains(31));
        assert_eq!(a.count(), 22);
    }

    #[test]
    fn sweep_segments() {
        let segs = sweep(&[(0, 10), (5, 20), (30, 30)]);
        assert_eq!(
            segs,
            vec![
                (0, 4, vec![0]),
                (5, 10, vec![0, 1]),
                (11, 20, vec![1]),
                (30, 30, vec![2])
            ]
        );
    }
}
