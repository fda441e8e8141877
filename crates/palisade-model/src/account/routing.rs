//! Route tables, internet gateways, Elastic IP addresses and network ACLs: EC2's rules for
//! creating, associating and deleting them, and the views describes report (local routes,
//! route states, default ACL entries, all derived from the current VPCs and targets).
//!
//! Each VPC gets a main route table and a default ACL when it is created; the default VPC
//! also an attached internet gateway and a `0.0.0.0/0` route to it ("Default VPCs", VPC UG).
//! Their ids take the VPC id's hex digits, so creating a VPC consumes no extra fresh ids.

use std::net::Ipv4Addr;

use super::{AccountError, AccountState, Resource, ResourceKey};
use crate::error::Ec2ErrorCode;
use crate::ids::{
    AddressAssociationId, AllocationId, EniId, IdGen, InstanceId, InternetGatewayId,
    NetworkAclAssociationId, NetworkAclId, RouteTableAssociationId, RouteTableId, SubnetId, VpcId,
};
use crate::network::{PeeringStatus, Tag};
use crate::routing::{
    AddressAssociation, AddressView, ElasticIp, InternetGateway, NetworkAcl, NetworkAclView,
    OtherTargetKind, Route, RouteDestination, RouteOrigin, RouteTable, RouteTableView, RouteTarget,
    RouteView,
};

use super::InstanceState;

fn err(code: Ec2ErrorCode, message: impl Into<String>) -> AccountError {
    AccountError::new(code, message)
}

/// What an Elastic IP address is associated with (AssociateAddress `InstanceId` or
/// `NetworkInterfaceId`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressTarget {
    Instance(InstanceId),
    Eni(EniId),
}

impl AccountState {
    /// A new VPC's routing as EC2 creates it: its main route table and default network ACL;
    /// for a default VPC also an attached internet gateway and the main table's
    /// `0.0.0.0/0` route to it. CreateDefaultVpc should build its VPC through the same path
    /// (`insert_vpc` with `is_default`).
    pub(crate) fn insert_vpc_routing(&mut self, vpc: &VpcId, is_default: bool) {
        let mut routes = Vec::new();
        if is_default {
            let igw = InternetGateway {
                id: InternetGatewayId::derived_from(vpc.as_str()),
                owner: self.owner.clone(),
                vpc: Some(vpc.clone()),
                tags: Vec::new(),
            };
            routes.push(Route {
                destination: RouteDestination::Ipv4(
                    "0.0.0.0/0".parse().expect("literal CIDR is valid"),
                ),
                target: RouteTarget::Gateway(igw.id.clone()),
            });
            self.put(Resource::InternetGateway(igw));
        }
        self.put(Resource::RouteTable(RouteTable {
            id: RouteTableId::derived_from(vpc.as_str()),
            vpc_id: vpc.clone(),
            owner: self.owner.clone(),
            main: Some(RouteTableAssociationId::derived_from(vpc.as_str())),
            subnets: Vec::new(),
            routes,
            tags: Vec::new(),
        }));
        self.put(Resource::NetworkAcl(NetworkAcl {
            id: NetworkAclId::derived_from(vpc.as_str()),
            vpc_id: vpc.clone(),
            owner: self.owner.clone(),
            is_default: true,
            tags: Vec::new(),
        }));
    }

    /// DeleteVpc's routing dependencies: an attached internet gateway or a route table
    /// other than the main one keeps the VPC.
    pub(crate) fn routing_blocks_vpc_delete(&self, vpc: &VpcId) -> bool {
        let s = &self.snapshot;
        s.internet_gateways
            .values()
            .any(|g| g.vpc.as_ref() == Some(vpc))
            || s.route_tables
                .values()
                .any(|t| &t.vpc_id == vpc && t.main.is_none())
    }

    /// DeleteVpc: the main route table and the default ACL go with the VPC.
    pub(crate) fn remove_vpc_routing(&mut self, vpc: &VpcId) {
        let s = &self.snapshot;
        let tables: Vec<RouteTableId> = s
            .route_tables
            .values()
            .filter(|t| &t.vpc_id == vpc)
            .map(|t| t.id.clone())
            .collect();
        let acls: Vec<NetworkAclId> = s
            .network_acls
            .values()
            .filter(|a| &a.vpc_id == vpc)
            .map(|a| a.id.clone())
            .collect();
        for id in tables {
            self.remove(&ResourceKey::RouteTable(id));
        }
        for id in acls {
            self.remove(&ResourceKey::NetworkAcl(id));
        }
    }

