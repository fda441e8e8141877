//! `palisade agent` end to end, as an operator runs it: the real binary with `--netns` on a
//! routed "host" namespace this test creates (never the machine's own), a temporary snapshot
//! directory and state file. It checks the fail-closed start, generation 1 in force and shown
//! by `palisade agent status --json`, a rule authorized and a membership change picked up from
//! the files (in `nft list` and with real TCP connects between two instance namespaces), and
//! a malformed snapshot that keeps the previous ruleset and reports `last_error` until it is
//! removed, and a transient nft failure retried on the next tick. The lab is shared with
//! `agent_server` (the same agent following `palisade serve`).
//!
//! Gated like the data-plane traffic suite: needs root, `nft`, `ip`, `conntrack` and
//! `python3`; skipped with a printed reason otherwise, and failed when `CI` is set. Every wait
//! polls against a deadline; the agent, the listeners and the namespaces go on drop, also when
//! an assertion fails.
#![allow(clippy::print_stderr)]

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use palisade_model::{
    AccountId, ConntrackConfig, Direction, Eni, EniId, GroupId, GroupRef, Peer, Rule, RuleId,
    RuleSpec, SecurityGroup, Snapshot, Traffic, Vpc, VpcId,
};
use serde_json::Value;

/// The data plane's probe tool (TCP listeners and connects), shared with its traffic suite.
pub(crate) const PROBE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../palisade-dataplane/tests/it/probe.py"
);
/// How long the agent may take to pick up a change (it polls every 50 ms; CI is a shared
/// 2-core machine).
const DEADLINE: Duration = Duration::from_secs(20);

const CLIENT_ENI: &str = "eni-00000001";
const DB_ENI: &str = "eni-00000002";
/// An interface on another host (its link is not mapped): its memberships reach this host
/// only as set elements.
const REMOTE_ENI: &str = "eni-00000003";
pub(crate) const CLIENT: &str = "10.0.1.10";
pub(crate) const DB: &str = "10.0.2.10";
const REMOTE: &str = "10.0.3.10";

