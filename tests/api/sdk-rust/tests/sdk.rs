//! aws-sdk-ec2 against `palisade serve`: the Rust SDK's ec2Query serializer and XML parser
//! accept our wire format (open question 7 of shared/research/aws-api.md), including error
//! codes and pagination.

mod common;

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range};
use common::{client, serve};

#[tokio::test]
async fn sdk_drives_security_groups() {
    let server = serve("sdk");
    let ec2 = client(&server.endpoint);
    let gid = ec2
        .create_security_group()
        .group_name("sdk-web")
        .description("from the rust sdk")
        .send()
        .await
        .unwrap()
        .group_id
        .unwrap();
    let perm = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(443)
        .to_port(443)
        .ip_ranges(
            IpRange::builder()
                .cidr_ip("10.0.0.1/24")
                .description("lan")
                .build(),
        )
        .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
        .build();
    let rules = ec2
        .authorize_security_group_ingress()
        .group_id(&gid)
        .ip_permissions(perm.clone())
        .send()
        .await
        .unwrap();
    let rules = rules.security_group_rules.unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].cidr_ipv4.as_deref(), Some("10.0.0.0/24"));
    let rid = rules[0].security_group_rule_id.clone().unwrap();

    let dup = ec2
        .authorize_security_group_ingress()
        .group_id(&gid)
        .ip_permissions(perm)
        .send()
        .await
        .unwrap_err();
    assert_eq!(dup.code(), Some("InvalidPermission.Duplicate"));

    let groups = ec2
        .describe_security_groups()
        .group_ids(&gid)
        .send()
        .await
        .unwrap()
        .security_groups
        .unwrap();
    let perms = groups[0].ip_permissions.clone().unwrap();
    assert_eq!(
        perms[0].ip_ranges.clone().unwrap()[0]
            .description
            .as_deref(),
        Some("lan")
    );

    let by_id = ec2
        .describe_security_group_rules()
        .security_group_rule_ids(&rid)
        .send()
        .await
        .unwrap();
    assert_eq!(by_id.security_group_rules.unwrap()[0].from_port, Some(443));
    ec2.revoke_security_group_ingress()
        .group_id(&gid)
        .security_group_rule_ids(&rid)
        .send()
        .await
        .unwrap();

    let missing = ec2
        .describe_security_groups()
        .group_ids("sg-0000000000000beef")
        .send()
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Some("InvalidGroup.NotFound"));

    for n in 0..7 {
        ec2.create_security_group()
            .group_name(format!("sdk-page-{n}"))
            .description("d")
            .send()
            .await
            .unwrap();
    }
    let mut pages = ec2
        .describe_security_groups()
        .max_results(5)
        .into_paginator()
        .send();
    let mut seen = 0;
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        assert!(page.security_groups().len() <= 5);
        seen += page.security_groups().len();
    }
    assert_eq!(seen, 9, "the default group, sdk-web and 7 more");

    ec2.delete_security_group()
        .group_id(&gid)
        .send()
        .await
        .unwrap();
}
