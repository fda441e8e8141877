//! The change feed at scale, against a real `palisade serve` on loopback.
//!
//! ```sh
//! # N simulated agents: one feed connection each (tokio tasks in this process), each
//! # applying its deltas and rendering its ruleset (no kernel)
//! cargo bench -p palisade --bench watch_feed -- sim --agents 10000 --changes 20
//! # N real hosts: a network namespace pw-bench-I each, with its own `palisade agent
//! # --watch` and nftables table (root, nft, ip)
//! cargo bench -p palisade --bench watch_feed -- hosts --hosts 50 --changes 20
//! # the same with nft run as processes by every agent (`agent --nft-processes`)
//! cargo bench -p palisade --bench watch_feed -- hosts --hosts 50 --nft-processes
//! ```
//!
//! The account has one VPC and `--groups` groups (sim: 10, hosts: 1); interface I is in group
//! I mod groups and is host I's only interface. Change K authorizes one ingress rule on group
//! K mod groups, so it affects agents/groups hosts. For each change the bench takes the time
//! from the API call's return to the moment every affected host has it (sim: the delta
//! received, applied and rendered; hosts: the agent's state file naming the write's
//! `x-palisade-version`, written after `nft` returned), the server's CPU time (utime + stime
//! of the process, from `/proc/PID/stat`) and the feed's bytes (the deltas' JSON lines) over
//! that time, and prints p50 and p99 over the changes. hosts also sums the agents' CPU over
//! each change, and leaves `--gap-ms` (20 ms) after each convergence (the agents' reports to
//! the server follow their state files) before the next change; `--trace` prints each
//! change's slowest host and the split of its time the agents' state files record.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use palisade_api::watch::{Message, ViewDoc, WatchRequest, sign_request};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const KEY: &str = "AKIDBENCH0000000001";
const SECRET: &str = "bench-secret";
const ACCOUNT: &str = "123456789012";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Sim,
    Hosts,
}

struct Args {
    mode: Mode,
    agents: usize,
    groups: usize,
    changes: usize,
    /// hosts: the agents run nft as processes (`agent --nft-processes`), not libnftables.
    nft_processes: bool,
    /// hosts: print each change's slowest host and where its time went (the agents'
    /// state files carry the split).
    trace: bool,
    /// hosts: quiet time after each convergence before the next change (default 20 ms;
    /// over a second, every change finds the allocator's freed memory handed back).
    gap_ms: u64,
}

fn args() -> anyhow::Result<Args> {
    let mut it = std::env::args().skip(1).filter(|a| a != "--bench");
    let mode = match it.next().as_deref() {
        Some("sim") => Mode::Sim,
        Some("hosts") => Mode::Hosts,
        other => bail!(
            "usage: watch_feed (sim --agents N | hosts --hosts N [--nft-processes] [--trace] [--gap-ms MS]) [--changes K] [--groups G], not {other:?}"
        ),
    };
    let mut a = Args {
        mode,
        agents: 1000,
        groups: if mode == Mode::Sim { 10 } else { 1 },
        changes: 20,
        nft_processes: false,
        trace: false,
        gap_ms: 20,
    };
    while let Some(flag) = it.next() {
        if flag == "--nft-processes" {
            a.nft_processes = true;
            continue;
        }
        if flag == "--trace" {
            a.trace = true;
            continue;
        }
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--agents" | "--hosts" => a.agents = value()?.parse()?,
            "--groups" => a.groups = value()?.parse()?,
            "--changes" => a.changes = value()?.parse()?,
            "--gap-ms" => a.gap_ms = value()?.parse()?,
            other => bail!("unknown flag {other}"),
        }
    }
    anyhow::ensure!(
        a.groups >= 1 && a.agents >= a.groups,
        "need agents >= groups >= 1"
    );
    Ok(a)
}

struct Server {
    addr: SocketAddr,
    pid: u32,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server() -> anyhow::Result<Server> {
    let dir = tempfile::tempdir()?;
    let keys = dir.path().join("keys");
    std::fs::write(&keys, format!("{KEY} {SECRET} {ACCOUNT}\n"))?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["serve", "--listen", &addr.to_string(), "--db"])
        .arg(dir.path().join("bench.db"))
        .arg("--keys")
        .arg(&keys)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting palisade serve")?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(addr).is_err() {
        if let Some(status) = child.try_wait()? {
            bail!("server exited early: {status}");
        }
        anyhow::ensure!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(Server {
        addr,
        pid: child.id(),
        child,
        _dir: dir,
    })
}

fn cpu_time(pid: u32) -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let rest = stat.rsplit_once(')').context("malformed /proc stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
    Ok(Duration::from_millis(ticks * 10))
}

