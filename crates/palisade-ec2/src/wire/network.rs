//! What groups attach to: CreateVpc, DescribeVpcs, DeleteVpc, CreateSubnet,
//! DescribeSubnets, DeleteSubnet, Create/Describe/Delete/ModifyNetworkInterface(Attribute),
//! RunInstances, DescribeInstances, TerminateInstances, ModifyInstanceAttribute. Element
//! names are the botocore `ec2` model's `locationName`s (shared/research/aws-api.md §1.2).

use ipnet::{Ipv4Net, Ipv6Net};
use palisade_model::account::NewEni;
use palisade_model::account::NewInstances;
use palisade_model::account::ops::{CidrAssociation, CidrState};
use palisade_model::account::ops::{
    EniView, GroupName, InstanceView, Request, Response, SubnetView,
};
use palisade_model::{Ec2ErrorCode, Eni, GroupId, InstanceId, SubnetId, Tag, Tenancy, Vpc};
use palisade_model::{stable_suffix, subnet_association_id};

use super::vpcs::vpc_association;
use super::xml::Xml;
use super::{Origin, next_token, select, tag_set};
use crate::query::{Params, QueryError, address_spec, page_request, run_instances_spec};

pub(crate) fn cidr_v4(p: &Params, name: &str) -> Result<Ipv4Net, QueryError> {
    let v = p.required(name)?;
    v.parse().map_err(|_| {
        QueryError::new(
            Ec2ErrorCode::InvalidParameterValue,
            format!(
                "Value ({v}) for parameter cidrBlock is invalid. This is not a valid CIDR block."
            ),
        )
    })
}

pub(crate) fn cidr_v6(p: &Params, name: &str) -> Result<Option<Ipv6Net>, QueryError> {
    p.get(name)
        .map(|v| {
            v.parse().map_err(|_| {
                QueryError::new(
                    Ec2ErrorCode::InvalidParameterValue,
                    format!("Value ({v}) for parameter ipv6CidrBlock is invalid."),
                )
            })
        })
        .transpose()
}

/// A required count parameter (`MinCount`, `MaxEntries` …).
pub(crate) fn count(p: &Params, name: &str) -> Result<u32, QueryError> {
    let n = p.int(name)?.ok_or_else(|| QueryError::missing(name))?;
    u32::try_from(n).map_err(|_| {
        QueryError::new(
            Ec2ErrorCode::InvalidParameterValue,
            format!("Invalid value '{n}' for {name}"),
        )
    })
}

fn strings<T: ToString>(items: impl IntoIterator<Item = T>) -> Option<Vec<String>> {
    Some(items.into_iter().map(|t| t.to_string()).collect())
}

pub(super) fn create_vpc(p: &Params) -> Result<Request, QueryError> {
    let tenancy = match p.get("InstanceTenancy") {
        None => Tenancy::Default,
        Some(v) => Tenancy::parse(v).ok_or_else(|| QueryError::invalid("InstanceTenancy", v))?,
    };
    Ok(Request::CreateVpc {
        cidr: cidr_v4(p, "CidrBlock")?,
        amazon_ipv6: p.bool("AmazonProvidedIpv6CidrBlock")?.unwrap_or(false),
        tags: p.tag_specs("vpc")?,
        tenancy,
        ipv6_border_group: p.get("Ipv6CidrBlockNetworkBorderGroup").map(str::to_owned),
    })
}

const VPC_FILTERS: &[&str] = &[
    "vpc-id",
    "cidr",
    "cidr-block-association.cidr-block",
    "cidr-block-association.association-id",
    "cidr-block-association.state",
    "ipv6-cidr-block-association.ipv6-cidr-block",
    "ipv6-cidr-block-association.association-id",
    "ipv6-cidr-block-association.state",
    "ipv6-cidr-block-association.ipv6-pool",
    "dhcp-options-id",
    "is-default",
    "isDefault",
    "owner-id",
    "state",
    "tag-value",
];

