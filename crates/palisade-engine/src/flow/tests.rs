//! Flow table tests, smoltcp style: named `test_<state>_<event>`, every instant explicit
//! (milliseconds), fed through `step!`. Timeouts are tested at their edge by cloning the
//! table and probing 1 ms before, at, and 1 ms after the deadline.

mod layout;
mod model;

use std::net::IpAddr;

use palisade_model::{
    AccountId, ConntrackConfig, Direction, Eni, EniId, GroupId, NewRule, Peer, PortRange, Rule,
    RuleId, RuleSpec, SecurityGroup, Snapshot, Timestamp, Traffic, Vpc, VpcId,
};

use super::*;
use crate::packet::Verdict;

/// Feeds one packet at `at` milliseconds and asserts the verdict and reason.
macro_rules! step {
    ($table:expr, at = $t:expr, $pkt:expr => $verdict:ident, $reason:ident) => {{
        let pkt = $pkt;
        let res = $table
            .observe(Timestamp::from_millis($t), &pkt)
            .expect("well-formed packet");
        assert_eq!(
            (res.verdict, res.reason),
            (Verdict::$verdict, FlowReason::$reason),
            "at {} ms: {pkt:?}",
            $t
        );
        res
    }};
}

const S: &str = "S";
const SA: &str = "SA";
const A: &str = "A";
const PA: &str = "PA";
const FA: &str = "FA";
const R: &str = "R";

const LOCAL4: &str = "10.0.1.10";
const LOCAL6: &str = "2001:db8::10";
const CLIENT4: &str = "203.0.113.9";
const CLIENT6: &str = "2001:db8:ffff::9";
const OTHER4: &str = "198.51.100.7";

fn eni() -> EniId {
    "eni-00000001".parse().expect("literal id")
}

fn sg() -> GroupId {
    "sg-00000001".parse().expect("literal id")
}

fn addr(s: &str) -> IpAddr {
    s.parse().expect("literal address")
}

fn local_for(remote: IpAddr) -> IpAddr {
    if remote.is_ipv4() {
        addr(LOCAL4)
    } else {
        addr(LOCAL6)
    }
}

/// A TCP packet on the interface; ports are (remote, local).
fn tcp(
    direction: Direction,
    remote: &str,
    remote_port: u16,
    local_port: u16,
    flags: &str,
) -> FlowPacket {
    let remote = addr(remote);
    FlowPacket {
        interface: eni(),
        direction,
        local: local_for(remote),
        remote,
        transport: Transport::Tcp {
            local_port,
            remote_port,
            flags: TcpFlags::parse(flags).expect("literal flags"),
        },
    }
}

fn tcp_in(remote: &str, remote_port: u16, local_port: u16, flags: &str) -> FlowPacket {
    tcp(Direction::Ingress, remote, remote_port, local_port, flags)
}

fn tcp_out(remote: &str, remote_port: u16, local_port: u16, flags: &str) -> FlowPacket {
    tcp(Direction::Egress, remote, remote_port, local_port, flags)
}

fn udp(direction: Direction, remote: &str, remote_port: u16, local_port: u16) -> FlowPacket {
    let remote = addr(remote);
    FlowPacket {
        interface: eni(),
        direction,
        local: local_for(remote),
        remote,
        transport: Transport::Udp {
            local_port,
            remote_port,
        },
    }
}

fn icmp(
    direction: Direction,
    remote: &str,
    icmp_type: u8,
    related: Option<QuotedFlow>,
) -> FlowPacket {
    let remote = addr(remote);
    FlowPacket {
        interface: eni(),
        direction,
        local: local_for(remote),
        remote,
        transport: Transport::Icmp {
            icmp_type,
            code: 0,
            ident: 7,
            related,
        },
    }
}

fn other(direction: Direction, remote: &str, protocol: u8) -> FlowPacket {
    let remote = addr(remote);
    FlowPacket {
        interface: eni(),
        direction,
        local: local_for(remote),
        remote,
        transport: Transport::Other(protocol),
    }
}

fn rule(direction: Direction, traffic: Traffic, peer: &str) -> RuleSpec {
    RuleSpec {
        direction,
        traffic,
        peer: Peer::parse_cidr(peer).expect("literal CIDR"),
    }
}

fn tcp_port(port: u16) -> Traffic {
    Traffic::Tcp(PortRange::single(port))
}