fn cpu_time_with_children(pid: u32) -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let rest = stat.rsplit_once(')').context("malformed /proc stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields[11..15]
        .iter()
        .map(|f| f.parse::<u64>())
        .sum::<Result<u64, _>>()?;
    Ok(Duration::from_millis(ticks * 10))
}

/// One EC2 call on a fresh connection: the body and the `x-palisade-version`.
async fn call(
    addr: SocketAddr,
    action: &str,
    params: &[(&str, &str)],
) -> anyhow::Result<(String, Option<i64>)> {
    let mut form = format!("Action={action}&Version=2016-11-15");
    for (k, v) in params {
        form.push_str(&format!("&{k}={}", v.replace('/', "%2F")));
    }
    let host = addr.to_string();
    let headers = palisade_api::sigv4::sign_post(
        KEY,
        SECRET,
        "us-east-1",
        "ec2",
        &host,
        "/",
        "application/x-www-form-urlencoded; charset=utf-8",
        form.as_bytes(),
        std::time::SystemTime::now(),
    );
    let mut req = "POST / HTTP/1.1\r\n".to_owned();
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n{form}",
        form.len()
    ));
    let mut s = TcpStream::connect(addr).await?;
    s.write_all(req.as_bytes()).await?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).await?;
    let (head, body) = raw.split_once("\r\n\r\n").context("no head")?;
    anyhow::ensure!(head.starts_with("HTTP/1.1 200"), "{action}: {raw}");
    let version = head
        .lines()
        .find_map(|l| l.strip_prefix("x-palisade-version: "))
        .and_then(|v| v.trim().parse().ok());
    Ok((body.to_owned(), version))
}

fn text(xml: &str, tag: &str) -> anyhow::Result<String> {
    let open = format!("<{tag}>");
    let start = xml
        .find(&open)
        .with_context(|| format!("no {tag} in {xml}"))?
        + open.len();
    let len = xml[start..].find('<').context("unclosed")?;
    Ok(xml[start..start + len].to_owned())
}

/// The VPC, the groups, and one interface per agent: (groups, interfaces).
async fn seed(addr: SocketAddr, a: &Args) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let (body, _) = call(addr, "CreateVpc", &[("CidrBlock", "10.0.0.0/16")]).await?;
    let vpc = text(&body, "vpcId")?;
    let (body, _) = call(
        addr,
        "CreateSubnet",
        &[("VpcId", &vpc), ("CidrBlock", "10.0.0.0/16")],
    )
    .await?;
    let subnet = text(&body, "subnetId")?;
    let mut groups = Vec::new();
    for g in 0..a.groups {
        let name = format!("bench-{g}");
        let (body, _) = call(
            addr,
            "CreateSecurityGroup",
            &[
                ("GroupName", &name),
                ("GroupDescription", "bench"),
                ("VpcId", &vpc),
            ],
        )
        .await?;
        groups.push(text(&body, "groupId")?);
    }
    let started = Instant::now();
    let mut enis = vec![String::new(); a.agents];
    // A few writers at once: the server serialises them anyway.
    let chunks: Vec<Vec<usize>> = (0..8).map(|c| (c..a.agents).step_by(8).collect()).collect();
    let mut tasks = Vec::new();
    for chunk in chunks {
        let groups = groups.clone();
        let subnet = subnet.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for i in chunk {
                let group = &groups[i % groups.len()];
                let (body, _) = call(
                    addr,
                    "CreateNetworkInterface",
                    &[("SubnetId", &subnet), ("SecurityGroupId.1", group)],
                )
                .await?;
                out.push((i, text(&body, "networkInterfaceId")?));
            }
            anyhow::Ok(out)
        }));
    }
    for t in tasks {
        for (i, eni) in t.await?? {
            enis[i] = eni;
        }
    }
    eprintln!(
        "seeded {} interfaces in {:.1?}",
        a.agents,
        started.elapsed()
    );
    Ok((groups, enis))
}

/// What simulated agents saw: per version, when each delta was in force and its bytes.
type Seen = Arc<Mutex<HashMap<i64, Vec<(Instant, usize)>>>>;

