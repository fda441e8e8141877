//! `palisade audit`.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub(crate) struct AuditArgs {}

pub(crate) fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("`palisade audit` is not implemented yet")
}