/// One VPC, one interface (10.0.1.10, 2001:db8::10) in one group holding `rules`.
fn world(rules: &[RuleSpec], conntrack: ConntrackConfig) -> Snapshot {
    let owner: AccountId = "123456789012".parse().expect("literal account");
    let vpc_id: VpcId = "vpc-00000001".parse().expect("literal id");
    let mut group = SecurityGroup::empty(
        sg(),
        "web".into(),
        "web".into(),
        vpc_id.clone(),
        owner.clone(),
    );
    for (idx, spec) in rules.iter().enumerate() {
        let id: RuleId = format!("sgr-{:08x}", idx + 1)
            .parse()
            .expect("generated id");
        group
            .insert_existing(Rule {
                id,
                group_id: sg(),
                spec: spec.clone(),
                description: None,
                tags: Vec::new(),
            })
            .expect("distinct rules");
    }
    let mut snapshot = Snapshot::default();
    snapshot.vpcs.insert(
        vpc_id.clone(),
        Vpc {
            id: vpc_id.clone(),
            owner: owner.clone(),
            cidrs_v4: vec!["10.0.0.0/16".parse().expect("literal CIDR")],
            cidrs_v6: vec!["2001:db8::/56".parse().expect("literal CIDR")],
            is_default: false,
            tags: Vec::new(),
            attributes: Default::default(),
        },
    );
    snapshot.groups.insert(sg(), group);
    snapshot.enis.insert(
        eni(),
        Eni {
            id: eni(),
            owner,
            vpc_id,
            subnet_id: None,
            private_ipv4: vec![addr(LOCAL4).to_string().parse().expect("literal")],
            ipv6: vec![addr(LOCAL6).to_string().parse().expect("literal")],
            public_ipv4: None,
            groups: vec![sg()],
            instance_id: None,
            description: String::new(),
            conntrack,
            tags: Vec::new(),
        },
    );
    snapshot
}

fn table(rules: &[RuleSpec]) -> FlowTable {
    FlowTable::new(world(rules, ConntrackConfig::default()), 1000)
}

/// SSH from one network, no egress rules: responses pass only by state.
fn ssh_only() -> FlowTable {
    table(&[rule(Direction::Ingress, tcp_port(22), "203.0.113.0/24")])
}

/// EC2's worked example: HTTP from everywhere (both families), egress all to 0.0.0.0/0
/// only — so IPv4 HTTP is untracked and IPv6 HTTP tracked.
fn web_v4_open() -> FlowTable {
    table(&[
        rule(Direction::Ingress, tcp_port(80), "0.0.0.0/0"),
        rule(Direction::Ingress, tcp_port(80), "::/0"),
        rule(
            Direction::Ingress,
            Traffic::Udp(PortRange::single(53)),
            "0.0.0.0/0",
        ),
        rule(Direction::Egress, Traffic::All, "0.0.0.0/0"),
    ])
}

fn revoke(table: &mut FlowTable, spec: RuleSpec) {
    table.change(&[sg()], |snapshot| {
        let group = snapshot.groups.get_mut(&sg()).expect("group exists");
        group.revoke_matching(&[spec]).expect("rule exists");
    });
}

fn authorize(table: &mut FlowTable, spec: RuleSpec) {
    table.change(&[sg()], |snapshot| {
        let group = snapshot.groups.get_mut(&sg()).expect("group exists");
        let rule = NewRule {
            spec,
            description: None,
            tags: Vec::new(),
        };
        let quotas = palisade_model::Quotas::default();
        let ctx = palisade_model::AuthorizeCtx {
            quotas: &quotas,
            prefix_list_weight: &|_| None,
        };
        let mut ids = palisade_model::SeqIdGen::starting_at(1000);
        group
            .authorize(vec![rule], &ctx, &mut ids)
            .expect("new rule");
    });
}

/// Probes `probe` 1 ms before, at, and 1 ms after `deadline`: tracked, then expired.
#[track_caller]
fn check_edge(table: &FlowTable, deadline: u64, probe: &FlowPacket) {
    let mut before = table.clone();
    step!(before, at = deadline - 1, probe.clone() => Allow, TrackedConnection);
    let mut at = table.clone();
    step!(at, at = deadline, probe.clone() => Deny, Expired);
    let mut after = table.clone();
    step!(after, at = deadline + 1, probe.clone() => Deny, Expired);
}

// ---- inbound- and outbound-started flows -------------------------------------------------

#[test]
fn test_closed_inbound_syn_starts_tracked_connection() {
    let mut t = ssh_only();
    let res = step!(t, at = 0, tcp_in(CLIENT4, 51514, 22, S) => Allow, Rule);
    assert_eq!(res.matches.len(), 1);
    step!(t, at = 10, tcp_out(CLIENT4, 51514, 22, SA) => Allow, TrackedConnection);
    step!(t, at = 20, tcp_in(CLIENT4, 51514, 22, A) => Allow, TrackedConnection);
    step!(t, at = 30, tcp_out(CLIENT4, 51514, 22, PA) => Allow, TrackedConnection);
    assert_eq!(t.interface_stats(&eni()).map(|s| s.tracked), Some(1));
}

