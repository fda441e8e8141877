//! The event format of `palisade eval --trace`: one JSON object a line, parsed into a packet
//! for the stateful engine ([`FlowPacket`]), a configuration change, or a conntrack limit.
//!
//! Events, times (`t`, seconds) non-decreasing (the replay checks that, not the parser):
//! - packet: `interface`, `direction` (ingress|egress), `protocol` (tcp, udp, icmp, icmpv6 or
//!   a number), `src`, `dst`, and `src_port`/`dst_port` (tcp, udp), `tcp_flags` (S, SA, A,
//!   PA, F, FA, R; default A), `icmp_type`/`icmp_code` (icmp, icmpv6; code default 0). An
//!   ingress packet's remote is `src` and local `dst`; egress the reverse;
//! - configuration: `action` (authorize-ingress, revoke-ingress, authorize-egress,
//!   revoke-egress), `group_id`, `ip_permissions` (AWS `IpPermissions` JSON, handed on as JSON
//!   for `palisade_ec2` to convert);
//! - extension: `{"t":…,"action":"set-conntrack-limit","limit":N}` sets the per-interface
//!   tracked-connection limit.
//!
//! Pure: it parses the text it is handed, one line at a time; it never reads a file, the
//! clock or the environment, and never replays anything (the binary's `cmd/trace.rs` does).

use std::net::IpAddr;

use palisade_engine::flow::{FlowPacket, TcpFlags, Transport};
use palisade_model::{Direction, EniId, GroupId, IdError, Timestamp};
use serde::Deserialize;
use thiserror::Error;

/// Why a trace line was refused. The messages name the field, as `palisade eval --trace`
/// prints them after the line number.
#[derive(Debug, Error)]
pub enum TraceError {
    /// Not JSON, or not an object of the known fields.
    #[error("malformed event")]
    Malformed(#[source] serde_json::Error),
    #[error("t: {0} is not a non-negative number of seconds")]
    Time(serde_json::Number),
    /// An id field that does not parse (`interface`, `group_id`).
    #[error("{field}: {value}")]
    Id {
        field: &'static str,
        value: String,
        #[source]
        source: IdError,
    },
    /// A missing, unknown or contradictory field.
    #[error("{0}")]
    Invalid(String),
}

/// One parsed line: its time, and the rest of it to be turned into an [`Event`].
///
/// The two steps are separate so that a replay can refuse a line whose time goes backwards
/// before it looks at what the line asks for.
#[derive(Debug)]
pub struct TraceLine {
    at: Timestamp,
    raw: RawEvent,
}

/// What a line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Packet(FlowPacket),
    Change {
        group_id: GroupId,
        direction: Direction,
        authorize: bool,
        /// AWS `IpPermissions` JSON (an array, or one permission object).
        permissions: serde_json::Value,
    },
    SetLimit(u32),
}

/// Parses one line's JSON and its time `t`.
pub fn parse_line(line: &str) -> Result<TraceLine, TraceError> {
    let raw: RawEvent = serde_json::from_str(line).map_err(TraceError::Malformed)?;
    let at = raw
        .t
        .as_f64()
        .and_then(Timestamp::from_secs_f64)
        .ok_or_else(|| TraceError::Time(raw.t.clone()))?;
    Ok(TraceLine { at, raw })
}

impl TraceLine {
    /// `t` as written, to be echoed in the output unchanged.
    pub fn t(&self) -> &serde_json::Number {
        &self.raw.t
    }

    /// `t` as an instant.
    pub fn at(&self) -> Timestamp {
        self.at
    }

    /// What the line asks for.
    pub fn event(&self) -> Result<Event, TraceError> {
        parse_event(&self.raw)
    }
}

/// One line of the trace, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    t: serde_json::Number,
    interface: Option<String>,
    direction: Option<String>,
    protocol: Option<serde_json::Value>,
    src: Option<IpAddr>,
    src_port: Option<u16>,
    dst: Option<IpAddr>,
    dst_port: Option<u16>,
    tcp_flags: Option<String>,
    icmp_type: Option<u8>,
    icmp_code: Option<u8>,
    action: Option<String>,
    group_id: Option<String>,
    ip_permissions: Option<serde_json::Value>,
    limit: Option<u32>,
}

fn invalid(message: impl Into<String>) -> TraceError {
    TraceError::Invalid(message.into())
}

fn required<T>(value: Option<T>, message: &str) -> Result<T, TraceError> {
    value.ok_or_else(|| invalid(message))
}

