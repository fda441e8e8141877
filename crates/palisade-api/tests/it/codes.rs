//! Every `Ec2ErrorCode` through the router: [`trigger`] holds, for each code, the API calls
//! that provoke it (setup calls, then the failing call), and one test runs them all and checks
//! the `<Code>` and HTTP status of the answer. The `match` in `trigger` has no `_` arm, so a
//! new code does not compile until it has a case; `all_lists_every_variant` keeps
//! `Ec2ErrorCode::ALL` in step with the enum.
//!
//! Cases never look at message text. Only two cases leave plain requests: the region quota
//! is filled through the store before the failing call (2,500 API calls would only be slow),
//! and `InternalError` runs over a store that fails, since no request can break SQLite.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use palisade_api::ApiError;
use palisade_model::account::AccountState;
use palisade_model::{Ec2ErrorCode as C, IdGen, SeqIdGen};
use palisade_store::{
    PairWriteFn, ReadFn, Scope, SqliteStore, Store, StoreError, WriteFn, transact,
};

use crate::harness::{KEY_A, KEY_B, Reply, Server, now};

/// Well-formed ids that name nothing.
const NO_GROUP: &str = "sg-0123456789abcdef0";
const NO_RULE: &str = "sgr-0123456789abcdef0";
const NO_VPC: &str = "vpc-0123456789abcdef0";
const NO_SUBNET: &str = "subnet-0123456789abcdef0";
const NO_ENI: &str = "eni-0123456789abcdef0";
const NO_INSTANCE: &str = "i-0123456789abcdef0";
const NO_PEERING: &str = "pcx-0123456789abcdef0";
const NO_PREFIX_LIST: &str = "pl-0123456789abcdef0";
const UNKNOWN_KEY: (&str, &str) = ("AKIDNOPE", "secret-nope");
// --- routing ---
const NO_ROUTE_TABLE: &str = "rtb-0123456789abcdef0";
const NO_IGW: &str = "igw-0123456789abcdef0";
const NO_ALLOCATION: &str = "eipalloc-0123456789abcdef0";

/// How a call is signed.
#[derive(Debug, Clone, Copy)]
enum Auth {
    Ec2((&'static str, &'static str)),
    Sts((&'static str, &'static str)),
}

/// One API call. A parameter value `$name` is replaced by what an earlier call saved.
#[derive(Debug)]
struct Call {
    auth: Auth,
    action: &'static str,
    params: Vec<(String, String)>,
    /// Saves the first `<tag>` of the (successful) answer as `$name`.
    save: Option<(String, &'static str)>,
}

/// Where the server keeps its state.
#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    /// SQLite, after this closure ran on account A's us-east-1 state.
    Seeded(fn(&mut AccountState, &mut dyn IdGen) -> Result<(), ApiError>),
    /// A store whose every transaction fails.
    Failing,
}

#[derive(Debug)]
struct Case {
    backend: Backend,
    setup: Vec<Call>,
    fail: Call,
}

