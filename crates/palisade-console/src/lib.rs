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
        .layer(axum::middleware::from_fn(same_origin))
        .with_state(state)
}

/// Whether a request to `/` is an EC2 (or STS) Query call rather than a person's browser.
pub fn is_api_call(method: &Method, uri: &axum::http::Uri, headers: &HeaderMap) -> bool {
    if method != Method::GET || headers.contains_key(header::AUTHORIZATION) {
        return true;
    }
    let query = uri.query().unwrap_or("");
    form_urlencoded_names(query).any(|name| {
        name.eq_ignore_ascii_case("Action") || name.to_ascii_lowercase().starts_with("x-amz-")
    })
}

/// The query's parameter names, percent-decoded as the API decodes them.
fn form_urlencoded_names(query: &str) -> impl Iterator<Item = String> + '_ {
    form_urlencoded::parse(query.as_bytes()).map(|(name, _)| name.into_owned())
}

async fn root_redirect(req: Request, next: Next) -> Response {
    if req.uri().path() == "/" && !is_api_call(req.method(), req.uri(), req.headers()) {
        return Redirect::to("/console/").into_response();
    }
    next.run(req).await
}

/// A form posted from another site is refused before it reaches a handler, on top of the
/// SameSite cookie and the CSRF token (this also covers the sign-in form, which has no
/// session yet): a browser's `Origin` must name this server's `Host`.
async fn same_origin(req: Request, next: Next) -> Response {
    if req.method() == Method::POST && !origin_matches(req.headers()) {
        return (
            axum::http::StatusCode::FORBIDDEN,
            "cross-origin form posts are refused",
        )
            .into_response();
    }
    next.run(req).await
}

/// True without an `Origin` header (not a browser's cross-site post) or when its host and
/// port are the request's `Host`.
fn origin_matches(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, h)| h);
    matches!((origin, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}

/// Every console page: no script at all, no framing, no sniffing, no caching of pages
/// that show an account's state. The referrer policy is `same-origin`, not `no-referrer`:
/// under `no-referrer` Chromium sends `Origin: null` on the console's own form posts, which
/// [`same_origin`] would refuse.
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
        HeaderValue::from_static("same-origin"),
    );
    res
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, Method, Uri, header};

    use super::{is_api_call, origin_matches};

    #[track_caller]
    fn check_api(method: Method, uri: &str, auth: bool, api: bool) {
        let mut headers = HeaderMap::new();
        if auth {
            headers.insert(
                header::AUTHORIZATION,
                HeaderValue::from_static("AWS4-HMAC-SHA256 x"),
            );
        }
        let uri: Uri = uri.parse().unwrap();
        assert_eq!(is_api_call(&method, &uri, &headers), api, "{method} {uri}");
    }

    #[test]
    fn only_a_plain_browser_get_is_the_consoles() {
        check_api(Method::GET, "/", false, false);
        check_api(Method::GET, "/?q=x", false, false);
        check_api(Method::GET, "/?Action=DescribeVpcs", false, true);
        check_api(Method::GET, "/?action=DescribeVpcs", false, true);
        check_api(Method::GET, "/?X-Amz-Signature=ab&Foo=1", false, true);
        check_api(Method::GET, "/?x-amz-date=1", false, true);
        check_api(Method::GET, "/?%41ction=DescribeVpcs", false, true);
        check_api(Method::GET, "/", true, true);
        check_api(Method::POST, "/", false, true);
    }

    #[track_caller]
    fn check_origin(origin: Option<&'static str>, host: &'static str, ok: bool) {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static(host));
        if let Some(o) = origin {
            headers.insert(header::ORIGIN, HeaderValue::from_static(o));
        }
        assert_eq!(origin_matches(&headers), ok, "{origin:?} {host}");
    }

    #[test]
    fn a_post_from_another_origin_is_refused() {
        check_origin(None, "127.0.0.1:8787", true);
        check_origin(Some("http://127.0.0.1:8787"), "127.0.0.1:8787", true);
        check_origin(Some("http://127.0.0.1:8788"), "127.0.0.1:8787", false);
        check_origin(Some("https://evil.example"), "127.0.0.1:8787", false);
        check_origin(Some("null"), "127.0.0.1:8787", false);
    }
}