    /// DeleteSubnet: the subnet's explicit route table association goes with it.
    pub(crate) fn remove_subnet_routing(&mut self, subnet: &SubnetId) {
        let owning: Vec<RouteTable> = self
            .snapshot
            .route_tables
            .values()
            .filter(|t| t.subnets.iter().any(|(_, s)| s == subnet))
            .cloned()
            .collect();
        for mut t in owning {
            t.subnets.retain(|(_, s)| s != subnet);
            self.put(Resource::RouteTable(t));
        }
    }

    /// An interface going away (DeleteNetworkInterface, TerminateInstances) takes its
    /// Elastic IP associations with it.
    pub(crate) fn remove_eni_addresses(&mut self, eni: &EniId) {
        let held: Vec<ElasticIp> = self
            .snapshot
            .addresses
            .values()
            .filter(|a| a.association.as_ref().is_some_and(|x| &x.eni == eni))
            .cloned()
            .collect();
        for mut a in held {
            a.association = None;
            self.put(Resource::Address(a));
        }
    }

    pub fn route_table(&self, id: &RouteTableId) -> Result<&RouteTable, AccountError> {
        self.snapshot.route_tables.get(id).ok_or_else(|| {
            err(
                Ec2ErrorCode::InvalidRouteTableIdNotFound,
                format!("The routeTable ID '{id}' does not exist"),
            )
        })
    }

    /// CreateRouteTable: a table with only the VPC's local routes.
    pub fn create_route_table(
        &mut self,
        vpc: &VpcId,
        tags: Vec<Tag>,
        ids: &mut dyn IdGen,
    ) -> Result<RouteTableId, AccountError> {
        self.vpc(vpc)?;
        self.check_new_tags(&tags)?;
        let table = RouteTable {
            id: RouteTableId::generate(ids),
            vpc_id: vpc.clone(),
            owner: self.owner.clone(),
            main: None,
            subnets: Vec::new(),
            routes: Vec::new(),
            tags,
        };
        let id = table.id.clone();
        self.put(Resource::RouteTable(table));
        Ok(id)
    }

    /// DeleteRouteTable: not the main table, nor one a subnet is associated with.
    pub fn delete_route_table(&mut self, id: &RouteTableId) -> Result<(), AccountError> {
        let table = self.route_table(id)?;
        if table.main.is_some() || !table.subnets.is_empty() {
            return Err(err(
                Ec2ErrorCode::DependencyViolation,
                format!("The routeTable '{id}' has dependencies and cannot be deleted."),
            ));
        }
        self.remove(&ResourceKey::RouteTable(id.clone()));
        Ok(())
    }

    /// CreateRoute (`replace == false`) or ReplaceRoute (`replace == true`).
    pub fn put_route(
        &mut self,
        table: &RouteTableId,
        destination: RouteDestination,
        target: RouteTarget,
        replace: bool,
    ) -> Result<(), AccountError> {
        let mut t = self.route_table(table)?.clone();
        let destination = match destination {
            RouteDestination::Ipv4(n) => RouteDestination::Ipv4(n.trunc()),
            RouteDestination::Ipv6(n) => RouteDestination::Ipv6(n.trunc()),
            RouteDestination::PrefixList(p) => {
                self.prefix_list(&p)?;
                RouteDestination::PrefixList(p)
            }
        };
        self.check_route_target(&t.vpc_id, table, &target)?;
        if self.is_local(&t.vpc_id, &destination) {
            return Err(err(
                if replace {
                    Ec2ErrorCode::InvalidParameterValue
                } else {
                    Ec2ErrorCode::RouteAlreadyExists
                },
                format!("The route identified by {destination} is the local route of {table}."),
            ));
        }
        self.check_more_specific(&t.vpc_id, &destination, &target)?;
        let existing = t.routes.iter().position(|r| r.destination == destination);
        match (existing, replace) {
            (Some(_), false) => {
                return Err(err(
                    Ec2ErrorCode::RouteAlreadyExists,
                    format!("The route identified by {destination} already exists."),
                ));
            }
            (None, true) => return Err(route_not_found(table, &destination)),
            (Some(idx), true) => t.routes[idx].target = target,
            (None, false) => t.routes.push(Route {
                destination,
                target,
            }),
        }
        self.put(Resource::RouteTable(t));
        Ok(())
    }

