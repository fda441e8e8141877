//! A console and API server over an in-memory store, a browser-like client (cookie jar by
//! hand) and a signed EC2 client.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use http_body_util::BodyExt;
use palisade_api::sigv4::sign_post;
use palisade_api::{AppState, Clock, EdgeConfig, KeyRing, router};
use palisade_console::{ConsoleState, mount};
use palisade_store::SqliteStore;
use tower::ServiceExt;

pub(crate) const KEY_A: (&str, &str) = ("AKIDCONSOLEA", "secret-console-a");
pub(crate) const KEY_B: (&str, &str) = ("AKIDCONSOLEB", "secret-console-b");

pub(crate) fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_767_323_045)
}

#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
    pub(crate) set_cookie: Vec<String>,
    pub(crate) body: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Server {
    pub(crate) app: Router,
}

impl Server {
    pub(crate) fn new() -> Self {
        let mut keys = KeyRing::new();
        keys.insert(KEY_A.0, KEY_A.1, "111111111111".parse().unwrap());
        keys.insert(KEY_B.0, KEY_B.1, "222222222222".parse().unwrap());
        let state = AppState::new(
            Arc::new(SqliteStore::in_memory().unwrap()),
            Arc::new(keys),
            Clock::Fixed(now()),
            Arc::new(EdgeConfig::aws_defaults()),
        );
        let app = mount(router(state.clone()), ConsoleState::new(state));
        Self { app }
    }

    pub(crate) async fn send(&self, req: Request<Body>) -> Reply {
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let set_cookie = res
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            location,
            set_cookie,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    pub(crate) async fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let mut b = Request::builder().method("GET").uri(path);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    pub(crate) async fn post(
        &self,
        path: &str,
        cookie: Option<&str>,
        form: &[(&str, &str)],
    ) -> Reply {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in form {
            ser.append_pair(k, v);
        }
        let mut b = Request::builder()
            .method("POST")
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::from(ser.finish())).unwrap()).await
    }

    /// Signs in; the `Cookie` header value and the session's CSRF token.
    pub(crate) async fn sign_in(&self, key: (&str, &str)) -> (String, String) {
        let reply = self
            .post(
                "/console/signin",
                None,
                &[
                    ("access_key", key.0),
                    ("secret", key.1),
                    ("region", "us-east-1"),
                ],
            )
            .await;
        assert_eq!(reply.status, 303, "{}", reply.body);
        let cookie = reply.set_cookie[0].split(';').next().unwrap().to_owned();
        let page = self.get("/console/groups/new", Some(&cookie)).await;
        let csrf = page
            .body
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        (cookie, csrf)
    }

    /// A signed EC2 Query call as `key` in us-east-1.
    pub(crate) async fn api(
        &self,
        key: (&str, &str),
        action: &str,
        params: &[(&str, &str)],
    ) -> Reply {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        ser.append_pair("Action", action)
            .append_pair("Version", "2016-11-15");
        for (k, v) in params {
            ser.append_pair(k, v);
        }
        let body = ser.finish();
        let headers = sign_post(
            key.0,
            key.1,
            "us-east-1",
            "ec2",
            "localhost",
            "/",
            "application/x-www-form-urlencoded; charset=utf-8",
            body.as_bytes(),
            now(),
        );
        let mut b = Request::builder().method("POST").uri("/");
        for (n, v) in headers {
            b = b.header(n, v);
        }
        self.send(b.body(Body::from(body)).unwrap()).await
    }
}

impl Reply {
    /// The text of the first `<tag>` of an XML answer.
    pub(crate) fn xml(&self, tag: &str) -> Option<String> {
        let open = format!("<{tag}>");
        let start = self.body.find(&open)? + open.len();
        let end = self.body[start..].find(&format!("</{tag}>"))?;
        Some(self.body[start..start + end].to_owned())
    }

    /// The inner HTML of the element with `id`.
    pub(crate) fn element(&self, id: &str) -> Option<String> {
        let marker = format!("id=\"{id}\"");
        let start = self.body.find(&marker)?;
        let open_end = self.body[start..].find('>')? + start + 1;
        let end = self.body[open_end..].find("</div>")? + open_end;
        Some(self.body[open_end..end].to_owned())
    }
}

/// HTML text with tags removed and the escapes this console emits undone.
pub(crate) fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
