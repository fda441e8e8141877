//! aws-sdk-ec2 against `palisade serve` for routing: route tables, routes and associations,
//! internet gateways, Elastic IPs and the default network ACL parse in the Rust SDK, error
//! codes included.

mod common;

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{DomainType, Filter, RouteState};
use common::{client, serve};

#[tokio::test]
async fn sdk_drives_routing() {
    let server = serve("routing");
    let ec2 = client(&server.endpoint);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.40.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc
        .unwrap()
        .vpc_id
        .unwrap();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.40.1.0/24")
        .send()
        .await
        .unwrap()
        .subnet
        .unwrap()
        .subnet_id
        .unwrap();
    let main = ec2
        .describe_route_tables()
        .filters(Filter::builder().name("vpc-id").values(&vpc).build())
        .filters(
            Filter::builder()
                .name("association.main")
                .values("true")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let main = &main.route_tables()[0];
    assert_eq!(main.routes()[0].gateway_id(), Some("local"));
    assert_eq!(main.associations()[0].main(), Some(true));

    let rtb = ec2
        .create_route_table()
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .route_table
        .unwrap()
        .route_table_id
        .unwrap();
    let igw = ec2
        .create_internet_gateway()
        .send()
        .await
        .unwrap()
        .internet_gateway
        .unwrap()
        .internet_gateway_id
        .unwrap();
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw)
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    let created = ec2
        .create_route()
        .route_table_id(&rtb)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(&igw)
        .send()
        .await
        .unwrap();
    assert_eq!(created.r#return(), Some(true));
    let err = ec2
        .create_route()
        .route_table_id(&rtb)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(&igw)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("RouteAlreadyExists"));
    let assoc = ec2
        .associate_route_table()
        .route_table_id(&rtb)
        .subnet_id(&subnet)
        .send()
        .await
        .unwrap();
    let assoc_id = assoc.association_id().unwrap().to_owned();
    ec2.detach_internet_gateway()
        .internet_gateway_id(&igw)
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    let t = ec2
        .describe_route_tables()
        .route_table_ids(&rtb)
        .send()
        .await
        .unwrap();
    assert_eq!(
        t.route_tables()[0].routes()[1].state(),
        Some(&RouteState::Blackhole)
    );
    let gws = ec2
        .describe_internet_gateways()
        .internet_gateway_ids(&igw)
        .send()
        .await
        .unwrap();
    assert!(gws.internet_gateways()[0].attachments().is_empty());
    let err = ec2
        .detach_internet_gateway()
        .internet_gateway_id(&igw)
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("Gateway.NotAttached"));

    // Elastic IPs need the VPC's internet gateway.
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw)
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    let eni = ec2
        .create_network_interface()
        .subnet_id(&subnet)
        .send()
        .await
        .unwrap()
        .network_interface
        .unwrap()
        .network_interface_id
        .unwrap();
    let address = ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .send()
        .await
        .unwrap();
    let alloc = address.allocation_id().unwrap().to_owned();
    let eip_assoc = ec2
        .associate_address()
        .allocation_id(&alloc)
        .network_interface_id(&eni)
        .send()
        .await
        .unwrap()
        .association_id
        .unwrap();
    let got = ec2
        .describe_addresses()
        .allocation_ids(&alloc)
        .send()
        .await
        .unwrap();
    let got = &got.addresses()[0];
    assert_eq!(got.association_id(), Some(eip_assoc.as_str()));
    assert_eq!(got.public_ip(), address.public_ip());
    let err = ec2
        .release_address()
        .allocation_id(&alloc)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidIPAddress.InUse"));
    ec2.disassociate_address()
        .association_id(&eip_assoc)
        .send()
        .await
        .unwrap();
    ec2.release_address()
        .allocation_id(&alloc)
        .send()
        .await
        .unwrap();

    let acls = ec2
        .describe_network_acls()
        .filters(Filter::builder().name("vpc-id").values(&vpc).build())
        .send()
        .await
        .unwrap();
    let acl = &acls.network_acls()[0];
    assert_eq!(acl.is_default(), Some(true));
    assert_eq!(acl.entries().len(), 4);
    assert_eq!(acl.associations()[0].subnet_id(), Some(subnet.as_str()));
    let err = ec2
        .create_network_acl()
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("UnsupportedOperation"));

    ec2.disassociate_route_table()
        .association_id(&assoc_id)
        .send()
        .await
        .unwrap();
    ec2.delete_route_table()
        .route_table_id(&rtb)
        .send()
        .await
        .unwrap();
    ec2.detach_internet_gateway()
        .internet_gateway_id(&igw)
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    ec2.delete_internet_gateway()
        .internet_gateway_id(&igw)
        .send()
        .await
        .unwrap();
}
