//! One module per subcommand: flags (clap) and the wiring behind them.

pub(crate) mod agent;
pub(crate) mod audit;
pub(crate) mod bench;
pub(crate) mod diff;
pub(crate) mod eval;
pub(crate) mod flows;
pub(crate) mod graph;
pub(crate) mod hosts;
pub(crate) mod lab;
mod packet_flags;
pub(crate) mod preset;
pub(crate) mod reach;
pub(crate) mod render;
pub(crate) mod serve;
pub(crate) mod trace;
