//! Network interfaces and instances: Create/Describe/Delete/ModifyNetworkInterface(Attribute),
//! Attach/DetachNetworkInterface, DescribeNetworkInterfaceAttribute, RunInstances,
//! DescribeInstances, TerminateInstances, Modify/DescribeInstanceAttribute, and the reads
//! `aws_instance` makes besides (DescribeImages, DescribeInstanceTypes,
//! DescribeInstanceCreditSpecifications). Element names are the botocore `ec2` model's
//! `locationName`s.
//!
//! Values EC2 reports for features Palisade does not model (block devices, metadata options,
//! CPU options …) are EC2's defaults for an EBS-backed HVM Linux instance, so clients that
//! read them back see a stable answer.

use palisade_model::account::ops::{
    EniAttribute, EniAttributeName, EniView, GroupName, ImageView, InstanceAttributeName,
    InstanceTypeInfo, InstanceView, Request, Response,
};
use palisade_model::account::{
    InstanceAttribute, InstanceState, LaunchOptions, NewEni, NewInstances, NicSpec,
    ShutdownBehavior,
};
use palisade_model::{ConntrackConfig, Ec2ErrorCode, Eni, GroupId, InstanceId, Tag};

use super::xml::Xml;
use super::{Origin, iso8601, next_token, select, tag_set};
use crate::query::{Params, QueryError, address_spec, page_request, run_instances_spec};

fn strings<T: ToString>(items: impl IntoIterator<Item = T>) -> Option<Vec<String>> {
    Some(items.into_iter().map(|t| t.to_string()).collect())
}

fn invalid(message: impl Into<String>) -> QueryError {
    QueryError::new(Ec2ErrorCode::InvalidParameterValue, message)
}

fn u32_param(p: &Params, name: &str) -> Result<Option<u32>, QueryError> {
    p.int(name)?
        .map(|v| u32::try_from(v).map_err(|_| invalid(format!("Invalid value '{v}' for {name}"))))
        .transpose()
}

pub(super) fn create_eni(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::CreateNetworkInterface(NewEni {
        subnet_id: p.required_id("SubnetId")?,
        groups: p.id_list("SecurityGroupId")?,
        addresses: address_spec(p, "Ipv6Addresses")?,
        description: p.get("Description").unwrap_or("").to_owned(),
        tags: p.tag_specs("network-interface")?,
        conntrack: conntrack_spec(p)?,
    }))
}

/// `ConnectionTrackingSpecification.*` of CreateNetworkInterface or `NetworkInterface.N`,
/// each timeout checked by the model (EC2's defaults for those not given).
fn conntrack_spec(p: &Params) -> Result<ConntrackConfig, QueryError> {
    let c = p.member("ConnectionTrackingSpecification");
    let tcp = u32_param(&c, "TcpEstablishedTimeout")?;
    let stream = u32_param(&c, "UdpStreamTimeout")?;
    let udp = u32_param(&c, "UdpTimeout")?;
    ConntrackConfig::new(tcp, stream, udp).map_err(|e| QueryError::new(e.code(), e.to_string()))
}

/// Every filter DescribeNetworkInterfaces documents that applies here.
const ENI_FILTERS: &[&str] = &[
    "addresses.private-ip-address",
    "addresses.primary",
    "addresses.association.public-ip",
    "addresses.association.owner-id",
    "association.public-ip",
    "association.allocation-id",
    "association.association-id",
    "association.ip-owner-id",
    "association.public-dns-name",
    "attachment.attachment-id",
    "attachment.attach-time",
    "attachment.delete-on-termination",
    "attachment.device-index",
    "attachment.instance-id",
    "attachment.instance-owner-id",
    "attachment.status",
    "availability-zone",
    "description",
    "group-id",
    "group-name",
    "ipv6-addresses.ipv6-address",
    "ipv6-address",
    "interface-type",
    "mac-address",
    "network-interface-id",
    "owner-id",
    "private-ip-address",
    "private-dns-name",
    "requester-id",
    "requester-managed",
    "source-dest-check",
    "status",
    "subnet-id",
    "vpc-id",
];

fn eni_status(e: &Eni) -> &'static str {
    if e.instance_id.is_some() {
        "in-use"
    } else {
        "available"
    }
}

