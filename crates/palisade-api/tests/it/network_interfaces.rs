//! Network interfaces and instances as Terraform's `aws_network_interface*` and
//! `aws_instance` use them: several interfaces per instance, attach/detach, attributes,
//! filters, the instance state machine and the reads `aws_instance` makes.

use crate::harness::{Reply, Server};

async fn default_subnet(s: &Server) -> String {
    s.call(
        "DescribeSubnets",
        &[
            ("Filter.1.Name", "availability-zone"),
            ("Filter.1.Value.1", "us-east-1a"),
        ],
    )
    .await
    .ok()
    .text("subnetId")
    .unwrap()
}

async fn group(s: &Server, name: &str) -> String {
    s.call(
        "CreateSecurityGroup",
        &[("GroupName", name), ("GroupDescription", "d")],
    )
    .await
    .ok()
    .text("groupId")
    .unwrap()
}

async fn enis(s: &Server, filter: &str, value: &str) -> Vec<String> {
    s.call(
        "DescribeNetworkInterfaces",
        &[("Filter.1.Name", filter), ("Filter.1.Value.1", value)],
    )
    .await
    .ok()
    .all("networkInterfaceId")
}

fn has(r: &Reply, fragment: &str) {
    assert!(r.body.contains(fragment), "{fragment} not in {}", r.body);
}

#[tokio::test]
async fn run_instances_with_two_interfaces_then_terminate() {
    let s = Server::new();
    let subnet = default_subnet(&s).await;
    let web = group(&s, "web").await;
    let db = group(&s, "db").await;
    let run = s
        .call(
            "RunInstances",
            &[
                ("ImageId", "ami-0123456789abcdef0"),
                ("InstanceType", "t3.micro"),
                ("MinCount", "1"),
                ("MaxCount", "1"),
                ("UserData", "IyEvYmluL3NoCmVjaG8gaGkK"),
                ("KeyName", "lab"),
                ("NetworkInterface.1.DeviceIndex", "0"),
                ("NetworkInterface.1.SubnetId", &subnet),
                ("NetworkInterface.1.SecurityGroupId.1", &web),
                ("NetworkInterface.1.PrivateIpAddress", "172.31.0.10"),
                ("NetworkInterface.2.DeviceIndex", "1"),
                ("NetworkInterface.2.SubnetId", &subnet),
                ("NetworkInterface.2.SecurityGroupId.1", &db),
                ("NetworkInterface.2.Description", "second"),
                ("TagSpecification.1.ResourceType", "instance"),
                ("TagSpecification.1.Tag.1.Key", "Name"),
                ("TagSpecification.1.Tag.1.Value", "lab"),
                ("TagSpecification.2.ResourceType", "network-interface"),
                ("TagSpecification.2.Tag.1.Key", "role"),
                ("TagSpecification.2.Tag.1.Value", "nic"),
            ],
        )
        .await
        .ok();
    // RunInstances answers `pending`; later reads see `running`.
    has(&run, "<code>0</code><name>pending</name>");
    let id = run.text("instanceId").unwrap();
    let d = s
        .call("DescribeInstances", &[("InstanceId.1", &id)])
        .await
        .ok();
    has(&d, "<name>running</name>");
    has(&d, "<privateIpAddress>172.31.0.10</privateIpAddress>");
    has(
        &d,
        "<privateDnsName>ip-172-31-0-10.ec2.internal</privateDnsName>",
    );
    has(&d, "<keyName>lab</keyName>");
    has(&d, "<deviceIndex>1</deviceIndex>");
    // The instance's groups are its primary interface's.
    assert_eq!(d.all("groupId").first(), Some(&web));
    let nics = d.all("networkInterfaceId");
    assert_eq!(nics.len(), 2);
    assert_eq!(enis(&s, "tag:role", "nic").await.len(), 2);
    assert_eq!(enis(&s, "attachment.instance-id", &id).await.len(), 2);
    assert_eq!(
        enis(&s, "attachment.device-index", "1").await,
        vec![nics[1].clone()]
    );
    assert_eq!(
        enis(&s, "attachment.delete-on-termination", "true")
            .await
            .len(),
        2
    );
    assert_eq!(enis(&s, "group-name", "db").await, vec![nics[1].clone()]);
    assert_eq!(enis(&s, "status", "in-use").await.len(), 2);
    assert_eq!(enis(&s, "requester-managed", "false").await.len(), 2);
    let ud = s
        .call(
            "DescribeInstanceAttribute",
            &[("InstanceId", &id), ("Attribute", "userData")],
        )
        .await
        .ok();
    has(
        &ud,
        "<userData><value>IyEvYmluL3NoCmVjaG8gaGkK</value></userData>",
    );
    let t = s
        .call("TerminateInstances", &[("InstanceId.1", &id)])
        .await
        .ok();
    has(
        &t,
        "<currentState><code>32</code><name>shutting-down</name>",
    );
    let d = s
        .call("DescribeInstances", &[("InstanceId.1", &id)])
        .await
        .ok();
    has(&d, "<name>terminated</name>");
    assert!(enis(&s, "attachment.instance-id", &id).await.is_empty());
}

