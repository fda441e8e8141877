//! `palisade reach`.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub(crate) struct ReachArgs {}

pub(crate) fn run(args: ReachArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("`palisade reach` is not implemented yet")
}
