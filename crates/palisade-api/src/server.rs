//! The HTTP edge of the EC2 Query API: reads the clock, authenticates, parses the form,
//! decodes the action into a typed request (`palisade_ec2::wire`), runs it on the caller's
//! state (`AccountState::execute`/`query`, inside the store) and wraps the encoded response
//! in EC2's envelope. No business rule and no AWS spelling of a resource lives here.

use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{any, post};
use palisade_ec2::query::Params;
use palisade_ec2::wire::{self, Origin};
use palisade_model::account::ops::{Request, Response as OpResponse};
use palisade_model::{Ec2ErrorCode, Timestamp};
use palisade_store::{Scope, Store, transact, transact_pair, try_view, view};

use crate::edge::{self, Admitted};
use crate::error::{ApiError, xml_response};
use crate::ids::RandomIds;
use crate::metrics::{NO_ACTION, OK, UNKNOWN_ACTION};
use crate::state::AppState;
use crate::sts;

/// EC2's XML namespace for API version 2016-11-15.
pub const NAMESPACE: &str = "http://ec2.amazonaws.com/doc/2016-11-15/";

/// The API's routes: `/` (EC2 and STS Query actions, POST or GET) and the JSON extensions
/// `POST /_palisade/eval`, `/_palisade/watch`, `/_palisade/report` and `/_palisade/hosts`; bodies are read whole first, up to [`edge::BODY_LIMIT`].
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", any(handle))
        .route("/_palisade/eval", post(crate::eval::handle))
        .route("/_palisade/watch", post(crate::watch::watch))
        .route("/_palisade/report", post(crate::watch::report))
        .route("/_palisade/hosts", post(crate::watch::hosts))
        .layer(axum::middleware::from_fn(edge::limit_body))
        .layer(DefaultBodyLimit::max(edge::BODY_LIMIT))
        .with_state(state)
}

async fn handle(State(state): State<AppState>, request: axum::extract::Request) -> Response {
    query_call(&state, request).await
}

/// Answers one EC2 or STS Query call (a request to `/`), its body read whole first (at
/// most [`edge::BODY_LIMIT`] bytes). `palisade serve` calls this straight from its
/// connection loop for every Query call, ahead of the router and its middleware (the path
/// every client call takes, kept short); [`router`] routes `/` here too.
pub async fn query_call<B>(state: &AppState, request: axum::http::Request<B>) -> Response
where
    B: axum::body::HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let started = Instant::now();
    let _in_flight = state.metrics.begin();
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(Body::new(body), edge::BODY_LIMIT).await {
        Ok(body) => body,
        Err(e) => return edge::body_error(parts.uri.path(), &e),
    };
    let (response, action, code) =
        answer(state, &parts.method, &parts.uri, &parts.headers, &body).await;
    state.metrics.answered(action, code, started.elapsed());
    response
}

/// A request's response, and its action and outcome labels for the metrics.
type Answered = (Response, &'static str, &'static str);

