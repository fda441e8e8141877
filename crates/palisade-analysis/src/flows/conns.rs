//! The connections an `Attributor` has seen opened, in open-addressing tables of packed keys:
//! the hot structure of `palisade flows`, probed once for every record.
//!
//! A log of many short connections makes nearly every probe a cache miss, so a slot is
//! small and a probe touches one cache line: an IPv4 connection is a 16-byte key and a
//! 32-byte slot (the key, the end of its last record and its state inline, no control bytes
//! apart as in `std`'s map), an IPv6 one 56 bytes. Tables use linear probing at a load of at
//! most 3/4 and grow by doubling; removal is in place in one sequential pass (no tombstones,
//! no rehash). Forgetting is lazy (see [`Conns`]): the attributor's sweep every 64k records
//! costs nothing, and slots are reclaimed when a table would grow or reaches its limit.
//!
//! Which table holds a connection is a function of its key alone: IPv4 and IPv6 connections
//! of interfaces numbered below 2^24 - 1 are packed, anything else (mixed families, which a
//! malformed record can give) goes to a wide table. Never does I/O.

use std::net::IpAddr;

use palisade_model::Direction;
use rustc_hash::FxHashMap;

/// A connection as seen from one interface, unpacked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ConnKey {
    pub(super) iface: u32,
    pub(super) protocol: u8,
    pub(super) local: IpAddr,
    pub(super) local_port: u16,
    pub(super) remote: IpAddr,
    pub(super) remote_port: u16,
}

/// What is remembered of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Conn {
    pub(super) opener: Direction,
    /// False while only replies were seen.
    pub(super) opener_seen: bool,
    /// The end of its last record.
    pub(super) last: u64,
    /// The rules its opener's records are attributed to (a `RuleLists` id; 0 for none).
    pub(super) rules: u32,
}

/// Where a key is, or would be inserted: valid until the next [`Conns::retain`] (a
/// [`Conns::find`] makes room for one insert first, so inserting there never grows).
#[derive(Debug, Clone, Copy)]
pub(super) struct Place {
    table: Which,
    idx: usize,
    found: bool,
}

/// A key's home slot in its table, valid until the table grows (then a touch reads some
/// other slot: only time is lost).
#[derive(Debug, Clone, Copy)]
pub(super) enum Home {
    V4(usize),
    V6(usize),
    /// The wide table (rare), or an empty one: nothing to touch.
    None,
}

#[derive(Debug, Clone, Copy)]
enum Which {
    V4,
    V6,
    Wide,
}

/// Every connection remembered, by family.
///
/// Forgetting is lazy: [`Conns::expire_before`] only records a cutoff and starts a new
/// epoch, and a connection last written in an earlier epoch whose `last` is below the
/// cutoff reads as absent — exactly the connections an eager pass would have removed, since
/// cutoffs only grow (a later cutoff removes whatever an earlier one did). Their slots are
/// reclaimed by [`Conns::purge`], when a table would otherwise grow or the caller needs the
/// count of connections remembered.
#[derive(Debug, Default)]
pub(super) struct Conns {
    v4: Table<KeyV4>,
    v6: Table<KeyV6>,
    wide: Table<KeyWide>,
    /// Counts [`Conns::expire_before`] calls (30 bits, kept in each slot's flags).
    epoch: u32,
    /// The latest cutoff.
    cutoff: u64,
}

impl Conns {
    /// Slots in use, including connections forgotten but not yet purged.
    pub(super) fn len(&self) -> usize {
        self.v4.len + self.v6.len + self.wide.len
    }

    /// Connections remembered (a pass over the tables).
    pub(super) fn live(&self) -> usize {
        let alive = self.alive();
        self.v4.count(alive) + self.v6.count(alive) + self.wide.count(alive)
    }

    /// Forgets (lazily) every connection whose `last` is below `cutoff`; `cutoff` must be
    /// at least the previous one.
    pub(super) fn expire_before(&mut self, cutoff: u64) {
        debug_assert!(cutoff >= self.cutoff, "cutoffs only grow");
        self.epoch = (self.epoch + 1) & EPOCH_MASK;
        self.cutoff = cutoff;
    }

