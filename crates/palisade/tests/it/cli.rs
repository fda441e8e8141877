//! `palisade eval` and `palisade preset` as users run them: exit codes (0 allow, 1 deny,
//! 2 error), the `--json` contract, errors that name the file and the item (never a
//! panic), and preset output fed back as describe-security-groups JSON.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::fixture::{palisade, stderr, stdout};

fn examples() -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/snapshot");
    dir.to_str().unwrap().to_owned()
}

const DB_ENI: &str = "eni-0d44e55f66a77b884";
const WEB_ENI: &str = "eni-0b22c33d44e55f662";

#[track_caller]
fn eval_code(inputs: &[&str], rest: &[&str]) -> (i32, String, String) {
    let mut args = vec!["eval"];
    for i in inputs {
        args.extend(["-i", i]);
    }
    args.extend(rest);
    let out = palisade(&args);
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    (out.status.code().unwrap(), stdout(&out), err)
}

#[test]
fn example_snapshot_allows_and_denies() {
    let ex = examples();
    let db = |peer: &str| {
        eval_code(
            &[&ex],
            &[
                "--interface",
                DB_ENI,
                "--direction",
                "ingress",
                "--protocol",
                "tcp",
                "--peer",
                peer,
                "--port",
                "5432",
            ],
        )
    };
    // A web server's private address: allowed by the group reference.
    let (code, out, _) = db("10.0.1.10");
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("allow: tcp/5432 from 10.0.1.10"), "{out}");
    // The same web server's public address: a group reference never matches it.
    assert_eq!(db("203.0.113.21").0, 1);
    // An instance of the app subnet outside the web group.
    assert_eq!(db("10.0.1.99").0, 1);
    // The analytics worker across the active peering.
    assert_eq!(db("10.1.0.10").0, 0);
    // SSH from the office prefix list, ICMPv6 echo to the bastion.
    let rest = [
        "--interface",
        WEB_ENI,
        "--direction",
        "ingress",
        "--protocol",
        "tcp",
        "--peer",
        "192.0.2.200",
        "--port",
        "22",
    ];
    assert_eq!(eval_code(&[&ex], &rest).0, 0);
    let rest = [
        "--interface",
        "eni-0e55f66a77b88c995",
        "--direction",
        "ingress",
        "--protocol",
        "icmpv6",
        "--peer",
        "2001:db8:ffff::1",
        "--icmp-type",
        "128",
    ];
    assert_eq!(eval_code(&[&ex], &rest).0, 0);
    let rest = [
        "--interface",
        "eni-0e55f66a77b88c995",
        "--direction",
        "ingress",
        "--protocol",
        "icmpv6",
        "--peer",
        "2001:db8:ffff::1",
        "--icmp-type",
        "128",
        "--icmp-code",
        "1",
    ];
    assert_eq!(eval_code(&[&ex], &rest).0, 1);
}

#[test]
fn json_output_contract() {
    let ex = examples();
    let (code, out, _) = eval_code(
        &[&ex],
        &[
            "--interface",
            WEB_ENI,
            "--direction",
            "ingress",
            "--protocol",
            "TCP",
            "--peer",
            "2001:db8:ffff::1",
            "--port",
            "443",
            "--json",
        ],
    );
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verdict"], "allow");
    let m = &v["matches"][0];
    assert_eq!(m["group_id"], "sg-0b2c3d4e5f6071829");
    assert!(m["rule_id"].as_str().unwrap().starts_with("sgr-"));
    assert_eq!(m["direction"], "ingress");
    assert_eq!(m["rule"], "ingress tcp/443 from ::/0 (HTTPS)");
    let (code, out, _) = eval_code(
        &[&ex],
        &[
            "--interface",
            WEB_ENI,
            "--direction",
            "egress",
            "--protocol",
            "udp",
            "--peer",
            "10.0.2.53",
            "--port",
            "53",
            "--json",
        ],
    );
    assert_eq!(code, 0, "default egress allows all");
    // web and cluster groups both keep the default all-traffic egress rule.
    let v: Value = serde_json::from_str(&out).unwrap();
    let groups: Vec<&str> = v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["group_id"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["sg-0718293a4b5c6d7e8", "sg-0b2c3d4e5f6071829"]);
    let (code, out, _) = eval_code(
        &[&ex],
        &[
            "--interface",
            DB_ENI,
            "--direction",
            "egress",
            "--protocol",
            "udp",
            "--peer",
            "10.0.2.53",
            "--port",
            "53",
            "--json",
        ],
    );
    assert_eq!(code, 1, "the database only reaches updates");
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap(),
        json!({"verdict": "deny", "matches": []})
    );
}