/// One simulated agent: follows its feed, applies and renders each change.
async fn agent(
    addr: SocketAddr,
    host: String,
    eni: String,
    seen: Seen,
    ready: Arc<tokio::sync::Semaphore>,
) -> anyhow::Result<()> {
    let req = WatchRequest {
        host,
        interfaces: vec![eni.clone()],
        since: None,
    };
    let body = serde_json::to_string(&req)?;
    let (_, mut head) = sign_request(
        &format!("http://{addr}"),
        KEY,
        SECRET,
        "us-east-1",
        "/_palisade/watch",
        &body,
    )?;
    head.push_str(&format!("connection: close\r\n\r\n{body}"));
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(head.as_bytes()).await?;
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    loop {
        line.clear();
        r.read_line(&mut line).await?;
        anyhow::ensure!(!line.is_empty(), "closed in the head");
        if line == "\r\n" {
            break;
        }
    }
    let iface: palisade_dataplane::LocalInterface = format!("{eni}=eth0").parse()?;
    let mut doc = ViewDoc::default();
    let mut first = true;
    loop {
        // One message per chunk: its size line, the data, CRLF.
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Ok(()); // the server went away (the bench is over)
        }
        let n = usize::from_str_radix(line.trim(), 16).context("chunk size")?;
        if n == 0 {
            return Ok(());
        }
        let mut data = vec![0u8; n + 2];
        r.read_exact(&mut data).await?;
        let msg: Message = serde_json::from_slice(&data[..n])?;
        let version = msg.version();
        match msg {
            Message::View { doc: Some(d), .. } => doc = ViewDoc::from_document(&d),
            Message::Delta { delta, .. } => doc.apply(&delta),
            _ => continue,
        }
        let text = doc.to_document().to_string();
        let (snapshot, errors) =
            palisade_ec2::import_texts(&[("feed", &text)], &palisade_model::Quotas::default());
        anyhow::ensure!(errors.is_empty(), "import: {errors:?}");
        let _ruleset = palisade_dataplane::render(&snapshot, std::slice::from_ref(&iface))?;
        if first {
            first = false;
            ready.add_permits(1);
        } else {
            let mut seen = seen.lock().expect("no panic holds it");
            seen.entry(version).or_default().push((Instant::now(), n));
        }
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    // Nearest rank: the smallest sample with at least p of them at or below it.
    let rank = (1..=sorted.len())
        .find(|r| *r as f64 >= p * sorted.len() as f64)
        .unwrap_or(sorted.len());
    sorted[rank - 1]
}

struct Sample {
    latency_ms: f64,
    cpu_ms: f64,
    bytes: usize,
    /// hosts: the agents' CPU (utime + stime, all their threads) over the change.
    agents_cpu_ms: f64,
}

fn report(a: &Args, affected: usize, samples: &[Sample]) {
    let mut lat: Vec<f64> = samples.iter().map(|s| s.latency_ms).collect();
    let mut cpu: Vec<f64> = samples.iter().map(|s| s.cpu_ms).collect();
    lat.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    let bytes = samples.iter().map(|s| s.bytes).sum::<usize>() / samples.len().max(1);
    // /proc counts CPU in 10 ms ticks: the mean over the changes is the figure to read.
    let cpu_mean = cpu.iter().sum::<f64>() / cpu.len().max(1) as f64;
    let agents_cpu =
        samples.iter().map(|s| s.agents_cpu_ms).sum::<f64>() / samples.len().max(1) as f64;
    let agents = match a.mode {
        Mode::Hosts => format!(
            "; agents CPU/change mean {agents_cpu:.1} ms ({:.2} ms per host)",
            agents_cpu / affected.max(1) as f64
        ),
        Mode::Sim => String::new(),
    };
    println!(
        "{:?} agents={} groups={} affected/change={} changes={}: converged p50 {:.1} ms p99 {:.1} ms; server CPU/change mean {:.1} ms (p50 {:.0}, p99 {:.0}, 10 ms ticks); feed bytes/change {}{agents}",
        a.mode,
        a.agents,
        a.groups,
        affected,
        samples.len(),
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        cpu_mean,
        pct(&cpu, 0.5),
        pct(&cpu, 0.99),
        bytes
    );
}

/// Prints change K's slowest host, where its time went, and how the others fared.
fn trace_change(k: usize, latency: Duration, times: &mut [HostTime]) {
    times.sort_by(|a, b| a.total_ms.total_cmp(&b.total_ms));
    let Some(worst) = times.last() else { return };
    let median = times[times.len() / 2].total_ms;
    let over_2x = times.iter().filter(|t| t.total_ms > 2.0 * median).count();
    let max_of = |f: fn(&HostTime) -> f64| times.iter().map(f).fold(f64::NAN, f64::max);
    let split = |t: &HostTime| {
        format!(
            "host {} {:5.1} ms = feed {:5.1} + agent {:5.1} (import {:4.1}, render {:4.1}, \
             apply {:4.1}) + seen {:4.1}",
            t.host,
            t.total_ms,
            t.feed_ms,
            t.agent_ms,
            t.import_ms,
            t.render_ms,
            t.apply_ms,
            t.seen_ms
        )
    };
    let slowest_agent = times
        .iter()
        .max_by(|a, b| a.agent_ms.total_cmp(&b.agent_ms))
        .map(split)
        .unwrap_or_default();
    println!(
        "change {k:>3}: {:6.1} ms; median host {median:5.1} ms, {over_2x} over twice it; \
         slowest {}; most feed {:5.1}, most seen {:4.1}; slowest agent {slowest_agent}",
        latency.as_secs_f64() * 1e3,
        split(worst),
        max_of(|t| t.feed_ms),
        max_of(|t| t.seen_ms),
    );
}

