//! VPC peering across accounts and regions (both records kept in step through one two-scope
//! transaction), prefix lists (AWS-managed, the legacy DescribePrefixLists, the
//! customer-managed state machine) and the legacy `tag-value` filter, through the router.

use crate::harness::{KEY_A, KEY_B, Reply, Server};

const EAST: &str = "us-east-1";
const WEST: &str = "eu-west-1";

async fn vpc(s: &Server, key: (&str, &str), region: &str, cidr: &str) -> String {
    s.call_as(key, region, "CreateVpc", &[("CidrBlock", cidr)])
        .await
        .ok()
        .text("vpcId")
        .unwrap()
}

async fn describe(s: &Server, key: (&str, &str), region: &str, pcx: &str) -> Reply {
    s.call_as(
        key,
        region,
        "DescribeVpcPeeringConnections",
        &[("VpcPeeringConnectionId.1", pcx)],
    )
    .await
}

fn status(r: &Reply) -> (String, String) {
    (r.text("code").unwrap(), r.text("message").unwrap())
}

#[tokio::test]
async fn cross_account_cross_region_peering_lifecycle() {
    let s = Server::new();
    let a_vpc = vpc(&s, KEY_A, EAST, "10.0.0.0/16").await;
    let b_vpc = vpc(&s, KEY_B, WEST, "10.1.0.0/16").await;
    let created = s
        .call(
            "CreateVpcPeeringConnection",
            &[
                ("VpcId", &a_vpc),
                ("PeerVpcId", &b_vpc),
                ("PeerOwnerId", "222222222222"),
                ("PeerRegion", WEST),
                ("TagSpecification.1.ResourceType", "vpc-peering-connection"),
                ("TagSpecification.1.Tag.1.Key", "Name"),
                ("TagSpecification.1.Tag.1.Value", "a-to-b"),
            ],
        )
        .await
        .ok();
    assert_eq!(
        status(&created),
        (
            "initiating-request".into(),
            "Initiating Request to 222222222222".into()
        )
    );
    let pcx = created.text("vpcPeeringConnectionId").unwrap();
    assert_eq!(created.all("region"), [WEST, EAST], "accepter first");
    assert!(created.text("expirationTime").unwrap().ends_with('Z'));
    // The accepter sees it, pending, in its own region only, without the requester's tags.
    let b_view = describe(&s, KEY_B, WEST, &pcx).await.ok();
    assert_eq!(
        status(&b_view),
        (
            "pending-acceptance".into(),
            "Pending Acceptance by 222222222222".into()
        )
    );
    assert!(!b_view.body.contains("a-to-b"));
    assert_eq!(
        describe(&s, KEY_B, EAST, &pcx).await.code().as_deref(),
        Some("InvalidVpcPeeringConnectionID.NotFound")
    );
    assert!(
        describe(&s, KEY_A, EAST, &pcx)
            .await
            .ok()
            .body
            .contains("a-to-b")
    );
    let accept = [("VpcPeeringConnectionId", pcx.as_str())];
    assert_eq!(
        s.call("AcceptVpcPeeringConnection", &accept)
            .await
            .code()
            .as_deref(),
        Some("OperationNotPermitted"),
        "the requester cannot accept"
    );
    let accepted = s
        .call_as(KEY_B, WEST, "AcceptVpcPeeringConnection", &accept)
        .await
        .ok();
    assert_eq!(status(&accepted), ("active".into(), "Active".into()));
    let a_view = describe(&s, KEY_A, EAST, &pcx).await.ok();
    assert_eq!(status(&a_view).0, "active");
    assert_eq!(a_view.all("cidrBlock")[0], "10.1.0.0/16");
    assert_eq!(
        a_view.all("allowDnsResolutionFromRemoteVpc"),
        ["false", "false"]
    );
    assert!(a_view.text("expirationTime").is_none());
    // Options: each side by its owner.
    let accepter = [
        ("VpcPeeringConnectionId", pcx.as_str()),
        (
            "AccepterPeeringConnectionOptions.AllowDnsResolutionFromRemoteVpc",
            "true",
        ),
    ];
    let requester = [
        ("VpcPeeringConnectionId", pcx.as_str()),
        (
            "RequesterPeeringConnectionOptions.AllowDnsResolutionFromRemoteVpc",
            "true",
        ),
    ];
    assert_eq!(
        s.call("ModifyVpcPeeringConnectionOptions", &accepter)
            .await
            .code()
            .as_deref(),
        Some("OperationNotPermitted")
    );
    let modified = s
        .call_as(KEY_B, WEST, "ModifyVpcPeeringConnectionOptions", &accepter)
        .await
        .ok();
    assert!(modified.body.contains("<accepterPeeringConnectionOptions>"));
    s.call("ModifyVpcPeeringConnectionOptions", &requester)
        .await
        .ok();
    assert_eq!(
        describe(&s, KEY_B, WEST, &pcx)
            .await
            .ok()
            .all("allowDnsResolutionFromRemoteVpc"),
        ["true", "true"]
    );
    // Filters.
    for (name, value, hits) in [
        ("status-code", "active", 1),
        ("status-message", "Active", 1),
        ("requester-vpc-info.owner-id", "111111111111", 1),
        ("accepter-vpc-info.cidr-block", "10.1.0.0/16", 1),
        ("accepter-vpc-info.vpc-id", b_vpc.as_str(), 1),
        ("tag-value", "a-to-b", 1),
        ("tag-value", "nope", 0),
        ("status-code", "pending-acceptance", 0),
    ] {
        let r = s
            .call(
                "DescribeVpcPeeringConnections",
                &[("Filter.1.Name", name), ("Filter.1.Value.1", value)],
            )
            .await
            .ok();
        assert_eq!(
            r.all("vpcPeeringConnectionId").len(),
            hits,
            "{name}={value}"
        );
    }
    // Either side deletes; both see it deleted, and it stays describable.
    s.call_as(KEY_B, WEST, "DeleteVpcPeeringConnection", &accept)
        .await
        .ok();
    assert_eq!(
        status(&describe(&s, KEY_A, EAST, &pcx).await.ok()),
        ("deleted".into(), "Deleted by 222222222222".into())
    );
    assert_eq!(
        s.call("DeleteVpcPeeringConnection", &accept)
            .await
            .code()
            .as_deref(),
        Some("InvalidStateTransition")
    );
}

