//! What a Query request passes before any action runs: SigV4, the credential scope (a
//! served region, the right service), then the choice of the parameters the signature
//! vouches for, then the Query form's own checks (`Params::parse`, values per filter). A
//! request refused here never reaches the store, so it creates nothing.
//!
//! Also the body limit: a request body longer than [`BODY_LIMIT`] is answered in the
//! route's own error format (EC2's XML envelope, the eval extension's JSON), not axum's
//! plain text.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;
use palisade_ec2::query::{Params, check_filter_values};
use palisade_model::{Ec2ErrorCode, Quotas};

use crate::auth::authenticate;
use crate::error::ApiError;
use crate::ids::RandomIds;
use crate::regions::Regions;
use crate::sigv4::Caller;
use crate::state::AppState;

/// What the edge enforces, chosen by whoever starts the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeConfig {
    /// The regions a credential scope may name.
    pub regions: Regions,
    /// The limits decoding enforces (values per filter); the store's states enforce the
    /// same quotas' others.
    pub quotas: Quotas,
}

impl EdgeConfig {
    /// AWS's own: the commercial regions and default quotas.
    pub fn aws_defaults() -> Self {
        Self {
            regions: Regions::commercial(),
            quotas: Quotas::default(),
        }
    }
}

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
    /// The error code answered (the metrics' outcome label).
    pub(crate) fn code(&self) -> &'static str {
        self.error.code()
    }

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
    let refuse = |error, sts| Refused { error, sts };
    let caller = authenticate(state, method, uri, headers, body, named_sts)
        .map_err(|e| refuse(e, named_sts))?;
    check_region(&caller, &state.edge.regions, named_sts).map_err(|e| refuse(e, named_sts))?;
    check_service(&caller, services(named_sts), named_sts).map_err(|e| refuse(e, named_sts))?;
    // A body counts only when the signature covers it: a presigned (query-string) request
    // signs UNSIGNED-PAYLOAD unless its signer hashed the body, so its body parameters were
    // never signed and must not add to (or replace) the signed ones.
    let mut pairs = query;
    if caller.payload_signed {
        pairs.extend(form);
    }
    let params = Params::parse(pairs).map_err(|e| refuse(e.into(), named_sts))?;
    check_filter_values(&params, state.edge.quotas.values_per_filter())
        .map_err(|e| refuse(e.into(), named_sts))?;
    let action = params.get("Action").unwrap_or("").to_owned();
    let sts = action == "GetCallerIdentity";
    if sts != named_sts {
        // The signed parameters name another action than the unsigned ones did.
        check_service(&caller, services(sts), sts).map_err(|e| refuse(e, sts))?;
    }
    Ok(Admitted {
        caller,
        params,
        action,
        sts,
    })
}

/// The scope services an action may be signed for: `sts` for GetCallerIdentity; `ec2`
/// otherwise, or `sts` (an STS request, whose handler knows only GetCallerIdentity).
fn services(get_caller_identity: bool) -> &'static [&'static str] {
    if get_caller_identity {
        &["sts"]
    } else {
        &["ec2", "sts"]
    }
}

fn action_of(pairs: &[(String, String)]) -> Option<&str> {
    pairs
        .iter()
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v.as_str())
}

/// The scope's region must be served: "Credential should be scoped to a valid region, not
/// 'x'." (AWS's SigV4 error text; EC2 answers credential problems with `AuthFailure`, STS
/// and the other Query services with `SignatureDoesNotMatch`).
pub(crate) fn check_region(caller: &Caller, regions: &Regions, sts: bool) -> Result<(), ApiError> {
    if regions.contains(&caller.region) {
        return Ok(());
    }
    Err(scope_error(
        format!(
            "Credential should be scoped to a valid region, not '{}'.",
            caller.region
        ),
        sts,
    ))
}

/// The scope's service must be one of `services`: "Credential should be scoped to correct
/// service: 'ec2'." (AWS's SigV4 error text, naming the service expected).
pub(crate) fn check_service(caller: &Caller, services: &[&str], sts: bool) -> Result<(), ApiError> {
    if services.contains(&caller.service.as_str()) {
        return Ok(());
    }
    let expected = services.first().copied().unwrap_or("ec2");
    Err(scope_error(
        format!("Credential should be scoped to correct service: '{expected}'."),
        sts,
    ))
}

fn scope_error(message: String, sts: bool) -> ApiError {
    let code = if sts {
        Ec2ErrorCode::SignatureDoesNotMatch
    } else {
        Ec2ErrorCode::AuthFailure
    };
    ApiError::new(code, message)
}

/// The longest request body: axum's default (`DefaultBodyLimit`, 2 MiB), kept and made
/// explicit.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Middleware: reads the whole body (at most [`BODY_LIMIT`] bytes) before the route runs.
pub(crate) async fn limit_body(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(e) => body_error(parts.uri.path(), &e),
    }
}

/// The answer to a body that could not be read (too long, or cut off), in the format of
/// the route at `path`.
pub(crate) fn body_error(path: &str, e: &axum::Error) -> Response {
    let too_large = std::iter::successors(Some(e as &(dyn std::error::Error + 'static)), |e| {
        e.source()
    })
    .any(|e| e.is::<http_body_util::LengthLimitError>());
    let error = if too_large {
        ApiError::other(
            "RequestEntityTooLarge",
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The request body is longer than {BODY_LIMIT} bytes"),
        )
    } else {
        ApiError::new(
            Ec2ErrorCode::InvalidParameterValue,
            "The request body could not be read",
        )
    };
    let request_id = RandomIds::new().request_id();
    if path.starts_with("/_palisade/") {
        crate::eval::json_error(&error)
    } else {
        error.into_ec2_response(&request_id)
    }
}
