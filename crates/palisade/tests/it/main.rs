//! The `palisade` binary's integration tests (one test binary): the CLI contract of
//! `palisade eval` and `palisade preset`, and the USE-CASES table tests.

mod agent;
mod agent_server;
mod agent_watch;
mod audit;
mod cli;
mod durability;
mod endpoint;
mod fixture;
mod flows;
mod help;
mod serve;
mod tidy;
mod use_cases;
