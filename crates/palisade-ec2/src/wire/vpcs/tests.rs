//! The VPC area's decode and encode tables: Query forms in, typed requests (or the error)
//! out; typed responses in, XML out. The same shape as `wire/tests.rs`.

use expect_test::{Expect, expect};
use palisade_model::account::VpcAttribute;
use palisade_model::account::ops::{CidrAssociation, CidrState, Response};
use palisade_model::{AccountId, zones};

use crate::query::Params;
use crate::wire::{Origin, decode, encode};

fn check(form: &str, expect: Expect) {
    let pairs: Vec<(String, String)> = form
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    let params = Params::from_pairs(pairs);
    let action = params.get("Action").unwrap_or("").to_owned();
    let out = match decode(&action, &params) {
        Ok(Some(req)) => format!("{req:#?}"),
        Ok(None) => "unknown action".to_owned(),
        Err(e) => format!("error {}: {}", e.code(), e.message()),
    };
    expect.assert_eq(&out);
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
fn vpc_attribute_one_per_call() {
    check(
        "Action=DescribeVpcAttribute&VpcId=vpc-0123456789abcdef0&Attribute=enableDnsHostnames",
        expect![[r#"
            DescribeVpcAttribute {
                vpc: VpcId(
                    "vpc-0123456789abcdef0",
                ),
                attribute: DnsHostnames,
            }"#]],
    );
    check(
        "Action=DescribeVpcAttribute&VpcId=vpc-0123456789abcdef0&Attribute=dns",
        expect![
            "error InvalidParameterValue: Value (dns) for parameter attribute is invalid. Unknown attribute."
        ],
    );
    check(
        "Action=ModifyVpcAttribute&VpcId=vpc-0123456789abcdef0&EnableDnsSupport.Value=false",
        expect![[r#"
            ModifyVpcAttribute {
                vpc: VpcId(
                    "vpc-0123456789abcdef0",
                ),
                attribute: DnsSupport,
                value: false,
            }"#]],
    );
    check(
        "Action=ModifyVpcAttribute&VpcId=vpc-0123456789abcdef0&EnableDnsSupport.Value=false\
         &EnableDnsHostnames.Value=false",
        expect![
            "error InvalidParameterCombination: Fields for multiple attribute types specified: EnableDnsSupport.Value, EnableDnsHostnames.Value"
        ],
    );
    check(
        "Action=ModifyVpcAttribute&VpcId=vpc-0123456789abcdef0",
        expect!["error MissingParameter: The request must contain exactly one attribute to modify"],
    );
    check(
        "Action=ModifyVpcTenancy&VpcId=vpc-0123456789abcdef0&InstanceTenancy=host",
        expect!["error InvalidParameterValue: Invalid value 'host' for InstanceTenancy"],
    );
}

#[test]
fn cidr_associations() {
    check(
        "Action=AssociateVpcCidrBlock&VpcId=vpc-0123456789abcdef0&CidrBlock=10.1.0.0/16",
        expect![[r#"
            AssociateVpcCidrBlock {
                vpc: VpcId(
                    "vpc-0123456789abcdef0",
                ),
                block: Ipv4(
                    10.1.0.0/16,
                ),
            }"#]],
    );
    check(
        "Action=AssociateVpcCidrBlock&VpcId=vpc-0123456789abcdef0\
         &AmazonProvidedIpv6CidrBlock=true&Ipv6CidrBlockNetworkBorderGroup=us-east-1",
        expect![[r#"
            AssociateVpcCidrBlock {
                vpc: VpcId(
                    "vpc-0123456789abcdef0",
                ),
                block: AmazonIpv6 {
                    border_group: Some(
                        "us-east-1",
                    ),
                },
            }"#]],
    );
    check(
        "Action=AssociateVpcCidrBlock&VpcId=vpc-0123456789abcdef0\
         &AmazonProvidedIpv6CidrBlock=true&CidrBlock=10.1.0.0/16",
        expect![
            "error InvalidParameterCombination: The parameters CidrBlock and AmazonProvidedIpv6CidrBlock cannot be used together"
        ],
    );
    check(
        "Action=AssociateVpcCidrBlock&VpcId=vpc-0123456789abcdef0",
        expect![
            "error MissingParameter: Either CidrBlock or AmazonProvidedIpv6CidrBlock must be specified"
        ],
    );
    check(
        "Action=DisassociateSubnetCidrBlock&AssociationId=subnet-cidr-assoc-1",
        expect![[r#"
            DisassociateSubnetCidrBlock {
                association_id: "subnet-cidr-assoc-1",
            }"#]],
    );
}

#[test]
fn subnet_attributes_and_defaults() {
    check(
        "Action=ModifySubnetAttribute&SubnetId=subnet-0123456789abcdef0\
         &PrivateDnsHostnameTypeOnLaunch=resource-name",
        expect![[r#"
            ModifySubnetAttribute {
                subnet: SubnetId(
                    "subnet-0123456789abcdef0",
                ),
                change: HostnameType(
                    ResourceName,
                ),
            }"#]],
    );
    check(
        "Action=ModifySubnetAttribute&SubnetId=subnet-0123456789abcdef0\
         &MapPublicIpOnLaunch.Value=yes",
        expect!["error InvalidParameterValue: Invalid value 'yes' for MapPublicIpOnLaunch.Value"],
    );
    check(
        "Action=CreateSubnet&VpcId=vpc-0123456789abcdef0&CidrBlock=10.0.1.0/24\
         &AvailabilityZoneId=use1-az1",
        expect![[r#"
            CreateSubnet {
                vpc: VpcId(
                    "vpc-0123456789abcdef0",
                ),
                cidr: Some(
                    10.0.1.0/24,
                ),
                ipv6: None,
                ipv6_native: false,
                zone: Some(
                    "use1-az1",
                ),
                tags: [],
            }"#]],
    );
    check(
        "Action=CreateDefaultSubnet&AvailabilityZoneId=use1-az4",
        expect![[r#"
            CreateDefaultSubnet {
                zone: "use1-az4",
            }"#]],
    );
    check(
        "Action=CreateDefaultSubnet",
        expect!["error MissingParameter: The request must contain the parameter AvailabilityZone"],
    );
    check("Action=CreateDefaultVpc", expect!["CreateDefaultVpc"]);
    check(
        "Action=DescribeAvailabilityZones&ZoneName.1=us-east-1a&ZoneId.1=use1-az1\
         &Filter.1.Name=zone-type&Filter.1.Value.1=availability-zone",
        expect![[r#"
            DescribeAvailabilityZones {
                names: [
                    "us-east-1a",
                    "use1-az1",
                ],
                select: [zone-type=availability-zone],
            }"#]],
    );
    check(
        "Action=DescribeVpcs&Filter.1.Name=ipv6-cidr-block-association.association-id\
         &Filter.1.Value.1=vpc-cidr-assoc-1&Filter.2.Name=dhcp-options-id&Filter.2.Value.1=dopt-1",
        expect![[r#"
            DescribeVpcs {
                ids: [],
                select: [ipv6-cidr-block-association.association-id=vpc-cidr-assoc-1; dhcp-options-id=dopt-1],
                page: PageRequest {
                    max: None,
                    from: None,
                },
            }"#]],
    );
}

#[test]
fn encode_attribute_associations_and_zones() {
    check_encode(
        &Response::VpcAttribute {
            vpc: "vpc-0123456789abcdef0".parse().expect("valid id"),
            attribute: VpcAttribute::DnsHostnames,
            value: true,
        },
        expect![
            "<vpcId>vpc-0123456789abcdef0</vpcId><enableDnsHostnames><value>true</value></enableDnsHostnames>"
        ],
    );
    check_encode(
        &Response::VpcCidrBlock {
            vpc: "vpc-0123456789abcdef0".parse().expect("valid id"),
            association: CidrAssociation {
                id: "vpc-cidr-assoc-1".into(),
                cidr: "2600:1f00:1:100::/56".parse().expect("valid cidr"),
                state: CidrState::Associating,
                border_group: Some("us-east-1".into()),
            },
        },
        expect![
            "<ipv6CidrBlockAssociation><associationId>vpc-cidr-assoc-1</associationId><ipv6CidrBlock>2600:1f00:1:100::/56</ipv6CidrBlock><ipv6CidrBlockState><state>associating</state></ipv6CidrBlockState><networkBorderGroup>us-east-1</networkBorderGroup><ipv6Pool>Amazon</ipv6Pool></ipv6CidrBlockAssociation><vpcId>vpc-0123456789abcdef0</vpcId>"
        ],
    );
    check_encode(
        &Response::SubnetCidrBlock {
            subnet: "subnet-0123456789abcdef0".parse().expect("valid id"),
            association: CidrAssociation {
                id: "subnet-cidr-assoc-1".into(),
                cidr: "2600:1f00:1:101::/64".parse().expect("valid cidr"),
                state: CidrState::Disassociating,
                border_group: None,
            },
        },
        expect![
            "<ipv6CidrBlockAssociation><associationId>subnet-cidr-assoc-1</associationId><ipv6CidrBlock>2600:1f00:1:101::/64</ipv6CidrBlock><ipv6CidrBlockState><state>disassociating</state></ipv6CidrBlockState></ipv6CidrBlockAssociation><subnetId>subnet-0123456789abcdef0</subnetId>"
        ],
    );
    check_encode(
        &Response::Zones(zones::zones("eu-west-1").into_iter().take(1).collect()),
        expect![
            "<availabilityZoneInfo><item><zoneName>eu-west-1a</zoneName><zoneState>available</zoneState><regionName>eu-west-1</regionName><messageSet/><zoneId>euw1-az1</zoneId><zoneType>availability-zone</zoneType><optInStatus>opt-in-not-required</optInStatus><groupName>eu-west-1</groupName><networkBorderGroup>eu-west-1</networkBorderGroup></item></availabilityZoneInfo>"
        ],
    );
}

#[test]
fn encode_subnet_with_its_attributes() {
    let subnet = palisade_model::Subnet {
        id: "subnet-0123456789abcdef0".parse().expect("valid id"),
        vpc_id: "vpc-0123456789abcdef0".parse().expect("valid id"),
        owner: "111122223333".parse().expect("valid account"),
        cidr_v4: Some("10.0.1.0/24".parse().expect("valid cidr")),
        cidr_v6: Some("2600:1f00:1:101::/64".parse().expect("valid cidr")),
        availability_zone: "us-east-1a".into(),
        tags: Vec::new(),
        attributes: palisade_model::SubnetAttributes {
            assign_ipv6_address_on_creation: true,
            hostname_type: palisade_model::HostnameType::ResourceName,
            resource_name_dns_aaaa_record: true,
            ..palisade_model::SubnetAttributes::default_subnet()
        },
    };
    check_encode(
        &Response::Subnet(palisade_model::account::ops::SubnetView {
            default_for_az: subnet.attributes.default_for_az,
            map_public_ip_on_launch: subnet.attributes.map_public_ip_on_launch,
            subnet,
            available_ips: 251,
            zone_id: "use1-az6".into(),
        }),
        expect![
            "<subnet><subnetId>subnet-0123456789abcdef0</subnetId><subnetArn>arn:aws:ec2:us-east-1:111122223333:subnet/subnet-0123456789abcdef0</subnetArn><vpcId>vpc-0123456789abcdef0</vpcId><ownerId>111122223333</ownerId><state>available</state><cidrBlock>10.0.1.0/24</cidrBlock><availabilityZone>us-east-1a</availabilityZone><availableIpAddressCount>251</availableIpAddressCount><defaultForAz>true</defaultForAz><mapPublicIpOnLaunch>true</mapPublicIpOnLaunch><ipv6CidrBlockAssociationSet><item><associationId>subnet-cidr-assoc-0b2330263d014292b</associationId><ipv6CidrBlock>2600:1f00:1:101::/64</ipv6CidrBlock><ipv6CidrBlockState><state>associated</state></ipv6CidrBlockState></item></ipv6CidrBlockAssociationSet><availabilityZoneId>use1-az6</availabilityZoneId><mapCustomerOwnedIpOnLaunch>false</mapCustomerOwnedIpOnLaunch><assignIpv6AddressOnCreation>true</assignIpv6AddressOnCreation><ipv6Native>false</ipv6Native><enableDns64>false</enableDns64><privateDnsNameOptionsOnLaunch><hostnameType>resource-name</hostnameType><enableResourceNameDnsARecord>false</enableResourceNameDnsARecord><enableResourceNameDnsAAAARecord>true</enableResourceNameDnsAAAARecord></privateDnsNameOptionsOnLaunch><tagSet/></subnet>"
        ],
    );
}
