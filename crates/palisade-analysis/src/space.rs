//! The spaces analyses work in: traffic as one integer key, and addresses as interval sets
//! per family.
//!
//! A traffic key is `protocol << 16 | sub`, where `sub` is the TCP/UDP destination port,
//! `type << 8 | code` for ICMP and ICMPv6, and anything for other protocols (EC2 ignores
//! ports there). Every rule's traffic is then one interval of keys — `-1` is the whole space —
//! so "which traffic" questions are interval algebra. Addresses are `u32` (IPv4) and `u128`
//! (IPv6) intervals; the families never mix.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use palisade_engine::Payload;
use palisade_model::{AddressFamily, Protocol, Traffic};

use crate::ranges::IntervalSet;

/// The largest traffic key (protocol 255, sub 65535).
pub const KEY_MAX: u32 = 0x00FF_FFFF;

/// A set of traffic (protocol and port / ICMP type-code) as key intervals.
pub type TrafficSet = IntervalSet<u32>;

/// The key interval a rule's traffic covers.
pub fn traffic_keys(traffic: Traffic) -> (u32, u32) {
    let proto = |n: u8| u32::from(n) << 16;
    match traffic {
        Traffic::All => (0, KEY_MAX),
        Traffic::Tcp(r) => (
            proto(Protocol::TCP) | u32::from(r.from()),
            proto(Protocol::TCP) | u32::from(r.to()),
        ),
        Traffic::Udp(r) => (
            proto(Protocol::UDP) | u32::from(r.from()),
            proto(Protocol::UDP) | u32::from(r.to()),
        ),
        Traffic::Icmp(m) => icmp_keys(proto(Protocol::ICMP), m.icmp_type(), m.code()),
        Traffic::Icmpv6(m) => icmp_keys(proto(Protocol::ICMPV6), m.icmp_type(), m.code()),
        Traffic::Protocol(n) => (proto(n), proto(n) | 0xFFFF),
    }
}

fn icmp_keys(base: u32, icmp_type: Option<u8>, code: Option<u8>) -> (u32, u32) {
    match (icmp_type, code) {
        (None, _) => (base, base | 0xFFFF),
        (Some(t), None) => (base | u32::from(t) << 8, base | u32::from(t) << 8 | 0xFF),
        (Some(t), Some(c)) => {
            let k = base | u32::from(t) << 8 | u32::from(c);
            (k, k)
        }
    }
}

/// The key of one packet's payload. `Other(n)` for n in {1, 6, 17, 58} has no key (EC2 has
/// no such packet: those numbers are always parsed as their protocol).
pub fn payload_key(payload: Payload) -> Option<u32> {
    let proto = |n: u8| u32::from(n) << 16;
    match payload {
        Payload::Tcp { dst_port } => Some(proto(Protocol::TCP) | u32::from(dst_port)),
        Payload::Udp { dst_port } => Some(proto(Protocol::UDP) | u32::from(dst_port)),
        Payload::Icmp { icmp_type, code } => {
            Some(proto(Protocol::ICMP) | u32::from(icmp_type) << 8 | u32::from(code))
        }
        Payload::Icmpv6 { icmp_type, code } => {
            Some(proto(Protocol::ICMPV6) | u32::from(icmp_type) << 8 | u32::from(code))
        }
        Payload::Other(Protocol::ICMP | Protocol::TCP | Protocol::UDP | Protocol::ICMPV6) => None,
        Payload::Other(n) => Some(proto(n)),
    }
}

/// A representative payload for a key (the inverse of [`payload_key`]).
pub fn key_payload(key: u32) -> Payload {
    let proto = u8::try_from(key >> 16).unwrap_or(u8::MAX);
    let sub = u16::try_from(key & 0xFFFF).unwrap_or(u16::MAX);
    let [t, c] = sub.to_be_bytes();
    match proto {
        Protocol::TCP => Payload::Tcp { dst_port: sub },
        Protocol::UDP => Payload::Udp { dst_port: sub },
        Protocol::ICMP => Payload::Icmp {
            icmp_type: t,
            code: c,
        },
        Protocol::ICMPV6 => Payload::Icmpv6 {
            icmp_type: t,
            code: c,
        },
        n => Payload::Other(n),
    }
}

