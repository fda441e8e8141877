//! Reading snapshots from `-i FILE_OR_DIR` arguments (describe-* JSON files or directories
//! of them), or from one document in memory (the live state `eval --endpoint` fetches).
//!
//! A directory contributes every `*.json` file directly inside it, sorted by name; `-i` may
//! repeat. All documents are imported together (so duplicate ids across files are caught),
//! and every problem is found at once, each naming its file, item and field; the first 20
//! are reported, then how many more.

use std::path::{Path, PathBuf};

use anyhow::Context;
use palisade_model::{Quotas, Snapshot};

/// The import's quotas: groups per interface at EC2's adjustable maximum (16, with 60
/// rules per group: 60 × 16 ≤ 1000, "Amazon VPC quotas"), so that snapshots of accounts
/// whose quota was raised still load; the default-quota check belongs to audits.
fn import_quotas() -> Quotas {
    Quotas::new(60, 16).expect("60 rules × 16 groups is within EC2's 1000 limit")
}

/// Loads and merges every input into one snapshot, failing with a message that names the
/// file and the offending item.
pub(crate) fn load_snapshot(inputs: &[PathBuf]) -> anyhow::Result<Snapshot> {
    if inputs.is_empty() {
        anyhow::bail!("no input: pass -i FILE_OR_DIR with describe-* JSON (repeatable)");
    }
    let files = expand(inputs)?;
    let mut texts = Vec::new();
    for file in &files {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        texts.push((file.display().to_string(), text));
    }
    let docs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    import(&docs)
}

/// Imports one describe-* JSON document held in memory (such as the live state
/// `palisade serve` returns) exactly as a `-i` file, `source` naming it in messages.
pub(crate) fn import_text(source: &str, text: &str) -> anyhow::Result<Snapshot> {
    import(&[(source, text)])
}

/// [`import_text`] of a document already parsed (the agent's view, which it holds as JSON
/// values): the same import, without printing and parsing the text again.
pub(crate) fn import_json(source: &str, json: &serde_json::Value) -> anyhow::Result<Snapshot> {
    let doc = palisade_ec2::Document { name: source, json };
    checked(palisade_ec2::import(&[doc], &import_quotas()))
}

/// The one import path: every document together, every problem reported at once.
fn import(docs: &[(&str, &str)]) -> anyhow::Result<Snapshot> {
    checked(palisade_ec2::import_texts(docs, &import_quotas()))
}

fn checked(
    (snapshot, errors): (Snapshot, Vec<palisade_ec2::ImportError>),
) -> anyhow::Result<Snapshot> {
    if errors.is_empty() {
        return Ok(snapshot);
    }
    anyhow::bail!("{}", problems(&errors))
}

/// How many problems a failed import lists: a screenful, not every one of a large bad file
/// (one printed 53 MB).
const PROBLEMS_SHOWN: usize = 20;
/// The longest a listed problem may be (it may quote a huge value).
const PROBLEM_CHARS: usize = 300;

/// "invalid input (N problems):" and the first [`PROBLEMS_SHOWN`], then how many more.
fn problems(errors: &[impl std::fmt::Display]) -> String {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let n_errors = errors.len();
    let mut out = format!("invalid input ({n_errors} problem{}):", plural(n_errors));
    for e in errors.iter().take(PROBLEMS_SHOWN) {
        let line = e.to_string();
        match line.char_indices().nth(PROBLEM_CHARS) {
            Some((cut, _)) => out.push_str(&format!("\n  {}…", &line[..cut])),
            None => out.push_str(&format!("\n  {line}")),
        }
    }
    if let Some(more) = n_errors.checked_sub(PROBLEMS_SHOWN).filter(|n| *n > 0) {
        out.push_str(&format!("\n  … and {more} more problem{}", plural(more)));
    }
    out
}

/// Files first as given, directories replaced by their `*.json` files in name order.
fn expand(inputs: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for input in inputs {
        let meta =
            std::fs::metadata(input).with_context(|| format!("reading {}", input.display()))?;
        if !meta.is_dir() {
            files.push(input.clone());
            continue;
        }
        let mut found = json_files(input)?;
        if found.is_empty() {
            anyhow::bail!("{}: no *.json files in this directory", input.display());
        }
        found.sort();
        files.extend(found);
    }
    // The same file named twice (`-i dir -i dir/x.json`) is read once, not reported as
    // duplicating every id it holds.
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())));
    Ok(files)
}

fn json_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry
            .with_context(|| format!("reading {}", dir.display()))?
            .path();
        if path.is_file() && path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(out)
}
