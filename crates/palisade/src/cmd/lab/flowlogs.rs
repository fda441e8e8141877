//! The lab's VPC Flow Logs: the data plane's counted windows (`lab::FlowTap`) written as
//! EC2 delivers flow logs to S3 — version-2 default records, a header line, gzip, under
//! `AWSLogs/ACCOUNT/vpcflowlogs/REGION/YYYY/MM/DD/` — so `palisade flows` reads them as is.
//!
//! Like EC2, records of traffic to and from link-local addresses (instance metadata, time
//! sync, DHCPv6, neighbour discovery), multicast and broadcast are left out.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use flate2::Compression;
use flate2::write::GzEncoder;
use palisade_dataplane::lab::{Collected, FlowRecord, FlowTap, LabError, Plan};
use palisade_model::Timestamp;

/// What the lab thread hands the flow-log thread.
#[derive(Debug, Default)]
struct Shared {
    plan: Option<Plan>,
    owners: BTreeMap<String, String>,
    changed: bool,
    stop: bool,
}

/// The flow-log thread: its own, so counting windows never delays enforcement.
pub(crate) struct FlowLogThread {
    shared: Arc<(Mutex<Shared>, Condvar)>,
    handle: Option<JoinHandle<()>>,
    sent: Option<Plan>,
}

impl FlowLogThread {
    pub(crate) fn start(lab_dir: &Path, prefix: &str, interval: Duration) -> anyhow::Result<Self> {
        let shared: Arc<(Mutex<Shared>, Condvar)> = Arc::default();
        let (sh, dir, prefix) = (shared.clone(), lab_dir.to_owned(), prefix.to_owned());
        let handle = std::thread::Builder::new()
            .name("lab-flow-logs".into())
            .spawn(move || run(&sh, &dir, &prefix, interval))
            .context("starting the flow-log thread")?;
        Ok(Self {
            shared,
            handle: Some(handle),
            sent: None,
        })
    }

    /// The plan now in force (and who owns each interface).
    pub(crate) fn update(&mut self, plan: &Plan, owners: BTreeMap<String, String>) {
        if self.sent.as_ref() == Some(plan) {
            return;
        }
        self.sent = Some(plan.clone());
        let (m, c) = &*self.shared;
        if let Ok(mut g) = m.lock() {
            g.plan = Some(plan.clone());
            g.owners.extend(owners);
            g.changed = true;
            c.notify_all();
        }
    }

