//! Applying rulesets on a host: `nft -f -` (one netlink transaction: all or nothing, so a
//! failed apply leaves the previous rules in force) and conntrack clean-up.
//!
//! Every command can run inside a named network namespace (`nsenter --net=/run/netns/NS …`:
//! one process, no shell, no mount namespace as `ip netns exec` makes), which is how the
//! end-to-end tests keep away from the real host's tables.

use std::io::Write as _;
use std::net::IpAddr;
use std::process::{Command, Stdio};

use thiserror::Error;

use crate::ruleset::Ruleset;

/// Why an apply failed. The previous ruleset is still in force.
#[derive(Debug, Error)]
pub enum ApplyError {
    #[error("running {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("nft refused the ruleset (exit {status}): {stderr}")]
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

/// Runs `nft` and `conntrack`, optionally inside a named network namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nft {
    netns: Option<String>,
}

impl Nft {
    /// In the current network namespace (the agent's host namespace).
    pub fn host() -> Self {
        Self { netns: None }
    }

    /// Inside the named namespace (`ip netns add NAME`'s `/run/netns/NAME`).
    pub fn in_netns(name: &str) -> Self {
        Self {
            netns: Some(name.to_owned()),
        }
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

    /// Loads nft text with one `nft -f -` (one transaction).
    pub fn load(&self, text: &str) -> Result<(), ApplyError> {
        let out = self.run("nft", &["-f", "-"], Some(text))?;
        if !out.status.success() {
            return Err(ApplyError::Nft {
                status: status_text(&out.status),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        Ok(())
    }

    /// Checks nft text without committing it (`nft -c -f -`).
    pub fn check(&self, text: &str) -> Result<(), ApplyError> {
        let out = self.run("nft", &["-c", "-f", "-"], Some(text))?;
        if !out.status.success() {
            return Err(ApplyError::Nft {
                status: status_text(&out.status),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        Ok(())
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

    pub(crate) fn run(
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

fn status_text(status: &std::process::ExitStatus) -> String {
    status
        .code()
        .map_or_else(|| "signal".to_owned(), |c| c.to_string())
}
