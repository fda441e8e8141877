//! `palisade eval --endpoint` against a real `palisade serve` child process on loopback: the
//! state is built through the EC2 Query API (requests signed with `palisade_api::sigv4`),
//! then eval answers allow (0) / deny (1) with the rule ids the API returned, and exit 2
//! for wrong credentials, an unreachable endpoint, a foreign region and `-i` with
//! `--endpoint`. Every wait on the server is bounded; the child is killed on drop.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use serde_json::Value;

pub(crate) const KEY: &str = "AKIAPALISADETEST0001";
pub(crate) const SECRET: &str = "endpoint-test-secret";
const ACCOUNT: &str = "111122223333";
pub(crate) const REGION: &str = "us-east-1";

/// How long the server may take to print its address (a shared 2-core CI machine).
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A `palisade serve` child with its own database and keys file (also used by the agent's
/// server-source test).
pub(crate) struct Server {
    child: Child,
    pub(crate) endpoint: String,
    dir: tempfile::TempDir,
}

impl Server {
    /// The server's SQLite database.
    pub(crate) fn db(&self) -> std::path::PathBuf {
        self.dir.path().join("palisade.db")
    }

    pub(crate) fn start() -> Self {
        Self::start_with(&[])
    }

    /// A server started with `extra` flags after the test's own.
    pub(crate) fn start_with(extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        std::fs::write(&keys, format!("{KEY} {SECRET} {ACCOUNT}\n")).unwrap();
        let (child, first) = spawn(dir.path(), "127.0.0.1:0", extra);
        // Owned before anything can fail, so the child is killed on drop.
        let mut server = Self {
            child,
            endpoint: String::new(),
            dir,
        };
        server.endpoint = first
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {first}"))
            .to_owned();
        server
    }

    /// Stops the server and starts it again on the same address and database.
    pub(crate) fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (child, first) = spawn(self.dir.path(), self.host(), &[]);
        self.child = child;
        assert_eq!(first, format!("listening on {}", self.endpoint));
    }

    pub(crate) fn host(&self) -> &str {
        self.endpoint.strip_prefix("http://").unwrap()
    }

    /// One EC2 Query API call; returns the XML body, panicking on a non-200 answer.
    pub(crate) fn call(&self, action: &str, params: &[(&str, &str)]) -> String {
        let mut body = format!("Action={action}&Version=2016-11-15");
        for (name, value) in params {
            body.push_str(&format!("&{name}={}", form_encode(value)));
        }
        let headers = palisade_api::sigv4::sign_post(
            KEY,
            SECRET,
            REGION,
            "ec2",
            self.host(),
            "/",
            "application/x-www-form-urlencoded; charset=utf-8",
            body.as_bytes(),
            SystemTime::now(),
        );
        let mut req = String::from("POST / HTTP/1.1\r\n");
        for (n, v) in &headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        req.push_str(&format!(
            "content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        ));
        let mut stream = TcpStream::connect(self.host()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        stream.write_all(req.as_bytes()).unwrap();
        let mut raw = String::new();
        stream.read_to_string(&mut raw).unwrap();
        assert!(raw.starts_with("HTTP/1.1 200"), "{action} failed:\n{raw}");
        raw
    }

    /// `palisade eval --endpoint` with the test's credentials (or others) and `rest`.
    fn eval(&self, creds: (&str, &str), rest: &[&str]) -> (i32, String, String) {
        let out = eval_with(&self.endpoint, creds, rest);
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }
}

impl Server {
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (bounded) for the process to exit; `None` if it is still running.
    pub(crate) fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let start = std::time::Instant::now();
        while start.elapsed() < within {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

/// Starts `palisade serve` on `listen` with the database and keys file in `dir`; returns
/// the child and its first stdout line (its address), read within [`START_TIMEOUT`]. The
/// rest of its stdout is drained for the server's lifetime.
fn spawn(dir: &std::path::Path, listen: &str, extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["serve", "--listen", listen, "--db"])
        .arg(dir.join("palisade.db"))
        .arg("--keys")
        .arg(dir.join("keys"))
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
        let mut lines = BufReader::new(stdout).lines();
        if let Some(Ok(first)) = lines.next() {
            let _ = tx.send(first);
        }
        for _ in lines {}
    });
    let Ok(first) = rx.recv_timeout(START_TIMEOUT) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("palisade serve printed no address in time");
    };
    (child, first)
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes `text` to `name` in the server's temporary directory; returns its path.
fn dir_file(s: &Server, name: &str, text: &str) -> String {
    let path = s.dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

fn eval_with(endpoint: &str, (key, secret): (&str, &str), rest: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["eval", "--endpoint", endpoint])
        .args(rest)
        .env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_REGION", REGION)
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_SESSION_TOKEN")
        .output()
        .unwrap()
}

/// application/x-www-form-urlencoded, as SDKs send Query parameters.
fn form_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The text of the first `<tag>` in an XML answer.
pub(crate) fn xml_text(xml: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let from = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no <{tag}> in:\n{xml}"))
        + open.len();
    let len = xml[from..].find(&format!("</{tag}>")).unwrap();
    xml[from..from + len].to_owned()
}

/// What the API built: a group `web` with tcp/443 from 203.0.113.0/24 and tcp/5432 from
/// itself, on two interfaces in a fresh VPC.
struct Live {
    group: String,
    https_rule: String,
    self_rule: String,
    eni: String,
    other_ip: String,
}

fn build(s: &Server) -> Live {
    let vpc = xml_text(
        &s.call("CreateVpc", &[("CidrBlock", "10.20.0.0/16")]),
        "vpcId",
    );
    let subnet = xml_text(
        &s.call(
            "CreateSubnet",
            &[("VpcId", &vpc), ("CidrBlock", "10.20.1.0/24")],
        ),
        "subnetId",
    );
    let group = xml_text(
        &s.call(
            "CreateSecurityGroup",
            &[
                ("GroupName", "web"),
                ("GroupDescription", "web tier"),
                ("VpcId", &vpc),
            ],
        ),
        "groupId",
    );
    let https_rule = xml_text(
        &s.call(
            "AuthorizeSecurityGroupIngress",
            &[
                ("GroupId", &group),
                ("IpPermissions.1.IpProtocol", "tcp"),
                ("IpPermissions.1.FromPort", "443"),
                ("IpPermissions.1.ToPort", "443"),
                ("IpPermissions.1.IpRanges.1.CidrIp", "203.0.113.0/24"),
            ],
        ),
        "securityGroupRuleId",
    );
    let self_rule = xml_text(
        &s.call(
            "AuthorizeSecurityGroupIngress",
            &[
                ("GroupId", &group),
                ("IpPermissions.1.IpProtocol", "tcp"),
                ("IpPermissions.1.FromPort", "5432"),
                ("IpPermissions.1.ToPort", "5432"),
                ("IpPermissions.1.Groups.1.GroupId", &group),
            ],
        ),
        "securityGroupRuleId",
    );
    let eni_in = |ip: &str| {
        s.call(
            "CreateNetworkInterface",
            &[
                ("SubnetId", &subnet),
                ("SecurityGroupId.1", &group),
                ("PrivateIpAddress", ip),
            ],
        )
    };
    let eni = xml_text(&eni_in("10.20.1.10"), "networkInterfaceId");
    let other = eni_in("10.20.1.11");
    Live {
        group,
        https_rule,
        self_rule,
        eni,
        other_ip: xml_text(&other, "privateIpAddress"),
    }
}

fn tcp<'a>(eni: &'a str, peer: &'a str, port: &'a str) -> Vec<&'a str> {
    vec![
        "--interface",
        eni,
        "--direction",
        "ingress",
        "--protocol",
        "tcp",
        "--peer",
        peer,
        "--port",
        port,
    ]
}

