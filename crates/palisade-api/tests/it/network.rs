//! VPCs, subnets, interfaces, instances, peerings, prefix lists, tags and the eval endpoint.

use axum::body::Body;
use axum::http::Request;
use palisade_api::sigv4::sign_post;

use crate::harness::{KEY_A, Server, now};

#[tokio::test]
async fn vpc_subnet_eni_instance_lifecycle() {
    let s = Server::new();
    let vpc = s
        .call(
            "CreateVpc",
            &[
                ("CidrBlock", "10.0.0.0/16"),
                ("AmazonProvidedIpv6CidrBlock", "true"),
            ],
        )
        .await
        .ok();
    let vpc_id = vpc.text("vpcId").unwrap();
    assert!(vpc.text("ipv6CidrBlock").unwrap().ends_with("/56"));
    let g = s
        .call(
            "CreateSecurityGroup",
            &[
                ("GroupName", "web"),
                ("GroupDescription", "d"),
                ("VpcId", &vpc_id),
            ],
        )
        .await
        .ok()
        .text("groupId")
        .unwrap();
    let d = s
        .call("DescribeSecurityGroups", &[("GroupId.1", &g)])
        .await
        .ok();
    assert!(
        d.body.contains("<cidrIpv6>::/0</cidrIpv6>"),
        "IPv6 VPC: ::/0 default egress"
    );
    let subnet = s
        .call(
            "CreateSubnet",
            &[("VpcId", &vpc_id), ("CidrBlock", "10.0.1.0/24")],
        )
        .await
        .ok()
        .text("subnetId")
        .unwrap();
    assert_eq!(
        s.call(
            "CreateSubnet",
            &[("VpcId", &vpc_id), ("CidrBlock", "10.9.0.0/24")]
        )
        .await
        .code()
        .as_deref(),
        Some("InvalidSubnet.Range")
    );
    let g2 = s
        .call(
            "CreateSecurityGroup",
            &[
                ("GroupName", "ssh"),
                ("GroupDescription", "d"),
                ("VpcId", &vpc_id),
            ],
        )
        .await
        .ok()
        .text("groupId")
        .unwrap();
    let eni = s
        .call(
            "CreateNetworkInterface",
            &[
                ("SubnetId", &subnet),
                ("SecurityGroupId.1", &g),
                ("SecurityGroupId.2", &g2),
            ],
        )
        .await
        .ok();
    let eni_id = eni.text("networkInterfaceId").unwrap();
    assert_eq!(eni.text("privateIpAddress").as_deref(), Some("10.0.1.4"));
    assert_eq!(
        s.call("DeleteSecurityGroup", &[("GroupId", &g2)])
            .await
            .code()
            .as_deref(),
        Some("DependencyViolation")
    );
    s.call(
        "ModifyNetworkInterfaceAttribute",
        &[("NetworkInterfaceId", &eni_id), ("SecurityGroupId.1", &g)],
    )
    .await
    .ok();
    let d = s
        .call(
            "DescribeNetworkInterfaces",
            &[("Filter.1.Name", "group-id"), ("Filter.1.Value.1", &g)],
        )
        .await
        .ok();
    assert_eq!(d.all("networkInterfaceId"), std::slice::from_ref(&eni_id));
    s.call("DeleteSecurityGroup", &[("GroupId", &g2)])
        .await
        .ok();
    let run = s
        .call(
            "RunInstances",
            &[
                ("ImageId", "ami-12345678"),
                ("MinCount", "1"),
                ("MaxCount", "1"),
                ("SubnetId", &subnet),
                ("SecurityGroupId.1", &g),
            ],
        )
        .await
        .ok();
    let inst = run.text("instanceId").unwrap();
    let d = s
        .call("DescribeInstances", &[("InstanceId.1", &inst)])
        .await
        .ok();
    assert_eq!(d.text("name").as_deref(), Some("running"));
    s.call(
        "ModifyInstanceAttribute",
        &[("InstanceId", &inst), ("GroupId.1", &g)],
    )
    .await
    .ok();
    assert_eq!(
        s.call("DeleteSubnet", &[("SubnetId", &subnet)])
            .await
            .code()
            .as_deref(),
        Some("DependencyViolation")
    );
    s.call("TerminateInstances", &[("InstanceId.1", &inst)])
        .await
        .ok();
    s.call("DeleteNetworkInterface", &[("NetworkInterfaceId", &eni_id)])
        .await
        .ok();
    s.call("DeleteSubnet", &[("SubnetId", &subnet)]).await.ok();
    s.call("DeleteSecurityGroup", &[("GroupId", &g)]).await.ok();
    s.call("DeleteVpc", &[("VpcId", &vpc_id)]).await.ok();
    assert_eq!(
        s.call("DeleteVpc", &[("VpcId", &vpc_id)])
            .await
            .code()
            .as_deref(),
        Some("InvalidVpcID.NotFound")
    );
}

