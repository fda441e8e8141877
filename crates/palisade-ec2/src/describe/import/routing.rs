//! Import of route tables, internet gateways, Elastic IP addresses and network ACLs. Local
//! routes and a default ACL's entries and associations are derived from the VPCs, so they
//! are skipped; everything else keeps the ids the input gives it.

use std::net::Ipv4Addr;

use ipnet::{Ipv4Net, Ipv6Net};
use palisade_model::{
    AccountId, AddressAssociation, Ec2ErrorCode, ElasticIp, InternetGateway, NetworkAcl,
    OtherTarget, Route, RouteDestination, RouteTable, RouteTarget, Snapshot,
};

use super::{At, Ctx};
use crate::describe::routing_wire::{
    AddressWire, InternetGatewayWire, NetworkAclWire, RouteTableWire, RouteWire,
};

const BAD: Option<Ec2ErrorCode> = Some(Ec2ErrorCode::InvalidParameterValue);

impl Ctx {
    pub(super) fn route_table(&mut self, at: &At, w: &RouteTableWire) -> Option<RouteTable> {
        let id = self.id(at, "RouteTableId", &w.route_table_id)?;
        let vpc = self.required(at, "VpcId", w.vpc_id.as_deref())?;
        let vpc_id = self.id(at, "VpcId", vpc)?;
        let owner = self.owner(at, w.owner_id.as_deref())?;
        if !self.unique(at, &w.route_table_id) {
            return None;
        }
        let mut main = None;
        let mut subnets = Vec::new();
        for (idx, a) in w.associations.iter().enumerate() {
            let field = format!("Associations[{idx}]");
            let Some(assoc) = self.id(at, &field, &a.route_table_association_id) else {
                continue;
            };
            match (a.main, a.subnet_id.as_deref()) {
                (true, _) => main = Some(assoc),
                (false, Some(s)) => {
                    if let Some(subnet) = self.id(at, &field, s) {
                        subnets.push((assoc, subnet));
                    }
                }
                // Gateway (edge) associations are not modelled.
                (false, None) => {}
            }
        }
        let mut routes = Vec::new();
        for (idx, r) in w.routes.iter().enumerate() {
            if r.gateway_id.as_deref() == Some("local") {
                continue;
            }
            if let Some(route) = self.route(at, &format!("Routes[{idx}]"), r) {
                routes.push(route);
            }
        }
        Some(RouteTable {
            id,
            vpc_id,
            owner,
            main,
            subnets,
            routes,
            tags: self.tags(&w.tags),
        })
    }

    fn route(&mut self, at: &At, field: &str, r: &RouteWire) -> Option<Route> {
        let destination = if let Some(c) = &r.destination_cidr_block {
            match c.parse::<Ipv4Net>() {
                Ok(n) => RouteDestination::Ipv4(n.trunc()),
                Err(e) => {
                    self.err(at, field, BAD, format!("{c}: {e}"));
                    return None;
                }
            }
        } else if let Some(c) = &r.destination_ipv6_cidr_block {
            match c.parse::<Ipv6Net>() {
                Ok(n) => RouteDestination::Ipv6(n.trunc()),
                Err(e) => {
                    self.err(at, field, BAD, format!("{c}: {e}"));
                    return None;
                }
            }
        } else if let Some(p) = &r.destination_prefix_list_id {
            RouteDestination::PrefixList(self.id(at, field, p)?)
        } else {
            let msg = "a route without a destination".to_owned();
            self.err(at, field, Some(Ec2ErrorCode::MissingParameter), msg);
            return None;
        };
        // An instance route names the instance's interface too; the instance wins.
        let target = if let Some(i) = &r.instance_id {
            RouteTarget::Instance(self.id(at, field, i)?)
        } else if let Some(e) = &r.network_interface_id {
            RouteTarget::Eni(self.id(at, field, e)?)
        } else if let Some(p) = &r.vpc_peering_connection_id {
            RouteTarget::Peering(self.id(at, field, p)?)
        } else if let Some(g) = r.gateway_id.as_deref().filter(|g| g.starts_with("igw-")) {
            RouteTarget::Gateway(self.id(at, field, g)?)
        } else if let Some(id) = [
            &r.nat_gateway_id,
            &r.transit_gateway_id,
            &r.egress_only_internet_gateway_id,
            &r.carrier_gateway_id,
            &r.local_gateway_id,
            &r.core_network_arn,
            &r.gateway_id,
        ]
        .into_iter()
        .find_map(Option::as_deref)
        {
            // NAT, transit, virtual private gateways and the rest: kept, never followed.
            let Some(other) = OtherTarget::parse(id) else {
                let msg =
                    format!("a route to {destination} with a target palisade does not know: {id}");
                self.err(at, field, BAD, msg);
                return None;
            };
            RouteTarget::Other(other)
        } else {
            let msg = format!("a route to {destination} without a target");
            self.err(at, field, Some(Ec2ErrorCode::MissingParameter), msg);
            return None;
        };
        Some(Route {
            destination,
            target,
        })
    }

