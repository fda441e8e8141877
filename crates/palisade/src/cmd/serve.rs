//! `palisade serve`.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {}

pub(crate) fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("`palisade serve` is not implemented yet")
}
