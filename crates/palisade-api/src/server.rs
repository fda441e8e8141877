//! The HTTP edge: reads the clock, authenticates, parses the form, dispatches the action on
//! a blocking thread (the store is synchronous) and wraps the result in EC2's response
//! envelope.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{any, post};
use palisade_model::Ec2ErrorCode;
use palisade_store::{Scope, Store};

use crate::ctx::{Ctx, RandomIds};
use crate::edge::{self, Admitted, EdgeConfig};
use crate::error::{ApiError, xml_response};
use crate::handlers;
use crate::keys::KeyRing;
use crate::sigv4::{self, AuthError, Caller, RequestParts};

/// EC2's XML namespace for API version 2016-11-15.
pub const NAMESPACE: &str = "http://ec2.amazonaws.com/doc/2016-11-15/";

/// Where `now` comes from: the system clock, or a fixed instant (tests).
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    System,
    Fixed(SystemTime),
}

impl Clock {
    fn now(self) -> SystemTime {
        match self {
            Self::System => SystemTime::now(),
            Self::Fixed(t) => t,
        }
    }
}

/// Everything the server shares between requests.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub keys: Arc<KeyRing>,
    pub clock: Clock,
    pub edge: Arc<EdgeConfig>,
}

/// The API's routes: `/` (EC2 and STS Query actions, POST or GET) and the JSON extension
/// `POST /_palisade/eval`; bodies are read whole first, up to [`edge::BODY_LIMIT`].
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", any(handle))
        .route("/_palisade/eval", post(crate::eval::handle))
        .layer(axum::middleware::from_fn(edge::limit_body))
        .layer(DefaultBodyLimit::max(edge::BODY_LIMIT))
        .with_state(state)
}

/// Authenticates a request; the error is already an [`ApiError`] for `service`.
pub(crate) fn authenticate(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    sts: bool,
) -> Result<Caller, ApiError> {
    let hdrs: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str().to_ascii_lowercase(), v.to_str().ok()?.to_owned())))
        .collect();
    let parts = RequestParts {
        method: method.as_str(),
        path: uri.path(),
        query: uri.query().unwrap_or(""),
        headers: &hdrs,
        body,
    };
    sigv4::verify(&parts, &state.keys, state.clock.now()).map_err(|e| auth_error(&e, sts))
}

/// EC2 answers every credential problem with `AuthFailure` (and `RequestExpired` for a
/// stale date); STS distinguishes `InvalidClientTokenId` and `SignatureDoesNotMatch`.
fn auth_error(e: &AuthError, sts: bool) -> ApiError {
    let msg = e.to_string();
    match (e, sts) {
        (AuthError::Expired(_), _) => {
            ApiError::other("RequestExpired", StatusCode::BAD_REQUEST, msg)
        }
        (AuthError::UnknownKey, true) => ApiError::new(
            Ec2ErrorCode::InvalidClientTokenId,
            "The security token included in the request is invalid.",
        ),
        (AuthError::BadSignature, true) => ApiError::new(Ec2ErrorCode::SignatureDoesNotMatch, msg),
        (AuthError::Missing, true) => ApiError::other(
            "MissingAuthenticationToken",
            StatusCode::FORBIDDEN,
            "Request is missing Authentication Token",
        ),
        _ => ApiError::new(Ec2ErrorCode::AuthFailure, msg),
    }
}

async fn handle(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut ids = RandomIds::new();
    let request_id = ids.request_id();
    let Admitted {
        caller,
        params,
        action,
        sts,
    } = match edge::admit(&state, &method, &uri, &headers, &body) {
        Ok(admitted) => admitted,
        Err(refused) => return refused.into_response(&request_id),
    };
    if sts || caller.service == "sts" {
        return handlers::sts(&caller, &action, &request_id);
    }
    let Some(handler) = handlers::lookup(&action) else {
        let e = ApiError::new(
            Ec2ErrorCode::InvalidAction,
            format!("The action {action} is not valid for this web service."),
        );
        return e.into_ec2_response(&request_id);
    };
    match params.dry_run() {
        Ok(true) => return ApiError::dry_run().into_ec2_response(&request_id),
        Ok(false) => {}
        Err(e) => return ApiError::from(e).into_ec2_response(&request_id),
    }
    let scope = Scope::new(caller.account.clone(), caller.region.clone());
    let mut ctx = Ctx {
        store: state.store.clone(),
        scope,
        ids,
    };
    let res = tokio::task::spawn_blocking(move || handler(&mut ctx, &params)).await;
    match res {
        Ok(Ok(inner)) => {
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{action}Response xmlns=\"{NAMESPACE}\"><requestId>{request_id}</requestId>{}</{action}Response>",
                inner.finish()
            );
            xml_response(StatusCode::OK, body, &request_id)
        }
        Ok(Err(e)) => e.into_ec2_response(&request_id),
        Err(join) => {
            tracing::error!(error = %join, action, "handler panicked");
            ApiError::internal("An internal error has occurred").into_ec2_response(&request_id)
        }
    }
}
