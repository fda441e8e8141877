//! Criterion benchmarks of the flow table (`palisade_engine::flow`): packets per second on
//! established connections with 1M concurrent connections, the new-connection rate (rules
//! consulted, entry inserted), and bytes per tracked connection (printed once; computed from
//! the map's slot layout, see `FlowTable::memory_bytes`, and cross-checked against the
//! growth of the process's resident set).
//!
//! Run with `cargo bench -p palisade-engine --bench conntrack`.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use palisade_engine::flow::{FlowPacket, FlowTable, TcpFlags, Transport};
use palisade_model::{
    AccountId, ConntrackConfig, Direction, Eni, EniId, GroupId, NewRule, Peer, PortRange, Quotas,
    SecurityGroup, SeqIdGen, Snapshot, Timestamp, Traffic, Vpc, VpcId,
};

const CONNECTIONS: usize = 1_000_000;
const BATCH: usize = 4_096;
const NEW_BATCH: usize = 65_536;

fn eni() -> EniId {
    "eni-00000001".parse().expect("literal id")
}

/// One interface whose group admits HTTPS from 10.0.0.0/8 and fd00::/8 (tracked: not all
/// addresses), with no egress rules: replies pass only by state.
fn snapshot() -> Snapshot {
    let owner: AccountId = "123456789012".parse().expect("literal");
    let vpc_id: VpcId = "vpc-00000001".parse().expect("literal");
    let sg: GroupId = "sg-00000001".parse().expect("literal");
    let mut group = SecurityGroup::empty(
        sg.clone(),
        "b".into(),
        "b".into(),
        vpc_id.clone(),
        owner.clone(),
    );
    let quotas = Quotas::default();
    let ctx = palisade_model::AuthorizeCtx {
        quotas: &quotas,
        prefix_list_weight: &|_| None,
    };
    let https = Traffic::Tcp(PortRange::single(443));
    let rules = vec![
        NewRule::new(
            Direction::Ingress,
            https,
            Peer::parse_cidr("10.0.0.0/8").expect("cidr"),
        ),
        NewRule::new(
            Direction::Ingress,
            https,
            Peer::parse_cidr("fd00::/8").expect("cidr"),
        ),
    ];
    group
        .authorize(rules, &ctx, &mut SeqIdGen::default())
        .expect("valid");
    let mut s = Snapshot::default();
    s.vpcs.insert(
        vpc_id.clone(),
        Vpc {
            id: vpc_id.clone(),
            owner: owner.clone(),
            cidrs_v4: vec!["172.16.0.0/16".parse().expect("cidr")],
            cidrs_v6: Vec::new(),
            is_default: false,
            tags: Vec::new(),
            attributes: Default::default(),
        },
    );
    s.groups.insert(sg.clone(), group);
    s.enis.insert(
        eni(),
        Eni {
            id: eni(),
            owner,
            vpc_id,
            subnet_id: None,
            private_ipv4: vec![Ipv4Addr::new(172, 16, 0, 10)],
            ipv6: Vec::new(),
            public_ipv4: None,
            groups: vec![sg],
            instance_id: None,
            description: String::new(),
            conntrack: ConntrackConfig::default(),
            tags: Vec::new(),
        },
    );
    s
}

/// Connection `i`: a client in 10.0.0.0/8 (64 source ports per address) to port 443.
fn packet(i: usize, direction: Direction, flags: TcpFlags, v6: bool) -> FlowPacket {
    let host = u32::try_from(i / 64).expect("small");
    let remote_port = 1024 + u16::try_from(i % 64).expect("small");
    let (local, remote) = if v6 {
        let local = IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 10));
        (
            local,
            IpAddr::V6(Ipv6Addr::from(
                0xfd00_0000_0000_0000_0000_0001_0000_0000u128 + u128::from(host),
            )),
        )
    } else {
        (
            IpAddr::V4(Ipv4Addr::new(172, 16, 0, 10)),
            IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + host)),
        )
    };
    FlowPacket {
        interface: eni(),
        direction,
        local,
        remote,
        transport: Transport::Tcp {
            local_port: 443,
            remote_port,
            flags,
        },
    }
}

