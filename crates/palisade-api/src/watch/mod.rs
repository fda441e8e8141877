//! The change feed for agents (`POST /_palisade/watch`), their reports
//! (`POST /_palisade/report`) and the list of hosts (`POST /_palisade/hosts`). Every call is
//! SigV4-signed like an EC2 call (service `ec2`); the caller's account and region come from
//! the signature, so a host sees and reports only within its own scope.
//!
//! A watch answers one long-lived body of JSON lines ([`Message`]): first the host's view
//! (`type: view`, the describe-* document of what its interfaces need, or, when the host
//! says which version it holds and the server still has what it last sent it, the delta
//! from that), then a `delta` whenever a committed write changes the host's view, and a
//! `heartbeat` with the scope's version every heartbeat interval, so either side notices a
//! dead connection. The hub (`hub.rs`) decides who gets what; `client.rs` is the agent's
//! side.

mod client;
mod doc;
mod hub;
mod pg;
mod shared_hosts;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use palisade_model::{Ec2ErrorCode, EniId};
use palisade_store::{Scope, StoreError, view_versioned};
use serde::{Deserialize, Serialize};

pub use client::{WatchConn, WatchError, post_json, sign_request};
pub use doc::{Delta, ViewDoc};
pub use hub::{DEFAULT_HEARTBEAT, FeedStats, Hub};
pub use pg::listen_postgres;

use crate::error::ApiError;
use crate::eval::{admit_json, json_error};
use crate::ids::RandomIds;
use crate::state::AppState;

/// The header a write's response carries: the scope's version after the write.
pub const VERSION_HEADER: &str = "x-palisade-version";

/// The most interfaces one host may watch (EC2 allows at most 50 per instance).
const MAX_INTERFACES: usize = 64;

/// What a watch asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchRequest {
    /// The host's name, unique within the scope (its record in `hosts`).
    pub host: String,
    /// The ENIs the host enforces.
    pub interfaces: Vec<String>,
    /// The version of the view the host holds, to resume with a delta.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
}

/// One line of a watch's body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Message {
    /// The first message: the full view (`doc`) or the delta from the view at `since`.
    View {
        version: i64,
        heartbeat_ms: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        doc: Option<serde_json::Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        delta: Option<Delta>,
    },
    /// The view changed at `version`.
    Delta {
        version: i64,
        #[serde(flatten)]
        delta: Delta,
    },
    /// Nothing of the view changed up to `version`.
    Heartbeat { version: i64 },
}

impl Message {
    /// The message as one line of the body.
    pub fn to_line(&self) -> String {
        let mut line = serde_json::to_string(self)
            .expect("a message is plain JSON values and always serialises");
        line.push('\n');
        line
    }

    pub fn version(&self) -> i64 {
        match self {
            Self::View { version, .. }
            | Self::Delta { version, .. }
            | Self::Heartbeat { version } => *version,
        }
    }
}

/// What an agent reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub host: String,
    /// The version of the view it enforces (`None` before the first).
    pub version: Option<i64>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub interfaces: Vec<String>,
}

/// One host as `POST /_palisade/hosts` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostStatus {
    pub host: String,
    pub interfaces: Vec<String>,
    /// `connected` (has a watch open), `disconnected`, or `stale` (neither a watch nor a
    /// report for three heartbeats).
    pub status: String,
    /// The version it reports it enforces.
    pub version: Option<i64>,
    /// The version at which its view last changed: enforcing that is being current.
    pub view_version: i64,
    /// How many versions it is behind, 0 when it enforces its current view.
    pub lag: i64,
    pub last_error: Option<String>,
    pub seen_ms_ago: u64,
}

/// The answer of `POST /_palisade/hosts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostsAnswer {
    /// The scope's version now.
    pub version: i64,
    pub hosts: Vec<HostStatus>,
}

impl HostStatus {
    /// True when the host enforces every change up to `version` that affects it: its
    /// report reaches its view's last change, or `version` itself.
    pub fn enforces(&self, version: i64) -> bool {
        self.status == "connected"
            && self
                .version
                .is_some_and(|v| v >= version.min(self.view_version))
    }
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(Ec2ErrorCode::InvalidParameterValue, message)
}

fn check_host(host: &str) -> Result<(), ApiError> {
    let ok = !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c));
    if ok {
        Ok(())
    } else {
        Err(bad(format!(
            "host '{host}' must be 1-255 characters of letters, digits, '-', '_', '.', ':'"
        )))
    }
}

fn interfaces(list: &[String]) -> Result<Vec<EniId>, ApiError> {
    if list.len() > MAX_INTERFACES {
        return Err(bad(format!(
            "a host watches at most {MAX_INTERFACES} interfaces, not {}",
            list.len()
        )));
    }
    list.iter()
        .map(|i| i.parse::<EniId>().map_err(ApiError::from))
        .collect()
}

/// `POST /_palisade/watch`.
pub(crate) async fn watch(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match open(&state, &method, &uri, &headers, &body).await {
        Ok(rx) => {
            let stream = futures_util::stream::unfold(rx, |mut rx| async move {
                let line = rx.recv().await?;
                Some((Ok::<_, std::io::Error>(line), rx))
            });
            let mut res = Response::new(Body::from_stream(stream));
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-ndjson"),
            );
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => json_error(&e),
    }
}

async fn open(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<tokio::sync::mpsc::Receiver<String>, ApiError> {
    let caller = admit_json(state, method, uri, headers, body)?;
    let req: WatchRequest =
        serde_json::from_slice(body).map_err(|e| bad(format!("invalid watch request: {e}")))?;
    check_host(&req.host)?;
    let enis = interfaces(&req.interfaces)?;
    let scope = Scope::new(caller.account, caller.region);
    let hub = state.watch.clone();
    tokio::task::spawn_blocking(move || hub.subscribe(&scope, &req.host, enis, req.since))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(ApiError::from)
}

/// `POST /_palisade/report`.
pub(crate) async fn report(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let res = (|| {
        let caller = admit_json(&state, &method, &uri, &headers, &body)?;
        let req: Report =
            serde_json::from_slice(&body).map_err(|e| bad(format!("invalid report: {e}")))?;
        check_host(&req.host)?;
        interfaces(&req.interfaces)?;
        let scope = Scope::new(caller.account, caller.region);
        state
            .watch
            .report(&scope, &req.host, req.version, req.error, req.interfaces);
        Ok::<_, ApiError>(())
    })();
    match res {
        Ok(()) => (StatusCode::OK, axum::Json(serde_json::json!({}))).into_response(),
        Err(e) => json_error(&e),
    }
}

/// `POST /_palisade/hosts`.
pub(crate) async fn hosts(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match list(&state, &method, &uri, &headers, &body).await {
        Ok(answer) => (StatusCode::OK, axum::Json(answer)).into_response(),
        Err(e) => json_error(&e),
    }
}

async fn list(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<HostsAnswer, ApiError> {
    let caller = admit_json(state, method, uri, headers, body)?;
    if !(body.is_empty() || body == b"{}") {
        return Err(bad("POST /_palisade/hosts takes an empty object"));
    }
    let scope = Scope::new(caller.account, caller.region);
    let store = state.store.clone();
    let hub = state.watch.clone();
    tokio::task::spawn_blocking(move || {
        let mut ids = RandomIds::new();
        let (version, ()) = view_versioned::<_, StoreError>(&*store, &scope, &mut ids, |_| ())?;
        Ok(HostsAnswer {
            version,
            hosts: hub.hosts(&scope, version),
        })
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
}