#[tokio::test]
async fn attach_detach_and_attributes() {
    let s = Server::new();
    let subnet = default_subnet(&s).await;
    let web = group(&s, "web").await;
    let id = s
        .call(
            "RunInstances",
            &[
                ("ImageId", "ami-12345678"),
                ("MinCount", "1"),
                ("MaxCount", "1"),
                ("SubnetId", &subnet),
            ],
        )
        .await
        .ok()
        .text("instanceId")
        .unwrap();
    let eni = s
        .call(
            "CreateNetworkInterface",
            &[("SubnetId", &subnet), ("SecurityGroupId.1", &web)],
        )
        .await
        .ok()
        .text("networkInterfaceId")
        .unwrap();
    let attach = s
        .call(
            "AttachNetworkInterface",
            &[
                ("NetworkInterfaceId", &eni),
                ("InstanceId", &id),
                ("DeviceIndex", "1"),
            ],
        )
        .await
        .ok();
    let att = attach.text("attachmentId").unwrap();
    assert!(att.starts_with("eni-attach-"));
    let d = s
        .call(
            "DescribeNetworkInterfaces",
            &[("NetworkInterfaceId.1", &eni)],
        )
        .await
        .ok();
    has(&d, "<status>in-use</status>");
    has(&d, "<deleteOnTermination>false</deleteOnTermination>");
    has(&d, "<instanceOwnerId>");
    assert_eq!(
        enis(&s, "attachment.attachment-id", &att).await,
        vec![eni.clone()]
    );
    // Attachment.DeleteOnTermination, Description, then read them back.
    s.call(
        "ModifyNetworkInterfaceAttribute",
        &[
            ("NetworkInterfaceId", &eni),
            ("Attachment.AttachmentId", &att),
            ("Attachment.DeleteOnTermination", "true"),
        ],
    )
    .await
    .ok();
    s.call(
        "ModifyNetworkInterfaceAttribute",
        &[
            ("NetworkInterfaceId", &eni),
            ("Description.Value", "changed"),
        ],
    )
    .await
    .ok();
    let a = s
        .call(
            "DescribeNetworkInterfaceAttribute",
            &[("NetworkInterfaceId", &eni), ("Attribute", "attachment")],
        )
        .await
        .ok();
    has(&a, "<deleteOnTermination>true</deleteOnTermination>");
    let a = s
        .call(
            "DescribeNetworkInterfaceAttribute",
            &[("NetworkInterfaceId", &eni), ("Attribute", "description")],
        )
        .await
        .ok();
    has(&a, "<description><value>changed</value></description>");
    // Instance attributes Terraform reads and changes.
    s.call(
        "ModifyInstanceAttribute",
        &[("InstanceId", &id), ("DisableApiTermination.Value", "true")],
    )
    .await
    .ok();
    let a = s
        .call(
            "DescribeInstanceAttribute",
            &[("InstanceId", &id), ("Attribute", "disableApiTermination")],
        )
        .await
        .ok();
    has(
        &a,
        "<disableApiTermination><value>true</value></disableApiTermination>",
    );
    assert_eq!(
        s.call("TerminateInstances", &[("InstanceId.1", &id)])
            .await
            .code()
            .as_deref(),
        Some("OperationNotPermitted")
    );
    s.call(
        "ModifyInstanceAttribute",
        &[
            ("InstanceId", &id),
            ("Attribute", "disableApiTermination"),
            ("Value", "false"),
        ],
    )
    .await
    .ok();
    // Detach; the primary cannot be detached.
    s.call(
        "DetachNetworkInterface",
        &[("AttachmentId", &att), ("Force", "true")],
    )
    .await
    .ok();
    assert_eq!(enis(&s, "status", "available").await, vec![eni.clone()]);
    // The last attachment stays visible as `detached` (what Terraform's detach waiter polls).
    assert_eq!(
        enis(&s, "attachment.attachment-id", &att).await,
        vec![eni.clone()]
    );
    assert_eq!(
        enis(&s, "attachment.status", "detached").await,
        vec![eni.clone()]
    );
    let primary = s
        .call("DescribeInstances", &[("InstanceId.1", &id)])
        .await
        .ok()
        .text("attachmentId")
        .unwrap();
    assert_eq!(
        s.call("DetachNetworkInterface", &[("AttachmentId", &primary)])
            .await
            .code()
            .as_deref(),
        Some("OperationNotPermitted")
    );
}