#[test]
fn test_closed_egress_without_connection_denied() {
    let mut t = ssh_only();
    step!(t, at = 0, tcp_out(CLIENT4, 51514, 22, SA) => Deny, NoMatchingRule);
    step!(t, at = 1, tcp_in(OTHER4, 51514, 22, S) => Deny, NoMatchingRule);
    step!(t, at = 2, tcp_in(CLIENT4, 51514, 23, S) => Deny, NoMatchingRule);
    assert!(t.is_empty());
}

#[test]
fn test_established_reply_from_other_port_denied() {
    let mut t = ssh_only();
    step!(t, at = 0, tcp_in(CLIENT4, 51514, 22, S) => Allow, Rule);
    step!(t, at = 1, tcp_out(CLIENT4, 51515, 22, SA) => Deny, NoMatchingRule);
}

#[test]
fn test_closed_outbound_syn_starts_tracked_connection() {
    let mut t = table(&[rule(Direction::Egress, tcp_port(443), "0.0.0.0/0")]);
    step!(t, at = 0, tcp_out(OTHER4, 443, 40000, S) => Allow, Rule);
    step!(t, at = 5, tcp_in(OTHER4, 443, 40000, SA) => Allow, TrackedConnection);
    step!(t, at = 6, tcp_out(OTHER4, 443, 40000, A) => Allow, TrackedConnection);
    step!(t, at = 7, tcp_in(OTHER4, 443, 40001, SA) => Deny, NoMatchingRule);
    step!(t, at = 8, tcp_in(OTHER4, 444, 40000, A) => Deny, NoMatchingRule);
}

#[test]
fn test_closed_midstream_ack_picked_up() {
    // Linux `nf_conntrack_tcp_loose`: an ACK admitted by a rule starts an established entry.
    let mut t = ssh_only();
    step!(t, at = 0, tcp_in(CLIENT4, 51514, 22, A) => Allow, Rule);
    step!(t, at = 1, tcp_out(CLIENT4, 51514, 22, PA) => Allow, TrackedConnection);
}

#[test]
fn test_closed_synack_fin_rst_start_nothing() {
    let mut t = ssh_only();
    step!(t, at = 0, tcp_in(CLIENT4, 51514, 22, SA) => Allow, Rule);
    step!(t, at = 1, tcp_in(CLIENT4, 51515, 22, FA) => Allow, Rule);
    step!(t, at = 2, tcp_in(CLIENT4, 51516, 22, R) => Allow, Rule);
    assert!(t.is_empty());
    step!(t, at = 3, tcp_out(CLIENT4, 51514, 22, A) => Deny, NoMatchingRule);
}

#[test]
fn test_udp_inbound_request_reply_tracked() {
    let mut t = table(&[rule(
        Direction::Ingress,
        Traffic::Udp(PortRange::single(53)),
        "10.0.0.0/8",
    )]);
    step!(t, at = 0, udp(Direction::Ingress, "10.9.9.9", 3333, 53) => Allow, Rule);
    step!(t, at = 1, udp(Direction::Egress, "10.9.9.9", 3333, 53) => Allow, TrackedConnection);
    step!(t, at = 2, udp(Direction::Egress, "10.9.9.9", 3334, 53) => Deny, NoMatchingRule);
}

// ---- ICMP --------------------------------------------------------------------------------

#[test]
fn test_closed_echo_request_tracks_reply() {
    let mut t = table(&[rule(
        Direction::Ingress,
        Traffic::Icmp(palisade_model::IcmpMatch::ANY),
        "0.0.0.0/0",
    )]);
    step!(t, at = 0, icmp(Direction::Ingress, CLIENT4, 8, None) => Allow, Rule);
    step!(t, at = 1, icmp(Direction::Egress, CLIENT4, 0, None) => Allow, TrackedConnection);
    step!(t, at = 2, icmp(Direction::Egress, OTHER4, 0, None) => Deny, NoMatchingRule);
}

#[test]
fn test_closed_echo_request_v6_tracks_reply() {
    let mut t = table(&[rule(
        Direction::Egress,
        Traffic::Icmpv6(palisade_model::IcmpMatch::ANY),
        "::/0",
    )]);
    step!(t, at = 0, icmp(Direction::Egress, CLIENT6, 128, None) => Allow, Rule);
    step!(t, at = 1, icmp(Direction::Ingress, CLIENT6, 129, None) => Allow, TrackedConnection);
}

