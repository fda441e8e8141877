//! `palisade serve`: the EC2 Query API for security groups on an embedded SQLite store
//! (`--db PATH`, the default) or on PostgreSQL (`--db postgres://…`), where several servers
//! share one database and stay consistent (the store serialises writers per account/region).
//!
//! Keys come from `--keys FILE` (`ACCESS_KEY_ID SECRET_ACCESS_KEY ACCOUNT_ID` per line) and/or
//! the environment (`PALISADE_ACCESS_KEY_ID`, `PALISADE_SECRET_ACCESS_KEY`,
//! `PALISADE_ACCOUNT_ID`). With neither, dev mode: one fixed key pair for account
//! 123456789012, printed at start-up. The first stdout line is always
//! `listening on http://ADDR:PORT` (the real port when `--listen` asks for port 0). The web
//! console (`palisade_console`) is served at `/console/` on the same address.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use palisade_api::{
    AppState, Clock, EdgeConfig, KeyRing, Regions, RegionsError, metrics_router, router,
};
use palisade_console::ConsoleState;
use palisade_model::Quotas;
use palisade_store::{PgStore, SqliteStore, Store};

use crate::output;

mod http;

/// Dev mode's access key id.
pub(crate) const DEV_ACCESS_KEY: &str = "AKIAPALISADEDEV00001";
/// Dev mode's secret key.
pub(crate) const DEV_SECRET_KEY: &str = "palisade-dev-secret-access-key";
/// Dev mode's account.
pub(crate) const DEV_ACCOUNT: &str = "123456789012";

#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// Where state lives: a SQLite file, created on first start and held by this server
    /// alone while it runs; or a PostgreSQL URL
    /// (`postgres://USER:PASSWORD@HOST:PORT/DBNAME`, no TLS: use a unix socket or loopback)
    /// that several servers can share; its tables are created on first connect.
    #[arg(long, default_value = "palisade.db", value_name = "PATH|URL")]
    db: Db,
    /// Access keys file: `ACCESS_KEY_ID SECRET_ACCESS_KEY ACCOUNT_ID` per line.
    #[arg(long)]
    keys: Option<PathBuf>,
    /// The regions served, comma-separated; a request signed for any other region is refused
    /// (default: the AWS commercial regions).
    #[arg(long, value_name = "R1,R2", value_parser = parse_regions)]
    regions: Option<Regions>,
    /// Quotas file: `name = value` lines (rules_per_group, groups_per_interface,
    /// groups_per_region, vpcs_per_region, tags_per_resource, values_per_filter,
    /// addresses_per_interface); unset names keep AWS's defaults.
    #[arg(long, value_name = "FILE")]
    quotas: Option<PathBuf>,
    /// Seconds a connection may take to send a request head, counted from its start or,
    /// on a keep-alive connection, from the previous response (so also how long an idle
    /// keep-alive connection stays open).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    header_read_timeout: Duration,
    /// Seconds a connection may go without moving a byte (a stalled body, a client that
    /// stops reading) before it is closed.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_secs)]
    idle_timeout: Duration,
    /// On SIGTERM or Ctrl-C: seconds in-flight requests may take before the server drops
    /// their connections and exits.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    shutdown_timeout: Duration,
    /// Serve Prometheus metrics at `http://ADDR:PORT/metrics` on this second listener
    /// (unauthenticated, as Prometheus scrapes; keep it on loopback or a private network).
    /// Without it there is no metrics endpoint.
    #[arg(long, value_name = "ADDR:PORT")]
    metrics_addr: Option<SocketAddr>,
    /// Threads that answer requests (default: one fewer than the machine's cores, at least
    /// one: the store has a thread of its own, which writes keep busy).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    workers: Option<u16>,
    #[command(flatten)]
    lab: super::lab::LabFlags,
}

/// One worker per core but the store thread's. More workers than that wake each other to
/// share out work: on 2 cores two workers cost 20–40% more CPU per describe than one
/// (futex wake-ups and stolen tasks) for a tenth more calls per second.
fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .saturating_sub(1)
        .max(1)
}

/// A positive number of seconds, fractions allowed.
fn parse_secs(s: &str) -> Result<Duration, String> {
    match s.parse::<f64>().map(Duration::try_from_secs_f64) {
        Ok(Ok(d)) if !d.is_zero() => Ok(d),
        _ => Err(format!("'{s}' is not a positive number of seconds")),
    }
}

fn read_quotas(path: Option<&Path>) -> anyhow::Result<Quotas> {
    let Some(path) = path else {
        return Ok(Quotas::default());
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Quotas::parse(&text).with_context(|| format!("parsing {}", path.display()))
}

fn parse_regions(list: &str) -> Result<Regions, RegionsError> {
    Regions::parse(list)
}

fn key_ring(args: &ServeArgs) -> anyhow::Result<KeyRing> {
    let mut ring = match &args.keys {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            KeyRing::parse(&text).with_context(|| format!("parsing {}", path.display()))?
        }
        None => KeyRing::new(),
    };
    if let (Ok(key), Ok(secret), Ok(account)) = (
        std::env::var("PALISADE_ACCESS_KEY_ID"),
        std::env::var("PALISADE_SECRET_ACCESS_KEY"),
        std::env::var("PALISADE_ACCOUNT_ID"),
    ) {
        let account = account.parse().context("PALISADE_ACCOUNT_ID")?;
        ring.insert(&key, &secret, account);
    }
    if ring.is_empty() {
        ring.insert(
            DEV_ACCESS_KEY,
            DEV_SECRET_KEY,
            DEV_ACCOUNT.parse().context("dev account id")?,
        );
        output::line(&format!(
            "dev mode: no --keys; use AWS_ACCESS_KEY_ID={DEV_ACCESS_KEY} AWS_SECRET_ACCESS_KEY={DEV_SECRET_KEY} (account {DEV_ACCOUNT})"
        ));
    }
    Ok(ring)
}

