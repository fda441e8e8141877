//! Applying rulesets on a host: nft commands (one netlink transaction: all or nothing, so a
//! failed apply leaves the previous rules in force) and conntrack clean-up.
//!
//! nft runs in-process through libnftables when the library is there (`libnft.rs`: one
//! long-lived context per namespace), else as `nft -f -` processes. Every command can run
//! inside a named network namespace (the library's thread enters it; a process runs as
//! `nsenter --net=/run/netns/NS …`: no shell, no mount namespace as `ip netns exec` makes),
//! which is how the end-to-end tests keep away from the real host's tables.

mod libnft;

use std::io::Write as _;
use std::net::IpAddr;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use thiserror::Error;

use self::libnft::{Mode, StartError, Worker};
use crate::ruleset::Ruleset;

/// Why an apply failed. The previous ruleset is still in force.
#[derive(Debug, Error)]
pub enum ApplyError {
    #[error("running {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    /// `status` is the process's exit (`exit 1`) or `libnftables`.
    #[error("nft refused the ruleset ({status}): {stderr}")]
    Nft { status: String, stderr: String },
    #[error("conntrack failed for {addr} (exit {status}): {stderr}")]
    Conntrack {
        addr: IpAddr,
        status: String,
        stderr: String,
    },
}

/// How a ruleset went in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyKind {
    /// The whole table replaced in one transaction.
    Replace,
    /// Only the chains, sets and maps that changed, in one transaction.
    Incremental,
    /// Only member set elements changed, in one transaction; no rule was touched.
    Members,
    /// Nothing to do: the same ruleset is in force.
    Unchanged,
}

impl ApplyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Replace => "replace",
            Self::Incremental => "incremental",
            Self::Members => "members",
            Self::Unchanged => "unchanged",
        }
    }
}

/// What an apply did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyReport {
    pub kind: ApplyKind,
    /// Addresses whose conntrack entries were deleted (they left their interface).
    pub flushed: Vec<IpAddr>,
}

/// How nft commands are run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NftEngine {
    /// In-process, one libnftables context per namespace kept for the `Nft`'s lifetime.
    Library,
    /// One `nft` process (under `nsenter` in a namespace) per command.
    Processes,
}

impl NftEngine {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Library => "libnftables",
            Self::Processes => "nft processes",
        }
    }
}

/// Runs nft commands and `conntrack`, optionally inside a named network namespace. Clones
/// share one libnftables context.
#[derive(Debug, Clone)]
pub struct Nft {
    netns: Option<String>,
    /// `None`: processes. Else the library's context, started on first use (and again
    /// after a failed start, such as a namespace that did not exist yet).
    library: Option<Arc<Mutex<Option<Worker>>>>,
}

/// What one nft command gave when it failed.
struct NftFailure {
    status: String,
    stderr: String,
}

impl Nft {
    /// In the current network namespace (the agent's host namespace), through libnftables
    /// when this host has it.
    pub fn host() -> Self {
        Self::new(None)
    }

    /// Inside the named namespace (`ip netns add NAME`'s `/run/netns/NAME`), through
    /// libnftables when this host has it.
    pub fn in_netns(name: &str) -> Self {
        Self::new(Some(name.to_owned()))
    }

    fn new(netns: Option<String>) -> Self {
        let library = libnft::available().then(Arc::default);
        Self { netns, library }
    }

    /// The same, with one `nft` process per command whether or not the library is there.
    pub fn with_processes(self) -> Self {
        Self {
            library: None,
            ..self
        }
    }

    /// How this `Nft` runs nft commands.
    pub fn engine(&self) -> NftEngine {
        match self.library {
            Some(_) => NftEngine::Library,
            None => NftEngine::Processes,
        }
    }

