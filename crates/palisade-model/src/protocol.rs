//! Protocols, port ranges and ICMP type/code matches, normalised as EC2 does.
//!
//! EC2 accepts `-1`, the names `tcp`/`udp`/`icmp`/`icmpv6` (any case) and numbers 0–255;
//! `all` is not a protocol (botocore model, `IpPermission.IpProtocol`). Ports are ignored for
//! `-1` and for numbers other than tcp/udp/icmp/icmpv6: such rules allow all ports.

use std::fmt;

use crate::error::{Ec2ErrorCode, RuleError};

/// An IP protocol as EC2 rules name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// `-1`: every protocol.
    All,
    Tcp,
    Udp,
    Icmp,
    Icmpv6,
    /// Any other IANA protocol number (never 1, 6, 17 or 58).
    Number(u8),
}

impl Protocol {
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const ICMP: u8 = 1;
    pub const ICMPV6: u8 = 58;

    /// Parses what a user or an AWS client sends in `IpProtocol`.
    pub fn parse(s: &str) -> Result<Self, RuleError> {
        let lower = s.trim().to_ascii_lowercase();
        let res = match lower.as_str() {
            "-1" => Some(Self::All),
            "tcp" => Some(Self::Tcp),
            "udp" => Some(Self::Udp),
            "icmp" => Some(Self::Icmp),
            "icmpv6" => Some(Self::Icmpv6),
            num => num.parse::<u8>().ok().map(Self::from_number),
        };
        res.ok_or_else(|| {
            RuleError::new(
                Ec2ErrorCode::InvalidParameterValue,
                format!("Invalid value '{s}' for IP protocol. Unknown protocol."),
            )
        })
    }

    /// The protocol for an IANA number.
    pub fn from_number(n: u8) -> Self {
        match n {
            Self::TCP => Self::Tcp,
            Self::UDP => Self::Udp,
            Self::ICMP => Self::Icmp,
            Self::ICMPV6 => Self::Icmpv6,
            n => Self::Number(n),
        }
    }

    /// The IANA number, `None` for `-1`.
    pub fn number(self) -> Option<u8> {
        match self {
            Self::All => None,
            Self::Tcp => Some(Self::TCP),
            Self::Udp => Some(Self::UDP),
            Self::Icmp => Some(Self::ICMP),
            Self::Icmpv6 => Some(Self::ICMPV6),
            Self::Number(n) => Some(n),
        }
    }

    /// EC2's stored form: `-1`, `tcp`, `udp`, `icmp`, `icmpv6` or the number.
    pub fn aws_name(self) -> String {
        match self {
            Self::All => "-1".into(),
            Self::Tcp => "tcp".into(),
            Self::Udp => "udp".into(),
            Self::Icmp => "icmp".into(),
            Self::Icmpv6 => "icmpv6".into(),
            Self::Number(n) => n.to_string(),
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.aws_name())
    }
}

/// An inclusive TCP/UDP port range, `from <= to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortRange {
    from: u16,
    to: u16,
}

impl PortRange {
    pub const ALL: Self = Self { from: 0, to: 65535 };

    pub fn new(from: u16, to: u16) -> Result<Self, RuleError> {
        if from > to {
            return Err(RuleError::new(
                Ec2ErrorCode::InvalidParameterValue,
                format!(
                    "Invalid value for portRange. The from port ({from}) must not be greater than the to port ({to})."
                ),
            ));
        }
        Ok(Self { from, to })
    }

    pub fn single(port: u16) -> Self {
        Self {
            from: port,
            to: port,
        }
    }

    pub fn from(self) -> u16 {
        self.from
    }
    pub fn to(self) -> u16 {
        self.to
    }
    pub fn contains(self, port: u16) -> bool {
        self.from <= port && port <= self.to
    }
    pub fn covers(self, other: Self) -> bool {
        self.from <= other.from && other.to <= self.to
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from)
        } else {
            write!(f, "{}-{}", self.from, self.to)
        }
    }
}

/// An ICMP or ICMPv6 match: a type and a code, `None` meaning any (EC2's `-1`).
/// Any type implies any code (botocore: "If the start port is -1 (all ICMP types), then the
/// end port must be -1").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IcmpMatch {
    icmp_type: Option<u8>,
    code: Option<u8>,
}

impl IcmpMatch {
    pub const ANY: Self = Self {
        icmp_type: None,
        code: None,
    };

    pub fn new(icmp_type: Option<u8>, code: Option<u8>) -> Result<Self, RuleError> {
        if icmp_type.is_none() && code.is_some() {
            return Err(RuleError::new(
                Ec2ErrorCode::InvalidParameterValue,
                "Invalid value for portRange. ICMP code must be -1 when the ICMP type is -1.",
            ));
        }
        Ok(Self { icmp_type, code })
    }