/// `--db`: a SQLite file path, or a PostgreSQL URL.
#[derive(Debug, Clone)]
enum Db {
    Sqlite(PathBuf),
    Postgres(String),
}

impl FromStr for Db {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(
            if s.starts_with("postgres://") || s.starts_with("postgresql://") {
                Self::Postgres(s.to_owned())
            } else {
                Self::Sqlite(PathBuf::from(s))
            },
        )
    }
}

/// Shows the database without a URL's password.
impl fmt::Display for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "{}", path.display()),
            Self::Postgres(url) => {
                let Some((scheme, rest)) = url.split_once("://") else {
                    return f.write_str(url);
                };
                let Some((userinfo, host)) = rest.rsplit_once('@') else {
                    return f.write_str(url);
                };
                match userinfo.split_once(':') {
                    Some((user, _password)) => write!(f, "{scheme}://{user}:***@{host}"),
                    None => f.write_str(url),
                }
            }
        }
    }
}

fn open_store(db: &Db, quotas: Quotas) -> anyhow::Result<Arc<dyn Store>> {
    Ok(match db {
        Db::Sqlite(path) => Arc::new(
            SqliteStore::open_exclusive(path)
                .with_context(|| format!("opening {}", path.display()))?
                .with_quotas(quotas),
        ),
        Db::Postgres(url) => Arc::new(
            PgStore::connect(url)
                .with_context(|| format!("connecting to {db}"))?
                .with_quotas(quotas),
        ),
    })
}

pub(crate) fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    super::no_huge_pages();
    let keys = key_ring(&args)?;
    let quotas = read_quotas(args.quotas.as_deref())?;
    let store = open_store(&args.db, quotas)?;
    let (lab, store) = match args.lab.lab {
        true => {
            let (lab, store) = super::lab::Lab::start(&args.lab, store)?;
            (Some(lab), store)
        }
        false => (None, store),
    };
    let edge = EdgeConfig {
        regions: args.regions.clone().unwrap_or_else(Regions::commercial),
        quotas,
    };
    let state = AppState::new(store, Arc::new(keys), Clock::System, Arc::new(edge));
    let metrics = state.metrics.clone();
    let hub = state.watch.clone();
    if let Db::Postgres(url) = &args.db {
        let config = url
            .parse()
            .with_context(|| format!("parsing {}", args.db))?;
        palisade_api::watch::listen_postgres(config, hub.clone())
            .with_context(|| format!("listening for notifications on {}", args.db))?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.workers.map_or_else(default_workers, usize::from))
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let served = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        output::line(&format!("listening on http://{addr}"));
        output::line(&format!("console at http://{addr}/console/"));
        tracing::info!(%addr, db = %args.db, "serving the EC2 API");
        let timeouts = http::Timeouts {
            header_read: args.header_read_timeout,
            idle: args.idle_timeout,
            shutdown: args.shutdown_timeout,
        };
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let metrics_server = match args.metrics_addr {
            Some(at) => {
                let listener = tokio::net::TcpListener::bind(at)
                    .await
                    .with_context(|| format!("listening on {at} for metrics"))?;
                let addr = listener.local_addr().context("reading the bound address")?;
                output::line(&format!("metrics on http://{addr}/metrics"));
                let mut stopped = stopped.clone();
                let until = async move {
                    let _ = stopped.wait_for(|s| *s).await;
                };
                Some(tokio::spawn(http::serve(
                    listener,
                    http::App::router(metrics_router(metrics)),
                    timeouts,
                    until,
                )))
            }
            None => None,
        };
        // Watches are endless: end them first, so in-flight requests can finish.
        let until = async move {
            shutdown().await;
            hub.close();
            let _ = stop.send(true);
        };
        // The web console answers under /console/ and a browser's plain `GET /`.
        let app = palisade_console::mount(router(state.clone()), ConsoleState::new(state.clone()));
        http::serve(listener, http::App::with_api(app, state), timeouts, until).await;
        if let Some(task) = metrics_server {
            let _ = task.await;
        }
        anyhow::Ok(())
    });
    // A store call still running on a blocking thread gets a moment to finish; the
    // process does not wait on it past that.
    runtime.shutdown_timeout(Duration::from_secs(1));
    if let Some(lab) = lab {
        lab.stop();
    }
    served?;
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::Db;

    #[track_caller]
    fn check(arg: &str, shown: &str, postgres: bool) {
        let db: Db = arg.parse().unwrap_or_else(|e| match e {});
        assert_eq!(db.to_string(), shown);
        assert_eq!(matches!(db, Db::Postgres(_)), postgres);
    }

    #[test]
    fn db_is_a_sqlite_path_unless_a_postgres_url() {
        check("palisade.db", "palisade.db", false);
        check("/tmp/postgres://x", "/tmp/postgres://x", false);
        check(
            "postgres://app:s3cret@127.0.0.1:5432/palisade",
            "postgres://app:***@127.0.0.1:5432/palisade",
            true,
        );
        check(
            "postgresql://app@localhost/palisade",
            "postgresql://app@localhost/palisade",
            true,
        );
    }
}
