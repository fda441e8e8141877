//! Generated accounts at benchmark scale: a seeded, realistic mix of VPCs, peerings (active
//! and not), prefix lists, groups, interfaces and rules.
//!
//! The mix follows `analysis-perf.md` §6.1 (EVAL-SG): peers 70% CIDR (IPv4:IPv6 = 3:1), 15%
//! prefix lists, 15% group references; protocols tcp 70%, udp 20%, icmp/icmpv6 5%, `-1` or
//! another number 5%; ports single:range:all = 6:3:1; CIDRs of every length. Interfaces come
//! in roles (auto-scaling tiers) that share a group set; a few shared groups per VPC
//! (bastion, monitoring) sit on many roles, and one big role reaches 5,000 interfaces at
//! 100k rules, so group references resolve against groups of thousands of members.

use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use palisade_model::{
    AddressFamily, ConntrackConfig, Direction, Eni, GroupId, GroupRef, IcmpMatch, Peer, Peering,
    PeeringStatus, PortRange, PrefixList, PrefixListEntry, Rule, RuleSpec, SecurityGroup, Snapshot,
    Traffic, Vpc, VpcId,
};

use crate::ids;
use crate::rng::Rng;

/// The size and seed of a generated account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountConfig {
    /// Rules over all groups, both directions (met exactly unless duplicates run out).
    pub rules: usize,
    pub seed: u64,
}

/// Ports real security groups open most.
pub const POPULAR_PORTS: [u16; 19] = [
    22, 80, 443, 3306, 5432, 6379, 8080, 8443, 53, 123, 3389, 1433, 27017, 9200, 2049, 25, 11211,
    5439, 1521,
];

/// Generates an account; the same config always yields the same snapshot.
pub fn account(config: AccountConfig) -> Snapshot {
    let mut g = Gen {
        rng: Rng::new(config.seed),
        snap: Snapshot::default(),
        next_id: 1,
    };
    let n_vpcs = 2 + config.rules / 25_000;
    let vpcs: Vec<VpcId> = (0..n_vpcs).map(|i| g.vpc(i)).collect();
    for i in 1..n_vpcs {
        let status = if i % 2 == 1 {
            PeeringStatus::Active
        } else {
            PeeringStatus::PendingAcceptance
        };
        g.peering(&vpcs[i - 1], &vpcs[i], status);
    }
    g.peering(&vpcs[0], &vpcs[n_vpcs - 1], PeeringStatus::Deleted);
    for _ in 0..(config.rules / 500).max(2) {
        g.prefix_list();
    }

    // Groups: a few shared ones per VPC, then one primary group per role.
    let n_groups = (config.rules / 50).max(4);
    let shared_per_vpc = 3;
    let mut shared: Vec<Vec<GroupId>> = vec![Vec::new(); n_vpcs];
    let mut all: Vec<(GroupId, usize)> = Vec::new();
    for (v, vpc) in vpcs.iter().enumerate() {
        for _ in 0..shared_per_vpc {
            let id = g.group(vpc);
            shared[v].push(id.clone());
            all.push((id, v));
        }
    }
    let mut roles: Vec<(usize, Vec<GroupId>)> = Vec::new();
    while all.len() < n_groups {
        let v = g.rng.index(n_vpcs);
        let id = g.group(&vpcs[v]);
        all.push((id.clone(), v));
        let n_shared = [0, 1, 1, 2, 2, 3, 3][g.rng.weighted(&[30, 20, 20, 10, 10, 5, 5])];
        let mut set = vec![id];
        set.extend(shared[v].iter().take(n_shared).cloned());
        roles.push((v, set));
    }

    // Interfaces: role sizes are heavy-tailed; the first role is the big one.
    let big = (config.rules / 20).clamp(10, 5000);
    let mut next_host = vec![4u32; n_vpcs];
    for (i, (v, set)) in roles.iter().enumerate() {
        let size = if i == 0 {
            big
        } else {
            let bucket = g.rng.weighted(&[70, 25, 5]);
            let (lo, hi) = [(1, 3), (4, 12), (13, 60)][bucket];
            g.rng.index(hi - lo + 1) + lo
        };
        for _ in 0..size {
            g.eni(*v, &vpcs[*v], &mut next_host[*v], set);
        }
    }

    // Rules, spread over the groups.
    let group_ids: Vec<GroupId> = all.iter().map(|(id, _)| id.clone()).collect();
    let per_group = config.rules / all.len();
    let mut extra = config.rules % all.len();
    let ctx = RuleCtx {
        vpcs: &vpcs,
        shared: &shared,
        groups: &all,
    };
    for (gid, v) in &all {
        let n = per_group + usize::from(extra > 0);
        extra = extra.saturating_sub(1);
        g.fill_group(gid, *v, n, &ctx);
    }
    debug_assert!(group_ids.iter().all(|id| g.snap.groups.contains_key(id)));
    g.snap
}

