//! What the flow table sees of a packet (the 5-tuple and TCP flags the stateless [`Packet`]
//! lacks) and what it answers. Never does I/O.

use std::fmt;
use std::net::IpAddr;

use palisade_model::{Direction, EniId};
use thiserror::Error;

use crate::packet::{Packet, Payload, RuleMatch, Verdict};

/// A packet crossing one interface in one direction, seen from the interface: `local` is the
/// interface's side (the destination of an ingress packet, the source of an egress one).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FlowPacket {
    pub interface: EniId,
    pub direction: Direction,
    pub local: IpAddr,
    pub remote: IpAddr,
    pub transport: Transport,
}

/// The transport part of a [`FlowPacket`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Tcp {
        local_port: u16,
        remote_port: u16,
        flags: TcpFlags,
    },
    Udp {
        local_port: u16,
        remote_port: u16,
    },
    /// ICMP for IPv4 addresses, ICMPv6 for IPv6 ones. `ident` is the echo identifier (0 when
    /// unknown); `related` is the flow quoted inside an ICMP error message, if any.
    Icmp {
        icmp_type: u8,
        code: u8,
        ident: u16,
        related: Option<QuotedFlow>,
    },
    /// Any other IP protocol number (never 1, 6, 17 or 58).
    Other(u8),
}

/// The original datagram an ICMP error quotes (RFC 792, RFC 4443 §2.4), from the same
/// interface's point of view: the flow the error is *related* to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QuotedFlow {
    /// 6 (TCP) or 17 (UDP); other quoted protocols are looked up without ports.
    pub protocol: u8,
    pub remote: IpAddr,
    pub local_port: u16,
    pub remote_port: u16,
}

/// The TCP flags the state machine cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TcpFlags(u8);

impl TcpFlags {
    pub const FIN: Self = Self(0x01);
    pub const SYN: Self = Self(0x02);
    pub const RST: Self = Self(0x04);
    pub const PSH: Self = Self(0x08);
    pub const ACK: Self = Self(0x10);

    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
    pub fn bits(self) -> u8 {
        self.0
    }

    /// Parses the trace spelling: letters among `S`, `A`, `F`, `R`, `P` (any order).
    pub fn parse(s: &str) -> Option<Self> {
        if s.is_empty() {
            return None;
        }
        let mut acc = Self(0);
        for c in s.chars() {
            let flag = match c.to_ascii_uppercase() {
                'S' => Self::SYN,
                'A' => Self::ACK,
                'F' => Self::FIN,
                'R' => Self::RST,
                'P' => Self::PSH,
                _ => return None,
            };
            acc = acc.union(flag);
        }
        Some(acc)
    }
}

/// Why the flow table decided what it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowReason {
    /// A new flow, admitted by the current rules (a tracked connection was created).
    Rule,
    /// Part of (or an ICMP error related to) a tracked connection: allowed whatever the
    /// rules now say.
    TrackedConnection,
    /// A packet of an untracked flow, admitted by the current rules.
    Untracked,
    /// No rule admits it and no connection covers it.
    NoMatchingRule,
    /// Its connection timed out, and no rule admits it.
    Expired,
    /// Admitted by a rule, but the interface's connection table is full
    /// (`conntrack_allowance_exceeded`).
    TableFull,
}

impl FlowReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rule => "rule",
            Self::TrackedConnection => "tracked connection",
            Self::Untracked => "untracked",
            Self::NoMatchingRule => "no matching rule",
            Self::Expired => "expired",
            Self::TableFull => "table full",
        }
    }
}

impl fmt::Display for FlowReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The answer for one packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowVerdict {
    pub verdict: Verdict,
    pub reason: FlowReason,
    /// The rules that admitted it, when rules were consulted (sorted, as in `Decision`).
    pub matches: Vec<RuleMatch>,
    /// True for an ICMP error allowed because it quotes a tracked connection.
    pub related: bool,
}

impl FlowVerdict {
    pub(crate) fn new(verdict: Verdict, reason: FlowReason, matches: Vec<RuleMatch>) -> Self {
        Self {
            verdict,
            reason,
            matches,
            related: false,
        }
    }
}

/// A packet the flow table cannot judge.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FlowError {
    #[error("unknown network interface {0}")]
    UnknownInterface(EniId),
    #[error("local address {local} and remote address {remote} are of different families")]
    MixedFamilies { local: IpAddr, remote: IpAddr },
}

impl FlowPacket {
    /// The stateless engine's view: the remote address and the destination port the rules
    /// of this direction match.
    pub fn to_packet(&self) -> Packet {
        Packet {
            interface: self.interface.clone(),
            direction: self.direction,
            remote: self.remote,
            payload: self.payload(),
        }
    }

    /// The payload rules match: the destination port is the local port for ingress and the
    /// remote port for egress.
    pub fn payload(&self) -> Payload {
        let dst = |local_port: u16, remote_port: u16| match self.direction {
            Direction::Ingress => local_port,
            Direction::Egress => remote_port,
        };
        match self.transport {
            Transport::Tcp {
                local_port,
                remote_port,
                ..
            } => Payload::Tcp {
                dst_port: dst(local_port, remote_port),
            },
            Transport::Udp {
                local_port,
                remote_port,
            } => Payload::Udp {
                dst_port: dst(local_port, remote_port),
            },
            Transport::Icmp {
                icmp_type, code, ..
            } if self.remote.is_ipv6() => Payload::Icmpv6 { icmp_type, code },
            Transport::Icmp {
                icmp_type, code, ..
            } => Payload::Icmp { icmp_type, code },
            Transport::Other(n) => Payload::Other(n),
        }
    }
}