#[test]
fn agent_applies_generations_from_a_snapshot_dir() {
    let Some(mut lab) = AgentLab::new() else {
        return;
    };
    lab.serve("db", &["tcp:5432", "tcp:7000"]);
    // Before the agent, nothing filters: the lab routes between the instances.
    lab.expect(&[
        ("client", 7000, true),
        ("client", 5432, true),
        ("remote", 5432, true),
    ]);

    // Fail closed: with no valid snapshot yet, the closed ruleset is in and stays in.
    let metrics = free_loopback_addr();
    lab.start_agent(&metrics);
    let state = lab.wait_state("the fail-closed start with an empty directory", |s| {
        !s["last_error"].is_null()
    });
    assert_eq!(state["generation"], 0, "{state}");
    let table = lab.nft_list();
    assert!(table.contains("\"eni1\" : drop"), "{table}");
    lab.expect(&[("client", 7000, false), ("client", 5432, false)]);

    // Generation 1: the database admits 5432 from the web group only; the client is not in it.
    let mut world = world();
    lab.write_snapshot(&world);
    let state = lab.wait_state("generation 1", |s| s["generation"] == 1);
    // The fail-closed ruleset is known to be in force: only what changed is sent.
    assert_eq!(state["applied"], "incremental", "{state}");
    assert!(state["last_error"].is_null(), "{state}");
    assert_eq!(state["interfaces"], 2, "{state}");
    lab.expect(&[
        ("client", 7000, false),
        ("client", 5432, false),
        ("remote", 5432, false),
    ]);

    // Generation 2: a rule authorized on the database (7000 from the client's address).
    authorize(
        &mut world,
        7000,
        Peer::Ipv4(format!("{CLIENT}/32").parse().unwrap()),
    );
    lab.write_snapshot(&world);
    let state = lab.wait_state("generation 2", |s| s["generation"] == 2);
    assert_eq!(state["applied"], "incremental", "{state}");
    let table = lab.nft_list();
    // A CIDR rule with a port is an element of its group's `address . port` set.
    assert!(table.contains(&format!("{CLIENT} . 7000")), "{table}");
    lab.expect(&[
        ("client", 7000, true),
        ("client", 5432, false),
        ("remote", 7000, false),
    ]);
    // The agent's metrics: two incremental generations, the connects the database's groups
    // refused counted on its interface, nothing waiting.
    let text = scrape(&metrics);
    assert_eq!(
        metric(&text, "palisade_agent_generation"),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            "palisade_agent_apply_seconds_count{kind=\"incremental\"}"
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        metric(&text, "palisade_agent_ruleset_interfaces"),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        metric(&text, "palisade_agent_lag_seconds"),
        Some(0.0),
        "{text}"
    );
    let dropped = metric(
        &text,
        &format!(
            "palisade_agent_dropped_packets_total{{interface=\"{DB_ENI}\",direction=\"ingress\"}}"
        ),
    );
    assert!(dropped.is_some_and(|d| d >= 1.0), "{text}");
    let judged = metric(
        &text,
        &format!(
            "palisade_agent_judged_packets_total{{interface=\"{DB_ENI}\",direction=\"ingress\"}}"
        ),
    );
    assert!(judged >= dropped, "{text}");

    // Generation 3: the remote instance joins the web group: only a set element changes.
    set_groups(&mut world, REMOTE_ENI, &[gid(9), gid(1)]);
    lab.write_snapshot(&world);
    let state = lab.wait_state("generation 3", |s| s["generation"] == 3);
    assert_eq!(state["applied"], "members", "{state}");
    let set = lab.nft(&["list", "set", "inet", "palisade", "grp_00000001_v4"]);
    assert!(set.contains(REMOTE), "{set}");
    lab.expect(&[("remote", 5432, true), ("client", 5432, false)]);

    // A malformed file: the previous ruleset stays in force and the error is reported.
    let before = lab.nft_list();
    std::fs::write(
        lab.snapshot_dir().join("broken.json"),
        "{\"SecurityGroups\": [",
    )
    .unwrap();
    let state = lab.wait_state("the malformed snapshot's error", |s| {
        !s["last_error"].is_null()
    });
    assert_eq!(state["generation"], 3, "{state}");
    assert!(
        state["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("broken.json")),
        "the error names the file: {state}"
    );
    assert_eq!(
        lab.nft_list(),
        before,
        "the previous ruleset stays in force"
    );
    lab.expect(&[
        ("client", 7000, true),
        ("remote", 5432, true),
        ("client", 5432, false),
    ]);
    let out = lab.palisade(&["agent", "status", "--state-file", lab.state_file()]);
    assert_eq!(out.status.code(), Some(1), "status reports the failure");

    // Fixed again: the content is the one in force, so the error clears without a new
    // generation.
    std::fs::remove_file(lab.snapshot_dir().join("broken.json")).unwrap();
    let state = lab.wait_state("the error cleared", |s| s["last_error"].is_null());
    assert_eq!(state["generation"], 3, "{state}");
    assert_eq!(state["applied"], "members", "{state}");
    let out = lab.palisade(&["agent", "status", "--state-file", lab.state_file()]);
    assert_eq!(out.status.code(), Some(0));

    // A rewrite that changes nothing on this host: a new generation, nothing to change in
    // the kernel.
    world
        .enis
        .get_mut(&REMOTE_ENI.parse::<EniId>().unwrap())
        .unwrap()
        .description = "renamed".into();
    lab.write_snapshot(&world);
    let state = lab.wait_state("generation 4", |s| s["generation"] == 4);
    assert_eq!(state["applied"], "unchanged", "{state}");
    assert!(state["last_error"].is_null(), "{state}");
    assert_eq!(lab.nft_list(), before);

    // A transient nft failure: the table vanishes behind the agent's back, so the next
    // membership delta fails to load. The same content is retried on the next tick, as a
    // whole replace, without waiting for the inputs to change again.
    lab.nft(&["delete", "table", "inet", "palisade"]);
    set_groups(&mut world, REMOTE_ENI, &[gid(9)]);
    lab.write_snapshot(&world);
    let state = lab.wait_state("generation 5, retried", |s| s["generation"] == 5);
    assert_eq!(state["applied"], "replace", "{state}");
    assert!(state["last_error"].is_null(), "{state}");
    assert!(
        lab.log().contains("generation 5 not applied"),
        "the first attempt failed:\n{}",
        lab.log()
    );
    lab.expect(&[
        ("client", 7000, true),
        ("remote", 5432, false),
        ("client", 5432, false),
    ]);
}

/// A VPC with a web group (1), a database group (2) admitting tcp/5432 from the web group, a
/// client group (9) with all egress; the client (instance 1) and the remote instance (3) are
/// in group 9, the database (instance 2) in group 2.
fn world() -> Snapshot {
    let vpc: VpcId = "vpc-00000001".parse().unwrap();
    let mut snap = Snapshot::default();
    snap.vpcs.insert(
        vpc.clone(),
        Vpc {
            id: vpc.clone(),
            owner: account(),
            cidrs_v4: vec!["10.0.0.0/16".parse().unwrap()],
            cidrs_v6: Vec::new(),
            is_default: false,
            tags: Vec::new(),
            attributes: Default::default(),
        },
    );
    for (n, name) in [(1, "web"), (2, "db"), (9, "client")] {
        let g = SecurityGroup::empty(gid(n), name.into(), name.into(), vpc.clone(), account());
        snap.groups.insert(gid(n), g);
    }
    for n in [1, 9] {
        add_rule(
            &mut snap,
            n,
            Direction::Egress,
            Traffic::All,
            Peer::Ipv4("0.0.0.0/0".parse().unwrap()),
        );
    }
    authorize(&mut snap, 5432, Peer::Group(GroupRef::same_account(gid(1))));
    for (id, addr, group) in [
        (CLIENT_ENI, CLIENT, 9),
        (DB_ENI, DB, 2),
        (REMOTE_ENI, REMOTE, 9),
    ] {
        let eni = Eni {
            id: id.parse().unwrap(),
            owner: account(),
            vpc_id: vpc.clone(),
            subnet_id: None,
            private_ipv4: vec![addr.parse().unwrap()],
            ipv6: Vec::new(),
            public_ipv4: None,
            groups: vec![gid(group)],
            instance_id: None,
            description: String::new(),
            conntrack: ConntrackConfig::default(),
            tags: Vec::new(),
        };
        snap.enis.insert(eni.id.clone(), eni);
    }
    snap
}

fn account() -> AccountId {
    "111122223333".parse().unwrap()
}

fn gid(n: u32) -> GroupId {
    format!("sg-{n:08x}").parse().unwrap()
}

/// Ingress tcp/`port` from `peer` on the database group.
fn authorize(snap: &mut Snapshot, port: i64, peer: Peer) {
    let traffic = Traffic::parse("tcp", Some(port), Some(port)).unwrap();
    add_rule(snap, 2, Direction::Ingress, traffic, peer);
}

fn add_rule(snap: &mut Snapshot, group: u32, direction: Direction, traffic: Traffic, peer: Peer) {
    let n_rules: usize = snap.groups.values().map(|g| g.rules().len()).sum();
    let rule = Rule {
        id: format!("sgr-{:08x}", n_rules + 1)
            .parse::<RuleId>()
            .unwrap(),
        group_id: gid(group),
        spec: RuleSpec {
            direction,
            traffic,
            peer,
        },
        description: None,
        tags: Vec::new(),
    };
    snap.groups
        .get_mut(&gid(group))
        .unwrap()
        .insert_existing(rule)
        .unwrap();
}

fn set_groups(snap: &mut Snapshot, eni: &str, groups: &[GroupId]) {
    let eni: EniId = eni.parse().unwrap();
    snap.enis.get_mut(&eni).unwrap().groups = groups.to_vec();
}

/// Why this test cannot run here, if it cannot.
fn unusable() -> Option<String> {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if !root {
        return Some("not running as root".into());
    }
    for tool in ["nft", "ip", "conntrack", "python3"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            return Some(format!(
                "{tool} is missing (scripts/test.d/setup-dataplane.sh installs it)"
            ));
        }
    }
    None
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A routed host namespace with a client (`eni1`), a database (`eni2`) and a remote instance
/// (`eni3`, not mapped: like a link to another host) behind it, a snapshot directory, the
/// agent and the listeners: all removed on drop.
pub(crate) struct AgentLab {
    prefix: String,
    namespaces: Vec<String>,
    children: Vec<Child>,
    agent: Option<Child>,
    dir: tempfile::TempDir,
    state_file: String,
}

impl AgentLab {
    /// `None` (with the reason printed) when the test cannot run here; with `CI` set it must.
    pub(crate) fn new() -> Option<Self> {
        Self::with_prefix("pag")
    }

    /// [`AgentLab::new`] with namespaces named `TAG{pid}x{n}-*`.
    pub(crate) fn with_prefix(tag: &str) -> Option<Self> {
        if let Some(reason) = unusable() {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but the agent test cannot run: {reason}"
            );
            eprintln!("skipping the palisade agent test: {reason}");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("snapshot")).unwrap();
        let state_file = dir.path().join("state/agent.json");
        let mut lab = Self {
            prefix: format!(
                "{tag}{}x{}",
                std::process::id(),
                SEQ.fetch_add(1, Ordering::SeqCst)
            ),
            namespaces: Vec::new(),
            children: Vec::new(),
            agent: None,
            state_file: state_file.to_str().unwrap().to_owned(),
            dir,
        };
        eprintln!("agent lab: namespaces {}-*", lab.prefix);
        let host = lab.add_ns("host");
        for kv in [
            "net.ipv4.ip_forward=1",
            "net.ipv4.conf.all.rp_filter=0",
            "net.ipv4.conf.default.rp_filter=0",
        ] {
            sh(&["ip", "netns", "exec", &host, "sysctl", "-qw", kv]);
        }
        lab.instance("client", "eni1", 1);
        lab.instance("db", "eni2", 2);
        lab.instance("remote", "eni3", 3);
        Some(lab)
    }

    fn ns(&self, role: &str) -> String {
        format!("{}-{role}", self.prefix)
    }

    fn add_ns(&mut self, role: &str) -> String {
        let ns = self.ns(role);
        sh(&["ip", "netns", "add", &ns]);
        self.namespaces.push(ns.clone());
        sh(&["ip", "-n", &ns, "link", "set", "lo", "up"]);
        ns
    }

    /// Namespace `role` at `10.0.n.10/24` behind host interface `host_if` (`10.0.n.1`).
    fn instance(&mut self, role: &str, host_if: &str, n: u8) {
        let ns = self.add_ns(role);
        let host = self.ns("host");
        let (inner, outer) = (format!("10.0.{n}.10/24"), format!("10.0.{n}.1/24"));
        #[rustfmt::skip]
        let steps: [&[&str]; 6] = [
            &["ip", "-n", &host, "link", "add", host_if, "type", "veth", "peer", "name", "eth0", "netns", &ns],
            &["ip", "-n", &host, "addr", "add", &outer, "dev", host_if],
            &["ip", "-n", &host, "link", "set", host_if, "up"],
            &["ip", "-n", &ns, "addr", "add", &inner, "dev", "eth0"],
            &["ip", "-n", &ns, "link", "set", "eth0", "up"],
            &["ip", "-n", &ns, "route", "add", "default", "via", &format!("10.0.{n}.1")],
        ];
        for step in steps {
            sh(step);
        }
    }

    fn snapshot_dir(&self) -> PathBuf {
        self.dir.path().join("snapshot")
    }

    pub(crate) fn state_file(&self) -> &str {
        &self.state_file
    }

    fn log_file(&self) -> PathBuf {
        self.dir.path().join("agent.log")
    }

    /// Writes the snapshot as describe-* JSON, renamed into place so that the agent never
    /// reads half a file (it only looks at `*.json`).
    fn write_snapshot(&self, snap: &Snapshot) {
        let dir = self.snapshot_dir();
        let tmp = dir.join("snapshot.json.tmp");
        let text = serde_json::to_string_pretty(&palisade_ec2::export(snap)).unwrap();
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, dir.join("snapshot.json")).unwrap();
    }

    /// Starts the agent on the snapshot directory, its metrics on `metrics` (loopback).
    fn start_agent(&mut self, metrics: &str) {
        let dir = self.snapshot_dir();
        self.start_agent_with(
            &[
                "--snapshot-dir",
                dir.to_str().unwrap(),
                "--metrics-addr",
                metrics,
            ],
            (CLIENT_ENI, DB_ENI),
            &[],
        );
    }

    /// Starts the agent on the host namespace with `source` flags, the client's and the
    /// database's interface ids mapped to `eni1` and `eni2`, and `env` set.
    pub(crate) fn start_agent_with(
        &mut self,
        source: &[&str],
        (client_eni, db_eni): (&str, &str),
        env: &[(&str, &str)],
    ) {
        let log = std::fs::File::create(self.log_file()).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_palisade"))
            .arg("agent")
            .args(source)
            .args(["--map", &format!("{client_eni}=eni1")])
            .args(["--map", &format!("{db_eni}=eni2")])
            .args(["--state-file", &self.state_file])
            .args(["--interval-ms", "50", "--netns", &self.ns("host")])
            .envs(env.iter().copied())
            .env("PALISADE_LOG", "info")
            // Plain text, so that the log can be searched and read in failure messages.
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the palisade binary runs");
        self.agent = Some(child);
    }

    pub(crate) fn palisade(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_palisade"))
            .args(args)
            .env("PALISADE_LOG", "warn")
            .output()
            .expect("the palisade binary runs")
    }

    /// Polls `palisade agent status --json` until `done` holds, failing at the deadline (or
    /// when the agent exits) with the last state and the agent's log.
    #[track_caller]
    pub(crate) fn wait_state(&mut self, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        let mut last = Value::Null;
        while start.elapsed() < DEADLINE {
            if let Some(agent) = &mut self.agent
                && let Ok(Some(status)) = agent.try_wait()
            {
                panic!(
                    "the agent exited ({status}) waiting for {what}: {}",
                    self.log()
                );
            }
            let out = self.palisade(&[
                "agent",
                "status",
                "--json",
                "--state-file",
                &self.state_file,
            ]);
            if out.status.success() {
                last = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
                if done(&last) {
                    return last;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "no {what} within {DEADLINE:?}; last state {last}; agent log:\n{}",
            self.log()
        );
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.log_file()).unwrap_or_default()
    }

    fn nft(&self, args: &[&str]) -> String {
        let host = self.ns("host");
        let out = sh(&[&["ip", "netns", "exec", &host, "nft"], args].concat());
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The table without counter values (`-s`), which traffic changes.
    pub(crate) fn nft_list(&self) -> String {
        self.nft(&["-s", "list", "table", "inet", "palisade"])
    }

    /// Starts the probe's listeners in `role` and waits until they listen.
    pub(crate) fn serve(&mut self, role: &str, specs: &[&str]) {
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.ns(role), "python3", PROBE, "serve"])
            .args(specs)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn probe server");
        let mut line = String::new();
        let stdout = child.stdout.take().unwrap();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
        self.children.push(child);
        assert_eq!(line.trim(), "ready", "probe server in {role} did not start");
    }

    /// TCP connects to the database, all at once: `(from, port, should pass)`.
    #[track_caller]
    pub(crate) fn expect(&self, cases: &[(&str, u16, bool)]) {
        let running: Vec<Child> = cases
            .iter()
            .map(|(from, port, allow)| {
                // Expected failures wait less; an allowed reply comes back in milliseconds.
                let t = if *allow { "3" } else { "1" };
                Command::new("ip")
                    .args(["netns", "exec", &self.ns(from), "python3", PROBE, "tcp", DB])
                    .args([&port.to_string(), t])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("spawn probe")
            })
            .collect();
        let mut wrong = Vec::new();
        for ((from, port, allow), mut child) in cases.iter().zip(running) {
            let passed = child.wait().unwrap().success();
            if passed != *allow {
                wrong.push(format!(
                    "{from} -> {DB}:{port}: passed={passed}, expected {allow}"
                ));
            }
        }
        assert!(
            wrong.is_empty(),
            "{}\nagent log:\n{}",
            wrong.join("\n"),
            self.log()
        );
    }
}

impl Drop for AgentLab {
    fn drop(&mut self) {
        for child in self.agent.iter_mut().chain(&mut self.children) {
            let _ = child.kill();
            let _ = child.wait();
        }
        for ns in self.namespaces.iter().rev() {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// Runs a command, panicking with its stderr when it fails.
/// A loopback address with a port free a moment ago (for a listener the test's child opens).
pub(crate) fn free_loopback_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

/// `GET /metrics` from `addr`: the body.
pub(crate) fn scrape(addr: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("the agent's metrics listener");
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default()
}

/// The value of the series named exactly `series` (name and labels) in a scrape.
pub(crate) fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn sh(args: &[&str]) -> Output {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .expect("spawn");
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