struct RuleCtx<'a> {
    vpcs: &'a [VpcId],
    shared: &'a [Vec<GroupId>],
    groups: &'a [(GroupId, usize)],
}

struct Gen {
    rng: Rng,
    snap: Snapshot,
    next_id: u64,
}

impl Gen {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn vpc(&mut self, i: usize) -> VpcId {
        let id = ids::vpc_id(self.id());
        let octet = u8::try_from(i % 256).expect("i % 256 fits u8");
        let v6 = Ipv6Addr::new(0x2600, 0x1f18, u16::from(octet), 0, 0, 0, 0, 0);
        self.snap.vpcs.insert(
            id.clone(),
            Vpc {
                id: id.clone(),
                owner: ids::account(),
                cidrs_v4: vec![
                    Ipv4Net::new(Ipv4Addr::new(10, octet, 0, 0), 16).expect("/16 is valid"),
                ],
                cidrs_v6: vec![Ipv6Net::new(v6, 56).expect("/56 is valid")],
                is_default: false,
                tags: Vec::new(),
                attributes: Default::default(),
            },
        );
        id
    }

    fn peering(&mut self, a: &VpcId, b: &VpcId, status: PeeringStatus) {
        let id = ids::peering_id(self.id());
        self.snap.peerings.insert(
            id.clone(),
            Peering {
                id,
                requester_vpc: a.clone(),
                requester_owner: ids::account(),
                accepter_vpc: b.clone(),
                accepter_owner: ids::account(),
                status,
                tags: Vec::new(),
                detail: Default::default(),
            },
        );
    }

    fn prefix_list(&mut self) {
        let id = ids::prefix_list_id(self.id());
        let family = if self.rng.percent(20) {
            AddressFamily::Ipv6
        } else {
            AddressFamily::Ipv4
        };
        let n = self.rng.range(1, 20);
        let mut entries: Vec<PrefixListEntry> = (0..n)
            .map(|_| {
                let cidr = match family {
                    AddressFamily::Ipv4 => IpNet::V4(self.cidr_v4()),
                    AddressFamily::Ipv6 => IpNet::V6(self.cidr_v6()),
                };
                PrefixListEntry {
                    cidr,
                    description: None,
                }
            })
            .collect();
        entries.sort();
        entries.dedup_by(|a, b| a.cidr == b.cidr);
        let max_entries = u32::try_from(entries.len() + 5).expect("≤ 25 entries");
        self.snap.prefix_lists.insert(
            id.clone(),
            PrefixList {
                name: format!("list-{id}"),
                id,
                owner: ids::account(),
                family,
                max_entries,
                version: 1,
                entries,
                tags: Vec::new(),
                change: Default::default(),
            },
        );
    }

    fn group(&mut self, vpc: &VpcId) -> GroupId {
        let id = ids::group_id(self.id());
        let group = SecurityGroup::empty(
            id.clone(),
            format!("group-{id}"),
            "generated".into(),
            vpc.clone(),
            ids::account(),
        );
        self.snap.groups.insert(id.clone(), group);
        id
    }

