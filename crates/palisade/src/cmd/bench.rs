//! `palisade bench`.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub(crate) struct BenchArgs {}

pub(crate) fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("`palisade bench` is not implemented yet")
}