    /// Reclaims the slots of forgotten connections; nothing observable changes.
    pub(super) fn purge(&mut self) {
        let alive = self.alive();
        self.v4.retain(&mut |last, flags| alive.holds(last, flags));
        self.v6.retain(&mut |last, flags| alive.holds(last, flags));
        self.wide
            .retain(&mut |last, flags| alive.holds(last, flags));
    }

    fn alive(&self) -> Alive {
        Alive {
            epoch: self.epoch,
            cutoff: self.cutoff,
        }
    }

    /// Where `key` would be looked for first (for [`Conns::touch`]).
    #[inline]
    pub(super) fn home(&self, key: &ConnKey) -> Home {
        match pack(key) {
            Packed::V4(k) if !self.v4.slots.is_empty() => Home::V4(self.v4.home(&k)),
            Packed::V6(k) if !self.v6.slots.is_empty() => Home::V6(self.v6.home(&k)),
            _ => Home::None,
        }
    }

    /// Reads the slots at `home` and returns a word of them: a load ahead of
    /// [`Conns::find`], so that a batch's cache misses overlap.
    #[inline]
    pub(super) fn touch(&self, home: Home) -> u64 {
        match home {
            Home::V4(i) => self.v4.touch(i),
            Home::V6(i) => self.v6.touch(i),
            Home::None => 0,
        }
    }

    /// The place of `key`, after making room for one insert.
    pub(super) fn find(&mut self, key: &ConnKey) -> Place {
        let alive = self.alive();
        let (table, (idx, found)) = match pack(key) {
            Packed::V4(k) => (Which::V4, self.v4.find(&k, alive)),
            Packed::V6(k) => (Which::V6, self.v6.find(&k, alive)),
            Packed::Wide(k) => (Which::Wide, self.wide.find(&k, alive)),
        };
        Place { table, idx, found }
    }

    /// The connection at `place`, unless there is none or it is forgotten (its slot is then
    /// reused for the key, as it holds the same key).
    pub(super) fn get(&self, place: Place) -> Option<Conn> {
        if !place.found {
            return None;
        }
        let (last, state) = match place.table {
            Which::V4 => self.v4.value(place.idx),
            Which::V6 => self.v6.value(place.idx),
            Which::Wide => self.wide.value(place.idx),
        };
        if !self.alive().holds(last, state.flags) {
            return None;
        }
        Some(Conn {
            opener: if state.flags & INGRESS != 0 {
                Direction::Ingress
            } else {
                Direction::Egress
            },
            opener_seen: state.flags & OPENER_SEEN != 0,
            last,
            rules: state.rules,
        })
    }

    /// Stores `conn` at `place` (`key` must be the key `place` was found for), inserting it
    /// when it was not there.
    pub(super) fn set(&mut self, place: &mut Place, key: &ConnKey, conn: Conn) {
        let state = State {
            flags: (u32::from(conn.opener == Direction::Ingress) * INGRESS)
                | (u32::from(conn.opener_seen) * OPENER_SEEN)
                | (self.epoch << EPOCH_SHIFT),
            rules: conn.rules,
        };
        let found = place.found;
        match (place.table, pack(key)) {
            (Which::V4, Packed::V4(k)) => self.v4.set(place.idx, found, k, conn.last, state),
            (Which::V6, Packed::V6(k)) => self.v6.set(place.idx, found, k, conn.last, state),
            (Which::Wide, Packed::Wide(k)) => {
                self.wide.set(place.idx, found, k, conn.last, state);
            }
            _ => unreachable!("a place is found for its key's table"),
        }
        place.found = true;
    }

    /// Keeps the slots whose `last` satisfies `keep` (forgotten or not: [`Conns::purge`]
    /// first); returns how many were removed.
    pub(super) fn retain(&mut self, keep: impl Fn(u64) -> bool) -> usize {
        self.v4.retain(&mut |last, _| keep(last))
            + self.v6.retain(&mut |last, _| keep(last))
            + self.wide.retain(&mut |last, _| keep(last))
    }

    /// The `last` of every slot in use, in no particular order.
    pub(super) fn lasts(&self) -> Vec<u64> {
        let mut res = Vec::with_capacity(self.len());
        self.v4.lasts(&mut res);
        self.v6.lasts(&mut res);
        self.wide.lasts(&mut res);
        res
    }
}

