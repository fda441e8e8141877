//! What the edge refuses before any action runs (holes an outside probe found): malformed
//! parameter names, credential scopes naming another service or an unserved region,
//! presigned requests whose body the signature does not cover, oversized bodies. Each
//! refusal leaves the store without the caller's scope.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::Request;
use palisade_api::sigv4::{Presign, presign, sign_post};
use palisade_api::{BODY_LIMIT, EdgeConfig, Regions};
use palisade_model::{IdGen, Quotas};
use palisade_store::{ReadFn, Scope, SqliteStore, Store, StoreError, WriteFn};

use crate::harness::{KEY_A, Server, now};

const DESCRIBE: &str = "Action=DescribeSecurityGroups&Version=2016-11-15";
const CREATE: &str =
    "Action=CreateSecurityGroup&Version=2016-11-15&GroupName=web&GroupDescription=d";

/// SQLite that remembers every scope a request read or wrote.
#[derive(Debug)]
struct Recording {
    inner: SqliteStore,
    scopes: Mutex<BTreeSet<String>>,
}

impl Recording {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            inner: SqliteStore::in_memory().unwrap(),
            scopes: Mutex::new(BTreeSet::new()),
        })
    }
    fn scopes(&self) -> Vec<String> {
        self.scopes.lock().unwrap().iter().cloned().collect()
    }
}

impl Store for Recording {
    fn write(
        &self,
        scope: &Scope,
        ids: &mut dyn IdGen,
        f: &mut WriteFn<'_>,
    ) -> Result<(), StoreError> {
        self.scopes.lock().unwrap().insert(scope.to_string());
        self.inner.write(scope, ids, f)
    }
    fn write_pair(
        &self,
        first: &Scope,
        second: &Scope,
        ids: &mut dyn IdGen,
        f: &mut palisade_store::PairWriteFn<'_>,
    ) -> Result<(), StoreError> {
        let mut scopes = self.scopes.lock().unwrap();
        scopes.insert(first.to_string());
        scopes.insert(second.to_string());
        drop(scopes);
        self.inner.write_pair(first, second, ids, f)
    }
    fn read(
        &self,
        scope: &Scope,
        ids: &mut dyn IdGen,
        f: &mut ReadFn<'_>,
    ) -> Result<(), StoreError> {
        self.scopes.lock().unwrap().insert(scope.to_string());
        self.inner.read(scope, ids, f)
    }
    fn read_versioned(
        &self,
        scope: &Scope,
        ids: &mut dyn IdGen,
        f: &mut palisade_store::VersionedReadFn<'_>,
    ) -> Result<(), StoreError> {
        self.scopes.lock().unwrap().insert(scope.to_string());
        self.inner.read_versioned(scope, ids, f)
    }
    fn scopes(&self) -> Result<Vec<Scope>, StoreError> {
        self.inner.scopes()
    }
}

#[tokio::test]
async fn scopes_of_other_services_and_unserved_regions_are_refused() {
    let store = Recording::new();
    let s = Server::with_store(store.clone());
    for (region, service) in [
        ("xx-fake-1", "ec2"),
        ("us-east-1", "s3"),
        ("us-east-1", "iam"),
        ("US-EAST-1", "ec2"),
    ] {
        for body in [DESCRIBE, CREATE, "Action=DescribeVpcs&VpcId.01=vpc-1"] {
            let r = s
                .raw(Server::request(KEY_A, now(), region, service, body))
                .await;
            assert_eq!(
                (r.status, r.code().as_deref()),
                (401, Some("AuthFailure")),
                "{region}/{service}: {}",
                r.body
            );
            let message = r.text("Message").unwrap();
            assert!(
                message.starts_with("Credential should be scoped"),
                "{message}"
            );
        }
    }
    assert_eq!(store.scopes(), Vec::<String>::new(), "nothing was created");
    // GetCallerIdentity must be signed for STS, in a served region; STS's envelope says so.
    let gci = "Action=GetCallerIdentity&Version=2011-06-15";
    for (region, service) in [("us-east-1", "ec2"), ("xx-fake-1", "sts")] {
        let r = s
            .raw(Server::request(KEY_A, now(), region, service, gci))
            .await;
        assert_eq!(
            (r.status, r.code().as_deref()),
            (403, Some("SignatureDoesNotMatch")),
            "{}",
            r.body
        );
        assert!(r.body.starts_with("<ErrorResponse"), "{}", r.body);
    }
    s.raw(Server::request(KEY_A, now(), "eu-west-1", "ec2", DESCRIBE))
        .await
        .ok();
    assert_eq!(store.scopes(), ["111111111111/eu-west-1"]);
}