/// Human text for a key interval, split by protocol: `tcp/22`, `udp/all ports`,
/// `icmp type 8`, `protocol 47`, `all traffic`.
pub fn describe_keys(lo: u32, hi: u32) -> Vec<String> {
    if lo == 0 && hi >= KEY_MAX {
        return vec!["all traffic".into()];
    }
    let mut out = Vec::new();
    let mut cur = lo;
    while cur <= hi {
        let proto = cur >> 16;
        let end = hi.min(proto << 16 | 0xFFFF);
        let (s, e) = (cur & 0xFFFF, end & 0xFFFF);
        let full = s == 0 && e == 0xFFFF;
        let p = u8::try_from(proto).unwrap_or(u8::MAX);
        match p {
            Protocol::TCP | Protocol::UDP => {
                let name = if p == Protocol::TCP { "tcp" } else { "udp" };
                out.push(match (full, s == e) {
                    (true, _) => format!("{name}/all ports"),
                    (false, true) => format!("{name}/{s}"),
                    (false, false) => format!("{name}/{s}-{e}"),
                });
            }
            Protocol::ICMP | Protocol::ICMPV6 => {
                let name = if p == Protocol::ICMP {
                    "icmp"
                } else {
                    "icmpv6"
                };
                out.extend(describe_icmp(name, s, e));
            }
            _ if full => {
                // Collapse a run of whole other protocols.
                let mut last = proto;
                while (last + 1) << 16 | 0xFFFF <= hi
                    && !matches!(last + 1, 1 | 6 | 17 | 58)
                    && !matches!(proto, 1 | 6 | 17 | 58)
                {
                    last += 1;
                }
                if last == proto {
                    out.push(format!("protocol {proto}"));
                } else {
                    out.push(format!("protocols {proto}-{last}"));
                }
                cur = (last << 16 | 0xFFFF) + 1;
                continue;
            }
            _ => out.push(format!("protocol {proto}")),
        }
        cur = end + 1;
    }
    out
}

fn describe_icmp(name: &str, s: u32, e: u32) -> Vec<String> {
    if s == 0 && e == 0xFFFF {
        return vec![format!("{name}/all types")];
    }
    let (ts, cs, te, ce) = (s >> 8, s & 0xFF, e >> 8, e & 0xFF);
    if ts == te {
        return vec![match (cs, ce) {
            (0, 0xFF) => format!("{name} type {ts}"),
            _ if cs == ce => format!("{name} type {ts} code {cs}"),
            _ => format!("{name} type {ts} codes {cs}-{ce}"),
        }];
    }
    let mut out = Vec::new();
    let mut first_full = ts;
    if cs != 0 {
        out.push(format!("{name} type {ts} codes {cs}-255"));
        first_full = ts + 1;
    }
    let last_full = if ce == 0xFF { te } else { te - 1 };
    if first_full == last_full {
        out.push(format!("{name} type {first_full}"));
    } else if first_full < last_full {
        out.push(format!("{name} types {first_full}-{last_full}"));
    }
    if ce != 0xFF {
        out.push(format!("{name} type {te} codes 0-{ce}"));
    }
    out
}

/// Describes every interval of a traffic set, comma-separated.
pub fn describe_traffic(set: &TrafficSet) -> String {
    let parts: Vec<String> = set
        .ranges()
        .iter()
        .flat_map(|&(lo, hi)| describe_keys(lo, hi))
        .collect();
    if parts.is_empty() {
        "nothing".into()
    } else {
        parts.join(", ")
    }
}

/// Addresses of both families.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddrSet {
    pub v4: IntervalSet<u32>,
    pub v6: IntervalSet<u128>,
}

impl AddrSet {
    pub fn empty() -> Self {
        Self::default()
    }

    pub fn everything() -> Self {
        Self {
            v4: IntervalSet::full(),
            v6: IntervalSet::full(),
        }
    }

