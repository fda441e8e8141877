//! VPC and subnet attributes, CIDR block associations, zones and the default VPC:
//! Describe/ModifyVpcAttribute, ModifyVpcTenancy, Associate/DisassociateVpcCidrBlock,
//! DisassociateSubnetCidrBlock, ModifySubnetAttribute, CreateDefaultVpc, CreateDefaultSubnet,
//! DescribeAvailabilityZones. Parameter and element names are the botocore `ec2` model's
//! (2016-11-15); VPC and subnet bodies themselves are `network`'s.

use palisade_model::account::ops::{CidrAssociation, Request, Response, VpcCidrRequest};
use palisade_model::account::{AccountState, SubnetAttributeChange, VpcAttribute};
use palisade_model::zones::Zone;
use palisade_model::{Ec2ErrorCode, HostnameType, Tenancy};

use super::network::cidr_v4;
use super::xml::Xml;
use super::{Origin, select};
use crate::query::{Params, QueryError};

#[cfg(test)]
mod tests;

fn no_tags(_: &Zone) -> &[palisade_model::Tag] {
    &[]
}

pub(super) fn describe_vpc_attribute(p: &Params) -> Result<Request, QueryError> {
    let name = p.required("Attribute")?;
    let attribute = VpcAttribute::parse(name).ok_or_else(|| {
        QueryError::new(
            Ec2ErrorCode::InvalidParameterValue,
            format!("Value ({name}) for parameter attribute is invalid. Unknown attribute."),
        )
    })?;
    Ok(Request::DescribeVpcAttribute {
        vpc: p.required_id("VpcId")?,
        attribute,
    })
}

