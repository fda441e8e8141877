//! Integration tests of the data plane: rendered rulesets pinned as snapshots
//! (`test_data/*.nft`), and real traffic through them in network namespaces (run as root with
//! nft, ip, conntrack, ping and python3 present; skipped with a printed reason otherwise,
//! failed when `CI` is set and they cannot run).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod delta;
mod fixtures;
mod lab;
mod render;
mod traffic;
