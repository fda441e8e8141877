//! The EC2 Query API server for security groups: SigV4 authentication, per-account and
//! per-region state, action dispatch, EC2 XML responses and error envelopes.
//!
//! A request flows decode (`palisade_ec2::query`) → validate (`palisade_model::account`) →
//! persist (`palisade_store`, one transaction per mutation) → encode (this crate's `xml`).
//! Handlers stay thin: no business rule lives here. [`ApiError`] is the only place an error
//! becomes XML.
#![deny(clippy::unwrap_used)]

mod ctx;
mod edge;
mod encode;
mod error;
mod eval;
mod handlers;
pub mod keys;
mod regions;
mod server;
pub mod sigv4;
mod xml;

pub use edge::{BODY_LIMIT, EdgeConfig};
pub use error::ApiError;
pub use eval::{EvalAnswer, EvalMatch, EvalRequest, fetch_json};
pub use keys::{KeyRing, KeysError};
pub use regions::{COMMERCIAL, Regions, RegionsError};
pub use server::{AppState, Clock, NAMESPACE, router};
