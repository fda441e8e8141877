//! Interface addresses: the primary and secondary private IPv4 addresses and the IPv6
//! addresses of an interface, checked against (or chosen from) its subnet as EC2 does for
//! CreateNetworkInterface, RunInstances, Assign/UnassignPrivateIpAddresses and
//! Assign/UnassignIpv6Addresses, plus a subnet's IPv6 block (CreateSubnet `Ipv6CidrBlock`,
//! AssociateSubnetCidrBlock). They matter to security groups because a group reference
//! matches every private address of the member interfaces, secondaries and IPv6 included.
//! No I/O: chosen IPv6 addresses take their host bits from the caller's [`IdGen`].

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::Ipv6Net;

use super::{AccountError, AccountState, Resource};
use crate::error::Ec2ErrorCode;
use crate::ids::{EniId, IdGen, SubnetId, VpcId};
use crate::network::Subnet;

/// The addresses an interface asks for when it is created (CreateNetworkInterface, or the
/// primary interface of RunInstances). Empty means one primary IPv4 address chosen by EC2.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressSpec {
    /// `PrivateIpAddress`, or the `PrivateIpAddresses.N` entry marked `Primary`.
    pub primary_v4: Option<Ipv4Addr>,
    /// The other `PrivateIpAddresses.N` entries.
    pub secondary_v4: Vec<Ipv4Addr>,
    /// `SecondaryPrivateIpAddressCount`: secondaries chosen from the subnet.
    pub secondary_v4_count: u32,
    /// `Ipv6Addresses.N.Ipv6Address`.
    pub ipv6: Vec<Ipv6Addr>,
    /// `Ipv6AddressCount`: IPv6 addresses chosen from the subnet's IPv6 block.
    pub ipv6_count: u32,
}

impl AddressSpec {
    /// True when the request names a specific address (which RunInstances allows only for
    /// one instance: "You cannot specify this option if you're launching more than one
    /// instance in the request", `RunInstancesRequest.PrivateIpAddress`).
    pub fn names_addresses(&self) -> bool {
        self.primary_v4.is_some() || !self.secondary_v4.is_empty() || !self.ipv6.is_empty()
    }
}

fn err(code: Ec2ErrorCode, message: impl Into<String>) -> AccountError {
    AccountError::new(code, message)
}

fn in_use_v4(ip: Ipv4Addr) -> AccountError {
    err(
        Ec2ErrorCode::InvalidIpAddressInUse,
        format!("Address {ip} is in use."),
    )
}

fn in_use_v6(ip: Ipv6Addr) -> AccountError {
    err(
        Ec2ErrorCode::InvalidIpAddressInUse,
        format!("Address {ip} is in use."),
    )
}

fn not_in_subnet(ip: impl std::fmt::Display) -> AccountError {
    err(
        Ec2ErrorCode::InvalidParameterValue,
        format!("Address {ip} does not fall within the subnet's address range"),
    )
}

fn no_free(subnet: &SubnetId) -> AccountError {
    err(
        Ec2ErrorCode::InsufficientFreeAddressesInSubnet,
        format!(
            "The specified subnet {subnet} does not contain enough free private IP addresses to fulfill your request."
        ),
    )
}

fn over_limit(interface: &str, limit: usize) -> AccountError {
    err(
        Ec2ErrorCode::PrivateIpAddressLimitExceeded,
        format!(
            "Number of private addresses will exceed limit for {interface} ({limit} per address family)"
        ),
    )
}

/// The first four and the last address of a subnet block are reserved ("Subnet CIDR
/// blocks", VPC UG: "The first four IP addresses and the last IP address in each subnet
/// CIDR block are not available for your use"), for IPv4 and IPv6 alike.
fn usable_v4(subnet: &Subnet, ip: Ipv4Addr) -> bool {
    let Some(net) = subnet.cidr_v4 else {
        return false;
    };
    net.contains(&ip) && u32::from(ip) - u32::from(net.network()) >= 4 && ip != net.broadcast()
}

fn usable_v6(net: Ipv6Net, ip: Ipv6Addr) -> bool {
    net.contains(&ip) && u128::from(ip) - u128::from(net.network()) >= 4 && ip != net.broadcast()
}

impl AccountState {
    /// Private addresses per interface, each family.
    fn address_limit(&self) -> usize {
        self.quotas.addresses_per_interface() as usize
    }

