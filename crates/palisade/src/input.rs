//! Reading snapshots from `-i FILE_OR_DIR` arguments (describe-* JSON files or directories
//! of them).

use std::path::PathBuf;

use palisade_model::Snapshot;

/// Loads and merges every input into one snapshot, failing with a message that names the
/// file and the offending item.
pub(crate) fn load_snapshot(inputs: &[PathBuf]) -> anyhow::Result<Snapshot> {
    let _ = inputs;
    anyhow::bail!("snapshot input is not implemented yet")
}
