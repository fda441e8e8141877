//! `palisade diff`.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub(crate) struct DiffArgs {}

pub(crate) fn run(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("`palisade diff` is not implemented yet")
}
