//! Analysis benchmarks on a generated account (issue 6): 10,000 interfaces, 2,000 groups,
//! 50,000 rules, 50 prefix lists, 20 VPCs (30% with IPv6). Measures the full audit and the
//! complete internet-exposure report (index build included), one reachability query on a
//! built index, and the all-pairs group-to-group matrix; prints the peak resident memory.
//!
//! `cargo bench -p palisade-analysis --bench analysis`. The generator is seeded and
//! deterministic (tiered apps referencing each other, shared groups, ~5% of groups with
//! internet rules, some unused groups).
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::net::{Ipv4Addr, Ipv6Addr};

use criterion::{Criterion, criterion_group};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use palisade_analysis::matrix::group_matrix;
use palisade_analysis::space::payload_key;
use palisade_analysis::{AuditConfig, Endpoint, Index, audit, exposure, reach};
use palisade_engine::Payload;
use palisade_model::{
    AccountId, AddressFamily, ConntrackConfig, Direction, Eni, EniId, GroupId, GroupRef, Peer,
    PrefixList, PrefixListEntry, PrefixListId, Rule, RuleId, RuleSpec, SecurityGroup, Snapshot,
    Traffic, Vpc, VpcId,
};

const N_VPCS: u32 = 20;
const N_GROUPS: u32 = 2_000;
const N_ENIS: u32 = 10_000;
const N_RULES: u32 = 50_000;
const N_PREFIX_LISTS: u32 = 50;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u32) -> u32 {
        u32::try_from(self.next() % u64::from(n)).unwrap()
    }
    fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent
    }
}

fn id<T: std::str::FromStr>(prefix: &str, n: u32) -> T
where
    T::Err: std::fmt::Debug,
{
    format!("{prefix}{n:08x}").parse().unwrap()
}

/// The generated account.
pub fn generate(seed: u64) -> Snapshot {
    let mut rng = Rng(seed);
    let owner: AccountId = "111122223333".parse().unwrap();
    let mut snap = Snapshot::default();
    let per_vpc = N_GROUPS / N_VPCS;
    for v in 0..N_VPCS {
        let octet = u8::try_from(v + 1).unwrap();
        let vpc = Vpc {
            id: id::<VpcId>("vpc-", v),
            owner: owner.clone(),
            cidrs_v4: vec![Ipv4Net::new(Ipv4Addr::new(10, octet, 0, 0), 16).unwrap()],
            cidrs_v6: if v % 10 < 3 {
                vec![
                    Ipv6Net::new(
                        Ipv6Addr::new(0x2600, 0x1f00, u16::from(octet), 0, 0, 0, 0, 0),
                        56,
                    )
                    .unwrap(),
                ]
            } else {
                Vec::new()
            },
            attributes: Default::default(),
            is_default: false,
            tags: Vec::new(),
        };
        snap.vpcs.insert(vpc.id.clone(), vpc);
    }
    for p in 0..N_PREFIX_LISTS {
        let entries = (0..(1 + rng.below(10)))
            .map(|_| PrefixListEntry {
                // Most lists name private (on-premises) ranges; two of the fifty name public ones.
                cidr: IpNet::V4(if p % 25 == 0 {
                    Ipv4Net::new(
                        Ipv4Addr::from(u32::try_from(rng.next() >> 32).unwrap() & 0xFFFF_FF00),
                        24,
                    )
                    .unwrap()
                    .trunc()
                } else {
                    let [_, _, x, y] = rng.below(1 << 16).to_be_bytes();
                    Ipv4Net::new(Ipv4Addr::new(172, 16 + (x & 0x0F), y, 0), 24).unwrap()
                }),
                description: None,
            })
            .collect();
        let pl = PrefixList {
            id: id::<PrefixListId>("pl-", p),
            name: format!("pl{p}"),
            owner: owner.clone(),
            family: AddressFamily::Ipv4,
            max_entries: 10,
            version: 1,
            entries,
            tags: Vec::new(),
            change: Default::default(),
        };
        snap.prefix_lists.insert(pl.id.clone(), pl);
    }
    let ports = [
        22u16, 80, 443, 8080, 5432, 3306, 6379, 9200, 53, 25, 8443, 9000, 11211, 3389,
    ];
    let mut n_rules = 0u32;
    for g in 0..N_GROUPS {
        let v = g / per_vpc;
        let gid: GroupId = id("sg-", g);
        let mut group = SecurityGroup::empty(
            gid.clone(),
            format!("g{g}"),
            "generated".into(),
            id("vpc-", v),
            owner.clone(),
        );
        let target = N_RULES / N_GROUPS;
        let mut k = 0u32;
        while k < target {
            n_rules += 1;
            k += 1;
            let direction = if rng.chance(60) {
                Direction::Ingress
            } else {
                Direction::Egress
            };
            let traffic = match rng.below(20) {
                0 => Traffic::All,
                1..=13 => {
                    let p = ports[rng.below(14) as usize];
                    if rng.chance(20) {
                        Traffic::Tcp(
                            palisade_model::PortRange::new(
                                p,
                                p.saturating_add(u16::try_from(rng.below(100)).unwrap()),
                            )
                            .unwrap(),
                        )
                    } else {
                        Traffic::Tcp(palisade_model::PortRange::single(p))
                    }
                }
                14..=17 => Traffic::Udp(palisade_model::PortRange::single(
                    ports[rng.below(14) as usize],
                )),
                _ => Traffic::Icmp(palisade_model::IcmpMatch::new(Some(8), None).unwrap()),
            };
            let octet = u8::try_from(v + 1).unwrap();
            let peer = match rng.below(100) {
                // Internet rules on ~5% of groups.
                0..=1 if g % 20 == 0 => Peer::parse_cidr("0.0.0.0/0").unwrap(),
                0..=14 => Peer::Group(GroupRef::same_account(id(
                    "sg-",
                    v * per_vpc + rng.below(per_vpc),
                ))),
                15..=29 => Peer::PrefixList(id("pl-", rng.below(N_PREFIX_LISTS))),
                30..=39 => Peer::Ipv4(Ipv4Net::new(Ipv4Addr::new(10, octet, 0, 0), 16).unwrap()),
                _ => Peer::Ipv4(
                    Ipv4Net::new(
                        Ipv4Addr::new(10, octet, u8::try_from(rng.below(256)).unwrap(), 0),
                        20 + u8::try_from(rng.below(13)).unwrap(),
                    )
                    .unwrap()
                    .trunc(),
                ),
            };
            let rule = Rule {
                id: id::<RuleId>("sgr-", n_rules),
                group_id: gid.clone(),
                spec: RuleSpec {
                    direction,
                    traffic,
                    peer,
                },
                description: None,
                tags: Vec::new(),
            };
            if group.insert_existing(rule).is_err() {
                // A duplicate spec: try another.
                n_rules -= 1;
                k -= 1;
            }
        }
        snap.groups.insert(gid, group);
    }
    for e in 0..N_ENIS {
        let v = e % N_VPCS;
        let octet = u8::try_from(v + 1).unwrap();
        let host = e / N_VPCS + 10;
        let [_, _, hi, lo] = host.to_be_bytes();
        // A tier group, plus often a shared "common" group of the VPC (its first three);
        // the last 2% of each VPC's groups stay unused.
        let base = v * (N_GROUPS / N_VPCS);
        let mut groups = vec![id::<GroupId>(
            "sg-",
            base + 3 + rng.below(N_GROUPS / N_VPCS - 5),
        )];
        if rng.chance(70) {
            groups.push(id("sg-", base + rng.below(3)));
        }
        if rng.chance(20) {
            groups.push(id("sg-", base + 3 + rng.below(N_GROUPS / N_VPCS - 5)));
        }
        groups.dedup();
        let has_v6 = !snap.vpcs[&id::<VpcId>("vpc-", v)].cidrs_v6.is_empty();
        let eni = Eni {
            id: id::<EniId>("eni-", e),
            owner: owner.clone(),
            vpc_id: id("vpc-", v),
            subnet_id: None,
            private_ipv4: vec![Ipv4Addr::new(10, octet, hi, lo)],
            ipv6: if has_v6 {
                vec![Ipv6Addr::new(
                    0x2600,
                    0x1f00,
                    u16::from(octet),
                    0,
                    0,
                    0,
                    0,
                    u16::try_from(host).unwrap(),
                )]
            } else {
                Vec::new()
            },
            public_ipv4: None,
            groups,
            instance_id: None,
            description: String::new(),
            conntrack: ConntrackConfig::default(),
            tags: Vec::new(),
        };
        snap.enis.insert(eni.id.clone(), eni);
    }
    snap
}

