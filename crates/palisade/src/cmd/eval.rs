//! `palisade eval`.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub(crate) struct EvalArgs {}

pub(crate) fn run(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("`palisade eval` is not implemented yet")
}
