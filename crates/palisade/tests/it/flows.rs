//! `palisade flows` as users run it: the S3 export layout (gzip) and plain files, default
//! and custom formats with a header line, the JSON report and `--records`, SARIF against
//! the 2.1.0 schema, suggestions that parse back as IpPermissions, and errors that name
//! the file and line.

use std::io::Write;
use std::path::{Path, PathBuf};

use palisade_model::Direction;
use serde_json::Value;

use crate::fixture::{palisade, stderr, stdout};

fn examples() -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/snapshot");
    dir.to_str().unwrap().to_owned()
}

// The example snapshot: shop-lb (eni-0a11…, 10.0.0.10) takes 443 from anywhere; shop-db
// (eni-0d44…, 10.0.2.10) takes 5432 from the app group (10.0.1.10 is a member).
const LB: &str = "eni-0a11b22c33d44e551";
const DB: &str = "eni-0d44e55f66a77b884";

fn default_records() -> String {
    [
        format!("2 123456789012 {LB} 198.51.100.7 10.0.0.10 51514 443 6 10 1200 1764633600 1764633660 ACCEPT OK"),
        format!("2 123456789012 {LB} 10.0.0.10 198.51.100.7 443 51514 6 12 9000 1764633600 1764633660 ACCEPT OK"),
        format!("2 123456789012 {LB} 198.51.100.7 10.0.0.10 51515 22 6 1 60 1764633600 1764633660 REJECT OK"),
        format!("2 123456789012 {DB} 10.0.1.10 10.0.2.10 40000 5432 6 10 1200 1764633600 1764633660 ACCEPT OK"),
        format!("2 123456789012 {DB} - - - - - - - 1764633600 1764633660 - NODATA"),
    ]
    .join("\n")
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn write_gz(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap();
}

fn run_json(args: &[&str]) -> Value {
    let out = palisade(args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn rule_ids(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule_id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn s3_layout_gzip_and_plain_files() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = dir
        .path()
        .join("AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/12/01");
    let header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n";
    write_gz(
        &s3.join("123456789012_vpcflowlogs_us-east-1_fl-0a_20261201T0000Z_1a2b.log.gz"),
        &format!("{header}{}\n", default_records()),
    );
    // A second file of the same delivery: the same request again in the next interval.
    write_gz(
        &s3.join("123456789012_vpcflowlogs_us-east-1_fl-0a_20261201T0005Z_3c4d.log.gz"),
        &format!(
            "{header}2 123456789012 {LB} 198.51.100.7 10.0.0.10 51514 443 6 5 600 1764633660 1764633720 ACCEPT OK\n"
        ),
    );
    let v = run_json(&[
        "flows",
        "-i",
        &examples(),
        "--format",
        "json",
        dir.path().join("AWSLogs").to_str().unwrap(),
    ]);
    let t = &v["totals"];
    assert_eq!(
        (t["files"].as_u64(), t["records"].as_u64()),
        (Some(2), Some(5))
    );
    assert_eq!(
        (
            t["allowed"].as_u64(),
            t["replies"].as_u64(),
            t["rejected"].as_u64()
        ),
        (Some(3), Some(1), Some(1))
    );
    assert_eq!(t["no_data"].as_u64(), Some(1));
    let rules = v["rules"].as_array().unwrap();
    let lb = rules
        .iter()
        .find(|r| r["rule"] == "ingress tcp/443 from 0.0.0.0/0")
        .unwrap();
    // Two records of one flow; the reply's 12 packets are not the rule's.
    assert_eq!(
        (
            lb["records"].as_u64(),
            lb["flows"].as_u64(),
            lb["packets"].as_u64()
        ),
        (Some(2), Some(1), Some(15))
    );
    assert_eq!(lb["peers"], serde_json::json!(["198.51.100.7"]));
    assert_eq!(
        lb["ports"],
        serde_json::json!([{"protocol": "tcp", "port": 443}])
    );
    let db = rules
        .iter()
        .find(|r| {
            r["rule"]
                .as_str()
                .unwrap()
                .starts_with("ingress tcp/5432 from 123456789012/sg-")
        })
        .unwrap();
    assert_eq!(db["flows"].as_u64(), Some(1));
    // The load balancer's egress rules carried only the reply: unused.
    assert!(
        v["unused"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["direction"] == "egress" && r["group_id"] == "sg-0a1b2c3d4e5f60718")
    );

    // The same records as one plain file give the same counts (no header: default format).
    let plain = dir.path().join("plain.log");
    write(&plain, &default_records());
    let p = run_json(&[
        "flows",
        "-i",
        &examples(),
        "--format",
        "json",
        plain.to_str().unwrap(),
    ]);
    assert_eq!(p["totals"]["allowed"].as_u64(), Some(2));
    assert_eq!(rule_ids(&p, "rules").len(), 2);
}

#[test]
fn suggestions_are_ip_permissions_that_parse_back() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("a.log");
    let lines: Vec<String> = ["198.51.100.7", "198.51.100.99", "203.0.113.4"]
        .iter()
        .enumerate()
        .map(|(i, src)| {
            format!(
                "2 123456789012 {LB} {src} 10.0.0.10 {} 443 6 1 60 1764633600 1764633660 ACCEPT OK",
                50000 + i
            )
        })
        .collect();
    write(&log, &lines.join("\n"));
    let v = run_json(&[
        "flows",
        "-i",
        &examples(),
        "--format",
        "json",
        log.to_str().unwrap(),
    ]);
    let s = &v["suggestions"][0];
    assert_eq!(s["rule"], "ingress tcp/443 from 0.0.0.0/0");
    let authorize = &s["authorize"]["IpPermissions"];
    let rules = palisade_ec2::permission::parse_ip_permissions_value(authorize, Direction::Ingress)
        .unwrap();
    let peers: Vec<String> = rules.iter().map(|r| r.spec.peer.to_string()).collect();
    assert_eq!(peers, ["198.51.100.0/24", "203.0.113.0/24"]);
    let revoke = palisade_ec2::permission::parse_ip_permissions_value(
        &s["revoke"]["IpPermissions"],
        Direction::Ingress,
    )
    .unwrap();
    assert_eq!(revoke[0].spec.peer.to_string(), "0.0.0.0/0");
    assert!(
        s["authorize_command"]
            .as_str()
            .unwrap()
            .starts_with("aws ec2 authorize-security-group-ingress")
    );
}

#[test]
fn custom_format_records_and_flow_direction() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("custom.log");
    // v5 fields in another order, with the packet-level addresses and flow-direction.
    let text = format!(
        "interface-id flow-direction pkt-srcaddr pkt-dstaddr srcaddr dstaddr srcport dstport protocol action tcp-flags traffic-path\n\
         {LB} ingress 198.51.100.7 10.0.0.10 198.51.100.7 10.0.0.10 51514 443 6 ACCEPT 2 8\n\
         {LB} egress 10.0.0.10 198.51.100.7 10.0.0.10 198.51.100.7 443 51514 6 ACCEPT 18 8\n"
    );
    write(&log, &text);
    let out = palisade(&[
        "flows",
        "-i",
        &examples(),
        "--records",
        log.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["outcome"], "allowed");
    assert_eq!(lines[0]["rules"].as_array().unwrap().len(), 1);
    assert_eq!(lines[1]["outcome"], "reply");
}

#[test]
fn sarif_validates() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("a.log");
    write(
        &log,
        &format!(
            "{}\n2 123456789012 {DB} 10.0.9.9 10.0.2.10 40000 5432 6 1 60 1 2 ACCEPT OK\n",
            default_records()
        ),
    );
    let v = run_json(&[
        "flows",
        "-i",
        &examples(),
        "--format",
        "sarif",
        log.to_str().unwrap(),
    ]);
    // As in audit's test: the published schema's `run.language` pattern ends in an
    // unescaped `]` that the Rust regex engine refuses; escaped, it means the same.
    let text = include_str!("../../../palisade-analysis/test_data/sarif-2.1.0-rtm.5.json")
        .replace(r#"[a-zA-Z]{2}]?$"#, r#"[a-zA-Z]{2}\\]?$"#);
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(validator.is_valid(&v), "{v}");
    let ids: Vec<&str> = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"flows-accepted-without-rule"), "{ids:?}");
    assert!(ids.contains(&"flows-unused-rule"));
}

#[test]
fn bad_input_names_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("bad.log");
    write(
        &log,
        &format!(
            "{}\n2 123456789012 {LB} 10.0.0.300 10.0.0.10 1 443 6 1 60 1 2 ACCEPT OK\n",
            default_records()
        ),
    );
    let out = palisade(&["flows", "-i", &examples(), log.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("bad.log: line 6: field `srcaddr`: `10.0.0.300` is not an IP address"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
    let v = run_json(&[
        "flows",
        "-i",
        &examples(),
        "--lenient",
        "--format",
        "json",
        log.to_str().unwrap(),
    ]);
    assert_eq!(v["totals"]["bad_lines"].as_u64(), Some(1));

    let out = palisade(&[
        "flows",
        "-i",
        &examples(),
        "--log-format",
        "${srcaddr} ${nope}",
        log.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown flow log field `nope`"),
        "{}",
        stderr(&out)
    );
    let out = palisade(&[
        "flows",
        "-i",
        &examples(),
        dir.path().join("missing").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no such file or directory"));
}