fn eni_field(
    e: &Eni,
    name: &str,
    st: &palisade_model::account::AccountState,
) -> Option<Vec<String>> {
    let attachment = st.attachment_of(&e.id);
    // The attachment filters also see a detached interface's last attachment.
    let last = attachment.or_else(|| st.last_detachment(&e.id));
    let zone = || {
        e.subnet_id
            .as_ref()
            .and_then(|s| st.snapshot().subnets.get(s))
            .map(|s| s.availability_zone.clone())
    };
    match name {
        "addresses.private-ip-address" => strings(&e.private_ipv4),
        // Every interface has a primary address; `false` matches its secondaries.
        "addresses.primary" => {
            let mut v = vec!["true".to_owned()];
            if e.private_ipv4.len() > 1 {
                v.push("false".to_owned());
            }
            Some(v)
        }
        "addresses.association.public-ip" | "association.public-ip" => strings(e.public_ipv4),
        "addresses.association.owner-id" | "association.ip-owner-id" => {
            strings(e.public_ipv4.iter().map(|_| "amazon"))
        }
        "association.public-dns-name" => strings(
            e.public_ipv4
                .iter()
                .map(|ip| public_dns_name(*ip, st.region())),
        ),
        // Elastic IP allocations are not linked to interfaces here.
        "association.allocation-id" | "association.association-id" => Some(Vec::new()),
        "attachment.attachment-id" => strings(last.map(|(_, a)| &a.id)),
        "attachment.attach-time" => strings(last.map(|(_, a)| iso8601(a.attach_time))),
        "attachment.delete-on-termination" => strings(last.map(|(_, a)| a.delete_on_termination)),
        "attachment.device-index" => strings(last.map(|(_, a)| a.device_index)),
        "attachment.instance-id" => strings(&e.instance_id),
        "attachment.instance-owner-id" => strings(attachment.map(|_| &e.owner)),
        "attachment.status" => strings(attachment.map(|_| "attached").or(last.map(|_| "detached"))),
        "availability-zone" => strings(zone()),
        "description" => strings([&e.description]),
        "group-id" => strings(&e.groups),
        "group-name" => strings(
            e.groups
                .iter()
                .filter_map(|g| st.snapshot().groups.get(g).map(|g| g.name.clone())),
        ),
        "ipv6-addresses.ipv6-address" | "ipv6-address" => strings(&e.ipv6),
        "interface-type" => strings(["interface"]),
        "mac-address" => strings([mac(e.id.as_str())]),
        "network-interface-id" => strings([&e.id]),
        "owner-id" => strings([&e.owner]),
        "private-ip-address" => strings(&e.private_ipv4),
        "private-dns-name" => strings(
            e.private_ipv4
                .first()
                .map(|ip| private_dns_name(*ip, st.region())),
        ),
        // Interfaces here are never created by a service on the caller's behalf.
        "requester-id" => Some(Vec::new()),
        "requester-managed" => strings(["false"]),
        "source-dest-check" => strings([attachment
            .filter(|(i, _)| i.primary_eni == e.id)
            .is_none_or(|(i, _)| i.source_dest_check)]),
        "status" => strings([eni_status(e)]),
        "subnet-id" => strings(&e.subnet_id),
        "vpc-id" => strings([&e.vpc_id]),
        _ => None,
    }
}

pub(super) fn describe_enis(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DescribeNetworkInterfaces {
        ids: p.id_list("NetworkInterfaceId")?,
        select: select(p, ENI_FILTERS, |e: &Eni| &e.tags, eni_field)?,
        page: page_request(p, (5, 1000))?,
    })
}

pub(super) fn delete_eni(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DeleteNetworkInterface {
        eni: p.required_id("NetworkInterfaceId")?,
    })
}

/// ModifyNetworkInterfaceAttribute takes one attribute per call.
pub(super) fn modify_eni(p: &Params) -> Result<Request, QueryError> {
    let groups: Vec<GroupId> = p.id_list("SecurityGroupId")?;
    let mut attributes = Vec::new();
    if !groups.is_empty() {
        attributes.push(EniAttribute::Groups(groups));
    }
    if let Some(text) = p.get("Description.Value") {
        attributes.push(EniAttribute::Description(text.to_owned()));
    }
    if let Some(v) = p.bool("SourceDestCheck.Value")? {
        attributes.push(EniAttribute::SourceDestCheck(v));
    }
    let conntrack = p.member("ConnectionTrackingSpecification");
    if !conntrack.is_empty() {
        attributes.push(EniAttribute::ConnectionTracking {
            tcp_established: conntrack.int("TcpEstablishedTimeout")?,
            udp_stream: conntrack.int("UdpStreamTimeout")?,
            udp: conntrack.int("UdpTimeout")?,
        });
    }
    let attachment = p.member("Attachment");
    if !attachment.is_empty() {
        attributes.push(EniAttribute::DeleteOnTermination {
            attachment: attachment.required("AttachmentId")?.to_owned(),
            value: attachment
                .bool("DeleteOnTermination")?
                .ok_or_else(|| QueryError::missing("Attachment.DeleteOnTermination"))?,
        });
    }
    if attributes.len() > 1 {
        return Err(QueryError::new(
            Ec2ErrorCode::InvalidParameterCombination,
            "Fields for multiple attribute types specified: only one attribute may be modified per call",
        ));
    }
    Ok(Request::ModifyNetworkInterfaceAttribute {
        eni: p.required_id("NetworkInterfaceId")?,
        attribute: attributes.pop(),
    })
}

