//! What groups attach to: CreateVpc, DescribeVpcs, DeleteVpc, CreateSubnet,
//! DescribeSubnets, DeleteSubnet (interfaces and instances are `instances.rs`). Element
//! names are the botocore `ec2` model's `locationName`s (shared/research/aws-api.md §1.2).

use ipnet::{Ipv4Net, Ipv6Net};
use palisade_model::account::ops::{Request, Response, SubnetView};
use palisade_model::{Ec2ErrorCode, SubnetId, Vpc};

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
    Ok(Request::CreateVpc {
        cidr: cidr_v4(p, "CidrBlock")?,
        amazon_ipv6: p.bool("AmazonProvidedIpv6CidrBlock")?.unwrap_or(false),
        tags: p.tag_specs("vpc")?,
    })
}

const VPC_FILTERS: &[&str] = &[
    "vpc-id",
    "cidr",
    "cidr-block-association.cidr-block",
    "ipv6-cidr-block-association.ipv6-cidr-block",
    "is-default",
    "owner-id",
    "state",
];

fn vpc_field(
    v: &Vpc,
    name: &str,
    _: &palisade_model::account::AccountState,
) -> Option<Vec<String>> {
    match name {
        "vpc-id" => strings([&v.id]),
        "cidr" | "cidr-block-association.cidr-block" => strings(&v.cidrs_v4),
        "ipv6-cidr-block-association.ipv6-cidr-block" => strings(&v.cidrs_v6),
        "is-default" => strings([v.is_default]),
        "owner-id" => strings([&v.owner]),
        "state" => strings(["available"]),
        _ => None,
    }
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
    Ok(Request::CreateSubnet {
        vpc: p.required_id("VpcId")?,
        cidr: cidr_v4(p, "CidrBlock")?,
        ipv6: cidr_v6(p, "Ipv6CidrBlock")?,
        zone: p.get("AvailabilityZone").map(str::to_owned),
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
];

fn subnet_field(
    v: &SubnetView,
    name: &str,
    _: &palisade_model::account::AccountState,
) -> Option<Vec<String>> {
    let s = &v.subnet;
    match name {
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

fn vpc(x: &mut Xml, v: &Vpc) {
    let primary = v
        .cidrs_v4
        .first()
        .map(ToString::to_string)
        .unwrap_or_default();
    let suffix = v.id.as_str().get(4..).unwrap_or_default();
    x.leaf("vpcId", &v.id)
        .leaf("ownerId", &v.owner)
        .leaf("state", "available")
        .leaf("cidrBlock", primary)
        .list(
            "cidrBlockAssociationSet",
            v.cidrs_v4.iter().enumerate(),
            |x, (idx, c)| {
                x.leaf("associationId", format!("vpc-cidr-assoc-{suffix}{idx}"))
                    .leaf("cidrBlock", c)
                    .node("cidrBlockState", |x| {
                        x.leaf("state", "associated");
                    });
            },
        )
        .list(
            "ipv6CidrBlockAssociationSet",
            v.cidrs_v6.iter().enumerate(),
            |x, (idx, c)| {
                x.leaf("associationId", format!("vpc-cidr-assoc-6{suffix}{idx}"))
                    .leaf("ipv6CidrBlock", c)
                    .node("ipv6CidrBlockState", |x| {
                        x.leaf("state", "associated");
                    })
                    .leaf("ipv6Pool", "Amazon");
            },
        )
        .leaf("dhcpOptionsId", "default")
        .leaf("instanceTenancy", "default")
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
            subnet_ipv6_association(x, &s.id, *c);
        });
    tag_set(x, &s.tags);
}

/// One `SubnetIpv6CidrBlockAssociation` (DescribeSubnets, AssociateSubnetCidrBlock).
pub(super) fn subnet_ipv6_association(x: &mut Xml, subnet: &SubnetId, cidr: Ipv6Net) {
    x.leaf(
        "associationId",
        format!(
            "subnet-cidr-assoc-{}",
            subnet.as_str().get(7..).unwrap_or_default()
        ),
    )
    .leaf("ipv6CidrBlock", cidr)
    .node("ipv6CidrBlockState", |x| {
        x.leaf("state", "associated");
    });
}

pub(super) fn encode(x: &mut Xml, response: &Response, o: &Origin<'_>) {
    match response {
        Response::Vpc(v) => {
            x.node("vpc", |x| vpc(x, v));
        }
        Response::Vpcs(page) => {
            x.list("vpcSet", &page.items, vpc);
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
