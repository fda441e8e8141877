//! Snapshot tests of rendered rulesets, and the pure parts of moving from one ruleset to the
//! next (member deltas, addresses that changed owner).

use expect_test::{Expect, ExpectFile, expect, expect_file};
use palisade_dataplane::{ApplyKind, LocalInterface, RenderError, Ruleset, render, render_closed};
use palisade_model::{Direction, Snapshot};

use crate::fixtures::{World, eni_id, inst, sg, use_cases};

/// The host-side interface name of instance `n`'s link.
pub(crate) fn ifname(n: u8) -> String {
    format!("eni{n}")
}

pub(crate) fn local(ns: &[u8]) -> Vec<LocalInterface> {
    ns.iter()
        .map(|n| LocalInterface::new(eni_id(*n), &ifname(*n)).unwrap())
        .collect()
}

#[track_caller]
fn check(snapshot: &Snapshot, ns: &[u8], expect: ExpectFile) -> Ruleset {
    let ruleset = render(snapshot, &local(ns)).unwrap();
    expect.assert_eq(&ruleset.text());
    ruleset
}

#[test]
fn render_use_cases_all_local() {
    let w = use_cases();
    let all = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    let rs = check(&w.snap, &all, expect_file!["../../test_data/use_cases.nft"]);
    assert!(rs.warnings().is_empty(), "{:?}", rs.warnings());
}

#[test]
fn render_one_host_with_two_interfaces() {
    // The database's member set still lists the web server, which lives on another host.
    let w = use_cases();
    check(
        &w.snap,
        &[inst::DB, inst::OTHER],
        expect_file!["../../test_data/db_and_other.nft"],
    );
}

#[test]
fn render_closed_drops_everything() {
    let rs = render_closed(&local(&[1, 2])).unwrap();
    expect_file!["../../test_data/closed.nft"].assert_eq(&rs.text());
}

