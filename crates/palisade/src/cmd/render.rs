//! `palisade render -i SNAPSHOT --map ENI_ID=IFNAME [--map …]`: prints the nftables ruleset
//! that enforces the snapshot's groups on the mapped interfaces of one host — exactly what
//! `palisade agent` applies. `palisade render … | nft -f -` in the host namespace enforces it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use palisade_dataplane::LocalInterface;

use crate::output;

#[derive(Debug, clap::Args)]
pub(crate) struct RenderArgs {
    /// describe-* JSON file or directory (repeatable).
    #[arg(short = 'i', long = "input", required_unless_present = "closed")]
    inputs: Vec<PathBuf>,
    /// A local interface: ENI id = host-side Linux interface name (repeatable).
    #[arg(long = "map", value_name = "ENI_ID=IFNAME", required = true)]
    maps: Vec<LocalInterface>,
    /// Fail-closed ruleset for the mapped interfaces (drops all their traffic); no input read.
    #[arg(long, conflicts_with = "inputs")]
    closed: bool,
}

pub(crate) fn run(args: RenderArgs) -> anyhow::Result<ExitCode> {
    let ruleset = if args.closed {
        palisade_dataplane::render_closed(&args.maps)?
    } else {
        let snapshot = crate::input::load_snapshot(&args.inputs)?;
        palisade_dataplane::render(&snapshot, &args.maps).context("rendering the ruleset")?
    };
    for warning in ruleset.warnings() {
        output::warn(warning);
    }
    output::text(&ruleset.text());
    Ok(ExitCode::SUCCESS)
}
