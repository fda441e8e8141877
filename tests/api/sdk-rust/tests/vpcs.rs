//! aws-sdk-ec2 against `palisade serve` for the VPC area: VPC and subnet attributes, CIDR
//! block associations, zones and the default VPC/subnet, read back through the SDK's parser
//! as Terraform's provider (aws-sdk-go-v2, the same service model) reads them.

mod common;

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, Filter, HostnameType, VpcAttributeName, VpcCidrBlockStateCode,
};
use common::{client, serve};

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

#[tokio::test]
async fn sdk_reads_vpc_attributes_and_associations() {
    let server = serve("vpcs");
    let ec2 = client(&server.endpoint);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .amazon_provided_ipv6_cidr_block(true)
        .send()
        .await
        .unwrap()
        .vpc
        .unwrap();
    let vpc_id = vpc.vpc_id().unwrap().to_owned();
    assert!(vpc.dhcp_options_id().unwrap().starts_with("dopt-"));
    let v6 = &vpc.ipv6_cidr_block_association_set()[0];
    assert_eq!(v6.ipv6_pool(), Some("Amazon"));
    assert_eq!(v6.network_border_group(), Some("us-east-1"));
    ec2.modify_vpc_attribute()
        .vpc_id(&vpc_id)
        .enable_dns_hostnames(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .unwrap();
    let attr = ec2
        .describe_vpc_attribute()
        .vpc_id(&vpc_id)
        .attribute(VpcAttributeName::EnableDnsHostnames)
        .send()
        .await
        .unwrap();
    assert_eq!(attr.enable_dns_hostnames().unwrap().value(), Some(true));
    let attr = ec2
        .describe_vpc_attribute()
        .vpc_id(&vpc_id)
        .attribute(VpcAttributeName::EnableNetworkAddressUsageMetrics)
        .send()
        .await
        .unwrap();
    assert_eq!(
        attr.enable_network_address_usage_metrics().unwrap().value(),
        Some(false)
    );
    let out = ec2
        .associate_vpc_cidr_block()
        .vpc_id(&vpc_id)
        .cidr_block("10.1.0.0/16")
        .send()
        .await
        .unwrap();
    let assoc = out.cidr_block_association().unwrap();
    assert_eq!(
        assoc.cidr_block_state().unwrap().state(),
        Some(&VpcCidrBlockStateCode::Associating)
    );
    let found = ec2
        .describe_vpcs()
        .filters(filter(
            "cidr-block-association.association-id",
            assoc.association_id().unwrap(),
        ))
        .send()
        .await
        .unwrap();
    let states: Vec<_> = found.vpcs()[0]
        .cidr_block_association_set()
        .iter()
        .map(|a| a.cidr_block_state().unwrap().state().cloned())
        .collect();
    assert_eq!(states, vec![Some(VpcCidrBlockStateCode::Associated); 2]);
    let err = ec2
        .disassociate_vpc_cidr_block()
        .association_id("vpc-cidr-assoc-0123456789abcdef0")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some("InvalidVpcCidrBlockAssociationID.NotFound")
    );
    let gone = ec2
        .disassociate_vpc_cidr_block()
        .association_id(assoc.association_id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        gone.cidr_block_association()
            .unwrap()
            .cidr_block_state()
            .unwrap()
            .state(),
        Some(&VpcCidrBlockStateCode::Disassociating)
    );
}

#[tokio::test]
async fn sdk_reads_subnet_attributes_zones_and_defaults() {
    let server = serve("vpcs");
    let ec2 = client(&server.endpoint);
    let zones = ec2
        .describe_availability_zones()
        .all_availability_zones(true)
        .send()
        .await
        .unwrap();
    let ids: Vec<_> = zones
        .availability_zones()
        .iter()
        .map(|z| z.zone_id().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "use1-az6", "use1-az1", "use1-az2", "use1-az4", "use1-az3", "use1-az5"
        ]
    );
    let vpc_id = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc
        .unwrap()
        .vpc_id
        .unwrap();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc_id)
        .cidr_block("10.0.1.0/24")
        .availability_zone_id("use1-az4")
        .send()
        .await
        .unwrap()
        .subnet
        .unwrap();
    assert_eq!(subnet.availability_zone(), Some("us-east-1d"));
    assert_eq!(subnet.map_public_ip_on_launch(), Some(false));
    assert_eq!(subnet.ipv6_native(), Some(false));
    ec2.modify_subnet_attribute()
        .subnet_id(subnet.subnet_id().unwrap())
        .private_dns_hostname_type_on_launch(HostnameType::ResourceName)
        .send()
        .await
        .unwrap();
    let read = ec2
        .describe_subnets()
        .subnet_ids(subnet.subnet_id().unwrap())
        .send()
        .await
        .unwrap();
    let options = read.subnets()[0]
        .private_dns_name_options_on_launch()
        .unwrap();
    assert_eq!(options.hostname_type(), Some(&HostnameType::ResourceName));
    let err = ec2.create_default_vpc().send().await.unwrap_err();
    assert_eq!(err.code(), Some("DefaultVpcAlreadyExists"));
    let made = ec2
        .create_default_subnet()
        .availability_zone("us-east-1e")
        .send()
        .await
        .unwrap()
        .subnet
        .unwrap();
    assert_eq!(made.default_for_az(), Some(true));
    assert_eq!(made.availability_zone_id(), Some("use1-az3"));
}