#[tokio::test]
async fn rejects_overlaps_and_unserved_regions() {
    let s = Server::new();
    let a_vpc = vpc(&s, KEY_A, EAST, "10.0.0.0/16").await;
    let b_same = vpc(&s, KEY_B, EAST, "10.0.0.0/16").await;
    let b_other = vpc(&s, KEY_B, EAST, "10.2.0.0/16").await;
    let create = |peer: &str| {
        vec![
            ("VpcId", a_vpc.clone()),
            ("PeerVpcId", peer.to_owned()),
            ("PeerOwnerId", "222222222222".to_owned()),
        ]
    };
    let call = |params: Vec<(&'static str, String)>| {
        let s = s.clone();
        async move {
            let p: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            s.call("CreateVpcPeeringConnection", &p).await
        }
    };
    let failed = call(create(&b_same)).await.ok();
    assert_eq!(status(&failed).0, "failed");
    let pcx = failed.text("vpcPeeringConnectionId").unwrap();
    assert_eq!(
        describe(&s, KEY_B, EAST, &pcx).await.code().as_deref(),
        Some("InvalidVpcPeeringConnectionID.NotFound"),
        "a failed request stays the requester's"
    );
    let pending = call(create(&b_other)).await.ok();
    let pcx = pending.text("vpcPeeringConnectionId").unwrap();
    let id = [("VpcPeeringConnectionId", pcx.as_str())];
    assert_eq!(
        s.call("RejectVpcPeeringConnection", &id)
            .await
            .code()
            .as_deref(),
        Some("OperationNotPermitted")
    );
    s.call_as(KEY_B, EAST, "RejectVpcPeeringConnection", &id)
        .await
        .ok();
    assert_eq!(
        status(&describe(&s, KEY_A, EAST, &pcx).await.ok()),
        ("rejected".into(), "Rejected by 222222222222".into())
    );
    let mut unserved = create(&b_other);
    unserved.push(("PeerRegion", "xx-nowhere-1".to_owned()));
    assert_eq!(
        call(unserved).await.code().as_deref(),
        Some("InvalidParameterValue")
    );
    // Same account and region: the caller accepts its own request.
    let a2 = vpc(&s, KEY_A, EAST, "10.3.0.0/16").await;
    let own = s
        .call(
            "CreateVpcPeeringConnection",
            &[("VpcId", &a_vpc), ("PeerVpcId", &a2)],
        )
        .await
        .ok()
        .text("vpcPeeringConnectionId")
        .unwrap();
    let id = [("VpcPeeringConnectionId", own.as_str())];
    s.call("AcceptVpcPeeringConnection", &id).await.ok();
    assert_eq!(
        status(&describe(&s, KEY_A, EAST, &own).await.ok()).0,
        "active"
    );
}

