//! Decode and encode as tables: a Query form in, the typed request out (`check`); a typed
//! response in, the XML out (`check_encode`). Neither needs HTTP nor a store.

use expect_test::{Expect, expect};
use palisade_model::account::ops::{Paged, Response};
use palisade_model::{AccountId, Tag, Vpc};

use super::{Origin, decode, encode};
use crate::query::Params;

/// Decodes `form` (`Action=…&Name=value…`) and compares the request's (or error's) `Debug`.
fn check(form: &str, expect: Expect) {
    let pairs: Vec<(String, String)> = form_pairs(form);
    let params = Params::from_pairs(pairs);
    let action = params.get("Action").unwrap_or("").to_owned();
    let out = match decode(&action, &params) {
        Ok(Some(req)) => format!("{req:#?}"),
        Ok(None) => "unknown action".to_owned(),
        Err(e) => format!("error {}: {}", e.code(), e.message()),
    };
    expect.assert_eq(&out);
}

fn form_pairs(form: &str) -> Vec<(String, String)> {
    form.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

fn check_encode(response: &Response, expect: Expect) {
    let account: AccountId = "111122223333".parse().expect("valid account");
    let origin = Origin {
        account: &account,
        region: "us-east-1",
    };
    expect.assert_eq(&encode(response, &origin));
}

#[test]
fn unknown_action() {
    check("Action=LaunchRockets", expect!["unknown action"]);
}

#[test]
fn authorize_ingress_with_cidr_and_named_group() {
    check(
        "Action=AuthorizeSecurityGroupIngress&GroupId=sg-0123456789abcdef0\
         &IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=443&IpPermissions.1.ToPort=443\
         &IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0/0&IpPermissions.1.IpRanges.1.Description=web\
         &IpPermissions.1.Groups.1.GroupName=lb",
        expect![[r#"
            AuthorizeSecurityGroup {
                direction: Ingress,
                group: Id(
                    GroupId(
                        "sg-0123456789abcdef0",
                    ),
                ),
                rules: [
                    RuleDraft {
                        direction: Ingress,
                        traffic: Tcp(
                            PortRange {
                                from: 443,
                                to: 443,
                            },
                        ),
                        peer: Peer(
                            Ipv4(
                                0.0.0.0/0,
                            ),
                        ),
                        description: Some(
                            "web",
                        ),
                    },
                    RuleDraft {
                        direction: Ingress,
                        traffic: Tcp(
                            PortRange {
                                from: 443,
                                to: 443,
                            },
                        ),
                        peer: GroupName(
                            "lb",
                        ),
                        description: None,
                    },
                ],
                tags: [],
            }"#]],
    );
}

#[test]
fn revoke_refuses_ids_with_permissions() {
    check(
        "Action=RevokeSecurityGroupEgress&GroupId=sg-0123456789abcdef0\
         &SecurityGroupRuleId.1=sgr-0123456789abcdef0&IpPermissions.1.IpProtocol=-1\
         &IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0/0",
        expect![
            "error InvalidParameterCombination: The parameter SecurityGroupRuleIds cannot be used with the parameter IpPermissions"
        ],
    );
}

#[test]
fn egress_needs_group_id() {
    check(
        "Action=AuthorizeSecurityGroupEgress&GroupName=web&IpPermissions.1.IpProtocol=-1",
        expect!["error MissingParameter: The request must contain the parameter GroupId"],
    );
}

#[test]
fn describe_groups_with_filters_and_page() {
    check(
        "Action=DescribeSecurityGroups&Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-1*\
         &Filter.2.Name=ip-permission.from-port&Filter.2.Value.1=22&MaxResults=5&NextToken=pal1.sg-1",
        expect![[r#"
            DescribeSecurityGroups {
                ids: [],
                names: [],
                select: [vpc-id=vpc-1*; ip-permission.from-port=22],
                page: PageRequest {
                    max: Some(
                        5,
                    ),
                    from: Some(
                        "sg-1",
                    ),
                },
            }"#]],
    );
}

#[test]
fn describe_refuses_unknown_filter_before_reading() {
    check(
        "Action=DescribeVpcs&Filter.1.Name=colour&Filter.1.Value.1=blue",
        expect!["error InvalidParameterValue: The filter 'colour' is invalid"],
    );
    check(
        "Action=DescribeSecurityGroups&Filter.1.Name=ip-permission.colour&Filter.1.Value.1=x",
        expect!["error InvalidParameterValue: The filter 'ip-permission.colour' is invalid"],
    );
}

#[test]
fn describe_page_bounds() {
    check(
        "Action=DescribeVpcs&MaxResults=4",
        expect![
            "error InvalidParameterValue: Value ( 4 ) for parameter maxResults is invalid. Expecting a value between 5 and 1000."
        ],
    );
    check(
        "Action=DescribeVpcs&NextToken=garbage",
        expect!["error InvalidNextToken: The token 'garbage' is invalid"],
    );
}

#[test]
fn group_ids_with_max_results_is_a_bad_combination() {
    check(
        "Action=DescribeSecurityGroups&GroupId.1=sg-0123456789abcdef0&MaxResults=5",
        expect![
            "error InvalidParameterCombination: The parameter GroupIds or GroupNames cannot be used with the parameter MaxResults"
        ],
    );
}

#[test]
fn create_vpc_and_subnet() {
    check(
        "Action=CreateVpc&CidrBlock=10.0.0.0/16&AmazonProvidedIpv6CidrBlock=true\
         &TagSpecification.1.ResourceType=vpc&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=main",
        expect![[r#"
            CreateVpc {
                cidr: 10.0.0.0/16,
                amazon_ipv6: true,
                tags: [
                    Tag {
                        key: "Name",
                        value: "main",
                    },
                ],
            }"#]],
    );
    check(
        "Action=CreateSubnet&VpcId=vpc-0123456789abcdef0&CidrBlock=10.0.0.0/33",
        expect![
            "error InvalidParameterValue: Value (10.0.0.0/33) for parameter cidrBlock is invalid. This is not a valid CIDR block."
        ],
    );
}

#[test]
fn run_instances_counts() {
    check(
        "Action=RunInstances&ImageId=ami-1&MinCount=2&MaxCount=1",
        expect!["error InvalidParameterValue: MinCount must be between 1 and MaxCount"],
    );
}

#[test]
fn modify_rules_and_descriptions() {
    check(
        "Action=UpdateSecurityGroupRuleDescriptionsIngress&GroupId=sg-0123456789abcdef0\
         &SecurityGroupRuleDescription.1.SecurityGroupRuleId=sgr-0123456789abcdef0\
         &SecurityGroupRuleDescription.1.Description=ssh",
        expect![[r#"
            UpdateSecurityGroupRuleDescriptions {
                direction: Ingress,
                group: Id(
                    GroupId(
                        "sg-0123456789abcdef0",
                    ),
                ),
                edit: ById(
                    [
                        (
                            RuleId(
                                "sgr-0123456789abcdef0",
                            ),
                            Some(
                                "ssh",
                            ),
                        ),
                    ],
                ),
            }"#]],
    );
}

#[test]
fn encode_done_and_vpcs() {
    check_encode(&Response::Done, expect!["<return>true</return>"]);
    let vpc = Vpc {
        id: "vpc-0123456789abcdef0".parse().expect("valid id"),
        owner: "111122223333".parse().expect("valid account"),
        cidrs_v4: vec!["10.0.0.0/16".parse().expect("valid cidr")],
        cidrs_v6: vec![],
        is_default: false,
        tags: vec![Tag {
            key: "Name".into(),
            value: "a<b".into(),
        }],
    };
    check_encode(
        &Response::Vpcs(Paged {
            items: vec![vpc],
            next: Some("vpc-1".into()),
        }),
        expect![
            "<vpcSet><item><vpcId>vpc-0123456789abcdef0</vpcId><ownerId>111122223333</ownerId><state>available</state><cidrBlock>10.0.0.0/16</cidrBlock><cidrBlockAssociationSet><item><associationId>vpc-cidr-assoc-0123456789abcdef00</associationId><cidrBlock>10.0.0.0/16</cidrBlock><cidrBlockState><state>associated</state></cidrBlockState></item></cidrBlockAssociationSet><ipv6CidrBlockAssociationSet/><dhcpOptionsId>default</dhcpOptionsId><instanceTenancy>default</instanceTenancy><isDefault>false</isDefault><tagSet><item><key>Name</key><value>a&lt;b</value></item></tagSet></item></vpcSet><nextToken>pal1.vpc-1</nextToken>"
        ],
    );
}

// VPC peering across accounts and regions, prefix lists, legacy filters.

#[test]
fn peering_calls_decode() {
    check(
        "Action=CreateVpcPeeringConnection&VpcId=vpc-0123456789abcdef0\
         &PeerVpcId=vpc-0123456789abcdef1&PeerOwnerId=222233334444&PeerRegion=eu-west-1\
         &TagSpecification.1.ResourceType=vpc-peering-connection\
         &TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=a-b",
        expect![[r#"
            CreateVpcPeeringConnection {
                vpc: VpcId(
                    "vpc-0123456789abcdef0",
                ),
                peer_vpc: VpcId(
                    "vpc-0123456789abcdef1",
                ),
                peer_owner: Some(
                    AccountId(
                        "222233334444",
                    ),
                ),
                peer_region: Some(
                    "eu-west-1",
                ),
                tags: [
                    Tag {
                        key: "Name",
                        value: "a-b",
                    },
                ],
                now: Timestamp(
                    0,
                ),
            }"#]],
    );
    check(
        "Action=ModifyVpcPeeringConnectionOptions&VpcPeeringConnectionId=pcx-0123456789abcdef0\
         &AccepterPeeringConnectionOptions.AllowDnsResolutionFromRemoteVpc=true",
        expect![[r#"
            ModifyVpcPeeringConnectionOptions {
                id: PeeringId(
                    "pcx-0123456789abcdef0",
                ),
                requester_dns: None,
                accepter_dns: Some(
                    true,
                ),
            }"#]],
    );
    check(
        "Action=ModifyVpcPeeringConnectionOptions&VpcPeeringConnectionId=pcx-0123456789abcdef0\
         &RequesterPeeringConnectionOptions.AllowEgressFromLocalClassicLinkToRemoteVpc=true",
        expect![
            "error UnsupportedOperation: RequesterPeeringConnectionOptions.AllowEgressFromLocalClassicLinkToRemoteVpc: EC2-Classic is not supported"
        ],
    );
    check(
        "Action=RejectVpcPeeringConnection&VpcPeeringConnectionId=pcx-0123456789abcdef0",
        expect![[r#"
            RejectVpcPeeringConnection {
                id: PeeringId(
                    "pcx-0123456789abcdef0",
                ),
            }"#]],
    );
    check(
        "Action=DescribeVpcPeeringConnections&Filter.1.Name=accepter-vpc-info.cidr-block\
         &Filter.1.Value.1=10.1.0.0/16&Filter.2.Name=tag-value&Filter.2.Value.1=prod\
         &Filter.3.Name=status-message&Filter.3.Value.1=Active",
        expect![[r#"
            DescribeVpcPeeringConnections {
                ids: [],
                select: [accepter-vpc-info.cidr-block=10.1.0.0/16; tag-value=prod; status-message=Active],
                page: PageRequest {
                    max: None,
                    from: None,
                },
            }"#]],
    );
    check(
        "Action=DescribeVpcPeeringConnections&Filter.1.Name=requester-vpc-info.region\
         &Filter.1.Value.1=us-east-1",
        expect!["error InvalidParameterValue: The filter 'requester-vpc-info.region' is invalid"],
    );
}

#[test]
fn peering_encodes_both_sides() {
    use palisade_model::account::ops::{PeeringSide, PeeringView};
    use palisade_model::{Peering, PeeringDetail, PeeringStatus, Timestamp, VpcBlocks};
    let p = Peering {
        id: "pcx-0123456789abcdef0".parse().expect("valid id"),
        requester_vpc: "vpc-0123456789abcdef0".parse().expect("valid id"),
        requester_owner: "111122223333".parse().expect("valid account"),
        accepter_vpc: "vpc-0123456789abcdef1".parse().expect("valid id"),
        accepter_owner: "222233334444".parse().expect("valid account"),
        status: PeeringStatus::Active,
        tags: vec![],
        detail: PeeringDetail {
            expires: Some(Timestamp::from_secs(1_796_832_000)),
            ..PeeringDetail::default()
        },
    };
    let side = |region: &str, cidr: &str, dns| PeeringSide {
        region: region.into(),
        blocks: VpcBlocks {
            v4: vec![cidr.parse().expect("valid cidr")],
            v6: vec![],
        },
        allow_dns: Some(dns),
    };
    check_encode(
        &Response::Peering(Box::new(PeeringView {
            peering: p,
            message: "Active".into(),
            requester: side("us-east-1", "10.0.0.0/16", false),
            accepter: side("eu-west-1", "10.1.0.0/16", true),
        })),
        expect![
            "<vpcPeeringConnection><accepterVpcInfo><cidrBlock>10.1.0.0/16</cidrBlock><cidrBlockSet><item><cidrBlock>10.1.0.0/16</cidrBlock></item></cidrBlockSet><ownerId>222233334444</ownerId><peeringOptions><allowDnsResolutionFromRemoteVpc>true</allowDnsResolutionFromRemoteVpc><allowEgressFromLocalClassicLinkToRemoteVpc>false</allowEgressFromLocalClassicLinkToRemoteVpc><allowEgressFromLocalVpcToRemoteClassicLink>false</allowEgressFromLocalVpcToRemoteClassicLink></peeringOptions><region>eu-west-1</region><vpcId>vpc-0123456789abcdef1</vpcId></accepterVpcInfo><expirationTime>2026-12-09T16:00:00.000Z</expirationTime><requesterVpcInfo><cidrBlock>10.0.0.0/16</cidrBlock><cidrBlockSet><item><cidrBlock>10.0.0.0/16</cidrBlock></item></cidrBlockSet><ownerId>111122223333</ownerId><peeringOptions><allowDnsResolutionFromRemoteVpc>false</allowDnsResolutionFromRemoteVpc><allowEgressFromLocalClassicLinkToRemoteVpc>false</allowEgressFromLocalClassicLinkToRemoteVpc><allowEgressFromLocalVpcToRemoteClassicLink>false</allowEgressFromLocalVpcToRemoteClassicLink></peeringOptions><region>us-east-1</region><vpcId>vpc-0123456789abcdef0</vpcId></requesterVpcInfo><status><code>active</code><message>Active</message></status><tagSet/><vpcPeeringConnectionId>pcx-0123456789abcdef0</vpcPeeringConnectionId></vpcPeeringConnection>"
        ],
    );
    check_encode(
        &Response::PeeringOptions {
            requester_dns: None,
            accepter_dns: Some(true),
        },
        expect![
            "<accepterPeeringConnectionOptions><allowDnsResolutionFromRemoteVpc>true</allowDnsResolutionFromRemoteVpc><allowEgressFromLocalClassicLinkToRemoteVpc>false</allowEgressFromLocalClassicLinkToRemoteVpc><allowEgressFromLocalVpcToRemoteClassicLink>false</allowEgressFromLocalVpcToRemoteClassicLink></accepterPeeringConnectionOptions>"
        ],
    );
}

#[test]
fn prefix_lists_encode_states_and_legacy_shape() {
    use palisade_model::PrefixListState;
    let lists = palisade_model::aws_prefix_lists::in_region("us-east-1");
    let s3 = lists
        .iter()
        .find(|l| l.name == "com.amazonaws.us-east-1.s3")
        .expect("s3 list")
        .clone();
    check_encode(
        &Response::GatewayPrefixLists(Paged {
            items: vec![s3.clone()],
            next: None,
        }),
        expect![
            "<prefixListSet><item><cidrSet><item>3.5.0.0/19</item><item>16.15.192.0/18</item><item>18.34.0.0/19</item><item>44.192.134.240/28</item><item>44.192.140.64/28</item><item>52.216.0.0/15</item><item>54.231.0.0/16</item></cidrSet><prefixListId>pl-63a5400a</prefixListId><prefixListName>com.amazonaws.us-east-1.s3</prefixListName></item></prefixListSet>"
        ],
    );
    check_encode(
        &Response::PrefixList {
            list: s3,
            state: PrefixListState::CreateInProgress,
        },
        expect![
            "<prefixList><prefixListId>pl-63a5400a</prefixListId><addressFamily>IPv4</addressFamily><state>create-in-progress</state><prefixListArn>arn:aws:ec2:us-east-1:aws:prefix-list/pl-63a5400a</prefixListArn><prefixListName>com.amazonaws.us-east-1.s3</prefixListName><maxEntries>7</maxEntries><version>1</version><ownerId>AWS</ownerId><tagSet/></prefixList>"
        ],
    );
    check(
        "Action=DescribePrefixLists&PrefixListId.1=pl-63a5400a\
         &Filter.1.Name=prefix-list-name&Filter.1.Value.1=com.amazonaws.us-east-1.s3",
        expect![[r#"
            DescribePrefixLists {
                ids: [
                    PrefixListId(
                        "pl-63a5400a",
                    ),
                ],
                select: [prefix-list-name=com.amazonaws.us-east-1.s3],
                page: PageRequest {
                    max: None,
                    from: None,
                },
            }"#]],
    );
    check(
        "Action=ModifyManagedPrefixList&PrefixListId=pl-0123456789abcdef0&MaxEntries=20\
         &PrefixListName=office",
        expect![[r#"
            ModifyManagedPrefixList {
                id: PrefixListId(
                    "pl-0123456789abcdef0",
                ),
                current_version: None,
                add: [],
                remove: [],
                name: Some(
                    "office",
                ),
                max_entries: Some(
                    20,
                ),
            }"#]],
    );
}

#[test]
fn group_vpc_associations() {
    check(
        "Action=AssociateSecurityGroupVpc&GroupId=sg-0123456789abcdef0&VpcId=vpc-0123456789abcdef1",
        expect![[r#"
            AssociateSecurityGroupVpc {
                group: GroupId(
                    "sg-0123456789abcdef0",
                ),
                vpc: VpcId(
                    "vpc-0123456789abcdef1",
                ),
            }"#]],
    );
    check(
        "Action=GetSecurityGroupsForVpc&VpcId=vpc-0123456789abcdef1\
         &Filter.1.Name=primary-vpc-id&Filter.1.Value.1=vpc-0123456789abcdef0",
        expect![[r#"
            GetSecurityGroupsForVpc {
                vpc: VpcId(
                    "vpc-0123456789abcdef1",
                ),
                select: [primary-vpc-id=vpc-0123456789abcdef0],
                page: PageRequest {
                    max: None,
                    from: None,
                },
            }"#]],
    );
    check(
        "Action=DescribeSecurityGroupVpcAssociations&Filter.1.Name=vpc-name&Filter.1.Value.1=x",
        expect!["error InvalidParameterValue: The filter 'vpc-name' is invalid"],
    );
    check_encode(
        &Response::GroupVpcAssociationState("associating"),
        expect!["<state>associating</state>"],
    );
}
