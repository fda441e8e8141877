//! Sign-in and sign-out: an access key id and secret checked against the server's key ring
//! (constant-time), then a server-side session. A refused sign-in answers EC2's
//! `AuthFailure` next to the field, as a signed call with that key would.

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{html_response, shell};
use crate::ConsoleState;
use crate::session::{self, same};

#[derive(Debug, Deserialize)]
pub(crate) struct SignIn {
    #[serde(default)]
    access_key: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    region: String,
}

/// Where a sign-in error belongs.
enum Problem {
    Key(&'static str, String),
    Region(String),
}

pub(crate) async fn form(State(state): State<ConsoleState>, headers: HeaderMap) -> Response {
    if super::signed_in(&state, &headers).is_ok() {
        return Redirect::to("/console/").into_response();
    }
    html_response(StatusCode::OK, render("", "us-east-1", None))
}

pub(crate) async fn submit(
    State(state): State<ConsoleState>,
    Form(form): Form<SignIn>,
) -> Response {
    let access_key = form.access_key.trim();
    let region = form.region.trim();
    let known = state
        .api
        .keys
        .get(access_key)
        .filter(|k| same(&k.secret, &form.secret));
    let Some(key) = known else {
        tracing::info!(access_key, "console sign-in refused");
        let problem = Problem::Key(
            "AuthFailure",
            "AWS was not able to validate the provided access credentials".into(),
        );
        return html_response(
            StatusCode::UNAUTHORIZED,
            render(access_key, region, Some(&problem)),
        );
    };
    if !state.api.edge.regions.contains(region) {
        let problem = Problem::Region(format!(
            "The region '{region}' is not a region this server serves"
        ));
        return html_response(
            StatusCode::BAD_REQUEST,
            render(access_key, region, Some(&problem)),
        );
    }
    let Some(token) = state
        .sessions
        .open(state.now(), key.account.clone(), access_key, region)
    else {
        tracing::error!("no randomness for a console session token");
        return super::layout::error_page(
            None,
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "An internal error has occurred",
        );
    };
    tracing::info!(access_key, account = %key.account, region, "console sign-in");
    let cookie = session::set_cookie(&token, state.sessions.ttl());
    ([(header::SET_COOKIE, cookie)], Redirect::to("/console/")).into_response()
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignOut {
    #[serde(default)]
    csrf: String,
}

pub(crate) async fn signout(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Form(form): Form<SignOut>,
) -> Response {
    let session = match super::signed_in(&state, &headers) {
        Ok(s) => s,
        Err(redirect) => return redirect,
    };
    if let Err(refused) = super::check_csrf(&session, &form.csrf) {
        return refused;
    }
    if let Some(token) = session::token(&headers) {
        state.sessions.close(&token);
    }
    (
        [(header::SET_COOKIE, session::clear_cookie())],
        Redirect::to("/console/signin"),
    )
        .into_response()
}

fn render(access_key: &str, region: &str, problem: Option<&Problem>) -> Markup {
    let key_error = match problem {
        Some(Problem::Key(code, msg)) => Some((*code, msg.as_str())),
        _ => None,
    };
    let region_error = match problem {
        Some(Problem::Region(msg)) => Some(msg.as_str()),
        _ => None,
    };
    let body = html! {
        h1 { "Sign in" }
        form.card #signin method="post" action="/console/signin" style="max-width:420px" {
            div.field.invalid[key_error.is_some()] {
                label for="access_key" { "Access key ID" }
                input #access_key type="text" name="access_key" value=(access_key) autocomplete="username" required;
            }
            div.field.invalid[key_error.is_some()] {
                label for="secret" { "Secret access key" }
                input #secret type="password" name="secret" autocomplete="current-password" required;
                @if let Some((code, msg)) = key_error {
                    div.error #secret-error { code { (code) } ": " (msg) }
                }
            }
            div.field.invalid[region_error.is_some()] {
                label for="region" { "Region" }
                input #region type="text" name="region" value=(region) required;
                @if let Some(msg) = region_error {
                    div.error #region-error { code { "InvalidParameterValue" } ": " (msg) }
                }
            }
            p { button type="submit" { "Sign in" } }
            p.hint { "Use a key pair of the server's key ring (" code { "--keys" } ", or the dev key printed at start-up). The secret is checked once and never stored." }
        }
    };
    shell("Sign in", None, body)
}