    pub fn from_net(net: IpNet) -> Self {
        match net {
            IpNet::V4(n) => Self {
                v4: v4_net(n),
                v6: IntervalSet::empty(),
            },
            IpNet::V6(n) => Self {
                v4: IntervalSet::empty(),
                v6: v6_net(n),
            },
        }
    }

    pub fn from_nets(nets: impl IntoIterator<Item = IpNet>) -> Self {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for net in nets {
            match net {
                IpNet::V4(n) => v4.push(v4_bounds(n)),
                IpNet::V6(n) => v6.push(v6_bounds(n)),
            }
        }
        Self {
            v4: IntervalSet::from_ranges(v4),
            v6: IntervalSet::from_ranges(v6),
        }
    }

    pub fn from_addrs(addrs: impl IntoIterator<Item = IpAddr>) -> Self {
        Self::from_nets(addrs.into_iter().map(IpNet::from))
    }

    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        match addr {
            IpAddr::V4(a) => self.v4.contains(u32::from(a)),
            IpAddr::V6(a) => self.v6.contains(u128::from(a)),
        }
    }

    pub fn intersects(&self, other: &Self) -> bool {
        self.v4.intersects(&other.v4) || self.v6.intersects(&other.v6)
    }

    pub fn intersect(&self, other: &Self) -> Self {
        Self {
            v4: self.v4.intersect(&other.v4),
            v6: self.v6.intersect(&other.v6),
        }
    }

    pub fn union(&self, other: &Self) -> Self {
        Self {
            v4: self.v4.union(&other.v4),
            v6: self.v6.union(&other.v6),
        }
    }

    pub fn union_in_place(&mut self, other: &Self) {
        self.v4.union_in_place(&other.v4);
        self.v6.union_in_place(&other.v6);
    }

    pub fn difference(&self, other: &Self) -> Self {
        Self {
            v4: self.v4.difference(&other.v4),
            v6: self.v6.difference(&other.v6),
        }
    }

    pub fn covers(&self, other: &Self) -> bool {
        self.v4.covers(&other.v4) && self.v6.covers(&other.v6)
    }

    /// Only the addresses of one family.
    pub fn family(&self, family: AddressFamily) -> Self {
        match family {
            AddressFamily::Ipv4 => Self {
                v4: self.v4.clone(),
                v6: IntervalSet::empty(),
            },
            AddressFamily::Ipv6 => Self {
                v4: IntervalSet::empty(),
                v6: self.v6.clone(),
            },
        }
    }

    /// The smallest list of CIDRs whose union is this set, IPv4 first.
    pub fn to_cidrs(&self) -> Vec<IpNet> {
        let mut out = Vec::new();
        for &(lo, hi) in self.v4.ranges() {
            split_range(u128::from(lo), u128::from(hi), 32, &mut |base, len| {
                let addr = Ipv4Addr::from(u32::try_from(base).unwrap_or(u32::MAX));
                out.push(IpNet::V4(
                    Ipv4Net::new(addr, len).expect("prefix length ≤ 32 by construction"),
                ));
            });
        }
        for &(lo, hi) in self.v6.ranges() {
            split_range(lo, hi, 128, &mut |base, len| {
                out.push(IpNet::V6(
                    Ipv6Net::new(Ipv6Addr::from(base), len)
                        .expect("prefix length ≤ 128 by construction"),
                ));
            });
        }
        out
    }

    /// Short text: up to `max` CIDRs, then "and N more".
    pub fn describe(&self, max: usize) -> String {
        let cidrs = self.to_cidrs();
        if cidrs.is_empty() {
            return "no address".into();
        }
        let mut parts: Vec<String> = cidrs.iter().take(max).map(ToString::to_string).collect();
        if cidrs.len() > max {
            parts.push(format!("and {} more", cidrs.len() - max));
        }
        parts.join(", ")
    }
}

fn v4_bounds(n: Ipv4Net) -> (u32, u32) {
    (u32::from(n.network()), u32::from(n.broadcast()))
}

fn v6_bounds(n: Ipv6Net) -> (u128, u128) {
    (u128::from(n.network()), u128::from(n.broadcast()))
}