pub(super) fn attach_eni(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::AttachNetworkInterface {
        eni: p.required_id("NetworkInterfaceId")?,
        instance: p.required_id("InstanceId")?,
        device_index: u32_param(p, "DeviceIndex")?
            .ok_or_else(|| QueryError::missing("DeviceIndex"))?,
        network_card_index: u32_param(p, "NetworkCardIndex")?.unwrap_or(0),
    })
}

pub(super) fn detach_eni(p: &Params) -> Result<Request, QueryError> {
    p.bool("Force")?;
    Ok(Request::DetachNetworkInterface {
        attachment: p.required("AttachmentId")?.to_owned(),
    })
}

pub(super) fn describe_eni_attribute(p: &Params) -> Result<Request, QueryError> {
    let name = p.required("Attribute")?;
    let attribute = EniAttributeName::ALL
        .iter()
        .copied()
        .find(|a| a.aws_name() == name)
        .ok_or_else(|| {
            invalid(format!(
                "Value ({name}) for parameter attribute is invalid."
            ))
        })?;
    Ok(Request::DescribeNetworkInterfaceAttribute {
        eni: p.required_id("NetworkInterfaceId")?,
        attribute,
    })
}

/// One `NetworkInterface.N` of RunInstances.
fn nic_spec(n: &Params) -> Result<NicSpec, QueryError> {
    Ok(NicSpec {
        device_index: u32_param(n, "DeviceIndex")?.unwrap_or(0),
        network_card_index: u32_param(n, "NetworkCardIndex")?.unwrap_or(0),
        eni: n.opt_id("NetworkInterfaceId")?,
        subnet_id: n.opt_id("SubnetId")?,
        groups: n.id_list("SecurityGroupId")?,
        addresses: address_spec(n, "Ipv6Addresses")?,
        description: n.get("Description").unwrap_or("").to_owned(),
        delete_on_termination: n.bool("DeleteOnTermination")?,
        conntrack: conntrack_spec(n)?,
    })
}

pub(super) fn run_instances(p: &Params) -> Result<Request, QueryError> {
    let min = count(p, "MinCount")?;
    let max = count(p, "MaxCount")?;
    if min > max || min == 0 {
        return Err(invalid("MinCount must be between 1 and MaxCount"));
    }
    // `NetworkInterface.N` at device index 0 carries the primary's subnet, groups and
    // addresses; the others become the instance's further interfaces.
    let nics = p.members("NetworkInterface");
    let primary = nics
        .iter()
        .find(|n| n.get("DeviceIndex").is_none_or(|d| d == "0"));
    let mut subnet_id = p.opt_id("SubnetId")?;
    let mut groups: Vec<GroupId> = p.id_list("SecurityGroupId")?;
    if let Some(nic) = primary {
        subnet_id = subnet_id.or(nic.opt_id("SubnetId")?);
        groups.extend(nic.id_list::<GroupId>("SecurityGroupId")?);
    }
    let addresses = run_instances_spec(p, primary)?;
    // `None` follows the subnet's MapPublicIpOnLaunch.
    let associate_public_ip = primary
        .map(|nic| nic.bool("AssociatePublicIpAddress"))
        .transpose()?
        .flatten();
    let interfaces = nics.iter().map(nic_spec).collect::<Result<Vec<_>, _>>()?;
    let shutdown_behavior = match p.get("InstanceInitiatedShutdownBehavior") {
        None => ShutdownBehavior::Stop,
        Some(v) => ShutdownBehavior::parse(v).ok_or_else(|| {
            invalid(format!(
                "Value ({v}) for parameter instanceInitiatedShutdownBehavior is invalid."
            ))
        })?,
    };
    let launch = LaunchOptions {
        user_data: p
            .get("UserData")
            .filter(|u| !u.is_empty())
            .map(str::to_owned),
        key_name: p
            .get("KeyName")
            .filter(|k| !k.is_empty())
            .map(str::to_owned),
        disable_api_termination: p.bool("DisableApiTermination")?.unwrap_or(false),
        disable_api_stop: p.bool("DisableApiStop")?.unwrap_or(false),
        shutdown_behavior,
        ebs_optimized: p.bool("EbsOptimized")?.unwrap_or(false),
        monitoring: p.bool("Monitoring.Enabled")?.unwrap_or(false),
        cpu_credits: p.get("CreditSpecification.CpuCredits").map(str::to_owned),
    };
    Ok(Request::RunInstances(NewInstances {
        image_id: p.required("ImageId")?.to_owned(),
        instance_type: p.get("InstanceType").unwrap_or("m1.small").to_owned(),
        count: max,
        subnet_id,
        groups,
        group_names: p.list("SecurityGroup"),
        addresses,
        tags: p.tag_specs_among(RUN_TAG_TYPES, "instance")?,
        launch,
        interfaces,
        associate_public_ip,
        eni_tags: p.tag_specs_among(RUN_TAG_TYPES, "network-interface")?,
    }))
}

