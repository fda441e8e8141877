//! A snapshot as describe-* JSON: one object holding every top-level key, which
//! [`import`](fn@super::import) reads back into the same snapshot (rule ids travel in
//! `SecurityGroupRules`, as `describe-security-group-rules` prints them).

use palisade_model::{ConntrackConfig, Direction, Peer, Rule, Snapshot, Tag};
use serde_json::{Value, json};

use super::wire::{
    AssociationWire, AttachmentWire, CidrAssociationWire, CidrStateWire, ConntrackWire,
    GroupIdentifierWire, Ipv6AddressWire, Ipv6CidrAssociationWire, NetworkInterfaceWire,
    PeeringStatusWire, PeeringVpcInfoWire, PeeringWire, PrefixListEntryWire, PrefixListWire,
    PrivateIpWire, ReferencedGroupInfoWire, SecurityGroupRuleWire, SecurityGroupWire, SubnetWire,
    TagWire, VpcWire,
};
use crate::permission::rules_to_permissions;

/// The snapshot as one describe-* document with the keys `Vpcs`, `Subnets`,
/// `VpcPeeringConnections`, `PrefixLists`, `SecurityGroups`, `SecurityGroupRules` and
/// `NetworkInterfaces`.
pub fn export(snap: &Snapshot) -> Value {
    let vpcs: Vec<VpcWire> = snap
        .vpcs
        .values()
        .map(|v| VpcWire {
            vpc_id: v.id.to_string(),
            owner_id: Some(v.owner.to_string()),
            cidr_block: v.cidrs_v4.first().map(ToString::to_string),
            cidr_block_association_set: v
                .cidrs_v4
                .iter()
                .map(|c| CidrAssociationWire {
                    cidr_block: c.to_string(),
                    cidr_block_state: associated(),
                })
                .collect(),
            ipv6_cidr_block_association_set: v
                .cidrs_v6
                .iter()
                .map(|c| Ipv6CidrAssociationWire {
                    ipv6_cidr_block: c.to_string(),
                    ipv6_cidr_block_state: associated(),
                })
                .collect(),
            is_default: v.is_default,
            tags: tags(&v.tags),
        })
        .collect();
    let subnets: Vec<SubnetWire> = snap
        .subnets
        .values()
        .map(|s| SubnetWire {
            subnet_id: s.id.to_string(),
            vpc_id: Some(s.vpc_id.to_string()),
            owner_id: Some(s.owner.to_string()),
            cidr_block: s.cidr_v4.map(|c| c.to_string()),
            ipv6_cidr_block_association_set: s
                .cidr_v6
                .iter()
                .map(|c| Ipv6CidrAssociationWire {
                    ipv6_cidr_block: c.to_string(),
                    ipv6_cidr_block_state: associated(),
                })
                .collect(),
            availability_zone: s.availability_zone.clone(),
            tags: tags(&s.tags),
        })
        .collect();
    let peerings: Vec<PeeringWire> = snap
        .peerings
        .values()
        .map(|p| PeeringWire {
            vpc_peering_connection_id: p.id.to_string(),
            requester_vpc_info: PeeringVpcInfoWire {
                vpc_id: Some(p.requester_vpc.to_string()),
                owner_id: Some(p.requester_owner.to_string()),
                ..PeeringVpcInfoWire::default()
            },
            accepter_vpc_info: PeeringVpcInfoWire {
                vpc_id: Some(p.accepter_vpc.to_string()),
                owner_id: Some(p.accepter_owner.to_string()),
                ..PeeringVpcInfoWire::default()
            },
            status: PeeringStatusWire {
                code: Some(p.status.aws_name().to_owned()),
                message: None,
            },
            tags: tags(&p.tags),
        })
        .collect();
    let prefix_lists: Vec<PrefixListWire> = snap
        .prefix_lists
        .values()
        .map(|p| PrefixListWire {
            prefix_list_id: p.id.to_string(),
            prefix_list_name: p.name.clone(),
            address_family: Some(p.family.aws_name().to_owned()),
            max_entries: Some(i64::from(p.max_entries)),
            version: i64::try_from(p.version).ok(),
            owner_id: Some(p.owner.to_string()),
            entries: p
                .entries
                .iter()
                .map(|e| PrefixListEntryWire {
                    cidr: e.cidr.to_string(),
                    description: e.description.clone(),
                })
                .collect(),
            cidrs: Vec::new(),
            tags: tags(&p.tags),
        })
        .collect();
    let groups: Vec<SecurityGroupWire> = snap
        .groups
        .values()
        .map(|g| SecurityGroupWire {
            group_id: g.id.to_string(),
            group_name: g.name.clone(),
            description: g.description.clone(),
            vpc_id: Some(g.vpc_id.to_string()),
            owner_id: Some(g.owner.to_string()),
            ip_permissions: rules_to_permissions(g.rules_in(Direction::Ingress)),
            ip_permissions_egress: rules_to_permissions(g.rules_in(Direction::Egress)),
            tags: tags(&g.tags),
        })
        .collect();
    let rules: Vec<SecurityGroupRuleWire> = snap
        .groups
        .values()
        .flat_map(|g| {
            g.rules()
                .iter()
                .map(move |r| rule_row(&g.owner.to_string(), r))
        })
        .collect();
    let enis: Vec<NetworkInterfaceWire> =
        snap.enis
            .values()
            .map(|e| NetworkInterfaceWire {
                network_interface_id: e.id.to_string(),
                vpc_id: Some(e.vpc_id.to_string()),
                subnet_id: e.subnet_id.as_ref().map(ToString::to_string),
                owner_id: Some(e.owner.to_string()),
                description: Some(e.description.clone()),
                private_ip_address: e.private_ipv4.first().map(ToString::to_string),
                private_ip_addresses: e
                    .private_ipv4
                    .iter()
                    .enumerate()
                    .map(|(idx, a)| PrivateIpWire {
                        private_ip_address: a.to_string(),
                        primary: idx == 0,
                        association: None,
                    })
                    .collect(),
                ipv6_addresses: e
                    .ipv6
                    .iter()
                    .map(|a| Ipv6AddressWire {
                        ipv6_address: a.to_string(),
                    })
                    .collect(),
                association: e.public_ipv4.map(|ip| AssociationWire {
                    public_ip: Some(ip.to_string()),
                }),
                groups: e
                    .groups
                    .iter()
                    .map(|g| GroupIdentifierWire {
                        group_id: g.to_string(),
                        group_name: snap.groups.get(g).map(|g| g.name.clone()),
                    })
                    .collect(),
                attachment: e.instance_id.as_ref().map(|i| AttachmentWire {
                    instance_id: Some(i.to_string()),
                }),
                connection_tracking_configuration: (e.conntrack != ConntrackConfig::default())
                    .then(|| ConntrackWire {
                        tcp_established_timeout: Some(i64::from(e.conntrack.tcp_established())),
                        udp_stream_timeout: Some(i64::from(e.conntrack.udp_stream())),
                        udp_timeout: Some(i64::from(e.conntrack.udp())),
                    }),
                tag_set: tags(&e.tags),
            })
            .collect();
    let mut doc = json!({
        "Vpcs": vpcs,
        "Subnets": subnets,
        "VpcPeeringConnections": peerings,
        "PrefixLists": prefix_lists,
        "SecurityGroups": groups,
        "SecurityGroupRules": rules,
        "NetworkInterfaces": enis,
    });
    // --- routing ---
    super::routing_export::add(&mut doc, snap);
    doc
}

