//! The console's pages, one module per page family. Handlers stay thin: the session, one
//! read or write through `backend`, and a render.

pub(crate) mod audit;
pub(crate) mod graph;
pub(crate) mod group;
pub(crate) mod interface;
pub(crate) mod layout;
pub(crate) mod lists;
mod rule_form;
pub(crate) mod signin;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use palisade_api::ApiError;

use crate::ConsoleState;
use crate::session::{self, Session};

/// The request's live session, or the redirect to the sign-in page.
pub(crate) fn signed_in(state: &ConsoleState, headers: &HeaderMap) -> Result<Session, Response> {
    session::token(headers)
        .and_then(|t| state.sessions.get(&t, state.now()))
        .ok_or_else(|| Redirect::to("/console/signin").into_response())
}

/// A refused form: its CSRF token is not the session's.
pub(crate) fn check_csrf(session: &Session, token: &str) -> Result<(), Response> {
    if session::same(&session.csrf, token) {
        return Ok(());
    }
    Err(layout::error_page(
        Some(session),
        StatusCode::FORBIDDEN,
        "InvalidCsrfToken",
        "The form's anti-forgery token does not match this session; reload the page and try again.",
    ))
}

/// An error page for an API error, with its status.
pub(crate) fn failed(session: &Session, e: &ApiError) -> Response {
    layout::error_page(Some(session), e.status(), e.code(), e.message())
}

/// Case-insensitive substring match of a search query against any of the texts.
pub(crate) fn matches<'a>(q: &str, texts: impl IntoIterator<Item = &'a str>) -> bool {
    let q = q.trim().to_ascii_lowercase();
    if q.is_empty() {
        return true;
    }
    texts
        .into_iter()
        .any(|t| t.to_ascii_lowercase().contains(&q))
}
