//! Route tables, internet gateways, Elastic IPs and network ACLs:
//! Create/Delete/DescribeRouteTables, Create/Replace/DeleteRoute,
//! Associate/Disassociate/ReplaceRouteTableAssociation, Create/Attach/Detach/Delete/
//! DescribeInternetGateways, Allocate/Associate/Disassociate/Release/DescribeAddresses,
//! DescribeAddressesAttribute, DescribeNetworkAcls, and the ACL mutations, which are
//! refused (`UnsupportedOperation`: ACLs are not emulated). Element names are the botocore
//! `ec2` model's `locationName`s.

use std::net::Ipv4Addr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use palisade_model::account::ops::{Request, Response};
use palisade_model::account::{AccountState, AddressTarget};
use palisade_model::{
    AddressView, Ec2ErrorCode, InternetGateway, InternetGatewayId, NetworkAclView, OtherTargetKind,
    RouteDestination, RouteTableView, RouteTarget, RouteView, Tag,
};

use super::xml::Xml;
use super::{Origin, next_token, select, tag_set};
use crate::query::{Params, QueryError, ipv4_list, page_request};

/// The ACL mutations: answered `UnsupportedOperation`, since network ACLs are reported
/// (each VPC's default ACL) but not emulated.
pub(super) const ACL_MUTATIONS: &[&str] = &[
    "CreateNetworkAcl",
    "DeleteNetworkAcl",
    "CreateNetworkAclEntry",
    "ReplaceNetworkAclEntry",
    "DeleteNetworkAclEntry",
    "ReplaceNetworkAclAssociation",
];

pub(super) fn acl_mutation(action: &str) -> QueryError {
    QueryError::new(
        Ec2ErrorCode::UnsupportedOperation,
        format!(
            "{action}: palisade reports each VPC's default network ACL but does not emulate network ACLs yet, so they cannot be changed"
        ),
    )
}

fn strings<T: ToString>(items: impl IntoIterator<Item = T>) -> Option<Vec<String>> {
    Some(items.into_iter().map(|t| t.to_string()).collect())
}

fn tag_values(tags: &[Tag]) -> Option<Vec<String>> {
    strings(tags.iter().map(|t| &t.value))
}

fn invalid(message: String) -> QueryError {
    QueryError::new(Ec2ErrorCode::InvalidParameterValue, message)
}

/// Exactly one of `DestinationCidrBlock`, `DestinationIpv6CidrBlock`,
/// `DestinationPrefixListId`.
fn destination(p: &Params) -> Result<RouteDestination, QueryError> {
    let v4 = p.get("DestinationCidrBlock");
    let v6 = p.get("DestinationIpv6CidrBlock");
    let pl = p.get("DestinationPrefixListId");
    let given = [v4, v6, pl].iter().filter(|v| v.is_some()).count();
    if given > 1 {
        return Err(QueryError::new(
            Ec2ErrorCode::InvalidParameterCombination,
            "Only one of destinationCidrBlock, destinationIpv6CidrBlock and destinationPrefixListId may be specified",
        ));
    }
    if let Some(v) = v4 {
        let n: Ipv4Net = v.parse().map_err(|_| {
            invalid(format!(
                "Value ({v}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block."
            ))
        })?;
        return Ok(RouteDestination::Ipv4(n));
    }
    if let Some(v) = v6 {
        let n: Ipv6Net = v.parse().map_err(|_| {
            invalid(format!(
                "Value ({v}) for parameter destinationIpv6CidrBlock is invalid. This is not a valid CIDR block."
            ))
        })?;
        return Ok(RouteDestination::Ipv6(n));
    }
    match pl {
        Some(_) => Ok(RouteDestination::PrefixList(
            p.required_id("DestinationPrefixListId")?,
        )),
        None => Err(QueryError::missing("DestinationCidrBlock")),
    }
}

