//! SigV4 and tenancy: missing, unknown, wrong and stale signatures; STS's own codes;
//! accounts that never see each other.

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;

use crate::harness::{KEY_A, KEY_B, Server, now};

const DESCRIBE: &str = "Action=DescribeSecurityGroups&Version=2016-11-15";

#[tokio::test]
async fn unsigned_requests_are_refused() {
    let s = Server::new();
    let req = Request::post("/")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(DESCRIBE))
        .unwrap();
    let r = s.raw(req).await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (401, Some("AuthFailure")),
        "{}",
        r.body
    );
    assert!(
        r.body
            .contains("<Response><Errors><Error><Code>AuthFailure</Code>")
    );
    assert!(r.text("RequestID").is_some());
}

#[tokio::test]
async fn unknown_key_and_wrong_secret_are_auth_failures() {
    let s = Server::new();
    let r = s
        .raw(Server::request(
            ("AKIDNOPE", "x"),
            now(),
            "us-east-1",
            "ec2",
            DESCRIBE,
        ))
        .await;
    assert_eq!(r.code().as_deref(), Some("AuthFailure"));
    let r = s
        .raw(Server::request(
            (KEY_A.0, "wrong"),
            now(),
            "us-east-1",
            "ec2",
            DESCRIBE,
        ))
        .await;
    assert_eq!(r.code().as_deref(), Some("AuthFailure"));
}

#[tokio::test]
async fn tampered_body_breaks_the_signature() {
    let s = Server::new();
    let req = Server::request(KEY_A, now(), "us-east-1", "ec2", DESCRIBE);
    let (parts, _) = req.into_parts();
    let r = s
        .raw(Request::from_parts(
            parts,
            Body::from("Action=DeleteVpc&Version=2016-11-15"),
        ))
        .await;
    assert_eq!(r.code().as_deref(), Some("AuthFailure"));
}

#[tokio::test]
async fn stale_dates_are_refused() {
    let s = Server::new();
    let old = now() - Duration::from_secs(16 * 60);
    let r = s
        .raw(Server::request(KEY_A, old, "us-east-1", "ec2", DESCRIBE))
        .await;
    assert_eq!(r.code().as_deref(), Some("RequestExpired"), "{}", r.body);
    let soon = now() + Duration::from_secs(14 * 60);
    s.raw(Server::request(KEY_A, soon, "us-east-1", "ec2", DESCRIBE))
        .await
        .ok();
}

#[tokio::test]
async fn sts_answers_with_its_own_codes() {
    let s = Server::new();
    let body = "Action=GetCallerIdentity&Version=2011-06-15";
    let r = s
        .raw(Server::request(KEY_B, now(), "us-east-1", "sts", body))
        .await
        .ok();
    assert_eq!(r.text("Account").as_deref(), Some("222222222222"));
    let r = s
        .raw(Server::request(
            ("AKIDNOPE", "x"),
            now(),
            "us-east-1",
            "sts",
            body,
        ))
        .await;
    assert_eq!(r.code().as_deref(), Some("InvalidClientTokenId"));
    let r = s
        .raw(Server::request(
            (KEY_B.0, "bad"),
            now(),
            "us-east-1",
            "sts",
            body,
        ))
        .await;
    assert_eq!(r.code().as_deref(), Some("SignatureDoesNotMatch"));
}

#[tokio::test]
async fn accounts_and_regions_are_isolated() {
    let s = Server::new();
    let id = s
        .call(
            "CreateSecurityGroup",
            &[("GroupName", "a-only"), ("GroupDescription", "d")],
        )
        .await
        .ok()
        .text("groupId")
        .unwrap();
    let r = s
        .call_as(
            KEY_B,
            "us-east-1",
            "DescribeSecurityGroups",
            &[("GroupId.1", &id)],
        )
        .await;
    assert_eq!(r.code().as_deref(), Some("InvalidGroup.NotFound"));
    let r = s
        .call_as(
            KEY_A,
            "eu-west-1",
            "DescribeSecurityGroups",
            &[("GroupId.1", &id)],
        )
        .await;
    assert_eq!(r.code().as_deref(), Some("InvalidGroup.NotFound"));
    let r = s
        .call_as(
            KEY_B,
            "us-east-1",
            "DeleteSecurityGroup",
            &[("GroupId", &id)],
        )
        .await;
    assert_eq!(r.code().as_deref(), Some("InvalidGroup.NotFound"));
    s.call("DescribeSecurityGroups", &[("GroupId.1", &id)])
        .await
        .ok();
}

#[tokio::test]
async fn unknown_actions_and_dry_runs() {
    let s = Server::new();
    let r = s.call("LaunchRockets", &[]).await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("InvalidAction"))
    );
    let r = s
        .call(
            "CreateSecurityGroup",
            &[
                ("GroupName", "x"),
                ("GroupDescription", "d"),
                ("DryRun", "true"),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (412, Some("DryRunOperation"))
    );
    let r = s
        .call(
            "DescribeSecurityGroups",
            &[("Filter.1.Name", "group-name"), ("Filter.1.Value.1", "x")],
        )
        .await
        .ok();
    assert!(r.all("groupId").is_empty(), "the dry run created nothing");
}
