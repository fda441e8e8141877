//! Group references without expansion: every distinct reference context (referenced group,
//! VPC of the referencing group, optional peering) gets a small integer key, and one
//! engine-wide index maps each private address to the sorted keys it satisfies.
//!
//! A table then holds, per key, the bitset of its rules naming that reference, so a group of
//! 5,000 interfaces costs its addresses once in the index instead of once per referencing
//! table. Membership, addresses and peerings change only the index, never a table.

use std::collections::HashMap;
use std::net::IpAddr;

use palisade_model::{Eni, GroupId, GroupRef, PeeringId, Snapshot, VpcId};

use super::fxhash::FxHashMap;

/// What a group reference resolves against: the set of interfaces
/// `Snapshot::referenced_members(from_vpc, gref)` yields depends on exactly these.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct RefKey {
    group: GroupId,
    from_vpc: VpcId,
    peering: Option<PeeringId>,
}

/// Interned [`RefKey`]s; ids are stable for the engine's lifetime so tables survive updates.
#[derive(Debug, Clone, Default)]
pub(crate) struct RefKeys {
    ids: FxHashMap<RefKey, u32>,
    keys: Vec<RefKey>,
}

impl RefKeys {
    pub(crate) fn intern(&mut self, from_vpc: &VpcId, gref: &GroupRef) -> u32 {
        let key = RefKey {
            group: gref.group_id.clone(),
            from_vpc: from_vpc.clone(),
            peering: gref.peering_id.clone(),
        };
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = u32::try_from(self.keys.len()).expect("fewer than 2^32 reference contexts");
        self.keys.push(key.clone());
        self.ids.insert(key, id);
        id
    }

    fn heap_bytes(&self) -> usize {
        let key_bytes = |k: &RefKey| {
            size_of::<RefKey>()
                + k.group.as_str().len()
                + k.from_vpc.as_str().len()
                + k.peering.as_ref().map_or(0, |p| p.as_str().len())
        };
        self.keys
            .iter()
            .map(|k| 2 * key_bytes(k) + size_of::<u32>())
            .sum()
    }
}

/// Address → sorted reference keys it satisfies.
#[derive(Debug, Clone, Default)]
pub(crate) struct RefIndex {
    v4: FxHashMap<u32, (u32, u32)>,
    v6: FxHashMap<u128, (u32, u32)>,
    keys: Vec<u32>,
}

impl RefIndex {
    /// Resolves every interned key against the snapshot.
    pub(crate) fn build(snapshot: &Snapshot, interned: &RefKeys) -> Self {
        let mut members: HashMap<&GroupId, Vec<&Eni>> = HashMap::new();
        for eni in snapshot.enis.values() {
            let mut groups: Vec<&GroupId> = eni.groups.iter().collect();
            groups.sort_unstable();
            groups.dedup();
            for g in groups {
                members.entry(g).or_default().push(eni);
            }
        }
        let mut peered: HashMap<(&VpcId, &VpcId, Option<&PeeringId>), bool> = HashMap::new();
        let mut pairs: Vec<(IpAddr, u32)> = Vec::new();
        for (id, key) in interned.keys.iter().enumerate() {
            let id = u32::try_from(id).expect("key ids fit u32 by construction");
            for eni in members.get(&key.group).map_or(&[][..], Vec::as_slice) {
                let reachable = eni.vpc_id == key.from_vpc
                    || *peered
                        .entry((&key.from_vpc, &eni.vpc_id, key.peering.as_ref()))
                        .or_insert_with(|| {
                            snapshot.peered(&key.from_vpc, &eni.vpc_id, key.peering.as_ref())
                        });
                if reachable {
                    pairs.extend(eni.private_addrs().map(|a| (a, id)));
                }
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        let mut res = Self::default();
        let mut i = 0;
        while i < pairs.len() {
            let addr = pairs[i].0;
            let start = res.keys.len();
            while i < pairs.len() && pairs[i].0 == addr {
                res.keys.push(pairs[i].1);
                i += 1;
            }
            let range = (to_u32(start), to_u32(res.keys.len()));
            match addr {
                IpAddr::V4(a) => res.v4.insert(u32::from(a), range),
                IpAddr::V6(a) => res.v6.insert(u128::from(a), range),
            };
        }
        res.keys.shrink_to_fit();
        res
    }

    /// The keys an IPv4 address satisfies, sorted.
    #[inline]
    pub(crate) fn keys_v4(&self, addr: u32) -> &[u32] {
        self.v4
            .get(&addr)
            .map_or(&[], |&(s, e)| &self.keys[s as usize..e as usize])
    }

    /// The keys an IPv6 address satisfies, sorted.
    #[inline]
    pub(crate) fn keys_v6(&self, addr: u128) -> &[u32] {
        self.v6
            .get(&addr)
            .map_or(&[], |&(s, e)| &self.keys[s as usize..e as usize])
    }

    pub(crate) fn heap_bytes(&self, interned: &RefKeys) -> usize {
        self.v4.capacity() * (size_of::<(u32, (u32, u32))>() + 1)
            + self.v6.capacity() * (size_of::<(u128, (u32, u32))>() + 1)
            + self.keys.capacity() * size_of::<u32>()
            + interned.heap_bytes()
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).expect("fewer than 2^32 (address, key) pairs")
}