#[test]
fn eval_endpoint_decides_over_live_state() {
    let s = Server::start();
    let live = build(&s);
    let creds = (KEY, SECRET);

    let mut allow = tcp(&live.eni, "203.0.113.9", "443");
    allow.push("--json");
    let (code, out, err) = s.eval(creds, &allow);
    assert_eq!(code, 0, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verdict"], "allow");
    let matches = v["matches"].as_array().unwrap();
    assert_eq!(matches.len(), 1, "{out}");
    assert_eq!(matches[0]["group_id"], live.group.as_str());
    assert_eq!(matches[0]["rule_id"], live.https_rule.as_str());
    assert_eq!(matches[0]["direction"], "ingress");

    let (code, out, _) = s.eval(creds, &tcp(&live.eni, &live.other_ip, "5432"));
    assert_eq!(code, 0, "a member of the group reaches 5432: {out}");
    assert!(out.starts_with("allow:"), "{out}");
    assert!(out.contains(&live.self_rule), "{out}");

    for (peer, port, why) in [
        ("203.0.113.9", "22", "another port"),
        ("198.51.100.9", "443", "outside the CIDR"),
        ("10.20.1.99", "5432", "not a member of the group"),
    ] {
        let (code, out, err) = s.eval(creds, &tcp(&live.eni, peer, port));
        assert_eq!(code, 1, "{why}: {out}{err}");
        assert!(out.starts_with("deny:"), "{why}: {out}");
    }

    // --trace replays events over the live state too.
    let events = dir_file(
        &s,
        "events.jsonl",
        &format!(
            "{{\"t\":0,\"interface\":\"{}\",\"direction\":\"ingress\",\"protocol\":\"tcp\",\"src\":\"203.0.113.9\",\"dst\":\"10.20.1.10\",\"src_port\":40000,\"dst_port\":443,\"tcp_flags\":\"S\"}}\n",
            live.eni
        ),
    );
    let (code, out, err) = s.eval(creds, &["--trace", &events]);
    assert_eq!(code, 0, "{out}{err}");
    let line: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(line["verdict"], "allow", "{out}");
    assert!(out.contains(&live.https_rule), "{out}");

    // Live changes are seen by the next eval.
    s.call(
        "RevokeSecurityGroupIngress",
        &[
            ("GroupId", &live.group),
            ("SecurityGroupRuleId.1", &live.https_rule),
        ],
    );
    let (code, out, _) = s.eval(creds, &tcp(&live.eni, "203.0.113.9", "443"));
    assert_eq!(code, 1, "the revoked rule no longer admits: {out}");

    // State is per region: the interface does not exist in another one.
    let mut elsewhere = tcp(&live.eni, "203.0.113.9", "443");
    elsewhere.extend(["--region", "eu-west-1"]);
    let (code, _, err) = s.eval(creds, &elsewhere);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&live.eni), "{err}");

    let (code, out, err) = s.eval(
        (KEY, "not-the-secret"),
        &tcp(&live.eni, "203.0.113.9", "443"),
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("AuthFailure"), "{err}");
    let (code, _, err) = s.eval(
        ("AKIAUNKNOWNKEY000000", SECRET),
        &tcp(&live.eni, "203.0.113.9", "443"),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("AuthFailure"), "{err}");
}

#[test]
fn eval_endpoint_unreachable_is_an_error() {
    // A port that was free a moment ago and has no listener now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let out = eval_with(
        &endpoint,
        (KEY, SECRET),
        &tcp("eni-00000000000000001", "203.0.113.9", "443"),
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot reach"), "{err}");
    assert!(err.contains(&endpoint), "{err}");
}

#[test]
fn eval_endpoint_usage_errors() {
    let pkt = tcp("eni-00000000000000001", "203.0.113.9", "443");
    let mut both = vec!["-i", "examples"];
    both.extend(&pkt);
    let out = eval_with("http://127.0.0.1:9", (KEY, SECRET), &both);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot be used with"), "{err}");

    for bad in [
        "https://127.0.0.1:9",
        "127.0.0.1:9",
        "http://127.0.0.1",
        "http://127.0.0.1:9/path",
    ] {
        let out = eval_with(bad, (KEY, SECRET), &pkt);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
        assert!(err.contains("expected http://HOST:PORT"), "{bad}: {err}");
    }

    let out = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["eval", "--endpoint", "http://127.0.0.1:9"])
        .args(&pkt)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("AWS_ACCESS_KEY_ID"), "{err}");
}