#[tokio::test]
async fn aws_managed_prefix_lists_are_built_in_and_read_only() {
    let s = Server::new();
    let managed = s
        .call(
            "DescribeManagedPrefixLists",
            &[("Filter.1.Name", "owner-id"), ("Filter.1.Value.1", "AWS")],
        )
        .await
        .ok();
    let names = managed.all("prefixListName");
    assert!(names.contains(&"com.amazonaws.us-east-1.s3".to_owned()));
    assert!(names.contains(&"com.amazonaws.global.cloudfront.origin-facing".to_owned()));
    assert!(managed.all("state").iter().all(|x| x == "create-complete"));
    let entries = s
        .call(
            "GetManagedPrefixListEntries",
            &[("PrefixListId", "pl-63a5400a")],
        )
        .await
        .ok();
    assert!(entries.all("cidr").contains(&"52.216.0.0/15".to_owned()));
    let legacy = s
        .call(
            "DescribePrefixLists",
            &[
                ("Filter.1.Name", "prefix-list-name"),
                ("Filter.1.Value.1", "com.amazonaws.us-east-1.dynamodb"),
            ],
        )
        .await
        .ok();
    assert_eq!(legacy.all("prefixListId"), ["pl-02cd2c6b"]);
    assert_eq!(legacy.all("item").len(), 1 + 4, "one list of four CIDRs");
    for (action, extra) in [
        ("ModifyManagedPrefixList", ("PrefixListName", "mine")),
        ("DeleteManagedPrefixList", ("DryRun", "false")),
    ] {
        let r = s
            .call(action, &[("PrefixListId", "pl-63a5400a"), extra])
            .await;
        assert_eq!(
            r.code().as_deref(),
            Some("UnauthorizedOperation"),
            "{action}"
        );
    }
    // Another region's lists have their own ids.
    let west = s
        .call_as(KEY_A, WEST, "DescribeManagedPrefixLists", &[])
        .await
        .ok();
    assert!(!west.all("prefixListId").contains(&"pl-63a5400a".to_owned()));
    assert!(
        west.all("prefixListName")
            .contains(&"com.amazonaws.eu-west-1.s3".to_owned())
    );
    // An AWS list is a rule source.
    let sg = s
        .call(
            "CreateSecurityGroup",
            &[("GroupName", "s3"), ("GroupDescription", "d")],
        )
        .await
        .ok()
        .text("groupId")
        .unwrap();
    s.call(
        "AuthorizeSecurityGroupEgress",
        &[
            ("GroupId", &sg),
            ("IpPermissions.1.IpProtocol", "tcp"),
            ("IpPermissions.1.FromPort", "443"),
            ("IpPermissions.1.ToPort", "443"),
            (
                "IpPermissions.1.PrefixListIds.1.PrefixListId",
                "pl-63a5400a",
            ),
        ],
    )
    .await
    .ok();
}