#[test]
fn test_all_open_icmp_always_tracked() {
    // All traffic both ways from/to everywhere: TCP is untracked, ICMP still tracked.
    let mut t = table(&[
        rule(Direction::Ingress, Traffic::All, "0.0.0.0/0"),
        rule(Direction::Egress, Traffic::All, "0.0.0.0/0"),
    ]);
    step!(t, at = 0, icmp(Direction::Ingress, CLIENT4, 8, None) => Allow, Rule);
    step!(t, at = 1, tcp_in(CLIENT4, 1000, 80, S) => Allow, Untracked);
    step!(t, at = 2, other(Direction::Ingress, CLIENT4, 47) => Allow, Rule);
    let stats = t.interface_stats(&eni()).expect("interface");
    assert_eq!((stats.tracked, stats.untracked), (2, 1));
}

#[test]
fn test_established_icmp_error_related_allowed() {
    let mut t = table(&[rule(Direction::Egress, tcp_port(443), "0.0.0.0/0")]);
    step!(t, at = 0, tcp_out(OTHER4, 443, 40000, S) => Allow, Rule);
    let quoted = QuotedFlow {
        protocol: 6,
        remote: addr(OTHER4),
        local_port: 40000,
        remote_port: 443,
    };
    // Destination unreachable from a router on the path, quoting our SYN.
    let res = step!(t, at = 1, icmp(Direction::Ingress, "192.0.2.1", 3, Some(quoted)) => Allow, TrackedConnection);
    assert!(res.related);
    let unrelated = QuotedFlow {
        remote_port: 444,
        ..quoted
    };
    step!(t, at = 2, icmp(Direction::Ingress, "192.0.2.1", 3, Some(unrelated)) => Deny, NoMatchingRule);
    // An echo reply is not an error: quoting does not make it related.
    step!(t, at = 3, icmp(Direction::Ingress, "192.0.2.1", 0, Some(quoted)) => Deny, NoMatchingRule);
}

// ---- tracked vs untracked, per family ----------------------------------------------------

#[test]
fn test_closed_syn_v4_open_both_ways_untracked() {
    let mut t = web_v4_open();
    let res = step!(t, at = 0, tcp_in(CLIENT4, 1000, 80, S) => Allow, Untracked);
    assert_eq!(res.matches.len(), 1);
    // The response is judged by the egress rules (all to 0.0.0.0/0): untracked too.
    step!(t, at = 1, tcp_out(CLIENT4, 1000, 80, SA) => Allow, Untracked);
    step!(t, at = 2, tcp_in(CLIENT4, 1000, 80, A) => Allow, Untracked);
    let stats = t.interface_stats(&eni()).expect("interface");
    assert_eq!((stats.tracked, stats.untracked), (0, 1));
}

#[test]
fn test_closed_syn_v6_without_v6_egress_tracked() {
    // Per family: ::/0 admits it, but nothing admits all IPv6 egress.
    let mut t = web_v4_open();
    step!(t, at = 0, tcp_in(CLIENT6, 1000, 80, S) => Allow, Rule);
    step!(t, at = 1, tcp_out(CLIENT6, 1000, 80, SA) => Allow, TrackedConnection);
}

#[test]
fn test_closed_syn_narrow_source_tracked() {
    // SSH from one /24 with all egress open: tracked (the admitting rule is not 0.0.0.0/0).
    let mut t = table(&[
        rule(Direction::Ingress, tcp_port(22), "203.0.113.0/24"),
        rule(Direction::Egress, Traffic::All, "0.0.0.0/0"),
    ]);
    step!(t, at = 0, tcp_in(CLIENT4, 1000, 22, S) => Allow, Rule);
}

#[test]
fn test_closed_syn_other_direction_not_all_ports_tracked() {
    let mut t = table(&[
        rule(Direction::Ingress, tcp_port(80), "0.0.0.0/0"),
        rule(
            Direction::Egress,
            Traffic::Tcp(PortRange::new(1024, 65535).expect("range")),
            "0.0.0.0/0",
        ),
    ]);
    step!(t, at = 0, tcp_in(CLIENT4, 1000, 80, S) => Allow, Rule);
}

#[test]
fn test_closed_udp_v4_open_both_ways_untracked() {
    let mut t = web_v4_open();
    step!(t, at = 0, udp(Direction::Ingress, CLIENT4, 5000, 53) => Allow, Untracked);
    step!(t, at = 1, udp(Direction::Egress, CLIENT4, 5000, 53) => Allow, Untracked);
}

#[test]
fn test_closed_outbound_syn_default_egress_tracked() {
    // Outbound flows are tracked unless ingress admits all addresses on all ports.
    let mut t = web_v4_open();
    step!(t, at = 0, tcp_out(OTHER4, 443, 40000, S) => Allow, Rule);
    step!(t, at = 1, tcp_in(OTHER4, 443, 40000, SA) => Allow, TrackedConnection);
}

// ---- rule changes --------------------------------------------------------------------------

