//! Interface addresses: Assign/UnassignPrivateIpAddresses, Assign/UnassignIpv6Addresses and
//! AssociateSubnetCidrBlock (IPv6). Wire names and output elements follow the botocore `ec2`
//! model (2016-11-15): `PrivateIpAddress.N`, `Ipv6Addresses.N`;
//! `assignedPrivateIpAddressesSet`, `assignedIpv6Addresses`, `unassignedIpv6Addresses`,
//! `ipv6CidrBlockAssociation`.

use palisade_model::account::ops::{CidrState, Request, Response};

use super::empty_list;
use super::network::{cidr_v6, subnet_ipv6_association};
use super::xml::Xml;
use crate::query::{Params, QueryError, addresses_or_count, ipv4_list, ipv6_list};

pub(super) fn assign_private(p: &Params) -> Result<Request, QueryError> {
    let (addresses, count) = addresses_or_count(
        ipv4_list(p, "PrivateIpAddress")?,
        "SecondaryPrivateIpAddressCount",
        p,
    )?;
    Ok(Request::AssignPrivateIpAddresses {
        eni: p.required_id("NetworkInterfaceId")?,
        addresses,
        count,
        allow_reassignment: p.bool("AllowReassignment")?.unwrap_or(false),
    })
}

pub(super) fn unassign_private(p: &Params) -> Result<Request, QueryError> {
    let eni = p.required_id("NetworkInterfaceId")?;
    let addresses = ipv4_list(p, "PrivateIpAddress")?;
    if addresses.is_empty() {
        return Err(QueryError::missing("PrivateIpAddress"));
    }
    Ok(Request::UnassignPrivateIpAddresses { eni, addresses })
}

pub(super) fn assign_ipv6(p: &Params) -> Result<Request, QueryError> {
    let eni = p.required_id("NetworkInterfaceId")?;
    let (addresses, count) =
        addresses_or_count(ipv6_list(p, "Ipv6Addresses")?, "Ipv6AddressCount", p)?;
    Ok(Request::AssignIpv6Addresses {
        eni,
        addresses,
        count,
    })
}

pub(super) fn unassign_ipv6(p: &Params) -> Result<Request, QueryError> {
    let eni = p.required_id("NetworkInterfaceId")?;
    let addresses = ipv6_list(p, "Ipv6Addresses")?;
    if addresses.is_empty() {
        return Err(QueryError::missing("Ipv6Addresses"));
    }
    Ok(Request::UnassignIpv6Addresses { eni, addresses })
}

pub(super) fn associate_subnet_cidr(p: &Params) -> Result<Request, QueryError> {
    let subnet = p.required_id("SubnetId")?;
    let ipv6 = cidr_v6(p, "Ipv6CidrBlock")?.ok_or_else(|| QueryError::missing("Ipv6CidrBlock"))?;
    Ok(Request::AssociateSubnetCidrBlock { subnet, ipv6 })
}

pub(super) fn encode(x: &mut Xml, response: &Response) {
    match response {
        Response::PrivateIpsAssigned { eni, addresses } => {
            x.leaf("networkInterfaceId", eni).list(
                "assignedPrivateIpAddressesSet",
                addresses,
                |x, ip| {
                    x.leaf("privateIpAddress", ip);
                },
            );
            empty_list(x, "assignedIpv4PrefixSet");
        }
        Response::Ipv6Assigned { eni, addresses } => {
            x.list("assignedIpv6Addresses", addresses, |x, ip| {
                x.text(ip);
            });
            empty_list(x, "assignedIpv6PrefixSet");
            x.leaf("networkInterfaceId", eni);
        }
        Response::Ipv6Unassigned { eni, addresses } => {
            x.leaf("networkInterfaceId", eni).list(
                "unassignedIpv6Addresses",
                addresses,
                |x, ip| {
                    x.text(ip);
                },
            );
            empty_list(x, "unassignedIpv6PrefixSet");
        }
        Response::SubnetCidrAssociated { subnet, cidr } => {
            x.node("ipv6CidrBlockAssociation", |x| {
                subnet_ipv6_association(x, subnet, *cidr, CidrState::Associating);
            })
            .leaf("subnetId", subnet);
        }
        // `wire::encode` routes only the responses above here.
        _ => {}
    }
}