/// The calls that make the server answer `code`.
fn trigger(code: C) -> Case {
    match code {
        C::AuthFailure => case(
            vec![],
            Call {
                auth: Auth::Ec2(UNKNOWN_KEY),
                ..ec2("DescribeSecurityGroups", &[])
            },
        ),
        C::CannotDelete => case(
            vec![],
            ec2("DeleteSecurityGroup", &[("GroupName", "default")]),
        ),
        C::DependencyViolation => case(
            vec![vpc("vpc", "10.0.0.0/16"), group_in("sg", "web", "$vpc")],
            ec2("DeleteVpc", &[("VpcId", "$vpc")]),
        ),
        C::DryRunOperation => case(
            vec![],
            ec2(
                "CreateSecurityGroup",
                &[
                    ("GroupName", "web"),
                    ("GroupDescription", "d"),
                    ("DryRun", "true"),
                ],
            ),
        ),
        // A /28 holds 16 - 5 reserved = 11 usable addresses: a primary and 11 more do not fit.
        C::InsufficientFreeAddressesInSubnet => case(
            vec![
                vpc("vpc", "10.0.0.0/16"),
                subnet("subnet", "$vpc", "10.0.0.0/28"),
            ],
            ec2(
                "CreateNetworkInterface",
                &[
                    ("SubnetId", "$subnet"),
                    ("SecondaryPrivateIpAddressCount", "11"),
                ],
            ),
        ),
        C::IncorrectState => case(
            vec![
                ec2(
                    "RunInstances",
                    &[("ImageId", "ami-1"), ("MinCount", "1"), ("MaxCount", "1")],
                )
                .save("eni", "networkInterfaceId"),
            ],
            ec2("DeleteNetworkInterface", &[("NetworkInterfaceId", "$eni")]),
        ),
        C::InvalidAction => case(vec![], ec2("LaunchRockets", &[])),
        C::InvalidClientTokenId => case(vec![], sts(UNKNOWN_KEY)),
        C::InvalidGroupDuplicate => case(vec![group("sg", "web")], create_group("web")),
        C::InvalidGroupIdMalformed => case(
            vec![],
            ec2("DescribeSecurityGroups", &[("GroupId.1", "sg-web")]),
        ),
        C::InvalidGroupNotFound => case(
            vec![],
            ec2("DescribeSecurityGroups", &[("GroupId.1", NO_GROUP)]),
        ),
        C::InvalidGroupReserved => case(vec![], create_group("default")),
        C::InvalidIpAddressInUse => {
            let eni = || {
                ec2(
                    "CreateNetworkInterface",
                    &[("SubnetId", "$subnet"), ("PrivateIpAddress", "10.0.0.10")],
                )
            };
            case(
                vec![
                    vpc("vpc", "10.0.0.0/16"),
                    subnet("subnet", "$vpc", "10.0.0.0/24"),
                    eni(),
                ],
                eni(),
            )
        }
        C::InvalidInstanceIdMalformed => case(
            vec![],
            ec2("DescribeInstances", &[("InstanceId.1", "i-web")]),
        ),
        C::InvalidInstanceIdNotFound => case(
            vec![],
            ec2("DescribeInstances", &[("InstanceId.1", NO_INSTANCE)]),
        ),
        C::InvalidNetworkInterfaceIdMalformed => case(
            vec![],
            ec2(
                "DescribeNetworkInterfaces",
                &[("NetworkInterfaceId.1", "eni-web")],
            ),
        ),
        C::InvalidNetworkInterfaceIdNotFound => case(
            vec![],
            ec2(
                "DescribeNetworkInterfaces",
                &[("NetworkInterfaceId.1", NO_ENI)],
            ),
        ),
        C::InvalidNextToken => case(vec![], ec2("DescribeVpcs", &[("NextToken", "not-a-token")])),
        // A group of one VPC on an interface in another.
        C::InvalidParameter => case(
            vec![
                vpc("vpc", "10.0.0.0/16"),
                subnet("subnet", "$vpc", "10.0.0.0/24"),
                group("sg", "web"),
            ],
            ec2(
                "CreateNetworkInterface",
                &[("SubnetId", "$subnet"), ("SecurityGroupId.1", "$sg")],
            ),
        ),
        C::InvalidParameterCombination => case(
            vec![],
            ec2(
                "DescribeSecurityGroups",
                &[("GroupName.1", "default"), ("MaxResults", "5")],
            ),
        ),
        C::InvalidParameterValue => case(vec![], create_group("sg-web")),
        C::InvalidPermissionDuplicate => case(
            vec![group("sg", "web"), ssh("AuthorizeSecurityGroupIngress")],
            ssh("AuthorizeSecurityGroupIngress"),
        ),
        // Outside the default VPC a revoke that matches nothing is an error.
        C::InvalidPermissionNotFound => case(
            vec![vpc("vpc", "10.0.0.0/16"), group_in("sg", "web", "$vpc")],
            ssh("RevokeSecurityGroupIngress"),
        ),
        C::InvalidPrefixListIdMalformed => case(
            vec![],
            ec2(
                "DescribeManagedPrefixLists",
                &[("PrefixListId.1", "pl-web")],
            ),
        ),
        C::InvalidPrefixListIdNotFound => case(
            vec![],
            ec2(
                "DescribeManagedPrefixLists",
                &[("PrefixListId.1", NO_PREFIX_LIST)],
            ),
        ),
        C::InvalidSecurityGroupRuleIdMalformed => case(
            vec![],
            ec2(
                "DescribeSecurityGroupRules",
                &[("SecurityGroupRuleId.1", "sgr-web")],
            ),
        ),
        C::InvalidSecurityGroupRuleIdNotFound => case(
            vec![],
            ec2(
                "DescribeSecurityGroupRules",
                &[("SecurityGroupRuleId.1", NO_RULE)],
            ),
        ),
        C::InvalidSubnetConflict => case(
            vec![
                vpc("vpc", "10.0.0.0/16"),
                subnet("subnet", "$vpc", "10.0.0.0/24"),
            ],
            ec2(
                "CreateSubnet",
                &[("VpcId", "$vpc"), ("CidrBlock", "10.0.0.0/25")],
            ),
        ),
        C::InvalidSubnetIdMalformed => case(
            vec![],
            ec2("DescribeSubnets", &[("SubnetId.1", "subnet-web")]),
        ),
        C::InvalidSubnetIdNotFound => {
            case(vec![], ec2("DescribeSubnets", &[("SubnetId.1", NO_SUBNET)]))
        }
        C::InvalidSubnetRange => case(
            vec![vpc("vpc", "10.0.0.0/16")],
            ec2(
                "CreateSubnet",
                &[("VpcId", "$vpc"), ("CidrBlock", "10.9.0.0/24")],
            ),
        ),
        C::InvalidVpcIdMalformed => case(vec![], ec2("DescribeVpcs", &[("VpcId.1", "vpc-web")])),
        C::InvalidVpcIdNotFound => case(vec![], ec2("DescribeVpcs", &[("VpcId.1", NO_VPC)])),
        C::InvalidVpcPeeringConnectionIdMalformed => case(
            vec![],
            ec2(
                "DescribeVpcPeeringConnections",
                &[("VpcPeeringConnectionId.1", "pcx-web")],
            ),
        ),
        C::InvalidVpcPeeringConnectionIdNotFound => case(
            vec![],
            ec2(
                "DescribeVpcPeeringConnections",
                &[("VpcPeeringConnectionId.1", NO_PEERING)],
            ),
        ),
        C::InvalidVpcRange => case(vec![], ec2("CreateVpc", &[("CidrBlock", "10.0.0.0/8")])),
        C::MissingParameter => case(vec![], ec2("CreateSecurityGroup", &[("GroupName", "web")])),
        C::PrefixListVersionMismatch => case(
            vec![
                ec2(
                    "CreateManagedPrefixList",
                    &[
                        ("PrefixListName", "office"),
                        ("AddressFamily", "IPv4"),
                        ("MaxEntries", "5"),
                    ],
                )
                .save("pl", "prefixListId"),
            ],
            ec2(
                "ModifyManagedPrefixList",
                &[
                    ("PrefixListId", "$pl"),
                    ("CurrentVersion", "7"),
                    ("AddEntry.1.Cidr", "10.0.0.0/8"),
                ],
            ),
        ),
        // One permission with 61 ranges: 61 rules against the default quota of 60.
        C::PrivateIpAddressLimitExceeded => case(
            vec![
                vpc("vpc", "10.0.0.0/16"),
                subnet("subnet", "$vpc", "10.0.0.0/24"),
            ],
            ec2(
                "CreateNetworkInterface",
                &[
                    ("SubnetId", "$subnet"),
                    ("SecondaryPrivateIpAddressCount", "50"),
                ],
            ),
        ),
        C::RulesPerSecurityGroupLimitExceeded => {
            let mut fail = ssh("AuthorizeSecurityGroupIngress");
            fail.params
                .retain(|(k, _)| !k.starts_with("IpPermissions.1.IpRanges"));
            for n in 1..=61 {
                fail.params.push((
                    format!("IpPermissions.1.IpRanges.{n}.CidrIp"),
                    format!("10.0.{n}.0/24"),
                ));
            }
            case(vec![group("sg", "web")], fail)
        }
        C::SecurityGroupLimitExceeded => Case {
            backend: Backend::Seeded(fill_region_with_groups),
            setup: vec![],
            fail: create_group("one-too-many"),
        },
        C::SecurityGroupsPerInstanceLimitExceeded => {
            let mut fail = ec2(
                "RunInstances",
                &[
                    ("ImageId", "ami-12345678"),
                    ("MinCount", "1"),
                    ("MaxCount", "1"),
                ],
            );
            fail.params.extend(group_ids("SecurityGroupId", 6));
            case(six_groups(), fail)
        }
        C::SecurityGroupsPerInterfaceLimitExceeded => {
            let mut setup = six_groups();
            setup.push(
                ec2(
                    "DescribeSubnets",
                    &[
                        ("Filter.1.Name", "default-for-az"),
                        ("Filter.1.Value.1", "true"),
                    ],
                )
                .save("subnet", "subnetId"),
            );
            let mut fail = ec2("CreateNetworkInterface", &[("SubnetId", "$subnet")]);
            fail.params.extend(group_ids("SecurityGroupId", 6));
            case(setup, fail)
        }
        C::SignatureDoesNotMatch => case(vec![], sts((KEY_B.0, "not-the-secret"))),
        C::InternalError => Case {
            backend: Backend::Failing,
            setup: vec![],
            fail: ec2("DescribeSecurityGroups", &[]),
        },
        C::FilterLimitExceeded => {
            let mut fail = ec2("DescribeSecurityGroups", &[("Filter.1.Name", "group-id")]);
            fail.params
                .extend((1..=201).map(|n| (format!("Filter.1.Value.{n}"), format!("sg-{n:017x}"))));
            case(vec![], fail)
        }
        C::TagLimitExceeded => {
            let mut fail = ec2("CreateTags", &[("ResourceId.1", "$sg")]);
            fail.params
                .extend((1..=51).map(|n| (format!("Tag.{n}.Key"), format!("k{n}"))));
            case(vec![group("sg", "web")], fail)
        }
        C::VpcLimitExceeded => case(
            (1..=4)
                .map(|n| vpc(&format!("v{n}"), &format!("10.{n}.0.0/16")))
                .collect(),
            ec2("CreateVpc", &[("CidrBlock", "10.9.0.0/16")]),
        ),
        C::UnknownParameter => case(
            vec![],
            ec2("DescribeSecurityGroups", &[("GroupId.01", NO_GROUP)]),
        ),
        // VPC and subnet attributes, CIDR associations, zones, default VPC/subnet.
        C::CidrLimitExceeded => {
            let mut setup = vec![vpc("vpc", "10.0.0.0/16")];
            setup.extend((1..=4).map(|n| {
                let cidr = format!("10.{n}.0.0/16");
                ec2(
                    "AssociateVpcCidrBlock",
                    &[("VpcId", "$vpc"), ("CidrBlock", &cidr)],
                )
            }));
            case(
                setup,
                ec2(
                    "AssociateVpcCidrBlock",
                    &[("VpcId", "$vpc"), ("CidrBlock", "10.9.0.0/16")],
                ),
            )
        }
        C::DefaultSubnetAlreadyExistsInAvailabilityZone => case(
            vec![],
            ec2("CreateDefaultSubnet", &[("AvailabilityZone", "us-east-1a")]),
        ),
        C::DefaultVpcAlreadyExists => case(vec![], ec2("CreateDefaultVpc", &[])),
        C::InvalidSubnetCidrBlockAssociationIdNotFound => case(
            vec![],
            ec2(
                "DisassociateSubnetCidrBlock",
                &[("AssociationId", "subnet-cidr-assoc-0123456789abcdef0")],
            ),
        ),
        C::InvalidVpcCidrBlockAssociationIdNotFound => case(
            vec![],
            ec2(
                "DisassociateVpcCidrBlock",
                &[("AssociationId", "vpc-cidr-assoc-0123456789abcdef0")],
            ),
        ),
        C::NoDefaultVpcForSubnet => case(
            vec![
                ec2(
                    "DescribeVpcs",
                    &[
                        ("Filter.1.Name", "is-default"),
                        ("Filter.1.Value.1", "true"),
                    ],
                )
                .save("vpc", "vpcId"),
                ec2(
                    "DescribeSubnets",
                    &[
                        ("Filter.1.Name", "availability-zone"),
                        ("Filter.1.Value.1", "us-east-1a"),
                    ],
                )
                .save("a", "subnetId"),
                ec2(
                    "DescribeSubnets",
                    &[
                        ("Filter.1.Name", "availability-zone"),
                        ("Filter.1.Value.1", "us-east-1b"),
                    ],
                )
                .save("b", "subnetId"),
                ec2(
                    "DescribeSubnets",
                    &[
                        ("Filter.1.Name", "availability-zone"),
                        ("Filter.1.Value.1", "us-east-1c"),
                    ],
                )
                .save("c", "subnetId"),
                ec2("DeleteSubnet", &[("SubnetId", "$a")]),
                ec2("DeleteSubnet", &[("SubnetId", "$b")]),
                ec2("DeleteSubnet", &[("SubnetId", "$c")]),
                // The default VPC's internet gateway goes first, as on EC2.
                ec2(
                    "DescribeInternetGateways",
                    &[
                        ("Filter.1.Name", "attachment.vpc-id"),
                        ("Filter.1.Value.1", "$vpc"),
                    ],
                )
                .save("igw", "internetGatewayId"),
                ec2(
                    "DetachInternetGateway",
                    &[("InternetGatewayId", "$igw"), ("VpcId", "$vpc")],
                ),
                ec2("DeleteInternetGateway", &[("InternetGatewayId", "$igw")]),
                ec2("DeleteVpc", &[("VpcId", "$vpc")]),
            ],
            ec2("CreateDefaultSubnet", &[("AvailabilityZone", "us-east-1a")]),
        ),
        C::InvalidCidrBlockInUse => case(
            vec![
                vpc("vpc", "10.0.0.0/16"),
                ec2(
                    "AssociateVpcCidrBlock",
                    &[("VpcId", "$vpc"), ("CidrBlock", "10.1.0.0/16")],
                )
                .save("assoc", "associationId"),
                subnet("subnet", "$vpc", "10.1.0.0/24"),
            ],
            ec2("DisassociateVpcCidrBlock", &[("AssociationId", "$assoc")]),
        ),
        C::OperationNotPermitted => case(
            vec![
                vpc("vpc", "10.0.0.0/16"),
                ec2("DescribeVpcs", &[("VpcId.1", "$vpc")]).save("assoc", "associationId"),
            ],
            ec2("DisassociateVpcCidrBlock", &[("AssociationId", "$assoc")]),
        ),
        C::UnsupportedOperation => case(
            vec![],
            ec2(
                "ModifyVpcPeeringConnectionOptions",
                &[
                    ("VpcPeeringConnectionId", NO_PEERING),
                    (
                        "RequesterPeeringConnectionOptions.AllowEgressFromLocalVpcToRemoteClassicLink",
                        "true",
                    ),
                ],
            ),
        ),
        // --- routing ---
        C::InvalidRouteTableIdMalformed => case(
            vec![],
            ec2("DescribeRouteTables", &[("RouteTableId.1", "rtb-main")]),
        ),
        C::InvalidRouteTableIdNotFound => case(
            vec![],
            ec2("DescribeRouteTables", &[("RouteTableId.1", NO_ROUTE_TABLE)]),
        ),
        C::InvalidInternetGatewayIdMalformed => case(
            vec![],
            ec2("DeleteInternetGateway", &[("InternetGatewayId", "igw-x")]),
        ),
        C::InvalidInternetGatewayIdNotFound => case(
            vec![],
            ec2("DeleteInternetGateway", &[("InternetGatewayId", NO_IGW)]),
        ),
        C::InvalidGatewayIdNotFound => case(
            route_table("rtb"),
            ec2(
                "CreateRoute",
                &[
                    ("RouteTableId", "$rtb"),
                    ("DestinationCidrBlock", "0.0.0.0/0"),
                    ("GatewayId", NO_IGW),
                ],
            ),
        ),
        C::InvalidAllocationIdMalformed => case(
            vec![],
            ec2("ReleaseAddress", &[("AllocationId", "eipalloc-1")]),
        ),
        C::InvalidAllocationIdNotFound => case(
            vec![],
            ec2("ReleaseAddress", &[("AllocationId", NO_ALLOCATION)]),
        ),
        C::InvalidAssociationIdMalformed => case(
            vec![],
            ec2("DisassociateAddress", &[("AssociationId", "eipassoc-1")]),
        ),
        C::InvalidAssociationIdNotFound => case(
            vec![],
            ec2(
                "DisassociateRouteTable",
                &[("AssociationId", "rtbassoc-0123456789abcdef0")],
            ),
        ),
        C::InvalidAddressNotFound => case(
            vec![],
            ec2("DescribeAddresses", &[("PublicIp.1", "198.51.100.1")]),
        ),
        C::InvalidNetworkAclIdMalformed => case(
            vec![],
            ec2("DescribeNetworkAcls", &[("NetworkAclId.1", "acl-x")]),
        ),
        C::InvalidNetworkAclIdNotFound => case(
            vec![],
            ec2(
                "DescribeNetworkAcls",
                &[("NetworkAclId.1", "acl-0123456789abcdef0")],
            ),
        ),
        C::InvalidRouteNotFound => case(
            route_table("rtb"),
            ec2(
                "DeleteRoute",
                &[
                    ("RouteTableId", "$rtb"),
                    ("DestinationCidrBlock", "192.0.2.0/24"),
                ],
            ),
        ),
        C::RouteAlreadyExists => {
            let route = || {
                ec2(
                    "CreateRoute",
                    &[
                        ("RouteTableId", "$rtb"),
                        ("DestinationCidrBlock", "192.0.2.0/24"),
                        ("NetworkInterfaceId", "$eni"),
                    ],
                )
            };
            let mut setup = route_table("rtb");
            setup.push(route());
            case(setup, route())
        }
        C::ResourceAlreadyAssociated => case(
            vec![
                vpc("vpc", "10.0.0.0/16"),
                ec2("CreateInternetGateway", &[]).save("igw", "internetGatewayId"),
                ec2(
                    "AttachInternetGateway",
                    &[("InternetGatewayId", "$igw"), ("VpcId", "$vpc")],
                ),
            ],
            ec2(
                "AttachInternetGateway",
                &[("InternetGatewayId", "$igw"), ("VpcId", "$vpc")],
            ),
        ),
        C::GatewayNotAttached => case(
            vec![
                vpc("vpc", "10.0.0.0/16"),
                ec2("CreateInternetGateway", &[]).save("igw", "internetGatewayId"),
            ],
            ec2(
                "DetachInternetGateway",
                &[("InternetGatewayId", "$igw"), ("VpcId", "$vpc")],
            ),
        ),
        C::AddressLimitExceeded => case(
            (0..5).map(|_| ec2("AllocateAddress", &[])).collect(),
            ec2("AllocateAddress", &[]),
        ),
        // VPC peering across accounts and regions, and prefix lists.
        C::InvalidStateTransition => case(
            peered(),
            ec2(
                "RejectVpcPeeringConnection",
                &[("VpcPeeringConnectionId", "$pcx")],
            ),
        ),
        C::UnauthorizedOperation => case(
            vec![],
            ec2(
                "DeleteManagedPrefixList",
                &[("PrefixListId", "pl-63a5400a")],
            ),
        ),
        // Network interfaces and instances.
        C::IncorrectInstanceState => case(
            launched(),
            ec2(
                "ModifyInstanceAttribute",
                &[("InstanceId", "$i"), ("InstanceType.Value", "t3.large")],
            ),
        ),
        C::InvalidAmiIdMalformed => {
            case(vec![], ec2("DescribeImages", &[("ImageId.1", "ami-nope")]))
        }
        C::InvalidInstanceId => {
            let mut setup = launched();
            setup.push(group("sg", "web"));
            setup.push(attach("$eni", "1"));
            case(
                setup,
                ec2(
                    "ModifyInstanceAttribute",
                    &[("InstanceId", "$i"), ("GroupId.1", "$sg")],
                ),
            )
        }
        C::InvalidAttachmentIdNotFound => case(
            vec![],
            ec2(
                "DetachNetworkInterface",
                &[("AttachmentId", "eni-attach-0123456789abcdef0")],
            ),
        ),
        C::InvalidNetworkInterfaceInUse => {
            let mut setup = launched();
            setup.push(attach("$eni", "1"));
            case(setup, attach("$eni", "2"))
        }
    }
}

