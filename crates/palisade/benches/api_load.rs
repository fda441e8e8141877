//! A native load generator for the EC2 Query API: starts `palisade serve` (and, with
//! `--moto PATH`, moto's server) on loopback, seeds the same groups in both, then runs the
//! same phases against each and prints one table: calls/s at the given concurrency, and the
//! server process's CPU time per call (utime + stime from `/proc/PID/stat`, all threads).
//!
//! ```sh
//! cargo bench -p palisade --bench api_load -- --groups 10000 --moto .venv/bin/moto_server
//! ```
//!
//! Requests are SigV4-signed once each before a phase starts (a signature stays valid for 15
//! minutes), so the client spends its CPU on sockets, not HMACs. Keep-alive HTTP/1.1 over
//! raw TCP: one request in flight per connection.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const KEY: &str = "AKIDBENCH0000000001";
const SECRET: &str = "bench-secret";
const ACCOUNT: &str = "123456789012";

struct Args {
    groups: usize,
    calls: usize,
    writes: usize,
    conns: usize,
    moto: Option<PathBuf>,
    moto_groups: usize,
    /// An already running palisade (`ADDR:PORT`, `PID`): for profiling it under perf or
    /// valgrind.
    attach: Option<(SocketAddr, u32)>,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        groups: 10_000,
        calls: 100_000,
        writes: 20_000,
        conns: 64,
        moto: None,
        moto_groups: 0,
        attach: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--groups" => a.groups = value()?.parse()?,
            "--calls" => a.calls = value()?.parse()?,
            "--writes" => a.writes = value()?.parse()?,
            "--conns" => a.conns = value()?.parse()?,
            "--moto" => a.moto = Some(value()?.into()),
            "--moto-groups" => a.moto_groups = value()?.parse()?,
            "--attach" => {
                let v = value()?;
                let (addr, pid) = v.split_once(',').context("--attach ADDR:PORT,PID")?;
                a.attach = Some((addr.parse()?, pid.parse()?));
            }
            "--bench" => {}
            other => bail!("unknown flag {other}"),
        }
    }
    if a.moto_groups == 0 {
        a.moto_groups = a.groups;
    }
    Ok(a)
}

/// A server under test and its process.
struct Server {
    name: &'static str,
    addr: SocketAddr,
    /// The process we started (killed on drop), or `None` for an attached one.
    child: Option<Child>,
    pid: u32,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The process's CPU time so far (all threads), from `/proc/PID/stat`.
fn cpu_time(pid: u32) -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').context("malformed /proc stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
    // USER_HZ is 100 on Linux.
    Ok(Duration::from_millis(ticks * 10))
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn wait_port(addr: SocketAddr, child: &mut Child) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait()? {
            bail!("server exited early: {status}");
        }
        if std::net::TcpStream::connect(addr).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("server at {addr} did not start")
}

fn start_palisade(groups: usize) -> anyhow::Result<Server> {
    let dir = tempfile::tempdir()?;
    let keys = dir.path().join("keys");
    std::fs::write(&keys, format!("{KEY} {SECRET} {ACCOUNT}\n"))?;
    let quotas = dir.path().join("quotas");
    std::fs::write(&quotas, format!("groups_per_region = {}\n", groups + 10))?;
    let port = free_port()?;
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_palisade"));
    cmd.args(["serve", "--listen", &addr.to_string(), "--db"])
        .arg(dir.path().join("bench.db"))
        .arg("--keys")
        .arg(&keys);
    if groups > 2500 {
        cmd.arg("--quotas").arg(&quotas);
    }
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting palisade serve")?;
    wait_port(addr, &mut child)?;
    Ok(Server {
        name: "palisade",
        addr,
        pid: child.id(),
        child: Some(child),
        _dir: Some(dir),
    })
}

