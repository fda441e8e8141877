//! The one peer of a rule: an IPv4 CIDR, an IPv6 CIDR, a managed prefix list, or a reference
//! to a security group (possibly in another account or a peered VPC).
//!
//! CIDRs are canonicalised as EC2 does: "if you specify 100.68.0.18/18 … canonicalizes … to
//! 100.68.0.0/18" (botocore model, `IpRange.CidrIp`), so the canonical twin is a duplicate.

use std::fmt;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::error::{Ec2ErrorCode, RuleError};
use crate::ids::{AccountId, GroupId, PeeringId, PrefixListId, VpcId};

/// A reference to a security group as a rule's peer (`UserIdGroupPair`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupRef {
    pub group_id: GroupId,
    /// The referenced group's owner; `None` means the referencing group's own account.
    pub owner: Option<AccountId>,
    /// The referenced group's VPC, when it lives in a peered VPC.
    pub vpc_id: Option<VpcId>,
    pub peering_id: Option<PeeringId>,
}

impl GroupRef {
    pub fn same_account(group_id: GroupId) -> Self {
        Self {
            group_id,
            owner: None,
            vpc_id: None,
            peering_id: None,
        }
    }
}

/// The peer of a rule: source for ingress, destination for egress.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Peer {
    Ipv4(Ipv4Net),
    Ipv6(Ipv6Net),
    PrefixList(PrefixListId),
    Group(GroupRef),
}

impl Peer {
    /// Parses `CidrIp`: an IPv4 CIDR with a prefix length, canonicalised.
    pub fn parse_ipv4(s: &str) -> Result<Self, RuleError> {
        let net: Ipv4Net = s.trim().parse().map_err(|_| malformed(s))?;
        Ok(Self::Ipv4(net.trunc()))
    }

    /// Parses `CidrIpv6`: an IPv6 CIDR with a prefix length, canonicalised.
    pub fn parse_ipv6(s: &str) -> Result<Self, RuleError> {
        let net: Ipv6Net = s.trim().parse().map_err(|_| malformed(s))?;
        Ok(Self::Ipv6(net.trunc()))
    }

    /// Parses either family (for tools that take "a CIDR").
    pub fn parse_cidr(s: &str) -> Result<Self, RuleError> {
        match s.trim().parse::<IpNet>().map_err(|_| malformed(s))? {
            IpNet::V4(n) => Ok(Self::Ipv4(n.trunc())),
            IpNet::V6(n) => Ok(Self::Ipv6(n.trunc())),
        }
    }

    /// The identity used for duplicate checks and revoke matching: a group reference is
    /// identified by its group id alone (the owner defaults to the caller's account).
    pub fn identity(&self) -> PeerIdentity<'_> {
        match self {
            Self::Ipv4(n) => PeerIdentity::Ipv4(*n),
            Self::Ipv6(n) => PeerIdentity::Ipv6(*n),
            Self::PrefixList(p) => PeerIdentity::PrefixList(p),
            Self::Group(g) => PeerIdentity::Group(&g.group_id),
        }
    }

    /// True for `0.0.0.0/0` and `::/0`.
    pub fn is_everywhere(&self) -> bool {
        match self {
            Self::Ipv4(n) => n.prefix_len() == 0,
            Self::Ipv6(n) => n.prefix_len() == 0,
            _ => false,
        }
    }
}

/// See [`Peer::identity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerIdentity<'a> {
    Ipv4(Ipv4Net),
    Ipv6(Ipv6Net),
    PrefixList(&'a PrefixListId),
    Group(&'a GroupId),
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ipv4(n) => write!(f, "{n}"),
            Self::Ipv6(n) => write!(f, "{n}"),
            Self::PrefixList(p) => write!(f, "{p}"),
            Self::Group(g) => match &g.owner {
                Some(owner) => write!(f, "{owner}/{}", g.group_id),
                None => write!(f, "{}", g.group_id),
            },
        }
    }
}

fn malformed(s: &str) -> RuleError {
    RuleError::new(
        Ec2ErrorCode::InvalidParameterValue,
        format!("CIDR block {s} is malformed"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_canonicalise() {
        assert_eq!(
            Peer::parse_ipv4("10.0.0.1/24").unwrap().to_string(),
            "10.0.0.0/24"
        );
        assert_eq!(
            Peer::parse_ipv6("2001:db8::1/64").unwrap().to_string(),
            "2001:db8::/64"
        );
        assert_eq!(
            Peer::parse_ipv4("5.0.0.0/0").unwrap().to_string(),
            "0.0.0.0/0"
        );
    }

    #[test]
    fn cidrs_reject() {
        for bad in [
            "::/0",
            "123.123.123.123",
            "300.0.0.0/8",
            "10.0.0.0/33",
            "",
            "abc",
        ] {
            let err = Peer::parse_ipv4(bad).unwrap_err();
            assert_eq!(err.code(), Ec2ErrorCode::InvalidParameterValue, "{bad}");
        }
        for bad in ["0.0.0.0/0", "2001:db8::1", "2001:db8::/129"] {
            assert!(Peer::parse_ipv6(bad).is_err(), "{bad}");
        }
    }
}
