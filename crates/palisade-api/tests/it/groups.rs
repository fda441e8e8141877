//! Security groups and rules through the handlers: shapes of the XML, EC2's error codes, the
//! Terraform cases (revoke default egress, rule lookup by id, partial revoke, several groups
//! on one interface), pagination.

use crate::harness::{Reply, Server};

async fn group(s: &Server, name: &str) -> String {
    s.call(
        "CreateSecurityGroup",
        &[("GroupName", name), ("GroupDescription", "test group")],
    )
    .await
    .ok()
    .text("groupId")
    .unwrap()
}

#[track_caller]
fn code(r: &Reply) -> &str {
    assert!(r.status >= 400, "expected an error: {}", r.body);
    r.body
        .split("<Code>")
        .nth(1)
        .and_then(|t| t.split("</Code>").next())
        .unwrap()
}

#[tokio::test]
async fn create_describe_delete() {
    let s = Server::new();
    let r = s
        .call(
            "CreateSecurityGroup",
            &[("GroupName", "web"), ("GroupDescription", "web servers")],
        )
        .await
        .ok();
    assert!(r.body.contains("<CreateSecurityGroupResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>"));
    let id = r.text("groupId").unwrap();
    assert!(
        r.text("securityGroupArn")
            .unwrap()
            .ends_with(&format!(":111111111111:security-group/{id}"))
    );
    let d = s
        .call("DescribeSecurityGroups", &[("GroupName.1", "web")])
        .await
        .ok();
    assert_eq!(d.text("groupId").as_deref(), Some(id.as_str()));
    assert_eq!(d.text("groupDescription").as_deref(), Some("web servers"));
    assert!(
        d.body.contains("<ipPermissions/>"),
        "no inbound rules: {}",
        d.body
    );
    assert!(d.body.contains("<ipPermissionsEgress><item><ipProtocol>-1</ipProtocol><groups/><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges>"));
    let del = s
        .call("DeleteSecurityGroup", &[("GroupId", &id)])
        .await
        .ok();
    assert_eq!(del.text("return").as_deref(), Some("true"));
    assert_eq!(
        code(
            &s.call("DescribeSecurityGroups", &[("GroupId.1", &id)])
                .await
        ),
        "InvalidGroup.NotFound"
    );
}

#[tokio::test]
async fn create_errors() {
    let s = Server::new();
    group(&s, "Web").await;
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("GroupName", "web"), ("GroupDescription", "d")],
            "InvalidGroup.Duplicate",
        ),
        (
            &[("GroupName", "default"), ("GroupDescription", "d")],
            "InvalidGroup.Reserved",
        ),
        (
            &[("GroupName", "sg-abc"), ("GroupDescription", "d")],
            "InvalidParameterValue",
        ),
        (&[("GroupName", "x")], "MissingParameter"),
        (
            &[
                ("GroupName", "x"),
                ("GroupDescription", "d"),
                ("VpcId", "vpc-0000000000000beef"),
            ],
            "InvalidVpcID.NotFound",
        ),
        (
            &[
                ("GroupName", "x"),
                ("GroupDescription", "d"),
                ("VpcId", "nope"),
            ],
            "InvalidVpcID.Malformed",
        ),
    ];
    for (params, want) in cases {
        assert_eq!(
            code(&s.call("CreateSecurityGroup", params).await),
            *want,
            "{params:?}"
        );
    }
    assert_eq!(
        code(
            &s.call("DescribeSecurityGroups", &[("GroupId.1", "foo")])
                .await
        ),
        "InvalidGroupId.Malformed"
    );
}

#[tokio::test]
async fn delete_dependencies() {
    let s = Server::new();
    let d = s
        .call("DescribeSecurityGroups", &[("GroupName.1", "default")])
        .await
        .ok();
    let default = d.text("groupId").unwrap();
    assert_eq!(
        code(
            &s.call("DeleteSecurityGroup", &[("GroupId", &default)])
                .await
        ),
        "CannotDelete"
    );
    let app = group(&s, "app").await;
    let db = group(&s, "db").await;
    s.call(
        "AuthorizeSecurityGroupIngress",
        &[
            ("GroupId", &db),
            ("IpPermissions.1.IpProtocol", "tcp"),
            ("IpPermissions.1.FromPort", "5432"),
            ("IpPermissions.1.ToPort", "5432"),
            ("IpPermissions.1.Groups.1.GroupId", &app),
        ],
    )
    .await
    .ok();
    assert_eq!(
        code(&s.call("DeleteSecurityGroup", &[("GroupId", &app)]).await),
        "DependencyViolation"
    );
    s.call("DeleteSecurityGroup", &[("GroupId", &db)])
        .await
        .ok();
    s.call("DeleteSecurityGroup", &[("GroupName", "app")])
        .await
        .ok();
}