    pub fn icmp_type(self) -> Option<u8> {
        self.icmp_type
    }
    pub fn code(self) -> Option<u8> {
        self.code
    }
    pub fn matches(self, icmp_type: u8, code: u8) -> bool {
        self.icmp_type.is_none_or(|t| t == icmp_type) && self.code.is_none_or(|c| c == code)
    }
    pub fn covers(self, other: Self) -> bool {
        match (self.icmp_type, other.icmp_type) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(a), Some(b)) => a == b && (self.code.is_none() || self.code == other.code),
        }
    }
    /// EC2's (FromPort, ToPort) encoding: type and code, -1 for any.
    pub fn as_ports(self) -> (i32, i32) {
        (
            self.icmp_type.map_or(-1, i32::from),
            self.code.map_or(-1, i32::from),
        )
    }
}

/// What traffic a rule admits: protocol plus ports or ICMP type/code, normalised so that
/// ignored fields cannot be represented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Traffic {
    /// Protocol `-1`: everything.
    All,
    Tcp(PortRange),
    Udp(PortRange),
    Icmp(IcmpMatch),
    Icmpv6(IcmpMatch),
    /// Another protocol number: all of its traffic (EC2 ignores ports here).
    Protocol(u8),
}

impl Traffic {
    /// Builds the traffic of a rule from EC2's `IpProtocol`, `FromPort` and `ToPort`, with
    /// EC2's validation and normalisation.
    pub fn parse(protocol: &str, from: Option<i64>, to: Option<i64>) -> Result<Self, RuleError> {
        Self::from_parts(Protocol::parse(protocol)?, from, to)
    }

