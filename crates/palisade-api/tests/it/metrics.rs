//! `/metrics` (`metrics_router`): after a few calls, the counters by action and outcome, the
//! latency and store histograms and the in-flight gauge say what happened.

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use palisade_api::metrics_router;
use tower::ServiceExt;

use crate::harness::Server;

/// The value of the sample `name{labels}` (labels as exposed, `""` for none).
fn sample(text: &str, name: &str, labels: &str) -> Option<f64> {
    let key = if labels.is_empty() {
        name.to_owned()
    } else {
        format!("{name}{{{labels}}}")
    };
    text.lines()
        .find_map(|line| line.strip_prefix(&key)?.strip_prefix(' '))
        .map(|v| v.trim().parse().unwrap())
}

async fn scrape(server: &Server) -> String {
    let req = Request::get("/metrics").body(Body::empty()).unwrap();
    let res = metrics_router(server.state.metrics.clone())
        .oneshot(req)
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn counters_move_with_the_calls() {
    let server = Server::new();
    let before = scrape(&server).await;
    assert_eq!(
        sample(
            &before,
            "palisade_requests_total",
            r#"action="CreateSecurityGroup",code="ok""#
        ),
        None
    );
    let create = [("GroupName", "web"), ("GroupDescription", "d")];
    server.call("CreateSecurityGroup", &create).await.ok();
    let dup = server.call("CreateSecurityGroup", &create).await;
    assert_eq!(dup.code().as_deref(), Some("InvalidGroup.Duplicate"));
    server.call("DescribeSecurityGroups", &[]).await.ok();
    server.call("DescribeSecurityGroups", &[]).await.ok();
    let unknown = server.call("NoSuchAction", &[]).await;
    assert_eq!(unknown.code().as_deref(), Some("InvalidAction"));
    let unsigned = Request::post("/")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("Action=DescribeVpcs"))
        .unwrap();
    assert_eq!(server.raw(unsigned).await.status, 401);
    // Concurrent writes go through the group commit: each counted once.
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..16 {
        let server = server.clone();
        tasks.spawn(async move {
            let name = format!("g{n}");
            let params = [("GroupName", name.as_str()), ("GroupDescription", "d")];
            server.call("CreateSecurityGroup", &params).await.ok();
        });
    }
    while tasks.join_next().await.is_some() {}

    let text = scrape(&server).await;
    let requests = |labels: &str| sample(&text, "palisade_requests_total", labels);
    assert_eq!(
        requests(r#"action="CreateSecurityGroup",code="ok""#),
        Some(17.0)
    );
    assert_eq!(
        requests(r#"action="CreateSecurityGroup",code="InvalidGroup.Duplicate""#),
        Some(1.0)
    );
    assert_eq!(
        requests(r#"action="DescribeSecurityGroups",code="ok""#),
        Some(2.0)
    );
    assert_eq!(
        requests(r#"action="unknown",code="InvalidAction""#),
        Some(1.0)
    );
    assert_eq!(requests(r#"action="none",code="AuthFailure""#), Some(1.0));
    assert_eq!(
        sample(
            &text,
            "palisade_request_duration_seconds_count",
            r#"action="CreateSecurityGroup""#
        ),
        Some(18.0)
    );
    // Every write that reached the store was committed in some batch: the batch sizes add
    // up to them (the bootstrap of the account rode on the first).
    let batched = sample(&text, "palisade_store_commit_batch_size_sum", "").unwrap();
    assert_eq!(batched, 18.0, "{text}");
    let batches = sample(&text, "palisade_store_commit_batch_size_count", "").unwrap();
    assert!((1.0..=18.0).contains(&batches), "{batches}");
    assert!(
        sample(
            &text,
            "palisade_store_duration_seconds_count",
            r#"kind="write""#
        )
        .is_some_and(|n| n == batches)
    );
    assert_eq!(sample(&text, "palisade_requests_in_flight", ""), Some(0.0));
    assert!(text.ends_with("# EOF\n"), "{text}");
}
