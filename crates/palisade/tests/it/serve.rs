//! `palisade serve` as a process: configuration refused at start-up (a bad quotas file or
//! region list), and the connection handling clients see (timeouts, shutdown).

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::endpoint::Server;
use crate::fixture::{palisade, stderr};

#[test]
fn bad_quotas_files_and_region_lists_stop_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("palisade.db");
    let quotas = dir.path().join("quotas");
    for (text, expected) in [
        (
            "vpcs_per_region = 5\nvpcs = 3\n",
            "line 2: unknown quota 'vpcs'",
        ),
        (
            "tags_per_resource = 0\n",
            "line 1: tags_per_resource: '0' is not a whole number",
        ),
        (
            "groups_per_interface = 17\n",
            "groups per interface (1..=16)",
        ),
    ] {
        std::fs::write(&quotas, text).unwrap();
        let out = palisade(&[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--db",
            db.to_str().unwrap(),
            "--quotas",
            quotas.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2), "{text}");
        let err = stderr(&out);
        assert!(err.contains("parsing") && err.contains(expected), "{err}");
    }
    let missing = dir.path().join("nope");
    let out = palisade(&["serve", "--quotas", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("reading"), "{}", stderr(&out));
    let out = palisade(&["serve", "--regions", "us-east-1,EU-WEST-1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("EU-WEST-1"), "{}", stderr(&out));
    let out = palisade(&["serve", "--workers", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--workers"), "{}", stderr(&out));
}

#[test]
fn a_second_server_on_the_same_sqlite_file_is_refused() {
    let s = Server::start();
    let out = palisade(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--db",
        s.db().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("in use by another process") && err.contains("PostgreSQL"),
        "{err}"
    );
}

#[test]
fn several_workers_serve_as_one() {
    let s = Server::start_with(&["--workers", "3"]);
    let mut stream = connect(&s);
    stream
        .write_all(
            b"GET /?Action=DescribeVpcs HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n",
        )
        .unwrap();
    let answer = read_to_close(&mut stream);
    assert!(answer.contains("<Code>AuthFailure</Code>"), "{answer}");
}

/// Long enough never to be what closes a connection in a test.
const NEVER: &str = "120";
/// How long a test waits for something the server should do within about a second.
const PATIENCE: Duration = Duration::from_secs(15);

fn connect(s: &Server) -> TcpStream {
    let stream = TcpStream::connect(s.host()).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// Reads until the server closes the connection; panics if it does not within PATIENCE.
#[track_caller]
fn read_to_close(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => panic!("the server kept the connection open: {e}"),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// Reads one response (head and `content-length` body) and leaves the connection open.
fn read_one_response(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).expect("reading a response head");
        assert_eq!(n, 1, "the server closed before its response head ended");
        got.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&got).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    stream
        .read_exact(&mut body)
        .expect("reading a response body");
    got.extend_from_slice(&body);
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn half_a_request_head_is_closed_after_the_header_read_timeout() {
    let s = Server::start_with(&["--header-read-timeout", "1", "--idle-timeout", NEVER]);
    let mut stream = connect(&s);
    stream
        .write_all(b"POST / HTTP/1.1\r\nhost: localhost\r\ncontent-")
        .unwrap();
    read_to_close(&mut stream);
}

#[test]
fn an_idle_keep_alive_connection_is_closed() {
    let s = Server::start_with(&["--header-read-timeout", "1", "--idle-timeout", NEVER]);
    let mut stream = connect(&s);
    stream
        .write_all(b"GET /?Action=DescribeVpcs HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .unwrap();
    // The unsigned request is answered, then the connection waits for the next head. (It
    // names an action: a plain `GET /` is a browser's, redirected to the console.)
    let answer = read_to_close(&mut stream);
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains("<Code>AuthFailure</Code>"), "{answer}");
}

#[test]
fn a_stalled_body_is_closed_after_the_idle_timeout() {
    let s = Server::start_with(&["--header-read-timeout", NEVER, "--idle-timeout", "1"]);
    let mut stream = connect(&s);
    stream
        .write_all(b"POST / HTTP/1.1\r\nhost: localhost\r\ncontent-length: 100\r\n\r\nAction=")
        .unwrap();
    read_to_close(&mut stream);
}

#[test]
fn sigterm_finishes_in_flight_requests_and_exits_despite_a_stalled_client() {
    let mut s = Server::start_with(&[
        "--header-read-timeout",
        NEVER,
        "--idle-timeout",
        NEVER,
        "--shutdown-timeout",
        "3",
    ]);
    // One client holds half a head forever; another is mid-body when the signal comes.
    // Each first gets one answer, so the server has accepted both connections before the
    // signal (a connection still in the listen backlog is reset when the listener closes).
    let probe = "POST / HTTP/1.1\r\nhost: localhost\r\ncontent-length: 0\r\n\r\n";
    let mut stalled = connect(&s);
    stalled.write_all(probe.as_bytes()).unwrap();
    assert!(read_one_response(&mut stalled).starts_with("HTTP/1.1 401"));
    stalled
        .write_all(b"POST / HTTP/1.1\r\nhost: localhost\r\n")
        .unwrap();
    let body = "Action=DescribeSecurityGroups&Version=2016-11-15";
    let mut in_flight = connect(&s);
    in_flight.write_all(probe.as_bytes()).unwrap();
    assert!(read_one_response(&mut in_flight).starts_with("HTTP/1.1 401"));
    in_flight
        .write_all(
            format!(
                "POST / HTTP/1.1\r\nhost: localhost\r\ncontent-length: {}\r\n\r\nAction=",
                body.len()
            )
            .as_bytes(),
        )
        .unwrap();
    let status = Command::new("kill")
        .args(["-TERM", &s.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // Shutdown has begun once the listener is gone.
    let start = Instant::now();
    while TcpStream::connect(s.host()).is_ok() {
        assert!(start.elapsed() < PATIENCE, "still accepting after SIGTERM");
    }
    in_flight
        .write_all(&body.as_bytes()["Action=".len()..])
        .unwrap();
    let answer = read_to_close(&mut in_flight);
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    let exit = s
        .wait_exit(PATIENCE)
        .expect("palisade serve exited after its shutdown deadline");
    assert!(exit.success(), "{exit:?}");
    read_to_close(&mut stalled);
}