/// Exactly one target: `GatewayId` (an internet gateway), `VpcPeeringConnectionId`,
/// `InstanceId` or `NetworkInterfaceId`. Other gateway kinds are not modelled, so their
/// ids name nothing.
fn target(p: &Params) -> Result<RouteTarget, QueryError> {
    let names = [
        "GatewayId",
        "VpcPeeringConnectionId",
        "InstanceId",
        "NetworkInterfaceId",
    ];
    let given: Vec<&str> = names.into_iter().filter(|n| p.get(n).is_some()).collect();
    if given.len() > 1 {
        return Err(QueryError::new(
            Ec2ErrorCode::InvalidParameterCombination,
            "More than one target specified for the route",
        ));
    }
    let Some(name) = given.first() else {
        return Err(QueryError::new(
            Ec2ErrorCode::MissingParameter,
            "The request must contain exactly one of gatewayId, vpcPeeringConnectionId, instanceId or networkInterfaceId",
        ));
    };
    Ok(match *name {
        "GatewayId" => {
            let v = p.required("GatewayId")?;
            let id: InternetGatewayId = v.parse().map_err(|_| {
                QueryError::new(
                    Ec2ErrorCode::InvalidGatewayIdNotFound,
                    format!("The gateway ID '{v}' does not exist"),
                )
            })?;
            RouteTarget::Gateway(id)
        }
        "VpcPeeringConnectionId" => RouteTarget::Peering(p.required_id(name)?),
        "InstanceId" => RouteTarget::Instance(p.required_id(name)?),
        _ => RouteTarget::Eni(p.required_id(name)?),
    })
}

pub(super) fn create_route_table(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::CreateRouteTable {
        vpc: p.required_id("VpcId")?,
        tags: p.tag_specs("route-table")?,
    })
}

pub(super) fn delete_route_table(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DeleteRouteTable {
        id: p.required_id("RouteTableId")?,
    })
}

const ROUTE_TABLE_FILTERS: &[&str] = &[
    "route-table-id",
    "vpc-id",
    "owner-id",
    "association.main",
    "association.subnet-id",
    "association.route-table-association-id",
    "association.route-table-id",
    "association.gateway-id",
    "route.destination-cidr-block",
    "route.destination-ipv6-cidr-block",
    "route.destination-prefix-list-id",
    "route.gateway-id",
    "route.vpc-peering-connection-id",
    "route.instance-id",
    "route.network-interface-id",
    "route.state",
    "route.origin",
    "tag-value",
];

fn route_gateway(r: &RouteView) -> Option<String> {
    match &r.target {
        None => Some("local".to_owned()),
        Some(RouteTarget::Gateway(g)) => Some(g.to_string()),
        Some(RouteTarget::Other(t)) if t.kind().aws_field() == "GatewayId" => {
            Some(t.id().to_owned())
        }
        Some(_) => None,
    }
}

/// The XML element of a route target kept but not followed: its describe field
/// (`OtherTargetKind::aws_field`) in the Query API's camelCase.
fn other_target_element(kind: OtherTargetKind) -> String {
    let field = kind.aws_field();
    let mut element = field[..1].to_ascii_lowercase();
    element.push_str(&field[1..]);
    element
}

fn route_state(r: &RouteView) -> &'static str {
    if r.active { "active" } else { "blackhole" }
}