#[tokio::test]
async fn authorize_revoke_and_rule_ids() {
    let s = Server::new();
    let web = group(&s, "web").await;
    let a = s
        .call(
            "AuthorizeSecurityGroupIngress",
            &[
                ("GroupId", &web),
                ("IpPermissions.1.IpProtocol", "tcp"),
                ("IpPermissions.1.FromPort", "443"),
                ("IpPermissions.1.ToPort", "443"),
                ("IpPermissions.1.IpRanges.1.CidrIp", "10.0.0.1/24"),
                ("IpPermissions.1.IpRanges.2.CidrIp", "192.168.0.0/16"),
                ("IpPermissions.1.Ipv6Ranges.1.CidrIpv6", "::/0"),
                ("TagSpecification.1.ResourceType", "security-group-rule"),
                ("TagSpecification.1.Tag.1.Key", "team"),
                ("TagSpecification.1.Tag.1.Value", "web"),
            ],
        )
        .await
        .ok();
    let ids = a.all("securityGroupRuleId");
    assert_eq!(ids.len(), 3);
    assert_eq!(
        a.all("cidrIpv4"),
        ["10.0.0.0/24", "192.168.0.0/16"],
        "canonicalised"
    );
    // The canonical twin is a duplicate.
    let dup = s
        .call(
            "AuthorizeSecurityGroupIngress",
            &[
                ("GroupId", &web),
                ("IpPermissions.1.IpProtocol", "tcp"),
                ("IpPermissions.1.FromPort", "443"),
                ("IpPermissions.1.ToPort", "443"),
                ("IpPermissions.1.IpRanges.1.CidrIp", "10.0.0.0/24"),
            ],
        )
        .await;
    assert_eq!(code(&dup), "InvalidPermission.Duplicate");
    // Lookup by rule id (Terraform's waiter).
    let d = s
        .call(
            "DescribeSecurityGroupRules",
            &[("SecurityGroupRuleId.1", &ids[1])],
        )
        .await
        .ok();
    assert_eq!(d.all("securityGroupRuleId"), [ids[1].clone()]);
    assert_eq!(d.text("value").as_deref(), Some("web"));
    // Revoke one range out of a permission that holds several.
    let r = s
        .call(
            "RevokeSecurityGroupIngress",
            &[
                ("GroupId", &web),
                ("IpPermissions.1.IpProtocol", "tcp"),
                ("IpPermissions.1.FromPort", "443"),
                ("IpPermissions.1.ToPort", "443"),
                ("IpPermissions.1.IpRanges.1.CidrIp", "192.168.0.0/16"),
            ],
        )
        .await
        .ok();
    assert_eq!(r.all("securityGroupRuleId"), [ids[1].clone()]);
    let left = s
        .call(
            "DescribeSecurityGroupRules",
            &[("Filter.1.Name", "group-id"), ("Filter.1.Value.1", &web)],
        )
        .await
        .ok();
    assert_eq!(
        left.all("securityGroupRuleId").len(),
        3,
        "two ingress + default egress"
    );
    // By id, and unknown ids.
    s.call(
        "RevokeSecurityGroupIngress",
        &[("GroupId", &web), ("SecurityGroupRuleId.1", &ids[2])],
    )
    .await
    .ok();
    let again = s
        .call(
            "RevokeSecurityGroupIngress",
            &[("GroupId", &web), ("SecurityGroupRuleId.1", &ids[2])],
        )
        .await;
    assert_eq!(code(&again), "InvalidSecurityGroupRuleId.NotFound");
    let missing = s
        .call(
            "RevokeSecurityGroupIngress",
            &[
                ("GroupId", &web),
                ("IpPermissions.1.IpProtocol", "udp"),
                ("IpPermissions.1.FromPort", "53"),
                ("IpPermissions.1.ToPort", "53"),
                ("IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0"),
            ],
        )
        .await;
    // Default VPC: a miss is no error; the response lists what was not revoked.
    let missing = missing.ok();
    assert!(
        missing
            .body
            .contains("<unknownIpPermissionSet><item><ipProtocol>udp</ipProtocol>"),
        "{}",
        missing.body
    );
    assert!(missing.body.contains("<revokedSecurityGroupRuleSet/>"));
    assert_eq!(
        code(
            &s.call(
                "DescribeSecurityGroupRules",
                &[
                    ("Filter.1.Name", "group-id"),
                    ("Filter.1.Value.1", "foobar")
                ]
            )
            .await
        ),
        "InvalidGroupId.Malformed"
    );
}

