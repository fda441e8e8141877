//! Compact storage of connections: packed byte-array keys, 5-byte entries, one hash map per
//! address family (plus a rarely used wide map), and a fast non-cryptographic hasher.
//!
//! A connection is stored as (key, entry). The key packs the remote address, both ports, the
//! protocol and the interned *local endpoint* id (interface + local address, see `Interner`)
//! in its low 24 bits: 12 bytes for IPv4, 24 for IPv6. The entry packs the deadline, the
//! protocol state and two flags into 5 bytes. Keys and entries are byte arrays (alignment 1),
//! so a slot has no padding: with hashbrown's one control byte per slot an IPv4 connection
//! costs 18 bytes per slot and an IPv6 one 30, divided by the load factor (0.44–0.875).
//! Endpoint ids of 2^24 and above (never seen in practice, but representable) go to a third
//! map keyed by the unpacked [`Tuple`]: which map holds a connection is a function of its key
//! alone, so every look-up probes exactly one map. Keys never hold pointers, so each map is
//! one allocation.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::flow::state::State;

/// The decoded key: what a connection is, from its interface's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Tuple {
    pub(crate) local_id: u32,
    pub(crate) remote: IpAddr,
    pub(crate) local_port: u16,
    pub(crate) remote_port: u16,
    pub(crate) protocol: u8,
}

/// Endpoint ids below this fit the packed keys' 24 bits.
pub(crate) const PACKED_LOCAL_IDS: u32 = 1 << 24;

/// An IPv4 connection key, 12 bytes in two little-endian words: the remote address (low 32
/// bits) and the ports (high 32, local port on top); `local_id << 8 | protocol`. Words are
/// byte arrays, so the key has alignment 1 and no padding, but each is written and read
/// whole (a key built byte by byte would defeat store-to-load forwarding when hashed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyV4 {
    addr_ports: [u8; 8],
    id_proto: [u8; 4],
}

/// An IPv6 connection key, 24 bytes in three little-endian words: the remote address's high
/// and low 64 bits; the ports (low 32 bits) and `local_id << 8 | protocol` (high 32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyV6 {
    addr_hi: [u8; 8],
    addr_lo: [u8; 8],
    ports_id_proto: [u8; 8],
}

impl Hash for KeyV4 {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(u64::from_le_bytes(self.addr_ports));
        state.write_u64(u64::from(u32::from_le_bytes(self.id_proto)));
    }
}

impl Hash for KeyV6 {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(u64::from_le_bytes(self.addr_hi));
        state.write_u64(u64::from_le_bytes(self.addr_lo));
        state.write_u64(u64::from_le_bytes(self.ports_id_proto));
    }
}

/// One connection's state, 5 bytes, alignment 1: the deadline (little-endian) and one byte
/// holding the `State` (low 4 bits) and the flags (high 4 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    deadline: [u8; 4],
    bits: u8,
}

impl Entry {
    /// The connection was started by an ingress packet (else by an egress one).
    pub(crate) const INGRESS_STARTED: u8 = 0x01;
    /// An untracked flow (EC2 UG "Untracked connections"): remembered only to recognise its
    /// packets, judged by rules, not counted against the interface's allowance.
    pub(crate) const UNTRACKED: u8 = 0x02;

    /// `deadline`: milliseconds after the table's epoch at which the connection dies (dead
    /// when `now >= deadline`, as Linux's `nf_ct_is_expired`). `flags` is a set of the
    /// constants above.
    pub(crate) fn new(deadline: u32, state: State, flags: u8) -> Self {
        debug_assert!(flags < 0x10, "flags fit 4 bits");
        Self {
            deadline: deadline.to_le_bytes(),
            bits: state.to_u8() | (flags << 4),
        }
    }

    pub(crate) fn deadline(self) -> u32 {
        u32::from_le_bytes(self.deadline)
    }

    pub(crate) fn set_deadline(&mut self, deadline: u32) {
        self.deadline = deadline.to_le_bytes();
    }

    pub(crate) fn state(self) -> State {
        State::from_u8(self.bits & 0x0f)
    }

    pub(crate) fn set_state(&mut self, state: State) {
        self.bits = (self.bits & 0xf0) | state.to_u8();
    }

    pub(crate) fn has(self, flag: u8) -> bool {
        (self.bits >> 4) & flag != 0
    }
}