#[tokio::test]
async fn customer_prefix_list_states_versions_and_failed_delete() {
    let s = Server::new();
    let created = s
        .call(
            "CreateManagedPrefixList",
            &[
                ("PrefixListName", "office"),
                ("AddressFamily", "IPv4"),
                ("MaxEntries", "2"),
                ("Entry.1.Cidr", "10.0.0.0/24"),
            ],
        )
        .await
        .ok();
    assert_eq!(created.text("state").as_deref(), Some("create-in-progress"));
    let pl = created.text("prefixListId").unwrap();
    let read = |s: &Server, pl: &str| {
        let s = s.clone();
        let pl = pl.to_owned();
        async move {
            s.call("DescribeManagedPrefixLists", &[("PrefixListId.1", &pl)])
                .await
        }
    };
    let r = read(&s, &pl).await.ok();
    assert_eq!(
        (r.text("state").as_deref(), r.text("version").as_deref()),
        (Some("create-complete"), Some("1"))
    );
    let modify = |params: &[(&str, &str)]| {
        let mut p = vec![("PrefixListId", pl.as_str())];
        p.extend_from_slice(params);
        let s = s.clone();
        let p: Vec<(String, String)> = p
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        async move {
            let p: Vec<(&str, &str)> = p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            s.call("ModifyManagedPrefixList", &p).await
        }
    };
    let renamed = modify(&[("PrefixListName", "office-2")]).await.ok();
    assert_eq!(renamed.text("state").as_deref(), Some("modify-in-progress"));
    assert_eq!(
        renamed.text("version").as_deref(),
        Some("1"),
        "a rename keeps the version"
    );
    // A change that makes no new version still completes as a modification (Terraform
    // waits for `modify-complete` after a MaxEntries change).
    let r = read(&s, &pl).await.ok();
    assert_eq!(
        (r.text("state").as_deref(), r.text("version").as_deref()),
        (Some("modify-complete"), Some("1"))
    );
    assert_eq!(
        modify(&[("CurrentVersion", "7"), ("AddEntry.1.Cidr", "10.1.0.0/24")])
            .await
            .code()
            .as_deref(),
        Some("PrefixListVersionMismatch")
    );
    assert_eq!(
        modify(&[
            ("AddEntry.1.Cidr", "10.1.0.0/24"),
            ("RemoveEntry.1.Cidr", "10.1.0.0/24")
        ])
        .await
        .code()
        .as_deref(),
        Some("InvalidParameterValue")
    );
    assert_eq!(
        modify(&[
            ("AddEntry.1.Cidr", "10.1.0.0/24"),
            ("AddEntry.2.Cidr", "10.2.0.0/24")
        ])
        .await
        .code()
        .as_deref(),
        Some("InvalidParameterValue"),
        "three entries exceed MaxEntries 2"
    );
    modify(&[("CurrentVersion", "1"), ("AddEntry.1.Cidr", "10.1.0.0/24")])
        .await
        .ok();
    assert_eq!(
        modify(&[("MaxEntries", "1")]).await.code().as_deref(),
        Some("InvalidParameterValue"),
        "smaller than the entries"
    );
    assert_eq!(
        modify(&[("MaxEntries", "5"), ("AddEntry.1.Cidr", "10.2.0.0/24")])
            .await
            .code()
            .as_deref(),
        Some("InvalidParameterCombination")
    );
    modify(&[("MaxEntries", "5")]).await.ok();
    let r = read(&s, &pl).await.ok();
    assert_eq!(
        (
            r.text("state").as_deref(),
            r.text("version").as_deref(),
            r.text("maxEntries").as_deref()
        ),
        (Some("modify-complete"), Some("2"), Some("5"))
    );
    // A referenced list's delete fails; the list stays, delete-failed with a message.
    let sg = s
        .call(
            "CreateSecurityGroup",
            &[("GroupName", "office"), ("GroupDescription", "d")],
        )
        .await
        .ok()
        .text("groupId")
        .unwrap();
    let rule = [
        ("GroupId", sg.as_str()),
        ("IpPermissions.1.IpProtocol", "tcp"),
        ("IpPermissions.1.FromPort", "22"),
        ("IpPermissions.1.ToPort", "22"),
        ("IpPermissions.1.PrefixListIds.1.PrefixListId", pl.as_str()),
    ];
    s.call("AuthorizeSecurityGroupIngress", &rule).await.ok();
    let used = s
        .call(
            "GetManagedPrefixListAssociations",
            &[("PrefixListId", pl.as_str())],
        )
        .await
        .ok();
    assert_eq!(used.all("resourceId"), std::slice::from_ref(&sg));
    assert_eq!(used.text("resourceOwner").as_deref(), Some("111111111111"));
    let del = [("PrefixListId", pl.as_str())];
    let deleting = s.call("DeleteManagedPrefixList", &del).await.ok();
    assert_eq!(
        deleting.text("state").as_deref(),
        Some("delete-in-progress")
    );
    let r = read(&s, &pl).await.ok();
    assert_eq!(r.text("state").as_deref(), Some("delete-failed"));
    assert!(r.text("stateMessage").unwrap().contains(&sg));
    s.call("RevokeSecurityGroupIngress", &rule).await.ok();
    s.call("DeleteManagedPrefixList", &del).await.ok();
    assert_eq!(
        read(&s, &pl).await.code().as_deref(),
        Some("InvalidPrefixListID.NotFound")
    );
}

