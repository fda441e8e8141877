//! The client side of `--endpoint`: reading the caller's live state from a running
//! `palisade serve`, shared by `palisade eval` (one request) and `palisade agent` (one per
//! poll).
//!
//! [`Remote::new`] resolves everything once: the endpoint must be `http://HOST:PORT` (the
//! server speaks plain HTTP), the credentials come from `AWS_ACCESS_KEY_ID` and
//! `AWS_SECRET_ACCESS_KEY`, and the region from `--region`, else `AWS_REGION`, else
//! `AWS_DEFAULT_REGION`, else us-east-1, as the AWS CLI resolves it. Each fetch is one
//! SigV4-signed `POST /_palisade/eval` with `{}`, answered by the account's whole state in
//! that region as one describe-* JSON document ([`palisade_api::fetch_json`]); it is imported
//! through the same path as `-i` files ([`crate::input::import_text`]). Failures become
//! messages that say what to do: an unreachable server, or the error code it answered.
//! A small current-thread runtime, built once, drives the requests.

use std::io::ErrorKind;
use std::time::Duration;

use anyhow::Context;
use palisade_model::Snapshot;

/// The region asked about when neither `--region` nor the environment names one.
const DEFAULT_REGION: &str = "us-east-1";

/// A resolved `--endpoint`: where, as whom, which region, and the runtime that asks.
#[derive(Debug)]
pub(crate) struct Remote {
    endpoint: String,
    key: String,
    secret: String,
    region: String,
    timeout: Duration,
    runtime: tokio::runtime::Runtime,
}

/// One answer of the server, before import: the document's text names its content, so
/// equal texts are equal states.
#[derive(Debug)]
pub(crate) struct Fetched {
    /// Where the document came from, for messages (`URL (live state, REGION)`).
    pub(crate) source: String,
    /// The describe-* JSON document.
    pub(crate) text: String,
}

impl Fetched {
    /// Imports the document exactly as a `-i` file.
    pub(crate) fn import(&self) -> anyhow::Result<Snapshot> {
        crate::input::import_text(&self.source, &self.text)
    }
}

impl Remote {
    /// Checks `endpoint`, reads the credentials and resolves the region; each fetch waits
    /// at most `timeout` for the answer.
    pub(crate) fn new(
        endpoint: &str,
        region: Option<&str>,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        // The client speaks plain HTTP to one host and port, and takes no path.
        let host_port = endpoint
            .strip_prefix("http://")
            .map(|h| h.trim_end_matches('/'))
            .filter(|h| !h.contains('/'))
            .and_then(|h| h.rsplit_once(':'))
            .filter(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        anyhow::ensure!(
            host_port.is_some(),
            "--endpoint {endpoint}: expected http://HOST:PORT (palisade serve speaks plain HTTP)"
        );
        let (key, secret) = credentials()?;
        let region = region.map_or_else(region_from_env, ToOwned::to_owned);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the runtime")?;
        Ok(Self {
            endpoint: endpoint.to_owned(),
            key,
            secret,
            region,
            timeout,
            runtime,
        })
    }

    /// The endpoint as given.
    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The region whose state is fetched.
    pub(crate) fn region(&self) -> &str {
        &self.region
    }

    /// The caller's state in the region, as the server holds it now.
    pub(crate) fn fetch(&self) -> anyhow::Result<Fetched> {
        let endpoint = &self.endpoint;
        // The timer is created inside the runtime: `timeout` needs its time driver.
        let fetched = self.runtime.block_on(async {
            let fetch =
                palisade_api::fetch_json(endpoint, &self.key, &self.secret, &self.region, "{}");
            tokio::time::timeout(self.timeout, fetch).await
        });
        let doc = match fetched {
            Ok(Ok(doc)) => doc,
            Ok(Err(e)) => return Err(fetch_error(endpoint, &e)),
            Err(_) => anyhow::bail!("{endpoint}: no answer within {} s", self.timeout.as_secs()),
        };
        Ok(Fetched {
            source: format!("{endpoint} (live state, {})", self.region),
            text: serde_json::to_string(&doc).context("re-encoding the live state")?,
        })
    }

    /// Opens the change feed for `req` (see `palisade_api::watch`); reads wait at most
    /// `tick` before handing control back.
    pub(crate) fn open_watch(
        &self,
        req: &palisade_api::watch::WatchRequest,
        tick: Duration,
    ) -> Result<palisade_api::watch::WatchConn, palisade_api::watch::WatchError> {
        palisade_api::watch::WatchConn::open(
            &self.endpoint,
            &self.key,
            &self.secret,
            &self.region,
            req,
            tick,
        )
    }

    /// A signed JSON `POST path` answered by JSON, with the same messages as a fetch.
    pub(crate) fn post(&self, path: &str, body: &str) -> anyhow::Result<serde_json::Value> {
        let endpoint = &self.endpoint;
        let answer = self.runtime.block_on(async {
            let post = palisade_api::watch::post_json(
                endpoint,
                &self.key,
                &self.secret,
                &self.region,
                path,
                body,
            );
            tokio::time::timeout(self.timeout, post).await
        });
        match answer {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(fetch_error(endpoint, &e)),
            Err(_) => anyhow::bail!("{endpoint}: no answer within {} s", self.timeout.as_secs()),
        }
    }

    /// [`Remote::fetch`], imported like a `-i` file.
    pub(crate) fn snapshot(&self) -> anyhow::Result<Snapshot> {
        self.fetch()?.import()
    }
}

/// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`, both required and non-empty.
fn credentials() -> anyhow::Result<(String, String)> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(key), Some(secret)) => Ok((key, secret)),
        _ => anyhow::bail!(
            "--endpoint signs its request with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; \
             set both (`palisade serve` without --keys prints its dev-mode pair at start-up)"
        ),
    }
}

/// `AWS_REGION`, else `AWS_DEFAULT_REGION`, else us-east-1, as the AWS CLI resolves it.
fn region_from_env() -> String {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| DEFAULT_REGION.to_owned())
}

/// A failed fetch as the user needs it: unreachable server, or the error code the server
/// answered (JSON `{"code","message"}` or EC2's XML envelope).
fn fetch_error(endpoint: &str, e: &std::io::Error) -> anyhow::Error {
    if matches!(
        e.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset | ErrorKind::TimedOut
    ) {
        return anyhow::anyhow!(
            "cannot reach {endpoint}: {e} (is `palisade serve` running there?)"
        );
    }
    let text = e.to_string();
    match server_error(&text) {
        Some((code, message)) => {
            let hint = if code == "AuthFailure" {
                " (check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
            } else {
                ""
            };
            anyhow::anyhow!("{endpoint} answered {code}: {message}{hint}")
        }
        None => anyhow::anyhow!("asking {endpoint} for its state: {text}"),
    }
}

/// The error code and message in a failed answer, when it carries one.
fn server_error(text: &str) -> Option<(String, String)> {
    if let Some(start) = text.find('{')
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text[start..])
        && let Some(code) = v.get("code").and_then(|c| c.as_str())
    {
        let message = v.get("message").and_then(|m| m.as_str()).unwrap_or("");
        return Some((code.to_owned(), message.to_owned()));
    }
    let between = |open: &str, close: &str| -> Option<String> {
        let from = text.find(open)? + open.len();
        let len = text[from..].find(close)?;
        Some(text[from..from + len].to_owned())
    };
    let code = between("<Code>", "</Code>")?;
    Some((code, between("<Message>", "</Message>").unwrap_or_default()))
}
