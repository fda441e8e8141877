//! Authentication at the edge: the HTTP request's parts handed to SigV4 verification, and
//! a refusal turned into the error the service (EC2 or STS) answers.

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use palisade_model::Ec2ErrorCode;

use crate::error::ApiError;
use crate::sigv4::{self, AuthError, Caller, RequestParts};
use crate::state::AppState;

/// Authenticates a request; the error is already an [`ApiError`] for the service (`sts`).
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