fn start_moto(bin: &PathBuf) -> anyhow::Result<Server> {
    let dir = tempfile::tempdir()?;
    let port = free_port()?;
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
    let mut child = Command::new(bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    wait_port(addr, &mut child)?;
    Ok(Server {
        name: "moto",
        addr,
        pid: child.id(),
        child: Some(child),
        _dir: Some(dir),
    })
}

/// One signed request, as bytes on the wire.
fn signed(addr: SocketAddr, form: &str) -> Vec<u8> {
    let host = addr.to_string();
    let ct = "application/x-www-form-urlencoded; charset=utf-8";
    let headers = palisade_api::sigv4::sign_post(
        KEY,
        SECRET,
        "us-east-1",
        "ec2",
        &host,
        "/",
        ct,
        form.as_bytes(),
        SystemTime::now(),
    );
    let mut out = Vec::with_capacity(form.len() + 512);
    let _ = write!(out, "POST / HTTP/1.1\r\n");
    for (n, v) in headers {
        let _ = write!(out, "{n}: {v}\r\n");
    }
    let _ = write!(out, "content-length: {}\r\n\r\n{form}", form.len());
    out
}

/// A keep-alive connection sending one request at a time.
struct Conn {
    addr: SocketAddr,
    /// `None` after the server closed it (moto answers `Connection: close`).
    stream: Option<TcpStream>,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> anyhow::Result<Self> {
        Ok(Self {
            addr,
            stream: None,
            buf: Vec::with_capacity(16 * 1024),
        })
    }

    /// Sends `req` and returns (status, body).
    async fn call(&mut self, req: &[u8]) -> anyhow::Result<(u16, String)> {
        let stream = match &mut self.stream {
            Some(s) => s,
            None => {
                let s = TcpStream::connect(self.addr).await?;
                s.set_nodelay(true)?;
                self.stream.insert(s)
            }
        };
        let res = Self::exchange(stream, &mut self.buf, req).await;
        match res {
            Ok((status, body, close)) => {
                if close {
                    self.stream = None;
                }
                Ok((status, body))
            }
            Err(e) => {
                self.stream = None;
                Err(e)
            }
        }
    }

    async fn exchange(
        stream: &mut TcpStream,
        buf: &mut Vec<u8>,
        req: &[u8],
    ) -> anyhow::Result<(u16, String, bool)> {
        stream.write_all(req).await?;
        buf.clear();
        let mut chunk = [0u8; 16 * 1024];
        let head_end = loop {
            if let Some(pos) = find(buf, b"\r\n\r\n") {
                break pos + 4;
            }
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                bail!("connection closed");
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = std::str::from_utf8(&buf[..head_end])?.to_ascii_lowercase();
        let close = head.contains("\r\nconnection: close");
        let status: u16 = head.get(9..12).context("short status line")?.parse()?;
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .context("no content-length")?
            .trim()
            .parse()?;
        while buf.len() < head_end + len {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                bail!("connection closed mid-body");
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let body = String::from_utf8_lossy(&buf[head_end..head_end + len]).into_owned();
        Ok((status, body, close))
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Sends every request of `reqs` over `conns` connections; returns the bodies in order and
/// the wall time.
async fn run(
    addr: SocketAddr,
    reqs: Vec<Vec<u8>>,
    conns: usize,
) -> anyhow::Result<(Vec<String>, Duration)> {
    let reqs = Arc::new(reqs);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conns.max(1) {
        let (reqs, next) = (reqs.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await?;
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(req) = reqs.get(i) else { break };
                let (status, body) = conn.call(req).await?;
                if status != 200 {
                    bail!("request {i} answered {status}: {body}");
                }
                out.push((i, body));
            }
            anyhow::Ok(out)
        }));
    }
    let mut bodies = vec![String::new(); reqs.len()];
    for t in tasks {
        for (i, body) in t.await?? {
            bodies[i] = body;
        }
    }
    Ok((bodies, start.elapsed()))
}

/// One measured phase.
struct Phase {
    name: String,
    calls: usize,
    per_sec: f64,
    cpu_us: f64,
}

async fn measure(
    server: &Server,
    name: &str,
    reqs: Vec<Vec<u8>>,
    conns: usize,
) -> anyhow::Result<(Phase, Vec<String>)> {
    let calls = reqs.len();
    let before = cpu_time(server.pid)?;
    let (bodies, wall) = run(server.addr, reqs, conns).await?;
    let cpu = cpu_time(server.pid)? - before;
    let phase = Phase {
        name: format!("{name} ({conns} conn)"),
        calls,
        per_sec: calls as f64 / wall.as_secs_f64(),
        cpu_us: cpu.as_secs_f64() * 1e6 / calls as f64,
    };
    eprintln!(
        "{:>8} {:<40} {:>7} calls {:>9.0}/s {:>9.1} µs CPU/call",
        server.name, phase.name, phase.calls, phase.per_sec, phase.cpu_us
    );
    Ok((phase, bodies))
}

fn group_id(body: &str) -> Option<String> {
    let start = body.find("<groupId>")? + "<groupId>".len();
    let end = body[start..].find("</groupId>")? + start;
    Some(body[start..end].to_owned())
}

/// Seeds `groups` groups with two rules each; returns their ids.
async fn seed(server: &Server, groups: usize, conns: usize) -> anyhow::Result<Vec<String>> {
    let t = Instant::now();
    let creates = (0..groups)
        .map(|i| {
            signed(
                server.addr,
                &format!(
                    "Action=CreateSecurityGroup&Version=2016-11-15&GroupName=bench-{i}&GroupDescription=bench"
                ),
            )
        })
        .collect();
    let (bodies, _) = run(server.addr, creates, conns).await?;
    let ids: Vec<String> = bodies.iter().filter_map(|b| group_id(b)).collect();
    if ids.len() != groups {
        bail!("{}: created {} of {groups} groups", server.name, ids.len());
    }
    let rules = ids
        .iter()
        .map(|id| {
            signed(
                server.addr,
                &format!(
                    "Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&GroupId={id}\
                     &IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=443&IpPermissions.1.ToPort=443\
                     &IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0%2F8\
                     &IpPermissions.2.IpProtocol=tcp&IpPermissions.2.FromPort=22&IpPermissions.2.ToPort=22\
                     &IpPermissions.2.Groups.1.GroupId={id}"
                ),
            )
        })
        .collect();
    run(server.addr, rules, conns).await?;
    eprintln!(
        "{:>8} seeded {groups} groups in {:.1} s",
        server.name,
        t.elapsed().as_secs_f64()
    );
    Ok(ids)
}

async fn phases(server: &Server, a: &Args, groups: usize) -> anyhow::Result<Vec<Phase>> {
    let ids = seed(server, groups, a.conns).await?;
    let pick = |i: usize| &ids[(i * 7919) % ids.len()];
    let describe = |n: usize| -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| {
                signed(
                    server.addr,
                    &format!(
                        "Action=DescribeSecurityGroups&Version=2016-11-15&GroupId.1={}",
                        pick(i)
                    ),
                )
            })
            .collect()
    };
    let mut out = Vec::new();
    let sequential = (a.calls / 20).max(100);
    out.push(
        measure(server, "DescribeSecurityGroups", describe(sequential), 1)
            .await?
            .0,
    );
    out.push(
        measure(server, "DescribeSecurityGroups", describe(a.calls), a.conns)
            .await?
            .0,
    );
    let vpcs = |n: usize| -> Vec<Vec<u8>> {
        (0..n)
            .map(|_| signed(server.addr, "Action=DescribeVpcs&Version=2016-11-15"))
            .collect()
    };
    out.push(
        measure(server, "DescribeVpcs", vpcs(sequential), 1)
            .await?
            .0,
    );
    out.push(
        measure(server, "DescribeVpcs", vpcs(a.calls), a.conns)
            .await?
            .0,
    );
    // Writes: one new rule per call on distinct groups (a fresh port per round), then their
    // revocation.
    let perm = |i: usize| {
        format!(
            "GroupId={}&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort={port}\
             &IpPermissions.1.ToPort={port}&IpPermissions.1.IpRanges.1.CidrIp=192.0.2.0%2F24",
            ids[i % ids.len()],
            port = 1000 + i / ids.len()
        )
    };
    let authorize = (0..a.writes)
        .map(|i| {
            signed(
                server.addr,
                &format!(
                    "Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&{}",
                    perm(i)
                ),
            )
        })
        .collect();
    out.push(
        measure(server, "AuthorizeSecurityGroupIngress", authorize, a.conns)
            .await?
            .0,
    );
    let revoke = (0..a.writes)
        .map(|i| {
            signed(
                server.addr,
                &format!(
                    "Action=RevokeSecurityGroupIngress&Version=2016-11-15&{}",
                    perm(i)
                ),
            )
        })
        .collect();
    out.push(
        measure(server, "RevokeSecurityGroupIngress", revoke, a.conns)
            .await?
            .0,
    );
    Ok(out)
}