#[tokio::test]
async fn terraform_revokes_default_egress_with_zero_ports() {
    let s = Server::new();
    let vpc = s
        .call("CreateVpc", &[("CidrBlock", "10.5.0.0/16")])
        .await
        .ok()
        .text("vpcId")
        .unwrap();
    let web = s
        .call(
            "CreateSecurityGroup",
            &[
                ("GroupName", "web"),
                ("GroupDescription", "d"),
                ("VpcId", &vpc),
            ],
        )
        .await
        .ok()
        .text("groupId")
        .unwrap();
    let revoke = [
        ("GroupId", web.as_str()),
        ("IpPermissions.1.IpProtocol", "-1"),
        ("IpPermissions.1.FromPort", "0"),
        ("IpPermissions.1.ToPort", "0"),
        ("IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0"),
    ];
    let r = s.call("RevokeSecurityGroupEgress", &revoke).await.ok();
    assert_eq!(r.all("isEgress"), ["true"]);
    let d = s
        .call("DescribeSecurityGroups", &[("GroupId.1", &web)])
        .await
        .ok();
    assert!(d.body.contains("<ipPermissionsEgress/>"), "{}", d.body);
    // Nondefault VPC: a miss is an error and revokes nothing.
    assert_eq!(
        code(&s.call("RevokeSecurityGroupEgress", &revoke).await),
        "InvalidPermission.NotFound"
    );
}

#[tokio::test]
async fn validation_errors_and_quota() {
    let s = Server::new();
    let web = group(&s, "web").await;
    let auth = |proto: &'static str, from: &'static str, to: &'static str, cidr: &'static str| {
        let web = web.clone();
        let s = s.clone();
        async move {
            s.call(
                "AuthorizeSecurityGroupIngress",
                &[
                    ("GroupId", &web),
                    ("IpPermissions.1.IpProtocol", proto),
                    ("IpPermissions.1.FromPort", from),
                    ("IpPermissions.1.ToPort", to),
                    ("IpPermissions.1.IpRanges.1.CidrIp", cidr),
                ],
            )
            .await
        }
    };
    assert_eq!(
        code(&auth("tcp", "80", "70000", "0.0.0.0/0").await),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(&auth("all", "0", "0", "0.0.0.0/0").await),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(&auth("tcp", "80", "80", "::/0").await),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(&auth("tcp", "80", "80", "1.2.3.4").await),
        "InvalidParameterValue"
    );
    let no_source = s
        .call(
            "AuthorizeSecurityGroupIngress",
            &[
                ("GroupId", &web),
                ("IpPermissions.1.IpProtocol", "tcp"),
                ("IpPermissions.1.FromPort", "1"),
                ("IpPermissions.1.ToPort", "1"),
            ],
        )
        .await;
    assert_eq!(code(&no_source), "MissingParameter");
    let mut params: Vec<(String, String)> = vec![("GroupId".into(), web.clone())];
    for n in 1..=61 {
        params.push((format!("IpPermissions.{n}.IpProtocol"), "tcp".into()));
        params.push((format!("IpPermissions.{n}.FromPort"), n.to_string()));
        params.push((format!("IpPermissions.{n}.ToPort"), n.to_string()));
        params.push((
            format!("IpPermissions.{n}.IpRanges.1.CidrIp"),
            "10.0.0.0/8".into(),
        ));
    }
    let refs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        code(&s.call("AuthorizeSecurityGroupIngress", &refs).await),
        "RulesPerSecurityGroupLimitExceeded"
    );
    let bad_pl = s
        .call(
            "AuthorizeSecurityGroupIngress",
            &[
                ("GroupId", &web),
                ("IpPermissions.1.IpProtocol", "-1"),
                (
                    "IpPermissions.1.PrefixListIds.1.PrefixListId",
                    "pl-0000000000000beef",
                ),
            ],
        )
        .await;
    assert_eq!(code(&bad_pl), "InvalidPrefixListID.NotFound");
    let combo = s
        .call(
            "RevokeSecurityGroupIngress",
            &[
                ("GroupId", &web),
                ("SecurityGroupRuleId.1", "sgr-12345678"),
                ("IpPermissions.1.IpProtocol", "-1"),
                ("IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0"),
            ],
        )
        .await;
    assert_eq!(code(&combo), "InvalidParameterCombination");
    assert_eq!(
        code(
            &s.call(
                "RevokeSecurityGroupIngress",
                &[("GroupId", &web), ("SecurityGroupRuleId.1", "sgr-x")]
            )
            .await
        ),
        "InvalidSecurityGroupRuleId.Malformed"
    );
}