    fn eni(&mut self, v: usize, vpc: &VpcId, next_host: &mut u32, groups: &[GroupId]) {
        let id = ids::eni_id(self.id());
        let octet = u32::try_from(v % 256).expect("v % 256 fits u32");
        let mut host = || {
            let h = *next_host;
            *next_host += 1;
            Ipv4Addr::from(10 << 24 | octet << 16 | (h & 0xffff))
        };
        let mut private_ipv4 = vec![host()];
        if self.rng.percent(20) {
            private_ipv4.push(host());
        }
        let ipv6 = if self.rng.percent(30) {
            let base = u128::from(Ipv6Addr::new(
                0x2600,
                0x1f18,
                u16::try_from(octet).expect("< 256"),
                0,
                0,
                0,
                0,
                0,
            ));
            vec![Ipv6Addr::from(base | u128::from(*next_host))]
        } else {
            Vec::new()
        };
        let public_ipv4 = self
            .rng
            .percent(30)
            .then(|| Ipv4Addr::from(54 << 24 | (self.rng.u32() & 0xff_ffff)));
        self.snap.enis.insert(
            id.clone(),
            Eni {
                id,
                owner: ids::account(),
                vpc_id: vpc.clone(),
                subnet_id: None,
                private_ipv4,
                ipv6,
                public_ipv4,
                groups: groups.to_vec(),
                instance_id: None,
                description: String::new(),
                conntrack: ConntrackConfig::default(),
                tags: Vec::new(),
            },
        );
    }

    fn fill_group(&mut self, gid: &GroupId, v: usize, n: usize, ctx: &RuleCtx<'_>) {
        let mut added = 0;
        let mut attempts = 0;
        while added < n && attempts < n * 4 + 16 {
            attempts += 1;
            let spec = self.rule_spec(v, ctx);
            let rule = Rule {
                id: ids::rule_id(self.id()),
                group_id: gid.clone(),
                spec,
                description: None,
                tags: Vec::new(),
            };
            let group = self
                .snap
                .groups
                .get_mut(gid)
                .expect("groups are created before rules");
            if group.insert_existing(rule).is_ok() {
                added += 1;
            }
        }
    }

    fn rule_spec(&mut self, v: usize, ctx: &RuleCtx<'_>) -> RuleSpec {
        let direction = if self.rng.percent(65) {
            Direction::Ingress
        } else {
            Direction::Egress
        };
        let (peer, v6) = match self.rng.weighted(&[52, 18, 15, 15]) {
            0 => (Peer::Ipv4(self.cidr_v4()), false),
            1 => (Peer::Ipv6(self.cidr_v6()), true),
            2 => {
                let lists: Vec<_> = self.snap.prefix_lists.keys().cloned().collect();
                let id = self.rng.pick(&lists).clone();
                let v6 = self.snap.prefix_lists[&id].family == AddressFamily::Ipv6;
                (Peer::PrefixList(id), v6)
            }
            _ => (Peer::Group(self.group_ref(v, ctx)), self.rng.percent(30)),
        };
        RuleSpec {
            direction,
            traffic: self.traffic(v6),
            peer,
        }
    }

    fn group_ref(&mut self, v: usize, ctx: &RuleCtx<'_>) -> GroupRef {
        let (target, target_vpc) = match self.rng.weighted(&[50, 30, 20]) {
            0 => (self.rng.pick(&ctx.shared[v]).clone(), v),
            _ => {
                let (id, tv) = self.rng.pick(ctx.groups);
                (id.clone(), *tv)
            }
        };
        let mut gref = GroupRef::same_account(target);
        if target_vpc != v {
            gref.vpc_id = Some(ctx.vpcs[target_vpc].clone());
            if self.rng.percent(50) {
                let (a, b) = (&ctx.vpcs[v], &ctx.vpcs[target_vpc]);
                gref.peering_id = self
                    .snap
                    .peerings
                    .values()
                    .find(|p| {
                        (&p.requester_vpc, &p.accepter_vpc) == (a, b)
                            || (&p.requester_vpc, &p.accepter_vpc) == (b, a)
                    })
                    .map(|p| p.id.clone());
            }
        }
        gref
    }

    fn traffic(&mut self, v6: bool) -> Traffic {
        match self.rng.weighted(&[70, 20, 5, 3, 2]) {
            0 => Traffic::Tcp(self.ports()),
            1 => Traffic::Udp(self.ports()),
            2 => {
                let m = self.icmp(v6);
                if v6 {
                    Traffic::Icmpv6(m)
                } else {
                    Traffic::Icmp(m)
                }
            }
            3 => Traffic::All,
            _ => Traffic::Protocol(*self.rng.pick(&[4, 47, 50, 51, 132])),
        }
    }