/// Exactly one `<Attribute>.Value` of `names`, as EC2 takes one attribute per call.
fn one_attribute<'a>(
    p: &'a Params,
    names: &[&'static str],
) -> Result<(&'static str, &'a str), QueryError> {
    let given: Vec<(&'static str, &str)> =
        names.iter().filter_map(|n| Some((*n, p.get(n)?))).collect();
    match given.as_slice() {
        [one] => Ok(*one),
        [] => Err(QueryError::new(
            Ec2ErrorCode::MissingParameter,
            "The request must contain exactly one attribute to modify",
        )),
        more => Err(QueryError::new(
            Ec2ErrorCode::InvalidParameterCombination,
            format!(
                "Fields for multiple attribute types specified: {}",
                more.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

fn boolean(name: &str, value: &str) -> Result<bool, QueryError> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(QueryError::invalid(name, value)),
    }
}

pub(super) fn modify_vpc_attribute(p: &Params) -> Result<Request, QueryError> {
    let vpc = p.required_id("VpcId")?;
    let (name, value) = one_attribute(
        p,
        &[
            "EnableDnsSupport.Value",
            "EnableDnsHostnames.Value",
            "EnableNetworkAddressUsageMetrics.Value",
        ],
    )?;
    let attribute = match name {
        "EnableDnsSupport.Value" => VpcAttribute::DnsSupport,
        "EnableDnsHostnames.Value" => VpcAttribute::DnsHostnames,
        _ => VpcAttribute::NetworkAddressUsageMetrics,
    };
    Ok(Request::ModifyVpcAttribute {
        vpc,
        attribute,
        value: boolean(name, value)?,
    })
}

pub(super) fn modify_vpc_tenancy(p: &Params) -> Result<Request, QueryError> {
    let v = p.required("InstanceTenancy")?;
    Ok(Request::ModifyVpcTenancy {
        vpc: p.required_id("VpcId")?,
        tenancy: Tenancy::parse(v).ok_or_else(|| QueryError::invalid("InstanceTenancy", v))?,
    })
}

pub(super) fn associate_vpc_cidr(p: &Params) -> Result<Request, QueryError> {
    let vpc = p.required_id("VpcId")?;
    let ipv6 = p.bool("AmazonProvidedIpv6CidrBlock")?.unwrap_or(false);
    let block = match (p.get("CidrBlock"), ipv6) {
        (Some(_), true) => {
            return Err(QueryError::new(
                Ec2ErrorCode::InvalidParameterCombination,
                "The parameters CidrBlock and AmazonProvidedIpv6CidrBlock cannot be used together",
            ));
        }
        (Some(_), false) => VpcCidrRequest::Ipv4(cidr_v4(p, "CidrBlock")?),
        (None, true) => VpcCidrRequest::AmazonIpv6 {
            border_group: p.get("Ipv6CidrBlockNetworkBorderGroup").map(str::to_owned),
        },
        (None, false) => {
            return Err(QueryError::new(
                Ec2ErrorCode::MissingParameter,
                "Either CidrBlock or AmazonProvidedIpv6CidrBlock must be specified",
            ));
        }
    };
    Ok(Request::AssociateVpcCidrBlock { vpc, block })
}

pub(super) fn disassociate_vpc_cidr(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DisassociateVpcCidrBlock {
        association_id: p.required("AssociationId")?.to_owned(),
    })
}

pub(super) fn disassociate_subnet_cidr(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DisassociateSubnetCidrBlock {
        association_id: p.required("AssociationId")?.to_owned(),
    })
}

pub(super) fn modify_subnet_attribute(p: &Params) -> Result<Request, QueryError> {
    use SubnetAttributeChange as C;
    let subnet = p.required_id("SubnetId")?;
    let (name, value) = one_attribute(
        p,
        &[
            "MapPublicIpOnLaunch.Value",
            "AssignIpv6AddressOnCreation.Value",
            "EnableDns64.Value",
            "PrivateDnsHostnameTypeOnLaunch",
            "EnableResourceNameDnsARecordOnLaunch.Value",
            "EnableResourceNameDnsAAAARecordOnLaunch.Value",
            "MapCustomerOwnedIpOnLaunch.Value",
        ],
    )?;
    let change = match name {
        "MapPublicIpOnLaunch.Value" => C::MapPublicIpOnLaunch(boolean(name, value)?),
        "AssignIpv6AddressOnCreation.Value" => {
            C::AssignIpv6AddressOnCreation(boolean(name, value)?)
        }
        "EnableDns64.Value" => C::EnableDns64(boolean(name, value)?),
        "PrivateDnsHostnameTypeOnLaunch" => C::HostnameType(
            HostnameType::parse(value).ok_or_else(|| QueryError::invalid(name, value))?,
        ),
        "EnableResourceNameDnsARecordOnLaunch.Value" => {
            C::ResourceNameDnsARecord(boolean(name, value)?)
        }
        "EnableResourceNameDnsAAAARecordOnLaunch.Value" => {
            C::ResourceNameDnsAaaaRecord(boolean(name, value)?)
        }
        _ => C::MapCustomerOwnedIpOnLaunch(boolean(name, value)?),
    };
    Ok(Request::ModifySubnetAttribute { subnet, change })
}

pub(super) fn create_default_subnet(p: &Params) -> Result<Request, QueryError> {
    let zone = match (p.get("AvailabilityZone"), p.get("AvailabilityZoneId")) {
        (Some(z), _) | (None, Some(z)) => z.to_owned(),
        (None, None) => return Err(QueryError::missing("AvailabilityZone")),
    };
    Ok(Request::CreateDefaultSubnet { zone })
}

const ZONE_FILTERS: &[&str] = &[
    "zone-name",
    "zone-id",
    "state",
    "region-name",
    "zone-type",
    "opt-in-status",
    "group-name",
    "network-border-group",
];

fn zone_field(z: &Zone, name: &str, _: &AccountState) -> Option<Vec<String>> {
    let v = match name {
        "zone-name" => z.name.clone(),
        "zone-id" => z.id.clone(),
        "state" => "available".to_owned(),
        "region-name" | "group-name" | "network-border-group" => z.region.clone(),
        "zone-type" => "availability-zone".to_owned(),
        "opt-in-status" => "opt-in-not-required".to_owned(),
        _ => return None,
    };
    Some(vec![v])
}

pub(super) fn describe_zones(p: &Params) -> Result<Request, QueryError> {
    let mut names = p.list("ZoneName");
    names.extend(p.list("ZoneId"));
    p.bool("AllAvailabilityZones")?;
    Ok(Request::DescribeAvailabilityZones {
        names,
        select: select(p, ZONE_FILTERS, no_tags, zone_field)?,
    })
}

/// One `VpcCidrBlockAssociation` or `VpcIpv6CidrBlockAssociation`.
pub(super) fn vpc_association(x: &mut Xml, a: &CidrAssociation) {
    x.leaf("associationId", &a.id);
    match a.cidr {
        ipnet::IpNet::V4(c) => {
            x.leaf("cidrBlock", c).node("cidrBlockState", |x| {
                x.leaf("state", a.state.aws_name());
            });
        }
        ipnet::IpNet::V6(c) => {
            x.leaf("ipv6CidrBlock", c)
                .node("ipv6CidrBlockState", |x| {
                    x.leaf("state", a.state.aws_name());
                })
                .opt("networkBorderGroup", a.border_group.as_ref())
                .leaf("ipv6Pool", "Amazon");
        }
    }
}

fn zone(x: &mut Xml, z: &Zone) {
    x.leaf("zoneName", &z.name)
        .leaf("zoneState", "available")
        .leaf("regionName", &z.region);
    super::empty_list(x, "messageSet");
    x.leaf("zoneId", &z.id)
        .leaf("zoneType", "availability-zone")
        .leaf("optInStatus", "opt-in-not-required")
        .leaf("groupName", &z.region)
        .leaf("networkBorderGroup", &z.region);
}

pub(super) fn encode(x: &mut Xml, response: &Response, _: &Origin<'_>) {
    match response {
        Response::VpcAttribute {
            vpc,
            attribute,
            value,
        } => {
            x.leaf("vpcId", vpc).node(attribute.aws_name(), |x| {
                x.leaf("value", value);
            });
        }
        Response::VpcCidrBlock { vpc, association } => {
            let element = match association.cidr {
                ipnet::IpNet::V4(_) => "cidrBlockAssociation",
                ipnet::IpNet::V6(_) => "ipv6CidrBlockAssociation",
            };
            x.node(element, |x| vpc_association(x, association))
                .leaf("vpcId", vpc);
        }
        Response::SubnetCidrBlock {
            subnet,
            association,
        } => {
            x.node("ipv6CidrBlockAssociation", |x| {
                x.leaf("associationId", &association.id)
                    .leaf("ipv6CidrBlock", association.cidr)
                    .node("ipv6CidrBlockState", |x| {
                        x.leaf("state", association.state.aws_name());
                    });
            })
            .leaf("subnetId", subnet);
        }
        Response::Zones(zones) => {
            x.list("availabilityZoneInfo", zones, zone);
        }
        // `wire::encode` routes only the responses above here.
        _ => {}
    }
}
