//! What the edge refuses before any action runs (holes an outside probe found): malformed
//! parameter names, credential scopes naming another service or an unserved region,
//! presigned requests whose body the signature does not cover, oversized bodies. Each
//! refusal leaves the store without the caller's scope.

use crate::harness::Server;

#[tokio::test]
async fn two_spellings_of_one_index_are_refused_not_merged() {
    let s = Server::new();
    let id = s
        .call(
            "CreateSecurityGroup",
            &[("GroupName", "web"), ("GroupDescription", "d")],
        )
        .await
        .ok()
        .text("groupId")
        .unwrap();
    let r = s
        .call(
            "AuthorizeSecurityGroupIngress",
            &[
                ("GroupId", &id),
                ("IpPermissions.1.IpProtocol", "tcp"),
                ("IpPermissions.1.FromPort", "22"),
                ("IpPermissions.1.ToPort", "22"),
                ("IpPermissions.01.IpRanges.1.CidrIp", "0.0.0.0/0"),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("UnknownParameter")),
        "{}",
        r.body
    );
    for bad in [
        "GroupId.0",
        "GroupId.-1",
        "GroupId.x",
        "GroupId.1x",
        "GroupId.+1",
    ] {
        let r = s.call("DescribeSecurityGroups", &[(bad, &id)]).await;
        assert_eq!(r.code().as_deref(), Some("UnknownParameter"), "{bad}");
    }
    let r = s
        .call(
            "DescribeSecurityGroupRules",
            &[("Filter.1.Name", "group-id"), ("Filter.1.Value.1", &id)],
        )
        .await
        .ok();
    assert!(
        r.all("securityGroupRuleId").len() == 1,
        "only the default egress rule: {}",
        r.body
    );
}