#[test]
fn test_established_rule_revoked_survives() {
    let mut t = ssh_only();
    step!(t, at = 0, tcp_in(CLIENT4, 51514, 22, S) => Allow, Rule);
    step!(t, at = 1, tcp_out(CLIENT4, 51514, 22, SA) => Allow, TrackedConnection);
    step!(t, at = 2, tcp_in(CLIENT4, 51514, 22, A) => Allow, TrackedConnection);
    revoke(
        &mut t,
        rule(Direction::Ingress, tcp_port(22), "203.0.113.0/24"),
    );
    step!(t, at = 3, tcp_in(CLIENT4, 51514, 22, PA) => Allow, TrackedConnection);
    step!(t, at = 4, tcp_out(CLIENT4, 51514, 22, PA) => Allow, TrackedConnection);
    // New connections meet the current rules.
    step!(t, at = 5, tcp_in(CLIENT4, 51515, 22, S) => Deny, NoMatchingRule);
}

#[test]
fn test_untracked_rule_revoked_stops_at_once() {
    let mut t = web_v4_open();
    step!(t, at = 0, tcp_in(CLIENT4, 1000, 80, S) => Allow, Untracked);
    step!(t, at = 1, tcp_out(CLIENT4, 1000, 80, SA) => Allow, Untracked);
    revoke(&mut t, rule(Direction::Ingress, tcp_port(80), "0.0.0.0/0"));
    assert_eq!(t.interface_stats(&eni()).map(|s| s.untracked), Some(0));
    step!(t, at = 2, tcp_in(CLIENT4, 1000, 80, A) => Deny, NoMatchingRule);
}

#[test]
fn test_untracked_other_direction_revoked_stops_at_once() {
    let mut t = web_v4_open();
    step!(t, at = 0, tcp_in(CLIENT4, 1000, 80, S) => Allow, Untracked);
    revoke(&mut t, rule(Direction::Egress, Traffic::All, "0.0.0.0/0"));
    // The reply no longer has a rule, and was never tracked.
    step!(t, at = 1, tcp_out(CLIENT4, 1000, 80, SA) => Deny, NoMatchingRule);
    // New packets in the admitted direction start a tracked connection (IPv4 now tracked).
    step!(t, at = 2, tcp_in(CLIENT4, 1001, 80, S) => Allow, Rule);
    step!(t, at = 3, tcp_out(CLIENT4, 1001, 80, SA) => Allow, TrackedConnection);
}

#[test]
fn test_untracked_rule_changed_to_narrow_becomes_untracked_no_more() {
    // Replacing 0.0.0.0/0 by the client's /24 keeps the flow allowed but tracked: the
    // untracked flow stops; the next packet starts a tracked connection.
    let mut t = web_v4_open();
    step!(t, at = 0, tcp_in(CLIENT4, 1000, 80, S) => Allow, Untracked);
    t.change(&[sg()], |snapshot| {
        let group = snapshot.groups.get_mut(&sg()).expect("group");
        group
            .revoke_matching(&[rule(Direction::Ingress, tcp_port(80), "0.0.0.0/0")])
            .expect("rule");
    });
    authorize(
        &mut t,
        rule(Direction::Ingress, tcp_port(80), "203.0.113.0/24"),
    );
    step!(t, at = 1, tcp_in(CLIENT4, 1000, 80, A) => Allow, Rule);
    step!(t, at = 2, tcp_out(CLIENT4, 1000, 80, A) => Allow, TrackedConnection);
}

#[test]
fn test_untracked_unrelated_rule_authorized_survives() {
    let mut t = web_v4_open();
    step!(t, at = 0, tcp_in(CLIENT4, 1000, 80, S) => Allow, Untracked);
    authorize(
        &mut t,
        rule(Direction::Ingress, tcp_port(22), "203.0.113.0/24"),
    );
    assert_eq!(t.interface_stats(&eni()).map(|s| s.untracked), Some(1));
    step!(t, at = 1, tcp_out(CLIENT4, 1000, 80, SA) => Allow, Untracked);
}

#[test]
fn test_tracked_rule_authorized_new_connections_allowed() {
    let mut t = ssh_only();
    step!(t, at = 0, tcp_in(OTHER4, 1000, 22, S) => Deny, NoMatchingRule);
    authorize(
        &mut t,
        rule(Direction::Ingress, tcp_port(22), "198.51.100.0/24"),
    );
    step!(t, at = 1, tcp_in(OTHER4, 1000, 22, S) => Allow, Rule);
}

#[test]
fn test_established_interface_removed_forgotten() {
    let mut t = ssh_only();
    step!(t, at = 0, tcp_in(CLIENT4, 1000, 22, S) => Allow, Rule);
    t.change(&[], |snapshot| snapshot.enis.clear());
    assert!(t.is_empty());
    let err = t.observe(Timestamp::from_millis(1), &tcp_out(CLIENT4, 1000, 22, SA));
    assert_eq!(err, Err(FlowError::UnknownInterface(eni())));
}