fn vpc_field(
    v: &Vpc,
    name: &str,
    st: &palisade_model::account::AccountState,
) -> Option<Vec<String>> {
    let ids_v4 = || {
        v.cidrs_v4
            .iter()
            .map(|c| v.cidr_association_id((*c).into()))
    };
    let ids_v6 = || {
        v.cidrs_v6
            .iter()
            .map(|c| v.cidr_association_id((*c).into()))
    };
    match name {
        "vpc-id" => strings([&v.id]),
        // `cidr` is the primary block ("The primary IPv4 CIDR block of the VPC").
        "cidr" => strings(v.cidrs_v4.iter().take(1)),
        "cidr-block-association.cidr-block" => strings(&v.cidrs_v4),
        "cidr-block-association.association-id" => strings(ids_v4()),
        "cidr-block-association.state" => strings(v.cidrs_v4.iter().map(|_| "associated")),
        "ipv6-cidr-block-association.ipv6-cidr-block" => strings(&v.cidrs_v6),
        "ipv6-cidr-block-association.association-id" => strings(ids_v6()),
        "ipv6-cidr-block-association.state" => strings(v.cidrs_v6.iter().map(|_| "associated")),
        "ipv6-cidr-block-association.ipv6-pool" => strings(v.cidrs_v6.iter().map(|_| "Amazon")),
        "dhcp-options-id" => strings([dhcp_options_id(st.owner().as_str(), st.region())]),
        "is-default" | "isDefault" => strings([v.is_default]),
        "owner-id" => strings([&v.owner]),
        "state" => strings(["available"]),
        "tag-value" => strings(v.tags.iter().map(|t| &t.value)),
        _ => None,
    }
}

/// The region's default DHCP option set, which every VPC here uses (EC2 creates one per
/// account and region).
pub(super) fn dhcp_options_id(account: &str, region: &str) -> String {
    format!("dopt-{}", stable_suffix(&[account, region, "dhcp"]))
}

pub(super) fn describe_vpcs(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DescribeVpcs {
        ids: p.id_list("VpcId")?,
        select: select(p, VPC_FILTERS, |v: &Vpc| &v.tags, vpc_field)?,
        page: page_request(p, (5, 1000))?,
    })
}

pub(super) fn delete_vpc(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DeleteVpc {
        vpc: p.required_id("VpcId")?,
    })
}

pub(super) fn create_subnet(p: &Params) -> Result<Request, QueryError> {
    if p.bool("Ipv6Native")?.unwrap_or(false) {
        return Err(QueryError::new(
            Ec2ErrorCode::UnsupportedOperation,
            "palisade does not model IPv6-only subnets (Ipv6Native)",
        ));
    }
    Ok(Request::CreateSubnet {
        vpc: p.required_id("VpcId")?,
        cidr: cidr_v4(p, "CidrBlock")?,
        ipv6: cidr_v6(p, "Ipv6CidrBlock")?,
        // The model takes a zone name or a zone id.
        zone: p
            .get("AvailabilityZone")
            .or_else(|| p.get("AvailabilityZoneId"))
            .map(str::to_owned),
        tags: p.tag_specs("subnet")?,
    })
}

const SUBNET_FILTERS: &[&str] = &[
    "subnet-id",
    "vpc-id",
    "cidr-block",
    "cidr",
    "cidrBlock",
    "availability-zone",
    "availabilityZone",
    "default-for-az",
    "defaultForAz",
    "owner-id",
    "state",
    // VPC area.
    "availability-zone-id",
    "availabilityZoneId",
    "map-public-ip-on-launch",
    "assign-ipv6-address-on-creation",
    "ipv6-native",
    "ipv6-cidr-block-association.ipv6-cidr-block",
    "ipv6-cidr-block-association.association-id",
    "ipv6-cidr-block-association.state",
    "subnet-arn",
    "tag-value",
];

fn subnet_field(
    v: &SubnetView,
    name: &str,
    st: &palisade_model::account::AccountState,
) -> Option<Vec<String>> {
    let s = &v.subnet;
    let a = &s.attributes;
    match name {
        "availability-zone-id" | "availabilityZoneId" => strings([&v.zone_id]),
        "map-public-ip-on-launch" => strings([a.map_public_ip_on_launch]),
        "assign-ipv6-address-on-creation" => strings([a.assign_ipv6_address_on_creation]),
        "ipv6-native" => strings([false]),
        "ipv6-cidr-block-association.ipv6-cidr-block" => strings(s.cidr_v6),
        "ipv6-cidr-block-association.association-id" => {
            strings(s.cidr_v6.map(|c| s.ipv6_association_id(c)))
        }
        "ipv6-cidr-block-association.state" => strings(s.cidr_v6.map(|_| "associated")),
        "subnet-arn" => strings([format!(
            "arn:aws:ec2:{}:{}:subnet/{}",
            st.region(),
            s.owner,
            s.id
        )]),
        "tag-value" => strings(s.tags.iter().map(|t| &t.value)),
        "subnet-id" => strings([&s.id]),
        "vpc-id" => strings([&s.vpc_id]),
        "cidr-block" | "cidr" | "cidrBlock" => strings([s.cidr_v4]),
        "availability-zone" | "availabilityZone" => strings([&s.availability_zone]),
        "default-for-az" | "defaultForAz" => strings([v.default_for_az]),
        "owner-id" => strings([&s.owner]),
        "state" => strings(["available"]),
        _ => None,
    }
}

