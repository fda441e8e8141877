//! Network-namespace labs: a routed "host" namespace where the ruleset lives, one namespace
//! per instance joined to it by a veth pair (host end `eni<n>`, instance end `eth0`), and
//! uplinks to an "inet" host and an "admin" host. Only documentation and private addresses
//! are used, all inside the lab; the real host's namespace, tables and routes are never
//! touched. Every namespace and process is removed on drop, also when a test fails.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use palisade_dataplane::{ApplyReport, LocalInterface, Nft, Ruleset, render};
use palisade_model::Snapshot;

use crate::render::local;

const PROBE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/probe.py");

/// Why the traffic suite cannot run here, if it cannot.
pub(crate) fn unusable() -> Option<String> {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .is_some_and(|o| o.stdout.starts_with(b"0\n"));
    if !root {
        return Some("not running as root".into());
    }
    for tool in ["nft", "ip", "conntrack", "ping", "python3"] {
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

/// A lab, or `None` (with the reason printed) when traffic tests cannot run here. With `CI`
/// set they must run, so a missing prerequisite fails the test instead.
pub(crate) fn lab(tag: &str) -> Option<Lab> {
    if let Some(reason) = unusable() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but the data-plane suite cannot run: {reason}"
        );
        eprintln!("skipping data-plane traffic test {tag}: {reason}");
        return None;
    }
    Some(Lab::new(tag))
}

static SEQ: AtomicU32 = AtomicU32::new(0);

#[derive(Debug)]
pub(crate) struct Lab {
    prefix: String,
    namespaces: Vec<String>,
    children: Vec<Child>,
    pub(crate) nft: Nft,
    pub(crate) ifaces: Vec<LocalInterface>,
    pub(crate) current: Option<Ruleset>,
}

/// A probe from one namespace.
#[derive(Debug, Clone)]
pub(crate) enum Probe {
    Tcp(String, u16),
    Udp(String, u16),
    Http(String, u16),
    Ping(String),
}

impl Lab {
    fn new(tag: &str) -> Self {
        let prefix = format!(
            "pal{}x{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        );
        let mut lab = Self {
            prefix,
            namespaces: Vec::new(),
            children: Vec::new(),
            nft: Nft::host(),
            ifaces: Vec::new(),
            current: None,
        };
        eprintln!("lab {tag}: namespaces {}-*", lab.prefix);
        let host = lab.add_ns("host");
        lab.nft = Nft::in_netns(&host);
        for kv in [
            "net.ipv4.ip_forward=1",
            "net.ipv6.conf.all.forwarding=1",
            "net.ipv4.conf.all.rp_filter=0",
            "net.ipv4.conf.default.rp_filter=0",
        ] {
            lab.sh(&["ip", "netns", "exec", &host, "sysctl", "-qw", kv]);
        }
        // The platform's services live on the host: the VPC resolver (10.0.0.0/16 base + 2)
        // and instance metadata.
        lab.sh(&["ip", "-n", &host, "addr", "add", "10.0.0.2/32", "dev", "lo"]);
        lab.sh(&[
            "ip",
            "-n",
            &host,
            "addr",
            "add",
            "169.254.169.254/32",
            "dev",
            "lo",
        ]);
        lab.link("inet", "up-inet", "203.0.113", "2001:db8:ff00:");
        lab.link("admin", "up-admin", "198.51.100", "2001:db8:ad:");
        lab
    }

    pub(crate) fn ns(&self, role: &str) -> String {
        format!("{}-{role}", self.prefix)
    }

    fn add_ns(&mut self, role: &str) -> String {
        let ns = self.ns(role);
        self.sh(&["ip", "netns", "add", &ns]);
        self.namespaces.push(ns.clone());
        self.sh(&["ip", "-n", &ns, "link", "set", "lo", "up"]);
        for kv in [
            "net.ipv6.conf.all.accept_dad=0",
            "net.ipv6.conf.default.accept_dad=0",
        ] {
            self.sh(&["ip", "netns", "exec", &ns, "sysctl", "-qw", kv]);
        }
        ns
    }

    /// A namespace `role` linked to the host: `<v4>.10/24` and `<v6>:10/64` inside, `.1` and
    /// `::1` on the host end `host_if`.
    fn link(&mut self, role: &str, host_if: &str, v4: &str, v6: &str) {
        let ns = self.add_ns(role);
        let host = self.ns("host");
        self.sh(&[
            "ip", "-n", &host, "link", "add", host_if, "type", "veth", "peer", "name", "eth0",
            "netns", &ns,
        ]);
        self.sh(&[
            "ip",
            "-n",
            &host,
            "addr",
            "add",
            &format!("{v4}.1/24"),
            "dev",
            host_if,
        ]);
        self.sh(&[
            "ip",
            "-n",
            &host,
            "addr",
            "add",
            &format!("{v6}:1/64"),
            "dev",
            host_if,
            "nodad",
        ]);
        self.sh(&["ip", "-n", &host, "link", "set", host_if, "up"]);
        self.sh(&[
            "ip",
            "-n",
            &ns,
            "addr",
            "add",
            &format!("{v4}.10/24"),
            "dev",
            "eth0",
        ]);
        self.sh(&[
            "ip",
            "-n",
            &ns,
            "addr",
            "add",
            &format!("{v6}:10/64"),
            "dev",
            "eth0",
            "nodad",
        ]);
        self.sh(&["ip", "-n", &ns, "link", "set", "eth0", "up"]);
        self.sh(&[
            "ip",
            "-n",
            &ns,
            "route",
            "add",
            "default",
            "via",
            &format!("{v4}.1"),
        ]);
        self.sh(&[
            "ip",
            "-n",
            &ns,
            "-6",
            "route",
            "add",
            "default",
            "via",
            &format!("{v6}:1"),
        ]);
    }

    /// Instance `n` (`10.0.n.10`, `2001:db8:0:n::10`) behind host interface `eni<n>`;
    /// `mapped` puts the interface in the ruleset's map (else it is like a link to another
    /// host: outside the ruleset's interfaces).
    pub(crate) fn instance(&mut self, n: u8, mapped: bool) {
        self.link(
            &format!("i{n}"),
            &format!("eni{n}"),
            &format!("10.0.{n}"),
            &format!("2001:db8:0:{n}:"),
        );
        if mapped {
            self.ifaces.extend(local(&[n]));
        }
    }

    /// Starts the probe's servers in `role` and waits until they listen.
    pub(crate) fn serve(&mut self, role: &str, specs: &[&str]) {
        let ns = self.ns(role);
        let mut args = vec!["netns", "exec", &ns, "python3", PROBE, "serve"];
        args.extend(specs);
        let mut child = Command::new("ip")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn probe server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "probe server in {role} did not start");
        self.children.push(child);
    }

