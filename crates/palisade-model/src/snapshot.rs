//! A snapshot: every VPC, subnet, group, interface, peering and prefix list that decisions
//! are made over, with the semantic look-ups the engine, analysis and data plane share.

use std::collections::BTreeMap;
use std::net::IpAddr;

use thiserror::Error;

use crate::group::SecurityGroup;
use crate::ids::{AllocationId, InternetGatewayId, NetworkAclId, RouteTableId};
use crate::ids::{EniId, GroupId, PeeringId, PrefixListId, SubnetId, VpcId};
use crate::network::{Eni, Peering, PrefixList, Subnet, Vpc};
use crate::peer::{GroupRef, Peer};
use crate::routing::{ElasticIp, InternetGateway, NetworkAcl, RouteTable};

/// The configuration of one or more accounts at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub vpcs: BTreeMap<VpcId, Vpc>,
    pub subnets: BTreeMap<SubnetId, Subnet>,
    pub groups: BTreeMap<GroupId, SecurityGroup>,
    pub enis: BTreeMap<EniId, Eni>,
    pub peerings: BTreeMap<PeeringId, Peering>,
    pub prefix_lists: BTreeMap<PrefixListId, PrefixList>,
    // --- routing ---
    pub route_tables: BTreeMap<RouteTableId, RouteTable>,
    pub internet_gateways: BTreeMap<InternetGatewayId, InternetGateway>,
    pub addresses: BTreeMap<AllocationId, ElasticIp>,
    pub network_acls: BTreeMap<NetworkAclId, NetworkAcl>,
}

/// An inconsistency inside a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SnapshotError {
    #[error("network interface {eni} uses security group {group}, which is not in the input")]
    UnknownGroupOnInterface { eni: EniId, group: GroupId },
    #[error(
        "network interface {eni} (VPC {eni_vpc}) uses security group {group} of VPC {group_vpc}"
    )]
    GroupOfOtherVpc {
        eni: EniId,
        eni_vpc: VpcId,
        group: GroupId,
        group_vpc: VpcId,
    },
    #[error(
        "security group {group} rule {rule} references prefix list {prefix_list}, which is not in the input"
    )]
    UnknownPrefixList {
        group: GroupId,
        rule: String,
        prefix_list: PrefixListId,
    },
    #[error("network interface {eni} has no security group")]
    InterfaceWithoutGroup { eni: EniId },
}

impl Snapshot {
    /// Every inconsistency: unknown groups on interfaces, groups of another VPC, rules naming
    /// prefix lists that are not in the snapshot. (A rule referencing a deleted group is
    /// *stale*, which EC2 allows; it is not reported here.)
    pub fn check(&self) -> Vec<SnapshotError> {
        let mut errors = Vec::new();
        for eni in self.enis.values() {
            if eni.groups.is_empty() {
                errors.push(SnapshotError::InterfaceWithoutGroup {
                    eni: eni.id.clone(),
                });
            }
            for group_id in &eni.groups {
                match self.groups.get(group_id) {
                    None => errors.push(SnapshotError::UnknownGroupOnInterface {
                        eni: eni.id.clone(),
                        group: group_id.clone(),
                    }),
                    Some(g) if g.vpc_id != eni.vpc_id => {
                        errors.push(SnapshotError::GroupOfOtherVpc {
                            eni: eni.id.clone(),
                            eni_vpc: eni.vpc_id.clone(),
                            group: group_id.clone(),
                            group_vpc: g.vpc_id.clone(),
                        });
                    }
                    Some(_) => {}
                }
            }
        }
        for group in self.groups.values() {
            for rule in group.rules() {
                if let Peer::PrefixList(pl) = rule.peer()
                    && !self.prefix_lists.contains_key(pl)
                {
                    errors.push(SnapshotError::UnknownPrefixList {
                        group: group.id.clone(),
                        rule: rule.id.to_string(),
                        prefix_list: pl.clone(),
                    });
                }
            }
        }
        errors
    }

    /// The interfaces a group is attached to.
    pub fn members<'a>(&'a self, group: &'a GroupId) -> impl Iterator<Item = &'a Eni> + 'a {
        self.enis.values().filter(move |e| e.has_group(group))
    }

    /// True when traffic may cross between the two VPCs through an active peering
    /// (a specific one when `via` is given).
    pub fn peered(&self, a: &VpcId, b: &VpcId, via: Option<&PeeringId>) -> bool {
        match via {
            Some(id) => self.peerings.get(id).is_some_and(|p| p.joins(a, b)),
            None => self.peerings.values().any(|p| p.joins(a, b)),
        }
    }

    /// The interfaces whose private addresses a group reference in a rule of a group in
    /// `from_vpc` matches: members of the referenced group in the same VPC, or in a VPC
    /// joined to it by an active peering ("Update your security groups to reference peer
    /// security groups", VPC Peering Guide).
    pub fn referenced_members<'a>(
        &'a self,
        from_vpc: &'a VpcId,
        gref: &'a GroupRef,
    ) -> impl Iterator<Item = &'a Eni> + 'a {
        self.members(&gref.group_id).filter(move |eni| {
            if &eni.vpc_id == from_vpc {
                // A reference naming a peering still matches same-VPC members only if the
                // group is local; EC2 resolves by membership, so same VPC always matches.
                return true;
            }
            self.peered(from_vpc, &eni.vpc_id, gref.peering_id.as_ref())
        })
    }

    /// The addresses a rule's peer matches, for a rule of a group in `from_vpc`; `None` for
    /// CIDR peers (which are not address lists). Unknown prefix lists match nothing.
    pub fn peer_addresses(&self, from_vpc: &VpcId, peer: &Peer) -> Option<Vec<IpAddr>> {
        match peer {
            Peer::Group(gref) => Some(
                self.referenced_members(from_vpc, gref)
                    .flat_map(|e| e.private_addrs())
                    .collect(),
            ),
            _ => None,
        }
    }
}
