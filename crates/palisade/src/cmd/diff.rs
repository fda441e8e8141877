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
use palisade_analysis::space::{describe_keys, describe_traffic};
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
    let new = crate::input::load_snapshot(&args.against)
        .context("loading the new snapshot (--against)")?;
    let d = diff(&old, &new);
    let unchanged = d.changes.is_empty() && d.reach.is_empty() && d.group_reach.is_empty();
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
        let groups: Vec<serde_json::Value> = d
            .group_reach
            .iter()
            .map(|g| {
                json!({
                    "from": g.src.to_string(),
                    "to": g.dst.to_string(),
                    "now_allows": describe_traffic(&g.gained),
                    "no_longer_allows": describe_traffic(&g.lost),
                    "message": g.to_string(),
                })
            })
            .collect();
        output::line(
            &serde_json::to_string_pretty(
                &json!({ "changes": changes, "reachability": reach, "group_reachability": groups }),
            )
            .context("encoding the diff")?,
        );
    } else if unchanged {
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
        if !d.group_reach.is_empty() {
            output::line("reachability between groups:");
            for g in &d.group_reach {
                output::line(&format!("  {g}"));
            }
        }
    }
    Ok(if unchanged {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIERS: &str = include_str!("../../../palisade-analysis/test_data/tiers.json");

    #[test]
    fn exit_codes_follow_changes() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old.json");
        let new = dir.path().join("new.json");
        std::fs::write(&old, TIERS).unwrap();
        std::fs::write(&new, TIERS.replace("203.0.113.7/24", "0.0.0.0/0")).unwrap();
        let run_diff = |a: &PathBuf, b: &PathBuf| {
            run(DiffArgs {
                inputs: vec![a.clone()],
                against: vec![b.clone()],
                json: true,
            })
            .unwrap()
        };
        assert_eq!(run_diff(&old, &old), ExitCode::SUCCESS);
        assert_eq!(run_diff(&old, &new), ExitCode::from(1));
    }
}