#[tokio::test]
async fn peering_references_and_stale_rules() {
    let s = Server::new();
    let v1 = s
        .call("CreateVpc", &[("CidrBlock", "10.1.0.0/16")])
        .await
        .ok()
        .text("vpcId")
        .unwrap();
    let v2 = s
        .call("CreateVpc", &[("CidrBlock", "10.2.0.0/16")])
        .await
        .ok()
        .text("vpcId")
        .unwrap();
    let a = s
        .call(
            "CreateSecurityGroup",
            &[
                ("GroupName", "a"),
                ("GroupDescription", "d"),
                ("VpcId", &v1),
            ],
        )
        .await
        .ok()
        .text("groupId")
        .unwrap();
    let b = s
        .call(
            "CreateSecurityGroup",
            &[
                ("GroupName", "b"),
                ("GroupDescription", "d"),
                ("VpcId", &v2),
            ],
        )
        .await
        .ok()
        .text("groupId")
        .unwrap();
    let rule = [
        ("GroupId", a.as_str()),
        ("IpPermissions.1.IpProtocol", "tcp"),
        ("IpPermissions.1.FromPort", "443"),
        ("IpPermissions.1.ToPort", "443"),
        ("IpPermissions.1.Groups.1.GroupId", b.as_str()),
    ];
    assert_eq!(
        s.call("AuthorizeSecurityGroupIngress", &rule)
            .await
            .code()
            .as_deref(),
        Some("InvalidGroup.NotFound"),
        "not peered yet"
    );
    let pcx = s
        .call(
            "CreateVpcPeeringConnection",
            &[("VpcId", &v1), ("PeerVpcId", &v2)],
        )
        .await
        .ok()
        .text("vpcPeeringConnectionId")
        .unwrap();
    s.call(
        "AcceptVpcPeeringConnection",
        &[("VpcPeeringConnectionId", &pcx)],
    )
    .await
    .ok();
    s.call("AuthorizeSecurityGroupIngress", &rule).await.ok();
    let refs = s
        .call("DescribeSecurityGroupReferences", &[("GroupId.1", &b)])
        .await
        .ok();
    assert_eq!(refs.text("referencingVpcId").as_deref(), Some(v1.as_str()));
    assert_eq!(
        s.call("DescribeStaleSecurityGroups", &[("VpcId", &v1)])
            .await
            .ok()
            .all("groupId")
            .len(),
        0
    );
    s.call(
        "DeleteVpcPeeringConnection",
        &[("VpcPeeringConnectionId", &pcx)],
    )
    .await
    .ok();
    let stale = s
        .call("DescribeStaleSecurityGroups", &[("VpcId", &v1)])
        .await
        .ok();
    assert_eq!(stale.all("groupId")[0], a);
    let d = s
        .call(
            "DescribeVpcPeeringConnections",
            &[("VpcPeeringConnectionId.1", &pcx)],
        )
        .await
        .ok();
    assert_eq!(d.text("code").as_deref(), Some("deleted"));
}