// ---- timeouts at their edges ---------------------------------------------------------------

/// SSH established at t = 3 ms (S, SA, A); the probe is an egress ACK, which only state admits.
fn ssh_established(config: ConntrackConfig) -> FlowTable {
    let mut t = FlowTable::new(
        world(
            &[rule(Direction::Ingress, tcp_port(22), "203.0.113.0/24")],
            config,
        ),
        1000,
    );
    step!(t, at = 1, tcp_in(CLIENT4, 1000, 22, S) => Allow, Rule);
    step!(t, at = 2, tcp_out(CLIENT4, 1000, 22, SA) => Allow, TrackedConnection);
    step!(t, at = 3, tcp_in(CLIENT4, 1000, 22, A) => Allow, TrackedConnection);
    t
}

fn egress_ack() -> FlowPacket {
    tcp_out(CLIENT4, 1000, 22, A)
}

#[test]
fn test_established_idle_default_timeout_edge() {
    check_edge(
        &ssh_established(ConntrackConfig::default()),
        3 + 432_000_000,
        &egress_ack(),
    );
}

#[test]
fn test_established_idle_configured_timeout_edge() {
    let config = ConntrackConfig::new(Some(60), None, None).expect("in range");
    check_edge(&ssh_established(config), 3 + 60_000, &egress_ack());
}

#[test]
fn test_established_traffic_refreshes_timeout() {
    let config = ConntrackConfig::new(Some(60), None, None).expect("in range");
    let mut t = ssh_established(config);
    step!(t, at = 50_000, tcp_in(CLIENT4, 1000, 22, PA) => Allow, TrackedConnection);
    check_edge(&t, 110_000, &egress_ack());
}

#[test]
fn test_syn_sent_idle_timeout_edge() {
    let mut t = ssh_only();
    step!(t, at = 1, tcp_in(CLIENT4, 1000, 22, S) => Allow, Rule);
    check_edge(&t, 1 + 120_000, &tcp_out(CLIENT4, 1000, 22, SA));
}

#[test]
fn test_syn_recv_idle_timeout_edge() {
    let mut t = ssh_only();
    step!(t, at = 1, tcp_in(CLIENT4, 1000, 22, S) => Allow, Rule);
    step!(t, at = 2, tcp_out(CLIENT4, 1000, 22, SA) => Allow, TrackedConnection);
    check_edge(&t, 2 + 60_000, &egress_ack());
}

#[test]
fn test_fin_wait_idle_timeout_edge() {
    let mut t = ssh_established(ConntrackConfig::default());
    step!(t, at = 10, tcp_in(CLIENT4, 1000, 22, FA) => Allow, TrackedConnection);
    check_edge(&t, 10 + 120_000, &egress_ack());
}

#[test]
fn test_close_wait_idle_timeout_edge() {
    let mut t = ssh_established(ConntrackConfig::default());
    step!(t, at = 10, tcp_in(CLIENT4, 1000, 22, FA) => Allow, TrackedConnection);
    step!(t, at = 11, tcp_out(CLIENT4, 1000, 22, A) => Allow, TrackedConnection);
    check_edge(&t, 11 + 60_000, &egress_ack());
}

#[test]
fn test_last_ack_idle_timeout_edge() {
    let mut t = ssh_established(ConntrackConfig::default());
    step!(t, at = 10, tcp_in(CLIENT4, 1000, 22, FA) => Allow, TrackedConnection);
    step!(t, at = 11, tcp_out(CLIENT4, 1000, 22, A) => Allow, TrackedConnection);
    step!(t, at = 12, tcp_out(CLIENT4, 1000, 22, FA) => Allow, TrackedConnection);
    check_edge(&t, 12 + 30_000, &egress_ack());
}

#[test]
fn test_time_wait_idle_timeout_edge() {
    let mut t = ssh_established(ConntrackConfig::default());
    step!(t, at = 10, tcp_in(CLIENT4, 1000, 22, FA) => Allow, TrackedConnection);
    step!(t, at = 11, tcp_out(CLIENT4, 1000, 22, FA) => Allow, TrackedConnection);
    step!(t, at = 12, tcp_in(CLIENT4, 1000, 22, A) => Allow, TrackedConnection);
    check_edge(&t, 12 + 120_000, &egress_ack());
}