/// The resource types RunInstances tags; volumes are not modelled and their tags are
/// dropped.
const RUN_TAG_TYPES: &[&str] = &["instance", "network-interface", "volume"];

fn count(p: &Params, name: &str) -> Result<u32, QueryError> {
    u32_param(p, name)?.ok_or_else(|| QueryError::missing(name))
}

const INSTANCE_FILTERS: &[&str] = &[
    "availability-zone",
    "group-id",
    "image-id",
    "instance-id",
    "instance-state-code",
    "instance-state-name",
    "instance-type",
    "instance.group-id",
    "instance.group-name",
    "group-name",
    "key-name",
    "network-interface.attachment.attachment-id",
    "network-interface.attachment.device-index",
    "network-interface.network-interface-id",
    "network-interface.subnet-id",
    "private-dns-name",
    "private-ip-address",
    "subnet-id",
    "vpc-id",
];

fn instance_field(
    v: &InstanceView,
    name: &str,
    _: &palisade_model::account::AccountState,
) -> Option<Vec<String>> {
    let i = &v.instance;
    let attached = || v.interfaces.iter().filter_map(|e| e.attachment.as_ref());
    match name {
        "availability-zone" => strings([&v.zone]),
        "group-id" | "instance.group-id" => strings(v.groups.iter().map(|(g, _)| g)),
        "group-name" | "instance.group-name" => {
            strings(v.groups.iter().filter_map(|(_, n)| n.as_ref()))
        }
        "image-id" => strings([&i.image_id]),
        "instance-id" => strings([&i.id]),
        "instance-state-code" => strings([i.state.code()]),
        "instance-state-name" => strings([i.state.aws_name()]),
        "instance-type" => strings([&i.instance_type]),
        "key-name" => strings(&i.launch.key_name),
        "network-interface.attachment.attachment-id" => {
            strings(attached().map(|a| &a.attachment.id))
        }
        "network-interface.attachment.device-index" => {
            strings(attached().map(|a| a.attachment.device_index))
        }
        "network-interface.network-interface-id" => strings(v.interfaces.iter().map(|e| &e.eni.id)),
        "network-interface.subnet-id" => {
            strings(v.interfaces.iter().filter_map(|e| e.eni.subnet_id.as_ref()))
        }
        "private-dns-name" => strings([&v.private_dns_name]),
        "private-ip-address" => strings([i.private_ip]),
        "subnet-id" => strings([&i.subnet_id]),
        "vpc-id" => strings([&i.vpc_id]),
        _ => None,
    }
}

fn instance_tags(v: &InstanceView) -> &[Tag] {
    &v.instance.tags
}

pub(super) fn describe_instances(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DescribeInstances {
        ids: p.id_list("InstanceId")?,
        select: select(p, INSTANCE_FILTERS, instance_tags, instance_field)?,
        page: page_request(p, (5, 1000))?,
    })
}

pub(super) fn terminate_instances(p: &Params) -> Result<Request, QueryError> {
    let ids: Vec<InstanceId> = p.id_list("InstanceId")?;
    if ids.is_empty() {
        return Err(QueryError::missing("InstanceId"));
    }
    Ok(Request::TerminateInstances { ids })
}

/// ModifyInstanceAttribute: `GroupId.N`, an `X.Value` parameter, or `Attribute` with `Value`.
pub(super) fn modify_instance(p: &Params) -> Result<Request, QueryError> {
    let instance = p.required_id("InstanceId")?;
    let groups: Vec<GroupId> = p.id_list("GroupId")?;
    let flag = |name: &str| -> Result<Option<bool>, QueryError> {
        match p.bool(&format!("{name}.Value"))? {
            Some(v) => Ok(Some(v)),
            None if p.get("Attribute") == Some(name_lower(name).as_str()) => p.bool("Value"),
            None => Ok(None),
        }
    };
    let text = |name: &str| -> Option<String> {
        p.get(&format!("{name}.Value"))
            .or_else(|| {
                (p.get("Attribute") == Some(name_lower(name).as_str()))
                    .then(|| p.get("Value"))
                    .flatten()
            })
            .map(str::to_owned)
    };
    let mut attributes = Vec::new();
    if !groups.is_empty() {
        attributes.push(InstanceAttribute::Groups(groups));
    }
    if let Some(v) = flag("SourceDestCheck")? {
        attributes.push(InstanceAttribute::SourceDestCheck(v));
    }
    if let Some(v) = flag("DisableApiTermination")? {
        attributes.push(InstanceAttribute::DisableApiTermination(v));
    }
    if let Some(v) = flag("DisableApiStop")? {
        attributes.push(InstanceAttribute::DisableApiStop(v));
    }
    if let Some(v) = flag("EbsOptimized")? {
        attributes.push(InstanceAttribute::EbsOptimized(v));
    }
    if let Some(v) = text("InstanceInitiatedShutdownBehavior") {
        let b = ShutdownBehavior::parse(&v).ok_or_else(|| {
            invalid(format!(
                "Value ({v}) for parameter instanceInitiatedShutdownBehavior is invalid."
            ))
        })?;
        attributes.push(InstanceAttribute::ShutdownBehavior(b));
    }
    if let Some(v) = text("InstanceType") {
        attributes.push(InstanceAttribute::InstanceType(v));
    }
    if let Some(v) = text("UserData") {
        attributes.push(InstanceAttribute::UserData(v));
    }
    if attributes.len() > 1 {
        return Err(QueryError::new(
            Ec2ErrorCode::InvalidParameterCombination,
            "Fields for multiple attribute types specified: only one attribute may be modified per call",
        ));
    }
    Ok(Request::ModifyInstanceAttribute {
        instance,
        attribute: attributes.pop(),
    })
}

