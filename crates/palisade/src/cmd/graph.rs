//! `palisade graph`.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub(crate) struct GraphArgs {}

pub(crate) fn run(args: GraphArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("`palisade graph` is not implemented yet")
}