#[tokio::test]
async fn prefix_lists_and_tags() {
    let s = Server::new();
    let pl = s
        .call(
            "CreateManagedPrefixList",
            &[
                ("PrefixListName", "office"),
                ("AddressFamily", "IPv4"),
                ("MaxEntries", "5"),
                ("Entry.1.Cidr", "198.51.100.0/24"),
                ("Entry.1.Description", "hq"),
            ],
        )
        .await
        .ok()
        .text("prefixListId")
        .unwrap();
    s.call(
        "ModifyManagedPrefixList",
        &[
            ("PrefixListId", &pl),
            ("CurrentVersion", "1"),
            ("AddEntry.1.Cidr", "203.0.113.0/24"),
        ],
    )
    .await
    .ok();
    let stale_version = s
        .call(
            "ModifyManagedPrefixList",
            &[
                ("PrefixListId", &pl),
                ("CurrentVersion", "1"),
                ("AddEntry.1.Cidr", "192.0.2.0/24"),
            ],
        )
        .await;
    assert_eq!(
        stale_version.code().as_deref(),
        Some("PrefixListVersionMismatch")
    );
    let e = s
        .call("GetManagedPrefixListEntries", &[("PrefixListId", &pl)])
        .await
        .ok();
    assert_eq!(e.all("cidr"), ["198.51.100.0/24", "203.0.113.0/24"]);
    let d = s
        .call("DescribeManagedPrefixLists", &[("PrefixListId.1", &pl)])
        .await
        .ok();
    assert_eq!(d.text("version").as_deref(), Some("2"));
    s.call(
        "CreateTags",
        &[
            ("ResourceId.1", &pl),
            ("Tag.1.Key", "env"),
            ("Tag.1.Value", "prod"),
        ],
    )
    .await
    .ok();
    let t = s
        .call(
            "DescribeTags",
            &[("Filter.1.Name", "resource-id"), ("Filter.1.Value.1", &pl)],
        )
        .await
        .ok();
    assert_eq!(t.text("resourceType").as_deref(), Some("prefix-list"));
    s.call("DeleteTags", &[("ResourceId.1", &pl), ("Tag.1.Key", "env")])
        .await
        .ok();
    assert!(
        s.call("DescribeTags", &[])
            .await
            .ok()
            .all("resourceId")
            .is_empty()
    );
    s.call("DeleteManagedPrefixList", &[("PrefixListId", &pl)])
        .await
        .ok();
    assert_eq!(
        s.call("DescribeManagedPrefixLists", &[("PrefixListId.1", &pl)])
            .await
            .code()
            .as_deref(),
        Some("InvalidPrefixListID.NotFound")
    );
}