/// `SourceDestCheck` → `sourceDestCheck` (the `Attribute` spelling).
fn name_lower(name: &str) -> String {
    let mut out = String::new();
    for (idx, c) in name.chars().enumerate() {
        if idx == 0 {
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

pub(super) fn describe_instance_attribute(p: &Params) -> Result<Request, QueryError> {
    let name = p.required("Attribute")?;
    let attribute = InstanceAttributeName::ALL
        .iter()
        .copied()
        .find(|a| a.aws_name() == name)
        .ok_or_else(|| {
            invalid(format!(
                "Value ({name}) for parameter attribute is invalid."
            ))
        })?;
    Ok(Request::DescribeInstanceAttribute {
        instance: p.required_id("InstanceId")?,
        attribute,
    })
}

pub(super) fn describe_images(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DescribeImages {
        ids: p.list("ImageId"),
    })
}

pub(super) fn describe_instance_types(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DescribeInstanceTypes {
        types: p.list("InstanceType"),
    })
}

pub(super) fn describe_credit_specifications(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DescribeInstanceCreditSpecifications {
        ids: p.id_list("InstanceId")?,
    })
}

fn private_dns_name(ip: std::net::Ipv4Addr, region: &str) -> String {
    let host = ip.to_string().replace('.', "-");
    if region == "us-east-1" {
        format!("ip-{host}.ec2.internal")
    } else {
        format!("ip-{host}.{region}.compute.internal")
    }
}

fn public_dns_name(ip: std::net::Ipv4Addr, region: &str) -> String {
    let host = ip.to_string().replace('.', "-");
    if region == "us-east-1" {
        format!("ec2-{host}.compute-1.amazonaws.com")
    } else {
        format!("ec2-{host}.{region}.compute.amazonaws.com")
    }
}

fn attachment_status(a: &palisade_model::account::ops::AttachmentView) -> &'static str {
    if a.detached { "detached" } else { "attached" }
}

fn group_set(x: &mut Xml, groups: &[GroupName]) {
    x.list("groupSet", groups, |x, (id, name)| {
        x.leaf("groupId", id).opt("groupName", name.as_ref());
    });
}

/// A `NetworkInterface` (DescribeNetworkInterfaces) or `InstanceNetworkInterface`
/// (DescribeInstances): the shared elements, which SDKs read by name from either.
fn eni(x: &mut Xml, v: &EniView, o: &Origin<'_>) {
    let e = &v.eni;
    // None in an IPv6-only subnet, where EC2 leaves the element out.
    let primary = e.private_ipv4.first();
    x.leaf("networkInterfaceId", &e.id)
        .opt("subnetId", e.subnet_id.as_ref())
        .leaf("vpcId", &e.vpc_id)
        .leaf("availabilityZone", &v.zone)
        .leaf("description", &e.description)
        .leaf("ownerId", &e.owner)
        .leaf("requesterManaged", false)
        .leaf("status", eni_status(e))
        .leaf("macAddress", mac(e.id.as_str()))
        .opt("privateIpAddress", primary)
        .leaf("privateDnsName", &v.private_dns_name)
        .leaf("sourceDestCheck", v.source_dest_check)
        .leaf("interfaceType", "interface");
    group_set(x, &v.groups);
    let ct = e.conntrack;
    if ct != palisade_model::ConntrackConfig::default() {
        x.node("connectionTrackingConfiguration", |x| {
            x.leaf("tcpEstablishedTimeout", ct.tcp_established())
                .leaf("udpStreamTimeout", ct.udp_stream())
                .leaf("udpTimeout", ct.udp());
        });
    }
    if let Some(a) = &v.attachment {
        x.node("attachment", |x| {
            let at = &a.attachment;
            x.leaf("attachmentId", &at.id)
                .leaf("instanceId", &a.instance)
                .leaf("instanceOwnerId", &e.owner)
                .leaf("deviceIndex", at.device_index)
                .leaf("networkCardIndex", at.network_card_index)
                .leaf("status", attachment_status(a))
                .leaf("attachTime", iso8601(at.attach_time))
                .leaf("deleteOnTermination", at.delete_on_termination);
        });
    }
    if let Some(ip) = e.public_ipv4 {
        x.node("association", |x| {
            x.leaf("publicIp", ip)
                .leaf("publicDnsName", public_dns_name(ip, o.region))
                .leaf("ipOwnerId", "amazon");
        });
    }
    x.list(
        "privateIpAddressesSet",
        e.private_ipv4.iter().enumerate(),
        |x, (idx, ip)| {
            x.leaf("privateIpAddress", ip)
                .leaf("privateDnsName", private_dns_name(*ip, o.region))
                .leaf("primary", idx == 0);
            if let (0, Some(public)) = (idx, e.public_ipv4) {
                x.node("association", |x| {
                    x.leaf("publicIp", public).leaf("ipOwnerId", "amazon");
                });
            }
        },
    );
    // `NetworkInterface.Ipv6Addresses` items are `NetworkInterfaceIpv6Address`
    // (`ipv6Address`, `isPrimaryIpv6`); no address is made primary (EnablePrimaryIpv6 is not
    // modelled). `ipv6Address` ("The IPv6 globally unique address associated with the
    // network interface", botocore `NetworkInterface`) carries the first one.
    x.list("ipv6AddressesSet", &e.ipv6, |x, ip| {
        x.leaf("ipv6Address", ip).leaf("isPrimaryIpv6", false);
    });
    x.opt("ipv6Address", e.ipv6.first());
    tag_set(x, &e.tags);
}

