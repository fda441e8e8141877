//! The console's HTTP behaviour.

use crate::harness::{KEY_A, KEY_B, Server, text};

#[tokio::test]
async fn root_redirects_browsers_and_leaves_ec2_calls_to_the_api() {
    let s = Server::new();
    let browser = s.get("/", None).await;
    assert_eq!(browser.status, 303);
    assert_eq!(browser.location.as_deref(), Some("/console/"));
    // An unsigned EC2 GET is still the API's: an EC2 error, not a redirect.
    let unsigned = s
        .get("/?Action=DescribeVpcs&Version=2016-11-15", None)
        .await;
    assert_ne!(unsigned.status, 303);
    assert!(unsigned.xml("Code").is_some(), "{}", unsigned.body);
    let presigned = s.get("/?X-Amz-Algorithm=AWS4-HMAC-SHA256", None).await;
    assert_ne!(presigned.status, 303);
    let signed = s.api(KEY_A, "DescribeVpcs", &[]).await;
    assert_eq!(signed.status, 200, "{}", signed.body);
}

#[tokio::test]
async fn pages_need_a_session() {
    let s = Server::new();
    for path in [
        "/console/",
        "/console/groups",
        "/console/graph",
        "/console/audit",
    ] {
        let r = s.get(path, None).await;
        assert_eq!(r.status, 303, "{path}");
        assert_eq!(r.location.as_deref(), Some("/console/signin"), "{path}");
    }
    let forged = s
        .get("/console/groups", Some("palisade_console=00ff"))
        .await;
    assert_eq!(forged.location.as_deref(), Some("/console/signin"));
}

#[tokio::test]
async fn sign_in_sets_a_strict_http_only_cookie_that_never_holds_the_secret() {
    let s = Server::new();
    let r = s
        .post(
            "/console/signin",
            None,
            &[
                ("access_key", KEY_A.0),
                ("secret", KEY_A.1),
                ("region", "us-east-1"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.set_cookie.len(), 1);
    let cookie = &r.set_cookie[0];
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(flag), "{cookie}");
    }
    assert!(!cookie.contains(KEY_A.1), "{cookie}");
    let token = cookie.split(';').next().unwrap();
    assert_eq!(token.len(), "palisade_console=".len() + 64, "{token}");
    let overview = s.get("/console/", Some(token)).await;
    assert_eq!(overview.status, 200);
    assert!(overview.body.contains("111111111111"));
    assert!(!overview.body.contains(KEY_A.1));
    // Two sign-ins get two different sessions.
    let (other, _) = s.sign_in(KEY_A).await;
    assert_ne!(other, token);
}

#[tokio::test]
async fn a_bad_secret_or_unknown_key_is_refused_with_auth_failure() {
    let s = Server::new();
    for (key, secret) in [
        (KEY_A.0, "wrong"),
        ("AKIDNOBODY", KEY_A.1),
        (KEY_A.0, KEY_B.1),
    ] {
        let r = s
            .post(
                "/console/signin",
                None,
                &[
                    ("access_key", key),
                    ("secret", secret),
                    ("region", "us-east-1"),
                ],
            )
            .await;
        assert_eq!(r.status, 401, "{key}");
        assert!(r.set_cookie.is_empty());
        let err = text(&r.element("secret-error").unwrap());
        assert!(err.starts_with("AuthFailure: "), "{err}");
        // The typed secret is never sent back.
        assert!(!r.body.contains(secret));
    }
    let region = s
        .post(
            "/console/signin",
            None,
            &[
                ("access_key", KEY_A.0),
                ("secret", KEY_A.1),
                ("region", "mars-north-1"),
            ],
        )
        .await;
    assert_eq!(region.status, 400);
    assert!(region.element("region-error").is_some());
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let s = Server::new();
    let (cookie, csrf) = s.sign_in(KEY_A).await;
    let wrong = s
        .post("/console/signout", Some(&cookie), &[("csrf", "nope")])
        .await;
    assert_eq!(wrong.status, 403);
    let out = s
        .post("/console/signout", Some(&cookie), &[("csrf", &csrf)])
        .await;
    assert_eq!(out.status, 303);
    assert!(out.set_cookie[0].contains("Max-Age=0"));
    let after = s.get("/console/", Some(&cookie)).await;
    assert_eq!(after.location.as_deref(), Some("/console/signin"));
}

