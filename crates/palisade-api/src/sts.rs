//! STS (API 2011-06-15) on the same endpoint: GetCallerIdentity, so tools that first ask
//! "who am I" work.

use axum::http::StatusCode;
use axum::response::Response;
use palisade_ec2::wire::xml::escape;

use crate::error::{ApiError, xml_response};
use crate::sigv4::Caller;

pub(crate) fn answer(caller: &Caller, action: &str, request_id: &str) -> Response {
    if action != "GetCallerIdentity" {
        let e = ApiError::other(
            "InvalidAction",
            StatusCode::BAD_REQUEST,
            format!("Could not find operation {action} for version 2011-06-15"),
        );
        return e.into_sts_response(request_id);
    }
    let body = format!(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::{acct}:user/palisade</Arn><UserId>{key}</UserId><Account>{acct}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
        acct = caller.account,
        key = escape(&caller.access_key),
    );
    xml_response(StatusCode::OK, body, request_id)
}
