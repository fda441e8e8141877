//! Integration tests of palisade-analysis: every audit check fires on a minimal bad snapshot
//! and stays silent on the fixed one; reachability agrees with the engine; diff and graph.
#![allow(clippy::unwrap_used)]

mod checks;
mod diff_graph;
mod flows;
mod paths;
mod reach;
mod world;