#[tokio::test]
async fn the_served_regions_are_configurable() {
    let mut s = Server::new();
    s.state.edge = Arc::new(EdgeConfig {
        regions: Regions::parse("eu-west-1,local-1").unwrap(),
        ..EdgeConfig::aws_defaults()
    });
    for (region, status) in [("eu-west-1", 200), ("local-1", 200), ("us-east-1", 401)] {
        let r = s
            .raw(Server::request(KEY_A, now(), region, "ec2", DESCRIBE))
            .await;
        assert_eq!(r.status, status, "{region}: {}", r.body);
    }
}

#[tokio::test]
async fn the_eval_extension_checks_the_scope_too() {
    let store = Recording::new();
    let s = Server::with_store(store.clone());
    for (region, service) in [("xx-fake-1", "ec2"), ("us-east-1", "sts")] {
        let headers = sign_post(
            KEY_A.0,
            KEY_A.1,
            region,
            service,
            "localhost",
            "/_palisade/eval",
            "application/json",
            b"{}",
            now(),
        );
        let mut b = Request::builder().method("POST").uri("/_palisade/eval");
        for (n, v) in headers {
            b = b.header(n, v);
        }
        let r = s.raw(b.body(Body::from("{}")).unwrap()).await;
        assert_eq!(r.status, 401, "{}", r.body);
        assert!(r.body.contains("Credential should be scoped"), "{}", r.body);
    }
    assert_eq!(store.scopes(), Vec::<String>::new());
}

#[tokio::test]
async fn two_spellings_of_one_index_are_refused_not_merged() {
    let s = Server::new();
    let id = s
        .call(
            "CreateSecurityGroup",
            &[("GroupName", "web"), ("GroupDescription", "d")],
        )
        .await
        .ok()
        .text("groupId")
        .unwrap();
    let r = s
        .call(
            "AuthorizeSecurityGroupIngress",
            &[
                ("GroupId", &id),
                ("IpPermissions.1.IpProtocol", "tcp"),
                ("IpPermissions.1.FromPort", "22"),
                ("IpPermissions.1.ToPort", "22"),
                ("IpPermissions.01.IpRanges.1.CidrIp", "0.0.0.0/0"),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("UnknownParameter")),
        "{}",
        r.body
    );
    for bad in [
        "GroupId.0",
        "GroupId.-1",
        "GroupId.x",
        "GroupId.1x",
        "GroupId.+1",
    ] {
        let r = s.call("DescribeSecurityGroups", &[(bad, &id)]).await;
        assert_eq!(r.code().as_deref(), Some("UnknownParameter"), "{bad}");
    }
    let r = s
        .call(
            "DescribeSecurityGroupRules",
            &[("Filter.1.Name", "group-id"), ("Filter.1.Value.1", &id)],
        )
        .await
        .ok();
    assert!(
        r.all("securityGroupRuleId").len() == 1,
        "only the default egress rule: {}",
        r.body
    );
}

/// A presigned request as account A in us-east-1: `params` signed in the query string,
/// `body` sent (as a POST when there is one), its hash signed when `sign_body`.
fn presigned(
    params: &[(&str, &str)],
    expires: &str,
    body: Option<&str>,
    sign_body: bool,
) -> Request<Body> {
    let method = if body.is_some() { "POST" } else { "GET" };
    let query = presign(&Presign {
        access_key: KEY_A.0,
        secret: KEY_A.1,
        region: "us-east-1",
        service: "ec2",
        method,
        host: "localhost",
        path: "/",
        params,
        expires,
        body: body.filter(|_| sign_body).map(str::as_bytes),
        now: now(),
    });
    Request::builder()
        .method(method)
        .uri(format!("/?{query}"))
        .header("host", "localhost")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body.unwrap_or("").to_owned()))
        .unwrap()
}

const DESCRIBE_PARAMS: &[(&str, &str)] = &[
    ("Action", "DescribeSecurityGroups"),
    ("Version", "2016-11-15"),
];

#[tokio::test]
async fn presigned_expiry_must_be_one_second_to_a_week() {
    let s = Server::new();
    for ok in ["1", "300", "604800"] {
        s.raw(presigned(DESCRIBE_PARAMS, ok, None, false))
            .await
            .ok();
    }
    for bad in [
        "0",
        "604801",
        "-1",
        "abc",
        "",
        "1e3",
        "99999999999999999999999",
    ] {
        let r = s.raw(presigned(DESCRIBE_PARAMS, bad, None, false)).await;
        assert_eq!(
            (r.status, r.code().as_deref()),
            (401, Some("AuthFailure")),
            "X-Amz-Expires={bad}: {}",
            r.body
        );
    }
}

