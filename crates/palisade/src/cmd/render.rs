//! `palisade render`.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub(crate) struct RenderArgs {}

pub(crate) fn run(args: RenderArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("`palisade render` is not implemented yet")
}
