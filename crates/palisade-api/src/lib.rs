//! The EC2 Query API server for security groups: SigV4 authentication, per-account and
//! per-region state, EC2 XML responses and error envelopes.
//!
//! A request flows: HTTP + SigV4 (`auth`, `sigv4`) → the Query form decoded into a typed
//! request (`palisade_ec2::wire::decode`) → executed on the caller's state
//! (`palisade_model::account::AccountState::execute`, inside one `palisade_store`
//! transaction; reads through `query` on a shared view) → the typed response encoded
//! (`palisade_ec2::wire::encode`) into EC2's envelope. [`ApiError`] is the only place an error
//! becomes XML.
#![deny(clippy::unwrap_used)]

mod auth;
mod edge;
mod error;
mod eval;
mod ids;
mod metrics;
mod regions;
mod server;
mod state;
mod store_thread;
mod sts;
pub mod watch;

pub use palisade_sigv4 as sigv4;
pub use palisade_sigv4::keys;

pub use edge::{BODY_LIMIT, EdgeConfig};
pub use error::ApiError;
pub use eval::{EvalAnswer, EvalMatch, EvalRequest, fetch_json};
pub use keys::{KeyRing, KeysError};
pub use metrics::{Metrics, metrics_router};
pub use regions::{COMMERCIAL, Regions, RegionsError};
pub use server::{NAMESPACE, query_call, router};
pub use state::{AppState, Clock};