pub(crate) async fn eval(s: &Server, json: &str) -> serde_json::Value {
    let headers = sign_post(
        KEY_A.0,
        KEY_A.1,
        "us-east-1",
        "ec2",
        "localhost",
        "/_palisade/eval",
        "application/json",
        json.as_bytes(),
        now(),
    );
    let mut b = Request::builder().method("POST").uri("/_palisade/eval");
    for (n, v) in headers {
        b = b.header(n, v);
    }
    let r = s.raw(b.body(Body::from(json.to_owned())).unwrap()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    serde_json::from_str(&r.body).unwrap()
}

#[tokio::test]
async fn eval_answers_over_live_state() {
    let s = Server::new();
    let web = s
        .call(
            "CreateSecurityGroup",
            &[("GroupName", "web"), ("GroupDescription", "d")],
        )
        .await
        .ok()
        .text("groupId")
        .unwrap();
    let rule = s
        .call(
            "AuthorizeSecurityGroupIngress",
            &[
                ("GroupId", &web),
                ("IpPermissions.1.IpProtocol", "tcp"),
                ("IpPermissions.1.FromPort", "443"),
                ("IpPermissions.1.ToPort", "443"),
                ("IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0"),
            ],
        )
        .await
        .ok()
        .text("securityGroupRuleId")
        .unwrap();
    let subnet = s.call("DescribeSubnets", &[]).await.ok().all("subnetId")[0].clone();
    let eni = s
        .call(
            "CreateNetworkInterface",
            &[("SubnetId", &subnet), ("SecurityGroupId.1", &web)],
        )
        .await
        .ok()
        .text("networkInterfaceId")
        .unwrap();
    let ask = |port: u16| {
        format!(
            r#"{{"interface":"{eni}","direction":"ingress","remote":"198.51.100.7","protocol":"tcp","port":{port}}}"#
        )
    };
    let yes = eval(&s, &ask(443)).await;
    assert_eq!(yes["verdict"], "allow");
    assert_eq!(yes["matches"][0]["rule_id"], rule.as_str());
    assert_eq!(eval(&s, &ask(22)).await["verdict"], "deny");
    let snap = eval(&s, "{}").await;
    assert!(
        snap.to_string().contains(&web),
        "the snapshot document names the group"
    );
}

/// The `palisade eval --endpoint` client against a real listener on loopback.
#[tokio::test]
async fn fetch_json_client_over_a_socket() {
    let s = Server::new();
    let web = s
        .call(
            "CreateSecurityGroup",
            &[("GroupName", "web"), ("GroupDescription", "d")],
        )
        .await
        .ok()
        .text("groupId")
        .unwrap();
    let mut state = s.state.clone();
    state.clock = palisade_api::Clock::System;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server =
        tokio::spawn(async move { axum::serve(listener, palisade_api::router(state)).await });
    let endpoint = format!("http://{addr}");
    let snap = palisade_api::fetch_json(&endpoint, KEY_A.0, KEY_A.1, "us-east-1", "{}")
        .await
        .unwrap();
    assert!(snap.to_string().contains(&web));
    let err = palisade_api::fetch_json(&endpoint, KEY_A.0, "wrong", "us-east-1", "{}")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("AuthFailure"), "{err}");
    server.abort();
}

/// What `palisade eval --endpoint` will do: fetch the live snapshot document and import it
/// exactly like `-i` files; the round trip keeps every group, rule and interface.
#[tokio::test]
async fn live_snapshot_document_imports_like_describe_files() {
    let s = Server::new();
    let web = s
        .call(
            "CreateSecurityGroup",
            &[("GroupName", "web"), ("GroupDescription", "d")],
        )
        .await
        .ok()
        .text("groupId")
        .unwrap();
    s.call(
        "AuthorizeSecurityGroupIngress",
        &[
            ("GroupId", &web),
            ("IpPermissions.1.IpProtocol", "tcp"),
            ("IpPermissions.1.FromPort", "443"),
            ("IpPermissions.1.ToPort", "443"),
            ("IpPermissions.1.Groups.1.GroupId", &web),
        ],
    )
    .await
    .ok();
    let subnet = s.call("DescribeSubnets", &[]).await.ok().all("subnetId")[0].clone();
    s.call(
        "CreateNetworkInterface",
        &[("SubnetId", &subnet), ("SecurityGroupId.1", &web)],
    )
    .await
    .ok();
    let doc = eval(&s, "{}").await.to_string();
    let (snap, errors) =
        palisade_ec2::import_texts(&[("live", &doc)], &palisade_model::Quotas::default());
    assert!(errors.is_empty(), "{errors:?}");
    let groups: Vec<String> = snap.groups.keys().map(ToString::to_string).collect();
    assert_eq!(groups.len(), 2, "default and web");
    assert!(groups.contains(&web));
    assert_eq!(
        snap.groups.values().map(|g| g.rules().len()).sum::<usize>(),
        4,
        "default: self + egress, web: egress + 443"
    );
    assert_eq!(snap.enis.len(), 1);
}