#[test]
fn render_missing_things_are_warned_and_dropped() {
    let mut w = World::new();
    let g = w.group(1, "g");
    w.allow_in(&g, "tcp", 22, "pl-000000ff");
    w.allow_in(&g, "tcp", 23, "sg-000000ee");
    let ghost = crate::fixtures::gid(0xdd);
    w.eni(1, &[&g, &ghost]);
    let rs = check(
        &w.snap,
        &[1, 2],
        expect_file!["../../test_data/missing.nft"],
    );
    expect![[r#"
        [
            "interface eni-00000002 (eni2) is not in the snapshot: all its traffic is dropped",
            "interface eni-00000001 uses security group sg-000000dd, which is not in the snapshot",
            "security group sg-00000001 rule sgr-00000001 references prefix list pl-000000ff, which is not in the snapshot: it matches nothing",
        ]
    "#]]
    .assert_debug_eq(&rs.warnings());
}

#[test]
fn render_is_deterministic_whatever_the_interface_order() {
    let w = use_cases();
    let a = render(&w.snap, &local(&[1, 2, 3])).unwrap();
    let b = render(&w.snap, &local(&[3, 1, 2])).unwrap();
    assert_eq!(a, b);
}

#[test]
fn render_refuses_duplicate_mappings() {
    let w = use_cases();
    let mut ifaces = local(&[1, 2]);
    ifaces.push(LocalInterface::new(eni_id(1), "other").unwrap());
    assert_eq!(
        render(&w.snap, &ifaces),
        Err(RenderError::DuplicateEni(eni_id(1)))
    );
    let mut ifaces = local(&[1, 2]);
    ifaces.push(LocalInterface::new(eni_id(3), "eni1").unwrap());
    assert_eq!(
        render(&w.snap, &ifaces),
        Err(RenderError::DuplicateIfname("eni1".into()))
    );
}

#[track_caller]
fn check_mapping(s: &str, expect: Expect) {
    let res = s
        .parse::<LocalInterface>()
        .map(|i| i.to_string())
        .map_err(|e| e.to_string());
    expect.assert_debug_eq(&res);
}

#[test]
fn mapping_parses() {
    check_mapping(
        "eni-0123abcd=veth1",
        expect![[r#"
        Ok(
            "eni-0123abcd=veth1",
        )
    "#]],
    );
    check_mapping(
        "eni-0123abcd",
        expect![[r#"
        Err(
            "interface mapping 'eni-0123abcd' is not ENI_ID=IFNAME",
        )
    "#]],
    );
    check_mapping(
        "eni-xyz=veth1",
        expect![[r#"
        Err(
            "interface mapping 'eni-xyz=veth1': Invalid id: \"eni-xyz\" (expecting \"eni-...\")",
        )
    "#]],
    );
    check_mapping(
        "eni-0123abcd=a name\"",
        expect![[r#"
        Err(
            "interface name 'a name\"' is invalid (1 to 15 characters of a-z A-Z 0-9 . _ - @ :, as Linux allows)",
        )
    "#]],
    );
    check_mapping(
        "eni-0123abcd=abcdefghijklmnop",
        expect![[r#"
        Err(
            "interface name 'abcdefghijklmnop' is invalid (1 to 15 characters of a-z A-Z 0-9 . _ - @ :, as Linux allows)",
        )
    "#]],
    );
}

#[test]
fn membership_change_is_a_set_delta() {
    // Adding "other" to the web group changes only the web group's member sets.
    let mut w = use_cases();
    let before = render(&w.snap, &local(&[1, 2, 9])).unwrap();
    let (web, client) = (
        crate::fixtures::gid(sg::WEB),
        crate::fixtures::gid(sg::CLIENT),
    );
    w.set_groups(&eni_id(inst::OTHER), &[&client, &web]);
    let after = render(&w.snap, &local(&[1, 2, 9])).unwrap();
    // The interface's own chain changed (it jumps to one more group): not members-only.
    assert_eq!(before.delta(&after).unwrap().kind(), ApplyKind::Incremental);

    // A member on another host: only the set changes.
    let mut w = use_cases();
    let before = render(&w.snap, &local(&[2])).unwrap();
    w.set_groups(&eni_id(inst::OTHER), &[&client, &web]);
    let after = render(&w.snap, &local(&[2])).unwrap();
    let delta = before.delta(&after).unwrap();
    assert_eq!(delta.kind(), ApplyKind::Members);
    expect![[r#"
        add element inet palisade grp_00000001_v4 { 10.0.9.10 }
        add element inet palisade grp_00000001_v6 { 2001:db8:0:9::10 }
    "#]]
    .assert_eq(delta.to_nft());
    let back = after.delta(&before).unwrap();
    expect![[r#"
        delete element inet palisade grp_00000001_v4 { 10.0.9.10 }
        delete element inet palisade grp_00000001_v6 { 2001:db8:0:9::10 }
    "#]]
    .assert_eq(back.to_nft());
    let same = before.delta(&before).unwrap();
    assert_eq!((same.kind(), same.to_nft()), (ApplyKind::Unchanged, ""));
}

#[test]
fn rule_change_rewrites_only_that_groups_chains_and_sets() {
    let mut w = use_cases();
    let before = render(&w.snap, &local(&[2])).unwrap();
    let db = crate::fixtures::gid(sg::DB);
    w.rule(
        &db,
        Direction::Ingress,
        "tcp",
        Some(1521),
        Some(1521),
        "10.0.0.0/16",
    );
    let after = render(&w.snap, &local(&[2])).unwrap();
    let delta = before.delta(&after).unwrap();
    assert_eq!(delta.kind(), ApplyKind::Incremental);
    expect![[r#"
        flush chain inet palisade sg_00000002_in
        table inet palisade {
        	set sg_00000002_in_tcp_v4 {
        		type ipv4_addr . inet_service
        		flags interval
        		elements = { 10.0.0.0/16 . 1521 }
        	}
        	chain sg_00000002_in {
        		ip saddr . tcp dport @sg_00000002_in_tcp_v4 accept
        		ip saddr @grp_00000001_v4 tcp dport { 3306, 5432 } accept
        		ip6 saddr @grp_00000001_v6 tcp dport { 3306, 5432 } accept
        		ip saddr @grp_00000001_v4 udp dport 5555 accept
        		ip6 saddr @grp_00000001_v6 udp dport 5555 accept
        	}
        }
    "#]]
    .assert_eq(delta.to_nft());
}

#[test]
fn moved_addresses_are_those_that_left_their_interface() {
    let mut w = use_cases();
    let before = render(&w.snap, &local(&[1, 2, 9])).unwrap();
    // Interface 9 deleted; interface 2's address handed to interface 1.
    w.snap.enis.remove(&eni_id(inst::OTHER));
    let addr = w
        .snap
        .enis
        .get_mut(&eni_id(inst::DB))
        .unwrap()
        .private_ipv4
        .remove(0);
    w.snap
        .enis
        .get_mut(&eni_id(inst::WEB))
        .unwrap()
        .private_ipv4
        .push(addr);
    let after = render(&w.snap, &local(&[1, 2, 9])).unwrap();
    expect![[r#"
        [
            10.0.2.10,
            10.0.9.10,
            2001:db8:0:9::10,
        ]
    "#]]
    .assert_debug_eq(&before.moved_addresses(&after));
}

#[test]
fn render_with_a_forwarding_interface_guards_references_and_lifts_its_anti_spoofing() {
    // EC2: a group reference does not admit what a middlebox forwards; an instance with its
    // source/destination check off sends from addresses not its own.
    let w = use_cases();
    let plain = local(&[inst::DB, inst::OTHER]);
    let mut ifaces = plain.clone();
    ifaces[1] = ifaces[1].clone().forwarding();
    let text = render(&w.snap, &ifaces).unwrap().text();
    let lines = |needle: &str| -> Vec<String> {
        text.lines()
            .map(str::trim)
            .filter(|l| l.contains(needle))
            .map(str::to_owned)
            .collect()
    };
    expect![[r#"
        [
            "meta mark & 0x00010000 == 0x00000000 ip saddr @grp_00000001_v4 tcp dport { 3306, 5432 } accept",
            "meta mark & 0x00010000 == 0x00000000 ip6 saddr @grp_00000001_v6 tcp dport { 3306, 5432 } accept",
            "meta mark & 0x00010000 == 0x00000000 ip saddr @grp_00000001_v4 udp dport 5555 accept",
            "meta mark & 0x00010000 == 0x00000000 ip6 saddr @grp_00000001_v6 udp dport 5555 accept",
        ]
    "#]]
    .assert_debug_eq(&lines("@grp_"));
    let marked = lines("meta mark set");
    assert_eq!(
        marked.len(),
        2,
        "the forwarding interface's v4 and v6 checks: {marked:?}"
    );
    let dropped = lines("saddr != ");
    let dropped: Vec<&String> = dropped.iter().filter(|l| l.ends_with(" drop")).collect();
    assert_eq!(
        dropped.len(),
        2,
        "the other one still drops spoofed sources: {dropped:?}"
    );
    // The cache follows the interfaces' mode both ways.
    let mut r = palisade_dataplane::Renderer::new();
    for i in [&plain, &ifaces, &plain] {
        assert_eq!(r.render(&w.snap, i).unwrap(), render(&w.snap, i).unwrap());
    }
}