#[tokio::test]
async fn tag_value_filters_every_tagged_describe() {
    let s = Server::new();
    let sg = s
        .call(
            "CreateSecurityGroup",
            &[
                ("GroupName", "web"),
                ("GroupDescription", "d"),
                ("TagSpecification.1.ResourceType", "security-group"),
                ("TagSpecification.1.Tag.1.Key", "env"),
                ("TagSpecification.1.Tag.1.Value", "prod"),
            ],
        )
        .await
        .ok()
        .text("groupId")
        .unwrap();
    for action in ["DescribeSecurityGroups", "DescribeTags"] {
        for (value, hits) in [("prod", 1), ("pr*", 1), ("dev", 0)] {
            let r = s
                .call(
                    action,
                    &[("Filter.1.Name", "tag-value"), ("Filter.1.Value.1", value)],
                )
                .await
                .ok();
            let ids: Vec<String> = r
                .all("groupId")
                .into_iter()
                .chain(r.all("resourceId"))
                .filter(|id| id == &sg)
                .collect();
            assert_eq!(ids.len(), hits, "{action} tag-value={value}: {}", r.body);
        }
    }
}

#[tokio::test]
async fn groups_associated_with_another_vpc() {
    let s = Server::new();
    let home = vpc(&s, KEY_A, EAST, "10.0.0.0/16").await;
    let other = vpc(&s, KEY_A, EAST, "10.1.0.0/16").await;
    let sg = s
        .call(
            "CreateSecurityGroup",
            &[
                ("GroupName", "shared"),
                ("GroupDescription", "d"),
                ("VpcId", &home),
            ],
        )
        .await
        .ok()
        .text("groupId")
        .unwrap();
    let subnet = s
        .call(
            "CreateSubnet",
            &[("VpcId", &other), ("CidrBlock", "10.1.1.0/24")],
        )
        .await
        .ok()
        .text("subnetId")
        .unwrap();
    let eni = [
        ("SubnetId", subnet.as_str()),
        ("SecurityGroupId.1", sg.as_str()),
    ];
    assert_eq!(
        s.call("CreateNetworkInterface", &eni)
            .await
            .code()
            .as_deref(),
        Some("InvalidParameter"),
        "not associated yet"
    );
    let assoc = [("GroupId", sg.as_str()), ("VpcId", other.as_str())];
    let r = s.call("AssociateSecurityGroupVpc", &assoc).await.ok();
    assert_eq!(r.text("state").as_deref(), Some("associating"));
    assert_eq!(
        s.call("AssociateSecurityGroupVpc", &assoc)
            .await
            .code()
            .as_deref(),
        Some("InvalidParameterValue"),
        "already associated"
    );
    let listed = s
        .call(
            "DescribeSecurityGroupVpcAssociations",
            &[("Filter.1.Name", "vpc-id"), ("Filter.1.Value.1", &other)],
        )
        .await
        .ok();
    assert_eq!(listed.all("groupId"), std::slice::from_ref(&sg));
    assert_eq!(listed.text("state").as_deref(), Some("associated"));
    let for_vpc = s
        .call(
            "GetSecurityGroupsForVpc",
            &[
                ("VpcId", &other),
                ("Filter.1.Name", "primary-vpc-id"),
                ("Filter.1.Value.1", &home),
            ],
        )
        .await
        .ok();
    assert_eq!(for_vpc.all("groupId"), std::slice::from_ref(&sg));
    assert_eq!(for_vpc.text("primaryVpcId"), Some(home.clone()));
    let eni_id = s
        .call("CreateNetworkInterface", &eni)
        .await
        .ok()
        .text("networkInterfaceId")
        .unwrap();
    assert_eq!(
        s.call("DisassociateSecurityGroupVpc", &assoc)
            .await
            .code()
            .as_deref(),
        Some("DependencyViolation"),
        "an interface there uses it"
    );
    assert_eq!(
        s.call("DeleteVpc", &[("VpcId", &other)])
            .await
            .code()
            .as_deref(),
        Some("DependencyViolation")
    );
    s.call("DeleteNetworkInterface", &[("NetworkInterfaceId", &eni_id)])
        .await
        .ok();
    let r = s.call("DisassociateSecurityGroupVpc", &assoc).await.ok();
    assert_eq!(r.text("state").as_deref(), Some("disassociating"));
    assert!(
        s.call("DescribeSecurityGroupVpcAssociations", &[])
            .await
            .ok()
            .all("groupId")
            .is_empty()
    );
    assert_eq!(
        s.call(
            "GetSecurityGroupsForVpc",
            &[("VpcId", "vpc-0123456789abcdef0")]
        )
        .await
        .code()
        .as_deref(),
        Some("InvalidVpcID.NotFound")
    );
}