    /// Why libnftables is not used, when it could not be opened.
    pub fn library_unavailable() -> Option<&'static str> {
        libnft::unavailable()
    }

    /// Brings the host from `previous` (what is in force, if known) to `next` in one
    /// transaction that touches only what changed ([`Ruleset::delta`]), or, with no
    /// `previous` or a change a delta cannot express, one whole-table replace; then deletes
    /// the conntrack entries of addresses that left their interface.
    pub fn apply(
        &self,
        previous: Option<&Ruleset>,
        next: &Ruleset,
    ) -> Result<ApplyReport, ApplyError> {
        let Some(delta) = previous.and_then(|p| p.delta(next)) else {
            return self.replace(previous, next);
        };
        if delta.kind() != ApplyKind::Unchanged {
            self.load(delta.to_nft())?;
        }
        self.finish(delta.kind(), previous, next)
    }

    /// Replaces the whole table with `next`, whatever the kernel holds (idempotent: what a
    /// caller uses when it no longer trusts that `previous` is in force), then deletes the
    /// conntrack entries of addresses that left their interface since `previous`.
    pub fn replace(
        &self,
        previous: Option<&Ruleset>,
        next: &Ruleset,
    ) -> Result<ApplyReport, ApplyError> {
        self.load(&next.text())?;
        self.finish(ApplyKind::Replace, previous, next)
    }

    fn finish(
        &self,
        kind: ApplyKind,
        previous: Option<&Ruleset>,
        next: &Ruleset,
    ) -> Result<ApplyReport, ApplyError> {
        let flushed = previous
            .map(|p| p.moved_addresses(next))
            .unwrap_or_default();
        for addr in &flushed {
            self.flush_conntrack(*addr)?;
        }
        Ok(ApplyReport { kind, flushed })
    }

    /// Loads nft text in one transaction (`nft -f -`).
    pub fn load(&self, text: &str) -> Result<(), ApplyError> {
        self.nft(Mode::Run, text)?.map(drop).map_err(refused)
    }

    /// Checks nft text without committing it (`nft -c -f -`).
    pub fn check(&self, text: &str) -> Result<(), ApplyError> {
        self.nft(Mode::Check, text)?.map(drop).map_err(refused)
    }

    /// Runs nft commands with JSON output (`nft -j …`), such as `list table inet palisade`.
    pub(crate) fn json(&self, command: &str) -> Result<String, ApplyError> {
        self.nft(Mode::Json, command)?.map_err(refused)
    }

    /// Runs one nft command: its output, or how it failed; `Err` when it could not run.
    fn nft(&self, mode: Mode, text: &str) -> Result<Result<String, NftFailure>, ApplyError> {
        let Some(slot) = &self.library else {
            return self.nft_process(mode, text);
        };
        let spawn_err = |source| ApplyError::Spawn {
            program: "libnftables".to_owned(),
            source,
        };
        // One command at a time: the context is not thread-safe (and its thread serves
        // one job at a time anyway).
        let mut slot = slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot
            .as_ref()
            .is_some_and(|w| !w.current(self.netns.as_deref()))
        {
            // The namespace was deleted (and maybe added again under its name), which a
            // process would see on its next start: enter it anew.
            *slot = None;
        }
        if slot.is_none() {
            match Worker::start(self.netns.as_deref()) {
                Ok(worker) => *slot = Some(worker),
                // `available()` said yes, so this does not happen; run the process.
                Err(StartError::Unavailable) => {
                    drop(slot);
                    return self.nft_process(mode, text);
                }
                Err(StartError::Failed(e)) => return Err(spawn_err(e)),
            }
        }
        let worker = slot.as_ref().expect("the worker was just started");
        match worker.run(text, mode) {
            Ok(outcome) => Ok(outcome.map_err(|stderr| NftFailure {
                status: "libnftables".to_owned(),
                stderr,
            })),
            Err(e) => {
                // The thread is gone: the next command starts a new one.
                *slot = None;
                Err(spawn_err(e))
            }
        }
    }

    fn nft_process(
        &self,
        mode: Mode,
        text: &str,
    ) -> Result<Result<String, NftFailure>, ApplyError> {
        let out = match mode {
            Mode::Run => self.run("nft", &["-f", "-"], Some(text))?,
            Mode::Check => self.run("nft", &["-c", "-f", "-"], Some(text))?,
            Mode::Json => {
                let args: Vec<&str> = std::iter::once("-j")
                    .chain(text.split_whitespace())
                    .collect();
                self.run("nft", &args, None)?
            }
        };
        if !out.status.success() {
            return Ok(Err(NftFailure {
                status: format!("exit {}", status_text(&out.status)),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            }));
        }
        Ok(Ok(String::from_utf8_lossy(&out.stdout).into_owned()))
    }

    /// Deletes every conntrack entry from or to `addr` (`conntrack -D -s` and `-d`).
    /// `conntrack` exits 1 when nothing matched, which is not an error here.
    pub fn flush_conntrack(&self, addr: IpAddr) -> Result<(), ApplyError> {
        let family = if addr.is_ipv4() { "ipv4" } else { "ipv6" };
        let addr_s = addr.to_string();
        for side in ["-s", "-d"] {
            let out = self.run("conntrack", &["-D", "-f", family, side, &addr_s], None)?;
            let stderr = String::from_utf8_lossy(&out.stderr);
            let nothing = stderr.contains("0 flow entries have been deleted");
            if !out.status.success() && !nothing {
                return Err(ApplyError::Conntrack {
                    addr,
                    status: status_text(&out.status),
                    stderr: stderr.trim().to_owned(),
                });
            }
        }
        Ok(())
    }

    fn run(
        &self,
        program: &str,
        args: &[&str],
        stdin: Option<&str>,
    ) -> Result<std::process::Output, ApplyError> {
        let mut cmd = match &self.netns {
            Some(ns) => {
                let mut c = Command::new("nsenter");
                c.arg(format!("--net=/run/netns/{ns}")).arg(program);
                c
            }
            None => Command::new(program),
        };
        cmd.args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let spawn_err = |source| ApplyError::Spawn {
            program: program.to_owned(),
            source,
        };
        let mut child = cmd.spawn().map_err(spawn_err)?;
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(text.as_bytes()).map_err(spawn_err)?;
        }
        child.wait_with_output().map_err(spawn_err)
    }
}

fn refused(failure: NftFailure) -> ApplyError {
    ApplyError::Nft {
        status: failure.status,
        stderr: failure.stderr,
    }
}

fn status_text(status: &std::process::ExitStatus) -> String {
    status
        .code()
        .map_or_else(|| "signal".to_owned(), |c| c.to_string())
}