/// The rule lists connections remember, interned: a slot holds a 4-byte id, and a log's
/// connections share few distinct lists. Bounded: once full, new lists are not remembered
/// (their connections ask the engine again, which answers the same).
#[derive(Debug, Default)]
pub(super) struct RuleLists {
    /// `(start, len)` in `data` of list `id - 1`.
    spans: Vec<(u32, u32)>,
    data: Vec<u32>,
    /// Lists of up to four rules, padded with `u32::MAX` (never a rule index), compared
    /// inline; longer ones by slice.
    small: FxHashMap<[u32; 4], u32>,
    large: FxHashMap<Box<[u32]>, u32>,
}

impl RuleLists {
    const MAX_LISTS: usize = 1 << 16;
    const MAX_DATA: usize = 1 << 20;

    /// The id of `rules` (nonzero), or 0 when the store is full.
    pub(super) fn intern(&mut self, rules: &[u32]) -> u32 {
        let mut small = [u32::MAX; 4];
        let small = match small.get_mut(..rules.len()) {
            Some(head) => {
                head.copy_from_slice(rules);
                Some(small)
            }
            None => None,
        };
        let known = match &small {
            Some(k) => self.small.get(k),
            None => self.large.get(rules),
        };
        if let Some(&id) = known {
            return id;
        }
        if self.spans.len() >= Self::MAX_LISTS || self.data.len() + rules.len() > Self::MAX_DATA {
            return 0;
        }
        let (Ok(start), Ok(len)) = (u32::try_from(self.data.len()), u32::try_from(rules.len()))
        else {
            return 0;
        };
        self.data.extend_from_slice(rules);
        self.spans.push((start, len));
        let id = u32::try_from(self.spans.len()).expect("at most MAX_LISTS lists");
        match small {
            Some(k) => self.small.insert(k, id),
            None => self.large.insert(rules.into(), id),
        };
        id
    }

    /// The list `id` names (`None` for 0).
    #[inline]
    pub(super) fn get(&self, id: u32) -> Option<&[u32]> {
        let &(start, len) = self.spans.get(usize::try_from(id.checked_sub(1)?).ok()?)?;
        let start = start as usize;
        self.data.get(start..start + len as usize)
    }
}

const INGRESS: u32 = 1;
const OPENER_SEEN: u32 = 2;
/// The epoch a slot was last written in: flags' bits 2–31 (it wraps after 2^30 epochs, one
/// every 64k records: 7 × 10^13 records).
const EPOCH_SHIFT: u32 = 2;
const EPOCH_MASK: u32 = u32::MAX >> EPOCH_SHIFT;

/// Which slots hold a connection not yet forgotten.
#[derive(Debug, Clone, Copy)]
struct Alive {
    epoch: u32,
    cutoff: u64,
}

impl Alive {
    #[inline]
    fn holds(self, last: u64, flags: u32) -> bool {
        flags >> EPOCH_SHIFT == self.epoch || last >= self.cutoff
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct State {
    flags: u32,
    rules: u32,
}

/// A table key: `EMPTY` marks a free slot and is never a connection's key.
trait Key: Copy + Eq {
    const EMPTY: Self;
    fn hash(&self) -> u64;
}

/// The packed keys' interface field: 24 bits, all ones reserved for `EMPTY`.
const PACKED_IFACES: u32 = (1 << 24) - 1;

/// IPv4: `remote << 32 | local`, and `local_port << 48 | remote_port << 32 | iface << 8 |
/// protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KeyV4 {
    addrs: u64,
    rest: u64,
}

/// IPv6: both addresses' halves and the same `rest` as IPv4. Words, not `u128`s, so a slot
/// is aligned to 8 and 56 bytes, not 64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KeyV6 {
    local: [u64; 2],
    remote: [u64; 2],
    rest: u64,
}

/// Anything else: addresses as numbers with their families in `meta`
/// (`protocol << 2 | local is IPv6 << 1 | remote is IPv6`; `u16::MAX` for `EMPTY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KeyWide {
    local: [u64; 2],
    remote: [u64; 2],
    /// `iface << 32 | local_port << 16 | remote_port`.
    ports: u64,
    meta: u16,
}