#[tokio::test]
async fn modify_rules_and_descriptions() {
    let s = Server::new();
    let web = group(&s, "web").await;
    let a = s
        .call(
            "AuthorizeSecurityGroupIngress",
            &[
                ("GroupId", &web),
                ("IpPermissions.1.IpProtocol", "tcp"),
                ("IpPermissions.1.FromPort", "22"),
                ("IpPermissions.1.ToPort", "22"),
                ("IpPermissions.1.IpRanges.1.CidrIp", "203.0.113.0/24"),
            ],
        )
        .await
        .ok();
    let id = a.text("securityGroupRuleId").unwrap();
    s.call(
        "ModifySecurityGroupRules",
        &[
            ("GroupId", &web),
            ("SecurityGroupRule.1.SecurityGroupRuleId", &id),
            ("SecurityGroupRule.1.SecurityGroupRule.IpProtocol", "tcp"),
            ("SecurityGroupRule.1.SecurityGroupRule.FromPort", "2222"),
            ("SecurityGroupRule.1.SecurityGroupRule.ToPort", "2222"),
            (
                "SecurityGroupRule.1.SecurityGroupRule.CidrIpv6",
                "2001:db8::/32",
            ),
            (
                "SecurityGroupRule.1.SecurityGroupRule.Description",
                "ssh v6",
            ),
        ],
    )
    .await
    .ok();
    let d = s
        .call(
            "DescribeSecurityGroupRules",
            &[("SecurityGroupRuleId.1", &id)],
        )
        .await
        .ok();
    assert_eq!(d.text("cidrIpv6").as_deref(), Some("2001:db8::/32"));
    assert_eq!(d.text("fromPort").as_deref(), Some("2222"));
    s.call(
        "UpdateSecurityGroupRuleDescriptionsIngress",
        &[
            ("GroupId", &web),
            ("SecurityGroupRuleDescription.1.SecurityGroupRuleId", &id),
            ("SecurityGroupRuleDescription.1.Description", "renamed"),
        ],
    )
    .await
    .ok();
    let d = s
        .call(
            "DescribeSecurityGroupRules",
            &[("SecurityGroupRuleId.1", &id)],
        )
        .await
        .ok();
    assert_eq!(d.text("description").as_deref(), Some("renamed"));
    let nf = s
        .call(
            "UpdateSecurityGroupRuleDescriptionsIngress",
            &[
                ("GroupId", &web),
                ("IpPermissions.1.IpProtocol", "udp"),
                ("IpPermissions.1.FromPort", "1"),
                ("IpPermissions.1.ToPort", "1"),
                ("IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0"),
            ],
        )
        .await;
    assert_eq!(code(&nf), "InvalidPermission.NotFound");
}

#[tokio::test]
async fn pagination_walks_every_group_once() {
    let s = Server::new();
    for n in 0..12 {
        group(&s, &format!("g{n}")).await;
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut params = vec![("MaxResults", "5".to_owned())];
        if let Some(t) = &token {
            params.push(("NextToken", t.clone()));
        }
        let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = s.call("DescribeSecurityGroups", &refs).await.ok();
        // `groupName` appears once per group (same-account references carry no name).
        let ids = r.all("groupName");
        assert!(ids.len() <= 5);
        seen.extend(ids);
        token = r.text("nextToken");
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), 13, "12 groups and the default one");
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 13);
    let r = s
        .call("DescribeSecurityGroups", &[("MaxResults", "4")])
        .await;
    assert_eq!(code(&r), "InvalidParameterValue");
}

