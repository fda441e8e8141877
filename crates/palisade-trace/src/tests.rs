//! Line parsing: which packet or change a line is, and the message of each refusal.

use std::net::IpAddr;

use palisade_engine::flow::{TcpFlags, Transport};

use super::*;

const IN: &str = r#""interface":"eni-00000001","direction":"ingress""#;
const OUT: &str = r#""interface":"eni-00000001","direction":"egress""#;

fn packet(line: &str) -> FlowPacket {
    match parse_line(line).and_then(|l| l.event()) {
        Ok(Event::Packet(pkt)) => pkt,
        other => panic!("not a packet: {other:?}"),
    }
}

/// The error of `line`, with its sources, as the binary prints it.
#[track_caller]
fn check_error(line: &str, expected: &str) {
    let err = match parse_line(line).and_then(|l| l.event()) {
        Ok(event) => panic!("accepted: {event:?}"),
        Err(e) => e,
    };
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    assert_eq!(text, expected);
}

#[test]
fn ingress_remote_is_src_egress_remote_is_dst() {
    let pkt = packet(&format!(
        "{{\"t\":1,{IN},\"protocol\":6,\"src\":\"203.0.113.9\",\"src_port\":1,\"dst\":\"10.0.1.10\",\"dst_port\":22}}"
    ));
    assert_eq!(pkt.remote, "203.0.113.9".parse::<IpAddr>().expect("ip"));
    assert_eq!(
        pkt.transport,
        Transport::Tcp {
            local_port: 22,
            remote_port: 1,
            flags: TcpFlags::ACK
        }
    );
    let pkt = packet(&format!(
        "{{\"t\":1,{OUT},\"protocol\":\"udp\",\"src\":\"10.0.1.10\",\"src_port\":1,\"dst\":\"203.0.113.9\",\"dst_port\":53}}"
    ));
    assert_eq!(pkt.local, "10.0.1.10".parse::<IpAddr>().expect("ip"));
    assert_eq!(
        pkt.transport,
        Transport::Udp {
            local_port: 1,
            remote_port: 53
        }
    );
}

#[test]
fn time_is_kept_as_written() {
    let line =
        parse_line("{\"t\":29.999,\"action\":\"set-conntrack-limit\",\"limit\":3}").expect("valid");
    assert_eq!(line.t().to_string(), "29.999");
    assert_eq!(line.at(), Timestamp::from_millis(29_999));
    assert!(matches!(line.event(), Ok(Event::SetLimit(3))));
}

#[test]
fn changes_carry_their_permissions() {
    let line = parse_line(
        "{\"t\":1,\"action\":\"revoke-egress\",\"group_id\":\"sg-00000001\",\"ip_permissions\":[]}",
    )
    .expect("valid");
    let Ok(Event::Change {
        group_id,
        direction,
        authorize,
        permissions,
    }) = line.event()
    else {
        panic!("not a change");
    };
    assert_eq!(group_id.as_str(), "sg-00000001");
    assert_eq!(direction, Direction::Egress);
    assert!(!authorize);
    assert_eq!(permissions, serde_json::json!([]));
}

#[test]
fn refusals_name_the_field() {
    check_error(
        "{\"t\":1,\"src_prot\":2}",
        "malformed event: unknown field `src_prot`, expected one of `t`, `interface`, `direction`, `protocol`, `src`, `src_port`, `dst`, `dst_port`, `tcp_flags`, `icmp_type`, `icmp_code`, `action`, `group_id`, `ip_permissions`, `limit` at line 1 column 17",
    );
    check_error(
        "{\"t\":-1,\"action\":\"revoke-egress\"}",
        "t: -1 is not a non-negative number of seconds",
    );
    check_error(
        &format!(
            "{{\"t\":1,{IN},\"protocol\":\"tcp\",\"src\":\"203.0.113.9\",\"src_port\":1,\"dst\":\"10.0.1.10\",\"dst_port\":22,\"tcp_flags\":\"SF\"}}"
        ),
        "tcp_flags: unknown 'SF' (expected one of S, SA, A, PA, F, FA, R)",
    );
    check_error(
        &format!(
            "{{\"t\":1,{IN},\"protocol\":\"udp\",\"src\":\"203.0.113.9\",\"dst\":\"10.0.1.10\",\"dst_port\":22}}"
        ),
        "src_port is required for tcp and udp",
    );
    check_error(
        &format!(
            "{{\"t\":1,{IN},\"protocol\":\"icmpv6\",\"src\":\"203.0.113.9\",\"dst\":\"10.0.1.10\",\"icmp_type\":128}}"
        ),
        "protocol: icmp goes with IPv4 addresses, icmpv6 with IPv6 ones",
    );
    check_error(
        &format!(
            "{{\"t\":1,{OUT},\"protocol\":\"tcp\",\"src\":\"10.0.1.10\",\"src_port\":1,\"dst\":\"::1\",\"dst_port\":22}}"
        ),
        "src 10.0.1.10 and dst ::1 are of different address families",
    );
    check_error(
        "{\"t\":1,\"action\":\"revoke-egress\",\"group_id\":\"sg-x\",\"ip_permissions\":[]}",
        "group_id: sg-x: Invalid id: \"sg-x\" (expecting \"sg-...\")",
    );
    check_error(
        &format!("{{\"t\":1,{IN},\"protocol\":300,\"src\":\"::1\",\"dst\":\"::2\"}}"),
        "protocol: 300 is not tcp, udp, icmp, icmpv6 or 0-255",
    );
    check_error(
        &format!("{{\"t\":1,{IN},\"action\":\"revoke-egress\"}}"),
        "an event is either a packet or a configuration change, not both",
    );
}
