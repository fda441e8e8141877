//! Interface address parameters (botocore `ec2` model 2016-11-15): CreateNetworkInterface's
//! `PrivateIpAddress`, `PrivateIpAddresses.N.{PrivateIpAddress,Primary}`,
//! `SecondaryPrivateIpAddressCount`, `Ipv6Addresses.N.Ipv6Address`, `Ipv6AddressCount`; the
//! same members of RunInstances' `NetworkInterface.N` (`InstanceNetworkInterfaceSpecification`,
//! query names `PrivateIpAddresses`/`Ipv6Addresses`) and its top-level `PrivateIpAddress`,
//! `Ipv6AddressCount`, `Ipv6Address.N.Ipv6Address`; and the flat lists of the Assign/Unassign
//! actions (`PrivateIpAddress.N`, `Ipv6Addresses.N`). Only wire-level combinations are refused
//! here; whether an address fits its subnet is the model's business.

use std::net::{Ipv4Addr, Ipv6Addr};

use palisade_model::Ec2ErrorCode;
use palisade_model::account::AddressSpec;

use super::{Params, QueryError};

fn combination(message: &str) -> QueryError {
    QueryError::new(Ec2ErrorCode::InvalidParameterCombination, message)
}

fn v4(name: &str, value: &str) -> Result<Ipv4Addr, QueryError> {
    value.trim().parse().map_err(|_| {
        QueryError::new(
            Ec2ErrorCode::InvalidParameterValue,
            format!("Value ({value}) for parameter {name} is invalid. Invalid IPv4 address"),
        )
    })
}

fn v6(name: &str, value: &str) -> Result<Ipv6Addr, QueryError> {
    value.trim().parse().map_err(|_| {
        QueryError::new(
            Ec2ErrorCode::InvalidParameterValue,
            format!("Value ({value}) for parameter {name} is invalid. Invalid IPv6 address"),
        )
    })
}

fn count(p: &Params, name: &str) -> Result<u32, QueryError> {
    match p.int(name)? {
        None => Ok(0),
        Some(n) => u32::try_from(n).map_err(|_| {
            QueryError::new(
                Ec2ErrorCode::InvalidParameterValue,
                format!("Invalid value '{n}' for {name}"),
            )
        }),
    }
}

/// `Name.N` as IPv4 addresses.
pub fn ipv4_list(p: &Params, name: &str) -> Result<Vec<Ipv4Addr>, QueryError> {
    p.list(name).iter().map(|v| v4(name, v)).collect()
}

/// `Name.N` as IPv6 addresses.
pub fn ipv6_list(p: &Params, name: &str) -> Result<Vec<Ipv6Addr>, QueryError> {
    p.list(name).iter().map(|v| v6(name, v)).collect()
}

/// The addresses an interface asks for; `ipv6_list` names the IPv6 list (`Ipv6Addresses` for
/// CreateNetworkInterface and `NetworkInterface.N`, `Ipv6Address` at RunInstances' top level).
///
/// Refused as `InvalidParameterCombination`, per the model's documentation:
/// - `PrivateIpAddress` and a different `PrivateIpAddresses.N` marked `Primary` ("only one IP
///   address can be designated as primary"), or two entries marked `Primary`;
/// - `SecondaryPrivateIpAddressCount` with more than one `PrivateIpAddresses.N` ("You can't
///   specify this option and specify more than one private IP address using
///   privateIpAddresses");
/// - IPv6 addresses and `Ipv6AddressCount` together ("You can't specify a count of IPv6
///   addresses using this parameter if you've specified … specific IPv6 addresses").
pub fn address_spec(p: &Params, ipv6_list: &str) -> Result<AddressSpec, QueryError> {
    let mut spec = AddressSpec {
        primary_v4: p
            .get("PrivateIpAddress")
            .filter(|v| !v.is_empty())
            .map(|v| v4("PrivateIpAddress", v))
            .transpose()?,
        ..AddressSpec::default()
    };
    let listed = p.members("PrivateIpAddresses");
    for (idx, item) in listed.iter().enumerate() {
        let name = format!("PrivateIpAddresses.{}.PrivateIpAddress", idx + 1);
        let ip = v4(&name, item.required("PrivateIpAddress")?)?;
        let primary = item.bool("Primary")?.unwrap_or(false);
        match (primary, spec.primary_v4) {
            (false, _) => spec.secondary_v4.push(ip),
            (true, None) => spec.primary_v4 = Some(ip),
            (true, Some(first)) if first == ip && p.get("PrivateIpAddress").is_some() => {}
            (true, Some(_)) => {
                return Err(combination(
                    "Only one private IP address can be designated as primary",
                ));
            }
        }
    }
    spec.secondary_v4_count = count(p, "SecondaryPrivateIpAddressCount")?;
    if spec.secondary_v4_count > 0 && listed.len() > 1 {
        return Err(combination(
            "SecondaryPrivateIpAddressCount cannot be combined with more than one PrivateIpAddresses entry",
        ));
    }
    for (idx, item) in p.members(ipv6_list).iter().enumerate() {
        let name = format!("{ipv6_list}.{}.Ipv6Address", idx + 1);
        spec.ipv6.push(v6(&name, item.required("Ipv6Address")?)?);
    }
    spec.ipv6_count = count(p, "Ipv6AddressCount")?;
    if spec.ipv6_count > 0 && !spec.ipv6.is_empty() {
        return Err(combination(
            "Ipv6AddressCount cannot be combined with specific IPv6 addresses",
        ));
    }
    Ok(spec)
}

/// RunInstances' addresses: the top-level parameters, or those of the primary
/// `NetworkInterface.N` (device 0). Both at once is refused ("You cannot specify this option
/// and the network interfaces option in the same request", `RunInstancesRequest`).
pub fn run_instances_spec(
    p: &Params,
    primary_nic: Option<&Params>,
) -> Result<AddressSpec, QueryError> {
    let top = address_spec(p, "Ipv6Address")?;
    let Some(nic) = primary_nic else {
        return Ok(top);
    };
    let from_nic = address_spec(nic, "Ipv6Addresses")?;
    if top != AddressSpec::default() && from_nic != AddressSpec::default() {
        return Err(combination(
            "Network interfaces and an instance-level private IP address should not be specified on the same request",
        ));
    }
    Ok(if top == AddressSpec::default() {
        from_nic
    } else {
        top
    })
}

/// AssignPrivateIpAddresses / AssignIpv6Addresses: the addresses or the count, exactly one
/// ("You must specify either the IP addresses or the IP address count in the request").
pub fn addresses_or_count<T>(
    addrs: Vec<T>,
    count_param: &str,
    p: &Params,
) -> Result<(Vec<T>, u32), QueryError> {
    let n = count(p, count_param)?;
    match (addrs.is_empty(), n) {
        (true, 0) => Err(QueryError::missing(count_param)),
        (false, n) if n > 0 => Err(combination(
            "Specify either the IP addresses or the IP address count, not both",
        )),
        _ => Ok((addrs, n)),
    }
}