/// Bytes one stored connection occupies in a map slot, plus hashbrown's control byte.
pub(crate) const SLOT_BYTES_V4: usize = size_of::<(KeyV4, Entry)>() + 1;
pub(crate) const SLOT_BYTES_V6: usize = size_of::<(KeyV6, Entry)>() + 1;
pub(crate) const SLOT_BYTES_WIDE: usize = size_of::<(Tuple, Entry)>() + 1;

/// Both families' maps, and the wide map for endpoint ids beyond 24 bits.
#[derive(Debug, Default, Clone)]
pub(crate) struct Maps {
    pub(crate) v4: HashMap<KeyV4, Entry, FlowHasher>,
    pub(crate) v6: HashMap<KeyV6, Entry, FlowHasher>,
    pub(crate) wide: HashMap<Tuple, Entry, FlowHasher>,
}

/// A packed key of either family, or a wide one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AnyKey {
    V4(KeyV4),
    V6(KeyV6),
    Wide(Tuple),
}

impl AnyKey {
    /// Packs a tuple. The remote address's family picks the map, or the wide map when the
    /// endpoint id does not fit 24 bits.
    pub(crate) fn pack(t: &Tuple) -> Self {
        if t.local_id >= PACKED_LOCAL_IDS {
            return Self::Wide(*t);
        }
        let ports = (u32::from(t.local_port) << 16) | u32::from(t.remote_port);
        let id_proto = (t.local_id << 8) | u32::from(t.protocol);
        match t.remote {
            IpAddr::V4(a) => Self::V4(KeyV4 {
                addr_ports: (u64::from(u32::from(a)) | (u64::from(ports) << 32)).to_le_bytes(),
                id_proto: id_proto.to_le_bytes(),
            }),
            IpAddr::V6(a) => {
                let bits = u128::from(a);
                // The high and low halves of a u128.
                #[allow(clippy::cast_possible_truncation)]
                let (hi, lo) = ((bits >> 64) as u64, bits as u64);
                Self::V6(KeyV6 {
                    addr_hi: hi.to_le_bytes(),
                    addr_lo: lo.to_le_bytes(),
                    ports_id_proto: (u64::from(ports) | (u64::from(id_proto) << 32)).to_le_bytes(),
                })
            }
        }
    }
}

/// Decodes the ports word and the `local_id << 8 | protocol` word of a packed key.
fn unpack_rest(remote: IpAddr, ports: u32, id_proto: u32) -> Tuple {
    // Two halves of a u32 and its low byte: each fits by construction.
    #[allow(clippy::cast_possible_truncation)]
    let (local_port, remote_port, protocol) = (
        (ports >> 16) as u16,
        (ports & 0xffff) as u16,
        (id_proto & 0xff) as u8,
    );
    Tuple {
        local_id: id_proto >> 8,
        remote,
        local_port,
        remote_port,
        protocol,
    }
}

/// The low and high halves of a u64.
#[allow(clippy::cast_possible_truncation)]
fn halves(w: u64) -> (u32, u32) {
    (w as u32, (w >> 32) as u32)
}

impl KeyV4 {
    pub(crate) fn unpack(&self) -> Tuple {
        let (addr, ports) = halves(u64::from_le_bytes(self.addr_ports));
        unpack_rest(
            IpAddr::V4(Ipv4Addr::from(addr)),
            ports,
            u32::from_le_bytes(self.id_proto),
        )
    }
}

impl KeyV6 {
    pub(crate) fn unpack(&self) -> Tuple {
        let bits = (u128::from(u64::from_le_bytes(self.addr_hi)) << 64)
            | u128::from(u64::from_le_bytes(self.addr_lo));
        let (ports, id_proto) = halves(u64::from_le_bytes(self.ports_id_proto));
        unpack_rest(IpAddr::V6(Ipv6Addr::from(bits)), ports, id_proto)
    }
}

impl Maps {
    pub(crate) fn get_mut(&mut self, key: &AnyKey) -> Option<&mut Entry> {
        match key {
            AnyKey::V4(k) => self.v4.get_mut(k),
            AnyKey::V6(k) => self.v6.get_mut(k),
            AnyKey::Wide(k) => self.wide.get_mut(k),
        }
    }

    pub(crate) fn get(&self, key: &AnyKey) -> Option<&Entry> {
        match key {
            AnyKey::V4(k) => self.v4.get(k),
            AnyKey::V6(k) => self.v6.get(k),
            AnyKey::Wide(k) => self.wide.get(k),
        }
    }

