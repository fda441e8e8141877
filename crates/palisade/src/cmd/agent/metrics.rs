//! `palisade agent --metrics-addr`: the agent's Prometheus metrics (`prometheus-client`):
//! render and apply time (by how the ruleset went in), the ruleset's size, failed applies,
//! the version received and the one in force with --watch, how long a change seen has been
//! waiting to be in force (lag), and the packets its interfaces' groups judged and dropped.
//!
//! The timings and gauges are atomics the agent's loop updates; the packet counts are read
//! from the kernel on each scrape (`nft -j list table`), so they are the chains' own
//! counters: they restart from zero when the table is replaced as a whole.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use palisade_dataplane::{DirCounters, LocalInterface, Nft};
use palisade_model::EniId;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::output;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Kind {
    kind: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Packets {
    interface: String,
    direction: &'static str,
}

type HistogramFn = fn() -> Histogram;

/// 100 µs to ~50 s, doubling.
fn seconds() -> Histogram {
    Histogram::new(exponential_buckets(1e-4, 2.0, 20))
}

/// What the agent's loop records.
#[derive(Debug)]
pub(crate) struct AgentMetrics {
    render: Histogram,
    apply: Family<Kind, Histogram, HistogramFn>,
    failures: Counter,
    generation: Gauge,
    rules: Gauge,
    interfaces: Gauge,
    version_received: Gauge,
    version_enforced: Gauge,
    /// When the oldest change seen but not yet in force was first seen.
    pending_since: Mutex<Option<Instant>>,
}

impl AgentMetrics {
    pub(crate) fn new() -> Self {
        Self {
            render: seconds(),
            apply: Family::new_with_constructor(seconds),
            failures: Counter::default(),
            generation: Gauge::default(),
            rules: Gauge::default(),
            interfaces: Gauge::default(),
            version_received: Gauge::default(),
            version_enforced: Gauge::default(),
            pending_since: Mutex::new(None),
        }
    }

    /// A change of the desired state was seen (its content differs from what is in force).
    pub(crate) fn change_seen(&self) {
        let mut p = self.pending_since.lock().unwrap_or_else(|e| e.into_inner());
        p.get_or_insert_with(Instant::now);
    }

    /// With --watch: a view or delta of `version` arrived.
    pub(crate) fn received(&self, version: i64) {
        self.version_received.set(version);
    }

    pub(crate) fn rendered(&self, took: Duration) {
        self.render.observe(took.as_secs_f64());
    }

    /// A generation is in force: how it went in and what it holds.
    pub(crate) fn applied(
        &self,
        kind: &'static str,
        took: Duration,
        generation: u64,
        rules: usize,
        interfaces: usize,
    ) {
        self.apply
            .get_or_create(&Kind { kind })
            .observe(took.as_secs_f64());
        self.generation
            .set(i64::try_from(generation).unwrap_or(i64::MAX));
        self.rules.set(i64::try_from(rules).unwrap_or(i64::MAX));
        self.interfaces
            .set(i64::try_from(interfaces).unwrap_or(i64::MAX));
        self.caught_up();
    }

    /// What is in force is the desired state (applied, or found unchanged).
    pub(crate) fn caught_up(&self) {
        *self.pending_since.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// With --watch: the version in force.
    pub(crate) fn enforced(&self, version: i64) {
        self.version_enforced.set(version);
    }

    pub(crate) fn failed(&self) {
        self.failures.inc();
    }

    fn lag(&self) -> Duration {
        self.pending_since
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map_or(Duration::ZERO, |t| t.elapsed())
    }
}

/// The registry: the loop's metrics, plus what a scrape reads live (lag, kernel counters).
#[derive(Debug)]
struct Live {
    metrics: Arc<AgentMetrics>,
    nft: Nft,
    enis: Vec<EniId>,
}

impl Collector for Live {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let lag = ConstGauge::new(self.metrics.lag().as_secs_f64());
        lag.encode(encoder.encode_descriptor(
            "palisade_agent_lag_seconds",
            "How long the oldest change of the desired state seen but not yet in force has \
             waited (0 when what is in force is current)",
            None,
            lag.metric_type(),
        )?)?;
        // An unreadable table (not loaded yet, nft missing) leaves the counters out of
        // this scrape rather than failing it.
        let counters = match self.nft.counters(&self.enis) {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!("reading the ruleset's counters: {e}");
                return Ok(());
            }
        };
        type Pick = fn(&DirCounters) -> u64;
        let series: [(&str, &str, Pick); 4] = [
            (
                "palisade_agent_judged_packets",
                "Packets of new or untracked flows the interface's groups judged",
                |c| c.judged_packets,
            ),
            (
                "palisade_agent_judged_bytes",
                "Bytes of the packets the interface's groups judged",
                |c| c.judged_bytes,
            ),
            (
                "palisade_agent_dropped_packets",
                "Packets no group of the interface allowed",
                |c| c.dropped_packets,
            ),
            (
                "palisade_agent_dropped_bytes",
                "Bytes of the packets no group of the interface allowed",
                |c| c.dropped_bytes,
            ),
        ];
        for (name, help, pick) in series {
            let mut family = encoder.encode_descriptor(
                name,
                help,
                None,
                prometheus_client::metrics::MetricType::Counter,
            )?;
            for c in &counters {
                for (direction, d) in [("ingress", &c.ingress), ("egress", &c.egress)] {
                    let labels = Packets {
                        interface: c.eni.to_string(),
                        direction,
                    };
                    ConstCounter::new(pick(d)).encode(family.encode_family(&labels)?)?;
                }
            }
        }
        Ok(())
    }
}

