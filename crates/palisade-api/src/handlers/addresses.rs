//! Interface addresses: Assign/UnassignPrivateIpAddresses, Assign/UnassignIpv6Addresses and
//! AssociateSubnetCidrBlock (IPv6). They change which addresses a group reference to the
//! interface's groups matches. Wire names and output elements follow the botocore `ec2` model
//! (2016-11-15): `PrivateIpAddress.N`, `Ipv6Addresses.N`; `assignedPrivateIpAddressesSet`,
//! `assignedIpv6Addresses`, `unassignedIpv6Addresses`, `ipv6CidrBlockAssociation`.

use palisade_ec2::query::{Params, addresses_or_count, ipv4_list, ipv6_list};
use palisade_model::{EniId, SubnetId};

use super::ok_return;
use crate::ctx::Ctx;
use crate::encode;
use crate::error::ApiError;
use crate::xml::Xml;

pub(super) fn assign_private(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let id: EniId = p.required_id("NetworkInterfaceId")?;
    let (addrs, count) = addresses_or_count(
        ipv4_list(p, "PrivateIpAddress")?,
        "SecondaryPrivateIpAddressCount",
        p,
    )?;
    let reassign = p.bool("AllowReassignment")?.unwrap_or(false);
    let assigned = ctx.write(|st, _| Ok(st.assign_private_ips(&id, &addrs, count, reassign)?))?;
    let mut x = Xml::new();
    x.leaf("networkInterfaceId", &id)
        .list("assignedPrivateIpAddressesSet", &assigned, |x, ip| {
            x.leaf("privateIpAddress", ip);
        })
        .list(
            "assignedIpv4PrefixSet",
            std::iter::empty::<()>(),
            |_, ()| {},
        );
    Ok(x)
}

pub(super) fn unassign_private(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let id: EniId = p.required_id("NetworkInterfaceId")?;
    let addrs = ipv4_list(p, "PrivateIpAddress")?;
    if addrs.is_empty() {
        return Err(palisade_ec2::query::QueryError::missing("PrivateIpAddress").into());
    }
    ctx.write(|st, _| Ok(st.unassign_private_ips(&id, &addrs)?))?;
    Ok(ok_return())
}

pub(super) fn assign_ipv6(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let id: EniId = p.required_id("NetworkInterfaceId")?;
    let (addrs, count) = addresses_or_count(ipv6_list(p, "Ipv6Addresses")?, "Ipv6AddressCount", p)?;
    let assigned = ctx.write(|st, ids| Ok(st.assign_ipv6(&id, &addrs, count, ids)?))?;
    let mut x = Xml::new();
    x.list("assignedIpv6Addresses", &assigned, |x, ip| {
        x.text(ip);
    })
    .list(
        "assignedIpv6PrefixSet",
        std::iter::empty::<()>(),
        |_, ()| {},
    )
    .leaf("networkInterfaceId", &id);
    Ok(x)
}

pub(super) fn unassign_ipv6(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let id: EniId = p.required_id("NetworkInterfaceId")?;
    let addrs = ipv6_list(p, "Ipv6Addresses")?;
    if addrs.is_empty() {
        return Err(palisade_ec2::query::QueryError::missing("Ipv6Addresses").into());
    }
    let removed = ctx.write(|st, _| Ok(st.unassign_ipv6(&id, &addrs)?))?;
    let mut x = Xml::new();
    x.leaf("networkInterfaceId", &id)
        .list("unassignedIpv6Addresses", &removed, |x, ip| {
            x.text(ip);
        })
        .list(
            "unassignedIpv6PrefixSet",
            std::iter::empty::<()>(),
            |_, ()| {},
        );
    Ok(x)
}

pub(super) fn associate_subnet_cidr(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let id: SubnetId = p.required_id("SubnetId")?;
    let cidr = super::network::cidr_v6(p, "Ipv6CidrBlock")?
        .ok_or_else(|| palisade_ec2::query::QueryError::missing("Ipv6CidrBlock"))?;
    let cidr = ctx.write(|st, _| Ok(st.associate_subnet_ipv6(&id, cidr)?))?;
    let mut x = Xml::new();
    x.node("ipv6CidrBlockAssociation", |x| {
        encode::subnet_ipv6_association(x, &id, cidr);
    })
    .leaf("subnetId", &id);
    Ok(x)
}