/// A VPC (`$vpc`) with a subnet, an interface (`$eni`) and a second route table (`$name`).
fn route_table(name: &str) -> Vec<Call> {
    vec![
        vpc("vpc", "10.0.0.0/16"),
        subnet("subnet", "$vpc", "10.0.1.0/24"),
        ec2("CreateNetworkInterface", &[("SubnetId", "$subnet")]).save("eni", "networkInterfaceId"),
        ec2("CreateRouteTable", &[("VpcId", "$vpc")]).save(name, "routeTableId"),
    ]
}

/// An instance `$i` (its primary attachment `$primary`) and a free interface `$eni` in
/// default subnet `$subnet`.
fn launched() -> Vec<Call> {
    vec![
        ec2(
            "DescribeSubnets",
            &[
                ("Filter.1.Name", "availability-zone"),
                ("Filter.1.Value.1", "us-east-1a"),
            ],
        )
        .save("subnet", "subnetId"),
        ec2(
            "RunInstances",
            &[
                ("ImageId", "ami-12345678"),
                ("MinCount", "1"),
                ("MaxCount", "1"),
                ("SubnetId", "$subnet"),
            ],
        )
        .save("i", "instanceId"),
        ec2("DescribeInstances", &[("InstanceId.1", "$i")]).save("primary", "attachmentId"),
        ec2("CreateNetworkInterface", &[("SubnetId", "$subnet")]).save("eni", "networkInterfaceId"),
    ]
}