fn registry(metrics: &Arc<AgentMetrics>, nft: &Nft, interfaces: &[LocalInterface]) -> Registry {
    let mut r = Registry::default();
    r.register(
        "palisade_agent_render_seconds",
        "Time to render the host's ruleset from the desired state",
        metrics.render.clone(),
    );
    r.register(
        "palisade_agent_apply_seconds",
        "Time to bring the kernel to a new generation, by how it went in (replace, incremental, \
         members, unchanged)",
        metrics.apply.clone(),
    );
    r.register(
        "palisade_agent_apply_failures",
        "Renders or applies that failed (the previous ruleset stayed in force)",
        metrics.failures.clone(),
    );
    r.register(
        "palisade_agent_generation",
        "The generation in force",
        metrics.generation.clone(),
    );
    r.register(
        "palisade_agent_ruleset_rules",
        "Security-group rules in the ruleset in force",
        metrics.rules.clone(),
    );
    r.register(
        "palisade_agent_ruleset_interfaces",
        "Interfaces the ruleset in force enforces",
        metrics.interfaces.clone(),
    );
    r.register(
        "palisade_agent_version_received",
        "With --watch: the newest version of the host's view received",
        metrics.version_received.clone(),
    );
    r.register(
        "palisade_agent_version_enforced",
        "With --watch: the version of the host's view in force",
        metrics.version_enforced.clone(),
    );
    r.register_collector(Box::new(Live {
        metrics: metrics.clone(),
        nft: nft.clone(),
        enis: interfaces.iter().map(|i| i.eni.clone()).collect(),
    }));
    r
}

/// Serves `/metrics` on `addr` from a thread of its own, so a scrape never waits on the
/// agent's loop (nor the loop on a scrape). Prints `metrics on http://ADDR/metrics`.
pub(crate) fn serve(
    addr: SocketAddr,
    metrics: &Arc<AgentMetrics>,
    nft: &Nft,
    interfaces: &[LocalInterface],
) -> anyhow::Result<()> {
    let registry = Arc::new(registry(metrics, nft, interfaces));
    let listener =
        std::net::TcpListener::bind(addr).with_context(|| format!("listening on {addr}"))?;
    listener
        .set_nonblocking(true)
        .context("setting the metrics listener non-blocking")?;
    let bound = listener.local_addr().context("reading the bound address")?;
    output::line(&format!("metrics on http://{bound}/metrics"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the metrics runtime")?;
    std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            runtime.block_on(async move {
                let app = Router::new()
                    .route("/metrics", get(scrape))
                    .with_state(registry);
                match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => {
                        if let Err(e) = axum::serve(l, app).await {
                            tracing::error!("the metrics listener failed: {e}");
                        }
                    }
                    Err(e) => tracing::error!("the metrics listener: {e}"),
                }
            });
        })
        .context("starting the metrics thread")?;
    Ok(())
}

async fn scrape(State(registry): State<Arc<Registry>>) -> Response {
    // The scrape may run nft: off the runtime's only thread.
    let encoded = tokio::task::spawn_blocking(move || {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).map(|()| text)
    })
    .await;
    match encoded {
        Ok(Ok(text)) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "encoding the metrics failed",
        )
            .into_response(),
    }
}