#[test]
fn test_time_wait_syn_reopens() {
    let mut t = ssh_established(ConntrackConfig::default());
    step!(t, at = 10, tcp_in(CLIENT4, 1000, 22, FA) => Allow, TrackedConnection);
    step!(t, at = 11, tcp_out(CLIENT4, 1000, 22, FA) => Allow, TrackedConnection);
    step!(t, at = 12, tcp_in(CLIENT4, 1000, 22, A) => Allow, TrackedConnection);
    step!(t, at = 13, tcp_in(CLIENT4, 1000, 22, S) => Allow, TrackedConnection);
    // Back in SYN_SENT: 120 s.
    check_edge(&t, 13 + 120_000, &tcp_out(CLIENT4, 1000, 22, SA));
}

#[test]
fn test_established_rst_close_timeout_edge() {
    let mut t = ssh_established(ConntrackConfig::default());
    step!(t, at = 10, tcp_out(CLIENT4, 1000, 22, R) => Allow, TrackedConnection);
    check_edge(&t, 10 + 10_000, &egress_ack());
}

fn dns_client(config: ConntrackConfig) -> FlowTable {
    let rules = [rule(
        Direction::Egress,
        Traffic::Udp(PortRange::single(53)),
        "10.0.0.0/8",
    )];
    FlowTable::new(world(&rules, config), 1000)
}

fn dns_query() -> FlowPacket {
    udp(Direction::Egress, "10.0.0.2", 53, 5353)
}

fn dns_answer() -> FlowPacket {
    udp(Direction::Ingress, "10.0.0.2", 53, 5353)
}

#[test]
fn test_udp_unreplied_timeout_edge() {
    let mut t = dns_client(ConntrackConfig::default());
    step!(t, at = 5, dns_query() => Allow, Rule);
    check_edge(&t, 5 + 30_000, &dns_answer());
}

#[test]
fn test_udp_single_transaction_timeout_edge() {
    let mut t = dns_client(ConntrackConfig::default());
    step!(t, at = 5, dns_query() => Allow, Rule);
    step!(t, at = 6, dns_answer() => Allow, TrackedConnection);
    check_edge(&t, 6 + 30_000, &dns_answer());
}

#[test]
fn test_udp_stream_timeout_edge() {
    let mut t = dns_client(ConntrackConfig::default());
    step!(t, at = 5, dns_query() => Allow, Rule);
    step!(t, at = 6, dns_answer() => Allow, TrackedConnection);
    step!(t, at = 7, dns_query() => Allow, TrackedConnection);
    step!(t, at = 8, dns_answer() => Allow, TrackedConnection);
    check_edge(&t, 8 + 180_000, &dns_answer());
}

#[test]
fn test_udp_configured_timeouts_edge() {
    let config = ConntrackConfig::new(None, Some(60), Some(45)).expect("in range");
    let mut t = dns_client(config);
    step!(t, at = 5, dns_query() => Allow, Rule);
    check_edge(&t, 5 + 45_000, &dns_answer());
    step!(t, at = 6, dns_answer() => Allow, TrackedConnection);
    step!(t, at = 7, dns_query() => Allow, TrackedConnection);
    step!(t, at = 8, dns_answer() => Allow, TrackedConnection);
    check_edge(&t, 8 + 60_000, &dns_answer());
}

#[test]
fn test_echo_idle_timeout_edge() {
    let mut t = table(&[rule(
        Direction::Ingress,
        Traffic::Icmp(palisade_model::IcmpMatch::ANY),
        "0.0.0.0/0",
    )]);
    step!(t, at = 1, icmp(Direction::Ingress, CLIENT4, 8, None) => Allow, Rule);
    check_edge(&t, 1 + 30_000, &icmp(Direction::Egress, CLIENT4, 0, None));
}

// ---- other protocols -----------------------------------------------------------------------

#[test]
fn test_other_protocol_return_traffic_600s_edge() {
    let mut t = table(&[rule(Direction::Egress, Traffic::Protocol(47), "0.0.0.0/0")]);
    step!(t, at = 1, other(Direction::Egress, OTHER4, 47) => Allow, Rule);
    check_edge(&t, 1 + 600_000, &other(Direction::Ingress, OTHER4, 47));
}

#[test]
fn test_other_protocol_other_host_or_protocol_denied() {
    let mut t = table(&[rule(Direction::Egress, Traffic::Protocol(47), "0.0.0.0/0")]);
    step!(t, at = 1, other(Direction::Egress, OTHER4, 47) => Allow, Rule);
    step!(t, at = 2, other(Direction::Ingress, OTHER4, 47) => Allow, TrackedConnection);
    step!(t, at = 3, other(Direction::Ingress, CLIENT4, 47) => Deny, NoMatchingRule);
    step!(t, at = 4, other(Direction::Ingress, OTHER4, 50) => Deny, NoMatchingRule);
}

// ---- capacity ------------------------------------------------------------------------------