    /// DeleteRoute: not a local route.
    pub fn delete_route(
        &mut self,
        table: &RouteTableId,
        destination: &RouteDestination,
    ) -> Result<(), AccountError> {
        let mut t = self.route_table(table)?.clone();
        if self.is_local(&t.vpc_id, destination) {
            return Err(err(
                Ec2ErrorCode::InvalidParameterValue,
                format!("cannot remove local route {destination} in route table {table}"),
            ));
        }
        let before = t.routes.len();
        t.routes.retain(|r| &r.destination != destination);
        if t.routes.len() == before {
            return Err(route_not_found(table, destination));
        }
        self.put(Resource::RouteTable(t));
        Ok(())
    }

    fn is_local(&self, vpc: &VpcId, destination: &RouteDestination) -> bool {
        let Some(v) = self.snapshot.vpcs.get(vpc) else {
            return false;
        };
        match destination {
            RouteDestination::Ipv4(n) => v.cidrs_v4.contains(n),
            RouteDestination::Ipv6(n) => v.cidrs_v6.contains(n),
            RouteDestination::PrefixList(_) => false,
        }
    }

    /// A route inside one of the VPC's blocks is more specific than the local route: EC2
    /// allows it only for the entire CIDR block of a subnet in the VPC, towards a network
    /// interface (an instance stands for its primary interface), so traffic between subnets
    /// passes a middlebox appliance ("Subnet route tables", VPC UG: "You can add a route …
    /// that is more specific than the local route").
    fn check_more_specific(
        &self,
        vpc: &VpcId,
        destination: &RouteDestination,
        target: &RouteTarget,
    ) -> Result<(), AccountError> {
        let Some(v) = self.snapshot.vpcs.get(vpc) else {
            return Ok(());
        };
        let (inside, subnet) = match destination {
            RouteDestination::Ipv4(n) => (
                v.cidrs_v4.iter().any(|b| b.contains(n)),
                self.snapshot
                    .subnets
                    .values()
                    .any(|s| &s.vpc_id == vpc && s.cidr_v4.as_ref() == Some(n)),
            ),
            RouteDestination::Ipv6(n) => (
                v.cidrs_v6.iter().any(|b| b.contains(n)),
                self.snapshot
                    .subnets
                    .values()
                    .any(|s| &s.vpc_id == vpc && s.cidr_v6.as_ref() == Some(n)),
            ),
            RouteDestination::PrefixList(_) => (false, false),
        };
        if !inside {
            return Ok(());
        }
        if !subnet {
            return Err(err(
                Ec2ErrorCode::InvalidParameterValue,
                format!(
                    "The destination CIDR block {destination} is more specific than a CIDR block of {vpc} but is not the CIDR block of one of its subnets"
                ),
            ));
        }
        match target {
            RouteTarget::Eni(_) | RouteTarget::Instance(_) => Ok(()),
            // A Gateway Load Balancer endpoint or a NAT gateway may take a subnet's traffic
            // too ("middlebox routing").
            RouteTarget::Other(t)
                if matches!(
                    t.kind(),
                    OtherTargetKind::VpcEndpoint | OtherTargetKind::NatGateway
                ) =>
            {
                Ok(())
            }
            RouteTarget::Gateway(_) | RouteTarget::Peering(_) | RouteTarget::Other(_) => Err(err(
                Ec2ErrorCode::InvalidParameterValue,
                format!(
                    "The destination CIDR block {destination} is equal to or more specific than one of this VPC's CIDR blocks. This route can target only an interface or an instance."
                ),
            )),
        }
    }