    pub fn from_parts(
        protocol: Protocol,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Self, RuleError> {
        match protocol {
            Protocol::All => Ok(Self::All),
            Protocol::Number(n) => Ok(Self::Protocol(n)),
            Protocol::Tcp => Ok(Self::Tcp(port_range(from, to)?)),
            Protocol::Udp => Ok(Self::Udp(port_range(from, to)?)),
            Protocol::Icmp => Ok(Self::Icmp(icmp_match(from, to, "ICMP")?)),
            // "For icmpv6, the port range is optional; if you omit the port range, traffic for
            // all types and codes is allowed" (botocore model, IpPermission.FromPort).
            Protocol::Icmpv6 if from.is_none() && to.is_none() => Ok(Self::Icmpv6(IcmpMatch::ANY)),
            Protocol::Icmpv6 => Ok(Self::Icmpv6(icmp_match(from, to, "ICMPv6")?)),
        }
    }

    pub fn protocol(self) -> Protocol {
        match self {
            Self::All => Protocol::All,
            Self::Tcp(_) => Protocol::Tcp,
            Self::Udp(_) => Protocol::Udp,
            Self::Icmp(_) => Protocol::Icmp,
            Self::Icmpv6(_) => Protocol::Icmpv6,
            Self::Protocol(n) => Protocol::Number(n),
        }
    }

    /// EC2's (FromPort, ToPort) for this traffic; `None` where EC2 omits them (`-1` and other
    /// protocol numbers in DescribeSecurityGroups).
    pub fn ports(self) -> Option<(i32, i32)> {
        match self {
            Self::All | Self::Protocol(_) => None,
            Self::Tcp(r) | Self::Udp(r) => Some((i32::from(r.from), i32::from(r.to))),
            Self::Icmp(m) | Self::Icmpv6(m) => Some(m.as_ports()),
        }
    }

    /// True when every packet this admits, `self` admits too.
    pub fn covers(self, other: Self) -> bool {
        match (self, other) {
            (Self::All, _) => true,
            (Self::Tcp(a), Self::Tcp(b)) | (Self::Udp(a), Self::Udp(b)) => a.covers(b),
            (Self::Icmp(a), Self::Icmp(b)) | (Self::Icmpv6(a), Self::Icmpv6(b)) => a.covers(b),
            (Self::Protocol(a), Self::Protocol(b)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Display for Traffic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::All => f.write_str("all traffic"),
            Self::Tcp(r) if *r == PortRange::ALL => f.write_str("tcp/all ports"),
            Self::Udp(r) if *r == PortRange::ALL => f.write_str("udp/all ports"),
            Self::Tcp(r) => write!(f, "tcp/{r}"),
            Self::Udp(r) => write!(f, "udp/{r}"),
            Self::Icmp(m) => write_icmp(f, "icmp", *m),
            Self::Icmpv6(m) => write_icmp(f, "icmpv6", *m),
            Self::Protocol(n) => write!(f, "protocol {n}"),
        }
    }
}

fn write_icmp(f: &mut fmt::Formatter<'_>, name: &str, m: IcmpMatch) -> fmt::Result {
    match (m.icmp_type, m.code) {
        (None, _) => write!(f, "{name}/all types"),
        (Some(t), None) => write!(f, "{name} type {t}"),
        (Some(t), Some(c)) => write!(f, "{name} type {t} code {c}"),
    }
}

fn port_range(from: Option<i64>, to: Option<i64>) -> Result<PortRange, RuleError> {
    let (Some(from), Some(to)) = (from, to) else {
        return Err(RuleError::new(
            Ec2ErrorCode::InvalidParameterValue,
            "Invalid value for portRange. Must specify both from and to ports with TCP/UDP.",
        ));
    };
    let check = |which: &str, port: i64| {
        u16::try_from(port).map_err(|_| {
            RuleError::new(
                Ec2ErrorCode::InvalidParameterValue,
                format!("TCP/UDP ({which}) port ({port}) out of range"),
            )
        })
    };
    PortRange::new(check("from", from)?, check("to", to)?)
}

fn icmp_match(from: Option<i64>, to: Option<i64>, name: &str) -> Result<IcmpMatch, RuleError> {
    let (Some(icmp_type), Some(code)) = (from, to) else {
        return Err(RuleError::new(
            Ec2ErrorCode::InvalidParameterValue,
            format!(
                "Invalid value for portRange. Must specify both ICMP type and code with {name} (-1 for any)."
            ),
        ));
    };
    let check = |which: &str, v: i64| -> Result<Option<u8>, RuleError> {
        if v == -1 {
            return Ok(None);
        }
        u8::try_from(v).map(Some).map_err(|_| {
            RuleError::new(
                Ec2ErrorCode::InvalidParameterValue,
                format!("{name} {which} ({v}) out of range"),
            )
        })
    };
    IcmpMatch::new(check("type", icmp_type)?, check("code", code)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_err(proto: &str, from: Option<i64>, to: Option<i64>, code: Ec2ErrorCode) {
        let err = Traffic::parse(proto, from, to).unwrap_err();
        assert_eq!(err.code(), code, "{err}");
    }

    #[track_caller]
    fn check_ok(proto: &str, from: Option<i64>, to: Option<i64>, expect: &str) {
        let t = Traffic::parse(proto, from, to).unwrap();
        assert_eq!(t.to_string(), expect);
    }

    #[test]
    fn protocols_normalise() {
        check_ok("TCP", Some(22), Some(22), "tcp/22");
        check_ok("6", Some(80), Some(443), "tcp/80-443");
        check_ok("17", Some(53), Some(53), "udp/53");
        check_ok("-1", Some(0), Some(0), "all traffic");
        check_ok("1", Some(8), Some(-1), "icmp type 8");
        check_ok("icmpv6", None, None, "icmpv6/all types");
        check_ok("58", Some(128), Some(0), "icmpv6 type 128 code 0");
        check_ok("47", Some(5), Some(9), "protocol 47");
        check_ok("0", None, None, "protocol 0");
    }

    #[test]
    fn protocols_reject() {
        use Ec2ErrorCode::InvalidParameterValue as Ipv;
        check_err("all", None, None, Ipv);
        check_err("256", None, None, Ipv);
        check_err("foo", None, None, Ipv);
        check_err("tcp", None, None, Ipv);
        check_err("tcp", Some(22), None, Ipv);
        check_err("tcp", Some(-1), Some(22), Ipv);
        check_err("udp", Some(1), Some(70000), Ipv);
        check_err("tcp", Some(100), Some(10), Ipv);
        check_err("icmp", Some(-1), Some(0), Ipv);
        check_err("icmp", Some(256), Some(0), Ipv);
        check_err("icmp", Some(8), Some(-2), Ipv);
        check_err("icmp", None, None, Ipv);
    }

    #[test]
    fn coverage() {
        let t = |p, f, to| Traffic::parse(p, Some(f), Some(to)).unwrap();
        assert!(t("tcp", 0, 65535).covers(t("tcp", 22, 22)));
        assert!(!t("tcp", 0, 65535).covers(t("udp", 22, 22)));
        assert!(Traffic::All.covers(t("icmp", 8, 0)));
        assert!(t("icmp", 8, -1).covers(t("icmp", 8, 0)));
        assert!(!t("icmp", 8, 0).covers(t("icmp", 8, -1)));
    }
}