/// Change K: one rule on group K mod groups; returns (version, when the call returned).
async fn change(addr: SocketAddr, groups: &[String], k: usize) -> anyhow::Result<(i64, Instant)> {
    let port = (1000 + k).to_string();
    let (_, version) = call(
        addr,
        "AuthorizeSecurityGroupIngress",
        &[
            ("GroupId", &groups[k % groups.len()]),
            ("IpPermissions.1.IpProtocol", "tcp"),
            ("IpPermissions.1.FromPort", &port),
            ("IpPermissions.1.ToPort", &port),
            ("IpPermissions.1.IpRanges.1.CidrIp", "198.51.100.0/24"),
        ],
    )
    .await?;
    Ok((version.context("no x-palisade-version")?, Instant::now()))
}

async fn sim(a: &Args) -> anyhow::Result<()> {
    let server = start_server()?;
    let (groups, enis) = seed(server.addr, a).await?;
    let seen: Seen = Arc::default();
    let ready = Arc::new(tokio::sync::Semaphore::new(0));
    let started = Instant::now();
    for (i, eni) in enis.iter().enumerate() {
        let (seen, ready, eni) = (seen.clone(), ready.clone(), eni.clone());
        let addr = server.addr;
        tokio::spawn(async move {
            if let Err(e) = agent(addr, format!("sim-{i}"), eni, seen, ready).await {
                eprintln!("agent {i}: {e:#}");
            }
        });
    }
    let all = u32::try_from(a.agents)?;
    tokio::time::timeout(Duration::from_secs(300), ready.acquire_many(all))
        .await??
        .forget();
    eprintln!(
        "{} agents connected with their first view in {:.1?}",
        a.agents,
        started.elapsed()
    );
    let affected = a.agents.div_ceil(a.groups);
    let mut samples = Vec::new();
    for k in 0..a.changes {
        let cpu0 = cpu_time(server.pid)?;
        let (version, returned) = change(server.addr, &groups, k).await?;
        let want = (0..a.agents)
            .filter(|i| i % a.groups == k % a.groups)
            .count();
        let deadline = Instant::now() + Duration::from_secs(60);
        let (last, bytes) = loop {
            {
                let seen = seen.lock().expect("no panic holds it");
                if let Some(got) = seen.get(&version)
                    && got.len() >= want
                {
                    let last = got.iter().map(|(t, _)| *t).max().unwrap_or(returned);
                    break (last, got.iter().map(|(_, b)| b).sum::<usize>());
                }
            }
            anyhow::ensure!(Instant::now() < deadline, "change {k} did not converge");
            tokio::time::sleep(Duration::from_millis(1)).await;
        };
        let cpu = cpu_time(server.pid)? - cpu0;
        samples.push(Sample {
            latency_ms: last.saturating_duration_since(returned).as_secs_f64() * 1e3,
            cpu_ms: cpu.as_secs_f64() * 1e3,
            bytes,
            agents_cpu_ms: 0.0,
        });
    }
    report(a, affected, &samples);
    Ok(())
}

/// Real hosts: namespaces with an agent each; removed at the end.
struct Hosts {
    names: Vec<String>,
    agents: Vec<Child>,
    dir: tempfile::TempDir,
}