fn write(dir: &tempfile::TempDir, name: &str, v: &Value) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, serde_json::to_string(v).unwrap()).unwrap();
    path.to_str().unwrap().to_owned()
}

fn minimal(perms: Value, egress: Value) -> Value {
    json!({
        "SecurityGroups": [{"GroupId": "sg-00000000000000001", "GroupName": "t", "Description": "t", "VpcId": "vpc-00000000000000001",
                            "OwnerId": "123456789012", "IpPermissions": perms, "IpPermissionsEgress": egress},
                           {"GroupId": "sg-00000000000000002", "GroupName": "clients", "Description": "t", "VpcId": "vpc-00000000000000001",
                            "OwnerId": "123456789012"}],
        "NetworkInterfaces": [{"NetworkInterfaceId": "eni-00000000000000001", "VpcId": "vpc-00000000000000001", "OwnerId": "123456789012",
                               "PrivateIpAddress": "10.0.0.5", "Groups": [{"GroupId": "sg-00000000000000001"}]},
                              {"NetworkInterfaceId": "eni-00000000000000002", "VpcId": "vpc-00000000000000001", "OwnerId": "123456789012",
                               "PrivateIpAddress": "10.0.1.5", "Association": {"PublicIp": "203.0.113.5"}, "Groups": [{"GroupId": "sg-00000000000000002"}]}]
    })
}