fn associated() -> Option<CidrStateWire> {
    Some(CidrStateWire {
        state: Some("associated".to_owned()),
    })
}

pub(super) fn tags(tags: &[Tag]) -> Vec<TagWire> {
    tags.iter()
        .map(|t| TagWire {
            key: t.key.clone(),
            value: t.value.clone(),
        })
        .collect()
}

/// One rule as describe-security-group-rules prints it (`-1` shows ports -1/-1 there).
fn rule_row(owner: &str, r: &Rule) -> SecurityGroupRuleWire {
    let (from, to) = r.traffic().ports().unwrap_or((-1, -1));
    let mut row = SecurityGroupRuleWire {
        security_group_rule_id: r.id.to_string(),
        group_id: r.group_id.to_string(),
        group_owner_id: Some(owner.to_owned()),
        is_egress: r.direction() == Direction::Egress,
        ip_protocol: Some(r.traffic().protocol().aws_name()),
        from_port: Some(i64::from(from)),
        to_port: Some(i64::from(to)),
        description: r.description.clone(),
        tags: tags(&r.tags),
        ..SecurityGroupRuleWire::default()
    };
    match r.peer() {
        Peer::Ipv4(n) => row.cidr_ipv4 = Some(n.to_string()),
        Peer::Ipv6(n) => row.cidr_ipv6 = Some(n.to_string()),
        Peer::PrefixList(p) => row.prefix_list_id = Some(p.to_string()),
        Peer::Group(g) => {
            row.referenced_group_info = Some(ReferencedGroupInfoWire {
                group_id: Some(g.group_id.to_string()),
                user_id: g.owner.as_ref().map(ToString::to_string),
                vpc_id: g.vpc_id.as_ref().map(ToString::to_string),
                vpc_peering_connection_id: g.peering_id.as_ref().map(ToString::to_string),
                peering_status: None,
            });
        }
    }
    row
}