fn route_table_field(v: &RouteTableView, name: &str, _: &AccountState) -> Option<Vec<String>> {
    let t = &v.table;
    let routes = v.routes.iter();
    match name {
        "route-table-id" | "association.route-table-id" => strings([&t.id]),
        "vpc-id" => strings([&t.vpc_id]),
        "owner-id" => strings([&t.owner]),
        "association.main" => strings(
            t.main
                .iter()
                .map(|_| true)
                .chain(t.subnets.iter().map(|_| false)),
        ),
        "association.subnet-id" => strings(t.subnets.iter().map(|(_, s)| s)),
        "association.route-table-association-id" => strings(
            t.main
                .iter()
                .map(ToString::to_string)
                .chain(t.subnets.iter().map(|(a, _)| a.to_string())),
        ),
        "association.gateway-id" => Some(Vec::new()),
        "route.destination-cidr-block" => strings(routes.filter_map(|r| match r.destination {
            RouteDestination::Ipv4(n) => Some(n),
            _ => None,
        })),
        "route.destination-ipv6-cidr-block" => {
            strings(routes.filter_map(|r| match r.destination {
                RouteDestination::Ipv6(n) => Some(n),
                _ => None,
            }))
        }
        "route.destination-prefix-list-id" => {
            strings(routes.filter_map(|r| match &r.destination {
                RouteDestination::PrefixList(p) => Some(p.clone()),
                _ => None,
            }))
        }
        "route.gateway-id" => strings(routes.filter_map(route_gateway)),
        "route.vpc-peering-connection-id" => strings(routes.filter_map(|r| match &r.target {
            Some(RouteTarget::Peering(p)) => Some(p.clone()),
            _ => None,
        })),
        "route.instance-id" => strings(routes.filter_map(|r| r.instance.clone())),
        "route.network-interface-id" => strings(routes.filter_map(|r| r.eni.clone())),
        "route.state" => strings(routes.map(route_state)),
        "route.origin" => strings(routes.map(|r| r.origin.aws_name())),
        "tag-value" => tag_values(&t.tags),
        _ => None,
    }
}

pub(super) fn describe_route_tables(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DescribeRouteTables {
        ids: p.id_list("RouteTableId")?,
        select: select(
            p,
            ROUTE_TABLE_FILTERS,
            |v: &RouteTableView| &v.table.tags,
            route_table_field,
        )?,
        page: page_request(p, (5, 100))?,
    })
}

pub(super) fn create_route(p: &Params) -> Result<Request, QueryError> {
    put_route(p, false)
}

pub(super) fn replace_route(p: &Params) -> Result<Request, QueryError> {
    put_route(p, true)
}

fn put_route(p: &Params, replace: bool) -> Result<Request, QueryError> {
    Ok(Request::PutRoute {
        table: p.required_id("RouteTableId")?,
        destination: destination(p)?,
        target: target(p)?,
        replace,
    })
}

pub(super) fn delete_route(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DeleteRoute {
        table: p.required_id("RouteTableId")?,
        destination: destination(p)?,
    })
}

pub(super) fn associate_route_table(p: &Params) -> Result<Request, QueryError> {
    if p.get("GatewayId").is_some() {
        return Err(QueryError::new(
            Ec2ErrorCode::UnsupportedOperation,
            "palisade does not model gateway route table associations",
        ));
    }
    Ok(Request::AssociateRouteTable {
        table: p.required_id("RouteTableId")?,
        subnet: p.required_id("SubnetId")?,
    })
}

pub(super) fn disassociate_route_table(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DisassociateRouteTable {
        association: p.required_id("AssociationId")?,
    })
}

pub(super) fn replace_route_table_association(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::ReplaceRouteTableAssociation {
        association: p.required_id("AssociationId")?,
        table: p.required_id("RouteTableId")?,
    })
}

pub(super) fn create_internet_gateway(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::CreateInternetGateway {
        tags: p.tag_specs("internet-gateway")?,
    })
}

pub(super) fn attach_internet_gateway(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::AttachInternetGateway {
        id: p.required_id("InternetGatewayId")?,
        vpc: p.required_id("VpcId")?,
    })
}

pub(super) fn detach_internet_gateway(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DetachInternetGateway {
        id: p.required_id("InternetGatewayId")?,
        vpc: p.required_id("VpcId")?,
    })
}

pub(super) fn delete_internet_gateway(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DeleteInternetGateway {
        id: p.required_id("InternetGatewayId")?,
    })
}

const IGW_FILTERS: &[&str] = &[
    "internet-gateway-id",
    "attachment.vpc-id",
    "attachment.state",
    "owner-id",
    "tag-value",
];

