//! What groups attach to: CreateVpc, DescribeVpcs, DeleteVpc, CreateSubnet,
//! DescribeSubnets, DeleteSubnet (interfaces and instances are `instances.rs`). Element
//! names are the botocore `ec2` model's `locationName`s (shared/research/aws-api.md §1.2).

use ipnet::{Ipv4Net, Ipv6Net};
use palisade_model::account::ops::{CidrAssociation, CidrState};
use palisade_model::account::ops::{Request, Response, SubnetView};
use palisade_model::{Ec2ErrorCode, SubnetId, Tenancy, Vpc};
use palisade_model::{stable_suffix, subnet_association_id};

use super::vpcs::vpc_association;
use super::xml::Xml;
use super::{Origin, next_token, select, tag_set};
use crate::query::{Params, QueryError, page_request};

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
    // The model reports the wrong combinations of `CidrBlock`, `Ipv6CidrBlock` and
    // `Ipv6Native` (an IPv6-only subnet has no IPv4 block).
    let cidr = match p.get("CidrBlock") {
        Some(_) => Some(cidr_v4(p, "CidrBlock")?),
        None => None,
    };
    Ok(Request::CreateSubnet {
        vpc: p.required_id("VpcId")?,
        cidr,
        ipv6: cidr_v6(p, "Ipv6CidrBlock")?,
        ipv6_native: p.bool("Ipv6Native")?.unwrap_or(false),
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
        "ipv6-native" => strings([s.ipv6_native()]),
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
        "cidr-block" | "cidr" | "cidrBlock" => strings(s.cidr_v4),
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
        .opt("cidrBlock", s.cidr_v4)
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
        .leaf("ipv6Native", s.ipv6_native())
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

pub(super) fn encode(x: &mut Xml, response: &Response, o: &Origin<'_>) {
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
        // `wire::encode` routes only the responses above here.
        _ => {}
    }
}
