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

// Network interfaces and instances.

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
                        },
                    ],
                    eni_tags: [],
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
    let t = |ms| super::instances::iso8601(palisade_model::Timestamp::from_millis(ms));
    assert_eq!(t(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(t(1_796_228_196_123), "2026-12-02T16:16:36.123Z");
    assert_eq!(t(951_782_400_000), "2000-02-29T00:00:00.000Z");
}
