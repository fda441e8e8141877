//! An acknowledged write survives `kill -9`: several clients write to `palisade serve`
//! (SQLite) at once until the writes acknowledged reach a count, the server is killed with
//! SIGKILL the moment the last client has its last answer (a server that answered before
//! committing would lose the last batch), and a server restarted on the same database holds
//! every acknowledged write, and no write half-applied (a group's two rules came in one
//! call: both or neither). Also the `--metrics-addr` listener, scraped after calls.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, SystemTime};

const KEY: &str = "AKIAPALISADEDURABLE1";
const SECRET: &str = "durability-test-secret";
const ACCOUNT: &str = "444455556666";
const CLIENTS: usize = 8;
/// Acknowledged writes (creates and authorizes) after which the server is killed.
const KILL_AFTER: usize = 160;
const PATIENCE: Duration = Duration::from_secs(30);

/// `palisade serve` on `dir`'s database; the lines it prints first (its addresses).
fn serve(dir: &Path, extra: &[&str], n_lines: usize) -> (Child, Vec<String>) {
    let keys = dir.join("keys");
    std::fs::write(&keys, format!("{KEY} {SECRET} {ACCOUNT}\n")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(dir.join("palisade.db"))
        .arg("--keys")
        .arg(&keys)
        .args(extra)
        .env_remove("PALISADE_ACCESS_KEY_ID")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let lines = (0..n_lines)
        .map(|_| rx.recv_timeout(PATIENCE).expect("palisade serve started"))
        .collect();
    (child, lines)
}

fn host(lines: &[String], prefix: &str) -> String {
    let line = lines
        .iter()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no '{prefix}' line in {lines:?}"));
    let host = line.strip_prefix("http://").unwrap();
    host.split('/').next().unwrap().to_owned()
}

/// A keep-alive connection sending signed EC2 calls.
struct Client {
    host: String,
    stream: TcpStream,
}

impl Client {
    fn connect(host: &str) -> Self {
        let stream = TcpStream::connect(host).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        Self {
            host: host.to_owned(),
            stream,
        }
    }

    /// One call: `(status, body)`, or `None` when the server is gone.
    fn call(&mut self, action: &str, params: &[(&str, &str)]) -> Option<(u16, String)> {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("Action", action)
            .append_pair("Version", "2016-11-15");
        for (k, v) in params {
            form.append_pair(k, v);
        }
        let body = form.finish();
        let headers = palisade_api::sigv4::sign_post(
            KEY,
            SECRET,
            "us-east-1",
            "ec2",
            &self.host,
            "/",
            "application/x-www-form-urlencoded; charset=utf-8",
            body.as_bytes(),
            SystemTime::now(),
        );
        let mut req = String::from("POST / HTTP/1.1\r\n");
        for (n, v) in &headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        req.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
        self.stream.write_all(req.as_bytes()).ok()?;
        read_response(&mut self.stream)
    }
}

fn read_response(stream: &mut TcpStream) -> Option<(u16, String)> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let status = head.get(9..12)?.parse().ok()?;
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())?;
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).ok()?;
    Some((status, String::from_utf8_lossy(&body).into_owned()))
}

fn text<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let from = xml.find(&open)? + open.len();
    let len = xml[from..].find(&format!("</{tag}>"))?;
    Some(&xml[from..from + len])
}

/// What one client saw acknowledged: group ids created, and those whose two rules were.
#[derive(Debug, Default)]
struct Acked {
    created: Vec<String>,
    authorized: Vec<String>,
}

