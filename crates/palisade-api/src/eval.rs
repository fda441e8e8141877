//! The JSON extension endpoint for "would this packet pass?" over live state,
//! `POST /_palisade/eval`: a packet in, the engine's decision out; an empty object `{}` in,
//! the caller's state out as one describe-* JSON document (which `palisade eval --endpoint`
//! evaluates locally with the same flags as `-i`). SigV4-signed like every other request
//! (service `ec2`); [`fetch_json`] is the client.

use std::net::IpAddr;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use palisade_engine::{Packet, Payload};
use palisade_model::{Direction, Ec2ErrorCode, EniId};
use palisade_store::{Scope, view};
use serde::{Deserialize, Serialize};

use crate::auth::authenticate;
use crate::edge;
use crate::error::ApiError;
use crate::ids::RandomIds;
use crate::sigv4::Caller;
use crate::state::AppState;

/// A packet to judge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvalRequest {
    pub interface: String,
    /// `ingress` or `egress`.
    pub direction: String,
    /// The remote address: source for ingress, destination for egress.
    pub remote: IpAddr,
    /// `tcp`, `udp`, `icmp`, `icmpv6` or a protocol number.
    pub protocol: String,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub icmp_type: Option<u8>,
    #[serde(default)]
    pub icmp_code: Option<u8>,
}

/// One rule that admitted the packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvalMatch {
    pub group_id: String,
    pub rule_id: String,
}

/// The decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvalAnswer {
    /// `allow` or `deny`.
    pub verdict: String,
    pub matches: Vec<EvalMatch>,
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(Ec2ErrorCode::InvalidParameterValue, message)
}

fn packet(req: &EvalRequest) -> Result<Packet, ApiError> {
    let interface: EniId = req.interface.parse()?;
    let direction: Direction = req.direction.parse().map_err(bad)?;
    let port = || {
        req.port
            .ok_or_else(|| bad("tcp and udp packets need a port"))
    };
    let payload = match req.protocol.to_ascii_lowercase().as_str() {
        "tcp" | "6" => Payload::Tcp { dst_port: port()? },
        "udp" | "17" => Payload::Udp { dst_port: port()? },
        "icmp" | "1" => Payload::Icmp {
            icmp_type: req.icmp_type.unwrap_or(8),
            code: req.icmp_code.unwrap_or(0),
        },
        "icmpv6" | "58" => Payload::Icmpv6 {
            icmp_type: req.icmp_type.unwrap_or(128),
            code: req.icmp_code.unwrap_or(0),
        },
        n => Payload::Other(
            n.parse()
                .map_err(|_| bad(format!("unknown protocol '{n}'")))?,
        ),
    };
    Ok(Packet {
        interface,
        direction,
        remote: req.remote,
        payload,
    })
}

pub(crate) fn json_error(e: &ApiError) -> Response {
    let body = serde_json::json!({ "code": e.code(), "message": e.message() });
    (e.status(), axum::Json(body)).into_response()
}

/// What every JSON extension call passes: SigV4, a served region, service `ec2`, and a
/// body the signature covers.
pub(crate) fn admit_json(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Caller, ApiError> {
    let caller = authenticate(state, method, uri, headers, body, false)?;
    edge::check_region(&caller, &state.edge.regions, false)?;
    edge::check_service(&caller, &["ec2"], false)?;
    if !caller.payload_signed && !body.is_empty() {
        return Err(ApiError::new(
            Ec2ErrorCode::AuthFailure,
            "The request body is not covered by the signature",
        ));
    }
    Ok(caller)
}

pub(crate) async fn handle(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match answer(&state, &method, &uri, &headers, &body).await {
        Ok(v) => (StatusCode::OK, axum::Json(v)).into_response(),
        Err(e) => json_error(&e),
    }
}

async fn answer(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<serde_json::Value, ApiError> {
    let caller = admit_json(state, method, uri, headers, body)?;
    let scope = Scope::new(caller.account.clone(), caller.region.clone());
    let store = state.store.clone();
    let snapshot_only = body.is_empty() || body == b"{}";
    let req: Option<EvalRequest> = if snapshot_only {
        None
    } else {
        Some(serde_json::from_slice(body).map_err(|e| bad(format!("invalid eval request: {e}")))?)
    };
    tokio::task::spawn_blocking(move || {
        let mut ids = RandomIds::new();
        let snapshot =
            view::<_, ApiError>(store.as_ref(), &scope, &mut ids, |st| st.snapshot().clone())?;
        let Some(req) = req else {
            return Ok(palisade_ec2::export(&snapshot));
        };
        let pkt = packet(&req)?;
        let engine = palisade_engine::compile(&snapshot);
        let decision = engine.decide(&pkt).map_err(|e| {
            ApiError::new(
                Ec2ErrorCode::InvalidNetworkInterfaceIdNotFound,
                e.to_string(),
            )
        })?;
        let answer = EvalAnswer {
            verdict: decision.verdict.as_str().to_owned(),
            matches: decision
                .matches
                .iter()
                .map(|m| EvalMatch {
                    group_id: m.group_id.to_string(),
                    rule_id: m.rule_id.to_string(),
                })
                .collect(),
        };
        serde_json::to_value(answer).map_err(|e| ApiError::internal(e.to_string()))
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
}

/// Client: POSTs `body` (JSON; `{}` asks for the snapshot) to `http://HOST:PORT/_palisade/eval`
/// signed with SigV4, and returns the response's JSON. Plain HTTP/1.1 over loopback-style
/// endpoints; `endpoint` is `http://host:port`.
pub async fn fetch_json(
    endpoint: &str,
    access_key: &str,
    secret: &str,
    region: &str,
    body: &str,
) -> Result<serde_json::Value, std::io::Error> {
    crate::watch::post_json(
        endpoint,
        access_key,
        secret,
        region,
        "/_palisade/eval",
        body,
    )
    .await
}
