//! `palisade preset`.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub(crate) struct PresetArgs {}

pub(crate) fn run(args: PresetArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("`palisade preset` is not implemented yet")
}
