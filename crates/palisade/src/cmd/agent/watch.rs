//! `palisade agent --endpoint URL --watch`: follows the server's change feed instead of
//! polling. The agent holds its view (`ViewDoc`), applies each delta to it, and renders and
//! applies the whole view each time (through the same `enforce` as polling), so what is in
//! force after deltas is exactly what the full view renders to.
//!
//! A lost connection, a refused watch or a server silent for three heartbeats makes it
//! reconnect with back-off (0.2 s doubling to 5 s) and `since` = the version it holds: the
//! server answers the delta from there when it still has what it sent, else the full view,
//! so nothing written meanwhile is missed. A failed render or apply keeps the previous
//! ruleset and is retried every tick. After every change of what it enforces (version or
//! error) it reports to the server (`POST /_palisade/report`), which `palisade hosts` lists.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use palisade_api::watch::{Message, Report, ViewDoc, WatchConn, WatchRequest};
use palisade_dataplane::{LocalInterface, Nft};

use super::{RunArgs, State, enforce, fingerprint, write_state};
use crate::remote::Remote;

/// How long one read waits before the agent looks at its timers.
const TICK: Duration = Duration::from_millis(200);
const BACKOFF_MIN: Duration = Duration::from_millis(200);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// What the agent follows and has reported.
struct Follow<'a> {
    args: &'a RunArgs,
    remote: &'a Remote,
    nft: &'a Nft,
    interfaces: &'a [LocalInterface],
    host: String,
    /// The view received so far and its version (what a reconnect resumes from).
    held: Option<(i64, ViewDoc)>,
    /// The last report the server acknowledged.
    reported: Option<Report>,
}

pub(super) fn run(
    args: &RunArgs,
    remote: &Remote,
    nft: &Nft,
    interfaces: &[LocalInterface],
    state: &mut State,
) -> anyhow::Result<ExitCode> {
    let host = match &args.host {
        Some(h) => h.clone(),
        None => hostname()?,
    };
    let mut follow = Follow {
        args,
        remote,
        nft,
        interfaces,
        host,
        held: None,
        reported: None,
    };
    let mut backoff = BACKOFF_MIN;
    loop {
        let since = follow.held.as_ref().map(|(v, _)| *v);
        let req = WatchRequest {
            host: follow.host.clone(),
            interfaces: interfaces.iter().map(|i| i.eni.to_string()).collect(),
            since,
        };
        let res = match remote.open_watch(&req, TICK) {
            Ok(conn) => {
                tracing::info!(host = follow.host, ?since, "watching {}", remote.endpoint());
                backoff = BACKOFF_MIN;
                follow.stream(conn, state)
            }
            Err(e) => Err(anyhow::anyhow!("watching {}: {e}", remote.endpoint())),
        };
        if let Err(e) = res {
            follow.failed(state, &format!("{e:#}"))?;
        }
        // --once: the first view applied, or the first failure.
        if args.once {
            return Ok(if state.error.is_none() && follow.held.is_some() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            });
        }
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

impl Follow<'_> {
    /// Reads one connection until it fails; `Ok` only with `--once` after the first view.
    fn stream(&mut self, mut conn: WatchConn, state: &mut State) -> anyhow::Result<()> {
        let mut heartbeat = palisade_api::watch::DEFAULT_HEARTBEAT;
        let mut last_heard = Instant::now();
        loop {
            let Some(msg) = conn.next_message()? else {
                if last_heard.elapsed() > heartbeat * 3 {
                    anyhow::bail!(
                        "no message from the server for {} ms (3 heartbeats)",
                        last_heard.elapsed().as_millis()
                    );
                }
                // Retry a failed apply of the view held.
                if state.error.is_some() {
                    self.enforce(state)?;
                }
                continue;
            };
            last_heard = Instant::now();
            let version = msg.version();
            if !matches!(msg, Message::Heartbeat { .. }) {
                state.timings.received();
                state.metrics.received(version);
                if state.version != Some(version) {
                    state.metrics.change_seen();
                }
            }
            match msg {
                Message::View {
                    heartbeat_ms,
                    doc,
                    delta,
                    ..
                } => {
                    heartbeat = Duration::from_millis(heartbeat_ms.max(1));
                    let held = match (doc, delta, self.held.take()) {
                        (Some(doc), _, _) => ViewDoc::from_document(&doc),
                        (None, Some(delta), Some((_, mut held))) => {
                            held.apply(&delta);
                            held
                        }
                        _ => anyhow::bail!("the server resumed a view this agent does not hold"),
                    };
                    self.held = Some((version, held));
                }
                Message::Delta { delta, .. } => {
                    let Some((_, held)) = self.held.take() else {
                        anyhow::bail!("a delta came before the view");
                    };
                    let mut held = held;
                    held.apply(&delta);
                    self.held = Some((version, held));
                }
                Message::Heartbeat { .. } => continue,
            }
            self.enforce(state)?;
            if self.args.once {
                return Ok(());
            }
        }
    }

    /// Renders and applies the view held (unless its content is the one in force), then
    /// reports. A failure is recorded and reported, and retried by the caller.
    fn enforce(&mut self, state: &mut State) -> anyhow::Result<()> {
        let Some((version, held)) = &self.held else {
            return Ok(());
        };
        let version = *version;
        let started = Instant::now();
        let doc = held.to_document();
        let fp = fingerprint(&doc.to_string());
        let source = format!(
            "{} (watch, {})",
            self.remote.endpoint(),
            self.remote.region()
        );
        let res = if state.fingerprint == Some(fp) {
            state.error = None;
            state.metrics.caught_up();
            Ok(())
        } else {
            crate::input::import_json(&source, &doc).and_then(|snapshot| {
                state.timings.imported(started.elapsed());
                enforce(self.nft, self.interfaces, state, fp, &snapshot, &source)
            })
        };
        match res {
            Ok(()) => {
                state.version = Some(version);
                state.metrics.enforced(version);
                write_state(&self.args.state_file, state)?;
            }
            Err(e) => {
                let message = format!("{e:#}");
                if state.error.as_deref() != Some(message.as_str()) {
                    tracing::error!(
                        version,
                        "view not applied, previous ruleset kept: {message}"
                    );
                    state.error = Some(message);
                    write_state(&self.args.state_file, state)?;
                }
            }
        }
        self.report(state);
        Ok(())
    }

    /// Records a failure of the feed itself (the ruleset in force stays).
    fn failed(&mut self, state: &mut State, message: &str) -> anyhow::Result<()> {
        if state.error.as_deref() != Some(message) {
            tracing::error!("{message} (reconnecting)");
            state.error = Some(message.to_owned());
            write_state(&self.args.state_file, state)?;
        }
        Ok(())
    }

    /// Tells the server what is in force, when that changed since the last report.
    fn report(&mut self, state: &State) {
        let report = Report {
            host: self.host.clone(),
            version: state.version,
            error: state.error.clone(),
            interfaces: self.interfaces.iter().map(|i| i.eni.to_string()).collect(),
        };
        if self.reported.as_ref() == Some(&report) {
            return;
        }
        let body = match serde_json::to_string(&report) {
            Ok(b) => b,
            Err(e) => return tracing::warn!("encoding the report: {e}"),
        };
        match self.remote.post("/_palisade/report", &body) {
            Ok(_) => self.reported = Some(report),
            Err(e) => tracing::warn!("reporting to the server: {e:#}"),
        }
    }
}

/// The kernel's hostname.
fn hostname() -> anyhow::Result<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map_err(|e| anyhow::anyhow!("reading the hostname (pass --host NAME): {e}"))?;
    Ok(name.trim().to_owned())
}
