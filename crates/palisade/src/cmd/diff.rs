//! `palisade diff`: rule-level changes between two snapshots and, more useful, the
//! reachability delta from the internet ("tcp/22 on eni-… is now reachable from …").
//!
//! ```text
//! palisade diff -i OLD [-i …] --against NEW [--against …] [--json]
//! ```
//! Exit 0 when nothing changed, 1 when something did (like diff(1)), 2 on error.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use palisade_analysis::diff::diff;
use palisade_analysis::space::describe_keys;
use serde_json::json;

use crate::output;

#[derive(Debug, clap::Args)]
pub(crate) struct DiffArgs {
    /// The old snapshot: describe-* JSON file or directory; repeatable.
    #[arg(short = 'i', long = "input", required = true)]
    inputs: Vec<PathBuf>,
    /// The new snapshot: describe-* JSON file or directory; repeatable.
    #[arg(long = "against", required = true, value_name = "NEW")]
    against: Vec<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let old = crate::input::load_snapshot(&args.inputs).context("loading the old snapshot (-i)")?;
    let new = crate::input::load_snapshot(&args.against).context("loading the new snapshot (--against)")?;
    let d = diff(&old, &new);
    if args.json {
        let changes: Vec<String> = d.changes.iter().map(ToString::to_string).collect();
        let reach: Vec<serde_json::Value> = d
            .reach
            .iter()
            .map(|r| {
                json!({
                    "interface": r.eni.to_string(),
                    "change": if r.gained { "now-reachable" } else { "no-longer-reachable" },
                    "family": r.family.aws_name(),
                    "traffic": describe_keys(r.keys.0, r.keys.1),
                    "whole_internet": r.whole_internet,
                    "sources": r.sources.to_cidrs().iter().map(ToString::to_string).collect::<Vec<_>>(),
                    "peers": r.peers,
                    "rules": r.via.iter().map(|m| json!({"group_id": m.group_id.to_string(), "rule_id": m.rule_id.to_string()})).collect::<Vec<_>>(),
                    "message": r.to_string(),
                })
            })
            .collect();
        output::line(&serde_json::to_string_pretty(&json!({ "changes": changes, "reachability": reach })).context("encoding the diff")?);
    } else if d.changes.is_empty() && d.reach.is_empty() {
        output::line("no changes");
    } else {
        if !d.changes.is_empty() {
            output::line("rule changes:");
            for c in &d.changes {
                output::line(&format!("  {c}"));
            }
        }
        if !d.reach.is_empty() {
            output::line("reachability from the internet:");
            for r in &d.reach {
                output::line(&format!("  {r}"));
            }
        }
    }
    Ok(if d.changes.is_empty() && d.reach.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