/// Peak resident set size of this process, from /proc (Linux), in MiB.
#[allow(clippy::disallowed_methods)] // benchmark harness, not the pure library: reads /proc for the memory report
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

#[allow(clippy::print_stderr)] // the benchmark's memory and size report
fn report(snap: &Snapshot) {
    let before = peak_rss_mib().unwrap_or(0.0);
    let index = Index::new(snap);
    let findings = audit(&index, &AuditConfig::standard());
    let exposed = exposure(&index);
    let after_audit = peak_rss_mib().unwrap_or(0.0);
    let m = group_matrix(&index);
    let after_matrix = peak_rss_mib().unwrap_or(0.0);
    let n_rules: usize = snap.groups.values().map(|g| g.rules().len()).sum();
    eprintln!(
        "account: {} interfaces, {} groups, {n_rules} rules, {} prefix lists, {} interface classes",
        snap.enis.len(),
        snap.groups.len(),
        snap.prefix_lists.len(),
        index.classes.len()
    );
    eprintln!(
        "results: {} findings, {} exposed interfaces, {} reachable group pairs",
        findings.len(),
        exposed.len(),
        m.n_reachable()
    );
    eprintln!(
        "peak RSS: {before:.1} MiB after generating, {after_audit:.1} MiB after index+audit+exposure, {after_matrix:.1} MiB after the matrix"
    );
}

fn benches(c: &mut Criterion) {
    let snap = generate(6);
    report(&snap);
    let mut g = c.benchmark_group("analysis-10k");
    g.sample_size(10);
    g.bench_function("audit (index build + every check)", |b| {
        b.iter(|| {
            let index = Index::new(black_box(&snap));
            audit(&index, &AuditConfig::standard())
        });
    });
    g.bench_function("exposure report (index build + all interfaces)", |b| {
        b.iter(|| {
            let index = Index::new(black_box(&snap));
            exposure(&index)
        });
    });
    let index = Index::new(&snap);
    g.bench_function("all-pairs group matrix (built index)", |b| {
        b.iter(|| group_matrix(black_box(&index)))
    });
    g.finish();
    let mut g = c.benchmark_group("analysis-10k-query");
    let src = Endpoint::Interface(id("eni-", 17));
    let dst = Endpoint::Interface(id("eni-", 4037));
    let key = payload_key(Payload::Tcp { dst_port: 5432 }).unwrap();
    g.bench_function("reach eni->eni + tcp/5432 verdict (built index)", |b| {
        b.iter(|| reach(black_box(&index), &src, &dst).unwrap().allows(key));
    });
    g.bench_function("index build alone", |b| {
        b.iter(|| Index::new(black_box(&snap)))
    });
    g.finish();
}

criterion_group!(analysis, benches);

fn main() {
    analysis();
    Criterion::default().configure_from_args().final_summary();
}