fn main() -> anyhow::Result<()> {
    let a = args()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let ours = {
        let server = match a.attach {
            Some((addr, pid)) => Server {
                name: "palisade",
                addr,
                child: None,
                pid,
                _dir: None,
            },
            None => start_palisade(a.groups)?,
        };
        rt.block_on(phases(&server, &a, a.groups))?
    };
    let moto = match &a.moto {
        Some(bin) => {
            let server = start_moto(bin)?;
            // moto is ~100× slower per call: a tenth of the calls keeps the run short; one
            // connection, since its threaded server answers 500s under 64.
            let scaled = Args {
                calls: (a.calls / 10).max(200),
                writes: (a.writes / 10).max(200),
                conns: 1,
                moto: None,
                ..a
            };
            Some(rt.block_on(phases(&server, &scaled, a.moto_groups))?)
        }
        None => None,
    };
    println!(
        "\n| phase ({} groups) | palisade calls/s | palisade CPU µs/call | moto calls/s | moto CPU µs/call | CPU ratio |",
        a.groups
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (i, p) in ours.iter().enumerate() {
        let m = moto.as_ref().and_then(|m| m.get(i));
        let (mrate, mcpu, ratio) = match m {
            Some(m) => (
                format!("{:.0}", m.per_sec),
                format!("{:.0}", m.cpu_us),
                format!("{:.0}×", m.cpu_us / p.cpu_us),
            ),
            None => ("–".into(), "–".into(), "–".into()),
        };
        println!(
            "| {} | {:.0} | {:.1} | {mrate} | {mcpu} | {ratio} |",
            p.name, p.per_sec, p.cpu_us
        );
    }
    Ok(())
}
