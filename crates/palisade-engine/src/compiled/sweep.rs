//! Building blocks of a compiled table: interned rule bitsets and the sweep that turns
//! possibly overlapping intervals (each tagged with a rule bit) into sorted, disjoint
//! elementary intervals, each carrying the bitset of rules that cover it.
//!
//! Build-time only, except [`Bitsets`], which the tables keep for look-ups.

use super::fxhash::FxHashMap;

/// Interned bitsets of `words` 64-bit words each, stored back to back. Set 0 is always the
/// empty set, so "no rule" is the id 0 and lookups can short-circuit on it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Bitsets {
    words: usize,
    data: Vec<u64>,
}

impl Bitsets {
    /// The words of set `id`.
    #[inline]
    pub(crate) fn get(&self, id: u32) -> &[u64] {
        let start = id as usize * self.words;
        &self.data[start..start + self.words]
    }

    /// True when sets `a` and `b` share a rule.
    #[inline]
    pub(crate) fn intersects(&self, a: u32, b: u32) -> bool {
        self.get(a).iter().zip(self.get(b)).any(|(x, y)| x & y != 0)
    }

    pub(crate) fn words(&self) -> usize {
        self.words
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.data.capacity() * size_of::<u64>()
    }
}

/// Builds [`Bitsets`], handing out the same id for equal sets.
#[derive(Debug)]
pub(crate) struct Interner {
    sets: Bitsets,
    ids: FxHashMap<Vec<u64>, u32>,
}

impl Interner {
    pub(crate) fn new(n_bits: usize) -> Self {
        let words = n_bits.div_ceil(64);
        let mut res = Self {
            sets: Bitsets {
                words,
                data: Vec::new(),
            },
            ids: FxHashMap::default(),
        };
        let empty = vec![0; words];
        res.intern(&empty);
        res
    }

    pub(crate) fn words(&self) -> usize {
        self.sets.words
    }

    pub(crate) fn intern(&mut self, set: &[u64]) -> u32 {
        if let Some(&id) = self.ids.get(set) {
            return id;
        }
        let id = u32::try_from(self.ids.len()).expect("fewer than 2^32 distinct rule sets");
        self.sets.data.extend_from_slice(set);
        self.ids.insert(set.to_vec(), id);
        id
    }

    /// The set holding exactly `bits`.
    pub(crate) fn intern_bits(&mut self, bits: impl IntoIterator<Item = u32>) -> u32 {
        let mut set = vec![0; self.words()];
        for bit in bits {
            set[bit as usize / 64] |= 1 << (bit % 64);
        }
        self.intern(&set)
    }

    pub(crate) fn finish(mut self) -> Bitsets {
        self.sets.data.shrink_to_fit();
        self.sets
    }
}

/// An inclusive interval `lo..=hi` covered by rule `bit`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    pub(crate) lo: u128,
    pub(crate) hi: u128,
    pub(crate) bit: u32,
}

/// Elementary intervals over `0..=max`: `starts[i]..starts[i+1]` (the last one up to `max`)
/// is covered by exactly the rules of set `sets[i]`. `starts[0]` is 0; neighbours never carry
/// the same set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Elementary {
    pub(crate) starts: Vec<u128>,
    pub(crate) sets: Vec<u32>,
}

/// Sweeps `spans` (all within `0..=max`) into elementary intervals.
pub(crate) fn sweep(spans: &[Span], max: u128, interner: &mut Interner) -> Elementary {
    // (point, is_start, bit): ends are at hi + 1, dropped when that leaves the domain.
    let mut events: Vec<(u128, bool, u32)> = Vec::with_capacity(spans.len() * 2);
    for s in spans {
        events.push((s.lo, true, s.bit));
        if s.hi < max {
            events.push((s.hi + 1, false, s.bit));
        }
    }
    events.sort_unstable();
    let words = interner.words();
    let mut counts = vec![0u32; words * 64];
    let mut current = vec![0u64; words];
    let mut res = Elementary {
        starts: vec![0],
        sets: vec![0],
    };
    let mut i = 0;
    while i < events.len() {
        let point = events[i].0;
        while i < events.len() && events[i].0 == point {
            let (_, is_start, bit) = events[i];
            let count = &mut counts[bit as usize];
            if is_start {
                *count += 1;
            } else {
                *count -= 1;
            }
            let word = &mut current[bit as usize / 64];
            if *count > 0 {
                *word |= 1 << (bit % 64);
            } else {
                *word &= !(1 << (bit % 64));
            }
            i += 1;
        }
        let id = interner.intern(&current);
        if point == 0 {
            res.sets[0] = id;
        } else if res.sets.last() != Some(&id) {
            res.starts.push(point);
            res.sets.push(id);
        }
    }
    res
}

/// The index of the elementary interval holding `key` (`starts[0]` is the domain minimum).
#[inline]
pub(crate) fn locate<K: Copy + Ord>(starts: &[K], key: K) -> usize {
    starts.partition_point(|s| *s <= key).saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sweeps spans over `0..=max` and renders each elementary interval as `start:bits`.
    #[track_caller]
    fn check(spans: &[(u128, u128, u32)], max: u128, want: &str) {
        let spans: Vec<Span> = spans
            .iter()
            .map(|&(lo, hi, bit)| Span { lo, hi, bit })
            .collect();
        let mut interner = Interner::new(3);
        let e = sweep(&spans, max, &mut interner);
        let sets = interner.finish();
        let got: Vec<String> = e
            .starts
            .iter()
            .zip(&e.sets)
            .map(|(s, id)| format!("{s}:{:b}", sets.get(*id)[0]))
            .collect();
        assert_eq!(got.join(" "), want);
    }

    #[test]
    fn disjoint_overlapping_nested_and_full() {
        check(&[], 9, "0:0");
        check(&[(2, 4, 0)], 9, "0:0 2:1 5:0");
        check(&[(0, 9, 1)], 9, "0:10");
        check(&[(2, 6, 0), (4, 9, 1)], 9, "0:0 2:1 4:11 7:10");
        check(
            &[(2, 8, 0), (4, 5, 1), (5, 5, 2)],
            9,
            "0:0 2:1 4:11 5:111 6:1 9:0",
        );
        // One rule from two overlapping spans (prefix-list entries): counted, not toggled.
        check(&[(1, 5, 0), (3, 7, 0)], 9, "0:0 1:1 8:0");
        // Adjacent spans of one rule merge; the domain's top has no end event.
        check(&[(1, 3, 0), (4, 9, 0)], 9, "0:0 1:1");
    }

    #[test]
    fn locate_finds_the_interval() {
        let starts = [0u32, 10, 20];
        assert_eq!(
            [0, 9, 10, 19, 20, u32::MAX].map(|k| locate(&starts, k)),
            [0, 0, 1, 1, 2, 2]
        );
    }
}
