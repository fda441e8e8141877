//! `palisade agent --endpoint`: the agent following a real `palisade serve` child on
//! loopback instead of a directory, on the same namespace lab as `agent` (a routed host
//! namespace the test creates, a client and a database instance behind it). The state is
//! built through the EC2 Query API with the client's and the database's real addresses; the
//! test checks generation 1 fetched and applied, an AuthorizeSecurityGroupIngress and a
//! membership change through the API each becoming a new generation in force (`nft list` and
//! real TCP connects), and a stopped server keeping the ruleset in force while `last_error`
//! says why.
//!
//! Gated like `agent`: root, `nft`, `ip`, `conntrack` and `python3`, mandatory when `CI` is
//! set. Every wait is bounded; the server, the agent and the namespaces go on drop. The
//! source flags' usage errors are checked without root.

use crate::agent::{AgentLab, CLIENT, DB};
use crate::endpoint::{KEY, REGION, SECRET, Server, xml_text};

/// The server's ids for what the test builds.
pub(crate) struct Built {
    pub(crate) db_group: String,
    pub(crate) web_group: String,
    pub(crate) client_group: String,
    pub(crate) client_eni: String,
    pub(crate) db_eni: String,
}

/// A VPC 10.0.0.0/16 with the lab's subnets; groups `web`, `db` (tcp/5432 from `web`) and
/// `client`, each with EC2's default all-traffic egress rule; the client's interface
/// (10.0.1.10, in `client`) and the database's (10.0.2.10, in `db`).
pub(crate) fn build(s: &Server) -> Built {
    let vpc = xml_text(
        &s.call("CreateVpc", &[("CidrBlock", "10.0.0.0/16")]),
        "vpcId",
    );
    let subnet = |cidr: &str| {
        xml_text(
            &s.call("CreateSubnet", &[("VpcId", &vpc), ("CidrBlock", cidr)]),
            "subnetId",
        )
    };
    let (client_subnet, db_subnet) = (subnet("10.0.1.0/24"), subnet("10.0.2.0/24"));
    let group = |name: &str| {
        xml_text(
            &s.call(
                "CreateSecurityGroup",
                &[
                    ("GroupName", name),
                    ("GroupDescription", name),
                    ("VpcId", &vpc),
                ],
            ),
            "groupId",
        )
    };
    let (web_group, db_group, client_group) = (group("web"), group("db"), group("client"));
    s.call(
        "AuthorizeSecurityGroupIngress",
        &[
            ("GroupId", &db_group),
            ("IpPermissions.1.IpProtocol", "tcp"),
            ("IpPermissions.1.FromPort", "5432"),
            ("IpPermissions.1.ToPort", "5432"),
            ("IpPermissions.1.Groups.1.GroupId", &web_group),
        ],
    );
    let eni = |subnet: &str, group: &str, ip: &str| {
        xml_text(
            &s.call(
                "CreateNetworkInterface",
                &[
                    ("SubnetId", subnet),
                    ("SecurityGroupId.1", group),
                    ("PrivateIpAddress", ip),
                ],
            ),
            "networkInterfaceId",
        )
    };
    Built {
        client_eni: eni(&client_subnet, &client_group, CLIENT),
        db_eni: eni(&db_subnet, &db_group, DB),
        db_group,
        web_group,
        client_group,
    }
}

