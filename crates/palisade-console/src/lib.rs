//! The web console of `palisade serve`: server-rendered HTML pages under `/console/` over
//! the same store, typed requests and analysis as the EC2 Query API.
//!
//! A person signs in with an access key pair of the server's key ring; the console keeps a
//! server-side session (a random token in an `HttpOnly; SameSite=Strict` cookie, never the
//! secret) scoped to that key's account and a region, exactly as a signed call would be.
//! Writes go through `palisade_ec2::wire::decode` (or the model's presets) and
//! `AccountState::execute` inside one store transaction, so validation and EC2 error codes
//! are the API's; previews run the same requests on a copy of the state and diff it with
//! `palisade_analysis::diff`, never saving. Pages carry no script (the content security
//! policy forbids it); forms that change state carry a per-session CSRF token.
//!
//! [`mount`] puts the console in front of the API router: `GET /` that is not an EC2 call
//! (no `Action`, no `X-Amz-*` parameter, no `Authorization` header) redirects to the
//! console; everything else reaches the API unchanged.
#![deny(clippy::unwrap_used)]
// Handlers return either their value or the response they answer instead (a redirect to
// the sign-in page, an error page), as axum handlers do; boxing it buys nothing here.
#![allow(clippy::result_large_err)]

mod backend;
mod forms;
mod pages;
mod session;
mod svg;

use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use palisade_api::{AppState, Clock};

pub use session::{COOKIE, SESSION_TTL, Sessions};

/// What the console's handlers share: the API's state (store, keys, clock, regions) and
/// the session table.
#[derive(Debug, Clone)]
pub struct ConsoleState {
    pub api: AppState,
    pub sessions: Arc<Sessions>,
}

impl ConsoleState {
    pub fn new(api: AppState) -> Self {
        Self {
            api,
            sessions: Arc::new(Sessions::new(SESSION_TTL)),
        }
    }

    pub(crate) fn now(&self) -> SystemTime {
        match self.api.clock {
            Clock::System => SystemTime::now(),
            Clock::Fixed(t) => t,
        }
    }
}

/// The console's routes merged with the API's: pages under `/console/`, and `GET /`
/// redirected to them unless it is an EC2 call.
pub fn mount(api: Router, state: ConsoleState) -> Router {
    routes(state)
        .merge(api)
        .layer(axum::middleware::from_fn(root_redirect))
}

/// The console's pages alone (tests drive them without the API).
pub fn routes(state: ConsoleState) -> Router {
    use pages::{audit, graph, group, interface, lists, signin};
    Router::new()
        .route("/console", get(|| async { Redirect::to("/console/") }))
        .route("/console/", get(lists::overview))
        .route("/console/signin", get(signin::form).post(signin::submit))
        .route("/console/signout", post(signin::signout))
        .route("/console/vpcs", get(lists::vpcs))
        .route("/console/subnets", get(lists::subnets))
        .route("/console/interfaces", get(lists::interfaces))
        .route("/console/interfaces/{id}", get(interface::page))
        .route("/console/groups", get(lists::groups))
        .route(
            "/console/groups/new",
            get(group::new_form).post(group::new_submit),
        )
        .route("/console/groups/{id}", get(group::page))
        .route("/console/groups/{id}/rules", post(group::rules_submit))
        .route("/console/groups/{id}/revoke", post(group::revoke))
        .route("/console/graph", get(graph::page))
        .route("/console/audit", get(audit::page))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(state)
}

/// Whether a request to `/` is an EC2 (or STS) Query call rather than a person's browser.
fn is_api_call(method: &Method, uri: &axum::http::Uri, headers: &HeaderMap) -> bool {
    if method != Method::GET || headers.contains_key(header::AUTHORIZATION) {
        return true;
    }
    let query = uri.query().unwrap_or("");
    form_urlencoded_names(query).any(|name| {
        name.eq_ignore_ascii_case("Action") || name.to_ascii_lowercase().starts_with("x-amz-")
    })
}

fn form_urlencoded_names(query: &str) -> impl Iterator<Item = String> + '_ {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split('=').next().unwrap_or("").to_owned())
}

async fn root_redirect(req: Request, next: Next) -> Response {
    if req.uri().path() == "/" && !is_api_call(req.method(), req.uri(), req.headers()) {
        return Redirect::to("/console/").into_response();
    }
    next.run(req).await
}

/// Every console page: no script at all, no framing, no sniffing, no caching of pages
/// that show an account's state.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}