    pub(super) fn internet_gateway(
        &mut self,
        at: &At,
        w: &InternetGatewayWire,
    ) -> Option<InternetGateway> {
        let id = self.id(at, "InternetGatewayId", &w.internet_gateway_id)?;
        let owner = self.owner(at, w.owner_id.as_deref())?;
        if !self.unique(at, &w.internet_gateway_id) {
            return None;
        }
        let vpc = match w.attachments.first() {
            Some(a) => Some(self.id(at, "Attachments[0].VpcId", &a.vpc_id)?),
            None => None,
        };
        Some(InternetGateway {
            id,
            owner,
            vpc,
            tags: self.tags(&w.tags),
        })
    }

    /// `describe-addresses` has no owner of its own: the interface's owner, else the owner
    /// of the snapshot's VPCs.
    pub(super) fn address(
        &mut self,
        at: &At,
        w: &AddressWire,
        snap: &Snapshot,
    ) -> Option<ElasticIp> {
        let allocation_id = self.id(at, "AllocationId", &w.allocation_id)?;
        let public_ip = match w.public_ip.parse::<Ipv4Addr>() {
            Ok(ip) => ip,
            Err(e) => {
                self.err(at, "PublicIp", BAD, format!("{}: {e}", w.public_ip));
                return None;
            }
        };
        let owner: AccountId = match &w.network_interface_owner_id {
            Some(o) => self.id(at, "NetworkInterfaceOwnerId", o)?,
            None => match snap.vpcs.values().next() {
                Some(v) => v.owner.clone(),
                None => {
                    let msg = "cannot tell the address's owner (no interface owner, no VPC)";
                    self.err(at, "", None, msg.to_owned());
                    return None;
                }
            },
        };
        if !self.unique(at, &w.allocation_id) {
            return None;
        }
        let association = match (
            &w.association_id,
            &w.network_interface_id,
            &w.private_ip_address,
        ) {
            (Some(a), Some(e), Some(ip)) => {
                let id = self.id(at, "AssociationId", a)?;
                let eni = self.id(at, "NetworkInterfaceId", e)?;
                let Ok(private_ip) = ip.parse::<Ipv4Addr>() else {
                    self.err(
                        at,
                        "PrivateIpAddress",
                        BAD,
                        format!("{ip}: not an IPv4 address"),
                    );
                    return None;
                };
                Some(AddressAssociation {
                    id,
                    eni,
                    private_ip,
                })
            }
            _ => None,
        };
        Some(ElasticIp {
            allocation_id,
            owner,
            public_ip,
            association,
            tags: self.tags(&w.tags),
        })
    }

    pub(super) fn network_acl(&mut self, at: &At, w: &NetworkAclWire) -> Option<NetworkAcl> {
        let id = self.id(at, "NetworkAclId", &w.network_acl_id)?;
        let vpc = self.required(at, "VpcId", w.vpc_id.as_deref())?;
        let vpc_id = self.id(at, "VpcId", vpc)?;
        let owner = self.owner(at, w.owner_id.as_deref())?;
        if !self.unique(at, &w.network_acl_id) {
            return None;
        }
        Some(NetworkAcl {
            id,
            vpc_id,
            owner,
            is_default: w.is_default,
            tags: self.tags(&w.tags),
        })
    }
}
