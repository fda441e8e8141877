//! Wire-shape snapshots of EC2 responses (ids and request ids normalised): a diff here is a
//! reviewable change to what clients parse. `UPDATE_EXPECT=1 cargo test` rewrites them.

use expect_test::{Expect, expect};

use crate::harness::Server;

/// Replaces every `prefix-<hex>` id by `prefix-<n>` in order of first appearance, and the
/// request id by `REQUEST-ID`.
fn normalise(body: &str) -> String {
    let mut out = body.to_owned();
    for tag in ["<requestId>", "<RequestID>"] {
        let mut idx = 0;
        while let Some(pos) = out[idx..].find(tag) {
            let from = idx + pos + tag.len();
            let len = out[from..].find('<').unwrap_or(0);
            out.replace_range(from..from + len, "REQUEST-ID");
            idx = from;
        }
    }
    let mut seen: Vec<String> = Vec::new();
    for prefix in ["sgr-", "sg-", "vpc-", "subnet-", "eni-"] {
        let mut idx = 0;
        while let Some(pos) = out[idx..].find(prefix) {
            let at = idx + pos;
            let hex: String = out[at + prefix.len()..]
                .chars()
                .take_while(char::is_ascii_hexdigit)
                .collect();
            let boundary = at == 0 || !out.as_bytes()[at - 1].is_ascii_alphanumeric();
            if hex.len() == 17 && boundary {
                let id = format!("{prefix}{hex}");
                let n = seen.iter().position(|s| s == &id).unwrap_or_else(|| {
                    seen.push(id.clone());
                    seen.len() - 1
                });
                let short = format!("{prefix}{n}");
                out.replace_range(at..at + id.len(), &short);
                idx = at + short.len();
            } else {
                idx = at + prefix.len();
            }
        }
    }
    out
}

fn check(body: &str, expect: &Expect) {
    expect.assert_eq(&normalise(body));
}

#[tokio::test]
async fn security_group_responses() {
    let s = Server::new();
    let created = s
        .call(
            "CreateSecurityGroup",
            &[("GroupName", "web"), ("GroupDescription", "web servers")],
        )
        .await
        .ok();
    let web = created.text("groupId").unwrap();
    let auth = s
        .call(
            "AuthorizeSecurityGroupIngress",
            &[
                ("GroupId", &web),
                ("IpPermissions.1.IpProtocol", "tcp"),
                ("IpPermissions.1.FromPort", "443"),
                ("IpPermissions.1.ToPort", "443"),
                ("IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0"),
                ("IpPermissions.1.IpRanges.1.Description", "https"),
            ],
        )
        .await
        .ok();
    let described = s
        .call("DescribeSecurityGroups", &[("GroupId.1", &web)])
        .await
        .ok();
    let all = format!("{}\n{}\n{}", created.body, auth.body, described.body);
    check(
        &all,
        &expect![[r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <CreateSecurityGroupResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>REQUEST-ID</requestId><return>true</return><groupId>sg-1</groupId><tagSet/><securityGroupArn>arn:aws:ec2:us-east-1:111111111111:security-group/sg-1</securityGroupArn></CreateSecurityGroupResponse>
        <?xml version="1.0" encoding="UTF-8"?>
        <AuthorizeSecurityGroupIngressResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>REQUEST-ID</requestId><return>true</return><securityGroupRuleSet><item><securityGroupRuleId>sgr-0</securityGroupRuleId><groupId>sg-1</groupId><groupOwnerId>111111111111</groupOwnerId><isEgress>false</isEgress><ipProtocol>tcp</ipProtocol><fromPort>443</fromPort><toPort>443</toPort><cidrIpv4>0.0.0.0/0</cidrIpv4><description>https</description><tagSet/><securityGroupRuleArn>arn:aws:ec2:us-east-1:111111111111:security-group-rule/sgr-0</securityGroupRuleArn></item></securityGroupRuleSet></AuthorizeSecurityGroupIngressResponse>
        <?xml version="1.0" encoding="UTF-8"?>
        <DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>REQUEST-ID</requestId><securityGroupInfo><item><groupId>sg-1</groupId><groupName>web</groupName><groupDescription>web servers</groupDescription><ownerId>111111111111</ownerId><vpcId>vpc-2</vpcId><securityGroupArn>arn:aws:ec2:us-east-1:111111111111:security-group/sg-1</securityGroupArn><ipPermissions><item><ipProtocol>tcp</ipProtocol><fromPort>443</fromPort><toPort>443</toPort><groups/><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp><description>https</description></item></ipRanges><ipv6Ranges/><prefixListIds/></item></ipPermissions><ipPermissionsEgress><item><ipProtocol>-1</ipProtocol><groups/><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges><ipv6Ranges/><prefixListIds/></item></ipPermissionsEgress><tagSet/></item></securityGroupInfo></DescribeSecurityGroupsResponse>"#]],
    );
    let err = s
        .call(
            "DeleteSecurityGroup",
            &[("GroupId", "sg-0000000000000beef")],
        )
        .await;
    check(
        &err.body,
        &expect![[r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <Response><Errors><Error><Code>InvalidGroup.NotFound</Code><Message>The security group &apos;sg-0&apos; does not exist</Message></Error></Errors><RequestID>REQUEST-ID</RequestID></Response>"#]],
    );
}