fn igw_field(g: &InternetGateway, name: &str, _: &AccountState) -> Option<Vec<String>> {
    match name {
        "internet-gateway-id" => strings([&g.id]),
        "attachment.vpc-id" => strings(&g.vpc),
        "attachment.state" => strings(g.vpc.iter().map(|_| "available")),
        "owner-id" => strings([&g.owner]),
        "tag-value" => tag_values(&g.tags),
        _ => None,
    }
}

pub(super) fn describe_internet_gateways(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DescribeInternetGateways {
        ids: p.id_list("InternetGatewayId")?,
        select: select(p, IGW_FILTERS, |g: &InternetGateway| &g.tags, igw_field)?,
        page: page_request(p, (5, 1000))?,
    })
}

pub(super) fn allocate_address(p: &Params) -> Result<Request, QueryError> {
    if let Some(domain) = p.get("Domain")
        && domain != "vpc"
    {
        return Err(QueryError::new(
            Ec2ErrorCode::InvalidParameterValue,
            format!("Invalid value '{domain}' for domain: only 'vpc' addresses exist"),
        ));
    }
    if let Some(pool) = p.get("PublicIpv4Pool")
        && pool != "amazon"
    {
        return Err(QueryError::new(
            Ec2ErrorCode::InvalidParameterValue,
            format!("The public IPv4 pool '{pool}' does not exist"),
        ));
    }
    Ok(Request::AllocateAddress {
        tags: p.tag_specs("elastic-ip")?,
    })
}

pub(super) fn associate_address(p: &Params) -> Result<Request, QueryError> {
    let target = match (p.opt_id("InstanceId")?, p.opt_id("NetworkInterfaceId")?) {
        (Some(_), Some(_)) => {
            return Err(QueryError::new(
                Ec2ErrorCode::InvalidParameterCombination,
                "Only one of instanceId and networkInterfaceId may be specified",
            ));
        }
        (Some(i), None) => AddressTarget::Instance(i),
        (None, Some(e)) => AddressTarget::Eni(e),
        (None, None) => {
            return Err(QueryError::new(
                Ec2ErrorCode::MissingParameter,
                "Either instance ID or network interface ID must be specified",
            ));
        }
    };
    let private_ip = match p.get("PrivateIpAddress") {
        None => None,
        Some(v) => Some(v.parse::<Ipv4Addr>().map_err(|_| {
            invalid(format!(
                "Value ({v}) for parameter privateIpAddress is invalid."
            ))
        })?),
    };
    Ok(Request::AssociateAddress {
        allocation: p.required_id("AllocationId")?,
        target,
        private_ip,
        allow_reassociation: p.bool("AllowReassociation")?.unwrap_or(false),
    })
}

pub(super) fn disassociate_address(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DisassociateAddress {
        association: p.required_id("AssociationId")?,
    })
}

pub(super) fn release_address(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::ReleaseAddress {
        allocation: p.required_id("AllocationId")?,
    })
}

const ADDRESS_FILTERS: &[&str] = &[
    "allocation-id",
    "association-id",
    "domain",
    "instance-id",
    "network-interface-id",
    "network-interface-owner-id",
    "private-ip-address",
    "public-ip",
    "public-ipv4-pool",
    "network-border-group",
    "tag-value",
];

fn address_field(v: &AddressView, name: &str, _: &AccountState) -> Option<Vec<String>> {
    let a = &v.address;
    let assoc = a.association.as_ref();
    match name {
        "allocation-id" => strings([&a.allocation_id]),
        "association-id" => strings(assoc.map(|x| &x.id)),
        "domain" => strings(["vpc"]),
        "instance-id" => strings(&v.instance),
        "network-interface-id" => strings(assoc.map(|x| &x.eni)),
        "network-interface-owner-id" => strings(assoc.map(|_| &a.owner)),
        "private-ip-address" => strings(assoc.map(|x| x.private_ip)),
        "public-ip" => strings([a.public_ip]),
        "public-ipv4-pool" => strings(["amazon"]),
        "network-border-group" => strings([&v.region]),
        "tag-value" => tag_values(&a.tags),
        _ => None,
    }
}

