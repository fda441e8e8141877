//! Per-interface connection-tracking timeouts (EC2 `ConnectionTrackingSpecification`) in a
//! router: a `table inet palisade_lab_ct` of nftables `ct timeout` objects, one per distinct
//! value, assigned to a flow on its first packet (pure: text only, loaded by the fabric).
//!
//! The assignment has to run after conntrack has created the flow's entry and before the
//! entry is confirmed: the kernel (`nft_ct_timeout_obj_eval`) ignores a packet without an
//! entry or whose entry is already confirmed. So the chain hooks prerouting at priority
//! −150 (conntrack is −200), not at raw (−300), where a packet has no entry yet and the
//! assignment silently does nothing. Only the first packet of a flow is in that state.
//!
//! EC2 tracks a flow on each interface with that interface's timeouts; the router has one
//! entry per flow, so it gets the sender's timeouts, or the receiver's when the receiver has
//! its own (its line comes later and replaces the sender's). TCP's value is the
//! `established` state's, UDP's `UdpTimeout` is `unreplied` (a flow that saw one direction
//! or a single request and response) and `UdpStreamTimeout` is `replied` (Linux calls a
//! flow still active two seconds after its reply a stream). The router's own default for
//! streams is set to EC2's 180 s (`fabric`), the others' defaults already match EC2's.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::IpAddr;

use palisade_model::ConntrackConfig;

use super::plan::{EniTimeouts, RouterPlan};

/// The lab's table of timeout objects in each router that has an interface with its own.
pub const CT_TABLE: &str = "palisade_lab_ct";

/// What one load writes: the table's text and the objects it leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TimeoutsText {
    pub(super) text: String,
    pub(super) objects: BTreeSet<String>,
}

/// The transaction that brings a router's timeouts from `previous` (the objects the last
/// load left) to `router`'s. Objects still wanted stay in place, so the flows that use them
/// keep their timeouts (deleting an object puts its flows back on the defaults); the chain
/// is refilled; objects no longer used are deleted. `None` when there is nothing to do.
pub(super) fn timeouts_text(
    router: &RouterPlan,
    previous: &BTreeSet<String>,
) -> Option<TimeoutsText> {
    if router.timeouts.is_empty() {
        return (!previous.is_empty()).then(|| TimeoutsText {
            text: format!("table inet {CT_TABLE}\ndelete table inet {CT_TABLE}\n"),
            objects: BTreeSet::new(),
        });
    }
    let d = ConntrackConfig::default();
    // Name → definition.
    let mut objects: BTreeMap<String, String> = BTreeMap::new();
    let mut rules = Vec::new();
    // The sender's lines first, the receiver's after them: the last assignment stays.
    for t in &router.timeouts {
        for (proto, object) in objects_of(t, &d) {
            let Some((name, body)) = object else { continue };
            rules.push(format!(
                "iifname \"{}\" meta l4proto {proto} ct timeout set \"{name}\"",
                t.port
            ));
            objects.insert(name, body);
        }
    }
    for t in &router.timeouts {
        let wanted = objects_of(t, &d);
        for addr in &t.addrs {
            let key = match addr {
                IpAddr::V4(_) => "ip daddr",
                IpAddr::V6(_) => "ip6 daddr",
            };
            for (proto, object) in &wanted {
                let Some((name, _)) = object else { continue };
                rules.push(format!(
                    "{key} {addr} meta l4proto {proto} ct timeout set \"{name}\""
                ));
            }
        }
    }
    let mut text = format!("table inet {CT_TABLE} {{\n");
    for (name, body) in &objects {
        let _ = writeln!(text, "\tct timeout {name} {{ {body} }}");
    }
    let _ = writeln!(
        text,
        "\tchain timeouts {{ type filter hook prerouting priority -150; policy accept; }}\n}}"
    );
    let _ = writeln!(text, "flush chain inet {CT_TABLE} timeouts");
    let _ = writeln!(
        text,
        "add rule inet {CT_TABLE} timeouts ct state != new return"
    );
    for r in &rules {
        let _ = writeln!(text, "add rule inet {CT_TABLE} timeouts {r}");
    }
    let objects: BTreeSet<String> = objects.into_keys().collect();
    for stale in previous.difference(&objects) {
        let _ = writeln!(text, "delete ct timeout inet {CT_TABLE} {stale}");
    }
    Some(TimeoutsText { text, objects })
}