    /// Renders `snapshot` for the lab's mapped interfaces and applies it in the host namespace.
    pub(crate) fn apply(&mut self, snapshot: &Snapshot) -> ApplyReport {
        let next = render(snapshot, &self.ifaces).unwrap();
        let report = self.nft.apply(self.current.as_ref(), &next).unwrap();
        self.current = Some(next);
        report
    }

    /// Renders and replaces the whole table, whatever a delta would be.
    pub(crate) fn replace(&mut self, snapshot: &Snapshot) -> ApplyReport {
        let next = render(snapshot, &self.ifaces).unwrap();
        let report = self.nft.replace(self.current.as_ref(), &next).unwrap();
        self.current = Some(next);
        report
    }

    /// Runs a command, panicking with its stderr when it fails.
    pub(crate) fn sh(&self, args: &[&str]) -> Output {
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

    /// A command inside namespace `role`.
    pub(crate) fn cmd(&self, role: &str, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.ns(role)]).args(args);
        c
    }

    fn probe_cmd(&self, role: &str, probe: &Probe, allow: bool) -> Command {
        // Expected failures wait less; an allowed reply comes back in milliseconds here.
        let t = if allow { "3" } else { "1" };
        match probe {
            Probe::Tcp(a, p) => self.cmd(role, &["python3", PROBE, "tcp", a, &p.to_string(), t]),
            Probe::Udp(a, p) => self.cmd(role, &["python3", PROBE, "udp", a, &p.to_string(), t]),
            Probe::Http(a, p) => self.cmd(role, &["python3", PROBE, "http", a, &p.to_string(), t]),
            Probe::Ping(a) => self.cmd(role, &["ping", "-c", "1", "-W", t, a]),
        }
    }

    /// Runs every probe at once and fails listing every case that did not go as expected.
    #[track_caller]
    pub(crate) fn expect(&self, cases: &[(&str, Probe, bool)]) {
        let running: Vec<Child> = cases
            .iter()
            .map(|(role, probe, allow)| {
                self.probe_cmd(role, probe, *allow)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("spawn probe")
            })
            .collect();
        let mut wrong = Vec::new();
        for ((role, probe, allow), mut child) in cases.iter().zip(running) {
            let passed = child.wait().unwrap().success();
            if passed != *allow {
                let what = if *allow {
                    "blocked, expected to pass"
                } else {
                    "passed, expected to be blocked"
                };
                wrong.push(format!("{role} -> {probe:?}: {what}"));
            }
        }
        assert!(
            wrong.is_empty(),
            "{} of {} probes wrong:\n{}",
            wrong.len(),
            cases.len(),
            wrong.join("\n")
        );
    }

    /// A long-lived TCP connection from `role`.
    pub(crate) fn stream(&mut self, role: &str, addr: &str, port: u16) -> Stream {
        let mut child = self
            .cmd(role, &["python3", PROBE, "stream", addr, &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn stream");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        assert_eq!(
            line.trim(),
            "connected",
            "stream from {role} to {addr}:{port}"
        );
        self.children.push(child);
        Stream {
            stdin,
            stdout,
            n: 0,
        }
    }

    /// Conntrack entries in the host namespace that mention `addr`.
    pub(crate) fn conntrack_count(&self, args: &[&str]) -> usize {
        let out = self
            .cmd("host", &["conntrack", "-L"])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        for ns in self.namespaces.iter().rev() {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// The client end of a [`Lab::stream`].
#[derive(Debug)]
pub(crate) struct Stream {
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    n: u32,
}

impl Stream {
    /// Sends one message; true when its echo came back.
    pub(crate) fn exchange(&mut self) -> bool {
        self.n += 1;
        writeln!(self.stdin, "msg{}", self.n).unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line.trim() == "ok"
    }
}