fn instance(x: &mut Xml, v: &InstanceView, state: (u16, &str), o: &Origin<'_>) {
    let i = &v.instance;
    let primary = v.interfaces.iter().find(|e| e.eni.id == i.primary_eni);
    let public = primary.and_then(|e| e.eni.public_ipv4);
    x.leaf("instanceId", &i.id)
        .leaf("imageId", &i.image_id)
        .node("instanceState", |x| {
            x.leaf("code", state.0).leaf("name", state.1);
        })
        .leaf("privateDnsName", &v.private_dns_name)
        .leaf(
            "dnsName",
            public
                .map(|ip| public_dns_name(ip, o.region))
                .unwrap_or_default(),
        )
        .leaf("reason", "")
        .opt("keyName", i.launch.key_name.as_ref())
        .leaf("amiLaunchIndex", 0);
    super::empty_list(x, "productCodes");
    x.leaf("instanceType", &i.instance_type)
        .leaf("launchTime", iso8601(i.launch_time))
        .node("placement", |x| {
            x.leaf("availabilityZone", &v.zone)
                .leaf("groupName", "")
                .leaf("tenancy", "default");
        })
        .node("monitoring", |x| {
            x.leaf(
                "state",
                if i.launch.monitoring {
                    "enabled"
                } else {
                    "disabled"
                },
            );
        })
        .leaf("subnetId", &i.subnet_id)
        .leaf("vpcId", &i.vpc_id)
        .opt(
            "privateIpAddress",
            (!i.private_ip.is_unspecified()).then_some(i.private_ip),
        )
        .opt("ipAddress", public)
        .leaf("sourceDestCheck", i.source_dest_check);
    group_set(x, &v.groups);
    x.leaf("architecture", "x86_64")
        .leaf("rootDeviceType", "ebs")
        .leaf("rootDeviceName", "/dev/xvda");
    super::empty_list(x, "blockDeviceMapping");
    x.leaf("virtualizationType", "hvm");
    tag_set(x, &i.tags);
    x.leaf("hypervisor", "xen");
    x.list("networkInterfaceSet", &v.interfaces, |x, e| eni(x, e, o));
    x.leaf("ebsOptimized", i.launch.ebs_optimized)
        .leaf("enaSupport", true)
        .node("cpuOptions", |x| {
            let info = palisade_model::account::catalog::instance_type_info(&i.instance_type);
            x.leaf("coreCount", info.as_ref().map_or(1, |t| t.cores))
                .leaf(
                    "threadsPerCore",
                    info.as_ref().map_or(2, |t| t.threads_per_core),
                );
        })
        .node("capacityReservationSpecification", |x| {
            x.leaf("capacityReservationPreference", "open");
        })
        .node("hibernationOptions", |x| {
            x.leaf("configured", false);
        })
        .node("metadataOptions", |x| {
            x.leaf("state", "applied")
                .leaf("httpTokens", "optional")
                .leaf("httpPutResponseHopLimit", 1)
                .leaf("httpEndpoint", "enabled")
                .leaf("httpProtocolIpv6", "disabled")
                .leaf("instanceMetadataTags", "disabled");
        })
        .node("enclaveOptions", |x| {
            x.leaf("enabled", false);
        })
        .leaf("platformDetails", "Linux/UNIX")
        .leaf("usageOperation", "RunInstances")
        .node("privateDnsNameOptions", |x| {
            x.leaf("hostnameType", "ip-name")
                .leaf("enableResourceNameDnsARecord", false)
                .leaf("enableResourceNameDnsAAAARecord", false);
        })
        .node("maintenanceOptions", |x| {
            x.leaf("autoRecovery", "default");
        })
        .leaf("currentInstanceBootMode", "legacy-bios")
        .opt("ipv6Address", primary.and_then(|e| e.eni.ipv6.first()));
}