    /// A route's target must exist and belong to the table's VPC ("route table … and
    /// network gateway … belong to different networks").
    fn check_route_target(
        &self,
        vpc: &VpcId,
        table: &RouteTableId,
        target: &RouteTarget,
    ) -> Result<(), AccountError> {
        let other_network = |what: &str| {
            err(
                Ec2ErrorCode::InvalidParameterValue,
                format!("route table {table} and {what} belong to different networks"),
            )
        };
        match target {
            RouteTarget::Gateway(id) => {
                let g = self.snapshot.internet_gateways.get(id).ok_or_else(|| {
                    err(
                        Ec2ErrorCode::InvalidGatewayIdNotFound,
                        format!("The gateway ID '{id}' does not exist"),
                    )
                })?;
                if g.vpc.as_ref() != Some(vpc) {
                    return Err(other_network(&format!("network gateway {id}")));
                }
            }
            RouteTarget::Peering(id) => {
                let p = self.peering(id)?;
                if &p.requester_vpc != vpc && &p.accepter_vpc != vpc {
                    return Err(other_network(&format!("peering connection {id}")));
                }
            }
            RouteTarget::Instance(id) => {
                if &self.instance(id)?.vpc_id != vpc {
                    return Err(other_network(&format!("instance {id}")));
                }
            }
            RouteTarget::Eni(id) => {
                if &self.eni(id)?.vpc_id != vpc {
                    return Err(other_network(&format!("network interface {id}")));
                }
            }
            // Never decoded from a request; a state built from described resources may
            // hold one.
            RouteTarget::Other(t) => {
                return Err(err(
                    Ec2ErrorCode::InvalidParameterValue,
                    format!(
                        "palisade does not route through a {}: {t}",
                        t.kind().describe()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// AssociateRouteTable (a subnet): the subnet must be in the table's VPC and have no
    /// explicit association yet.
    pub fn associate_route_table(
        &mut self,
        table: &RouteTableId,
        subnet: &SubnetId,
        ids: &mut dyn IdGen,
    ) -> Result<RouteTableAssociationId, AccountError> {
        let mut t = self.route_table(table)?.clone();
        if self.subnet(subnet)?.vpc_id != t.vpc_id {
            return Err(err(
                Ec2ErrorCode::InvalidParameterValue,
                format!("Route table {table} and subnet {subnet} belong to different networks"),
            ));
        }
        if let Some(other) = self.explicit_table_of(subnet) {
            return Err(err(
                Ec2ErrorCode::ResourceAlreadyAssociated,
                format!(
                    "the specified association for route table {other} conflicts with an existing association"
                ),
            ));
        }
        let id = RouteTableAssociationId::generate(ids);
        t.subnets.push((id.clone(), subnet.clone()));
        self.put(Resource::RouteTable(t));
        Ok(id)
    }

    fn explicit_table_of(&self, subnet: &SubnetId) -> Option<RouteTableId> {
        self.snapshot
            .route_tables
            .values()
            .find(|t| t.subnets.iter().any(|(_, s)| s == subnet))
            .map(|t| t.id.clone())
    }

    fn table_of_association(
        &self,
        association: &RouteTableAssociationId,
    ) -> Result<RouteTable, AccountError> {
        self.snapshot
            .route_tables
            .values()
            .find(|t| {
                t.main.as_ref() == Some(association)
                    || t.subnets.iter().any(|(a, _)| a == association)
            })
            .cloned()
            .ok_or_else(|| association_not_found(association.as_str()))
    }

    /// DisassociateRouteTable: a subnet association (the subnet falls back to the main
    /// table); the main association cannot be removed.
    pub fn disassociate_route_table(
        &mut self,
        association: &RouteTableAssociationId,
    ) -> Result<(), AccountError> {
        let mut t = self.table_of_association(association)?;
        if t.main.as_ref() == Some(association) {
            return Err(err(
                Ec2ErrorCode::InvalidParameterValue,
                format!("cannot disassociate the main route table association {association}"),
            ));
        }
        t.subnets.retain(|(a, _)| a != association);
        self.put(Resource::RouteTable(t));
        Ok(())
    }

    /// ReplaceRouteTableAssociation: moves a subnet's association, or the VPC's main one, to
    /// another table of the same VPC, under a new association id.
    pub fn replace_route_table_association(
        &mut self,
        association: &RouteTableAssociationId,
        table: &RouteTableId,
        ids: &mut dyn IdGen,
    ) -> Result<RouteTableAssociationId, AccountError> {
        let mut from = self.table_of_association(association)?;
        let target = self.route_table(table)?.clone();
        if target.vpc_id != from.vpc_id {
            return Err(err(
                Ec2ErrorCode::InvalidParameterValue,
                format!(
                    "Route table {table} and association {association} belong to different networks"
                ),
            ));
        }
        let id = RouteTableAssociationId::generate(ids);
        let subnet = from
            .subnets
            .iter()
            .find(|(a, _)| a == association)
            .map(|(_, s)| s.clone());
        match subnet {
            None => from.main = None,
            Some(_) => from.subnets.retain(|(a, _)| a != association),
        }
        self.put(Resource::RouteTable(from));
        let mut to = self.route_table(table)?.clone();
        match subnet {
            None => to.main = Some(id.clone()),
            Some(s) => to.subnets.push((id.clone(), s)),
        }
        self.put(Resource::RouteTable(to));
        Ok(id)
    }

    /// A table with its local routes (one per VPC block, IPv4 then IPv6) and each stored
    /// route's state: `blackhole` when the gateway is gone or detached, the peering not
    /// active, the instance not running or the interface gone.
    pub fn route_table_view(&self, t: &RouteTable) -> RouteTableView {
        let s = &self.snapshot;
        let mut routes = Vec::new();
        if let Some(v) = s.vpcs.get(&t.vpc_id) {
            let local = v
                .cidrs_v4
                .iter()
                .map(|n| RouteDestination::Ipv4(*n))
                .chain(v.cidrs_v6.iter().map(|n| RouteDestination::Ipv6(*n)));
            routes.extend(local.map(|destination| RouteView {
                destination,
                target: None,
                instance: None,
                eni: None,
                origin: RouteOrigin::CreateRouteTable,
                active: true,
            }));
        }
        for r in &t.routes {
            let (active, instance, eni) = match &r.target {
                RouteTarget::Gateway(g) => (
                    s.internet_gateways
                        .get(g)
                        .is_some_and(|g| g.vpc.as_ref() == Some(&t.vpc_id)),
                    None,
                    None,
                ),
                RouteTarget::Peering(p) => (
                    s.peerings
                        .get(p)
                        .is_some_and(|p| p.status == PeeringStatus::Active),
                    None,
                    None,
                ),
                RouteTarget::Instance(i) => match self.instances.get(i) {
                    Some(i) => (
                        i.state == InstanceState::Running,
                        Some(i.id.clone()),
                        Some(i.primary_eni.clone()),
                    ),
                    None => (false, Some(i.clone()), None),
                },
                RouteTarget::Eni(e) => match s.enis.get(e) {
                    Some(x) => (true, x.instance_id.clone(), Some(e.clone())),
                    None => (false, None, Some(e.clone())),
                },
                // As described: palisade cannot tell whether such a target is gone.
                RouteTarget::Other(_) => (true, None, None),
            };
            routes.push(RouteView {
                destination: r.destination.clone(),
                target: Some(r.target.clone()),
                instance,
                eni,
                origin: RouteOrigin::CreateRoute,
                active,
            });
        }
        RouteTableView {
            table: t.clone(),
            routes,
        }
    }

    pub fn internet_gateway(
        &self,
        id: &InternetGatewayId,
    ) -> Result<&InternetGateway, AccountError> {
        self.snapshot.internet_gateways.get(id).ok_or_else(|| {
            err(
                Ec2ErrorCode::InvalidInternetGatewayIdNotFound,
                format!("The internetGateway ID '{id}' does not exist"),
            )
        })
    }

    /// CreateInternetGateway: detached.
    pub fn create_internet_gateway(
        &mut self,
        tags: Vec<Tag>,
        ids: &mut dyn IdGen,
    ) -> Result<InternetGatewayId, AccountError> {
        self.check_new_tags(&tags)?;
        let igw = InternetGateway {
            id: InternetGatewayId::generate(ids),
            owner: self.owner.clone(),
            vpc: None,
            tags,
        };
        let id = igw.id.clone();
        self.put(Resource::InternetGateway(igw));
        Ok(id)
    }

    /// AttachInternetGateway: a gateway attaches to one VPC, a VPC has one gateway.
    pub fn attach_internet_gateway(
        &mut self,
        id: &InternetGatewayId,
        vpc: &VpcId,
    ) -> Result<(), AccountError> {
        let mut igw = self.internet_gateway(id)?.clone();
        self.vpc(vpc)?;
        if let Some(current) = &igw.vpc {
            return Err(err(
                Ec2ErrorCode::ResourceAlreadyAssociated,
                format!("resource {id} is already attached to network {current}"),
            ));
        }
        if let Some(other) = self
            .snapshot
            .internet_gateways
            .values()
            .find(|g| g.vpc.as_ref() == Some(vpc))
        {
            return Err(err(
                Ec2ErrorCode::ResourceAlreadyAssociated,
                format!(
                    "Network {vpc} already has an internet gateway attached ({})",
                    other.id
                ),
            ));
        }
        igw.vpc = Some(vpc.clone());
        self.put(Resource::InternetGateway(igw));
        Ok(())
    }

    /// DetachInternetGateway: only from the VPC it is attached to, and not while an Elastic
    /// IP is associated in that VPC. Routes to it turn `blackhole`.
    pub fn detach_internet_gateway(
        &mut self,
        id: &InternetGatewayId,
        vpc: &VpcId,
    ) -> Result<(), AccountError> {
        let mut igw = self.internet_gateway(id)?.clone();
        self.vpc(vpc)?;
        if igw.vpc.as_ref() != Some(vpc) {
            return Err(err(
                Ec2ErrorCode::GatewayNotAttached,
                format!("resource {id} is not attached to network {vpc}"),
            ));
        }
        // "Network vpc-… has some mapped public address(es). Please unmap those public
        // address(es) before detaching the gateway." (DetachInternetGateway)
        let s = &self.snapshot;
        let mapped = s.addresses.values().any(|a| {
            a.association
                .as_ref()
                .and_then(|x| s.enis.get(&x.eni))
                .is_some_and(|e| &e.vpc_id == vpc)
        });
        if mapped {
            return Err(err(
                Ec2ErrorCode::DependencyViolation,
                format!(
                    "Network {vpc} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway."
                ),
            ));
        }
        igw.vpc = None;
        self.put(Resource::InternetGateway(igw));
        Ok(())
    }

    /// DeleteInternetGateway: not while attached.
    pub fn delete_internet_gateway(&mut self, id: &InternetGatewayId) -> Result<(), AccountError> {
        if self.internet_gateway(id)?.vpc.is_some() {
            return Err(err(
                Ec2ErrorCode::DependencyViolation,
                format!("The internetGateway '{id}' has dependencies and cannot be deleted."),
            ));
        }
        self.remove(&ResourceKey::InternetGateway(id.clone()));
        Ok(())
    }

    pub fn address(&self, id: &AllocationId) -> Result<&ElasticIp, AccountError> {
        self.snapshot.addresses.get(id).ok_or_else(|| {
            err(
                Ec2ErrorCode::InvalidAllocationIdNotFound,
                format!("The allocation ID '{id}' does not exist"),
            )
        })
    }

    /// The address with public IP `ip` (DescribeAddresses `PublicIp.N`).
    pub fn address_by_ip(&self, ip: Ipv4Addr) -> Result<&ElasticIp, AccountError> {
        self.snapshot
            .addresses
            .values()
            .find(|a| a.public_ip == ip)
            .ok_or_else(|| {
                err(
                    Ec2ErrorCode::InvalidAddressNotFound,
                    format!("Address '{ip}' not found."),
                )
            })
    }

    /// AllocateAddress (domain `vpc`): a public address from the documentation ranges
    /// 198.51.100.0/24 and 203.0.113.0/24 (RFC 5737), chosen by `ids` and unique in the
    /// account; at most `addresses_per_region`.
    pub fn allocate_address(
        &mut self,
        tags: Vec<Tag>,
        ids: &mut dyn IdGen,
    ) -> Result<AllocationId, AccountError> {
        let limit = self.quotas.addresses_per_region() as usize;
        if self.snapshot.addresses.len() >= limit {
            return Err(err(
                Ec2ErrorCode::AddressLimitExceeded,
                "The maximum number of addresses has been reached.",
            ));
        }
        self.check_new_tags(&tags)?;
        // 254 usable hosts in each of the two /24s.
        let candidate = |n: u32| {
            let host = u8::try_from(n % 254 + 1).expect("n % 254 + 1 fits in a byte");
            if n % 508 < 254 {
                Ipv4Addr::new(198, 51, 100, host)
            } else {
                Ipv4Addr::new(203, 0, 113, host)
            }
        };
        let start = u32::try_from(ids.next_bits() % 508).expect("below 508");
        let used = |ip: Ipv4Addr| self.snapshot.addresses.values().any(|a| a.public_ip == ip);
        let public_ip = (0..508)
            .map(|k| candidate((start + k) % 508))
            .find(|ip| !used(*ip))
            .ok_or_else(|| {
                err(
                    Ec2ErrorCode::AddressLimitExceeded,
                    "The maximum number of addresses has been reached.",
                )
            })?;
        let address = ElasticIp {
            allocation_id: AllocationId::generate(ids),
            owner: self.owner.clone(),
            public_ip,
            association: None,
            tags,
        };
        let id = address.allocation_id.clone();
        self.put(Resource::Address(address));
        Ok(id)
    }

    /// AssociateAddress: to an instance's primary interface or to an interface (in a VPC
    /// with an internet gateway), at its primary private address unless one is named. An address already associated, or a
    /// private address already holding another, is refused unless `allow_reassociation`.
    /// The interface's public IPv4 address becomes the Elastic IP (for its primary address).
    pub fn associate_address(
        &mut self,
        allocation: &AllocationId,
        target: &AddressTarget,
        private_ip: Option<Ipv4Addr>,
        allow_reassociation: bool,
        ids: &mut dyn IdGen,
    ) -> Result<AddressAssociationId, AccountError> {
        let address = self.address(allocation)?.clone();
        let eni_id = match target {
            AddressTarget::Instance(id) => {
                let i = self.instance(id)?;
                if i.state != InstanceState::Running {
                    return Err(err(
                        Ec2ErrorCode::IncorrectState,
                        format!("The instance '{id}' is not in a valid state for this operation."),
                    ));
                }
                i.primary_eni.clone()
            }
            AddressTarget::Eni(id) => id.clone(),
        };
        let eni = self.eni(&eni_id)?;
        // An Elastic IP needs the VPC's internet gateway ("Network vpc-… is not attached to
        // any internet gateway", AssociateAddress).
        let vpc = &eni.vpc_id;
        if !self
            .snapshot
            .internet_gateways
            .values()
            .any(|g| g.vpc.as_ref() == Some(vpc))
        {
            return Err(err(
                Ec2ErrorCode::GatewayNotAttached,
                format!("Network {vpc} is not attached to any internet gateway"),
            ));
        }
        let primary = eni.private_ipv4.first().copied();
        let private_ip = match private_ip {
            Some(ip) if eni.private_ipv4.contains(&ip) => ip,
            Some(ip) => {
                return Err(err(
                    Ec2ErrorCode::InvalidParameterValue,
                    format!("The private IP address {ip} is not assigned to interface {eni_id}"),
                ));
            }
            None => primary.ok_or_else(|| {
                err(
                    Ec2ErrorCode::InvalidParameterValue,
                    format!("Interface {eni_id} has no private IPv4 address"),
                )
            })?,
        };
        let holder = self
            .snapshot
            .addresses
            .values()
            .find(|a| {
                a.allocation_id != *allocation
                    && a.association
                        .as_ref()
                        .is_some_and(|x| x.eni == eni_id && x.private_ip == private_ip)
            })
            .cloned();
        if !allow_reassociation && (address.association.is_some() || holder.is_some()) {
            return Err(err(
                Ec2ErrorCode::ResourceAlreadyAssociated,
                format!("resource {allocation} is already associated with associate-id"),
            ));
        }
        if let Some(mut other) = holder {
            other.association = None;
            self.put(Resource::Address(other));
        }
        if let Some(old) = &address.association {
            self.set_public_ip(&old.eni.clone(), old.private_ip, None);
        }
        let id = AddressAssociationId::generate(ids);
        let mut address = address;
        address.association = Some(AddressAssociation {
            id: id.clone(),
            eni: eni_id.clone(),
            private_ip,
        });
        let public_ip = address.public_ip;
        self.put(Resource::Address(address));
        self.set_public_ip(&eni_id, private_ip, Some(public_ip));
        Ok(id)
    }

    /// The interface's public IPv4 address follows the Elastic IP on its primary private
    /// address.
    fn set_public_ip(&mut self, eni: &EniId, private_ip: Ipv4Addr, public: Option<Ipv4Addr>) {
        let Ok(e) = self.eni_mut(eni) else {
            return;
        };
        if e.private_ipv4.first() == Some(&private_ip) {
            e.public_ipv4 = public;
        }
    }

    /// DisassociateAddress.
    pub fn disassociate_address(
        &mut self,
        association: &AddressAssociationId,
    ) -> Result<(), AccountError> {
        let mut address = self
            .snapshot
            .addresses
            .values()
            .find(|a| a.association.as_ref().is_some_and(|x| &x.id == association))
            .cloned()
            .ok_or_else(|| association_not_found(association.as_str()))?;
        if let Some(old) = address.association.take() {
            self.set_public_ip(&old.eni, old.private_ip, None);
        }
        self.put(Resource::Address(address));
        Ok(())
    }

    /// ReleaseAddress: not while associated.
    pub fn release_address(&mut self, id: &AllocationId) -> Result<(), AccountError> {
        if self.address(id)?.association.is_some() {
            return Err(err(
                Ec2ErrorCode::InvalidIpAddressInUse,
                format!("The address with allocation id [{id}] is in use."),
            ));
        }
        self.remove(&ResourceKey::Address(id.clone()));
        Ok(())
    }

    pub fn address_view(&self, a: &ElasticIp) -> AddressView {
        let instance = a
            .association
            .as_ref()
            .and_then(|x| self.snapshot.enis.get(&x.eni))
            .and_then(|e| e.instance_id.clone());
        AddressView {
            address: a.clone(),
            instance,
            region: self.region.clone(),
        }
    }

    pub fn network_acl(&self, id: &NetworkAclId) -> Result<&NetworkAcl, AccountError> {
        self.snapshot.network_acls.get(id).ok_or_else(|| {
            err(
                Ec2ErrorCode::InvalidNetworkAclIdNotFound,
                format!("The networkAcl ID '{id}' does not exist"),
            )
        })
    }

    /// A default ACL with its entries (the IPv6 pair while the VPC has an IPv6 block) and an
    /// association to every subnet of its VPC, whose id takes the subnet id's hex digits.
    pub fn network_acl_view(&self, acl: &NetworkAcl) -> NetworkAclView {
        let s = &self.snapshot;
        let ipv6 = s
            .vpcs
            .get(&acl.vpc_id)
            .is_some_and(|v| !v.cidrs_v6.is_empty());
        let associations = if acl.is_default {
            s.subnets
                .values()
                .filter(|x| x.vpc_id == acl.vpc_id)
                .map(|x| {
                    (
                        NetworkAclAssociationId::derived_from(x.id.as_str()),
                        x.id.clone(),
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        NetworkAclView {
            acl: acl.clone(),
            entries: NetworkAclView::default_entries(ipv6),
            associations,
        }
    }

    /// The tags of a routing resource, for CreateTags and DeleteTags (recorded as
    /// changed); `None` when `id` is not a routing id.
    pub(crate) fn routing_tags_mut(
        &mut self,
        id: &str,
    ) -> Option<Result<&mut Vec<Tag>, AccountError>> {
        let routing = [
            RouteTableId::PREFIX,
            InternetGatewayId::PREFIX,
            AllocationId::PREFIX,
            NetworkAclId::PREFIX,
        ];
        if !routing.iter().any(|p| id.starts_with(p)) {
            return None;
        }
        Some(self.routing_tags_of(id))
    }

    fn routing_tags_of(&mut self, id: &str) -> Result<&mut Vec<Tag>, AccountError> {
        let not_found = || {
            err(
                Ec2ErrorCode::InvalidParameterValue,
                format!("The ID '{id}' is not valid or does not exist"),
            )
        };
        let s = &mut self.snapshot;
        if id.starts_with(RouteTableId::PREFIX) {
            let k: RouteTableId = id.parse()?;
            let v = s.route_tables.get_mut(&k).ok_or_else(not_found)?;
            self.changed.insert(ResourceKey::RouteTable(k));
            Ok(&mut v.tags)
        } else if id.starts_with(InternetGatewayId::PREFIX) {
            let k: InternetGatewayId = id.parse()?;
            let v = s.internet_gateways.get_mut(&k).ok_or_else(not_found)?;
            self.changed.insert(ResourceKey::InternetGateway(k));
            Ok(&mut v.tags)
        } else if id.starts_with(AllocationId::PREFIX) {
            let k: AllocationId = id.parse()?;
            let v = s.addresses.get_mut(&k).ok_or_else(not_found)?;
            self.changed.insert(ResourceKey::Address(k));
            Ok(&mut v.tags)
        } else {
            let k: NetworkAclId = id.parse()?;
            let v = s.network_acls.get_mut(&k).ok_or_else(not_found)?;
            self.changed.insert(ResourceKey::NetworkAcl(k));
            Ok(&mut v.tags)
        }
    }

    /// Every tag of a routing resource: (id, resource type as EC2 names it, tag).
    pub(crate) fn routing_tags(&self) -> Vec<(String, &'static str, Tag)> {
        let s = &self.snapshot;
        let mut out = Vec::new();
        let mut add = |id: &str, kind: &'static str, tags: &[Tag]| {
            out.extend(tags.iter().map(|t| (id.to_owned(), kind, t.clone())));
        };
        s.route_tables
            .values()
            .for_each(|v| add(v.id.as_str(), "route-table", &v.tags));
        s.internet_gateways
            .values()
            .for_each(|v| add(v.id.as_str(), "internet-gateway", &v.tags));
        s.addresses
            .values()
            .for_each(|v| add(v.allocation_id.as_str(), "elastic-ip", &v.tags));
        s.network_acls
            .values()
            .for_each(|v| add(v.id.as_str(), "network-acl", &v.tags));
        out
    }
}

fn route_not_found(table: &RouteTableId, destination: &RouteDestination) -> AccountError {
    err(
        Ec2ErrorCode::InvalidRouteNotFound,
        format!("no route with destination {destination} in route table {table}"),
    )
}

fn association_not_found(id: &str) -> AccountError {
    err(
        Ec2ErrorCode::InvalidAssociationIdNotFound,
        format!("The association ID '{id}' does not exist"),
    )
}