#[tokio::test]
async fn the_reads_aws_instance_makes() {
    let s = Server::new();
    let images = s
        .call("DescribeImages", &[("ImageId.1", "ami-0123456789abcdef0")])
        .await
        .ok();
    has(&images, "<imageState>available</imageState>");
    has(&images, "<rootDeviceName>/dev/xvda</rootDeviceName>");
    let types = s
        .call("DescribeInstanceTypes", &[("InstanceType.1", "t3.micro")])
        .await
        .ok();
    has(
        &types,
        "<burstablePerformanceSupported>true</burstablePerformanceSupported>",
    );
    has(&types, "<defaultVCpus>2</defaultVCpus>");
    let id = s
        .call(
            "RunInstances",
            &[
                ("ImageId", "ami-12345678"),
                ("InstanceType", "t3.micro"),
                ("MinCount", "1"),
                ("MaxCount", "1"),
                ("CreditSpecification.CpuCredits", "standard"),
            ],
        )
        .await
        .ok()
        .text("instanceId")
        .unwrap();
    let credits = s
        .call(
            "DescribeInstanceCreditSpecifications",
            &[("InstanceId.1", &id)],
        )
        .await
        .ok();
    has(&credits, "<cpuCredits>standard</cpuCredits>");
    let d = s
        .call("DescribeInstances", &[("InstanceId.1", &id)])
        .await
        .ok();
    for fragment in [
        "<rootDeviceType>ebs</rootDeviceType>",
        "<metadataOptions><state>applied</state>",
        "<cpuOptions><coreCount>1</coreCount><threadsPerCore>2</threadsPerCore></cpuOptions>",
        "<sourceDestCheck>true</sourceDestCheck>",
        "<monitoring><state>disabled</state></monitoring>",
    ] {
        has(&d, fragment);
    }
    assert_eq!(
        s.call(
            "DescribeInstances",
            &[("InstanceId.1", "i-0123456789abcdef0")]
        )
        .await
        .code()
        .as_deref(),
        Some("InvalidInstanceID.NotFound")
    );
    assert_eq!(
        s.call("DescribeInstances", &[("InstanceId.1", "i-nope")])
            .await
            .code()
            .as_deref(),
        Some("InvalidInstanceID.Malformed")
    );
}
