//! `palisade audit` and `palisade reach --from internet` on a snapshot with routing state:
//! the path (gateway, route table, address) and latent exposure in JSON and SARIF, with
//! Prowler's and ScoutSuite's ids as aliases.

use serde_json::{Value, json};

use crate::fixture::{palisade, stdout};

const OWNER: &str = "111122223333";

/// eni 1: public address in a subnet whose main table routes 0.0.0.0/0 to the attached
/// gateway, SSH open to the world; eni 2: no public address, MySQL open to the world.
fn snapshot() -> Value {
    let eni = |n: u32, public: Option<&str>| {
        let mut v = json!({
            "NetworkInterfaceId": format!("eni-{n:08x}"), "OwnerId": OWNER,
            "VpcId": "vpc-00000001", "SubnetId": "subnet-00000001",
            "PrivateIpAddress": format!("10.0.0.{}", 10 * n),
            "PrivateIpAddresses": [{ "PrivateIpAddress": format!("10.0.0.{}", 10 * n), "Primary": true }],
            "Groups": [{ "GroupId": format!("sg-{n:08x}"), "GroupName": format!("g{n}") }],
        });
        if let Some(ip) = public {
            v["Association"] = json!({ "PublicIp": ip });
        }
        v
    };
    let group = |n: u32, port: u16| {
        json!({
            "GroupId": format!("sg-{n:08x}"), "GroupName": format!("g{n}"), "Description": "d",
            "VpcId": "vpc-00000001", "OwnerId": OWNER,
            "IpPermissions": [{ "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                "IpRanges": [{ "CidrIp": "0.0.0.0/0" }] }],
            "IpPermissionsEgress": [],
        })
    };
    json!({
        "Vpcs": [{ "VpcId": "vpc-00000001", "OwnerId": OWNER, "CidrBlock": "10.0.0.0/16", "IsDefault": false }],
        "SecurityGroups": [group(1, 22), group(2, 3306)],
        "NetworkInterfaces": [eni(1, Some("203.0.113.10")), eni(2, None)],
        "RouteTables": [{
            "RouteTableId": "rtb-00000001", "VpcId": "vpc-00000001", "OwnerId": OWNER,
            "Routes": [
                { "DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active" },
                { "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-00000001", "State": "active" },
            ],
            "Associations": [{ "Main": true, "RouteTableAssociationId": "rtbassoc-00000001" }],
        }],
        "InternetGateways": [{
            "InternetGatewayId": "igw-00000001", "OwnerId": OWNER,
            "Attachments": [{ "VpcId": "vpc-00000001", "State": "available" }],
        }],
    })
}

fn run(dir: &tempfile::TempDir, args: &[&str]) -> (i32, Value) {
    let file = dir.path().join("snap.json");
    std::fs::write(&file, snapshot().to_string()).unwrap();
    let mut all = args.to_vec();
    let path = file.to_str().unwrap().to_owned();
    all.extend(["-i", &path]);
    let out = palisade(&all);
    let text = stdout(&out);
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (out.status.code().unwrap(), v)
}

fn find<'a>(findings: &'a [Value], check: &str, resource: &str) -> &'a Value {
    findings
        .iter()
        .find(|f| f["check"] == check && f["resource"] == resource)
        .unwrap_or_else(|| panic!("{check} on {resource} missing: {findings:#?}"))
}

#[test]
fn audit_json_names_the_path_and_the_aliases() {
    let dir = tempfile::tempdir().unwrap();
    let (code, v) = run(&dir, &["audit", "--format", "json"]);
    assert_eq!(code, 1);
    let findings = v["findings"].as_array().unwrap();
    let svc = find(findings, "service-reachable-from-internet", "eni-00000001");
    assert_eq!(svc["severity"], "critical");
    assert_eq!(
        svc["aliases"],
        json!(["prowler:ec2_instance_port_ssh_exposed_to_internet"])
    );
    assert_eq!(
        svc["paths"],
        json!([{
            "interface": "eni-00000001", "family": "ipv4", "state": "open",
            "gateway": "igw-00000001", "route_table": "rtb-00000001", "main_route_table": true,
            "routes": ["0.0.0.0/0"], "address": "203.0.113.10",
        }])
    );
    assert_eq!(svc["rules"][0]["group_id"], "sg-00000001");
    let admin = find(findings, "admin-port-open-to-internet", "sg-00000001");
    assert!(admin["aliases"].as_array().unwrap().contains(&json!(
        "prowler:ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22"
    )));
    // MySQL on the interface without a public address: latent, at its own severity.
    let lat = find(findings, "latent-internet-exposure", "sg-00000002");
    assert_eq!(lat["severity"], "medium");
    assert_eq!(lat["paths"][0]["state"], "latent");
    assert_eq!(
        lat["paths"][0]["missing"],
        json!(["no public IPv4 or Elastic IP address"])
    );
    assert!(lat["aliases"].as_array().unwrap().contains(&json!(
        "prowler:ec2_instance_port_mysql_exposed_to_internet"
    )));
    assert!(
        !findings
            .iter()
            .any(|f| f["check"] == "high-risk-port-open-to-internet")
    );
}

#[test]
fn audit_sarif_carries_aliases_and_paths() {
    let dir = tempfile::tempdir().unwrap();
    let (_, v) = run(&dir, &["audit", "--format", "sarif"]);
    let run0 = &v["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let unused = rules.iter().find(|r| r["id"] == "unused-group").unwrap();
    assert_eq!(
        unused["properties"]["aliases"],
        json!([
            "prowler:ec2_securitygroup_not_used",
            "scoutsuite:ec2-unused-security-group"
        ])
    );
    let results = run0["results"].as_array().unwrap();
    let svc = results
        .iter()
        .find(|r| r["ruleId"] == "service-reachable-from-internet")
        .unwrap();
    assert_eq!(
        svc["properties"]["aliases"],
        json!(["prowler:ec2_instance_port_ssh_exposed_to_internet"])
    );
    assert_eq!(svc["properties"]["paths"][0]["gateway"], "igw-00000001");
    assert_eq!(svc["level"], "error");
}

#[test]
fn reach_from_internet_shows_open_and_latent_interfaces() {
    let dir = tempfile::tempdir().unwrap();
    let (code, v) = run(&dir, &["reach", "--from", "internet", "--json"]);
    assert_eq!(code, 0);
    let exposed = v["exposed"].as_array().unwrap();
    assert_eq!(exposed.len(), 2);
    assert_eq!(exposed[0]["interface"], "eni-00000001");
    assert_eq!(exposed[0]["paths"][0]["state"], "open");
    assert_eq!(exposed[0]["flows"][0]["traffic"], json!(["tcp/22"]));
    assert_eq!(exposed[1]["interface"], "eni-00000002");
    assert_eq!(exposed[1]["risk"], 0);
    assert_eq!(exposed[1]["flows"], json!([]));
    assert_eq!(
        exposed[1]["latent_flows"][0]["traffic"],
        json!(["tcp/3306"])
    );
    // Asking for MySQL only: nothing is reachable now.
    let (code, _) = run(
        &dir,
        &[
            "reach",
            "--from",
            "internet",
            "--protocol",
            "tcp",
            "--port",
            "3306",
            "--json",
        ],
    );
    assert_eq!(code, 1);
}