fn stored_state(i: &InstanceView) -> (u16, &'static str) {
    (i.instance.state.code(), i.instance.state.aws_name())
}

fn reservation(
    x: &mut Xml,
    instances: &[InstanceView],
    state: fn(&InstanceView) -> (u16, &'static str),
    o: &Origin<'_>,
) {
    let first = instances
        .first()
        .and_then(|v| v.instance.id.as_str().get(2..))
        .unwrap_or("0");
    x.leaf("reservationId", format!("r-{first}"))
        .leaf("ownerId", o.account);
    super::empty_list(x, "groupSet");
    x.list("instancesSet", instances, |x, v| {
        instance(x, v, state(v), o)
    });
}

fn attribute_value(x: &mut Xml, tag: &str, value: impl std::fmt::Display) {
    x.node(tag, |x| {
        x.leaf("value", value);
    });
}

fn instance_attribute(x: &mut Xml, v: &InstanceView, attribute: InstanceAttributeName) {
    use InstanceAttributeName as A;
    let i = &v.instance;
    x.leaf("instanceId", &i.id);
    match attribute {
        A::InstanceType => attribute_value(x, "instanceType", &i.instance_type),
        A::Kernel => super::empty_list(x, "kernel"),
        A::Ramdisk => super::empty_list(x, "ramdisk"),
        A::UserData => match &i.launch.user_data {
            Some(data) => attribute_value(x, "userData", data),
            None => super::empty_list(x, "userData"),
        },
        A::DisableApiTermination => {
            attribute_value(x, "disableApiTermination", i.launch.disable_api_termination);
        }
        A::DisableApiStop => attribute_value(x, "disableApiStop", i.launch.disable_api_stop),
        A::InstanceInitiatedShutdownBehavior => attribute_value(
            x,
            "instanceInitiatedShutdownBehavior",
            i.launch.shutdown_behavior.aws_name(),
        ),
        A::RootDeviceName => attribute_value(x, "rootDeviceName", "/dev/xvda"),
        A::BlockDeviceMapping => super::empty_list(x, "blockDeviceMapping"),
        A::SourceDestCheck => attribute_value(x, "sourceDestCheck", i.source_dest_check),
        A::GroupSet => group_set(x, &v.groups),
        A::EbsOptimized => attribute_value(x, "ebsOptimized", i.launch.ebs_optimized),
    }
}

fn eni_attribute(x: &mut Xml, v: &EniView, attribute: EniAttributeName) {
    use EniAttributeName as A;
    x.leaf("networkInterfaceId", &v.eni.id);
    match attribute {
        A::Description => attribute_value(x, "description", &v.eni.description),
        A::GroupSet => group_set(x, &v.groups),
        A::SourceDestCheck => attribute_value(x, "sourceDestCheck", v.source_dest_check),
        A::AssociatePublicIpAddress => {
            x.leaf("associatePublicIpAddress", v.eni.public_ipv4.is_some());
        }
        A::Attachment => {
            if let Some(a) = &v.attachment {
                x.node("attachment", |x| {
                    let at = &a.attachment;
                    x.leaf("attachmentId", &at.id)
                        .leaf("instanceId", &a.instance)
                        .leaf("instanceOwnerId", &v.eni.owner)
                        .leaf("deviceIndex", at.device_index)
                        .leaf("networkCardIndex", at.network_card_index)
                        .leaf("status", attachment_status(a))
                        .leaf("attachTime", iso8601(at.attach_time))
                        .leaf("deleteOnTermination", at.delete_on_termination);
                });
            }
        }
    }
}

fn image(x: &mut Xml, v: &ImageView) {
    x.leaf("imageId", &v.id)
        .leaf("imageLocation", format!("{}/palisade-{}", v.owner, v.id))
        .leaf("imageState", "available")
        .leaf("imageOwnerId", &v.owner)
        .leaf("creationDate", "2026-01-01T00:00:00.000Z")
        .leaf("isPublic", false)
        .leaf("architecture", "x86_64")
        .leaf("imageType", "machine")
        .leaf("name", format!("palisade-{}", v.id))
        .leaf("description", "Synthesised by Palisade for any ami- id")
        .leaf("rootDeviceType", "ebs")
        .leaf("rootDeviceName", "/dev/xvda");
    super::empty_list(x, "blockDeviceMapping");
    x.leaf("virtualizationType", "hvm")
        .leaf("hypervisor", "xen")
        .leaf("enaSupport", true)
        .leaf("platformDetails", "Linux/UNIX")
        .leaf("usageOperation", "RunInstances");
}

fn instance_type(x: &mut Xml, t: &InstanceTypeInfo) {
    x.leaf("instanceType", &t.name)
        .leaf("currentGeneration", true)
        .leaf("freeTierEligible", false)
        .list("supportedUsageClasses", ["on-demand", "spot"], |x, c| {
            x.text(c);
        })
        .list("supportedRootDeviceTypes", ["ebs"], |x, c| {
            x.text(c);
        })
        .list("supportedVirtualizationTypes", ["hvm"], |x, c| {
            x.text(c);
        })
        .leaf("bareMetal", false)
        .leaf("hypervisor", "nitro")
        .node("processorInfo", |x| {
            x.list("supportedArchitectures", ["x86_64"], |x, c| {
                x.text(c);
            });
        })
        .node("vCpuInfo", |x| {
            x.leaf("defaultVCpus", t.vcpus)
                .leaf("defaultCores", t.cores)
                .leaf("defaultThreadsPerCore", t.threads_per_core);
        })
        .node("memoryInfo", |x| {
            x.leaf("sizeInMiB", t.memory_mib);
        })
        .leaf("instanceStorageSupported", false)
        .node("ebsInfo", |x| {
            x.leaf("ebsOptimizedSupport", "default")
                .leaf("encryptionSupport", "supported")
                .leaf("nvmeSupport", "required");
        })
        .node("networkInfo", |x| {
            x.leaf("networkPerformance", "Up to 5 Gigabit")
                .leaf("maximumNetworkInterfaces", t.max_interfaces)
                .leaf("maximumNetworkCards", 1)
                .leaf("defaultNetworkCardIndex", 0)
                .leaf("ipv4AddressesPerInterface", t.ipv4_per_interface)
                .leaf("ipv6AddressesPerInterface", t.ipv6_per_interface)
                .leaf("ipv6Supported", true)
                .leaf("enaSupport", "required")
                .leaf("efaSupported", false)
                .leaf("encryptionInTransitSupported", false);
        })
        .leaf("burstablePerformanceSupported", t.burstable)
        .leaf("hibernationSupported", false)
        .leaf("dedicatedHostsSupported", false)
        .leaf("autoRecoverySupported", true);
}

pub(super) fn encode(x: &mut Xml, response: &Response, o: &Origin<'_>) {
    match response {
        Response::Eni(v) => {
            x.node("networkInterface", |x| eni(x, v, o));
        }
        Response::Enis(page) => {
            x.list("networkInterfaceSet", &page.items, |x, v| eni(x, v, o));
            next_token(x, page.next.as_ref());
        }
        // RunInstances answers `pending` ("Instance lifecycle", EC2 UG); later reads see
        // the stored state.
        Response::Reservation(instances) => reservation(x, instances, |_| (0, "pending"), o),
        Response::Reservations(page) => {
            x.list("reservationSet", &page.items, |x, v| {
                reservation(x, std::slice::from_ref(v), stored_state, o);
            });
            next_token(x, page.next.as_ref());
        }
        Response::Terminated(changes) => {
            x.list("instancesSet", changes, |x, (id, before)| {
                let current = match before {
                    InstanceState::Running => (32, "shutting-down"),
                    InstanceState::Terminated => (48, "terminated"),
                };
                x.leaf("instanceId", id)
                    .node("currentState", |x| {
                        x.leaf("code", current.0).leaf("name", current.1);
                    })
                    .node("previousState", |x| {
                        x.leaf("code", before.code())
                            .leaf("name", before.aws_name());
                    });
            });
        }
        Response::Attached {
            attachment,
            network_card_index,
        } => {
            x.leaf("attachmentId", attachment)
                .leaf("networkCardIndex", network_card_index);
        }
        Response::EniAttribute { view, attribute } => eni_attribute(x, view, *attribute),
        Response::InstanceAttribute { view, attribute } => {
            instance_attribute(x, view, *attribute);
        }
        Response::Images(images) => {
            x.list("imagesSet", images, image);
        }
        Response::InstanceTypes(types) => {
            x.list("instanceTypeSet", types, instance_type);
        }
        Response::CreditSpecifications(specs) => {
            x.list(
                "instanceCreditSpecificationSet",
                specs,
                |x, (id, credits)| {
                    x.leaf("instanceId", id).leaf("cpuCredits", credits);
                },
            );
        }
        // `wire::encode` routes only the responses above here.
        _ => {}
    }
}

/// A stable, locally administered MAC address derived from the interface id.
fn mac(id: &str) -> String {
    let tail = id.get(id.len().saturating_sub(8)..).unwrap_or("00000000");
    let byte = |i: usize| tail.get(i..i + 2).unwrap_or("00");
    format!("02:00:{}:{}:{}:{}", byte(0), byte(2), byte(4), byte(6))
}
