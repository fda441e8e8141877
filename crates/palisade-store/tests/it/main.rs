//! Store integration tests: the backend conformance suite (SQLite always; PostgreSQL when
//! `PALISADE_PG_URL` is set), persistence across reopen, two handles on one database acting
//! as two servers, and concurrency under many clients.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod concurrency;
mod postgres;
mod sqlite;
mod suite;