async fn answer(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Answered {
    let mut ids = RandomIds::new().at(state.clock.now());
    let request_id = ids.request_id();
    let Admitted {
        caller,
        params,
        action,
        sts,
    } = match edge::admit(state, method, uri, headers, body) {
        Ok(admitted) => admitted,
        Err(refused) => {
            let code = refused.code();
            return (refused.into_response(&request_id), NO_ACTION, code);
        }
    };
    if sts || caller.service == "sts" {
        let (label, code) = match action.as_str() {
            "GetCallerIdentity" => (state.metrics.action(&action), OK),
            _ => (UNKNOWN_ACTION, "InvalidAction"),
        };
        return (sts::answer(&caller, &action, &request_id), label, code);
    }
    let request = match decode(&action, &params) {
        Ok(r) => r.at(unix_time(state.clock.now())),
        Err(e) => {
            let label = match e.code() {
                "InvalidAction" => UNKNOWN_ACTION,
                _ => state.metrics.action(&action),
            };
            return failed(e, label, &request_id);
        }
    };
    let label = state.metrics.action(&action);
    // A peering into another region names a scope the edge must serve too.
    if let Request::CreateVpcPeeringConnection {
        peer_region: Some(region),
        ..
    } = &request
        && !state.edge.regions.contains(region)
    {
        let e = ApiError::new(
            Ec2ErrorCode::InvalidParameterValue,
            format!("The region '{region}' is not a region this server serves"),
        );
        return failed(e, label, &request_id);
    }
    let scope = Scope::new(caller.account.clone(), caller.region.clone());
    let origin_scope = scope.clone();
    let is_write = !request.is_read();
    // A read the store's cache answers runs right here: no thread hand-off, no I/O.
    let res = match cached_read(state, &scope, &request) {
        Some(answer) => Some(answer),
        None if request.is_read() || request.may_join_scopes() => {
            state
                .store_thread
                .run(move |store| run(store, &scope, request, ids))
                .await
        }
        // A write of one scope joins the next group commit; it is answered once committed.
        None => state
            .store_thread
            .write(scope, ids, move |st, ids| {
                st.execute(request, ids).map_err(ApiError::from)
            })
            .await
            .map(|res| res.map(|response| encode(&response, &origin_scope))),
    };
    match res {
        Some(Ok(inner)) => {
            let body = envelope(&action, &request_id, &inner);
            let mut res = xml_response(StatusCode::OK, body, &request_id);
            // The body stays exactly EC2's; the version a write produced rides in a header.
            if is_write && let Some(v) = state.watch.written_version(&origin_scope) {
                res.headers_mut()
                    .insert(crate::watch::VERSION_HEADER, v.into());
            }
            (res, label, OK)
        }
        Some(Err(e)) => failed(e, label, &request_id),
        None => {
            tracing::error!(
                action,
                "the store call panicked or the store thread is gone"
            );
            let e = ApiError::internal("An internal error has occurred");
            failed(e, label, &request_id)
        }
    }
}

fn failed(e: ApiError, label: &'static str, request_id: &str) -> Answered {
    let code = e.code();
    (e.into_ec2_response(request_id), label, code)
}

/// `<{Action}Response>` around the encoded answer.
fn envelope(action: &str, request_id: &str, inner: &str) -> String {
    let mut body = String::with_capacity(inner.len() + 2 * action.len() + 160);
    for part in [
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<",
        action,
        "Response xmlns=\"",
        NAMESPACE,
        "\"><requestId>",
        request_id,
        "</requestId>",
        inner,
        "</",
        action,
        "Response>",
    ] {
        body.push_str(part);
    }
    body
}

fn encode(response: &OpResponse, scope: &Scope) -> String {
    wire::encode(response, &origin(scope))
}

/// The typed request of an EC2 action, or the error EC2 answers (unknown action, bad
/// parameters, `DryRunOperation` for a valid dry run).
fn decode(action: &str, params: &Params) -> Result<Request, ApiError> {
    let Some(request) = wire::decode(action, params)? else {
        return Err(ApiError::new(
            Ec2ErrorCode::InvalidAction,
            format!("The action {action} is not valid for this web service."),
        ));
    };
    if params.dry_run()? {
        return Err(ApiError::dry_run());
    }
    Ok(request)
}

/// The answer to a read when the store can give it without waiting or I/O.
fn cached_read(
    state: &AppState,
    scope: &Scope,
    request: &Request,
) -> Option<Result<String, ApiError>> {
    if !request.is_read() {
        return None;
    }
    let answer = try_view(state.store.as_ref(), scope, |st| st.query(request));
    match answer {
        Ok(Some(response)) => Some(
            response
                .map(|r| wire::encode(&r, &origin(scope)))
                .map_err(ApiError::from),
        ),
        Ok(None) => None,
        Err(e) => Some(Err(e.into())),
    }
}

fn origin(scope: &Scope) -> Origin<'_> {
    Origin {
        account: &scope.account,
        region: &scope.region,
    }
}

/// Runs a request on the caller's state — reads on a shared view, writes in one
/// transaction (over both accounts' or regions' states when the model says the call joins
/// another: a VPC peering across them) — and encodes the answer.
fn run(
    store: &dyn Store,
    scope: &Scope,
    request: Request,
    mut ids: RandomIds,
) -> Result<String, ApiError> {
    let response = if request.is_read() {
        view::<_, ApiError>(store, scope, &mut ids, |st| st.query(&request))??
    } else {
        let other = if request.may_join_scopes() {
            view::<_, ApiError>(store, scope, &mut ids, |st| {
                st.peering_counterpart(&request)
            })?
        } else {
            None
        };
        match other {
            Some((account, region)) => {
                let other = Scope::new(account, region);
                transact_pair(store, scope, &other, &mut ids, |st, peer, ids| {
                    st.execute_pair(peer, request, ids).map_err(ApiError::from)
                })?
            }
            None => transact(store, scope, &mut ids, |st, ids| {
                st.execute(request, ids).map_err(ApiError::from)
            })?,
        }
    };
    Ok(wire::encode(&response, &origin(scope)))
}

/// The model's time: milliseconds since the Unix epoch.
fn unix_time(now: std::time::SystemTime) -> Timestamp {
    let ms = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    Timestamp::from_millis(ms)
}