/// A table holding `n` established connections (picked up from mid-stream ACKs).
fn filled(n: usize, v6: bool) -> FlowTable {
    let mut table = FlowTable::new(snapshot(), u32::MAX);
    if v6 {
        table.reserve_v6(n);
    } else {
        table.reserve_v4(n);
    }
    for i in 0..n {
        table
            .observe(
                Timestamp::ZERO,
                &packet(i, Direction::Ingress, TcpFlags::ACK, v6),
            )
            .expect("known interface");
    }
    table
}

/// Resident set size of this process in bytes (`VmRSS` of `/proc/self/status`), when the
/// platform has it. The crate's clippy.toml forbids `std::fs` (the library is pure); a
/// benchmark is an I/O edge.
#[allow(clippy::disallowed_methods)]
fn rss_bytes() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Fills a table like [`filled`] and prints its bytes per connection, once (criterion has no
/// memory metric): the figure computed from the maps' slot layout
/// (`FlowTable::memory_bytes`), and as a cross-check the growth of the process's resident
/// set while the table was built (which also counts the endpoint interner and allocator
/// overhead; freed blocks of the maps' growth are unmapped, so they drop out).
#[allow(clippy::print_stderr, clippy::cast_precision_loss)]
fn filled_reporting(n: usize, v6: bool, label: &str) -> FlowTable {
    let before = rss_bytes();
    let table = filled(n, v6);
    let after = rss_bytes();
    let per = table.memory_bytes() as f64 / table.len() as f64;
    let rss = match (before, after) {
        (Some(b), Some(a)) => format!(
            ", RSS grew {} bytes, {:.1} bytes/connection",
            a.saturating_sub(b),
            a.saturating_sub(b) as f64 / table.len() as f64
        ),
        _ => String::new(),
    };
    eprintln!(
        "conntrack memory {label}: {} connections, {} bytes, {per:.1} bytes/connection{rss}",
        table.len(),
        table.memory_bytes()
    );
    table
}

fn benches(c: &mut Criterion) {
    drop(filled_reporting(900_000, false, "ipv4 900k"));
    drop(filled_reporting(CONNECTIONS, true, "ipv6 1M"));
    let mut table = filled_reporting(CONNECTIONS, false, "ipv4 1M");

    // Replies (egress, admitted only by state) to connections spread over the whole table.
    let stride = 7_919; // prime: consecutive packets hit unrelated slots
    let replies: Vec<FlowPacket> = (0..BATCH)
        .map(|k| {
            packet(
                (k * stride) % CONNECTIONS,
                Direction::Egress,
                TcpFlags::ACK,
                false,
            )
        })
        .collect();
    let mut g = c.benchmark_group("conntrack");
    g.measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(BATCH as u64));
    let mut now = 1_000u64;
    g.bench_function(BenchmarkId::new("established", "1M"), |b| {
        b.iter(|| {
            now += 1;
            let at = Timestamp::from_millis(now);
            replies
                .iter()
                .filter(|p| table.observe(at, black_box(p)).is_ok())
                .count()
        })
    });

    // The same on a cache-resident table: the CPU cost without DRAM misses.
    let mut small = filled(10_000, false);
    let small_replies: Vec<FlowPacket> = (0..BATCH)
        .map(|k| {
            packet(
                (k * stride) % 10_000,
                Direction::Egress,
                TcpFlags::ACK,
                false,
            )
        })
        .collect();
    g.bench_function(BenchmarkId::new("established", "10k"), |b| {
        b.iter(|| {
            now += 1;
            let at = Timestamp::from_millis(now);
            small_replies
                .iter()
                .filter(|p| small.observe(at, black_box(p)).is_ok())
                .count()
        })
    });

    let syns: Vec<FlowPacket> = (0..NEW_BATCH)
        .map(|i| packet(i, Direction::Ingress, TcpFlags::SYN, false))
        .collect();
    g.throughput(Throughput::Elements(NEW_BATCH as u64));
    g.sample_size(20);
    g.bench_function(BenchmarkId::new("new-connections", "64k"), |b| {
        b.iter_batched(
            || {
                let mut t = FlowTable::new(snapshot(), u32::MAX);
                t.reserve_v4(NEW_BATCH);
                t
            },
            |mut t| {
                for p in &syns {
                    t.observe(Timestamp::ZERO, black_box(p))
                        .expect("known interface");
                }
                t
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(conntrack, benches);
criterion_main!(conntrack);
