//! `ApiError`: every failure a request can meet, and the ONLY place errors become EC2's XML
//! envelope (`<Response><Errors><Error><Code>…`) and an HTTP status. Client errors are 400,
//! `DryRunOperation` 412 ("Error codes for the Amazon EC2 API"); a 5xx means a bug or a
//! storage failure, never bad input.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use palisade_ec2::PermissionError;
use palisade_ec2::query::QueryError;
use palisade_model::Ec2ErrorCode;
use palisade_model::account::AccountError;
use palisade_store::StoreError;

use palisade_ec2::wire::xml::escape;

/// An error answered to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    code: &'static str,
    message: String,
    status: StatusCode,
}

impl ApiError {
    pub fn new(code: Ec2ErrorCode, message: impl Into<String>) -> Self {
        let status = match code {
            Ec2ErrorCode::DryRunOperation => StatusCode::PRECONDITION_FAILED,
            Ec2ErrorCode::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
            Ec2ErrorCode::AuthFailure => StatusCode::UNAUTHORIZED,
            Ec2ErrorCode::InvalidClientTokenId | Ec2ErrorCode::SignatureDoesNotMatch => {
                StatusCode::FORBIDDEN
            }
            _ => StatusCode::BAD_REQUEST,
        };
        Self {
            code: code.as_str(),
            message: message.into(),
            status,
        }
    }

    /// A code the model does not know (`RequestExpired`, `InvalidAction`'s relatives …).
    pub fn other(code: &'static str, status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            status,
        }
    }

    pub fn dry_run() -> Self {
        Self::new(
            Ec2ErrorCode::DryRunOperation,
            "Request would have succeeded, but DryRun flag is set.",
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Ec2ErrorCode::InternalError, message)
    }

    pub fn code(&self) -> &'static str {
        self.code
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The EC2 error envelope.
    pub fn to_ec2_xml(&self, request_id: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{}</Code><Message>{}</Message></Error></Errors><RequestID>{}</RequestID></Response>",
            escape(self.code),
            escape(&self.message),
            escape(request_id)
        )
    }

    /// The AWS Query (STS) error envelope.
    pub fn to_sts_xml(&self, request_id: &str) -> String {
        format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
            escape(self.code),
            escape(&self.message),
            escape(request_id)
        )
    }

    /// The HTTP response for an EC2 request.
    pub fn into_ec2_response(self, request_id: &str) -> Response {
        xml_response(self.status, self.to_ec2_xml(request_id), request_id)
    }

    /// The HTTP response for an STS request.
    pub fn into_sts_response(self, request_id: &str) -> Response {
        xml_response(self.status, self.to_sts_xml(request_id), request_id)
    }
}

/// A `text/xml` response carrying `x-amzn-requestid`.
pub(crate) fn xml_response(status: StatusCode, body: String, request_id: &str) -> Response {
    let mut res = (status, [("content-type", "text/xml;charset=UTF-8")], body).into_response();
    if let Ok(v) = request_id.parse() {
        res.headers_mut().insert("x-amzn-requestid", v);
    }
    res
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        Self::new(e.code(), e.message())
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        Self::new(e.code(), e.message())
    }
}

impl From<PermissionError> for ApiError {
    fn from(e: PermissionError) -> Self {
        Self::new(e.code(), e.message())
    }
}

impl From<palisade_model::IdError> for ApiError {
    fn from(e: palisade_model::IdError) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

impl From<palisade_model::RuleError> for ApiError {
    fn from(e: palisade_model::RuleError) -> Self {
        Self::new(e.code(), e.message())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store failure");
        Self::internal("An internal error has occurred")
    }
}