#[tokio::test]
async fn filters() {
    let s = Server::new();
    let web = group(&s, "web-1").await;
    group(&s, "db-1").await;
    s.call(
        "AuthorizeSecurityGroupIngress",
        &[
            ("GroupId", &web),
            ("IpPermissions.1.IpProtocol", "tcp"),
            ("IpPermissions.1.FromPort", "80"),
            ("IpPermissions.1.ToPort", "80"),
            ("IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0"),
        ],
    )
    .await
    .ok();
    s.call(
        "CreateTags",
        &[
            ("ResourceId.1", &web),
            ("Tag.1.Key", "tier"),
            ("Tag.1.Value", "front"),
        ],
    )
    .await
    .ok();
    let ids = |r: Reply| r.ok().all("groupId");
    assert_eq!(
        ids(s
            .call(
                "DescribeSecurityGroups",
                &[
                    ("Filter.1.Name", "group-name"),
                    ("Filter.1.Value.1", "web-*")
                ]
            )
            .await),
        std::slice::from_ref(&web)
    );
    assert_eq!(
        ids(s
            .call(
                "DescribeSecurityGroups",
                &[
                    ("Filter.1.Name", "ip-permission.from-port"),
                    ("Filter.1.Value.1", "80")
                ]
            )
            .await),
        std::slice::from_ref(&web)
    );
    assert_eq!(
        ids(s
            .call(
                "DescribeSecurityGroups",
                &[("Filter.1.Name", "tag:tier"), ("Filter.1.Value.1", "front")]
            )
            .await),
        std::slice::from_ref(&web)
    );
    assert_eq!(
        ids(s
            .call(
                "DescribeSecurityGroups",
                &[
                    ("Filter.1.Name", "egress.ip-permission.cidr"),
                    ("Filter.1.Value.1", "0.0.0.0/0"),
                    ("Filter.2.Name", "description"),
                    ("Filter.2.Value.1", "test group")
                ]
            )
            .await)
        .len(),
        2
    );
    assert_eq!(
        code(
            &s.call(
                "DescribeSecurityGroups",
                &[("Filter.1.Name", "bogus"), ("Filter.1.Value.1", "x")]
            )
            .await
        ),
        "InvalidParameterValue"
    );
}

/// Account B may not reference account A's group without an active peering between their
/// VPCs (none joins them here; `peering.rs` has the peered case); A's own cross-VPC reference
/// needs its peering too. Both answer EC2's "two resources that belong to different
/// networks".
#[tokio::test]
async fn references_across_accounts_and_vpcs_need_a_peering() {
    let s = Server::new();
    let a_group = group(&s, "a-web").await;
    let b_group = s
        .call_as(
            crate::harness::KEY_B,
            "us-east-1",
            "CreateSecurityGroup",
            &[("GroupName", "b-web"), ("GroupDescription", "d")],
        )
        .await
        .ok()
        .text("groupId")
        .unwrap();
    let r = s
        .call_as(
            crate::harness::KEY_B,
            "us-east-1",
            "AuthorizeSecurityGroupIngress",
            &[
                ("GroupId", &b_group),
                ("IpPermissions.1.IpProtocol", "tcp"),
                ("IpPermissions.1.FromPort", "443"),
                ("IpPermissions.1.ToPort", "443"),
                ("IpPermissions.1.Groups.1.GroupId", &a_group),
                ("IpPermissions.1.Groups.1.UserId", "111111111111"),
            ],
        )
        .await;
    assert_eq!(code(&r), "InvalidGroup.NotFound");
    assert_eq!(
        r.text("Message").as_deref(),
        Some("You have specified two resources that belong to different networks.")
    );
    let rules = s
        .call_as(
            crate::harness::KEY_B,
            "us-east-1",
            "DescribeSecurityGroupRules",
            &[
                ("Filter.1.Name", "group-id"),
                ("Filter.1.Value.1", &b_group),
            ],
        )
        .await
        .ok();
    assert_eq!(rules.all("securityGroupRuleId").len(), 1, "{}", rules.body);
}
