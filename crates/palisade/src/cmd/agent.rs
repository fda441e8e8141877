//! `palisade agent`.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub(crate) struct AgentArgs {}

pub(crate) fn run(args: AgentArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("`palisade agent` is not implemented yet")
}
