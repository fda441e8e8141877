//! Store integration tests: the backend conformance suite (SQLite always; PostgreSQL would
//! join when `PALISADE_PG_URL` is set and a backend exists), persistence across reopen, and
//! concurrency under 32 clients.
#![allow(clippy::unwrap_used)]

mod concurrency;
mod sqlite;
mod suite;