/// With an active same-region peering between accounts, a rule may name the peer account's
/// group (`UserId` + `GroupId`); a cross-region peering does not allow it.
#[tokio::test]
async fn group_references_across_an_account_peering() {
    let s = Server::new();
    let a_vpc = vpc(&s, KEY_A, EAST, "10.0.0.0/16").await;
    let b_vpc = vpc(&s, KEY_B, EAST, "10.1.0.0/16").await;
    let a_sg = s
        .call(
            "CreateSecurityGroup",
            &[
                ("GroupName", "a"),
                ("GroupDescription", "d"),
                ("VpcId", &a_vpc),
            ],
        )
        .await
        .ok()
        .text("groupId")
        .unwrap();
    let b_sg = s
        .call_as(
            KEY_B,
            EAST,
            "CreateSecurityGroup",
            &[
                ("GroupName", "b"),
                ("GroupDescription", "d"),
                ("VpcId", &b_vpc),
            ],
        )
        .await
        .ok()
        .text("groupId")
        .unwrap();
    let rule = [
        ("GroupId", a_sg.as_str()),
        ("IpPermissions.1.IpProtocol", "tcp"),
        ("IpPermissions.1.FromPort", "5432"),
        ("IpPermissions.1.ToPort", "5432"),
        ("IpPermissions.1.Groups.1.GroupId", b_sg.as_str()),
        ("IpPermissions.1.Groups.1.UserId", "222222222222"),
    ];
    assert_eq!(
        s.call("AuthorizeSecurityGroupIngress", &rule)
            .await
            .code()
            .as_deref(),
        Some("InvalidGroup.NotFound"),
        "no peering yet"
    );
    let pcx = s
        .call(
            "CreateVpcPeeringConnection",
            &[
                ("VpcId", &a_vpc),
                ("PeerVpcId", &b_vpc),
                ("PeerOwnerId", "222222222222"),
            ],
        )
        .await
        .ok()
        .text("vpcPeeringConnectionId")
        .unwrap();
    s.call_as(
        KEY_B,
        EAST,
        "AcceptVpcPeeringConnection",
        &[("VpcPeeringConnectionId", &pcx)],
    )
    .await
    .ok();
    s.call("AuthorizeSecurityGroupIngress", &rule).await.ok();
    let g = s
        .call("DescribeSecurityGroups", &[("GroupId.1", &a_sg)])
        .await
        .ok();
    assert!(
        g.all("userId").contains(&"222222222222".to_owned()),
        "{}",
        g.body
    );
    assert!(g.all("groupId").contains(&b_sg));
}

/// A rule whose source is an AWS-managed list is resolved by the engine: the list is part of
/// the account's snapshot.
#[tokio::test]
async fn the_engine_resolves_aws_managed_lists() {
    let s = Server::new();
    let sg = s
        .call(
            "CreateSecurityGroup",
            &[("GroupName", "to-s3"), ("GroupDescription", "d")],
        )
        .await
        .ok()
        .text("groupId")
        .unwrap();
    let ingress = [
        ("GroupId", sg.as_str()),
        ("IpPermissions.1.IpProtocol", "tcp"),
        ("IpPermissions.1.FromPort", "443"),
        ("IpPermissions.1.ToPort", "443"),
        (
            "IpPermissions.1.PrefixListIds.1.PrefixListId",
            "pl-63a5400a",
        ),
    ];
    s.call("AuthorizeSecurityGroupIngress", &ingress).await.ok();
    let subnet = s.call("DescribeSubnets", &[]).await.ok().all("subnetId")[0].clone();
    let eni = s
        .call(
            "CreateNetworkInterface",
            &[("SubnetId", &subnet), ("SecurityGroupId.1", &sg)],
        )
        .await
        .ok()
        .text("networkInterfaceId")
        .unwrap();
    let ask = |remote: &str| {
        format!(
            r#"{{"interface":"{eni}","direction":"ingress","remote":"{remote}","protocol":"tcp","port":443}}"#
        )
    };
    // 52.216.0.0/15 is an entry of the us-east-1 S3 list.
    let yes = crate::network::eval(&s, &ask("52.217.1.2")).await;
    assert_eq!(yes["verdict"], "allow", "{yes}");
    assert_eq!(
        crate::network::eval(&s, &ask("198.51.100.7")).await["verdict"],
        "deny"
    );
}
