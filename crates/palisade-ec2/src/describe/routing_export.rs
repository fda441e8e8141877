//! Routing as describe-* JSON: `RouteTables` (stored routes only; `local` routes follow the
//! VPC), `InternetGateways`, `Addresses` and `NetworkAcls`, added to the export only when the
//! snapshot has such resources, so snapshots without routing export as before.

use palisade_model::{OtherTargetKind, RouteDestination, RouteTarget, Snapshot};
use serde_json::Value;

use super::export::tags;
use super::routing_wire::{
    AddressWire, GatewayAttachmentWire, InternetGatewayWire, NetworkAclWire,
    RouteTableAssociationWire, RouteTableWire, RouteWire,
};

fn route(destination: &RouteDestination, target: &RouteTarget) -> RouteWire {
    let mut w = RouteWire {
        origin: Some("CreateRoute".to_owned()),
        ..RouteWire::default()
    };
    match destination {
        RouteDestination::Ipv4(n) => w.destination_cidr_block = Some(n.to_string()),
        RouteDestination::Ipv6(n) => w.destination_ipv6_cidr_block = Some(n.to_string()),
        RouteDestination::PrefixList(p) => w.destination_prefix_list_id = Some(p.to_string()),
    }
    match target {
        RouteTarget::Gateway(g) => w.gateway_id = Some(g.to_string()),
        RouteTarget::Peering(p) => w.vpc_peering_connection_id = Some(p.to_string()),
        RouteTarget::Instance(i) => w.instance_id = Some(i.to_string()),
        RouteTarget::Eni(e) => w.network_interface_id = Some(e.to_string()),
        RouteTarget::Other(t) => {
            let id = Some(t.id().to_owned());
            match t.kind() {
                OtherTargetKind::NatGateway => w.nat_gateway_id = id,
                OtherTargetKind::TransitGateway => w.transit_gateway_id = id,
                OtherTargetKind::VpnGateway | OtherTargetKind::VpcEndpoint => w.gateway_id = id,
                OtherTargetKind::EgressOnlyInternetGateway => {
                    w.egress_only_internet_gateway_id = id;
                }
                OtherTargetKind::CarrierGateway => w.carrier_gateway_id = id,
                OtherTargetKind::LocalGateway => w.local_gateway_id = id,
                OtherTargetKind::CoreNetwork => w.core_network_arn = id,
            }
        }
    }
    w
}

/// Adds the routing keys that have items to `doc` (an object).
pub(super) fn add(doc: &mut Value, snap: &Snapshot) {
    let Value::Object(map) = doc else {
        return;
    };
    let tables: Vec<RouteTableWire> = snap
        .route_tables
        .values()
        .map(|t| RouteTableWire {
            route_table_id: t.id.to_string(),
            vpc_id: Some(t.vpc_id.to_string()),
            owner_id: Some(t.owner.to_string()),
            routes: t
                .routes
                .iter()
                .map(|r| route(&r.destination, &r.target))
                .collect(),
            associations: t
                .main
                .iter()
                .map(|a| RouteTableAssociationWire {
                    main: true,
                    route_table_association_id: a.to_string(),
                    subnet_id: None,
                })
                .chain(t.subnets.iter().map(|(a, s)| RouteTableAssociationWire {
                    main: false,
                    route_table_association_id: a.to_string(),
                    subnet_id: Some(s.to_string()),
                }))
                .collect(),
            tags: tags(&t.tags),
        })
        .collect();
    let gateways: Vec<InternetGatewayWire> = snap
        .internet_gateways
        .values()
        .map(|g| InternetGatewayWire {
            internet_gateway_id: g.id.to_string(),
            owner_id: Some(g.owner.to_string()),
            attachments: g
                .vpc
                .iter()
                .map(|v| GatewayAttachmentWire {
                    vpc_id: v.to_string(),
                    state: Some("available".to_owned()),
                })
                .collect(),
            tags: tags(&g.tags),
        })
        .collect();
    let addresses: Vec<AddressWire> = snap
        .addresses
        .values()
        .map(|a| {
            let assoc = a.association.as_ref();
            AddressWire {
                allocation_id: a.allocation_id.to_string(),
                public_ip: a.public_ip.to_string(),
                association_id: assoc.map(|x| x.id.to_string()),
                network_interface_id: assoc.map(|x| x.eni.to_string()),
                network_interface_owner_id: Some(a.owner.to_string()),
                private_ip_address: assoc.map(|x| x.private_ip.to_string()),
                domain: Some("vpc".to_owned()),
                tags: tags(&a.tags),
            }
        })
        .collect();
    let acls: Vec<NetworkAclWire> = snap
        .network_acls
        .values()
        .map(|a| NetworkAclWire {
            network_acl_id: a.id.to_string(),
            vpc_id: Some(a.vpc_id.to_string()),
            owner_id: Some(a.owner.to_string()),
            is_default: a.is_default,
            tags: tags(&a.tags),
        })
        .collect();
    let mut put = |key: &str, v: Value, empty: bool| {
        if !empty {
            map.insert(key.to_owned(), v);
        }
    };
    put("RouteTables", serde_json::json!(tables), tables.is_empty());
    put(
        "InternetGateways",
        serde_json::json!(gateways),
        gateways.is_empty(),
    );
    put(
        "Addresses",
        serde_json::json!(addresses),
        addresses.is_empty(),
    );
    put("NetworkAcls", serde_json::json!(acls), acls.is_empty());
}
