//! What a Query request passes before any action runs: SigV4, then the choice of the
//! parameters the signature vouches for, then the Query form's own checks
//! (`Params::parse`). A request refused here never reaches the store, so it creates nothing.

use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use palisade_ec2::query::Params;

use crate::error::ApiError;
use crate::server::{AppState, authenticate};
use crate::sigv4::Caller;

/// A request that may run: who sent it and the parameters it signed.
#[derive(Debug)]
pub(crate) struct Admitted {
    pub(crate) caller: Caller,
    pub(crate) params: Params,
    pub(crate) action: String,
    /// True for STS's GetCallerIdentity (STS's envelope and codes).
    pub(crate) sts: bool,
}

/// Why a request may not run, and in which service's envelope to say so.
#[derive(Debug)]
pub(crate) struct Refused {
    error: ApiError,
    sts: bool,
}

impl Refused {
    pub(crate) fn into_response(self, request_id: &str) -> Response {
        if self.sts {
            self.error.into_sts_response(request_id)
        } else {
            self.error.into_ec2_response(request_id)
        }
    }
}

/// Authenticates a Query request and decodes its parameters.
pub(crate) fn admit(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Admitted, Refused> {
    let query: Vec<(String, String)> = uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let form: Vec<(String, String)> = if method == Method::POST {
        form_urlencoded::parse(body).into_owned().collect()
    } else {
        Vec::new()
    };
    // Only the envelope of an authentication error follows the action named before the
    // signature is checked.
    let named = action_of(&query).or_else(|| action_of(&form)).unwrap_or("");
    let named_sts = named == "GetCallerIdentity";
    let caller =
        authenticate(state, method, uri, headers, body, named_sts).map_err(|error| Refused {
            error,
            sts: named_sts,
        })?;
    let mut pairs = query;
    pairs.extend(form);
    let params = Params::parse(pairs).map_err(|e| Refused {
        error: e.into(),
        sts: named_sts,
    })?;
    let action = params.get("Action").unwrap_or("").to_owned();
    let sts = action == "GetCallerIdentity";
    Ok(Admitted {
        caller,
        params,
        action,
        sts,
    })
}

fn action_of(pairs: &[(String, String)]) -> Option<&str> {
    pairs
        .iter()
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v.as_str())
}
