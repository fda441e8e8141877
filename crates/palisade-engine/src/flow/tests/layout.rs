//! Storage layout tests: packed keys and entries decode to what was packed, every key lands in
//! exactly one map (endpoint ids of 2^24 and above in the wide one, never aliasing a packed
//! key with the same low 24 bits), and the slot sizes behind the memory figures.

use std::net::IpAddr;

use super::super::key::{AnyKey, Entry, Maps, PACKED_LOCAL_IDS, Tuple};
use super::super::state::State;

fn tuple(local_id: u32, remote: &str, local_port: u16, remote_port: u16, protocol: u8) -> Tuple {
    Tuple {
        local_id,
        remote: remote.parse::<IpAddr>().expect("literal address"),
        local_port,
        remote_port,
        protocol,
    }
}

/// Packs `t`, asserts which map it goes to, and that it unpacks to itself.
#[track_caller]
fn check_round_trip(t: Tuple, expected_map: &str) {
    let key = AnyKey::pack(&t);
    let (map, back) = match key {
        AnyKey::V4(k) => ("v4", k.unpack()),
        AnyKey::V6(k) => ("v6", k.unpack()),
        AnyKey::Wide(k) => ("wide", k),
    };
    assert_eq!(map, expected_map, "{t:?}");
    assert_eq!(back, t);
}

#[test]
fn test_key_v4_round_trip() {
    check_round_trip(tuple(0, "10.0.0.1", 443, 1024, 6), "v4");
    check_round_trip(tuple(7, "255.255.255.255", 65535, 65535, 255), "v4");
    check_round_trip(tuple(0, "0.0.0.0", 0, 0, 0), "v4");
    check_round_trip(tuple(PACKED_LOCAL_IDS - 1, "192.0.2.9", 1, 2, 17), "v4");
}

#[test]
fn test_key_v6_round_trip() {
    check_round_trip(tuple(0, "fd00::1", 443, 1024, 6), "v6");
    check_round_trip(
        tuple(
            PACKED_LOCAL_IDS - 1,
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            65535,
            65535,
            255,
        ),
        "v6",
    );
    check_round_trip(tuple(3, "2001:db8::8:800:200c:417a", 9, 0, 58), "v6");
}

#[test]
fn test_key_wide_endpoint_ids() {
    check_round_trip(tuple(PACKED_LOCAL_IDS, "10.0.0.1", 443, 1024, 6), "wide");
    check_round_trip(tuple(u32::MAX, "fd00::1", 443, 1024, 17), "wide");
}

#[test]
fn test_maps_wide_key_does_not_alias_packed_key() {
    let mut maps = Maps::default();
    for remote in ["10.0.0.1", "fd00::1"] {
        let low = tuple(5, remote, 443, 1024, 6);
        let high = tuple(PACKED_LOCAL_IDS + 5, remote, 443, 1024, 6);
        maps.insert(AnyKey::pack(&low), Entry::new(10, State::TcpEstablished, 0));
        maps.insert(
            AnyKey::pack(&high),
            Entry::new(20, State::TcpSynSent, Entry::INGRESS_STARTED),
        );
        let got = |t: &Tuple| maps.get(&AnyKey::pack(t)).map(|e| e.deadline());
        assert_eq!((got(&low), got(&high)), (Some(10), Some(20)));
    }
    assert_eq!((maps.v4.len(), maps.v6.len(), maps.wide.len()), (1, 1, 2));
    let mut seen = Vec::new();
    maps.retain(|t, e| {
        seen.push((t.local_id, t.remote.is_ipv6(), e.deadline()));
        t.local_id < PACKED_LOCAL_IDS
    });
    seen.sort_unstable();
    assert_eq!(
        seen,
        [
            (5, false, 10),
            (5, true, 10),
            (PACKED_LOCAL_IDS + 5, false, 20),
            (PACKED_LOCAL_IDS + 5, true, 20)
        ]
    );
    assert_eq!(maps.len(), 2);
    let high = AnyKey::pack(&tuple(PACKED_LOCAL_IDS + 5, "10.0.0.1", 443, 1024, 6));
    assert_eq!(maps.remove(&high), None);
}

#[test]
fn test_entry_fields_independent() {
    let states = [
        State::TcpSynSent,
        State::TcpSynRecv,
        State::TcpEstablished,
        State::TcpFinWait,
        State::TcpCloseWait,
        State::TcpLastAck,
        State::TcpTimeWait,
        State::TcpClose,
        State::UdpUnreplied,
        State::UdpReplied,
        State::UdpRequestAgain,
        State::UdpStream,
        State::IcmpEcho,
        State::Other,
    ];
    for flags in [0, Entry::INGRESS_STARTED, Entry::UNTRACKED, 0x03] {
        for (i, state) in states.into_iter().enumerate() {
            let mut e = Entry::new(u32::MAX - 1, state, flags);
            assert_eq!((e.deadline(), e.state()), (u32::MAX - 1, state));
            let next = states[(i + 1) % states.len()];
            e.set_state(next);
            e.set_deadline(7);
            assert_eq!((e.deadline(), e.state()), (7, next));
            assert_eq!(
                (e.has(Entry::INGRESS_STARTED), e.has(Entry::UNTRACKED)),
                (flags & 1 != 0, flags & 2 != 0)
            );
        }
    }
}
