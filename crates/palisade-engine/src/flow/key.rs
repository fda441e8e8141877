//! Compact storage of connections: packed keys, 8-byte entries, one hash map per address
//! family, and a fast non-cryptographic hasher.
//!
//! A connection is stored as (key, entry). The key packs the interned *local endpoint*
//! (interface + local address, see `Interner`), the remote address, both ports and the
//! protocol: 13 bytes for IPv4 (16 with padding), 25 for IPv6 (28). The entry packs the
//! deadline, the protocol state and two flags into 8 bytes. With hashbrown's one control byte
//! per slot an IPv4 connection costs 25 bytes per slot, divided by the load factor
//! (0.44–0.875). Keys never hold pointers, so the map is one allocation.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The decoded key: what a connection is, from its interface's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Tuple {
    pub(crate) local_id: u32,
    pub(crate) remote: IpAddr,
    pub(crate) local_port: u16,
    pub(crate) remote_port: u16,
    pub(crate) protocol: u8,
}

/// An IPv4 connection key: 13 bytes of data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyV4 {
    local_id: u32,
    remote: u32,
    ports: u32,
    protocol: u8,
}

/// An IPv6 connection key: 25 bytes of data (4-byte aligned, so 28 in memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyV6 {
    local_id: u32,
    remote: [u32; 4],
    ports: u32,
    protocol: u8,
}

impl Hash for KeyV4 {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64((u64::from(self.local_id) << 32) | u64::from(self.remote));
        state.write_u64((u64::from(self.ports) << 8) | u64::from(self.protocol));
    }
}

impl Hash for KeyV6 {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let [a, b, c, d] = self.remote;
        state.write_u64((u64::from(a) << 32) | u64::from(b));
        state.write_u64((u64::from(c) << 32) | u64::from(d));
        state.write_u64(
            (u64::from(self.local_id) << 40)
                ^ (u64::from(self.ports) << 8)
                ^ u64::from(self.protocol),
        );
    }
}

/// One connection's state: 8 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Milliseconds after the table's epoch at which the connection dies (dead when
    /// `now >= deadline`, as Linux's `nf_ct_is_expired`).
    pub(crate) deadline: u32,
    /// A `state::State` encoded by `State::to_u8`.
    pub(crate) state: u8,
    pub(crate) flags: u8,
}

impl Entry {
    /// The connection was started by an ingress packet (else by an egress one).
    pub(crate) const INGRESS_STARTED: u8 = 0x01;
    /// An untracked flow (EC2 UG "Untracked connections"): remembered only to recognise its
    /// packets, judged by rules, not counted against the interface's allowance.
    pub(crate) const UNTRACKED: u8 = 0x02;

    pub(crate) fn has(self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// Bytes one stored connection occupies in a map slot, plus hashbrown's control byte.
pub(crate) const SLOT_BYTES_V4: usize = size_of::<(KeyV4, Entry)>() + 1;
pub(crate) const SLOT_BYTES_V6: usize = size_of::<(KeyV6, Entry)>() + 1;

/// Both families' maps.
#[derive(Debug, Default, Clone)]
pub(crate) struct Maps {
    pub(crate) v4: HashMap<KeyV4, Entry, FlowHasher>,
    pub(crate) v6: HashMap<KeyV6, Entry, FlowHasher>,
}

/// A packed key of either family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AnyKey {
    V4(KeyV4),
    V6(KeyV6),
}

impl AnyKey {
    /// Packs a tuple. The remote address's family picks the map.
    pub(crate) fn pack(t: &Tuple) -> Self {
        let ports = (u32::from(t.local_port) << 16) | u32::from(t.remote_port);
        match t.remote {
            IpAddr::V4(a) => Self::V4(KeyV4 {
                local_id: t.local_id,
                remote: u32::from(a),
                ports,
                protocol: t.protocol,
            }),
            IpAddr::V6(a) => {
                let o = a.octets();
                let word = |i: usize| u32::from_be_bytes([o[i], o[i + 1], o[i + 2], o[i + 3]]);
                Self::V6(KeyV6 {
                    local_id: t.local_id,
                    remote: [word(0), word(4), word(8), word(12)],
                    ports,
                    protocol: t.protocol,
                })
            }
        }
    }
}

fn split_ports(ports: u32) -> (u16, u16) {
    // Two halves of a u32: each fits a u16 by construction.
    #[allow(clippy::cast_possible_truncation)]
    let res = ((ports >> 16) as u16, (ports & 0xffff) as u16);
    res
}

impl KeyV4 {
    pub(crate) fn unpack(&self) -> Tuple {
        let (local_port, remote_port) = split_ports(self.ports);
        Tuple {
            local_id: self.local_id,
            remote: IpAddr::V4(Ipv4Addr::from(self.remote)),
            local_port,
            remote_port,
            protocol: self.protocol,
        }
    }
}

impl KeyV6 {
    pub(crate) fn unpack(&self) -> Tuple {
        let (local_port, remote_port) = split_ports(self.ports);
        let [a, b, c, d] = self.remote;
        let bits =
            (u128::from(a) << 96) | (u128::from(b) << 64) | (u128::from(c) << 32) | u128::from(d);
        Tuple {
            local_id: self.local_id,
            remote: IpAddr::V6(Ipv6Addr::from(bits)),
            local_port,
            remote_port,
            protocol: self.protocol,
        }
    }
}

impl Maps {
    pub(crate) fn get_mut(&mut self, key: &AnyKey) -> Option<&mut Entry> {
        match key {
            AnyKey::V4(k) => self.v4.get_mut(k),
            AnyKey::V6(k) => self.v6.get_mut(k),
        }
    }

    pub(crate) fn get(&self, key: &AnyKey) -> Option<&Entry> {
        match key {
            AnyKey::V4(k) => self.v4.get(k),
            AnyKey::V6(k) => self.v6.get(k),
        }
    }

    pub(crate) fn insert(&mut self, key: AnyKey, entry: Entry) {
        match key {
            AnyKey::V4(k) => self.v4.insert(k, entry),
            AnyKey::V6(k) => self.v6.insert(k, entry),
        };
    }

    pub(crate) fn remove(&mut self, key: &AnyKey) -> Option<Entry> {
        match key {
            AnyKey::V4(k) => self.v4.remove(k),
            AnyKey::V6(k) => self.v6.remove(k),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// Keeps the connections for which `keep` answers true.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&Tuple, &mut Entry) -> bool) {
        self.v4.retain(|k, e| keep(&k.unpack(), e));
        self.v6.retain(|k, e| keep(&k.unpack(), e));
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
        buckets(self.v4.capacity()) * SLOT_BYTES_V4 + buckets(self.v6.capacity()) * SLOT_BYTES_V6
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