#[tokio::test]
async fn presigned_post_bodies_count_only_when_signed() {
    let s = Server::new();
    let create = "Action=CreateSecurityGroup&GroupName=smuggled&GroupDescription=d";
    // The signed Action runs; the unsigned body neither replaces nor adds to it.
    let r = s
        .raw(presigned(DESCRIBE_PARAMS, "300", Some(create), false))
        .await
        .ok();
    assert!(
        r.body.contains("<DescribeSecurityGroupsResponse"),
        "{}",
        r.body
    );
    // With no signed Action, the unsigned one is not taken either.
    let version = [("Version", "2016-11-15")];
    let r = s.raw(presigned(&version, "300", Some(create), false)).await;
    assert_eq!(r.code().as_deref(), Some("InvalidAction"), "{}", r.body);
    let groups = s.call("DescribeSecurityGroups", &[]).await.ok();
    assert!(!groups.body.contains("smuggled"), "{}", groups.body);
    // A presigned POST whose signature covers the body's hash runs the body.
    let r = s
        .raw(presigned(&version, "300", Some(create), true))
        .await
        .ok();
    assert!(r.text("groupId").is_some(), "{}", r.body);
}

/// One quotas file sets the store's quotas and the decoder's filter limit alike.
#[tokio::test]
async fn quotas_from_one_file_reach_the_store_and_the_decoder() {
    let quotas =
        Quotas::parse("vpcs_per_region = 2\ntags_per_resource = 1\nvalues_per_filter = 2\n")
            .unwrap();
    let mut s = Server::with_store(Arc::new(
        SqliteStore::in_memory().unwrap().with_quotas(quotas),
    ));
    s.state.edge = Arc::new(EdgeConfig {
        quotas,
        ..EdgeConfig::aws_defaults()
    });
    // The default VPC counts: one more fits.
    s.call("CreateVpc", &[("CidrBlock", "10.1.0.0/16")])
        .await
        .ok();
    let r = s.call("CreateVpc", &[("CidrBlock", "10.2.0.0/16")]).await;
    assert_eq!(r.code().as_deref(), Some("VpcLimitExceeded"), "{}", r.body);
    let r = s
        .call(
            "CreateSecurityGroup",
            &[
                ("GroupName", "web"),
                ("GroupDescription", "d"),
                ("TagSpecification.1.ResourceType", "security-group"),
                ("TagSpecification.1.Tag.1.Key", "a"),
                ("TagSpecification.1.Tag.2.Key", "b"),
            ],
        )
        .await;
    assert_eq!(r.code().as_deref(), Some("TagLimitExceeded"), "{}", r.body);
    let filter = |n: usize| {
        let mut p = vec![("Filter.1.Name".to_owned(), "group-name".to_owned())];
        p.extend((1..=n).map(|i| (format!("Filter.1.Value.{i}"), format!("g{i}"))));
        p
    };
    for (n, code) in [(2, None), (3, Some("FilterLimitExceeded"))] {
        let params = filter(n);
        let params: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = s.call("DescribeSecurityGroups", &params).await;
        assert_eq!(r.code().as_deref(), code, "{n} values: {}", r.body);
    }
}

#[tokio::test]
async fn oversized_bodies_get_the_routes_own_error_format() {
    let s = Server::new();
    let filler = "x".repeat(BODY_LIMIT);
    let body = format!("{DESCRIBE}&Filler={filler}");
    let r = s
        .raw(Server::request(KEY_A, now(), "us-east-1", "ec2", &body))
        .await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (413, Some("RequestEntityTooLarge")),
        "{}",
        &r.body[..r.body.len().min(300)]
    );
    assert!(r.body.starts_with("<?xml"), "{}", r.body);
    assert!(r.text("RequestID").is_some());
    // At the limit the request is read (and answered on its merits).
    let body = format!(
        "{DESCRIBE}&Filler={}",
        &filler[..BODY_LIMIT - DESCRIBE.len() - 8]
    );
    assert_eq!(body.len(), BODY_LIMIT);
    let r = s
        .raw(Server::request(KEY_A, now(), "us-east-1", "ec2", &body))
        .await;
    assert_eq!(r.status, 200, "{}", &r.body[..r.body.len().min(300)]);
    let req = Request::post("/_palisade/eval")
        .body(Body::from(vec![b' '; BODY_LIMIT + 1]))
        .unwrap();
    let r = s.raw(req).await;
    assert_eq!(r.status, 413);
    let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(json["code"], "RequestEntityTooLarge");
}