    /// Every private IPv4 address in use in `vpc` (addresses are unique per VPC; two VPCs may
    /// share a block).
    fn used_v4(&self, vpc: &VpcId) -> BTreeSet<Ipv4Addr> {
        self.snapshot
            .enis
            .values()
            .filter(|e| &e.vpc_id == vpc)
            .flat_map(|e| e.private_ipv4.iter().copied())
            .collect()
    }

    fn used_v6(&self, vpc: &VpcId) -> BTreeSet<Ipv6Addr> {
        self.snapshot
            .enis
            .values()
            .filter(|e| &e.vpc_id == vpc)
            .flat_map(|e| e.ipv6.iter().copied())
            .collect()
    }

    /// Checks one requested IPv4 address and marks it used.
    fn take_v4(
        subnet: &Subnet,
        ip: Ipv4Addr,
        used: &mut BTreeSet<Ipv4Addr>,
    ) -> Result<Ipv4Addr, AccountError> {
        if !usable_v4(subnet, ip) {
            return Err(not_in_subnet(ip));
        }
        if !used.insert(ip) {
            return Err(in_use_v4(ip));
        }
        Ok(ip)
    }

    /// Chooses `n` free IPv4 addresses of `subnet`, lowest first, and marks them used.
    fn choose_v4(
        subnet: &Subnet,
        n: usize,
        used: &mut BTreeSet<Ipv4Addr>,
    ) -> Result<Vec<Ipv4Addr>, AccountError> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let Some(net) = subnet.cidr_v4 else {
            return Err(err(
                Ec2ErrorCode::InvalidParameterValue,
                format!(
                    "The subnet {} is IPv6-only; private IPv4 addresses cannot be assigned in it",
                    subnet.id
                ),
            ));
        };
        let base = u32::from(net.network());
        let last = u32::from(net.broadcast());
        let free: Vec<Ipv4Addr> = (base.saturating_add(4)..last)
            .map(Ipv4Addr::from)
            .filter(|a| !used.contains(a))
            .take(n)
            .collect();
        if free.len() < n {
            return Err(no_free(&subnet.id));
        }
        used.extend(free.iter().copied());
        Ok(free)
    }

    fn subnet_v6(subnet: &Subnet) -> Result<Ipv6Net, AccountError> {
        subnet.cidr_v6.ok_or_else(|| {
            err(
                Ec2ErrorCode::InvalidParameterValue,
                format!(
                    "The subnet {} has no IPv6 CIDR block; IPv6 addresses cannot be assigned in it",
                    subnet.id
                ),
            )
        })
    }

    fn take_v6(
        net: Ipv6Net,
        ip: Ipv6Addr,
        used: &mut BTreeSet<Ipv6Addr>,
    ) -> Result<Ipv6Addr, AccountError> {
        if !usable_v6(net, ip) {
            return Err(not_in_subnet(ip));
        }
        if !used.insert(ip) {
            return Err(in_use_v6(ip));
        }
        Ok(ip)
    }

    /// Chooses `n` free IPv6 addresses of `net` with host bits from `ids` (EC2 picks them
    /// from the subnet range; a few collisions are retried, then the range counts as full).
    fn choose_v6(
        subnet: &SubnetId,
        net: Ipv6Net,
        n: usize,
        used: &mut BTreeSet<Ipv6Addr>,
        ids: &mut dyn IdGen,
    ) -> Result<Vec<Ipv6Addr>, AccountError> {
        let host_bits = 128 - u32::from(net.prefix_len());
        let mask = if host_bits >= 128 {
            u128::MAX
        } else {
            (1u128 << host_bits) - 1
        };
        let base = u128::from(net.network());
        let mut out = Vec::new();
        let mut attempts = 0;
        while out.len() < n {
            attempts += 1;
            if attempts > 64 + 4 * n {
                return Err(no_free(subnet));
            }
            let ip = Ipv6Addr::from(base | (ids.next_bits() & mask));
            if usable_v6(net, ip) && used.insert(ip) {
                out.push(ip);
            }
        }
        Ok(out)
    }

    /// The addresses of a new interface in `subnet`: the primary IPv4 first, then the
    /// secondaries, and the IPv6 addresses.
    pub(super) fn new_addresses(
        &self,
        subnet: &Subnet,
        spec: &AddressSpec,
        ids: &mut dyn IdGen,
    ) -> Result<(Vec<Ipv4Addr>, Vec<Ipv6Addr>), AccountError> {
        let mut used = self.used_v4(&subnet.vpc_id);
        let mut v4 = Vec::new();
        // Named addresses are taken before any is chosen, so a chosen one never collides.
        if let Some(ip) = spec.primary_v4 {
            v4.push(Self::take_v4(subnet, ip, &mut used)?);
        }
        let mut secondaries = Vec::new();
        for ip in &spec.secondary_v4 {
            secondaries.push(Self::take_v4(subnet, *ip, &mut used)?);
        }
        // An IPv6-only subnet gives an interface no IPv4 address unless one is named (which
        // `take_v4` refuses), and at least one IPv6 address.
        let native = subnet.ipv6_native();
        if spec.primary_v4.is_none() && !native {
            v4.extend(Self::choose_v4(subnet, 1, &mut used)?);
        }
        v4.extend(secondaries);
        let count = spec.secondary_v4_count as usize;
        if v4.len() + count > self.address_limit() {
            return Err(over_limit("the new interface", self.address_limit()));
        }
        v4.extend(Self::choose_v4(subnet, count, &mut used)?);
        let mut v6 = Vec::new();
        let mut count = spec.ipv6_count as usize;
        if spec.ipv6.is_empty() && count == 0 {
            if !native {
                return Ok((v4, v6));
            }
            count = 1;
        }
        let net = Self::subnet_v6(subnet)?;
        if spec.ipv6.len() + count > self.address_limit() {
            return Err(over_limit("the new interface", self.address_limit()));
        }
        let mut used = self.used_v6(&subnet.vpc_id);
        for ip in &spec.ipv6 {
            v6.push(Self::take_v6(net, *ip, &mut used)?);
        }
        v6.extend(Self::choose_v6(&subnet.id, net, count, &mut used, ids)?);
        Ok((v4, v6))
    }

    fn eni_subnet(&self, id: &EniId) -> Result<Subnet, AccountError> {
        let eni = self.eni(id)?;
        let Some(subnet) = &eni.subnet_id else {
            return Err(err(
                Ec2ErrorCode::InvalidParameterValue,
                format!("The network interface {id} is in no subnet"),
            ));
        };
        Ok(self.subnet(subnet)?.clone())
    }

    /// AssignPrivateIpAddresses: the named addresses or `count` chosen ones become
    /// secondaries of `id`. With `allow_reassignment` a secondary address of another
    /// interface in the VPC moves here; a primary address never moves. Returns the assigned
    /// addresses.
    pub fn assign_private_ips(
        &mut self,
        id: &EniId,
        addrs: &[Ipv4Addr],
        count: u32,
        allow_reassignment: bool,
    ) -> Result<Vec<Ipv4Addr>, AccountError> {
        let subnet = self.eni_subnet(id)?;
        let have = self.eni(id)?.private_ipv4.len();
        if have + addrs.len() + count as usize > self.address_limit() {
            return Err(over_limit(&format!("interface {id}"), self.address_limit()));
        }
        let mut used = self.used_v4(&subnet.vpc_id);
        let mut moved = Vec::new();
        for ip in addrs {
            let holder = self
                .snapshot
                .enis
                .values()
                .find(|e| e.private_ipv4.contains(ip));
            if let Some(holder) = holder {
                let secondary_elsewhere =
                    &holder.id != id && holder.private_ipv4.first() != Some(ip);
                if !(allow_reassignment && secondary_elsewhere) {
                    return Err(in_use_v4(*ip));
                }
                moved.push((holder.id.clone(), *ip));
                used.remove(ip);
            }
        }
        let mut assigned = Vec::new();
        for ip in addrs {
            assigned.push(Self::take_v4(&subnet, *ip, &mut used)?);
        }
        assigned.extend(Self::choose_v4(&subnet, count as usize, &mut used)?);
        for (holder, ip) in moved {
            self.eni_mut(&holder)?.private_ipv4.retain(|a| a != &ip);
        }
        self.eni_mut(id)?
            .private_ipv4
            .extend(assigned.iter().copied());
        Ok(assigned)
    }

    /// UnassignPrivateIpAddresses: every address must be a secondary of `id` (the primary
    /// stays with the interface for its life).
    pub fn unassign_private_ips(
        &mut self,
        id: &EniId,
        addrs: &[Ipv4Addr],
    ) -> Result<(), AccountError> {
        let eni = self.eni(id)?;
        let secondaries = eni.private_ipv4.get(1..).unwrap_or_default();
        if let Some(ip) = addrs.iter().find(|a| !secondaries.contains(a)) {
            return Err(err(
                Ec2ErrorCode::InvalidParameterValue,
                format!("Some of the specified addresses are not assigned to interface {id}: {ip}"),
            ));
        }
        self.eni_mut(id)?
            .private_ipv4
            .retain(|a| !addrs.contains(a));
        Ok(())
    }

    /// AssignIpv6Addresses: the named addresses or `count` chosen ones from the subnet's
    /// IPv6 block join `id`'s IPv6 addresses. Returns the assigned addresses.
    pub fn assign_ipv6(
        &mut self,
        id: &EniId,
        addrs: &[Ipv6Addr],
        count: u32,
        ids: &mut dyn IdGen,
    ) -> Result<Vec<Ipv6Addr>, AccountError> {
        let subnet = self.eni_subnet(id)?;
        let net = Self::subnet_v6(&subnet)?;
        let have = self.eni(id)?.ipv6.len();
        if have + addrs.len() + count as usize > self.address_limit() {
            return Err(over_limit(&format!("interface {id}"), self.address_limit()));
        }
        let mut used = self.used_v6(&subnet.vpc_id);
        let mut assigned = Vec::new();
        for ip in addrs {
            assigned.push(Self::take_v6(net, *ip, &mut used)?);
        }
        assigned.extend(Self::choose_v6(
            &subnet.id,
            net,
            count as usize,
            &mut used,
            ids,
        )?);
        self.eni_mut(id)?.ipv6.extend(assigned.iter().copied());
        Ok(assigned)
    }

    /// UnassignIpv6Addresses: every address must be one of `id`'s. Returns them.
    pub fn unassign_ipv6(
        &mut self,
        id: &EniId,
        addrs: &[Ipv6Addr],
    ) -> Result<Vec<Ipv6Addr>, AccountError> {
        let eni = self.eni(id)?;
        if let Some(ip) = addrs.iter().find(|a| !eni.ipv6.contains(a)) {
            return Err(err(
                Ec2ErrorCode::InvalidParameterValue,
                format!("Some of the specified addresses are not assigned to interface {id}: {ip}"),
            ));
        }
        self.eni_mut(id)?.ipv6.retain(|a| !addrs.contains(a));
        Ok(addrs.to_vec())
    }

    /// Checks a subnet's IPv6 block: a /64 inside one of the VPC's IPv6 blocks, overlapping
    /// no other subnet's (CreateSubnet: "The IPv6 CIDR '…' is invalid." as
    /// `InvalidSubnet.Range`, as EC2 answers for a block outside the VPC's /56).
    pub(super) fn check_subnet_v6(
        &self,
        vpc_id: &VpcId,
        skip: Option<&SubnetId>,
        cidr: Ipv6Net,
    ) -> Result<Ipv6Net, AccountError> {
        let vpc = self.vpc(vpc_id)?;
        let cidr = cidr.trunc();
        if cidr.prefix_len() != 64 || !vpc.cidrs_v6.iter().any(|n| n.contains(&cidr)) {
            return Err(err(
                Ec2ErrorCode::InvalidSubnetRange,
                format!("The IPv6 CIDR '{cidr}' is invalid."),
            ));
        }
        let clash = self.snapshot.subnets.values().any(|s| {
            &s.vpc_id == vpc_id
                && Some(&s.id) != skip
                && s.cidr_v6
                    .is_some_and(|n| n.contains(&cidr) || cidr.contains(&n))
        });
        if clash {
            return Err(err(
                Ec2ErrorCode::InvalidSubnetConflict,
                format!("The IPv6 CIDR '{cidr}' conflicts with another subnet"),
            ));
        }
        Ok(cidr)
    }

    /// AssociateSubnetCidrBlock: gives a subnet that has none its IPv6 /64. Returns the
    /// (truncated) block.
    pub fn associate_subnet_ipv6(
        &mut self,
        id: &SubnetId,
        cidr: Ipv6Net,
    ) -> Result<Ipv6Net, AccountError> {
        let mut subnet = self.subnet(id)?.clone();
        if let Some(existing) = subnet.cidr_v6 {
            return Err(err(
                Ec2ErrorCode::InvalidParameterValue,
                format!("The subnet {id} already has the IPv6 CIDR block {existing}"),
            ));
        }
        let cidr = self.check_subnet_v6(&subnet.vpc_id, Some(id), cidr)?;
        subnet.cidr_v6 = Some(cidr);
        self.put(Resource::Subnet(subnet));
        Ok(cidr)
    }
}

#[cfg(test)]
mod tests;