#[track_caller]
fn preset_json(args: &[&str]) -> Value {
    let mut all = vec!["preset"];
    all.extend(args);
    let out = palisade(&all);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

#[test]
fn preset_output_is_usable_ip_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let pkt = |port: &str, peer: &str| {
        [
            "--interface",
            "eni-00000000000000001",
            "--direction",
            "ingress",
            "--protocol",
            "tcp",
            "--peer",
            peer,
            "--port",
            port,
        ]
        .map(str::to_owned)
    };
    let web = preset_json(&["web", "--ipv6"]);
    let f = write(&dir, "web.json", &minimal(web, json!([])));
    assert_eq!(
        eval_code(
            &[&f],
            &pkt("443", "2001:db8::1").each_ref().map(String::as_str)
        )
        .0,
        0
    );
    assert_eq!(
        eval_code(
            &[&f],
            &pkt("22", "198.51.100.1").each_ref().map(String::as_str)
        )
        .0,
        1
    );

    let db = preset_json(&[
        "database",
        "--engine",
        "aurora",
        "--source",
        "sg-00000000000000002",
    ]);
    let f = write(&dir, "db.json", &minimal(db.clone(), json!([])));
    assert_eq!(
        eval_code(
            &[&f],
            &pkt("3306", "10.0.1.5").each_ref().map(String::as_str)
        )
        .0,
        0
    );
    assert_eq!(
        eval_code(
            &[&f],
            &pkt("3306", "203.0.113.5").each_ref().map(String::as_str)
        )
        .0,
        1
    );
    assert_eq!(
        db[0]["UserIdGroupPairs"][0]["GroupId"],
        "sg-00000000000000002"
    );

    let egress = preset_json(&["database-egress"]);
    let f = write(&dir, "egress.json", &minimal(json!([]), egress));
    let out = |peer: &str, port: &str| {
        [
            "--interface",
            "eni-00000000000000001",
            "--direction",
            "egress",
            "--protocol",
            "tcp",
            "--peer",
            peer,
            "--port",
            port,
        ]
        .map(str::to_owned)
    };
    assert_eq!(
        eval_code(
            &[&f],
            &out("203.0.113.9", "443").each_ref().map(String::as_str)
        )
        .0,
        0
    );
    assert_eq!(
        eval_code(
            &[&f],
            &out("203.0.113.9", "25").each_ref().map(String::as_str)
        )
        .0,
        1
    );

    let lb_out = preset_json(&[
        "elb",
        "--listener-port",
        "443",
        "--instance-port",
        "8080",
        "--instances",
        "sg-00000000000000002",
        "--direction",
        "egress",
    ]);
    assert_eq!(
        lb_out.as_array().unwrap().len(),
        1,
        "instance and health-check ports are the same: one rule"
    );
    let f = write(&dir, "lb.json", &minimal(json!([]), lb_out));
    assert_eq!(
        eval_code(
            &[&f],
            &out("10.0.1.5", "8080").each_ref().map(String::as_str)
        )
        .0,
        0
    );
    assert_eq!(
        eval_code(
            &[&f],
            &out("203.0.113.5", "8080").each_ref().map(String::as_str)
        )
        .0,
        1
    );

    let ping = preset_json(&["ping", "--source", "198.51.100.0/24"]);
    assert_eq!(
        ping,
        json!([{"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1,
        "IpRanges": [{"CidrIp": "198.51.100.0/24", "Description": "ping (ICMP echo request)"}],
        "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}])
    );
    let peered = preset_json(&[
        "peered-group",
        "--group",
        "sg-00000000000000003",
        "--vpc",
        "vpc-00000000000000009",
        "--peering",
        "pcx-00000000000000009",
        "--protocol",
        "tcp",
        "--port",
        "5432",
    ]);
    let pair = &peered[0]["UserIdGroupPairs"][0];
    assert_eq!(pair["VpcPeeringConnectionId"], "pcx-00000000000000009");
    assert_eq!(pair["VpcId"], "vpc-00000000000000009");
}

#[test]
fn preset_list_and_errors() {
    let out = palisade(&["preset", "--list"]);
    assert_eq!(out.status.code(), Some(0));
    for p in palisade_model::presets::ALL {
        assert!(stdout(&out).contains(p.name), "{}", p.name);
    }
    for args in [
        &["preset", "nope"][..],
        &["preset", "ping", "--source", "2001:db8::/64"],
        &["preset", "ssh", "--source", "sg-00000000000000001"],
        &["preset", "ssh", "--source", "198.51.100.7"],
        &[
            "preset",
            "database",
            "--engine",
            "db2",
            "--source",
            "10.0.0.0/16",
        ],
        &["preset", "elb", "--listener-port", "443"],
        &["preset", "web", "--direction", "egress"],
    ] {
        let out = palisade(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stdout(&out));
        assert!(
            stderr(&out).starts_with("error:"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn bad_input_exits_2_naming_file_and_item() {
    let dir = tempfile::tempdir().unwrap();
    let pkt = [
        "--interface",
        "eni-00000000000000001",
        "--direction",
        "ingress",
        "--protocol",
        "tcp",
        "--peer",
        "10.0.0.1",
        "--port",
        "22",
    ];
    let ok = minimal(json!([]), json!([]));

    let f = dir.path().join("broken.json");
    std::fs::write(&f, "{\"SecurityGroups\": [").unwrap();
    let (code, _, err) = eval_code(&[f.to_str().unwrap()], &pkt);
    assert_eq!(code, 2);
    assert!(err.contains("broken.json: malformed JSON"), "{err}");

    let mut bad_rule = ok.clone();
    bad_rule["SecurityGroups"][0]["IpPermissions"] = json!([{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 70000, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]);
    let f = write(&dir, "rule.json", &bad_rule);
    let (code, _, err) = eval_code(&[&f], &pkt);
    assert_eq!(code, 2);
    assert!(err.contains("rule.json: SecurityGroups[0] (sg-00000000000000001): ip_permissions[0].from_port: TCP/UDP (to) port (70000) out of range"), "{err}");

    let mut unknown = ok.clone();
    unknown["NetworkInterfaces"][0]["Groups"] = json!([{"GroupId": "sg-0000000000000000f"}]);
    let f = write(&dir, "unknown.json", &unknown);
    let (code, _, err) = eval_code(&[&f], &pkt);
    assert_eq!(code, 2);
    assert!(
        err.contains("sg-0000000000000000f, which is not in the input"),
        "{err}"
    );

    let sub = tempfile::tempdir().unwrap();
    write(&sub, "a.json", &ok);
    write(&sub, "b.json", &ok);
    let (code, _, err) = eval_code(&[sub.path().to_str().unwrap()], &pkt);
    assert_eq!(code, 2);
    assert!(err.contains("b.json: SecurityGroups[0] (sg-00000000000000001): duplicate id sg-00000000000000001 (first seen in"), "{err}");

    let f = write(&dir, "ok.json", &ok);
    for (rest, want) in [
        (
            &[
                "--interface",
                "eni-0000000000000000f",
                "--direction",
                "ingress",
                "--protocol",
                "tcp",
                "--peer",
                "10.0.0.1",
                "--port",
                "22",
            ][..],
            "unknown network interface",
        ),
        (
            &[
                "--interface",
                "eni-00000000000000001",
                "--direction",
                "ingress",
                "--protocol",
                "all",
                "--peer",
                "10.0.0.1",
                "--port",
                "22",
            ],
            "Unknown protocol",
        ),
        (
            &[
                "--interface",
                "eni-00000000000000001",
                "--direction",
                "ingress",
                "--protocol",
                "tcp",
                "--peer",
                "10.0.0.1",
            ],
            "tcp needs --port",
        ),
        (
            &[
                "--interface",
                "eni-00000000000000001",
                "--direction",
                "ingress",
                "--protocol",
                "icmp",
                "--peer",
                "2001:db8::1",
                "--icmp-type",
                "8",
            ],
            "icmp is IPv4",
        ),
        (
            &[
                "--interface",
                "eni-1",
                "--direction",
                "ingress",
                "--protocol",
                "tcp",
                "--peer",
                "10.0.0.1",
                "--port",
                "1",
            ],
            "Invalid id",
        ),
        (&["--trace", "-", "--port", "22"], "cannot be used with"),
    ] {
        let (code, _, err) = eval_code(&[&f], rest);
        assert_eq!(code, 2, "{rest:?}");
        assert!(err.contains(want), "{rest:?}: {err}");
    }
    let (code, _, err) = eval_code(&[dir.path().join("missing.json").to_str().unwrap()], &pkt);
    assert_eq!(code, 2);
    assert!(err.contains("missing.json"), "{err}");
}

#[test]
fn same_file_twice_is_read_once() {
    let ex = examples();
    let file = format!("{ex}/describe-vpcs.json");
    let rest = [
        "--interface",
        DB_ENI,
        "--direction",
        "ingress",
        "--protocol",
        "tcp",
        "--peer",
        "10.0.1.10",
        "--port",
        "5432",
    ];
    assert_eq!(eval_code(&[&ex, &file], &rest).0, 0);
}

/// A large bad file prints a screenful of problems, not every one of them.
#[test]
fn many_problems_print_the_first_twenty_and_a_count() {
    let dir = tempfile::tempdir().unwrap();
    let bad_rule = json!([{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 70000, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]);
    let groups: Vec<Value> = (1..=1000)
        .map(|n| {
            json!({"GroupId": format!("sg-{n:017x}"), "GroupName": format!("g{n}"), "Description": "t",
                   "VpcId": "vpc-00000000000000001", "OwnerId": "123456789012", "IpPermissions": bad_rule})
        })
        .collect();
    let f = write(&dir, "big.json", &json!({ "SecurityGroups": groups }));
    let long_name = "x".repeat(100_000);
    let g = write(
        &dir,
        "long.json",
        &json!({"SecurityGroups": [{"GroupId": long_name, "GroupName": "g", "Description": "t", "VpcId": "vpc-00000000000000001", "OwnerId": "123456789012"}]}),
    );
    let pkt = [
        "--interface",
        "eni-00000000000000001",
        "--direction",
        "ingress",
        "--protocol",
        "tcp",
        "--peer",
        "10.0.0.1",
        "--port",
        "22",
    ];
    let (code, _, err) = eval_code(&[&g, &f], &pkt);
    assert_eq!(code, 2);
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines[0].contains("invalid input (1001 problems):"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len(), 22, "{err}");
    assert_eq!(lines[21], "  … and 981 more problems");
    // A problem quoting a huge value is cut short.
    assert!(
        lines[1].contains("long.json") && lines[1].ends_with('…'),
        "{}",
        lines[1]
    );
    assert!(lines[1].chars().count() < 400, "{}", lines[1].len());
    assert!(err.len() < 20_000, "{} bytes", err.len());
}