fn attach(eni: &str, device: &str) -> Call {
    ec2(
        "AttachNetworkInterface",
        &[
            ("NetworkInterfaceId", eni),
            ("InstanceId", "$i"),
            ("DeviceIndex", device),
        ],
    )
}

/// The HTTP status EC2 pairs with `code` ("Error codes for the Amazon EC2 API": client errors
/// 400, `DryRunOperation` 412; a credential problem is 401 for EC2 and 403 for STS; a 5xx
/// is a server fault).
fn status(code: C) -> u16 {
    match code {
        C::DryRunOperation => 412,
        C::AuthFailure => 401,
        C::InvalidClientTokenId | C::SignatureDoesNotMatch => 403,
        C::InternalError => 500,
        _ => 400,
    }
}

#[tokio::test]
async fn every_code_is_answered_by_some_request() {
    let mut wrong = Vec::new();
    for &code in C::ALL {
        let r = run(code, trigger(code)).await;
        if (r.status, r.code().as_deref()) != (status(code), Some(code.as_str())) {
            wrong.push(format!(
                "{code:?}: expected {} {}, got {} {}",
                status(code),
                code.as_str(),
                r.status,
                r.body
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// `Ec2ErrorCode::ALL` names each variant of the enum exactly once, in declaration order (the
/// declaration is read from the model's source, as a tidy check).
#[test]
fn all_lists_every_variant() {
    let src = include_str!("../../../palisade-model/src/error.rs");
    let start = src
        .find("pub enum Ec2ErrorCode {")
        .expect("the enum is declared");
    let body = &src[start..];
    let body = &body[body.find('{').unwrap() + 1..body.find("\n}").unwrap()];
    let declared: Vec<&str> = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//") && !l.starts_with('#'))
        .map(|l| l.trim_end_matches(','))
        .collect();
    let listed: Vec<String> = C::ALL.iter().map(|c| format!("{c:?}")).collect();
    assert_eq!(listed, declared);
    let wire: BTreeSet<&str> = C::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(wire.len(), C::ALL.len(), "two variants share a wire code");
}

async fn run(code: C, case: Case) -> Reply {
    let server = match case.backend {
        Backend::Sqlite => Server::new(),
        Backend::Failing => Server::with_store(Arc::new(FailingStore)),
        Backend::Seeded(seed) => {
            let store = SqliteStore::in_memory().unwrap();
            let scope = Scope::new("111111111111".parse().unwrap(), "us-east-1");
            transact(&store, &scope, &mut SeqIdGen::starting_at(1 << 64), seed).unwrap();
            Server::with_store(Arc::new(store))
        }
    };
    let mut vars = HashMap::new();
    for call in &case.setup {
        let r = send(&server, call, &vars).await;
        assert_eq!(
            r.status, 200,
            "{code:?}: setup {} failed: {}",
            call.action, r.body
        );
        if let Some((name, tag)) = &call.save {
            let value = r
                .text(tag)
                .unwrap_or_else(|| panic!("{code:?}: no <{tag}> in {}: {}", call.action, r.body));
            vars.insert(name.clone(), value);
        }
    }
    send(&server, &case.fail, &vars).await
}

async fn send(server: &Server, call: &Call, vars: &HashMap<String, String>) -> Reply {
    let (version, service) = match call.auth {
        Auth::Sts(_) => ("2011-06-15", "sts"),
        Auth::Ec2(_) => ("2016-11-15", "ec2"),
    };
    let mut ser = form_urlencoded::Serializer::new(String::new());
    ser.append_pair("Action", call.action)
        .append_pair("Version", version);
    for (k, v) in &call.params {
        let v = match v.strip_prefix('$') {
            Some(name) => vars
                .get(name)
                .unwrap_or_else(|| panic!("${name} was never saved")),
            None => v,
        };
        ser.append_pair(k, v);
    }
    let body = ser.finish();
    let (Auth::Ec2(key) | Auth::Sts(key)) = call.auth;
    server
        .raw(Server::request(key, now(), "us-east-1", service, &body))
        .await
}

fn case(setup: Vec<Call>, fail: Call) -> Case {
    Case {
        backend: Backend::Sqlite,
        setup,
        fail,
    }
}

/// An EC2 call signed by account A.
fn ec2(action: &'static str, params: &[(&str, &str)]) -> Call {
    Call {
        auth: Auth::Ec2(KEY_A),
        action,
        params: params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        save: None,
    }
}

fn sts(key: (&'static str, &'static str)) -> Call {
    Call {
        auth: Auth::Sts(key),
        ..ec2("GetCallerIdentity", &[])
    }
}

impl Call {
    fn save(mut self, name: &str, tag: &'static str) -> Self {
        self.save = Some((name.to_owned(), tag));
        self
    }
}

fn vpc(name: &str, cidr: &str) -> Call {
    ec2("CreateVpc", &[("CidrBlock", cidr)]).save(name, "vpcId")
}

fn subnet(name: &str, vpc: &str, cidr: &str) -> Call {
    ec2("CreateSubnet", &[("VpcId", vpc), ("CidrBlock", cidr)]).save(name, "subnetId")
}

fn create_group(group_name: &str) -> Call {
    ec2(
        "CreateSecurityGroup",
        &[("GroupName", group_name), ("GroupDescription", "d")],
    )
}

/// A group in the default VPC, saved as `$name`.
fn group(name: &str, group_name: &str) -> Call {
    create_group(group_name).save(name, "groupId")
}

fn group_in(name: &str, group_name: &str, vpc: &str) -> Call {
    let mut call = group(name, group_name);
    call.params.push(("VpcId".to_owned(), vpc.to_owned()));
    call
}

/// SSH from 10.0.0.0/8 into `$sg`.
fn ssh(action: &'static str) -> Call {
    ec2(
        action,
        &[
            ("GroupId", "$sg"),
            ("IpPermissions.1.IpProtocol", "tcp"),
            ("IpPermissions.1.FromPort", "22"),
            ("IpPermissions.1.ToPort", "22"),
            ("IpPermissions.1.IpRanges.1.CidrIp", "10.0.0.0/8"),
        ],
    )
}

/// Two VPCs of account A, `$a` and `$b`, joined by the active peering `$pcx`.
fn peered() -> Vec<Call> {
    vec![
        vpc("a", "10.0.0.0/16"),
        vpc("b", "10.1.0.0/16"),
        ec2(
            "CreateVpcPeeringConnection",
            &[("VpcId", "$a"), ("PeerVpcId", "$b")],
        )
        .save("pcx", "vpcPeeringConnectionId"),
        ec2(
            "AcceptVpcPeeringConnection",
            &[("VpcPeeringConnectionId", "$pcx")],
        ),
    ]
}

/// Groups `$g1` … `$g6`: one more than an interface may carry.
fn six_groups() -> Vec<Call> {
    (1..=6)
        .map(|n| group(&format!("g{n}"), &format!("group-{n}")))
        .collect()
}

fn group_ids(param: &str, n: usize) -> Vec<(String, String)> {
    (1..=n)
        .map(|i| (format!("{param}.{i}"), format!("$g{i}")))
        .collect()
}

/// Creates groups until the region holds its quota.
fn fill_region_with_groups(st: &mut AccountState, ids: &mut dyn IdGen) -> Result<(), ApiError> {
    let mut n = 0;
    while st.snapshot().groups.len() < st.quotas().groups_per_region() as usize {
        n += 1;
        st.create_group(&format!("filler-{n}"), "d", None, Vec::new(), ids)?;
    }
    Ok(())
}

/// A store that fails every transaction, as a lost database would.
#[derive(Debug)]
struct FailingStore;

impl Store for FailingStore {
    fn write(&self, _: &Scope, _: &mut dyn IdGen, _: &mut WriteFn<'_>) -> Result<(), StoreError> {
        Err(StoreError::Poisoned)
    }

    fn write_pair(
        &self,
        _: &Scope,
        _: &Scope,
        _: &mut dyn IdGen,
        _: &mut PairWriteFn<'_>,
    ) -> Result<(), StoreError> {
        Err(StoreError::Poisoned)
    }

    fn read(&self, _: &Scope, _: &mut dyn IdGen, _: &mut ReadFn<'_>) -> Result<(), StoreError> {
        Err(StoreError::Poisoned)
    }
    fn read_versioned(
        &self,
        _: &Scope,
        _: &mut dyn IdGen,
        _: &mut palisade_store::VersionedReadFn<'_>,
    ) -> Result<(), StoreError> {
        Err(StoreError::Poisoned)
    }
    fn scopes(&self) -> Result<Vec<Scope>, StoreError> {
        Err(StoreError::Poisoned)
    }
}