/// The TCP and UDP objects (name, definition) an interface needs: only for the protocols
/// whose timeouts differ from EC2's defaults.
fn objects_of(
    t: &EniTimeouts,
    d: &ConntrackConfig,
) -> [(&'static str, Option<(String, String)>); 2] {
    let tcp = (t.tcp_established != d.tcp_established()).then(|| {
        (
            format!("tcp_{}", t.tcp_established),
            format!(
                "protocol tcp; policy = {{ established : {} }};",
                t.tcp_established
            ),
        )
    });
    let udp = (t.udp != d.udp() || t.udp_stream != d.udp_stream()).then(|| {
        (
            format!("udp_{}_{}", t.udp, t.udp_stream),
            format!(
                "protocol udp; policy = {{ unreplied : {}, replied : {} }};",
                t.udp, t.udp_stream
            ),
        )
    });
    [("tcp", tcp), ("udp", udp)]
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;

    fn router(timeouts: Vec<EniTimeouts>) -> RouterPlan {
        RouterPlan {
            vpc: "vpc-0123456789abcdef0".parse().unwrap(),
            region: "us-east-1".into(),
            blocks: vec![],
            ports: vec![],
            tables: vec![],
            nat: vec![],
            gateway: false,
            forwarding: BTreeSet::new(),
            timeouts,
        }
    }

    fn eni(port: &str, addr: &str, [tcp_established, udp_stream, udp]: [u32; 3]) -> EniTimeouts {
        EniTimeouts {
            port: port.into(),
            addrs: vec![addr.parse().unwrap()],
            tcp_established,
            udp_stream,
            udp,
        }
    }

    #[test]
    fn timeouts_are_objects_assigned_by_sender_then_receiver() {
        let r = router(vec![
            eni("e1", "10.0.1.4", [120, 180, 30]),
            eni("e2", "2001:db8::5", [432_000, 60, 45]),
        ]);
        let out = timeouts_text(&r, &["tcp_90".to_owned()].into()).unwrap();
        expect![[r#"
            table inet palisade_lab_ct {
            	ct timeout tcp_120 { protocol tcp; policy = { established : 120 }; }
            	ct timeout udp_45_60 { protocol udp; policy = { unreplied : 45, replied : 60 }; }
            	chain timeouts { type filter hook prerouting priority -150; policy accept; }
            }
            flush chain inet palisade_lab_ct timeouts
            add rule inet palisade_lab_ct timeouts ct state != new return
            add rule inet palisade_lab_ct timeouts iifname "e1" meta l4proto tcp ct timeout set "tcp_120"
            add rule inet palisade_lab_ct timeouts iifname "e2" meta l4proto udp ct timeout set "udp_45_60"
            add rule inet palisade_lab_ct timeouts ip daddr 10.0.1.4 meta l4proto tcp ct timeout set "tcp_120"
            add rule inet palisade_lab_ct timeouts ip6 daddr 2001:db8::5 meta l4proto udp ct timeout set "udp_45_60"
            delete ct timeout inet palisade_lab_ct tcp_90
        "#]]
        .assert_eq(&out.text);
        assert_eq!(out.objects.len(), 2);
    }

    #[test]
    fn no_timeouts_removes_the_table_once() {
        let r = router(vec![]);
        assert_eq!(timeouts_text(&r, &BTreeSet::new()), None);
        let out = timeouts_text(&r, &["tcp_120".to_owned()].into()).unwrap();
        assert_eq!(
            out.text,
            "table inet palisade_lab_ct\ndelete table inet palisade_lab_ct\n"
        );
    }
}