impl Key for KeyV4 {
    const EMPTY: Self = Self {
        addrs: u64::MAX,
        rest: u64::MAX,
    };
    #[inline]
    fn hash(&self) -> u64 {
        mix(self.addrs, self.rest)
    }
}

impl Key for KeyV6 {
    const EMPTY: Self = Self {
        local: [u64::MAX; 2],
        remote: [u64::MAX; 2],
        rest: u64::MAX,
    };
    #[inline]
    fn hash(&self) -> u64 {
        let addrs = mix(
            self.local[0] ^ self.remote[1],
            self.local[1] ^ self.remote[0],
        );
        mix(addrs, self.rest)
    }
}

impl Key for KeyWide {
    const EMPTY: Self = Self {
        local: [u64::MAX; 2],
        remote: [u64::MAX; 2],
        ports: u64::MAX,
        meta: u16::MAX,
    };
    fn hash(&self) -> u64 {
        let addrs = mix(
            self.local[0] ^ self.remote[1],
            self.local[1] ^ self.remote[0],
        );
        mix(addrs ^ u64::from(self.meta), self.ports)
    }
}

/// Two words to a hash whose top bits depend on every input bit (multiply, xor, multiply;
/// the xor-shift spreads the top into the bottom too).
#[inline]
fn mix(a: u64, b: u64) -> u64 {
    let h = (a.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ b).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^ (h >> 31)
}

enum Packed {
    V4(KeyV4),
    V6(KeyV6),
    Wide(KeyWide),
}

fn words(a: u128) -> [u64; 2] {
    // Truncation intended: the two halves of the address.
    #[allow(clippy::cast_possible_truncation)]
    [(a >> 64) as u64, a as u64]
}

