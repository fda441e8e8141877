//! The reference evaluator: the slow, obvious reading of EC2's semantics, one loop over every
//! rule of every group on the interface. The compiled engine must agree with it exactly.
//!
//! Semantics (EC2 UG "Security group rules", VPC UG "Security group rules"):
//! - allowed iff any rule of any group on the interface, in the packet's direction, matches;
//! - a CIDR peer matches addresses inside it; IPv4 never matches IPv6 and back;
//! - a prefix-list peer matches the list's entries (an unknown list matches nothing);
//! - a group peer matches the private addresses of the referenced group's member interfaces,
//!   in the same VPC or across an active peering — never public addresses.

use std::net::IpAddr;

use palisade_model::{Peer, Snapshot};

use crate::packet::{DecideError, Decision, Packet, RuleMatch};

/// Decides one packet by scanning every rule.
pub fn decide(snapshot: &Snapshot, pkt: &Packet) -> Result<Decision, DecideError> {
    let eni = snapshot
        .enis
        .get(&pkt.interface)
        .ok_or_else(|| DecideError::UnknownInterface(pkt.interface.clone()))?;
    let mut matches = Vec::new();
    for group_id in &eni.groups {
        let Some(group) = snapshot.groups.get(group_id) else {
            continue;
        };
        for rule in group.rules_in(pkt.direction) {
            if pkt.payload.matched_by(rule.traffic())
                && peer_matches(snapshot, &group.vpc_id, rule.peer(), pkt.remote)
            {
                matches.push(RuleMatch {
                    group_id: group.id.clone(),
                    rule_id: rule.id.clone(),
                });
            }
        }
    }
    Ok(Decision::from_matches(matches))
}

/// Does `peer` (of a rule in a group of `vpc`) match the remote address?
pub fn peer_matches(
    snapshot: &Snapshot,
    vpc: &palisade_model::VpcId,
    peer: &Peer,
    remote: IpAddr,
) -> bool {
    match (peer, remote) {
        (Peer::Ipv4(net), IpAddr::V4(a)) => net.contains(&a),
        (Peer::Ipv6(net), IpAddr::V6(a)) => net.contains(&a),
        (Peer::Ipv4(_) | Peer::Ipv6(_), _) => false,
        (Peer::PrefixList(id), addr) => snapshot
            .prefix_lists
            .get(id)
            .is_some_and(|pl| pl.contains(addr)),
        (Peer::Group(gref), addr) => snapshot
            .referenced_members(vpc, gref)
            .any(|eni| eni.private_addrs().any(|a| a == addr)),
    }
}
