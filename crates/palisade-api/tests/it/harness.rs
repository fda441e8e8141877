//! A signed-request client over `router(state)`.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use palisade_api::sigv4::sign_post;
use palisade_api::{AppState, Clock, EdgeConfig, KeyRing, router};
use palisade_store::{SqliteStore, Store};
use tower::ServiceExt;

/// The server's fixed "now": 2026-01-02T03:04:05Z.
pub(crate) fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_767_323_045)
}

pub(crate) const KEY_A: (&str, &str) = ("AKIDA", "secret-a");
pub(crate) const KEY_B: (&str, &str) = ("AKIDB", "secret-b");

#[derive(Debug, Clone)]
pub(crate) struct Server {
    pub(crate) state: AppState,
}

#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: String,
}

impl Reply {
    /// The text of the first `<tag>`.
    pub(crate) fn text(&self, tag: &str) -> Option<String> {
        let open = format!("<{tag}>");
        let start = self.body.find(&open)? + open.len();
        let end = self.body[start..].find(&format!("</{tag}>"))?;
        Some(self.body[start..start + end].to_owned())
    }
    /// Every text of `<tag>`.
    pub(crate) fn all(&self, tag: &str) -> Vec<String> {
        let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
        self.body
            .match_indices(&open)
            .filter_map(|(i, _)| {
                let start = i + open.len();
                self.body[start..]
                    .find(&close)
                    .map(|end| self.body[start..start + end].to_owned())
            })
            .collect()
    }
    /// The error code of an error envelope.
    pub(crate) fn code(&self) -> Option<String> {
        self.text("Code")
    }
    #[track_caller]
    pub(crate) fn ok(self) -> Self {
        assert_eq!(self.status, 200, "{}", self.body);
        self
    }
}

impl Server {
    pub(crate) fn new() -> Self {
        Self::with_store(Arc::new(SqliteStore::in_memory().unwrap()))
    }

    /// A server over `store` (a test double, or a store seeded beforehand).
    pub(crate) fn with_store(store: Arc<dyn Store>) -> Self {
        let mut keys = KeyRing::new();
        keys.insert(KEY_A.0, KEY_A.1, "111111111111".parse().unwrap());
        keys.insert(KEY_B.0, KEY_B.1, "222222222222".parse().unwrap());
        let state = AppState::new(
            store,
            Arc::new(keys),
            Clock::Fixed(now()),
            Arc::new(EdgeConfig::aws_defaults()),
        );
        Self { state }
    }

    pub(crate) async fn raw(&self, req: Request<Body>) -> Reply {
        let res = router(self.state.clone()).oneshot(req).await.unwrap();
        let status = res.status().as_u16();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    /// A POST signed with `key` at `at` for `service` in `region`.
    pub(crate) fn request(
        key: (&str, &str),
        at: SystemTime,
        region: &str,
        service: &str,
        body: &str,
    ) -> Request<Body> {
        let headers = sign_post(
            key.0,
            key.1,
            region,
            service,
            "localhost",
            "/",
            "application/x-www-form-urlencoded; charset=utf-8",
            body.as_bytes(),
            at,
        );
        let mut b = Request::builder().method("POST").uri("/");
        for (n, v) in headers {
            b = b.header(n, v);
        }
        b.body(Body::from(body.to_owned())).unwrap()
    }

    /// Action + params as account A in us-east-1.
    pub(crate) async fn call(&self, action: &str, params: &[(&str, &str)]) -> Reply {
        self.call_as(KEY_A, "us-east-1", action, params).await
    }

    pub(crate) async fn call_as(
        &self,
        key: (&str, &str),
        region: &str,
        action: &str,
        params: &[(&str, &str)],
    ) -> Reply {
        // The serializer is not Send: gone before the await, so calls can be spawned.
        let body = {
            let mut ser = form_urlencoded::Serializer::new(String::new());
            ser.append_pair("Action", action)
                .append_pair("Version", "2016-11-15");
            for (k, v) in params {
                ser.append_pair(k, v);
            }
            ser.finish()
        };
        self.raw(Self::request(key, now(), region, "ec2", &body))
            .await
    }
}
