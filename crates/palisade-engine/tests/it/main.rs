//! Integration tests of the engine: the compiled engine against the reference evaluator on
//! random snapshots and packets, incremental updates against fresh compiles, and a few
//! hand-written semantics checks.

mod agree;
mod examples;
mod update;