impl Drop for Hosts {
    fn drop(&mut self) {
        for a in &mut self.agents {
            let _ = a.kill();
            let _ = a.wait();
        }
        for ns in &self.names {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

fn enforced_version(path: &std::path::Path) -> Option<i64> {
    state_file(path).and_then(|v| v["version"].as_i64())
}

fn state_file(path: &std::path::Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

fn unix_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

/// One host's share of a change, from its state file (`timings`) and the bench's clock.
struct HostTime {
    host: usize,
    /// API call returned → feed message arrived at the agent.
    feed_ms: f64,
    import_ms: f64,
    render_ms: f64,
    apply_ms: f64,
    /// Message arrived → state file written (render, apply, the rest of the agent's work).
    agent_ms: f64,
    /// State file written → the bench read it.
    seen_ms: f64,
    total_ms: f64,
}

impl HostTime {
    fn read(host: usize, state: &serde_json::Value, returned_unix: f64, seen_unix: f64) -> Self {
        let t = &state["timings"];
        let f = |k: &str| t[k].as_f64().unwrap_or(f64::NAN);
        let received = f("received_unix_ms");
        let written = f("written_unix_ms");
        Self {
            host,
            feed_ms: received - returned_unix,
            import_ms: f("import_ms"),
            render_ms: f("render_ms"),
            apply_ms: f("apply_ms"),
            agent_ms: written - received,
            seen_ms: seen_unix - written,
            total_ms: seen_unix - returned_unix,
        }
    }
}

async fn hosts(a: &Args) -> anyhow::Result<()> {
    let server = start_server()?;
    let (groups, enis) = seed(server.addr, a).await?;
    let mut hosts = Hosts {
        names: Vec::new(),
        agents: Vec::new(),
        dir: tempfile::tempdir()?,
    };
    let endpoint = format!("http://{}", server.addr);
    for (i, eni) in enis.iter().enumerate() {
        let ns = format!("pw-bench-{i}");
        // A namespace of this name left by an interrupted run.
        let _ = Command::new("ip")
            .args(["netns", "del", &ns])
            .stderr(Stdio::null())
            .status();
        anyhow::ensure!(
            Command::new("ip")
                .args(["netns", "add", &ns])
                .status()?
                .success(),
            "ip netns add {ns}"
        );
        hosts.names.push(ns.clone());
        let state = hosts.dir.path().join(format!("{i}.json"));
        let child = Command::new(env!("CARGO_BIN_EXE_palisade"))
            .args([
                "agent",
                "--endpoint",
                &endpoint,
                "--watch",
                "--host",
                &ns,
                "--netns",
                &ns,
            ])
            .args(["--map", &format!("{eni}=eth0")])
            .arg("--state-file")
            .arg(&state)
            .args(a.nft_processes.then_some("--nft-processes"))
            .env("AWS_ACCESS_KEY_ID", KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_REGION", "us-east-1")
            .env("PALISADE_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        hosts.agents.push(child);
    }
    let states: Vec<_> = (0..a.agents)
        .map(|i| hosts.dir.path().join(format!("{i}.json")))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !states.iter().all(|p| enforced_version(p).is_some()) {
        anyhow::ensure!(Instant::now() < deadline, "agents did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let affected = a.agents.div_ceil(a.groups);
    let pids: Vec<u32> = hosts.agents.iter().map(Child::id).collect();
    // With their reaped children's (the nft and nsenter processes of --nft-processes).
    let agents_cpu =
        || -> anyhow::Result<Duration> { pids.iter().map(|p| cpu_time_with_children(*p)).sum() };
    let mut samples = Vec::new();
    for k in 0..a.changes {
        let cpu0 = cpu_time(server.pid)?;
        let agents0 = agents_cpu()?;
        let (version, returned) = change(server.addr, &groups, k).await?;
        let returned_unix = unix_ms() - returned.elapsed().as_secs_f64() * 1e3;
        let mut pending: Vec<_> = states
            .iter()
            .enumerate()
            .filter(|(i, _)| i % a.groups == k % a.groups)
            .collect();
        let mut times = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            // Only the hosts not there yet are read again: the bench shares the cores.
            pending.retain(|(i, p)| {
                let Some(state) = state_file(p) else {
                    return true;
                };
                if state["version"].as_i64().is_none_or(|v| v < version) {
                    return true;
                }
                if a.trace {
                    times.push(HostTime::read(*i, &state, returned_unix, unix_ms()));
                }
                false
            });
            if pending.is_empty() {
                break;
            }
            anyhow::ensure!(Instant::now() < deadline, "change {k} did not converge");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let latency = returned.elapsed();
        if a.trace {
            trace_change(k, latency, &mut times);
        }
        // The agents report after writing their state file: wait for those reports to
        // be done (a host's CPU settles) before the next change, so each change's CPU
        // is its own.
        tokio::time::sleep(Duration::from_millis(a.gap_ms)).await;
        samples.push(Sample {
            latency_ms: latency.as_secs_f64() * 1e3,
            cpu_ms: (cpu_time(server.pid)? - cpu0).as_secs_f64() * 1e3,
            bytes: 0,
            agents_cpu_ms: (agents_cpu()? - agents0).as_secs_f64() * 1e3,
        });
    }
    report(a, affected, &samples);
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let a = args()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        match a.mode {
            Mode::Sim => sim(&a).await,
            Mode::Hosts => hosts(&a).await,
        }
    })
}
