//! The server's metrics in Prometheus's text exposition (`prometheus-client`): requests by
//! action and outcome (the EC2 error code, or `ok`), latency per action, store time (lone
//! calls, and group commits with their size) and requests in flight. [`metrics_router`]
//! serves them; the binary puts it on its own listener.
//!
//! Labels are `&'static str` only, so counting a request allocates nothing, and their
//! number is bounded: an action is named only once it decoded as an action this server
//! knows (anything else is `unknown`; refused before the action was read is `none`), and
//! error codes are the server's own.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The action label of a request refused before its action was read (authentication,
/// the Query form's checks).
pub(crate) const NO_ACTION: &str = "none";
/// The action label of an action this server does not know.
pub(crate) const UNKNOWN_ACTION: &str = "unknown";
/// The outcome label of a request answered without an error.
pub(crate) const OK: &str = "ok";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    action: &'static str,
    code: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Action {
    action: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StoreKind {
    kind: &'static str,
}

type HistogramFn = fn() -> Histogram;

/// Every metric the server keeps, and the registry that encodes them.
pub struct Metrics {
    registry: Registry,
    requests: Family<Outcome, Counter>,
    latency: Family<Action, Histogram, HistogramFn>,
    store: Family<StoreKind, Histogram, HistogramFn>,
    batch_size: Histogram,
    in_flight: Gauge,
    /// Action names seen, each stored once for the life of the process (a label must be
    /// `'static`); bounded by the actions the decoder knows.
    actions: RwLock<HashMap<String, &'static str>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// 10 µs to ~5 s, doubling.
fn seconds() -> Histogram {
    Histogram::new(exponential_buckets(1e-5, 2.0, 20))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("palisade");
        let requests = Family::<Outcome, Counter>::default();
        registry.register(
            "requests",
            "EC2 Query API requests answered, by action and EC2 error code (ok: no error)",
            requests.clone(),
        );
        let latency = Family::<Action, Histogram, HistogramFn>::new_with_constructor(seconds);
        registry.register(
            "request_duration_seconds",
            "Time from a request's body read to its response, by action",
            latency.clone(),
        );
        let store = Family::<StoreKind, Histogram, HistogramFn>::new_with_constructor(seconds);
        registry.register(
            "store_duration_seconds",
            "Time on the store thread: a lone call (read: reads and two-scope writes) or one group commit (write)",
            store.clone(),
        );
        let batch_size = Histogram::new(exponential_buckets(1.0, 2.0, 8));
        registry.register(
            "store_commit_batch_size",
            "Writes committed together in one group commit",
            batch_size.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "requests_in_flight",
            "Requests being answered",
            in_flight.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            store,
            batch_size,
            in_flight,
            actions: RwLock::new(HashMap::new()),
        }
    }

    /// The label of an action the decoder knows.
    pub(crate) fn action(&self, name: &str) -> &'static str {
        if let Some(label) = self.actions.read().ok().and_then(|m| m.get(name).copied()) {
            return label;
        }
        let Ok(mut actions) = self.actions.write() else {
            return UNKNOWN_ACTION;
        };
        actions
            .entry(name.to_owned())
            .or_insert_with(|| Box::leak(name.to_owned().into_boxed_str()))
    }

    /// Counts one answered request.
    pub(crate) fn answered(&self, action: &'static str, code: &'static str, took: Duration) {
        self.requests.get_or_create(&Outcome { action, code }).inc();
        self.latency
            .get_or_create(&Action { action })
            .observe(took.as_secs_f64());
    }

    /// A request begins; the guard ends it when dropped (also when the client goes away).
    pub(crate) fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.inc();
        InFlight(self.clone())
    }

    /// One lone call on the store thread.
    pub(crate) fn store_call(&self, took: Duration) {
        self.store
            .get_or_create(&StoreKind { kind: "read" })
            .observe(took.as_secs_f64());
    }

    /// One group commit of `n_writes` writes.
    pub(crate) fn store_batch(&self, took: Duration, n_writes: usize) {
        self.store
            .get_or_create(&StoreKind { kind: "write" })
            .observe(took.as_secs_f64());
        #[allow(clippy::cast_precision_loss)]
        self.batch_size.observe(n_writes as f64);
    }

    /// The text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(8192);
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            // Writing to a String cannot fail; an empty scrape says something is off.
            out.clear();
        }
        out
    }
}

/// A request in flight, until dropped.
#[derive(Debug)]
pub(crate) struct InFlight(Arc<Metrics>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.dec();
    }
}

/// `GET /metrics`, unauthenticated as Prometheus scrapes: the binary serves this router
/// only on the listener `--metrics-addr` names, never on the API's port.
pub fn metrics_router(metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(metrics)
}

async fn scrape(State(metrics): State<Arc<Metrics>>) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics.encode(),
    )
        .into_response()
}