    /// Ends the last window, writes it, and returns once the thread is gone (before the
    /// lab removes the namespaces whose counters it reads).
    pub(crate) fn stop(mut self) {
        let (m, c) = &*self.shared;
        if let Ok(mut g) = m.lock() {
            g.stop = true;
            c.notify_all();
        }
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn run(shared: &(Mutex<Shared>, Condvar), dir: &Path, prefix: &str, interval: Duration) {
    let (m, c) = shared;
    let mut tap = FlowTap::default();
    let mut logs = FlowLogs::new(dir);
    let mut plan = Plan::default();
    let mut due = Instant::now() + interval;
    loop {
        let (changed, stop) = {
            let Ok(g) = m.lock() else { return };
            let wait = due.saturating_duration_since(Instant::now());
            let Ok((mut g, _)) = c.wait_timeout_while(g, wait, |g| !g.changed && !g.stop) else {
                return;
            };
            if g.changed {
                if let Some(p) = g.plan.take() {
                    plan = p;
                }
                logs.owners.clone_from(&g.owners);
            }
            let r = (g.changed, g.stop);
            g.changed = false;
            r
        };
        if changed {
            let got = tap.sync(prefix, &plan, unix_now());
            logs.record(&plan, got);
        }
        if stop {
            let got = tap.collect(unix_now(), true);
            logs.record(&plan, got);
            return;
        }
        if Instant::now() >= due {
            let got = tap.collect(unix_now(), false);
            logs.record(&plan, got);
            due = due.max(Instant::now() - interval) + interval;
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The header line of the default format, as S3 delivery writes it.
const HEADER: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status";

/// Who owns each interface, and where the tap's ports lead.
#[derive(Debug, Default)]
struct FlowLogs {
    root: PathBuf,
    /// ENI id → account id.
    owners: BTreeMap<String, String>,
    files: u64,
}

impl FlowLogs {
    fn new(lab_dir: &Path) -> Self {
        Self {
            root: lab_dir.join("flow-logs"),
            ..Self::default()
        }
    }

    /// Writes what a collection produced, or logs why it failed.
    fn record(&mut self, plan: &Plan, got: Result<Collected, LabError>) {
        let res = got
            .map_err(anyhow::Error::from)
            .and_then(|c| self.write(plan, &c, unix_now()));
        match res {
            Ok(files) => {
                for f in files {
                    tracing::debug!(file = %f.display(), "lab: flow logs written");
                }
            }
            Err(e) => tracing::error!(error = %format!("{e:#}"), "lab: flow logs failed"),
        }
    }

    /// Writes one file per (account, region) of what `c` holds; returns the files written.
    fn write(&mut self, plan: &Plan, c: &Collected, now: u64) -> anyhow::Result<Vec<PathBuf>> {
        // Router port → (ENI, region).
        let mut ports: BTreeMap<&str, (String, &str)> = BTreeMap::new();
        for r in plan.routers.values() {
            for n in &r.ports {
                ports.insert(&n.port, (n.eni.to_string(), &r.region));
            }
        }
        let mut lines: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        let place = |port: &str| -> Option<(String, String, String)> {
            let (eni, region) = ports.get(port)?;
            let account = self.owners.get(eni)?;
            Some((account.clone(), (*region).to_owned(), eni.clone()))
        };
        for r in &c.records {
            if !logged(r) {
                continue;
            }
            let Some((account, region, eni)) = place(&r.port) else {
                continue;
            };
            lines
                .entry((account.clone(), region))
                .or_default()
                .push(record_line(&account, &eni, r));
        }
        for s in &c.skipped {
            let Some((account, region, eni)) = place(&s.port) else {
                continue;
            };
            lines
                .entry((account.clone(), region))
                .or_default()
                .push(format!(
                    "2 {account} {eni} - - - - - - - {} {} - SKIPDATA",
                    s.start, s.end
                ));
        }
        let mut written = Vec::new();
        for ((account, region), body) in lines {
            written.push(self.write_file(&account, &region, now, &body)?);
        }
        Ok(written)
    }

    fn write_file(
        &mut self,
        account: &str,
        region: &str,
        now: u64,
        lines: &[String],
    ) -> anyhow::Result<PathBuf> {
        // `2026-12-03T07:29:28.000Z`
        let iso = palisade_ec2::wire::iso8601(Timestamp::from_secs(now));
        let (y, m, d) = (&iso[0..4], &iso[5..7], &iso[8..10]);
        let stamp = format!("{y}{m}{d}T{}{}Z", &iso[11..13], &iso[14..16]);
        let dir = self
            .root
            .join("AWSLogs")
            .join(account)
            .join("vpcflowlogs")
            .join(region)
            .join(y)
            .join(m)
            .join(d);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        self.files += 1;
        let name = format!(
            "{account}_vpcflowlogs_{region}_fl-lab_{stamp}_{now:x}{:04x}.log.gz",
            self.files
        );
        let path = dir.join(name);
        let tmp = path.with_extension("tmp");
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        writeln!(gz, "{HEADER}")?;
        for l in lines {
            writeln!(gz, "{l}")?;
        }
        std::fs::write(&tmp, gz.finish()?).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }
}

/// Whether EC2 would log this record (see the module's note).
fn logged(r: &FlowRecord) -> bool {
    [r.key.src, r.key.dst].iter().all(|a| match a {
        IpAddr::V4(a) => {
            !(a.is_link_local() || a.is_multicast() || a.is_broadcast() || a.is_unspecified())
        }
        IpAddr::V6(a) => !(a.is_unicast_link_local() || a.is_multicast() || a.is_unspecified()),
    })
}

fn record_line(account: &str, eni: &str, r: &FlowRecord) -> String {
    let k = &r.key;
    format!(
        "2 {account} {eni} {} {} {} {} {} {} {} {} {} {} OK",
        k.src,
        k.dst,
        k.src_port,
        k.dst_port,
        k.protocol,
        r.count.packets,
        r.count.bytes,
        r.start,
        r.end,
        if r.accepted { "ACCEPT" } else { "REJECT" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_dataplane::lab::{Count, Direction, FlowKey};

    #[test]
    fn records_are_default_format_lines_that_the_reader_accepts() {
        let r = FlowRecord {
            port: "p1".into(),
            direction: Direction::Ingress,
            key: FlowKey {
                src: "198.18.0.10".parse().unwrap(),
                dst: "10.0.1.5".parse().unwrap(),
                protocol: 6,
                src_port: 40_000,
                dst_port: 443,
            },
            count: Count {
                packets: 10,
                bytes: 840,
            },
            accepted: true,
            start: 1_764_746_968,
            end: 1_764_747_028,
        };
        let line = record_line("123456789012", "eni-0123456789abcdef0", &r);
        assert_eq!(
            line,
            "2 123456789012 eni-0123456789abcdef0 198.18.0.10 10.0.1.5 40000 443 6 10 840 1764746968 1764747028 ACCEPT OK"
        );
        let format = palisade_flowlog::Format::from_header(HEADER)
            .unwrap()
            .unwrap();
        let rec = format.record(&line).unwrap();
        assert_eq!(rec.dst_port, Some(443));
        assert!(logged(&r));
        let mut meta = r.clone();
        meta.key.dst = "169.254.169.254".parse().unwrap();
        assert!(!logged(&meta));
    }
}