    fn ports(&mut self) -> PortRange {
        match self.rng.weighted(&[6, 3, 1]) {
            0 if self.rng.percent(70) => PortRange::single(*self.rng.pick(&POPULAR_PORTS)),
            0 => PortRange::single(self.rng.u16()),
            1 => {
                let from = if self.rng.percent(50) {
                    *self.rng.pick(&POPULAR_PORTS)
                } else {
                    self.rng.u16()
                };
                let len = u16::try_from(self.rng.range(1, 2000)).expect("≤ 2000 fits u16");
                PortRange::new(from, from.saturating_add(len)).expect("from ≤ from + len")
            }
            _ => PortRange::ALL,
        }
    }

    fn icmp(&mut self, v6: bool) -> IcmpMatch {
        if self.rng.percent(30) {
            return IcmpMatch::ANY;
        }
        let types: &[u8] = if v6 {
            &[1, 2, 3, 128, 129, 135, 136]
        } else {
            &[0, 3, 5, 8, 11]
        };
        let code = (!self.rng.percent(70)).then(|| u8::try_from(self.rng.below(5)).expect("< 5"));
        IcmpMatch::new(Some(*self.rng.pick(types)), code).expect("a type with any code is valid")
    }

    fn cidr_v4(&mut self) -> Ipv4Net {
        let len = [32, 24, 16, 8, 0][self.rng.weighted(&[30, 20, 10, 5, 2, 33]).min(4)];
        let len = if self.rng.percent(33) {
            u8::try_from(self.rng.range(1, 31)).expect("≤ 31")
        } else {
            len
        };
        let addr = if self.rng.percent(40) {
            // Inside a generated VPC, so rules hit interfaces.
            let n_vpcs = u32::try_from(self.snap.vpcs.len()).expect("few VPCs");
            10 << 24 | (self.rng.u32() % n_vpcs.max(1)) << 16 | (self.rng.u32() & 0x3fff)
        } else {
            self.rng.u32()
        };
        Ipv4Net::new(Ipv4Addr::from(addr), len)
            .expect("len ≤ 32")
            .trunc()
    }

    fn cidr_v6(&mut self) -> Ipv6Net {
        let len = [128, 64, 56, 48, 0][self.rng.weighted(&[25, 30, 15, 10, 2, 18]).min(4)];
        let len = if self.rng.percent(18) {
            u8::try_from(self.rng.range(1, 127)).expect("≤ 127")
        } else {
            len
        };
        let addr = if self.rng.percent(40) {
            let n_vpcs = u128::try_from(self.snap.vpcs.len())
                .expect("few VPCs")
                .max(1);
            let octet = u128::from(self.rng.next_u64()) % n_vpcs;
            u128::from(Ipv6Addr::new(0x2600, 0x1f18, 0, 0, 0, 0, 0, 0))
                | octet << 80
                | (self.rng.u128() & 0x3fff)
        } else {
            0x2000 << 112 | (self.rng.u128() >> 3)
        };
        Ipv6Net::new(Ipv6Addr::from(addr), len)
            .expect("len ≤ 128")
            .trunc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_deterministic_consistent_and_of_the_asked_size() {
        let config = AccountConfig {
            rules: 2_000,
            seed: 5,
        };
        let snap = account(config);
        assert_eq!(snap, account(config));
        assert_ne!(snap, account(AccountConfig { seed: 6, ..config }));
        assert_eq!(snap.check(), vec![]);
        let n_rules: usize = snap.groups.values().map(|g| g.rules().len()).sum();
        assert_eq!(n_rules, 2_000);
        let statuses: Vec<PeeringStatus> = snap.peerings.values().map(|p| p.status).collect();
        assert!(statuses.contains(&PeeringStatus::Active));
        assert!(statuses.iter().any(|s| *s != PeeringStatus::Active));
        let biggest = snap.groups.keys().map(|g| snap.members(g).count()).max();
        assert!(biggest >= Some(100), "{biggest:?}");
        let peers: Vec<&Peer> = snap
            .groups
            .values()
            .flat_map(|g| g.rules())
            .map(|r| r.peer())
            .collect();
        assert!(peers.iter().any(|p| matches!(p, Peer::Group(_))));
        assert!(peers.iter().any(|p| matches!(p, Peer::PrefixList(_))));
        assert!(peers.iter().any(|p| matches!(p, Peer::Ipv6(_))));
    }
}