#[test]
fn agent_follows_palisade_serve() {
    let Some(mut lab) = AgentLab::new() else {
        return;
    };
    let server = Server::start();
    let built = build(&server);
    lab.serve("db", &["tcp:5432", "tcp:7000"]);
    lab.start_agent_with(
        &["--endpoint", &server.endpoint, "--poll"],
        (&built.client_eni, &built.db_eni),
        &[
            ("AWS_ACCESS_KEY_ID", KEY),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
            ("AWS_REGION", REGION),
        ],
    );

    // Generation 1, fetched from the server: the client is not in the web group.
    let state = lab.wait_state("generation 1 from the server", |s| s["generation"] == 1);
    // Over the fail-closed ruleset, known to be in force: only what changed is sent.
    assert_eq!(state["applied"], "incremental", "{state}");
    assert!(state["last_error"].is_null(), "{state}");
    assert_eq!(state["interfaces"], 2, "{state}");
    lab.expect(&[("client", 7000, false), ("client", 5432, false)]);

    // Generation 2: a rule authorized through the API (7000 from the client's address).
    server.call(
        "AuthorizeSecurityGroupIngress",
        &[
            ("GroupId", &built.db_group),
            ("IpPermissions.1.IpProtocol", "tcp"),
            ("IpPermissions.1.FromPort", "7000"),
            ("IpPermissions.1.ToPort", "7000"),
            ("IpPermissions.1.IpRanges.1.CidrIp", &format!("{CLIENT}/32")),
        ],
    );
    let state = lab.wait_state("generation 2 after the authorize", |s| s["generation"] == 2);
    assert_eq!(state["applied"], "incremental", "{state}");
    let table = lab.nft_list();
    // A CIDR rule with a port is an element of its group's `address . port` set.
    assert!(table.contains(&format!("{CLIENT} . 7000")), "{table}");
    lab.expect(&[("client", 7000, true), ("client", 5432, false)]);

    // Generation 3: the client joins the web group through the API. The client is local, so
    // its own chains change too (the web group's rules now apply to it): not members-only.
    server.call(
        "ModifyNetworkInterfaceAttribute",
        &[
            ("NetworkInterfaceId", &built.client_eni),
            ("SecurityGroupId.1", &built.client_group),
            ("SecurityGroupId.2", &built.web_group),
        ],
    );
    let state = lab.wait_state("generation 3 after the membership change", |s| {
        s["generation"] == 3
    });
    assert_eq!(state["applied"], "incremental", "{state}");
    lab.expect(&[("client", 5432, true), ("client", 7000, true)]);

    // The server goes away: the ruleset in force stays, and the state file says why.
    let before = lab.nft_list();
    let endpoint = server.endpoint.clone();
    drop(server);
    // A poll in flight while the server stops may first see a truncated answer; the next
    // poll finds the port closed. Wait for that one.
    let state = lab.wait_state("the unreachable server's error", |s| {
        s["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot reach"))
    });
    assert_eq!(state["generation"], 3, "{state}");
    let error = state["last_error"].as_str().unwrap_or_default();
    assert!(
        error.contains("cannot reach") && error.contains(&endpoint),
        "{state}"
    );
    assert_eq!(
        lab.nft_list(),
        before,
        "the previous ruleset stays in force"
    );
    lab.expect(&[("client", 5432, true), ("client", 7000, true)]);
    let out = lab.palisade(&["agent", "status", "--state-file", lab.state_file()]);
    assert_eq!(out.status.code(), Some(1), "status reports the failure");

    let log = lab.log();
    for generation in 1..=3 {
        assert!(
            log.contains(&format!("generation={generation}")),
            "generation {generation} is logged:\n{log}"
        );
    }
}

/// Source flags are checked before anything is loaded (needs no root: every case exits
/// first; `--netns` names no namespace, so even a regression could not touch the host).
#[test]
fn agent_source_usage_errors() {
    let run = |args: &[&str], creds: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_palisade"));
        cmd.arg("agent")
            .args(args)
            .args(["--map", "eni-00000001=eni1", "--once"])
            .args(["--netns", "palisade-no-such-namespace"])
            .args(["--state-file", "/nonexistent/palisade/agent.json"])
            .env_remove("AWS_SESSION_TOKEN");
        if creds {
            cmd.env("AWS_ACCESS_KEY_ID", KEY)
                .env("AWS_SECRET_ACCESS_KEY", SECRET);
        } else {
            cmd.env_remove("AWS_ACCESS_KEY_ID")
                .env_remove("AWS_SECRET_ACCESS_KEY");
        }
        let out = cmd.output().unwrap();
        (out.status.code(), String::from_utf8(out.stderr).unwrap())
    };
    for (args, creds, expected) in [
        (
            &["--snapshot-dir", "/tmp", "--endpoint", "http://127.0.0.1:9"][..],
            true,
            "cannot be used with",
        ),
        (&[][..], true, "--snapshot-dir DIR or --endpoint"),
        (
            &["--snapshot-dir", "/tmp", "--region", "eu-west-1"][..],
            true,
            "--region applies to --endpoint",
        ),
        (
            &["--endpoint", "127.0.0.1:9"][..],
            true,
            "expected http://HOST:PORT",
        ),
        (
            &["--endpoint", "http://127.0.0.1:9"][..],
            false,
            "AWS_ACCESS_KEY_ID",
        ),
    ] {
        let (code, err) = run(args, creds);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}
