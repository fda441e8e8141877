//! aws-sdk-ec2 against `palisade serve` for network interfaces and instances: RunInstances
//! with two interfaces, Attach/DetachNetworkInterface, the attribute calls and the reads
//! Terraform's `aws_instance` makes, parsed by the Rust SDK's ec2Query deserialiser.

mod common;

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, Filter, InstanceAttributeName, InstanceNetworkInterfaceSpecification,
    InstanceStateName, InstanceType, NetworkInterfaceAttachmentChanges, NetworkInterfaceAttribute,
    NetworkInterfaceStatus,
};
use common::{client, serve};

async fn default_subnet(ec2: &aws_sdk_ec2::Client) -> String {
    ec2.describe_subnets()
        .filters(
            Filter::builder()
                .name("availability-zone")
                .values("us-east-1a")
                .build(),
        )
        .send()
        .await
        .unwrap()
        .subnets
        .unwrap()[0]
        .subnet_id
        .clone()
        .unwrap()
}

#[tokio::test]
async fn sdk_drives_interfaces_and_instances() {
    let server = serve("eni");
    let ec2 = client(&server.endpoint);
    let subnet = default_subnet(&ec2).await;
    let run = ec2
        .run_instances()
        .image_id("ami-0123456789abcdef0")
        .instance_type(InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .user_data("IyEvYmluL3NoCg==")
        .network_interfaces(
            InstanceNetworkInterfaceSpecification::builder()
                .device_index(0)
                .subnet_id(&subnet)
                .private_ip_address("172.31.0.10")
                .build(),
        )
        .network_interfaces(
            InstanceNetworkInterfaceSpecification::builder()
                .device_index(1)
                .subnet_id(&subnet)
                .description("second")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let inst = &run.instances.unwrap()[0];
    assert_eq!(
        inst.state.as_ref().unwrap().name,
        Some(InstanceStateName::Pending)
    );
    let id = inst.instance_id.clone().unwrap();
    let d = ec2
        .describe_instances()
        .instance_ids(&id)
        .send()
        .await
        .unwrap();
    let i = &d.reservations.unwrap()[0].instances.clone().unwrap()[0];
    assert_eq!(
        i.state.as_ref().unwrap().name,
        Some(InstanceStateName::Running)
    );
    assert_eq!(i.private_ip_address.as_deref(), Some("172.31.0.10"));
    assert_eq!(
        i.private_dns_name.as_deref(),
        Some("ip-172-31-0-10.ec2.internal")
    );
    let nics = i.network_interfaces.clone().unwrap();
    assert_eq!(nics.len(), 2);
    let primary_attachment = nics[0].attachment.clone().unwrap();
    assert_eq!(primary_attachment.device_index, Some(0));
    assert_eq!(primary_attachment.delete_on_termination, Some(true));
    assert!(i.launch_time.is_some());
    assert_eq!(i.source_dest_check, Some(true));

    // A third interface, attached and detached.
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
    let att = ec2
        .attach_network_interface()
        .network_interface_id(&eni)
        .instance_id(&id)
        .device_index(2)
        .send()
        .await
        .unwrap()
        .attachment_id
        .unwrap();
    ec2.modify_network_interface_attribute()
        .network_interface_id(&eni)
        .attachment(
            NetworkInterfaceAttachmentChanges::builder()
                .attachment_id(&att)
                .delete_on_termination(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let a = ec2
        .describe_network_interface_attribute()
        .network_interface_id(&eni)
        .attribute(NetworkInterfaceAttribute::Attachment)
        .send()
        .await
        .unwrap();
    assert_eq!(a.attachment.unwrap().delete_on_termination, Some(true));
    let d = ec2
        .describe_network_interfaces()
        .filters(
            Filter::builder()
                .name("attachment.attachment-id")
                .values(&att)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let found = &d.network_interfaces.unwrap()[0];
    assert_eq!(found.status, Some(NetworkInterfaceStatus::InUse));
    assert_eq!(found.requester_managed, Some(false));
    ec2.detach_network_interface()
        .attachment_id(&att)
        .force(true)
        .send()
        .await
        .unwrap();
    let err = ec2
        .detach_network_interface()
        .attachment_id(primary_attachment.attachment_id.clone().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("OperationNotPermitted"));

    // Attributes and the reads `aws_instance` makes.
    ec2.modify_instance_attribute()
        .instance_id(&id)
        .disable_api_termination(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .unwrap();
    let a = ec2
        .describe_instance_attribute()
        .instance_id(&id)
        .attribute(InstanceAttributeName::DisableApiTermination)
        .send()
        .await
        .unwrap();
    assert_eq!(a.disable_api_termination.unwrap().value, Some(true));
    let a = ec2
        .describe_instance_attribute()
        .instance_id(&id)
        .attribute(InstanceAttributeName::UserData)
        .send()
        .await
        .unwrap();
    assert_eq!(
        a.user_data.unwrap().value.as_deref(),
        Some("IyEvYmluL3NoCg==")
    );
    let err = ec2
        .terminate_instances()
        .instance_ids(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("OperationNotPermitted"));
    ec2.modify_instance_attribute()
        .instance_id(&id)
        .disable_api_termination(AttributeBooleanValue::builder().value(false).build())
        .send()
        .await
        .unwrap();
    let types = ec2
        .describe_instance_types()
        .instance_types(InstanceType::T3Micro)
        .send()
        .await
        .unwrap();
    assert_eq!(
        types.instance_types.unwrap()[0].burstable_performance_supported,
        Some(true)
    );
    let images = ec2
        .describe_images()
        .image_ids("ami-0123456789abcdef0")
        .send()
        .await
        .unwrap();
    assert_eq!(
        images.images.unwrap()[0].root_device_name.as_deref(),
        Some("/dev/xvda")
    );
    let t = ec2
        .terminate_instances()
        .instance_ids(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        t.terminating_instances.unwrap()[0]
            .current_state
            .as_ref()
            .unwrap()
            .name,
        Some(InstanceStateName::ShuttingDown)
    );
    let err = ec2
        .describe_instances()
        .instance_ids("i-0123456789abcdef0")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidInstanceID.NotFound"));
}
