//! Packets as the engine sees them, and decisions.

use std::fmt;
use std::net::IpAddr;

use palisade_model::{Direction, EniId, GroupId, Protocol, RuleId, Traffic};
use thiserror::Error;

/// What a packet carries beyond addresses: enough to match a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Payload {
    /// `dst_port` is the destination port of the packet (the local port for ingress, the
    /// remote port for egress): the port rules match.
    Tcp {
        dst_port: u16,
    },
    Udp {
        dst_port: u16,
    },
    Icmp {
        icmp_type: u8,
        code: u8,
    },
    Icmpv6 {
        icmp_type: u8,
        code: u8,
    },
    /// Any other IP protocol number.
    Other(u8),
}

impl Payload {
    pub fn protocol_number(self) -> u8 {
        match self {
            Self::Tcp { .. } => Protocol::TCP,
            Self::Udp { .. } => Protocol::UDP,
            Self::Icmp { .. } => Protocol::ICMP,
            Self::Icmpv6 { .. } => Protocol::ICMPV6,
            Self::Other(n) => n,
        }
    }

    /// Does a rule's traffic admit this payload? (Addresses are matched separately.)
    pub fn matched_by(self, traffic: Traffic) -> bool {
        match (traffic, self) {
            (Traffic::All, _) => true,
            (Traffic::Tcp(r), Self::Tcp { dst_port })
            | (Traffic::Udp(r), Self::Udp { dst_port }) => r.contains(dst_port),
            (Traffic::Icmp(m), Self::Icmp { icmp_type, code })
            | (Traffic::Icmpv6(m), Self::Icmpv6 { icmp_type, code }) => m.matches(icmp_type, code),
            (Traffic::Protocol(n), p) => p.protocol_number() == n,
            _ => false,
        }
    }
}

/// A packet crossing one interface in one direction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Packet {
    pub interface: EniId,
    pub direction: Direction,
    /// The remote address: the source for ingress, the destination for egress.
    pub remote: IpAddr,
    pub payload: Payload,
}

/// Allowed or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    Allow,
    Deny,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule that admitted a packet.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleMatch {
    pub group_id: GroupId,
    pub rule_id: RuleId,
}

/// The answer: the verdict and every rule that matched, sorted by (group id, rule id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub verdict: Verdict,
    pub matches: Vec<RuleMatch>,
}

impl Decision {
    /// Builds a decision from matches in any order: sorts them, allows iff any.
    pub fn from_matches(mut matches: Vec<RuleMatch>) -> Self {
        matches.sort();
        matches.dedup();
        let verdict = if matches.is_empty() {
            Verdict::Deny
        } else {
            Verdict::Allow
        };
        Self { verdict, matches }
    }
}

/// A question the engine cannot answer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecideError {
    #[error("unknown network interface {0}")]
    UnknownInterface(EniId),
}
