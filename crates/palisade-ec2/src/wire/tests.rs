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
                tenancy: Default,
                ipv6_border_group: None,
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
        attributes: Default::default(),
    };
    check_encode(
        &Response::Vpcs(Paged {
            items: vec![vpc],
            next: Some("vpc-1".into()),
        }),
        expect![
            "<vpcSet><item><vpcId>vpc-0123456789abcdef0</vpcId><ownerId>111122223333</ownerId><state>available</state><cidrBlock>10.0.0.0/16</cidrBlock><cidrBlockAssociationSet><item><associationId>vpc-cidr-assoc-f778aa642e72b0e63</associationId><cidrBlock>10.0.0.0/16</cidrBlock><cidrBlockState><state>associated</state></cidrBlockState></item></cidrBlockAssociationSet><ipv6CidrBlockAssociationSet/><dhcpOptionsId>dopt-9cb369b0289ec1389</dhcpOptionsId><instanceTenancy>default</instanceTenancy><isDefault>false</isDefault><tagSet><item><key>Name</key><value>a&lt;b</value></item></tagSet></item></vpcSet><nextToken>pal1.vpc-1</nextToken>"
        ],
    );
}

// --- routing ---

#[test]
fn create_route_decodes_destination_and_target() {
    check(
        "Action=CreateRoute&RouteTableId=rtb-0123456789abcdef0\
         &DestinationCidrBlock=0.0.0.0/0&GatewayId=igw-0123456789abcdef0",
        expect![[r#"
            PutRoute {
                table: RouteTableId(
                    "rtb-0123456789abcdef0",
                ),
                destination: Ipv4(
                    0.0.0.0/0,
                ),
                target: Gateway(
                    InternetGatewayId(
                        "igw-0123456789abcdef0",
                    ),
                ),
                replace: false,
            }"#]],
    );
    check(
        "Action=ReplaceRoute&RouteTableId=rtb-0123456789abcdef0\
         &DestinationPrefixListId=pl-0123456789abcdef0&NetworkInterfaceId=eni-0123456789abcdef0",
        expect![[r#"
            PutRoute {
                table: RouteTableId(
                    "rtb-0123456789abcdef0",
                ),
                destination: PrefixList(
                    PrefixListId(
                        "pl-0123456789abcdef0",
                    ),
                ),
                target: Eni(
                    EniId(
                        "eni-0123456789abcdef0",
                    ),
                ),
                replace: true,
            }"#]],
    );
}

#[test]
fn create_route_refuses_bad_destinations_and_targets() {
    check(
        "Action=CreateRoute&RouteTableId=rtb-0123456789abcdef0&GatewayId=igw-0123456789abcdef0",
        expect![
            "error MissingParameter: The request must contain the parameter DestinationCidrBlock"
        ],
    );
    check(
        "Action=CreateRoute&RouteTableId=rtb-0123456789abcdef0&DestinationCidrBlock=0.0.0.0/0\
         &DestinationIpv6CidrBlock=::/0&GatewayId=igw-0123456789abcdef0",
        expect![
            "error InvalidParameterCombination: Only one of destinationCidrBlock, destinationIpv6CidrBlock and destinationPrefixListId may be specified"
        ],
    );
    check(
        "Action=CreateRoute&RouteTableId=rtb-0123456789abcdef0&DestinationCidrBlock=0.0.0.0/0",
        expect![
            "error MissingParameter: The request must contain exactly one of gatewayId, vpcPeeringConnectionId, instanceId or networkInterfaceId"
        ],
    );
    check(
        "Action=CreateRoute&RouteTableId=rtb-0123456789abcdef0&DestinationCidrBlock=0.0.0.0/0\
         &GatewayId=vgw-0123456789abcdef0",
        expect![
            "error InvalidGatewayID.NotFound: The gateway ID 'vgw-0123456789abcdef0' does not exist"
        ],
    );
    check(
        "Action=CreateRoute&RouteTableId=rtb-0123456789abcdef0&DestinationCidrBlock=0.0.0.0/0\
         &GatewayId=igw-0123456789abcdef0&InstanceId=i-0123456789abcdef0",
        expect!["error InvalidParameterCombination: More than one target specified for the route"],
    );
    check(
        "Action=CreateRoute&RouteTableId=rtb-0123456789abcdef0&DestinationCidrBlock=nope\
         &GatewayId=igw-0123456789abcdef0",
        expect![
            "error InvalidParameterValue: Value (nope) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block."
        ],
    );
}

#[test]
fn address_and_acl_decodes() {
    check(
        "Action=AssociateAddress&AllocationId=eipalloc-0123456789abcdef0\
         &InstanceId=i-0123456789abcdef0&AllowReassociation=true",
        expect![[r#"
            AssociateAddress {
                allocation: AllocationId(
                    "eipalloc-0123456789abcdef0",
                ),
                target: Instance(
                    InstanceId(
                        "i-0123456789abcdef0",
                    ),
                ),
                private_ip: None,
                allow_reassociation: true,
            }"#]],
    );
    check(
        "Action=AssociateAddress&AllocationId=eipalloc-0123456789abcdef0",
        expect![
            "error MissingParameter: Either instance ID or network interface ID must be specified"
        ],
    );
    check(
        "Action=AllocateAddress&Domain=standard",
        expect![
            "error InvalidParameterValue: Invalid value 'standard' for domain: only 'vpc' addresses exist"
        ],
    );
    check(
        "Action=DescribeRouteTables&Filter.1.Name=route.nope&Filter.1.Value.1=x",
        expect!["error InvalidParameterValue: The filter 'route.nope' is invalid"],
    );
    check(
        "Action=CreateNetworkAclEntry&NetworkAclId=acl-0123456789abcdef0",
        expect![
            "error UnsupportedOperation: CreateNetworkAclEntry: palisade reports each VPC's default network ACL but does not emulate network ACLs yet, so they cannot be changed"
        ],
    );
}

#[test]
fn encode_route_table_internet_gateway_address_and_acl() {
    use palisade_model::{
        AddressAssociation, AddressView, ElasticIp, InternetGateway, NetworkAcl, NetworkAclView,
        RouteDestination, RouteOrigin, RouteTable, RouteTableView, RouteTarget, RouteView,
    };
    let owner: AccountId = "111122223333".parse().unwrap();
    let vpc: palisade_model::VpcId = "vpc-0123456789abcdef0".parse().unwrap();
    let igw: palisade_model::InternetGatewayId = "igw-0123456789abcdef0".parse().unwrap();
    let table = RouteTable {
        id: "rtb-0123456789abcdef0".parse().unwrap(),
        vpc_id: vpc.clone(),
        owner: owner.clone(),
        main: Some("rtbassoc-0123456789abcdef0".parse().unwrap()),
        subnets: vec![(
            "rtbassoc-0123456789abcdef1".parse().unwrap(),
            "subnet-0123456789abcdef0".parse().unwrap(),
        )],
        routes: Vec::new(),
        tags: vec![Tag {
            key: "Name".into(),
            value: "main".into(),
        }],
    };
    let routes = vec![
        RouteView {
            destination: RouteDestination::Ipv4("10.0.0.0/16".parse().unwrap()),
            target: None,
            instance: None,
            eni: None,
            origin: RouteOrigin::CreateRouteTable,
            active: true,
        },
        RouteView {
            destination: RouteDestination::Ipv4("0.0.0.0/0".parse().unwrap()),
            target: Some(RouteTarget::Gateway(igw.clone())),
            instance: None,
            eni: None,
            origin: RouteOrigin::CreateRoute,
            active: false,
        },
        RouteView {
            destination: RouteDestination::Ipv6("::/0".parse().unwrap()),
            target: Some(RouteTarget::Instance(
                "i-0123456789abcdef0".parse().unwrap(),
            )),
            instance: Some("i-0123456789abcdef0".parse().unwrap()),
            eni: Some("eni-0123456789abcdef0".parse().unwrap()),
            origin: RouteOrigin::CreateRoute,
            active: true,
        },
    ];
    check_encode(
        &Response::RouteTables(Paged {
            items: vec![RouteTableView { table, routes }],
            next: None,
        }),
        expect![
            "<routeTableSet><item><routeTableId>rtb-0123456789abcdef0</routeTableId><vpcId>vpc-0123456789abcdef0</vpcId><routeSet><item><destinationCidrBlock>10.0.0.0/16</destinationCidrBlock><gatewayId>local</gatewayId><state>active</state><origin>CreateRouteTable</origin></item><item><destinationCidrBlock>0.0.0.0/0</destinationCidrBlock><gatewayId>igw-0123456789abcdef0</gatewayId><state>blackhole</state><origin>CreateRoute</origin></item><item><destinationIpv6CidrBlock>::/0</destinationIpv6CidrBlock><instanceId>i-0123456789abcdef0</instanceId><instanceOwnerId>111122223333</instanceOwnerId><networkInterfaceId>eni-0123456789abcdef0</networkInterfaceId><state>active</state><origin>CreateRoute</origin></item></routeSet><associationSet><item><main>true</main><routeTableAssociationId>rtbassoc-0123456789abcdef0</routeTableAssociationId><routeTableId>rtb-0123456789abcdef0</routeTableId><associationState><state>associated</state></associationState></item><item><main>false</main><routeTableAssociationId>rtbassoc-0123456789abcdef1</routeTableAssociationId><routeTableId>rtb-0123456789abcdef0</routeTableId><subnetId>subnet-0123456789abcdef0</subnetId><associationState><state>associated</state></associationState></item></associationSet><propagatingVgwSet/><tagSet><item><key>Name</key><value>main</value></item></tagSet><ownerId>111122223333</ownerId></item></routeTableSet>"
        ],
    );
    check_encode(
        &Response::InternetGateway(InternetGateway {
            id: igw,
            owner: owner.clone(),
            vpc: Some(vpc.clone()),
            tags: Vec::new(),
        }),
        expect![
            "<internetGateway><internetGatewayId>igw-0123456789abcdef0</internetGatewayId><ownerId>111122223333</ownerId><attachmentSet><item><vpcId>vpc-0123456789abcdef0</vpcId><state>available</state></item></attachmentSet><tagSet/></internetGateway>"
        ],
    );
    let address = ElasticIp {
        allocation_id: "eipalloc-0123456789abcdef0".parse().unwrap(),
        owner: owner.clone(),
        public_ip: "198.51.100.7".parse().unwrap(),
        association: Some(AddressAssociation {
            id: "eipassoc-0123456789abcdef0".parse().unwrap(),
            eni: "eni-0123456789abcdef0".parse().unwrap(),
            private_ip: "10.0.1.4".parse().unwrap(),
        }),
        tags: Vec::new(),
    };
    check_encode(
        &Response::Addresses(vec![AddressView {
            address,
            instance: Some("i-0123456789abcdef0".parse().unwrap()),
            region: "us-east-1".into(),
        }]),
        expect![
            "<addressesSet><item><publicIp>198.51.100.7</publicIp><allocationId>eipalloc-0123456789abcdef0</allocationId><domain>vpc</domain><instanceId>i-0123456789abcdef0</instanceId><associationId>eipassoc-0123456789abcdef0</associationId><networkInterfaceId>eni-0123456789abcdef0</networkInterfaceId><networkInterfaceOwnerId>111122223333</networkInterfaceOwnerId><privateIpAddress>10.0.1.4</privateIpAddress><publicIpv4Pool>amazon</publicIpv4Pool><networkBorderGroup>us-east-1</networkBorderGroup><tagSet/></item></addressesSet>"
        ],
    );
    check_encode(
        &Response::NetworkAcls(Paged {
            items: vec![NetworkAclView {
                acl: NetworkAcl {
                    id: "acl-0123456789abcdef0".parse().unwrap(),
                    vpc_id: vpc,
                    owner,
                    is_default: true,
                    tags: Vec::new(),
                },
                entries: NetworkAclView::default_entries(false),
                associations: vec![(
                    "aclassoc-0123456789abcdef0".parse().unwrap(),
                    "subnet-0123456789abcdef0".parse().unwrap(),
                )],
            }],
            next: None,
        }),
        expect![
            "<networkAclSet><item><networkAclId>acl-0123456789abcdef0</networkAclId><vpcId>vpc-0123456789abcdef0</vpcId><default>true</default><entrySet><item><ruleNumber>100</ruleNumber><protocol>-1</protocol><ruleAction>allow</ruleAction><egress>true</egress><cidrBlock>0.0.0.0/0</cidrBlock></item><item><ruleNumber>32767</ruleNumber><protocol>-1</protocol><ruleAction>deny</ruleAction><egress>true</egress><cidrBlock>0.0.0.0/0</cidrBlock></item><item><ruleNumber>100</ruleNumber><protocol>-1</protocol><ruleAction>allow</ruleAction><egress>false</egress><cidrBlock>0.0.0.0/0</cidrBlock></item><item><ruleNumber>32767</ruleNumber><protocol>-1</protocol><ruleAction>deny</ruleAction><egress>false</egress><cidrBlock>0.0.0.0/0</cidrBlock></item></entrySet><associationSet><item><networkAclAssociationId>aclassoc-0123456789abcdef0</networkAclAssociationId><networkAclId>acl-0123456789abcdef0</networkAclId><subnetId>subnet-0123456789abcdef0</subnetId></item></associationSet><tagSet/><ownerId>111122223333</ownerId></item></networkAclSet>"
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
#[test]
fn attach_detach_and_attribute_decoding() {
    check(
        "Action=AttachNetworkInterface&NetworkInterfaceId=eni-0123456789abcdef0\
         &InstanceId=i-0123456789abcdef0&DeviceIndex=1",
        expect![[r#"
            AttachNetworkInterface {
                eni: EniId(
                    "eni-0123456789abcdef0",
                ),
                instance: InstanceId(
                    "i-0123456789abcdef0",
                ),
                device_index: 1,
                network_card_index: 0,
            }"#]],
    );
    check(
        "Action=AttachNetworkInterface&NetworkInterfaceId=eni-0123456789abcdef0\
         &InstanceId=i-0123456789abcdef0",
        expect!["error MissingParameter: The request must contain the parameter DeviceIndex"],
    );
    check(
        "Action=DetachNetworkInterface&AttachmentId=eni-attach-0123456789abcdef0&Force=true",
        expect![[r#"
            DetachNetworkInterface {
                attachment: "eni-attach-0123456789abcdef0",
            }"#]],
    );
    check(
        "Action=ModifyNetworkInterfaceAttribute&NetworkInterfaceId=eni-0123456789abcdef0\
         &Attachment.AttachmentId=eni-attach-0123456789abcdef0&Attachment.DeleteOnTermination=true",
        expect![[r#"
            ModifyNetworkInterfaceAttribute {
                eni: EniId(
                    "eni-0123456789abcdef0",
                ),
                attribute: Some(
                    DeleteOnTermination {
                        attachment: "eni-attach-0123456789abcdef0",
                        value: true,
                    },
                ),
            }"#]],
    );
    check(
        "Action=ModifyNetworkInterfaceAttribute&NetworkInterfaceId=eni-0123456789abcdef0\
         &Description.Value=x&SourceDestCheck.Value=false",
        expect![
            "error InvalidParameterCombination: Fields for multiple attribute types specified: only one attribute may be modified per call"
        ],
    );
    check(
        "Action=ModifyNetworkInterfaceAttribute&NetworkInterfaceId=eni-0123456789abcdef0\
         &ConnectionTrackingSpecification.TcpEstablishedTimeout=120\
         &ConnectionTrackingSpecification.UdpTimeout=45",
        expect![[r#"
            ModifyNetworkInterfaceAttribute {
                eni: EniId(
                    "eni-0123456789abcdef0",
                ),
                attribute: Some(
                    ConnectionTracking {
                        tcp_established: Some(
                            120,
                        ),
                        udp_stream: None,
                        udp: Some(
                            45,
                        ),
                    },
                ),
            }"#]],
    );
    check(
        "Action=CreateNetworkInterface&SubnetId=subnet-0123456789abcdef0\
         &ConnectionTrackingSpecification.UdpTimeout=10",
        expect!["error InvalidParameterValue: UdpTimeout (10) is out of range 30..=60"],
    );
    check(
        "Action=DescribeNetworkInterfaceAttribute&NetworkInterfaceId=eni-0123456789abcdef0\
         &Attribute=groupSet",
        expect![[r#"
            DescribeNetworkInterfaceAttribute {
                eni: EniId(
                    "eni-0123456789abcdef0",
                ),
                attribute: GroupSet,
            }"#]],
    );
    check(
        "Action=DescribeNetworkInterfaces&Filter.1.Name=attachment.nonsense&Filter.1.Value.1=x",
        expect!["error InvalidParameterValue: The filter 'attachment.nonsense' is invalid"],
    );
}

#[test]
fn instance_attribute_decoding() {
    check(
        "Action=ModifyInstanceAttribute&InstanceId=i-0123456789abcdef0\
         &SourceDestCheck.Value=false",
        expect![[r#"
            ModifyInstanceAttribute {
                instance: InstanceId(
                    "i-0123456789abcdef0",
                ),
                attribute: Some(
                    SourceDestCheck(
                        false,
                    ),
                ),
            }"#]],
    );
    check(
        "Action=ModifyInstanceAttribute&InstanceId=i-0123456789abcdef0\
         &Attribute=instanceInitiatedShutdownBehavior&Value=terminate",
        expect![[r#"
            ModifyInstanceAttribute {
                instance: InstanceId(
                    "i-0123456789abcdef0",
                ),
                attribute: Some(
                    ShutdownBehavior(
                        Terminate,
                    ),
                ),
            }"#]],
    );
    check(
        "Action=DescribeInstanceAttribute&InstanceId=i-0123456789abcdef0&Attribute=userData",
        expect![[r#"
            DescribeInstanceAttribute {
                instance: InstanceId(
                    "i-0123456789abcdef0",
                ),
                attribute: UserData,
            }"#]],
    );
    check(
        "Action=DescribeInstanceAttribute&InstanceId=i-0123456789abcdef0&Attribute=nope",
        expect!["error InvalidParameterValue: Value (nope) for parameter attribute is invalid."],
    );
}

#[test]
fn run_instances_with_interfaces() {
    check(
        "Action=RunInstances&ImageId=ami-12345678&MinCount=1&MaxCount=1&UserData=aGk=\
         &KeyName=lab&DisableApiTermination=true&CreditSpecification.CpuCredits=unlimited\
         &NetworkInterface.1.DeviceIndex=0&NetworkInterface.1.SubnetId=subnet-0123456789abcdef0\
         &NetworkInterface.1.SecurityGroupId.1=sg-0123456789abcdef0\
         &NetworkInterface.2.DeviceIndex=1&NetworkInterface.2.NetworkInterfaceId=eni-0123456789abcdef0\
         &TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Name\
         &TagSpecification.1.Tag.1.Value=lab&TagSpecification.2.ResourceType=volume\
         &TagSpecification.2.Tag.1.Key=v",
        expect![[r#"
            RunInstances(
                NewInstances {
                    image_id: "ami-12345678",
                    instance_type: "m1.small",
                    count: 1,
                    subnet_id: Some(
                        SubnetId(
                            "subnet-0123456789abcdef0",
                        ),
                    ),
                    groups: [
                        GroupId(
                            "sg-0123456789abcdef0",
                        ),
                    ],
                    group_names: [],
                    addresses: AddressSpec {
                        primary_v4: None,
                        secondary_v4: [],
                        secondary_v4_count: 0,
                        ipv6: [],
                        ipv6_count: 0,
                    },
                    tags: [
                        Tag {
                            key: "Name",
                            value: "lab",
                        },
                    ],
                    launch: LaunchOptions {
                        user_data: Some(
                            "aGk=",
                        ),
                        key_name: Some(
                            "lab",
                        ),
                        disable_api_termination: true,
                        disable_api_stop: false,
                        shutdown_behavior: Stop,
                        ebs_optimized: false,
                        monitoring: false,
                        cpu_credits: Some(
                            "unlimited",
                        ),
                    },
                    interfaces: [
                        NicSpec {
                            device_index: 0,
                            network_card_index: 0,
                            eni: None,
                            subnet_id: Some(
                                SubnetId(
                                    "subnet-0123456789abcdef0",
                                ),
                            ),
                            groups: [
                                GroupId(
                                    "sg-0123456789abcdef0",
                                ),
                            ],
                            addresses: AddressSpec {
                                primary_v4: None,
                                secondary_v4: [],
                                secondary_v4_count: 0,
                                ipv6: [],
                                ipv6_count: 0,
                            },
                            description: "",
                            delete_on_termination: None,
                            conntrack: ConntrackConfig {
                                tcp_established: 432000,
                                udp_stream: 180,
                                udp: 30,
                            },
                        },
                        NicSpec {
                            device_index: 1,
                            network_card_index: 0,
                            eni: Some(
                                EniId(
                                    "eni-0123456789abcdef0",
                                ),
                            ),
                            subnet_id: None,
                            groups: [],
                            addresses: AddressSpec {
                                primary_v4: None,
                                secondary_v4: [],
                                secondary_v4_count: 0,
                                ipv6: [],
                                ipv6_count: 0,
                            },
                            description: "",
                            delete_on_termination: None,
                            conntrack: ConntrackConfig {
                                tcp_established: 432000,
                                udp_stream: 180,
                                udp: 30,
                            },
                        },
                    ],
                    eni_tags: [],
                    associate_public_ip: None,
                },
            )"#]],
    );
}

#[test]
fn encode_attached_and_catalogue() {
    check_encode(
        &Response::Attached {
            attachment: "eni-attach-0123456789abcdef0".into(),
            network_card_index: 0,
        },
        expect![
            "<attachmentId>eni-attach-0123456789abcdef0</attachmentId><networkCardIndex>0</networkCardIndex>"
        ],
    );
    check_encode(
        &Response::CreditSpecifications(vec![(
            "i-0123456789abcdef0".parse().expect("valid id"),
            "unlimited".into(),
        )]),
        expect![
            "<instanceCreditSpecificationSet><item><instanceId>i-0123456789abcdef0</instanceId><cpuCredits>unlimited</cpuCredits></item></instanceCreditSpecificationSet>"
        ],
    );
    let t3 = palisade_model::account::catalog::instance_type_info("t3.micro").expect("known");
    check_encode(
        &Response::InstanceTypes(vec![t3]),
        expect![
            "<instanceTypeSet><item><instanceType>t3.micro</instanceType><currentGeneration>true</currentGeneration><freeTierEligible>false</freeTierEligible><supportedUsageClasses><item>on-demand</item><item>spot</item></supportedUsageClasses><supportedRootDeviceTypes><item>ebs</item></supportedRootDeviceTypes><supportedVirtualizationTypes><item>hvm</item></supportedVirtualizationTypes><bareMetal>false</bareMetal><hypervisor>nitro</hypervisor><processorInfo><supportedArchitectures><item>x86_64</item></supportedArchitectures></processorInfo><vCpuInfo><defaultVCpus>2</defaultVCpus><defaultCores>1</defaultCores><defaultThreadsPerCore>2</defaultThreadsPerCore></vCpuInfo><memoryInfo><sizeInMiB>1024</sizeInMiB></memoryInfo><instanceStorageSupported>false</instanceStorageSupported><ebsInfo><ebsOptimizedSupport>default</ebsOptimizedSupport><encryptionSupport>supported</encryptionSupport><nvmeSupport>required</nvmeSupport></ebsInfo><networkInfo><networkPerformance>Up to 5 Gigabit</networkPerformance><maximumNetworkInterfaces>2</maximumNetworkInterfaces><maximumNetworkCards>1</maximumNetworkCards><defaultNetworkCardIndex>0</defaultNetworkCardIndex><ipv4AddressesPerInterface>2</ipv4AddressesPerInterface><ipv6AddressesPerInterface>2</ipv6AddressesPerInterface><ipv6Supported>true</ipv6Supported><enaSupport>required</enaSupport><efaSupported>false</efaSupported><encryptionInTransitSupported>false</encryptionInTransitSupported></networkInfo><burstablePerformanceSupported>true</burstablePerformanceSupported><hibernationSupported>false</hibernationSupported><dedicatedHostsSupported>false</dedicatedHostsSupported><autoRecoverySupported>true</autoRecoverySupported></item></instanceTypeSet>"
        ],
    );
}

#[test]
fn iso8601_times() {
    let t = |ms| super::iso8601(palisade_model::Timestamp::from_millis(ms));
    assert_eq!(t(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(t(1_796_228_196_123), "2026-12-02T16:16:36.123Z");
    assert_eq!(t(951_782_400_000), "2000-02-29T00:00:00.000Z");
}
