//! Criterion benchmarks of the engine on generated accounts of 1k, 10k and 100k rules
//! (`palisade_testkit::account`): compile time, and decisions per second of the compiled
//! engine (`allows`, `decide`; packets on one host's 16 interfaces, and `allows` on random
//! interfaces of the whole account) against the reference evaluator (1k and 10k only: at 100k a
//! reference decision scans every interface per group rule and takes milliseconds).
//!
//! Run with `cargo bench -p palisade-engine --bench decide`; `palisade bench` prints the
//! README table from the same generators.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use palisade_engine::{compile, reference};
use palisade_testkit::{AccountConfig, PacketGen, account};

const SIZES: [usize; 3] = [1_000, 10_000, 100_000];
const PACKETS: usize = 4_096;

fn benches(c: &mut Criterion) {
    for rules in SIZES {
        let snap = account(AccountConfig { rules, seed: 1 });
        // The interfaces of one host (the data plane's case) and the whole account.
        let packets = PacketGen::new(&snap).on_host(16, 1).packets(2, PACKETS);
        let account_packets = PacketGen::new(&snap).packets(3, PACKETS);
        let engine = compile(&snap);

        let mut g = c.benchmark_group("compile");
        g.sample_size(10).measurement_time(Duration::from_secs(5));
        g.bench_function(BenchmarkId::from_parameter(rules), |b| {
            b.iter(|| compile(black_box(&snap)))
        });
        g.finish();

        let mut g = c.benchmark_group("decide");
        g.throughput(Throughput::Elements(PACKETS as u64));
        g.measurement_time(Duration::from_secs(3));
        g.bench_function(BenchmarkId::new("compiled-allows", rules), |b| {
            b.iter(|| {
                packets
                    .iter()
                    .filter(|p| engine.allows(black_box(p)) == Ok(true))
                    .count()
            });
        });
        g.bench_function(BenchmarkId::new("compiled-allows-account", rules), |b| {
            b.iter(|| {
                account_packets
                    .iter()
                    .filter(|p| engine.allows(black_box(p)) == Ok(true))
                    .count()
            });
        });
        g.bench_function(BenchmarkId::new("compiled-decide", rules), |b| {
            b.iter(|| {
                packets
                    .iter()
                    .map(|p| engine.decide(black_box(p)).map_or(0, |d| d.matches.len()))
                    .sum::<usize>()
            });
        });
        if rules <= 10_000 {
            g.sample_size(10);
            g.bench_function(BenchmarkId::new("reference-decide", rules), |b| {
                b.iter(|| {
                    packets
                        .iter()
                        .map(|p| {
                            reference::decide(&snap, black_box(p)).map_or(0, |d| d.matches.len())
                        })
                        .sum::<usize>()
                });
            });
        }
        g.finish();
    }
}

criterion_group!(decide, benches);
criterion_main!(decide);