fn new_group<'a>(csrf: &'a str, name: &'a str, step: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("step", step),
        ("name", name),
        ("group_description", "from the console"),
        ("preset", "web"),
    ]
}

async fn group_names(s: &Server, key: (&str, &str)) -> Vec<String> {
    let r = s.api(key, "DescribeSecurityGroups", &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
        .split("<groupName>")
        .skip(1)
        .map(|x| x.split('<').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_form_without_the_sessions_csrf_token_changes_nothing() {
    let s = Server::new();
    let (cookie, csrf) = s.sign_in(KEY_A).await;
    for token in ["", "0000", &csrf[..csrf.len() - 1]] {
        let r = s
            .post(
                "/console/groups/new",
                Some(&cookie),
                &new_group(token, "pc-forged", "save"),
            )
            .await;
        assert_eq!(r.status, 403, "{token}");
        assert!(r.body.contains("InvalidCsrfToken"));
    }
    assert!(
        !group_names(&s, KEY_A)
            .await
            .contains(&"pc-forged".to_owned())
    );
    // Another session's token does not do either.
    let (_, other_csrf) = s.sign_in(KEY_A).await;
    let r = s
        .post(
            "/console/groups/new",
            Some(&cookie),
            &new_group(&other_csrf, "pc-forged", "save"),
        )
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn preview_saves_nothing_and_save_creates_the_group_with_its_rules() {
    let s = Server::new();
    let (cookie, csrf) = s.sign_in(KEY_A).await;
    let preview = s
        .post(
            "/console/groups/new",
            Some(&cookie),
            &new_group(&csrf, "pc-web", "preview"),
        )
        .await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    let shown = text(&preview.body);
    assert!(shown.contains("Preview (not saved)"), "{shown}");
    assert!(shown.contains("ingress tcp/80 from 0.0.0.0/0"), "{shown}");
    assert!(!group_names(&s, KEY_A).await.contains(&"pc-web".to_owned()));

    let saved = s
        .post(
            "/console/groups/new",
            Some(&cookie),
            &new_group(&csrf, "pc-web", "save"),
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let location = saved.location.unwrap();
    let id = location
        .trim_start_matches("/console/groups/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let rules = s
        .api(
            KEY_A,
            "DescribeSecurityGroupRules",
            &[("Filter.1.Name", "group-id"), ("Filter.1.Value.1", &id)],
        )
        .await;
    assert_eq!(rules.status, 200, "{}", rules.body);
    assert_eq!(
        rules.body.matches("<cidrIpv4>0.0.0.0/0</cidrIpv4>").count(),
        3,
        "{}",
        rules.body
    );
    let page = s.get(&location, Some(&cookie)).await;
    assert!(text(&page.body).contains("HTTPS"));
}

#[tokio::test]
async fn accounts_are_isolated() {
    let s = Server::new();
    let (a, a_csrf) = s.sign_in(KEY_A).await;
    let saved = s
        .post(
            "/console/groups/new",
            Some(&a),
            &new_group(&a_csrf, "pc-only-a", "save"),
        )
        .await;
    let location = saved.location.unwrap();
    let id = location
        .trim_start_matches("/console/groups/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();

    let (b, b_csrf) = s.sign_in(KEY_B).await;
    let list = s.get("/console/groups", Some(&b)).await;
    assert!(!list.body.contains("pc-only-a"));
    assert!(!list.body.contains(&id));
    let page = s.get(&format!("/console/groups/{id}"), Some(&b)).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("InvalidGroup.NotFound"));
    // B cannot write to A's group either.
    let r = s
        .post(
            &format!("/console/groups/{id}/rules"),
            Some(&b),
            &[
                ("csrf", &b_csrf),
                ("step", "save"),
                ("preset", "ssh"),
                ("source", "192.0.2.0/24"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(
        group_names(&s, KEY_B)
            .await
            .iter()
            .all(|n| n != "pc-only-a")
    );
}

/// The console's error for a bad value is the API's for the same value: same code, same
/// message, next to the field that holds it.
#[track_caller]
fn assert_same_error(console: &crate::harness::Reply, field: &str, api: &crate::harness::Reply) {
    assert_eq!(console.status, 400, "{}", console.body);
    let shown = text(
        &console
            .element(&format!("{field}-error"))
            .unwrap_or_else(|| panic!("no {field}-error in {}", console.body)),
    );
    let expected = format!(
        "{}: {}",
        api.xml("Code").unwrap(),
        text(&api.xml("Message").unwrap())
    );
    assert_eq!(shown, expected);
}

#[tokio::test]
async fn a_bad_value_gets_the_apis_ec2_error_next_to_its_field() {
    let s = Server::new();
    let made = s
        .api(
            KEY_A,
            "CreateSecurityGroup",
            &[("GroupName", "pc-target"), ("GroupDescription", "t")],
        )
        .await;
    let id = made.xml("groupId").unwrap();
    let (cookie, csrf) = s.sign_in(KEY_A).await;
    let cases: &[(&str, [&str; 4])] = &[
        ("source", ["tcp", "22", "22", "10.0.0.0/33"]),
        ("source", ["tcp", "22", "22", "sg-nothere"]),
        ("from_port", ["tcp", "70000", "70000", "10.0.0.0/8"]),
        ("protocol", ["bogus", "1", "2", "10.0.0.0/8"]),
    ];
    for (field, [protocol, from, to, source]) in cases {
        let console = s
            .post(
                &format!("/console/groups/{id}/rules"),
                Some(&cookie),
                &[
                    ("csrf", &csrf),
                    ("step", "save"),
                    ("preset", "custom"),
                    ("protocol", protocol),
                    ("from_port", from),
                    ("to_port", to),
                    ("source", source),
                ],
            )
            .await;
        let member = if source.starts_with("sg-") {
            "IpPermissions.1.Groups.1.GroupId"
        } else {
            "IpPermissions.1.IpRanges.1.CidrIp"
        };
        let api = s
            .api(
                KEY_A,
                "AuthorizeSecurityGroupIngress",
                &[
                    ("GroupId", &id),
                    ("IpPermissions.1.IpProtocol", protocol),
                    ("IpPermissions.1.FromPort", from),
                    ("IpPermissions.1.ToPort", to),
                    (member, source),
                ],
            )
            .await;
        assert_eq!(api.status, 400, "{}", api.body);
        assert_same_error(&console, field, &api);
    }
    // A duplicate name on the new-group form is the API's InvalidGroup.Duplicate.
    let dup = s
        .post(
            "/console/groups/new",
            Some(&cookie),
            &new_group(&csrf, "pc-target", "save"),
        )
        .await;
    let api = s
        .api(
            KEY_A,
            "CreateSecurityGroup",
            &[
                ("GroupName", "pc-target"),
                ("GroupDescription", "from the console"),
            ],
        )
        .await;
    assert_same_error(&dup, "name", &api);
}

#[tokio::test]
async fn every_page_renders_for_a_signed_in_session() {
    let s = Server::new();
    let (cookie, csrf) = s.sign_in(KEY_A).await;
    let saved = s
        .post(
            "/console/groups/new",
            Some(&cookie),
            &new_group(&csrf, "pc-pages", "save"),
        )
        .await;
    let group = saved.location.unwrap();
    let eni = {
        let subnets = s.api(KEY_A, "DescribeSubnets", &[]).await;
        let subnet = subnets.xml("subnetId").unwrap();
        let made = s
            .api(KEY_A, "CreateNetworkInterface", &[("SubnetId", &subnet)])
            .await;
        made.xml("networkInterfaceId").unwrap()
    };
    for path in [
        "/console/".to_owned(),
        "/console/vpcs?q=172.31.0.1".to_owned(),
        "/console/subnets".to_owned(),
        "/console/interfaces".to_owned(),
        format!("/console/interfaces/{eni}"),
        "/console/groups?q=pc-pages".to_owned(),
        group.clone(),
        "/console/groups/new".to_owned(),
        "/console/graph".to_owned(),
        "/console/audit".to_owned(),
    ] {
        let r = s.get(&path, Some(&cookie)).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert!(r.body.starts_with("<!DOCTYPE html>"), "{path}");
    }
    let found = s.get("/console/groups?q=pc-pages", Some(&cookie)).await;
    assert!(found.body.contains("pc-pages"));
    let not_found = s
        .get("/console/groups?q=no-such-group", Some(&cookie))
        .await;
    assert!(!not_found.body.contains("pc-pages"));
    let vpcs = s.get("/console/vpcs?q=172.31.0.1", Some(&cookie)).await;
    assert!(vpcs.body.contains("172.31.0.0/16"), "{}", vpcs.body);
    let none = s.get("/console/vpcs?q=10.99.0.1", Some(&cookie)).await;
    assert!(!none.body.contains("172.31.0.0/16"));
}

#[tokio::test]
async fn a_form_posted_from_another_origin_is_refused() {
    use axum::body::Body;
    use axum::http::{Request, header};
    let s = Server::new();
    let post = |origin: &'static str| {
        Request::builder()
            .method("POST")
            .uri("/console/signin")
            .header(header::HOST, "127.0.0.1:8787")
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "access_key={}&secret={}&region=us-east-1",
                KEY_A.0, KEY_A.1
            )))
            .unwrap()
    };
    let cross = s.send(post("http://attacker.example")).await;
    assert_eq!(cross.status, 403);
    assert!(cross.set_cookie.is_empty());
    let same = s.send(post("http://127.0.0.1:8787")).await;
    assert_eq!(same.status, 303);
    assert_eq!(same.set_cookie.len(), 1);
}

#[tokio::test]
async fn presets_on_an_existing_group_save_their_rules_and_report_bad_parameters() {
    let s = Server::new();
    let db = s
        .api(
            KEY_A,
            "CreateSecurityGroup",
            &[("GroupName", "pc-db"), ("GroupDescription", "db")],
        )
        .await
        .xml("groupId")
        .unwrap();
    let app = s
        .api(
            KEY_A,
            "CreateSecurityGroup",
            &[("GroupName", "pc-app"), ("GroupDescription", "app")],
        )
        .await
        .xml("groupId")
        .unwrap();
    let (cookie, csrf) = s.sign_in(KEY_A).await;
    let path = format!("/console/groups/{db}/rules");
    let saved = s
        .post(
            &path,
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("step", "save"),
                ("preset", "database"),
                ("engine", "postgres"),
                ("source", &app),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let rules = s
        .api(
            KEY_A,
            "DescribeSecurityGroupRules",
            &[("Filter.1.Name", "group-id"), ("Filter.1.Value.1", &db)],
        )
        .await;
    assert!(
        rules.body.contains("<fromPort>5432</fromPort>"),
        "{}",
        rules.body
    );
    assert!(
        rules.body.contains(&format!("<groupId>{app}</groupId>")),
        "{}",
        rules.body
    );

    let engine = s
        .post(
            &path,
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("step", "preview"),
                ("preset", "database"),
                ("engine", "db2"),
                ("source", &app),
            ],
        )
        .await;
    assert_eq!(engine.status, 400);
    assert!(text(&engine.element("engine-error").unwrap()).starts_with("InvalidParameterValue: "));

    let ping = s
        .post(
            &path,
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("step", "save"),
                ("preset", "ping"),
                ("source", "2001:db8::/64"),
            ],
        )
        .await;
    assert_eq!(ping.status, 400);
    assert!(text(&ping.element("source-error").unwrap()).starts_with("InvalidParameterValue: "));

    // The same rule twice is the API's InvalidPermission.Duplicate, for the form as a whole.
    let again = s
        .post(
            &path,
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("step", "save"),
                ("preset", "database"),
                ("engine", "postgres"),
                ("source", &app),
            ],
        )
        .await;
    assert_eq!(again.status, 400);
    assert!(
        text(&again.body).contains("InvalidPermission.Duplicate"),
        "{}",
        again.body
    );
}

#[tokio::test]
async fn revoke_removes_exactly_the_rule() {
    let s = Server::new();
    let (cookie, csrf) = s.sign_in(KEY_A).await;
    let saved = s
        .post(
            "/console/groups/new",
            Some(&cookie),
            &new_group(&csrf, "pc-revoke", "save"),
        )
        .await;
    let id = saved
        .location
        .unwrap()
        .trim_start_matches("/console/groups/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let filter = [
        ("Filter.1.Name", "group-id"),
        ("Filter.1.Value.1", id.as_str()),
    ];
    let before = s.api(KEY_A, "DescribeSecurityGroupRules", &filter).await;
    let http = before
        .body
        .split("<item>")
        .find(|item| item.contains("<fromPort>80</fromPort>"))
        .unwrap();
    let rule = http
        .split("<securityGroupRuleId>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let revoke = format!("/console/groups/{id}/revoke");
    // The table's button previews: nothing is revoked until the confirmation.
    let preview = s
        .post(
            &revoke,
            Some(&cookie),
            &[("csrf", &csrf), ("direction", "ingress"), ("rule", &rule)],
        )
        .await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(
        text(&preview.body).contains(&format!("- {id} {rule}: ingress tcp/80 from 0.0.0.0/0")),
        "{}",
        preview.body
    );
    assert!(preview.body.contains("id=\"revoke-confirm\""));
    let still = s.api(KEY_A, "DescribeSecurityGroupRules", &filter).await;
    assert!(still.body.contains(&rule));
    let r = s
        .post(
            &revoke,
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("direction", "ingress"),
                ("rule", &rule),
                ("step", "save"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let after = s.api(KEY_A, "DescribeSecurityGroupRules", &filter).await;
    assert!(!after.body.contains(&rule));
    assert!(after.body.contains("<fromPort>443</fromPort>"));
}

#[tokio::test]
async fn the_graph_draws_groups_interfaces_and_peerings() {
    let s = Server::new();
    let (cookie, csrf) = s.sign_in(KEY_A).await;
    let saved = s
        .post(
            "/console/groups/new",
            Some(&cookie),
            &new_group(&csrf, "pc-graph", "save"),
        )
        .await;
    let group = saved
        .location
        .unwrap()
        .trim_start_matches("/console/groups/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let vpcs = s.api(KEY_A, "DescribeVpcs", &[]).await;
    let default_vpc = vpcs.xml("vpcId").unwrap();
    let other = s
        .api(KEY_A, "CreateVpc", &[("CidrBlock", "10.1.0.0/16")])
        .await
        .xml("vpcId")
        .unwrap();
    let pcx = s
        .api(
            KEY_A,
            "CreateVpcPeeringConnection",
            &[("VpcId", &default_vpc), ("PeerVpcId", &other)],
        )
        .await;
    assert_eq!(pcx.status, 200, "{}", pcx.body);
    let pcx = pcx.xml("vpcPeeringConnectionId").unwrap();
    let page = s.get("/console/graph", Some(&cookie)).await;
    assert_eq!(page.status, 200);
    for key in [
        format!("data-key=\"{group}\""),
        "data-key=\"internet\"".to_owned(),
        format!("data-key=\"vpc:{other}\""),
    ] {
        assert!(page.body.contains(&key), "{key} not in {}", page.body);
    }
    // The web preset's edge from the internet, and the peering between the two VPCs.
    assert!(page.body.contains("tcp/443, tcp/80"), "{}", page.body);
    assert!(page.body.contains(&pcx), "{}", page.body);
}
