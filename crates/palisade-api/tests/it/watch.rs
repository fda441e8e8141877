//! The change feed over real loopback connections: a host's full view first, deltas only to
//! the hosts a write affects (carrying the version the write's `x-palisade-version` named),
//! accounts isolated, unsigned or badly signed watches refused, a host that lost its
//! connection resuming with exactly the changes it missed, a restarted server answering a
//! full view, and the hosts list.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use palisade_api::sigv4::sign_post;
use palisade_api::watch::{Message, ViewDoc, WatchConn, WatchError, WatchRequest};
use palisade_api::{AppState, Clock, EdgeConfig, KeyRing, router};
use palisade_store::{SqliteStore, Store};

use crate::harness::{KEY_A, KEY_B};

/// A server on 127.0.0.1:0 with the system clock, on its own runtime.
struct Live {
    endpoint: String,
    state: AppState,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Live {
    fn start(store: Arc<dyn Store>) -> Self {
        let mut keys = KeyRing::new();
        keys.insert(KEY_A.0, KEY_A.1, "111111111111".parse().unwrap());
        keys.insert(KEY_B.0, KEY_B.1, "222222222222".parse().unwrap());
        let state = AppState::new(
            store,
            Arc::new(keys),
            Clock::System,
            Arc::new(EdgeConfig::aws_defaults()),
        );
        state.watch.set_heartbeat(Duration::from_millis(200));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let app = router(state.clone());
        runtime.spawn(async move { axum::serve(listener, app).await });
        Self {
            endpoint,
            state,
            runtime: Some(runtime),
        }
    }

    fn on_file(path: &Path) -> Self {
        Self::start(Arc::new(SqliteStore::open(path).unwrap()))
    }

    /// Stops the server: its streams end and its port closes.
    fn stop(mut self) {
        self.state.watch.close();
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(1));
        }
    }

    /// An EC2 action as `key`: status, body and the `x-palisade-version` header.
    fn call(&self, key: (&str, &str), action: &str, params: &[(&str, &str)]) -> Answer {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        ser.append_pair("Action", action)
            .append_pair("Version", "2016-11-15");
        for (k, v) in params {
            ser.append_pair(k, v);
        }
        let body = ser.finish();
        let host = self.endpoint.trim_start_matches("http://");
        let headers = sign_post(
            key.0,
            key.1,
            "us-east-1",
            "ec2",
            host,
            "/",
            "application/x-www-form-urlencoded; charset=utf-8",
            body.as_bytes(),
            SystemTime::now(),
        );
        let mut req = "POST / HTTP/1.1\r\n".to_owned();
        for (n, v) in headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        req.push_str(&format!(
            "content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        ));
        let mut stream = TcpStream::connect(host).unwrap();
        stream.write_all(req.as_bytes()).unwrap();
        let mut raw = String::new();
        stream.read_to_string(&mut raw).unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        let version = head
            .lines()
            .find_map(|l| l.strip_prefix("x-palisade-version: "))
            .map(|v| v.trim().parse().unwrap());
        assert!(head.starts_with("HTTP/1.1 200"), "{action}: {raw}");
        Answer {
            body: body.to_owned(),
            version,
        }
    }

    fn watch(&self, key: (&str, &str), host: &str, enis: &[&str], since: Option<i64>) -> Feed {
        let req = WatchRequest {
            host: host.to_owned(),
            interfaces: enis.iter().map(|e| (*e).to_owned()).collect(),
            since,
        };
        let conn = WatchConn::open(
            &self.endpoint,
            key.0,
            key.1,
            "us-east-1",
            &req,
            Duration::from_millis(50),
        )
        .unwrap();
        Feed {
            conn,
            doc: ViewDoc::default(),
            version: 0,
        }
    }
}

struct Answer {
    body: String,
    version: Option<i64>,
}

impl Answer {
    fn text(&self, tag: &str) -> String {
        let open = format!("<{tag}>");
        let start = self.body.find(&open).unwrap() + open.len();
        let end = self.body[start..].find(&format!("</{tag}>")).unwrap();
        self.body[start..start + end].to_owned()
    }
}

/// A watcher's side: the view it holds after applying what it received.
struct Feed {
    conn: WatchConn,
    doc: ViewDoc,
    version: i64,
}

impl Feed {
    /// The next view or delta (applied), skipping heartbeats; `None` after `wait`.
    fn next_change(&mut self, wait: Duration) -> Option<Message> {
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            let Some(msg) = self.conn.next_message().unwrap() else {
                continue;
            };
            self.version = msg.version();
            match &msg {
                Message::View { doc: Some(doc), .. } => self.doc = ViewDoc::from_document(doc),
                Message::View { delta: Some(d), .. } | Message::Delta { delta: d, .. } => {
                    self.doc.apply(d)
                }
                Message::View { .. } => panic!("a view carries a doc or a delta"),
                Message::Heartbeat { .. } => continue,
            }
            return Some(msg);
        }
        None
    }

    fn eni_ids(&self) -> Vec<String> {
        let doc = self.doc.to_document();
        let Some(enis) = doc.get("NetworkInterfaces").and_then(|e| e.as_array()) else {
            return Vec::new();
        };
        enis.iter()
            .map(|e| e["NetworkInterfaceId"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// The default VPC's first subnet, two groups and one interface in each (account A).
struct World {
    web: String,
    app: String,
    eni_web: String,
    eni_app: String,
}

fn world(live: &Live) -> World {
    let subnet = live.call(KEY_A, "DescribeSubnets", &[]).text("subnetId");
    let group = |name: &str| {
        live.call(
            KEY_A,
            "CreateSecurityGroup",
            &[("GroupName", name), ("GroupDescription", "feed test")],
        )
        .text("groupId")
    };
    let (web, app) = (group("web"), group("app"));
    let eni = |group: &str| {
        live.call(
            KEY_A,
            "CreateNetworkInterface",
            &[("SubnetId", &subnet), ("SecurityGroupId.1", group)],
        )
        .text("networkInterfaceId")
    };
    let (eni_web, eni_app) = (eni(&web), eni(&app));
    World {
        web,
        app,
        eni_web,
        eni_app,
    }
}

fn allow_port(live: &Live, group: &str, port: &str) -> Answer {
    live.call(
        KEY_A,
        "AuthorizeSecurityGroupIngress",
        &[
            ("GroupId", group),
            ("IpPermissions.1.IpProtocol", "tcp"),
            ("IpPermissions.1.FromPort", port),
            ("IpPermissions.1.ToPort", port),
            ("IpPermissions.1.IpRanges.1.CidrIp", "198.51.100.0/24"),
        ],
    )
}

const WAIT: Duration = Duration::from_secs(5);
const QUIET: Duration = Duration::from_millis(600);

#[test]
fn full_view_then_deltas_only_to_affected_hosts() {
    let live = Live::start(Arc::new(SqliteStore::in_memory().unwrap()));
    let w = world(&live);
    let mut web = live.watch(KEY_A, "web-1", &[&w.eni_web], None);
    let mut app = live.watch(KEY_A, "app-1", &[&w.eni_app], None);
    let first = web.next_change(WAIT).unwrap();
    assert!(
        matches!(first, Message::View { doc: Some(_), .. }),
        "{first:?}"
    );
    assert_eq!(
        web.eni_ids(),
        std::slice::from_ref(&w.eni_web),
        "only its own interface"
    );
    app.next_change(WAIT).unwrap();
    assert_eq!(app.eni_ids(), std::slice::from_ref(&w.eni_app));

    let wrote = allow_port(&live, &w.web, "80");
    let Some(Message::Delta { version, delta }) = web.next_change(WAIT) else {
        panic!("web-1 got no delta");
    };
    assert_eq!(
        Some(version),
        wrote.version,
        "the write's x-palisade-version"
    );
    assert!(delta.upsert.contains_key("SecurityGroups"), "{delta:?}");
    assert!(
        !delta.upsert.contains_key("NetworkInterfaces"),
        "only what changed: {delta:?}"
    );
    assert!(app.next_change(QUIET).is_none(), "app-1 is not affected");

    // Referencing app's group brings app's members into web's view.
    let referenced = live.call(
        KEY_A,
        "AuthorizeSecurityGroupIngress",
        &[
            ("GroupId", &w.web),
            ("IpPermissions.1.IpProtocol", "tcp"),
            ("IpPermissions.1.FromPort", "5432"),
            ("IpPermissions.1.ToPort", "5432"),
            ("IpPermissions.1.Groups.1.GroupId", &w.app),
        ],
    );
    web.next_change(WAIT).unwrap();
    assert_eq!(web.version, referenced.version.unwrap());
    let mut ids = web.eni_ids();
    ids.sort();
    let mut expected = vec![w.eni_web.clone(), w.eni_app.clone()];
    expected.sort();
    assert_eq!(ids, expected);
    // What the watcher holds after deltas is what a new watcher is sent in full.
    let mut fresh = live.watch(KEY_A, "web-2", &[&w.eni_web], None);
    fresh.next_change(WAIT).unwrap();
    assert_eq!(fresh.doc, web.doc);
    live.stop();
}

#[test]
fn accounts_are_isolated() {
    let live = Live::start(Arc::new(SqliteStore::in_memory().unwrap()));
    let w = world(&live);
    let mut other = live.watch(KEY_B, "b-1", &[&w.eni_web], None);
    other.next_change(WAIT).unwrap();
    assert!(
        other.eni_ids().is_empty(),
        "account B sees none of A's interfaces"
    );
    allow_port(&live, &w.web, "81");
    assert!(other.next_change(QUIET).is_none());
    live.stop();
}

#[test]
fn unsigned_or_badly_signed_watch_is_refused() {
    let live = Live::start(Arc::new(SqliteStore::in_memory().unwrap()));
    let req = WatchRequest {
        host: "h".into(),
        interfaces: vec![],
        since: None,
    };
    let tick = Duration::from_millis(50);
    let err =
        WatchConn::open(&live.endpoint, KEY_A.0, "wrong", "us-east-1", &req, tick).unwrap_err();
    assert!(
        matches!(&err, WatchError::Refused { code, .. } if code == "AuthFailure"),
        "{err:?}"
    );
    let bad_host = WatchRequest {
        host: "no spaces".into(),
        ..req.clone()
    };
    let err = WatchConn::open(
        &live.endpoint,
        KEY_A.0,
        KEY_A.1,
        "us-east-1",
        &bad_host,
        tick,
    )
    .unwrap_err();
    assert!(
        matches!(&err, WatchError::Refused { code, .. } if code == "InvalidParameterValue"),
        "{err:?}"
    );
    let bad_eni = WatchRequest {
        interfaces: vec!["eni-zz".into()],
        ..req
    };
    let err = WatchConn::open(
        &live.endpoint,
        KEY_A.0,
        KEY_A.1,
        "us-east-1",
        &bad_eni,
        tick,
    )
    .unwrap_err();
    assert!(matches!(&err, WatchError::Refused { .. }), "{err:?}");
    live.stop();
}

#[test]
fn reconnect_resumes_with_the_missed_changes() {
    let live = Live::start(Arc::new(SqliteStore::in_memory().unwrap()));
    let w = world(&live);
    let mut web = live.watch(KEY_A, "web-1", &[&w.eni_web], None);
    web.next_change(WAIT).unwrap();
    let (held, held_version) = (web.doc.clone(), web.version);
    drop(web);
    allow_port(&live, &w.web, "82");
    let last = allow_port(&live, &w.web, "83").version.unwrap();
    let mut back = live.watch(KEY_A, "web-1", &[&w.eni_web], Some(held_version));
    back.doc = held;
    let first = back.next_change(WAIT).unwrap();
    let Message::View {
        version,
        delta: Some(delta),
        doc: None,
        ..
    } = first
    else {
        panic!("expected a resumed view, got {first:?}");
    };
    assert_eq!(version, last);
    assert!(!delta.is_empty());
    let mut fresh = live.watch(KEY_A, "web-2", &[&w.eni_web], None);
    fresh.next_change(WAIT).unwrap();
    assert_eq!(back.doc, fresh.doc, "caught up exactly");
    live.stop();
}

#[test]
fn restarted_server_sends_a_full_view_of_the_latest_state() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("feed.db");
    let live = Live::on_file(&db);
    let w = world(&live);
    let mut web = live.watch(KEY_A, "web-1", &[&w.eni_web], None);
    web.next_change(WAIT).unwrap();
    let since = web.version;
    live.stop();
    // The stream ends with the server.
    let deadline = Instant::now() + WAIT;
    loop {
        match web.conn.next_message() {
            Err(_) => break,
            Ok(_) => assert!(Instant::now() < deadline, "the stream did not end"),
        }
    }
    let live = Live::on_file(&db);
    let last = allow_port(&live, &w.web, "84").version.unwrap();
    let mut back = live.watch(KEY_A, "web-1", &[&w.eni_web], Some(since));
    let first = back.next_change(WAIT).unwrap();
    assert!(matches!(first, Message::View { doc: Some(_), version, .. } if version == last));
    let mut fresh = live.watch(KEY_A, "web-2", &[&w.eni_web], None);
    fresh.next_change(WAIT).unwrap();
    assert_eq!(back.doc, fresh.doc);
    live.stop();
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A signed JSON call of the feed's (`/_palisade/…`) to `live`, as account A.
fn post_a(
    rt: &tokio::runtime::Runtime,
    live: &Live,
    path: &str,
    body: &str,
) -> std::io::Result<serde_json::Value> {
    rt.block_on(palisade_api::watch::post_json(
        &live.endpoint,
        KEY_A.0,
        KEY_A.1,
        "us-east-1",
        path,
        body,
    ))
}

#[test]
fn hosts_list_reports_and_lag() {
    let live = Live::start(Arc::new(SqliteStore::in_memory().unwrap()));
    let w = world(&live);
    let mut web = live.watch(KEY_A, "web-1", &[&w.eni_web], None);
    web.next_change(WAIT).unwrap();
    let rt = runtime();
    let post = |path: &str, body: String| post_a(&rt, &live, path, &body);
    let hosts = || -> palisade_api::watch::HostsAnswer {
        serde_json::from_value(post("/_palisade/hosts", "{}".into()).unwrap()).unwrap()
    };
    let listed = hosts();
    assert_eq!(listed.hosts.len(), 1);
    assert_eq!(listed.hosts[0].host, "web-1");
    assert_eq!(listed.hosts[0].status, "connected");
    assert_eq!(listed.hosts[0].version, None, "nothing reported yet");

    let report =
        serde_json::json!({"host": "web-1", "version": web.version, "interfaces": [w.eni_web]});
    post("/_palisade/report", report.to_string()).unwrap();
    let listed = hosts();
    assert_eq!(listed.hosts[0].lag, 0);
    assert!(listed.hosts[0].enforces(listed.version));

    let v = allow_port(&live, &w.web, "85").version.unwrap();
    web.next_change(WAIT).unwrap();
    let listed = hosts();
    assert_eq!(listed.version, v);
    assert!(listed.hosts[0].lag > 0, "{:?}", listed.hosts[0]);
    assert!(!listed.hosts[0].enforces(v));
    // A write that does not touch web-1's view leaves it current.
    let report = serde_json::json!({"host": "web-1", "version": v, "error": "nft failed"});
    post("/_palisade/report", report.to_string()).unwrap();
    let other = allow_port(&live, &w.app, "86").version.unwrap();
    let listed = hosts();
    assert!(listed.hosts[0].enforces(other), "{:?}", listed.hosts[0]);
    assert_eq!(listed.hosts[0].last_error.as_deref(), Some("nft failed"));
    // Account B does not see A's hosts; a bad report is refused.
    let b: palisade_api::watch::HostsAnswer = serde_json::from_value(
        rt.block_on(palisade_api::watch::post_json(
            &live.endpoint,
            KEY_B.0,
            KEY_B.1,
            "us-east-1",
            "/_palisade/hosts",
            "{}",
        ))
        .unwrap(),
    )
    .unwrap();
    assert!(b.hosts.is_empty());
    assert!(post("/_palisade/report", "{\"host\": \"\"}".into()).is_err());
    // A host that went away is listed as disconnected, then, after three heartbeats
    // (600 ms here) without a watch or a report, as stale, still with what it enforced.
    drop(web);
    let status_within = |want: &str, within: Duration| {
        let deadline = Instant::now() + within;
        loop {
            let listed = hosts();
            let h = &listed.hosts[0];
            if h.status == want {
                return h.clone();
            }
            assert!(Instant::now() < deadline, "never {want}: {h:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let gone = status_within("disconnected", Duration::from_secs(5));
    assert_eq!(gone.version, Some(v), "{gone:?}");
    let started = Instant::now();
    let stale = status_within("stale", Duration::from_secs(10));
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "stale too soon"
    );
    assert_eq!(stale.version, Some(v), "{stale:?}");
    live.stop();
}

/// A PostgreSQL schema of the test's own, dropped when done; `None` (skip, with the reason
/// printed) when `PALISADE_PG_URL` is unset, a failure then when `CI` is set.
struct PgSchema {
    base: postgres::Config,
    schema: String,
    admin: postgres::Client,
}

impl PgSchema {
    #[allow(clippy::print_stderr)] // the skip reason
    fn new(name: &str) -> Option<Self> {
        let Ok(url) = std::env::var("PALISADE_PG_URL") else {
            let reason = "PALISADE_PG_URL is not set (scripts/test.d/setup-postgres.sh)";
            assert!(std::env::var_os("CI").is_none(), "CI is set: {reason}");
            eprintln!("skipping the PostgreSQL test {name}: {reason}");
            return None;
        };
        let schema = format!("pw_{name}_{}", std::process::id());
        let base: postgres::Config = url.parse().unwrap();
        let mut admin = base.connect(postgres::NoTls).unwrap();
        admin
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
            ))
            .unwrap();
        Some(Self {
            base,
            schema,
            admin,
        })
    }

    fn config(&self) -> postgres::Config {
        let mut c = self.base.clone();
        c.options(&format!("-csearch_path={}", self.schema));
        c
    }

    /// A server on the schema, hearing the others' writes through `NOTIFY`.
    fn server(&self) -> Live {
        let store = palisade_store::PgStore::with_config(self.config()).unwrap();
        let live = Live::start(Arc::new(store));
        palisade_api::watch::listen_postgres(self.config(), live.state.watch.clone()).unwrap();
        live
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let _ = self
            .admin
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
    }
}

/// Two servers on one PostgreSQL database (a schema of the test's own): a write through
/// one reaches a watcher of the other promptly, woken by `NOTIFY`, not by polling.
#[test]
#[allow(clippy::print_stderr)] // the latency seen
fn postgres_write_on_one_server_reaches_a_watcher_on_another() {
    let Some(pg) = PgSchema::new("feed") else {
        return;
    };
    let (one, two) = (pg.server(), pg.server());
    let w = world(&one);
    let mut web = two.watch(KEY_A, "web-1", &[&w.eni_web], None);
    web.next_change(WAIT).unwrap();
    assert_eq!(web.eni_ids(), std::slice::from_ref(&w.eni_web));
    let start = Instant::now();
    let wrote = allow_port(&one, &w.web, "443").version.unwrap();
    let Some(Message::Delta { version, .. }) = web.next_change(WAIT) else {
        panic!("no delta through the other server");
    };
    let took = start.elapsed();
    assert_eq!(version, wrote);
    // Server two reads the scope only when woken (heartbeats refresh nothing), so without
    // NOTIFY no delta would come at all.
    eprintln!("delta through the other server after {took:?}");
    one.stop();
    two.stop();
}

/// With two servers on one PostgreSQL database, `hosts` on either lists the hosts watching
/// the other: connected, the version they report, and stale once their server is gone.
#[test]
fn postgres_hosts_lists_the_agents_of_every_server() {
    let Some(pg) = PgSchema::new("hosts") else {
        return;
    };
    let (one, two) = (pg.server(), pg.server());
    for live in [&one, &two] {
        live.state.watch.set_heartbeat(Duration::from_millis(200));
    }
    let w = world(&one);
    let mut web = two.watch(KEY_A, "web-1", &[&w.eni_web], None);
    web.next_change(WAIT).unwrap();
    let rt = runtime();
    let post = |live: &Live, path: &str, body: String| post_a(&rt, live, path, &body).unwrap();
    // Polls `hosts` on `live` until `done` holds (shared records arrive within a flush).
    let wait_hosts = |live: &Live, done: &dyn Fn(&palisade_api::watch::HostsAnswer) -> bool| {
        let deadline = Instant::now() + WAIT;
        loop {
            let listed: palisade_api::watch::HostsAnswer =
                serde_json::from_value(post(live, "/_palisade/hosts", "{}".into())).unwrap();
            if done(&listed) {
                return listed;
            }
            assert!(
                Instant::now() < deadline,
                "hosts never got there: {listed:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let listed = wait_hosts(&one, &|l| l.hosts.len() == 1);
    assert_eq!(listed.hosts[0].host, "web-1");
    assert_eq!(listed.hosts[0].status, "connected");
    assert_eq!(listed.hosts[0].version, None, "nothing reported yet");

    // A write through one, enforced (reported) on two: one knows it is done.
    let v = allow_port(&one, &w.web, "443").version.unwrap();
    web.next_change(WAIT).unwrap();
    let report = serde_json::json!({"host": "web-1", "version": v, "interfaces": [w.eni_web]});
    post(&two, "/_palisade/report", report.to_string());
    let listed = wait_hosts(&one, &|l| l.hosts.iter().any(|h| h.version == Some(v)));
    assert!(listed.hosts[0].enforces(v), "{:?}", listed.hosts[0]);
    assert_eq!(listed.hosts[0].lag, 0);

    // Server two goes away: its host turns stale on one, as no one refreshes it.
    drop(web);
    two.stop();
    let listed = wait_hosts(&one, &|l| l.hosts.iter().all(|h| h.status != "connected"));
    assert!(!listed.hosts[0].enforces(v));
    one.stop();
}