#[inline]
fn pack(k: &ConnKey) -> Packed {
    let rest = || {
        u64::from(k.local_port) << 48
            | u64::from(k.remote_port) << 32
            | u64::from(k.iface) << 8
            | u64::from(k.protocol)
    };
    match (k.local, k.remote) {
        (IpAddr::V4(l), IpAddr::V4(r)) if k.iface < PACKED_IFACES => Packed::V4(KeyV4 {
            addrs: u64::from(u32::from(r)) << 32 | u64::from(u32::from(l)),
            rest: rest(),
        }),
        (IpAddr::V6(l), IpAddr::V6(r)) if k.iface < PACKED_IFACES => Packed::V6(KeyV6 {
            local: words(l.into()),
            remote: words(r.into()),
            rest: rest(),
        }),
        (local, remote) => {
            let bits = |a: IpAddr| match a {
                IpAddr::V4(a) => [0, u64::from(u32::from(a))],
                IpAddr::V6(a) => words(a.into()),
            };
            Packed::Wide(KeyWide {
                local: bits(local),
                remote: bits(remote),
                ports: u64::from(k.iface) << 32
                    | u64::from(k.local_port) << 16
                    | u64::from(k.remote_port),
                meta: u16::from(k.protocol) << 2
                    | u16::from(local.is_ipv6()) << 1
                    | u16::from(remote.is_ipv6()),
            })
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Slot<K> {
    key: K,
    last: u64,
    state: State,
}

/// Linear probing over a power-of-two number of slots (none until the first insert).
#[derive(Debug)]
struct Table<K> {
    slots: Vec<Slot<K>>,
    len: usize,
}

impl<K> Default for Table<K> {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            len: 0,
        }
    }
}

const MIN_SLOTS: usize = 64;

impl<K: Key> Table<K> {
    const FREE: Slot<K> = Slot {
        key: K::EMPTY,
        last: 0,
        state: State { flags: 0, rules: 0 },
    };

    #[inline]
    fn home(&self, key: &K) -> usize {
        // The hash's top bits pick the slot: a product's high bits depend on every bit of
        // its factors, its low bits only on theirs. (With the low bits, a key's top bits,
        // the local port among them, barely counted: an interface's outgoing connections,
        // which differ in that port alone, shared a few homes, and probes walked 11 slots.)
        let bits = self.slots.len().trailing_zeros();
        // Truncation intended: `bits` of the 64 are kept.
        #[allow(clippy::cast_possible_truncation)]
        let h = (key.hash() >> (64 - bits)) as usize;
        h
    }

    /// The slot holding `key` (`true`) or the free slot where it would go, with room made
    /// for one insert first: forgotten connections are purged before the table would grow,
    /// and it grows only if that left it more than 5/8 full (so purges are at least an
    /// eighth of the table's inserts apart).
    #[inline]
    fn find(&mut self, key: &K, alive: Alive) -> (usize, bool) {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.retain(&mut |last, flags| alive.holds(last, flags));
            if (self.len + 1) * 8 > self.slots.len() * 5 {
                self.grow();
            }
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let slot_key = self.slots[i].key;
            if slot_key == *key {
                return (i, true);
            }
            if slot_key == K::EMPTY {
                return (i, false);
            }
            i = (i + 1) & mask;
        }
    }

    /// The home slot's cache line and the next (a probe for a new key walks about three
    /// slots at a load of 1/2); `home` may be stale, never out of bounds.
    #[inline]
    fn touch(&self, home: usize) -> u64 {
        let mask = self.slots.len() - 1;
        self.slots[home & mask].last ^ self.slots[(home + 2) & mask].last
    }

    fn value(&self, idx: usize) -> (u64, State) {
        let s = &self.slots[idx];
        (s.last, s.state)
    }

    fn set(&mut self, idx: usize, found: bool, key: K, last: u64, state: State) {
        self.slots[idx] = Slot { key, last, state };
        self.len += usize::from(!found);
    }

    fn grow(&mut self) {
        let n = (self.slots.len() * 2).max(MIN_SLOTS);
        let old = std::mem::replace(&mut self.slots, vec![Self::FREE; n]);
        let mask = n - 1;
        for slot in old.into_iter().filter(|s| s.key != K::EMPTY) {
            let mut i = self.home(&slot.key);
            while self.slots[i].key != K::EMPTY {
                i = (i + 1) & mask;
            }
            self.slots[i] = slot;
        }
    }

    /// Removes the slots whose `last` fails `keep`, in place: one pass from a free slot (no
    /// run of occupied slots crosses it), moving each kept key back to the first free slot
    /// from its home, so every key stays reachable from its home without a free slot
    /// between. A key can only move when a slot of its run was freed before it in this
    /// pass; the others are read and left alone.
    fn retain(&mut self, keep: &mut impl FnMut(u64, u32) -> bool) -> usize {
        if self.len == 0 {
            return 0;
        }
        let n = self.slots.len();
        let mask = n - 1;
        let start = (self.slots.iter())
            .position(|s| s.key == K::EMPTY)
            .expect("a load of at most 3/4 leaves a free slot");
        let mut removed = 0;
        // A slot of the current run (since the last slot that was free before the pass)
        // has been freed.
        let mut holes = false;
        for step in 1..n {
            let i = (start + step) & mask;
            let slot = self.slots[i];
            if slot.key == K::EMPTY {
                holes = false;
                continue;
            }
            if !keep(slot.last, slot.state.flags) {
                self.slots[i] = Self::FREE;
                removed += 1;
                holes = true;
                continue;
            }
            if !holes {
                continue;
            }
            let mut j = self.home(&slot.key);
            while j != i && self.slots[j].key != K::EMPTY {
                j = (j + 1) & mask;
            }
            if j != i {
                self.slots[j] = slot;
                self.slots[i] = Self::FREE;
            }
        }
        self.len -= removed;
        removed
    }

    fn count(&self, alive: Alive) -> usize {
        (self.slots.iter())
            .filter(|s| s.key != K::EMPTY && alive.holds(s.last, s.state.flags))
            .count()
    }

    fn lasts(&self, out: &mut Vec<u64>) {
        out.extend(
            (self.slots.iter())
                .filter(|s| s.key != K::EMPTY)
                .map(|s| s.last),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Op {
        /// Insert or update connection `n` (from a small space, so keys recur) with `last`.
        Set(u16, u64),
        /// Forget connections with `last` below the cutoff, raised by this much.
        Expire(u64),
        /// Purge, then keep only connections with `last > threshold` (the eviction).
        Evict(u64),
    }

    /// Connection `n`: IPv4, IPv6, mixed families and a wide interface number alike.
    fn key(n: u16) -> ConnKey {
        let v4 = |a: u16| IpAddr::from([10, 0, a.to_be_bytes()[0], a.to_be_bytes()[1]]);
        let v6 = |a: u16| IpAddr::from([0x2600, 0, 0, 0, 0, 0, 0, a]);
        let (local, remote, iface) = match n % 4 {
            0 => (v4(n / 4), v4(7), 3),
            1 => (v6(n / 4), v6(7), 3),
            2 => (v4(n / 4), v6(7), 3),
            _ => (v4(n / 4), v4(7), PACKED_IFACES),
        };
        ConnKey {
            iface,
            protocol: 6,
            local,
            local_port: n,
            remote,
            remote_port: 443,
        }
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            16 => (0..400u16, 0..100u64).prop_map(|(n, t)| Op::Set(n, t)),
            2 => (0..20u64).prop_map(Op::Expire),
            1 => (0..100u64).prop_map(Op::Evict),
        ]
    }

    /// Connections that differ in one field alone (here an interface's outgoing ones, by
    /// local port, the top of the key's second word) spread over the table as random keys
    /// would: a hash whose slot ignored some key bits made long runs of probes.
    #[test]
    fn keys_differing_in_one_field_have_their_own_homes() {
        let mut table: Table<KeyV4> = Table::default();
        table.grow();
        while table.slots.len() < 4096 {
            table.grow();
        }
        for field in 0..3 {
            let mut homes: Vec<usize> = (0..1000u16)
                .map(|n| {
                    let mut k = ConnKey {
                        iface: 3,
                        protocol: 6,
                        local: IpAddr::from([10, 0, 0, 1]),
                        local_port: 40000,
                        remote: IpAddr::from([198, 51, 100, 7]),
                        remote_port: 443,
                    };
                    match field {
                        0 => k.local_port = 1024 + n,
                        1 => k.remote_port = 1024 + n,
                        _ => {
                            let [hi, lo] = n.to_be_bytes();
                            k.remote = IpAddr::from([198, 51, hi, lo]);
                        }
                    }
                    let Packed::V4(k) = pack(&k) else {
                        unreachable!()
                    };
                    table.home(&k)
                })
                .collect();
            homes.sort_unstable();
            homes.dedup();
            // Random homes: 4096 * (1 - e^(-1000/4096)), about 886.
            assert!(homes.len() > 800, "field {field}: {} homes", homes.len());
        }
    }

    proptest! {
        /// The tables hold exactly what a map would, through growth and in-place removal.
        #[test]
        fn conns_are_a_map(ops in proptest::collection::vec(op(), 1..600)) {
            let mut conns = Conns::default();
            let mut model: HashMap<u16, Conn> = HashMap::new();
            let mut cutoff = 0;
            for op in ops {
                match op {
                    Op::Set(n, last) => {
                        let conn = Conn {
                            opener: if last % 2 == 0 { Direction::Ingress } else { Direction::Egress },
                            opener_seen: last % 3 == 0,
                            last,
                            rules: u32::from(n),
                        };
                        let mut place = conns.find(&key(n));
                        prop_assert_eq!(conns.get(place), model.get(&n).copied());
                        conns.set(&mut place, &key(n), conn);
                        model.insert(n, conn);
                    }
                    Op::Expire(raise) => {
                        cutoff += raise;
                        model.retain(|_, c| c.last >= cutoff);
                        conns.expire_before(cutoff);
                    }
                    Op::Evict(threshold) => {
                        let before = model.len();
                        model.retain(|_, c| c.last > threshold);
                        conns.purge();
                        prop_assert_eq!(conns.retain(|last| last > threshold), before - model.len());
                    }
                }
                prop_assert_eq!(conns.live(), model.len());
            }
            for n in 0..400 {
                let place = conns.find(&key(n));
                prop_assert_eq!(conns.get(place), model.get(&n).copied());
            }
            conns.purge();
            prop_assert_eq!(conns.len(), model.len());
            let mut lasts = conns.lasts();
            let mut expected: Vec<u64> = model.values().map(|c| c.last).collect();
            lasts.sort_unstable();
            expected.sort_unstable();
            prop_assert_eq!(lasts, expected);
        }
    }
}