fn parse_id<T>(field: &'static str, value: &str) -> Result<T, TraceError>
where
    T: std::str::FromStr<Err = IdError>,
{
    value.parse().map_err(|source| TraceError::Id {
        field,
        value: value.to_owned(),
        source,
    })
}

fn parse_event(raw: &RawEvent) -> Result<Event, TraceError> {
    let Some(action) = &raw.action else {
        return parse_packet(raw).map(Event::Packet);
    };
    let packet_field = raw.interface.is_some()
        || raw.direction.is_some()
        || raw.protocol.is_some()
        || raw.src.is_some()
        || raw.dst.is_some();
    if packet_field {
        return Err(invalid(
            "an event is either a packet or a configuration change, not both",
        ));
    }
    if action == "set-conntrack-limit" {
        return required(raw.limit, "set-conntrack-limit needs limit").map(Event::SetLimit);
    }
    let (direction, authorize) = match action.as_str() {
        "authorize-ingress" => (Direction::Ingress, true),
        "revoke-ingress" => (Direction::Ingress, false),
        "authorize-egress" => (Direction::Egress, true),
        "revoke-egress" => (Direction::Egress, false),
        other => {
            return Err(invalid(format!(
                "action: unknown '{other}' (expected authorize-ingress, revoke-ingress, authorize-egress, revoke-egress)"
            )));
        }
    };
    let group_id = required(raw.group_id.as_deref(), "group_id is required")?;
    let group_id: GroupId = parse_id("group_id", group_id)?;
    let permissions = required(raw.ip_permissions.clone(), "ip_permissions is required")?;
    Ok(Event::Change {
        group_id,
        direction,
        authorize,
        permissions,
    })
}

fn parse_packet(raw: &RawEvent) -> Result<FlowPacket, TraceError> {
    let interface = required(raw.interface.as_deref(), "interface is required")?;
    let interface: EniId = parse_id("interface", interface)?;
    let direction = match required(raw.direction.as_deref(), "direction is required")? {
        "ingress" => Direction::Ingress,
        "egress" => Direction::Egress,
        other => {
            return Err(invalid(format!(
                "direction: unknown '{other}' (expected ingress or egress)"
            )));
        }
    };
    let src = required(raw.src, "src is required")?;
    let dst = required(raw.dst, "dst is required")?;
    if src.is_ipv4() != dst.is_ipv4() {
        return Err(invalid(format!(
            "src {src} and dst {dst} are of different address families"
        )));
    }
    let (local, remote) = match direction {
        Direction::Ingress => (dst, src),
        Direction::Egress => (src, dst),
    };
    let protocol = protocol_number(required(raw.protocol.as_ref(), "protocol is required")?)?;
    let has_ports = raw.src_port.is_some() || raw.dst_port.is_some();
    let has_icmp = raw.icmp_type.is_some() || raw.icmp_code.is_some();
    if raw.tcp_flags.is_some() && protocol != 6 {
        return Err(invalid("tcp_flags applies to tcp only"));
    }
    let ports = || -> Result<(u16, u16), TraceError> {
        if has_icmp {
            return Err(invalid("icmp_type/icmp_code apply to icmp and icmpv6 only"));
        }
        let src_port = required(raw.src_port, "src_port is required for tcp and udp")?;
        let dst_port = required(raw.dst_port, "dst_port is required for tcp and udp")?;
        Ok(match direction {
            Direction::Ingress => (dst_port, src_port),
            Direction::Egress => (src_port, dst_port),
        })
    };
    let transport = match protocol {
        6 => {
            let (local_port, remote_port) = ports()?;
            let flags = match raw.tcp_flags.as_deref() {
                None => TcpFlags::ACK,
                Some(f) => parse_flags(f)?,
            };
            Transport::Tcp {
                local_port,
                remote_port,
                flags,
            }
        }
        17 => {
            let (local_port, remote_port) = ports()?;
            Transport::Udp {
                local_port,
                remote_port,
            }
        }
        1 | 58 => {
            if (protocol == 58) != remote.is_ipv6() {
                return Err(invalid(
                    "protocol: icmp goes with IPv4 addresses, icmpv6 with IPv6 ones",
                ));
            }
            if has_ports {
                return Err(invalid("src_port/dst_port apply to tcp and udp only"));
            }
            let icmp_type = required(raw.icmp_type, "icmp_type is required for icmp and icmpv6")?;
            Transport::Icmp {
                icmp_type,
                code: raw.icmp_code.unwrap_or(0),
                ident: 0,
                related: None,
            }
        }
        n => {
            if has_ports || has_icmp {
                return Err(invalid(format!("protocol {n} has no ports or ICMP types")));
            }
            Transport::Other(n)
        }
    };
    Ok(FlowPacket {
        interface,
        direction,
        local,
        remote,
        transport,
    })
}

/// The trace's flag spellings.
fn parse_flags(s: &str) -> Result<TcpFlags, TraceError> {
    let known = ["S", "SA", "A", "PA", "F", "FA", "R"];
    if !known.contains(&s) {
        return Err(invalid(format!(
            "tcp_flags: unknown '{s}' (expected one of S, SA, A, PA, F, FA, R)"
        )));
    }
    TcpFlags::parse(s).ok_or_else(|| invalid(format!("tcp_flags: {s}")))
}

/// `tcp`, `udp`, `icmp`, `icmpv6` (any case), or a number 0–255 (as a number or string).
fn protocol_number(value: &serde_json::Value) -> Result<u8, TraceError> {
    let n = match value {
        serde_json::Value::Number(n) => n.as_u64().and_then(|n| u8::try_from(n).ok()),
        serde_json::Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "tcp" => Some(6),
            "udp" => Some(17),
            "icmp" => Some(1),
            "icmpv6" => Some(58),
            other => other.parse::<u8>().ok(),
        },
        _ => None,
    };
    n.ok_or_else(|| {
        invalid(format!(
            "protocol: {value} is not tcp, udp, icmp, icmpv6 or 0-255"
        ))
    })
}

#[cfg(test)]
mod tests;
