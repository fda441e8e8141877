//! `palisade agent --endpoint --watch`: the agent following the change feed of a real
//! `palisade serve` child, on the agent lab (namespaces `pw-…`). The test checks the first
//! view applied and reported, a write's `x-palisade-version` waited for with
//! `palisade hosts wait` and then in force (nft and real TCP connects), the ruleset after
//! deltas equal to what `palisade render` makes of the account's whole state, `palisade
//! hosts` listing the host with no lag, and a restarted server with a change made while the
//! agent was cut off: the agent reconnects and converges to exactly the latest state.
//!
//! Gated like `agent` (root, `nft`, `ip`, `conntrack`, `python3`; mandatory when `CI` is
//! set). Every wait is bounded; the server, the agent and the namespaces go on drop.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::agent::{AgentLab, CLIENT, free_loopback_addr, metric, scrape};
use crate::agent_server::{Built, build};
use crate::endpoint::{KEY, REGION, SECRET, Server};

const HOST: &str = "pw-host-1";

/// The version a write's response names.
fn version_of(raw: &str) -> i64 {
    let head = raw.split("\r\n\r\n").next().unwrap();
    head.lines()
        .find_map(|l| l.strip_prefix("x-palisade-version: "))
        .unwrap_or_else(|| panic!("no x-palisade-version in {head}"))
        .trim()
        .parse()
        .unwrap()
}

fn palisade_as_client(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .env("AWS_ACCESS_KEY_ID", KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_REGION", REGION)
        .env("PALISADE_LOG", "warn")
        .output()
        .unwrap()
}

/// The host as `palisade hosts --json` lists it.
fn listed(server: &Server) -> Value {
    let out = palisade_as_client(&["hosts", "--endpoint", &server.endpoint, "--json"]);
    assert!(out.status.success(), "{out:?}");
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    answer["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["host"] == HOST)
        .cloned()
        .unwrap_or_else(|| panic!("{HOST} not listed: {answer}"))
}

/// What `palisade render` makes of the account's whole state for the lab's two interfaces.
fn render_full(server: &Server, built: &Built, dir: &std::path::Path) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let doc = rt
        .block_on(palisade_api::fetch_json(
            &server.endpoint,
            KEY,
            SECRET,
            REGION,
            "{}",
        ))
        .unwrap();
    let path = dir.join("full-state.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    let out = palisade_as_client(&[
        "render",
        "-i",
        path.to_str().unwrap(),
        "--map",
        &format!("{}=eni1", built.client_eni),
        "--map",
        &format!("{}=eni2", built.db_eni),
    ]);
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn agent_watch_follows_the_change_feed() {
    let Some(mut lab) = AgentLab::with_prefix("pw-") else {
        return;
    };
    let mut server = Server::start();
    let built = build(&server);
    lab.serve("db", &["tcp:5432", "tcp:7000"]);
    let metrics = free_loopback_addr();
    lab.start_agent_with(
        // No --watch: following the feed is what --endpoint does.
        &[
            "--endpoint",
            &server.endpoint,
            "--host",
            HOST,
            "--metrics-addr",
            &metrics,
        ],
        (&built.client_eni, &built.db_eni),
        &[
            ("AWS_ACCESS_KEY_ID", KEY),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
            ("AWS_REGION", REGION),
        ],
    );
    let state = lab.wait_state("the first view", |s| s["generation"] == 1);
    assert!(state["version"].is_i64(), "{state}");
    lab.expect(&[("client", 7000, false)]);

    // A write, waited for with `hosts wait`, is in force when the wait returns.
    let raw = server.call(
        "AuthorizeSecurityGroupIngress",
        &[
            ("GroupId", &built.db_group),
            ("IpPermissions.1.IpProtocol", "tcp"),
            ("IpPermissions.1.FromPort", "7000"),
            ("IpPermissions.1.ToPort", "7000"),
            ("IpPermissions.1.IpRanges.1.CidrIp", &format!("{CLIENT}/32")),
        ],
    );
    let version = version_of(&raw);
    let v = version.to_string();
    let out = palisade_as_client(&[
        "hosts",
        "wait",
        "--endpoint",
        &server.endpoint,
        "--version",
        &v,
        "--timeout",
        "20",
    ]);
    assert!(out.status.success(), "{out:?}\n{}", lab.log());
    let table = lab.nft_list();
    // A CIDR rule with a port is an element of its group's `address . port` set.
    assert!(table.contains(&format!("{CLIENT} . 7000")), "{table}");
    lab.expect(&[("client", 7000, true), ("client", 5432, false)]);
    let host = listed(&server);
    assert_eq!(host["status"], "connected", "{host}");
    assert_eq!(host["version"], version, "{host}");
    assert_eq!(host["lag"], 0, "{host}");

    // After deltas, the ruleset is what the whole state renders to.
    let state = lab.wait_state("version in the state file", |s| s["version"] == version);
    let text = scrape(&metrics);
    let v = version as f64;
    assert_eq!(
        metric(&text, "palisade_agent_version_enforced"),
        Some(v),
        "{text}"
    );
    assert_eq!(
        metric(&text, "palisade_agent_version_received"),
        Some(v),
        "{text}"
    );
    assert_eq!(
        metric(&text, "palisade_agent_lag_seconds"),
        Some(0.0),
        "{text}"
    );
    let applied = std::fs::read_to_string(state["ruleset"].as_str().unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(applied, render_full(&server, &built, dir.path()));
    // nft in-process: the nftables package depends on libnftables1, so a host that can
    // run this test has the library.
    assert_eq!(state["nft"], "libnftables", "{state}");
    // Where the change's time went: the message arrived before the file was written, and
    // the apply took some time within that.
    let t = &state["timings"];
    let (received, written) = (
        t["received_unix_ms"].as_f64().unwrap(),
        t["written_unix_ms"].as_f64().unwrap(),
    );
    let apply = t["apply_ms"].as_f64().unwrap();
    assert!(received > 0.0 && received <= written, "{t}");
    assert!(apply > 0.0 && apply <= written - received + 1.0, "{t}");

    // The server restarts; a change made right after reaches the reconnecting agent.
    let generation = state["generation"].as_u64().unwrap();
    server.restart();
    let raw = server.call(
        "ModifyNetworkInterfaceAttribute",
        &[
            ("NetworkInterfaceId", &built.client_eni),
            ("SecurityGroupId.1", &built.client_group),
            ("SecurityGroupId.2", &built.web_group),
        ],
    );
    let latest = version_of(&raw);
    let start = Instant::now();
    let state = lab.wait_state("the change made across the restart", |s| {
        s["version"].as_i64().is_some_and(|v| v >= latest) && s["last_error"].is_null()
    });
    assert!(start.elapsed() < Duration::from_secs(30));
    assert!(
        state["generation"].as_u64().unwrap() > generation,
        "{state}"
    );
    lab.expect(&[("client", 5432, true), ("client", 7000, true)]);
    let applied = std::fs::read_to_string(state["ruleset"].as_str().unwrap()).unwrap();
    assert_eq!(applied, render_full(&server, &built, dir.path()));
    assert!(lab.log().contains("watching"), "{}", lab.log());
}