#[test]
fn test_full_new_connection_dropped_and_counted() {
    let rules = [rule(Direction::Ingress, tcp_port(22), "203.0.113.0/24")];
    let mut t = FlowTable::new(world(&rules, ConntrackConfig::default()), 2);
    step!(t, at = 0, tcp_in(CLIENT4, 1, 22, S) => Allow, Rule);
    step!(t, at = 1, tcp_in(CLIENT4, 2, 22, S) => Allow, Rule);
    let res = step!(t, at = 2, tcp_in(CLIENT4, 3, 22, S) => Deny, TableFull);
    assert_eq!(res.matches.len(), 1);
    assert_eq!(
        t.interface_stats(&eni()).map(|s| s.allowance_exceeded),
        Some(1)
    );
    // Existing connections still pass.
    step!(t, at = 3, tcp_out(CLIENT4, 1, 22, SA) => Allow, TrackedConnection);
    // Once one times out (SYN_RECV, 60 s after the SYN-ACK), room is made for a new one.
    step!(t, at = 60_002, tcp_in(CLIENT4, 3, 22, S) => Deny, TableFull);
    step!(t, at = 60_003, tcp_in(CLIENT4, 3, 22, S) => Allow, Rule);
    let stats = t.interface_stats(&eni()).expect("interface");
    assert_eq!((stats.tracked, stats.allowance_exceeded), (2, 2));
}

#[test]
fn test_full_untracked_flows_not_limited() {
    let mut t = FlowTable::new(
        world(
            &[
                rule(Direction::Ingress, tcp_port(80), "0.0.0.0/0"),
                rule(Direction::Ingress, tcp_port(22), "203.0.113.0/24"),
                rule(Direction::Egress, Traffic::All, "0.0.0.0/0"),
            ],
            ConntrackConfig::default(),
        ),
        1,
    );
    step!(t, at = 0, tcp_in(CLIENT4, 1, 22, S) => Allow, Rule);
    step!(t, at = 1, tcp_in(CLIENT4, 2, 22, S) => Deny, TableFull);
    step!(t, at = 2, tcp_in(CLIENT4, 3, 80, S) => Allow, Untracked);
    step!(t, at = 3, tcp_in(CLIENT4, 4, 80, S) => Allow, Untracked);
}

// ---- expiry, polling, long runs --------------------------------------------------------------

#[test]
fn test_established_expire_forgets_then_no_matching_rule() {
    let mut t = ssh_established(ConntrackConfig::new(Some(60), None, None).expect("in range"));
    let due = t.poll_timeout().expect("one connection");
    assert!(due <= Timestamp::from_millis(3 + 60_000));
    assert_eq!(t.expire(Timestamp::from_millis(3 + 59_999)), 0);
    assert_eq!(t.expire(Timestamp::from_millis(3 + 60_000)), 1);
    assert_eq!(t.poll_timeout(), None);
    step!(t, at = 3 + 60_000, egress_ack() => Deny, NoMatchingRule);
}

#[test]
fn test_established_kept_alive_for_months() {
    // Deadlines are 32-bit offsets from an epoch that moves; a connection kept alive daily
    // for 120 days crosses several epoch moves.
    let mut t = ssh_established(ConntrackConfig::default());
    let day = 86_400_000;
    for n in 1..=120 {
        step!(t, at = n * day, tcp_in(CLIENT4, 1000, 22, PA) => Allow, TrackedConnection);
    }
    check_edge(&t, 120 * day + 432_000_000, &egress_ack());
}

#[test]
fn test_closed_mixed_families_rejected() {
    let mut t = ssh_only();
    let mut pkt = tcp_in(CLIENT4, 1, 22, S);
    pkt.local = addr(LOCAL6);
    assert!(matches!(
        t.observe(Timestamp::ZERO, &pkt),
        Err(FlowError::MixedFamilies { .. })
    ));
}

#[test]
fn test_tcp_flags_parse() {
    assert_eq!(
        TcpFlags::parse("SA"),
        Some(TcpFlags::SYN.union(TcpFlags::ACK))
    );
    assert_eq!(
        TcpFlags::parse("fa"),
        Some(TcpFlags::FIN.union(TcpFlags::ACK))
    );
    assert_eq!(TcpFlags::parse(""), None);
    assert_eq!(TcpFlags::parse("SX"), None);
}

#[test]
fn test_memory_per_connection_within_budget() {
    // The layout promise: a slot (key, entry, control byte) is 18 bytes for IPv4 and 30 for
    // IPv6, so 1M connections in 2^21 buckets cost 37.7 and 62.9 bytes each (aim: 64).
    assert_eq!(key::SLOT_BYTES_V4, 18);
    assert_eq!(key::SLOT_BYTES_V6, 30);
}
