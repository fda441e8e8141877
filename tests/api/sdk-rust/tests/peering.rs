//! aws-sdk-ec2 against `palisade serve` for VPC peering across accounts and regions (the
//! SDK's waiters and its parse of `VpcPeeringConnection`), prefix lists (AWS-managed, the
//! legacy DescribePrefixLists, customer-list states) and the `tag-value` filter.

mod common;

use common::{Key, client_for, serve_with};
use std::time::Duration;

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{
    AddPrefixListEntry, Filter, PeeringConnectionOptionsRequest, ResourceType, Tag,
    TagSpecification, VpcPeeringConnectionStateReasonCode,
};

const A: Key = ("AKIDSDKPEERA0000001", "sdk-secret-a", "444444444444");
const B: Key = ("AKIDSDKPEERB0000002", "sdk-secret-b", "555555555555");

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

#[tokio::test]
async fn sdk_drives_cross_account_cross_region_peering() {
    use aws_sdk_ec2::client::Waiters;
    let server = serve_with("peering", &[A, B]);
    let a = client_for(&server.endpoint, A, "us-east-1");
    let b = client_for(&server.endpoint, B, "eu-west-1");
    let a_vpc = a
        .create_vpc()
        .cidr_block("10.51.0.0/16")
        .send()
        .await
        .unwrap();
    let b_vpc = b
        .create_vpc()
        .cidr_block("10.52.0.0/16")
        .send()
        .await
        .unwrap();
    let created = a
        .create_vpc_peering_connection()
        .vpc_id(a_vpc.vpc().unwrap().vpc_id().unwrap())
        .peer_vpc_id(b_vpc.vpc().unwrap().vpc_id().unwrap())
        .peer_owner_id(B.2)
        .peer_region("eu-west-1")
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::VpcPeeringConnection)
                .tags(Tag::builder().key("Name").value("sdk").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let pcx = created.vpc_peering_connection().unwrap();
    assert_eq!(
        pcx.status().unwrap().code(),
        Some(&VpcPeeringConnectionStateReasonCode::InitiatingRequest)
    );
    let id = pcx.vpc_peering_connection_id().unwrap().to_owned();
    assert_eq!(pcx.accepter_vpc_info().unwrap().region(), Some("eu-west-1"));
    b.wait_until_vpc_peering_connection_exists()
        .vpc_peering_connection_ids(&id)
        .wait(Duration::from_secs(30))
        .await
        .unwrap();
    let err = a
        .accept_vpc_peering_connection()
        .vpc_peering_connection_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("OperationNotPermitted"));
    b.accept_vpc_peering_connection()
        .vpc_peering_connection_id(&id)
        .send()
        .await
        .unwrap();
    let opts = b
        .modify_vpc_peering_connection_options()
        .vpc_peering_connection_id(&id)
        .accepter_peering_connection_options(
            PeeringConnectionOptionsRequest::builder()
                .allow_dns_resolution_from_remote_vpc(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        opts.accepter_peering_connection_options()
            .and_then(|o| o.allow_dns_resolution_from_remote_vpc()),
        Some(true)
    );
    let seen = a
        .describe_vpc_peering_connections()
        .filters(filter("status-code", "active"))
        .filters(filter("tag-value", "sdk"))
        .send()
        .await
        .unwrap();
    let seen = &seen.vpc_peering_connections()[0];
    assert_eq!(seen.vpc_peering_connection_id(), Some(id.as_str()));
    let accepter = seen.accepter_vpc_info().unwrap();
    assert_eq!(accepter.owner_id(), Some(B.2));
    assert_eq!(accepter.cidr_block(), Some("10.52.0.0/16"));
    assert_eq!(
        accepter
            .peering_options()
            .and_then(|o| o.allow_dns_resolution_from_remote_vpc()),
        Some(true)
    );
    a.delete_vpc_peering_connection()
        .vpc_peering_connection_id(&id)
        .send()
        .await
        .unwrap();
    a.wait_until_vpc_peering_connection_deleted()
        .vpc_peering_connection_ids(&id)
        .wait(Duration::from_secs(30))
        .await
        .unwrap();
    let err = b
        .reject_vpc_peering_connection()
        .vpc_peering_connection_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidStateTransition"));
    let err = a
        .describe_vpc_peering_connections()
        .vpc_peering_connection_ids("pcx-0000000000000beef")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidVpcPeeringConnectionID.NotFound"));
}

#[tokio::test]
async fn sdk_reads_prefix_lists() {
    let server = serve_with("lists", &[A, B]);
    let a = client_for(&server.endpoint, A, "us-east-1");
    let managed = a
        .describe_managed_prefix_lists()
        .filters(filter("prefix-list-name", "com.amazonaws.us-east-1.s3"))
        .send()
        .await
        .unwrap();
    let s3 = &managed.prefix_lists()[0];
    assert_eq!(s3.prefix_list_id(), Some("pl-63a5400a"));
    assert_eq!(s3.owner_id(), Some("AWS"));
    assert_eq!(s3.state().map(|s| s.as_str()), Some("create-complete"));
    let legacy = a.describe_prefix_lists().send().await.unwrap();
    let names: Vec<&str> = legacy
        .prefix_lists()
        .iter()
        .filter_map(|p| p.prefix_list_name())
        .collect();
    assert!(names.contains(&"com.amazonaws.us-east-1.dynamodb"));
    assert!(!legacy.prefix_lists()[0].cidrs().is_empty());
    let err = a
        .delete_managed_prefix_list()
        .prefix_list_id("pl-63a5400a")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("UnauthorizedOperation"));
    let created = a
        .create_managed_prefix_list()
        .prefix_list_name("office")
        .address_family("IPv4")
        .max_entries(2)
        .entries(AddPrefixListEntry::builder().cidr("192.0.2.0/24").build())
        .send()
        .await
        .unwrap();
    let list = created.prefix_list().unwrap();
    assert_eq!(list.state().map(|s| s.as_str()), Some("create-in-progress"));
    let id = list.prefix_list_id().unwrap();
    let err = a
        .modify_managed_prefix_list()
        .prefix_list_id(id)
        .current_version(9)
        .add_entries(
            AddPrefixListEntry::builder()
                .cidr("198.51.100.0/24")
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("PrefixListVersionMismatch"));
    let modified = a
        .modify_managed_prefix_list()
        .prefix_list_id(id)
        .current_version(1)
        .add_entries(
            AddPrefixListEntry::builder()
                .cidr("198.51.100.0/24")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        modified.prefix_list().unwrap().state().map(|s| s.as_str()),
        Some("modify-in-progress")
    );
    let read = a
        .describe_managed_prefix_lists()
        .prefix_list_ids(id)
        .send()
        .await
        .unwrap();
    assert_eq!(read.prefix_lists()[0].version(), Some(2));
    assert_eq!(
        read.prefix_lists()[0].state().map(|s| s.as_str()),
        Some("modify-complete")
    );
}