/// Writes until `acks` reaches [`KILL_AFTER`]: create a group, then authorize two rules on
/// it in one call.
fn write_until_enough(host: &str, n: usize, acks: &AtomicUsize) -> Acked {
    let mut client = Client::connect(host);
    let mut acked = Acked::default();
    for i in 0.. {
        if acks.load(Ordering::SeqCst) >= KILL_AFTER {
            break;
        }
        let name = format!("c{n}-{i}");
        let params = [("GroupName", name.as_str()), ("GroupDescription", "d")];
        let (status, body) = client.call("CreateSecurityGroup", &params).unwrap();
        assert_eq!(status, 200, "{body}");
        let id = text(&body, "groupId").unwrap().to_owned();
        acked.created.push(id.clone());
        acks.fetch_add(1, Ordering::SeqCst);
        let (p1, p2) = ((1000 + i).to_string(), (2000 + i).to_string());
        let rules = [
            ("GroupId", id.as_str()),
            ("IpPermissions.1.IpProtocol", "tcp"),
            ("IpPermissions.1.FromPort", p1.as_str()),
            ("IpPermissions.1.ToPort", p1.as_str()),
            ("IpPermissions.1.IpRanges.1.CidrIp", "10.0.0.0/8"),
            ("IpPermissions.2.IpProtocol", "tcp"),
            ("IpPermissions.2.FromPort", p2.as_str()),
            ("IpPermissions.2.ToPort", p2.as_str()),
            ("IpPermissions.2.IpRanges.1.CidrIp", "10.0.0.0/8"),
        ];
        let (status, body) = client
            .call("AuthorizeSecurityGroupIngress", &rules)
            .unwrap();
        assert_eq!(status, 200, "{body}");
        acked.authorized.push(id);
        acks.fetch_add(1, Ordering::SeqCst);
    }
    acked
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, lines) = serve(dir.path(), &[], 1);
    let api = host(&lines, "listening on ");
    let acks = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| {
            let (host, acks) = (api.clone(), acks.clone());
            std::thread::spawn(move || write_until_enough(&host, n, &acks))
        })
        .collect();
    let seen: Vec<Acked> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    child.kill().unwrap(); // SIGKILL, right after the last answer
    child.wait().unwrap();
    let total: usize = seen
        .iter()
        .map(|a| a.created.len() + a.authorized.len())
        .sum();
    assert!(total >= KILL_AFTER, "{total} acknowledged");

    let (mut child, lines) = serve(dir.path(), &[], 1);
    let mut client = Client::connect(&host(&lines, "listening on "));
    let rules_of = |client: &mut Client, id: &str| {
        let (status, body) = client
            .call("DescribeSecurityGroups", &[("GroupId.1", id)])
            .unwrap();
        assert_eq!(status, 200, "acknowledged group {id} is gone: {body}");
        body.matches("<fromPort>").count()
    };
    for acked in &seen {
        for id in &acked.created {
            let rules = rules_of(&mut client, id);
            let authorized = acked.authorized.contains(id);
            match (authorized, rules) {
                // Egress rules carry no ports; ingress both or neither.
                (true, 2) | (false, 0 | 2) => {}
                _ => panic!("{id}: {rules} ports, authorize acknowledged: {authorized}"),
            }
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn the_metrics_listener_counts_the_calls() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, lines) = serve(dir.path(), &["--metrics-addr", "127.0.0.1:0"], 3);
    let mut client = Client::connect(&host(&lines, "listening on "));
    for _ in 0..3 {
        let (status, body) = client.call("DescribeVpcs", &[]).unwrap();
        assert_eq!(status, 200, "{body}");
    }
    let metrics = host(&lines, "metrics on ");
    let mut stream = TcpStream::connect(&metrics).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .unwrap();
    let (status, body) = read_response(&mut stream).unwrap();
    assert_eq!(status, 200);
    assert!(
        body.lines()
            .any(|l| l == r#"palisade_requests_total{action="DescribeVpcs",code="ok"} 3"#),
        "{body}"
    );
    // The API's own port has no metrics: only the listener asked for serves them.
    let mut api = TcpStream::connect(host(&lines, "listening on ")).unwrap();
    api.set_read_timeout(Some(PATIENCE)).unwrap();
    api.write_all(b"GET /metrics HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .unwrap();
    let (status, body) = read_response(&mut api).unwrap();
    assert_eq!(status, 404, "{body}");
    child.kill().unwrap();
    child.wait().unwrap();
}