fn v4_net(n: Ipv4Net) -> IntervalSet<u32> {
    let (lo, hi) = v4_bounds(n);
    IntervalSet::single(lo, hi)
}

fn v6_net(n: Ipv6Net) -> IntervalSet<u128> {
    let (lo, hi) = v6_bounds(n);
    IntervalSet::single(lo, hi)
}

/// Splits `lo..=hi` (in a `bits`-wide space) into aligned prefixes.
fn split_range(lo: u128, hi: u128, bits: u8, emit: &mut dyn FnMut(u128, u8)) {
    let mut cur = lo;
    loop {
        // Largest block aligned at `cur` that fits before `hi`.
        let mut size_log: u32 = if cur == 0 {
            u32::from(bits)
        } else {
            cur.trailing_zeros().min(u32::from(bits))
        };
        while size_log > 0 {
            let last = if size_log >= 128 {
                u128::MAX
            } else {
                cur + ((1u128 << size_log) - 1)
            };
            if last <= hi && last >= cur {
                break;
            }
            size_log -= 1;
        }
        let len = bits - u8::try_from(size_log).unwrap_or(bits);
        emit(cur, len);
        let last = if size_log >= 128 {
            u128::MAX
        } else {
            cur + ((1u128 << size_log) - 1)
        };
        if last >= hi {
            return;
        }
        cur = last + 1;
    }
}

/// Addresses that are never on the internet whatever the VPCs: RFC 1918, RFC 6598 shared
/// space, "this network", loopback, link-local, multicast and reserved (RFC 6890), and for
/// IPv6 unspecified, loopback, IPv4-mapped, unique-local, link-local and multicast
/// (RFC 4291, RFC 4193). Documentation ranges stay public: they stand for public addresses.
pub fn non_internet() -> AddrSet {
    let nets = [
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "::ffff:0:0/96",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    ];
    AddrSet::from_nets(
        nets.iter()
            .map(|s| s.parse::<IpNet>().expect("literal CIDR is valid")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_traffic(proto: &str, from: Option<i64>, to: Option<i64>, expect: &str) {
        let t = Traffic::parse(proto, from, to).unwrap();
        let (lo, hi) = traffic_keys(t);
        assert_eq!(describe_keys(lo, hi).join(", "), expect);
    }

    #[test]
    fn keys_round_trip_to_text() {
        check_traffic("tcp", Some(22), Some(22), "tcp/22");
        check_traffic("udp", Some(0), Some(65535), "udp/all ports");
        check_traffic("tcp", Some(1000), Some(2000), "tcp/1000-2000");
        check_traffic("icmp", Some(8), Some(-1), "icmp type 8");
        check_traffic("icmpv6", Some(128), Some(0), "icmpv6 type 128 code 0");
        check_traffic("icmp", Some(-1), Some(-1), "icmp/all types");
        check_traffic("47", None, None, "protocol 47");
        check_traffic("-1", None, None, "all traffic");
        assert_eq!(
            describe_keys(0x01_0305, 0x01_0A02).join(", "),
            "icmp type 3 codes 5-255, icmp types 4-9, icmp type 10 codes 0-2"
        );
        assert_eq!(
            describe_keys(7 << 16, (16 << 16) | 0xFFFF).join(", "),
            "protocols 7-16"
        );
    }

    #[test]
    fn payload_keys_match_rule_keys() {
        for key in [0x06_0016, 0x11_0035, 0x01_0800, 0x3A_8000, 0x2F_0000] {
            assert_eq!(payload_key(key_payload(key)), Some(key));
        }
    }

    #[test]
    fn cidr_split() {
        let s = AddrSet::from_nets(["0.0.0.0/1".parse().unwrap(), "128.0.0.0/1".parse().unwrap()]);
        assert_eq!(s.describe(5), "0.0.0.0/0");
        let s = AddrSet::from_nets([
            "10.0.0.1/32".parse().unwrap(),
            "10.0.0.2/31".parse().unwrap(),
        ]);
        assert_eq!(s.describe(5), "10.0.0.1/32, 10.0.0.2/31");
        assert_eq!(AddrSet::everything().describe(5), "0.0.0.0/0, ::/0");
    }
}