pub(super) fn describe_addresses(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DescribeAddresses {
        ids: p.id_list("AllocationId")?,
        public_ips: ipv4_list(p, "PublicIp")?,
        select: select(
            p,
            ADDRESS_FILTERS,
            |v: &AddressView| &v.address.tags,
            address_field,
        )?,
    })
}

pub(super) fn describe_addresses_attribute(p: &Params) -> Result<Request, QueryError> {
    let attribute = p.required("Attribute")?;
    if attribute != "domain-name" {
        return Err(invalid(format!(
            "Value ({attribute}) for parameter attribute is invalid."
        )));
    }
    Ok(Request::DescribeAddressesAttribute {
        ids: p.id_list("AllocationId")?,
    })
}

const ACL_FILTERS: &[&str] = &[
    "network-acl-id",
    "vpc-id",
    "default",
    "owner-id",
    "association.association-id",
    "association.network-acl-id",
    "association.subnet-id",
    "tag-value",
];

fn acl_field(v: &NetworkAclView, name: &str, _: &AccountState) -> Option<Vec<String>> {
    let a = &v.acl;
    match name {
        "network-acl-id" | "association.network-acl-id" => strings([&a.id]),
        "vpc-id" => strings([&a.vpc_id]),
        "default" => strings([a.is_default]),
        "owner-id" => strings([&a.owner]),
        "association.association-id" => strings(v.associations.iter().map(|(x, _)| x)),
        "association.subnet-id" => strings(v.associations.iter().map(|(_, s)| s)),
        "tag-value" => tag_values(&a.tags),
        _ => None,
    }
}

pub(super) fn describe_network_acls(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DescribeNetworkAcls {
        ids: p.id_list("NetworkAclId")?,
        select: select(p, ACL_FILTERS, |v: &NetworkAclView| &v.acl.tags, acl_field)?,
        page: page_request(p, (5, 1000))?,
    })
}

fn route(x: &mut Xml, r: &RouteView, owner: &str) {
    match &r.destination {
        RouteDestination::Ipv4(n) => x.leaf("destinationCidrBlock", n),
        RouteDestination::Ipv6(n) => x.leaf("destinationIpv6CidrBlock", n),
        RouteDestination::PrefixList(p) => x.leaf("destinationPrefixListId", p),
    };
    x.opt("gatewayId", route_gateway(r));
    if let Some(i) = &r.instance {
        x.leaf("instanceId", i).leaf("instanceOwnerId", owner);
    }
    x.opt("networkInterfaceId", r.eni.as_ref());
    match &r.target {
        Some(RouteTarget::Peering(p)) => {
            x.leaf("vpcPeeringConnectionId", p);
        }
        // `gatewayId` kinds are written by `route_gateway`.
        Some(RouteTarget::Other(t)) if t.kind().aws_field() != "GatewayId" => {
            x.leaf(&other_target_element(t.kind()), t);
        }
        _ => {}
    }
    x.leaf("state", route_state(r))
        .leaf("origin", r.origin.aws_name());
}

fn association_state(x: &mut Xml) {
    x.node("associationState", |x| {
        x.leaf("state", "associated");
    });
}

fn route_table(x: &mut Xml, v: &RouteTableView) {
    let t = &v.table;
    let owner = t.owner.as_str();
    x.leaf("routeTableId", &t.id).leaf("vpcId", &t.vpc_id);
    x.list("routeSet", &v.routes, |x, r| route(x, r, owner));
    let main = t.main.iter().map(|a| (a, None));
    let subnets = t.subnets.iter().map(|(a, s)| (a, Some(s)));
    x.list("associationSet", main.chain(subnets), |x, (a, s)| {
        x.leaf("main", s.is_none())
            .leaf("routeTableAssociationId", a)
            .leaf("routeTableId", &t.id)
            .opt("subnetId", s);
        association_state(x);
    });
    super::empty_list(x, "propagatingVgwSet");
    tag_set(x, &t.tags);
    x.leaf("ownerId", owner);
}

