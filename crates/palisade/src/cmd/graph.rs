//! `palisade graph`: groups, interfaces and the references between them (who may talk to
//! whom) as Graphviz DOT or Mermaid.
//!
//! ```text
//! palisade graph -i SNAPSHOT [--format dot|mermaid]
//! ```
//! Groups are clustered by VPC; interfaces are drawn for small accounts (otherwise each group
//! shows its member count); edges carry the traffic they open.

use std::path::PathBuf;
use std::process::ExitCode;

use palisade_analysis::graph::build;

use crate::output;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum GraphFormat {
    Dot,
    Mermaid,
}

#[derive(Debug, clap::Args)]
pub(crate) struct GraphArgs {
    /// describe-* JSON file, or a directory of them (every *.json); repeatable.
    #[arg(short = 'i', long = "input", required = true)]
    inputs: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "dot")]
    format: GraphFormat,
}

pub(crate) fn run(args: GraphArgs) -> anyhow::Result<ExitCode> {
    let snapshot = crate::input::load_snapshot(&args.inputs)?;
    let graph = build(&snapshot);
    output::text(&match args.format {
        GraphFormat::Dot => graph.to_dot(),
        GraphFormat::Mermaid => graph.to_mermaid(),
    });
    Ok(ExitCode::SUCCESS)
}