    pub(crate) fn insert(&mut self, key: AnyKey, entry: Entry) {
        match key {
            AnyKey::V4(k) => self.v4.insert(k, entry),
            AnyKey::V6(k) => self.v6.insert(k, entry),
            AnyKey::Wide(k) => self.wide.insert(k, entry),
        };
    }

    pub(crate) fn remove(&mut self, key: &AnyKey) -> Option<Entry> {
        match key {
            AnyKey::V4(k) => self.v4.remove(k),
            AnyKey::V6(k) => self.v6.remove(k),
            AnyKey::Wide(k) => self.wide.remove(k),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.v4.len() + self.v6.len() + self.wide.len()
    }

    /// Keeps the connections for which `keep` answers true.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&Tuple, &mut Entry) -> bool) {
        self.v4.retain(|k, e| keep(&k.unpack(), e));
        self.v6.retain(|k, e| keep(&k.unpack(), e));
        self.wide.retain(|k, e| keep(k, e));
    }

    /// Bytes the maps' slot arrays occupy (hashbrown: a power-of-two number of buckets of
    /// one (key, entry) pair plus one control byte; `capacity()` is 7/8 of the buckets).
    pub(crate) fn memory_bytes(&self) -> usize {
        let buckets = |cap: usize| {
            if cap == 0 {
                0
            } else {
                (cap * 8 / 7).next_power_of_two()
            }
        };
        buckets(self.v4.capacity()) * SLOT_BYTES_V4
            + buckets(self.v6.capacity()) * SLOT_BYTES_V6
            + buckets(self.wide.capacity()) * SLOT_BYTES_WIDE
    }
}

/// Interns (interface index, local address) pairs as dense `u32` local endpoint ids, so
/// that keys need not hold an `EniId` string or the local address.
#[derive(Debug, Default, Clone)]
pub(crate) struct Interner {
    ids: HashMap<(u32, IpAddr), u32, FlowHasher>,
    endpoints: Vec<(u32, IpAddr)>,
}

impl Interner {
    pub(crate) fn intern(&mut self, interface_idx: u32, local: IpAddr) -> u32 {
        if let Some(id) = self.ids.get(&(interface_idx, local)) {
            return *id;
        }
        let id = u32::try_from(self.endpoints.len()).expect("fewer than 2^32 local endpoints");
        self.endpoints.push((interface_idx, local));
        self.ids.insert((interface_idx, local), id);
        id
    }

    /// The id of a pair, if it was ever interned (a look-up that never allocates).
    pub(crate) fn find(&self, interface_idx: u32, local: IpAddr) -> Option<u32> {
        self.ids.get(&(interface_idx, local)).copied()
    }

    /// (interface index, local address) of an id.
    pub(crate) fn endpoint(&self, id: u32) -> (u32, IpAddr) {
        self.endpoints[id as usize]
    }
}

/// A fast hasher for fixed-size keys: each word is folded into the state by a 64×64→128-bit
/// multiply whose halves are xored (the "folded multiply" of foldhash/ahash). Not DoS
/// resistant: the table's keys come from the operator's own traffic, and capacity is capped.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FlowHasher;

#[derive(Debug, Clone, Copy)]
pub(crate) struct FoldedMultiply(u64);

const SEED: u64 = 0x243f_6a88_85a3_08d3;
const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;

fn folded_multiply(a: u64, b: u64) -> u64 {
    let full = u128::from(a) * u128::from(b);
    // The low and high halves of a u128.
    #[allow(clippy::cast_possible_truncation)]
    let res = (full as u64) ^ ((full >> 64) as u64);
    res
}

impl BuildHasher for FlowHasher {
    type Hasher = FoldedMultiply;
    fn build_hasher(&self) -> FoldedMultiply {
        FoldedMultiply(SEED)
    }
}

impl Hasher for FoldedMultiply {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = folded_multiply(self.0 ^ x, MULTIPLIER);
    }
    fn write_u32(&mut self, x: u32) {
        self.write_u64(u64::from(x));
    }
    fn write_u16(&mut self, x: u16) {
        self.write_u64(u64::from(x));
    }
    fn write_u8(&mut self, x: u8) {
        self.write_u64(u64::from(x));
    }
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
}