fn internet_gateway(x: &mut Xml, g: &InternetGateway) {
    x.leaf("internetGatewayId", &g.id).leaf("ownerId", &g.owner);
    // EC2 reports an attached gateway's attachment state as `available`.
    x.list("attachmentSet", &g.vpc, |x, vpc| {
        x.leaf("vpcId", vpc).leaf("state", "available");
    });
    tag_set(x, &g.tags);
}

fn address(x: &mut Xml, v: &AddressView) {
    let a = &v.address;
    x.leaf("publicIp", a.public_ip)
        .leaf("allocationId", &a.allocation_id)
        .leaf("domain", "vpc");
    if let Some(assoc) = &a.association {
        x.opt("instanceId", v.instance.as_ref())
            .leaf("associationId", &assoc.id)
            .leaf("networkInterfaceId", &assoc.eni)
            .leaf("networkInterfaceOwnerId", &a.owner)
            .leaf("privateIpAddress", assoc.private_ip);
    }
    x.leaf("publicIpv4Pool", "amazon")
        .leaf("networkBorderGroup", &v.region);
    tag_set(x, &a.tags);
}

fn network_acl(x: &mut Xml, v: &NetworkAclView) {
    let a = &v.acl;
    x.leaf("networkAclId", &a.id)
        .leaf("vpcId", &a.vpc_id)
        .leaf("default", a.is_default);
    x.list("entrySet", &v.entries, |x, e| {
        x.leaf("ruleNumber", e.rule_number)
            .leaf("protocol", "-1")
            .leaf("ruleAction", if e.allow { "allow" } else { "deny" })
            .leaf("egress", e.egress);
        match e.cidr {
            IpNet::V4(n) => x.leaf("cidrBlock", n),
            IpNet::V6(n) => x.leaf("ipv6CidrBlock", n),
        };
    });
    x.list("associationSet", &v.associations, |x, (id, subnet)| {
        x.leaf("networkAclAssociationId", id)
            .leaf("networkAclId", &a.id)
            .leaf("subnetId", subnet);
    });
    tag_set(x, &a.tags);
    x.leaf("ownerId", &a.owner);
}

pub(super) fn encode(x: &mut Xml, response: &Response, _: &Origin<'_>) {
    match response {
        Response::RouteTable(v) => {
            x.node("routeTable", |x| route_table(x, v));
        }
        Response::RouteTables(page) => {
            x.list("routeTableSet", &page.items, route_table);
            next_token(x, page.next.as_ref());
        }
        Response::RouteTableAssociated(id) => {
            x.leaf("associationId", id);
            association_state(x);
        }
        Response::RouteTableAssociationReplaced(id) => {
            x.leaf("newAssociationId", id);
            association_state(x);
        }
        Response::InternetGateway(g) => {
            x.node("internetGateway", |x| internet_gateway(x, g));
        }
        Response::InternetGateways(page) => {
            x.list("internetGatewaySet", &page.items, internet_gateway);
            next_token(x, page.next.as_ref());
        }
        Response::AddressAllocated(v) => {
            x.leaf("publicIp", v.address.public_ip)
                .leaf("allocationId", &v.address.allocation_id)
                .leaf("domain", "vpc")
                .leaf("publicIpv4Pool", "amazon")
                .leaf("networkBorderGroup", &v.region);
        }
        Response::AddressAssociated(id) => {
            x.leaf("return", true).leaf("associationId", id);
        }
        Response::Addresses(items) => {
            x.list("addressesSet", items, address);
        }
        Response::AddressAttributes(items) => {
            x.list("addressSet", items, |x, a| {
                x.leaf("publicIp", a.public_ip)
                    .leaf("allocationId", &a.allocation_id);
            });
        }
        Response::NetworkAcls(page) => {
            x.list("networkAclSet", &page.items, network_acl);
            next_token(x, page.next.as_ref());
        }
        // `wire::encode` routes only the responses above here.
        _ => {}
    }
}