pub(super) fn describe_subnets(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DescribeSubnets {
        ids: p.id_list("SubnetId")?,
        select: select(
            p,
            SUBNET_FILTERS,
            |v: &SubnetView| &v.subnet.tags,
            subnet_field,
        )?,
        page: page_request(p, (5, 1000))?,
    })
}

pub(super) fn delete_subnet(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DeleteSubnet {
        subnet: p.required_id("SubnetId")?,
    })
}

pub(super) fn create_eni(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::CreateNetworkInterface(NewEni {
        subnet_id: p.required_id("SubnetId")?,
        groups: p.id_list("SecurityGroupId")?,
        addresses: address_spec(p, "Ipv6Addresses")?,
        description: p.get("Description").unwrap_or("").to_owned(),
        tags: p.tag_specs("network-interface")?,
    }))
}

const ENI_FILTERS: &[&str] = &[
    "network-interface-id",
    "vpc-id",
    "subnet-id",
    "group-id",
    "attachment.instance-id",
    "private-ip-address",
    "addresses.private-ip-address",
    "ipv6-addresses.ipv6-address",
    "status",
    "owner-id",
    "description",
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
    _: &palisade_model::account::AccountState,
) -> Option<Vec<String>> {
    match name {
        "network-interface-id" => strings([&e.id]),
        "vpc-id" => strings([&e.vpc_id]),
        "subnet-id" => strings(&e.subnet_id),
        "group-id" => strings(&e.groups),
        "attachment.instance-id" => strings(&e.instance_id),
        "private-ip-address" => strings(e.private_ipv4.iter().take(1)),
        "addresses.private-ip-address" => strings(&e.private_ipv4),
        "ipv6-addresses.ipv6-address" => strings(&e.ipv6),
        "status" => strings([eni_status(e)]),
        "owner-id" => strings([&e.owner]),
        "description" => strings([&e.description]),
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

pub(super) fn modify_eni(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::ModifyNetworkInterfaceAttribute {
        eni: p.required_id("NetworkInterfaceId")?,
        groups: p.id_list("SecurityGroupId")?,
    })
}

pub(super) fn run_instances(p: &Params) -> Result<Request, QueryError> {
    let min = count(p, "MinCount")?;
    let max = count(p, "MaxCount")?;
    if min > max || min == 0 {
        return Err(QueryError::new(
            Ec2ErrorCode::InvalidParameterValue,
            "MinCount must be between 1 and MaxCount",
        ));
    }
    // `NetworkInterface.1.*` (device 0) may carry the subnet and groups instead; only the
    // primary interface is modelled.
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
    let associate_public_ip = primary
        .map(|nic| nic.bool("AssociatePublicIpAddress"))
        .transpose()?
        .flatten();
    Ok(Request::RunInstances(NewInstances {
        associate_public_ip,
        image_id: p.required("ImageId")?.to_owned(),
        instance_type: p.get("InstanceType").unwrap_or("m1.small").to_owned(),
        count: max,
        subnet_id,
        groups,
        group_names: p.list("SecurityGroup"),
        addresses,
        tags: p.tag_specs("instance")?,
    }))
}

const INSTANCE_FILTERS: &[&str] = &[
    "instance-id",
    "instance-state-name",
    "instance.group-id",
    "group-id",
    "vpc-id",
    "subnet-id",
    "image-id",
    "private-ip-address",
    "network-interface.network-interface-id",
];

fn instance_field(
    v: &InstanceView,
    name: &str,
    _: &palisade_model::account::AccountState,
) -> Option<Vec<String>> {
    let i = &v.instance;
    match name {
        "instance-id" => strings([&i.id]),
        "instance-state-name" => strings([i.state.aws_name()]),
        "instance.group-id" | "group-id" => strings(v.groups.iter().map(|(g, _)| g)),
        "vpc-id" => strings([&i.vpc_id]),
        "subnet-id" => strings([&i.subnet_id]),
        "image-id" => strings([&i.image_id]),
        "private-ip-address" => strings([i.private_ip]),
        "network-interface.network-interface-id" => strings([&i.primary_eni]),
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

pub(super) fn modify_instance(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::ModifyInstanceAttribute {
        instance: p.required_id("InstanceId")?,
        groups: p.id_list("GroupId")?,
    })
}

fn vpc(x: &mut Xml, v: &Vpc, o: &Origin<'_>) {
    let primary = v
        .cidrs_v4
        .first()
        .map(ToString::to_string)
        .unwrap_or_default();
    let association = |cidr: ipnet::IpNet| CidrAssociation {
        id: v.cidr_association_id(cidr),
        cidr,
        state: CidrState::Associated,
        border_group: matches!(cidr, ipnet::IpNet::V6(_)).then(|| o.region.to_owned()),
    };
    x.leaf("vpcId", &v.id)
        .leaf("ownerId", &v.owner)
        .leaf("state", "available")
        .leaf("cidrBlock", primary)
        .list("cidrBlockAssociationSet", &v.cidrs_v4, |x, c| {
            vpc_association(x, &association((*c).into()));
        })
        .list("ipv6CidrBlockAssociationSet", &v.cidrs_v6, |x, c| {
            vpc_association(x, &association((*c).into()));
        })
        .leaf(
            "dhcpOptionsId",
            dhcp_options_id(o.account.as_str(), o.region),
        )
        .leaf("instanceTenancy", v.attributes.tenancy.aws_name())
        .leaf("isDefault", v.is_default);
    tag_set(x, &v.tags);
}

fn subnet(x: &mut Xml, v: &SubnetView, o: &Origin<'_>) {
    let s = &v.subnet;
    x.leaf("subnetId", &s.id)
        .leaf("subnetArn", o.arn("subnet", s.id.as_str()))
        .leaf("vpcId", &s.vpc_id)
        .leaf("ownerId", &s.owner)
        .leaf("state", "available")
        .leaf("cidrBlock", s.cidr_v4)
        .leaf("availabilityZone", &s.availability_zone)
        .leaf("availableIpAddressCount", v.available_ips)
        .leaf("defaultForAz", v.default_for_az)
        .leaf("mapPublicIpOnLaunch", v.map_public_ip_on_launch)
        .list("ipv6CidrBlockAssociationSet", s.cidr_v6.iter(), |x, c| {
            subnet_ipv6_association(x, &s.id, *c, CidrState::Associated);
        });
    // VPC area: the subnet attributes (`Subnet` in the botocore model).
    let a = &s.attributes;
    x.leaf("availabilityZoneId", &v.zone_id)
        .leaf("mapCustomerOwnedIpOnLaunch", false)
        .leaf(
            "assignIpv6AddressOnCreation",
            a.assign_ipv6_address_on_creation,
        )
        .leaf("ipv6Native", false)
        .leaf("enableDns64", a.enable_dns64)
        .node("privateDnsNameOptionsOnLaunch", |x| {
            x.leaf("hostnameType", a.hostname_type.aws_name())
                .leaf("enableResourceNameDnsARecord", a.resource_name_dns_a_record)
                .leaf(
                    "enableResourceNameDnsAAAARecord",
                    a.resource_name_dns_aaaa_record,
                );
        });
    tag_set(x, &s.tags);
}

/// One `SubnetIpv6CidrBlockAssociation` (DescribeSubnets, AssociateSubnetCidrBlock).
pub(super) fn subnet_ipv6_association(
    x: &mut Xml,
    subnet: &SubnetId,
    cidr: Ipv6Net,
    state: CidrState,
) {
    x.leaf("associationId", subnet_association_id(subnet, cidr))
        .leaf("ipv6CidrBlock", cidr)
        .node("ipv6CidrBlockState", |x| {
            x.leaf("state", state.aws_name());
        });
}

fn group_set(x: &mut Xml, groups: &[GroupName]) {
    x.list("groupSet", groups, |x, (id, name)| {
        x.leaf("groupId", id).opt("groupName", name.as_ref());
    });
}

fn eni(x: &mut Xml, v: &EniView) {
    let e = &v.eni;
    let primary = e
        .private_ipv4
        .first()
        .map(ToString::to_string)
        .unwrap_or_default();
    x.leaf("networkInterfaceId", &e.id)
        .opt("subnetId", e.subnet_id.as_ref())
        .leaf("vpcId", &e.vpc_id)
        .leaf("availabilityZone", &v.zone)
        .leaf("description", &e.description)
        .leaf("ownerId", &e.owner)
        .leaf("requesterManaged", false)
        .leaf("status", eni_status(e))
        .leaf("macAddress", mac(e.id.as_str()))
        .leaf("privateIpAddress", &primary)
        .leaf("sourceDestCheck", true)
        .leaf("interfaceType", "interface");
    // --- routing: an Elastic IP on the primary address ---
    if let Some(public) = e.public_ipv4 {
        x.node("association", |x| {
            x.leaf("publicIp", public).leaf("ipOwnerId", &e.owner);
        });
    }
    group_set(x, &v.groups);
    if let Some(instance) = &e.instance_id {
        x.node("attachment", |x| {
            x.leaf(
                "attachmentId",
                format!("eni-attach-{}", e.id.as_str().get(4..).unwrap_or_default()),
            )
            .leaf("instanceId", instance)
            .leaf("instanceOwnerId", &e.owner)
            .leaf("deviceIndex", 0)
            .leaf("status", "attached")
            .leaf("deleteOnTermination", true);
        });
    }
    x.list(
        "privateIpAddressesSet",
        e.private_ipv4.iter().enumerate(),
        |x, (idx, ip)| {
            x.leaf("privateIpAddress", ip).leaf("primary", idx == 0);
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

fn instance(x: &mut Xml, v: &InstanceView) {
    let i = &v.instance;
    x.leaf("instanceId", &i.id)
        .leaf("imageId", &i.image_id)
        .node("instanceState", |x| {
            x.leaf("code", i.state.code())
                .leaf("name", i.state.aws_name());
        })
        .leaf("instanceType", &i.instance_type)
        .node("placement", |x| {
            x.leaf("availabilityZone", &v.zone)
                .leaf("tenancy", "default");
        })
        .leaf("subnetId", &i.subnet_id)
        .leaf("vpcId", &i.vpc_id)
        .leaf("privateIpAddress", i.private_ip)
        .opt("ipAddress", v.eni.as_ref().and_then(|e| e.eni.public_ipv4))
        .leaf("amiLaunchIndex", 0);
    // --- routing: an Elastic IP on the primary interface ---
    x.opt("ipAddress", v.eni.as_ref().and_then(|e| e.eni.public_ipv4));
    group_set(x, &v.groups);
    x.list("networkInterfaceSet", &v.eni, eni);
    tag_set(x, &i.tags);
}

fn reservation(x: &mut Xml, owner: &str, instances: &[InstanceView]) {
    let first = instances
        .first()
        .and_then(|v| v.instance.id.as_str().get(2..))
        .unwrap_or("0");
    x.leaf("reservationId", format!("r-{first}"))
        .leaf("ownerId", owner);
    super::empty_list(x, "groupSet");
    x.list("instancesSet", instances, instance);
}

pub(super) fn encode(x: &mut Xml, response: &Response, o: &Origin<'_>) {
    let owner = o.account.as_str();
    match response {
        Response::Vpc(v) => {
            x.node("vpc", |x| vpc(x, v, o));
        }
        Response::Vpcs(page) => {
            x.list("vpcSet", &page.items, |x, v| vpc(x, v, o));
            next_token(x, page.next.as_ref());
        }
        Response::Subnet(v) => {
            x.node("subnet", |x| subnet(x, v, o));
        }
        Response::Subnets(page) => {
            x.list("subnetSet", &page.items, |x, v| subnet(x, v, o));
            next_token(x, page.next.as_ref());
        }
        Response::Eni(v) => {
            x.node("networkInterface", |x| eni(x, v));
        }
        Response::Enis(page) => {
            x.list("networkInterfaceSet", &page.items, eni);
            next_token(x, page.next.as_ref());
        }
        Response::Reservation(instances) => reservation(x, owner, instances),
        Response::Reservations(page) => {
            x.list("reservationSet", &page.items, |x, v| {
                reservation(x, owner, std::slice::from_ref(v));
            });
            next_token(x, page.next.as_ref());
        }
        Response::Terminated(changes) => {
            x.list("instancesSet", changes, |x, (id, before)| {
                x.leaf("instanceId", id)
                    .node("currentState", |x| {
                        x.leaf("code", 48).leaf("name", "terminated");
                    })
                    .node("previousState", |x| {
                        x.leaf("code", before.code())
                            .leaf("name", before.aws_name());
                    });
            });
        }
        // `wire::encode` routes only the responses above here.
        _ => {}
    }
}

/// A stable, locally administered MAC address derived from the interface id.
fn mac(id: &str) -> String {
    let tail = id.get(id.len().saturating_sub(4)..).unwrap_or("0000");
    format!(
        "02:00:00:00:{}:{}",
        tail.get(0..2).unwrap_or("00"),
        tail.get(2..4).unwrap_or("00")
    )
}
