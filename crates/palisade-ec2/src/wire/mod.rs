//! The EC2 Query protocol per action: [`decode`] turns an action's form parameters into a
//! typed [`Request`], [`encode`] writes a typed [`Response`] as the inner elements of
//! `<{Action}Response>`. Each resource's parse and emit live together in one file (as
//! smoltcp's `wire/`): `groups` (groups and rules), `network` (VPCs, subnets, interfaces,
//! instances), `lists` (peering connections, prefix lists), `addresses`, `tags`.
//!
//! Filters are decoded here, where their AWS names live, into a [`Select`] the model runs;
//! an unknown filter name is refused at decode time.

mod addresses;
// Security groups associated with other VPCs.
mod group_vpcs;
mod groups;
mod instances;
mod lists;
mod network;
mod routing;
mod tags;
// VPC and subnet attributes, CIDR associations, zones, default VPC/subnet.
#[cfg(test)]
mod tests;
mod vpcs;
pub mod xml;

use palisade_model::account::AccountState;
use palisade_model::account::ops::{Request, Response, Select};
use palisade_model::{AccountId, Ec2ErrorCode, Tag};

use crate::query::{Filter, Params, QueryError, filters, matches_any, tag_filter};
pub use lists::iso8601;
use xml::Xml;

/// Who is asking, for the ARNs and owner ids a response spells.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub account: &'a AccountId,
    pub region: &'a str,
}

impl Origin<'_> {
    /// `arn:aws:ec2:REGION:ACCOUNT:KIND/ID`.
    pub fn arn(&self, kind: &str, id: &str) -> String {
        format!("arn:aws:ec2:{}:{}:{kind}/{id}", self.region, self.account)
    }
}

/// The request of `action`; `Ok(None)` when the action is not an EC2 action we serve.
pub fn decode(action: &str, p: &Params) -> Result<Option<Request>, QueryError> {
    use palisade_model::Direction::{Egress, Ingress};
    Ok(Some(match action {
        "CreateSecurityGroup" => groups::create(p)?,
        "DeleteSecurityGroup" => groups::delete(p)?,
        "DescribeSecurityGroups" => groups::describe(p)?,
        "DescribeSecurityGroupReferences" => groups::references(p)?,
        "DescribeStaleSecurityGroups" => groups::stale(p)?,
        "AuthorizeSecurityGroupIngress" => groups::authorize(p, Ingress)?,
        "AuthorizeSecurityGroupEgress" => groups::authorize(p, Egress)?,
        "RevokeSecurityGroupIngress" => groups::revoke(p, Ingress)?,
        "RevokeSecurityGroupEgress" => groups::revoke(p, Egress)?,
        "DescribeSecurityGroupRules" => groups::describe_rules(p)?,
        "ModifySecurityGroupRules" => groups::modify_rules(p)?,
        "UpdateSecurityGroupRuleDescriptionsIngress" => groups::descriptions(p, Ingress)?,
        "UpdateSecurityGroupRuleDescriptionsEgress" => groups::descriptions(p, Egress)?,
        "CreateVpc" => network::create_vpc(p)?,
        "DescribeVpcs" => network::describe_vpcs(p)?,
        "DeleteVpc" => network::delete_vpc(p)?,
        "CreateSubnet" => network::create_subnet(p)?,
        "DescribeSubnets" => network::describe_subnets(p)?,
        "DeleteSubnet" => network::delete_subnet(p)?,
        "CreateNetworkInterface" => instances::create_eni(p)?,
        "DescribeNetworkInterfaces" => instances::describe_enis(p)?,
        "DeleteNetworkInterface" => instances::delete_eni(p)?,
        "ModifyNetworkInterfaceAttribute" => instances::modify_eni(p)?,
        "RunInstances" => instances::run_instances(p)?,
        "DescribeInstances" => instances::describe_instances(p)?,
        "TerminateInstances" => instances::terminate_instances(p)?,
        "ModifyInstanceAttribute" => instances::modify_instance(p)?,
        "CreateVpcPeeringConnection" => lists::create_peering(p)?,
        "AcceptVpcPeeringConnection" => lists::accept_peering(p)?,
        "DeleteVpcPeeringConnection" => lists::delete_peering(p)?,
        "DescribeVpcPeeringConnections" => lists::describe_peerings(p)?,
        "CreateManagedPrefixList" => lists::create_prefix_list(p)?,
        "ModifyManagedPrefixList" => lists::modify_prefix_list(p)?,
        "DescribeManagedPrefixLists" => lists::describe_prefix_lists(p)?,
        "GetManagedPrefixListEntries" => lists::prefix_list_entries(p)?,
        "DeleteManagedPrefixList" => lists::delete_prefix_list(p)?,
        "AssignPrivateIpAddresses" => addresses::assign_private(p)?,
        "UnassignPrivateIpAddresses" => addresses::unassign_private(p)?,
        "AssignIpv6Addresses" => addresses::assign_ipv6(p)?,
        "UnassignIpv6Addresses" => addresses::unassign_ipv6(p)?,
        "AssociateSubnetCidrBlock" => addresses::associate_subnet_cidr(p)?,
        "CreateTags" => tags::create(p)?,
        "DeleteTags" => tags::delete(p)?,
        "DescribeTags" => tags::describe(p)?,
        // --- routing ---
        "CreateRouteTable" => routing::create_route_table(p)?,
        "DeleteRouteTable" => routing::delete_route_table(p)?,
        "DescribeRouteTables" => routing::describe_route_tables(p)?,
        "CreateRoute" => routing::create_route(p)?,
        "ReplaceRoute" => routing::replace_route(p)?,
        "DeleteRoute" => routing::delete_route(p)?,
        "AssociateRouteTable" => routing::associate_route_table(p)?,
        "DisassociateRouteTable" => routing::disassociate_route_table(p)?,
        "ReplaceRouteTableAssociation" => routing::replace_route_table_association(p)?,
        "CreateInternetGateway" => routing::create_internet_gateway(p)?,
        "AttachInternetGateway" => routing::attach_internet_gateway(p)?,
        "DetachInternetGateway" => routing::detach_internet_gateway(p)?,
        "DeleteInternetGateway" => routing::delete_internet_gateway(p)?,
        "DescribeInternetGateways" => routing::describe_internet_gateways(p)?,
        "AllocateAddress" => routing::allocate_address(p)?,
        "AssociateAddress" => routing::associate_address(p)?,
        "DisassociateAddress" => routing::disassociate_address(p)?,
        "ReleaseAddress" => routing::release_address(p)?,
        "DescribeAddresses" => routing::describe_addresses(p)?,
        "DescribeAddressesAttribute" => routing::describe_addresses_attribute(p)?,
        "DescribeNetworkAcls" => routing::describe_network_acls(p)?,
        a if routing::ACL_MUTATIONS.contains(&a) => return Err(routing::acl_mutation(a)),
        // VPC and subnet attributes, CIDR associations, zones, default VPC/subnet.
        "DescribeVpcAttribute" => vpcs::describe_vpc_attribute(p)?,
        "ModifyVpcAttribute" => vpcs::modify_vpc_attribute(p)?,
        "ModifyVpcTenancy" => vpcs::modify_vpc_tenancy(p)?,
        "AssociateVpcCidrBlock" => vpcs::associate_vpc_cidr(p)?,
        "DisassociateVpcCidrBlock" => vpcs::disassociate_vpc_cidr(p)?,
        "DisassociateSubnetCidrBlock" => vpcs::disassociate_subnet_cidr(p)?,
        "ModifySubnetAttribute" => vpcs::modify_subnet_attribute(p)?,
        "CreateDefaultVpc" => Request::CreateDefaultVpc,
        "CreateDefaultSubnet" => vpcs::create_default_subnet(p)?,
        "DescribeAvailabilityZones" => vpcs::describe_zones(p)?,
        // VPC peering across accounts and regions; the legacy prefix-list call.
        "RejectVpcPeeringConnection" => lists::reject_peering(p)?,
        "ModifyVpcPeeringConnectionOptions" => lists::modify_peering_options(p)?,
        "DescribePrefixLists" => lists::describe_gateway_lists(p)?,
        "GetManagedPrefixListAssociations" => lists::prefix_list_associations(p)?,
        "AssociateSecurityGroupVpc" => group_vpcs::associate(p)?,
        "DisassociateSecurityGroupVpc" => group_vpcs::disassociate(p)?,
        "DescribeSecurityGroupVpcAssociations" => group_vpcs::describe(p)?,
        "GetSecurityGroupsForVpc" => group_vpcs::for_vpc(p)?,
        // Network interfaces and instances.
        "AttachNetworkInterface" => instances::attach_eni(p)?,
        "DetachNetworkInterface" => instances::detach_eni(p)?,
        "DescribeNetworkInterfaceAttribute" => instances::describe_eni_attribute(p)?,
        "DescribeInstanceAttribute" => instances::describe_instance_attribute(p)?,
        "DescribeImages" => instances::describe_images(p)?,
        "DescribeInstanceTypes" => instances::describe_instance_types(p)?,
        "DescribeInstanceCreditSpecifications" => instances::describe_credit_specifications(p)?,
        _ => return Ok(None),
    }))
}

/// The inner elements of the response (what goes inside `<{Action}Response>` after
/// `<requestId>`).
pub fn encode(response: &Response, origin: &Origin<'_>) -> String {
    use Response as R;
    let mut x = Xml::new();
    match response {
        R::Done => {
            x.leaf("return", true);
        }
        R::GroupCreated { .. }
        | R::GroupDeleted { .. }
        | R::Groups(_)
        | R::GroupReferences(_)
        | R::StaleGroups(_)
        | R::Authorized(_)
        | R::Revoked { .. }
        | R::Rules(_) => groups::encode(&mut x, response, origin),
        R::Vpc(_) | R::Vpcs(_) | R::Subnet(_) | R::Subnets(_) => {
            network::encode(&mut x, response, origin)
        }
        // Network interfaces and instances.
        R::Eni(_)
        | R::Enis(_)
        | R::Reservation(_)
        | R::Reservations(_)
        | R::Terminated(_)
        | R::Attached { .. }
        | R::EniAttribute { .. }
        | R::InstanceAttribute { .. }
        | R::Images(_)
        | R::InstanceTypes(_)
        | R::CreditSpecifications(_) => instances::encode(&mut x, response, origin),
        R::Peering(_)
        | R::Peerings(_)
        | R::PrefixList { .. }
        | R::PrefixLists(_)
        | R::PrefixListEntries(_)
        | R::PeeringOptions { .. }
        | R::GatewayPrefixLists(_)
        | R::PrefixListAssociations(_) => lists::encode(&mut x, response, origin),
        R::PrivateIpsAssigned { .. }
        | R::Ipv6Assigned { .. }
        | R::Ipv6Unassigned { .. }
        | R::SubnetCidrAssociated { .. } => addresses::encode(&mut x, response),
        R::Tags(_) => tags::encode(&mut x, response),
        // --- routing ---
        R::RouteTable(_)
        | R::RouteTables(_)
        | R::RouteTableAssociated(_)
        | R::RouteTableAssociationReplaced(_)
        | R::InternetGateway(_)
        | R::InternetGateways(_)
        | R::AddressAllocated(_)
        | R::AddressAssociated(_)
        | R::Addresses(_)
        | R::AddressAttributes(_)
        | R::NetworkAcls(_) => routing::encode(&mut x, response, origin),
        // VPC area.
        R::VpcAttribute { .. }
        | R::VpcCidrBlock { .. }
        | R::SubnetCidrBlock { .. }
        | R::Zones(_) => vpcs::encode(&mut x, response, origin),
        R::GroupVpcAssociationState(_) | R::GroupVpcAssociations(_) | R::GroupsForVpc(_) => {
            group_vpcs::encode(&mut x, response);
        }
    }
    x.finish()
}

/// The `nextToken` element for a page's `next` key.
pub(crate) fn next_token(x: &mut Xml, next: Option<&String>) {
    x.opt("nextToken", next.map(|k| crate::query::token_for(k)));
}

/// The values one resource has for a filter name; `None` for a name the operation does not
/// know.
pub(crate) type Fields<T> = fn(&T, &str, &AccountState) -> Option<Vec<String>>;

/// A [`Select`] from the request's `Filter.N`: tag filters over `tags(item)`, the rest over
/// `fields`. A name neither a tag filter nor in `known` is refused here, before the state
/// is read.
pub(crate) fn select<T: 'static>(
    p: &Params,
    known: &'static [&'static str],
    tags: fn(&T) -> &[Tag],
    fields: Fields<T>,
) -> Result<Select<T>, QueryError> {
    let filters = filters(p)?;
    if filters.is_empty() {
        return Ok(Select::all());
    }
    check_names(&filters, |name| known.contains(&name))?;
    let label = label(&filters);
    Ok(Select::new(label, move |item: &T, st: &AccountState| {
        filters.iter().all(|f| match tag_filter(f, tags(item)) {
            Some(ok) => ok,
            None => fields(item, &f.name, st)
                .is_some_and(|values| values.iter().any(|v| matches_any(f, v))),
        })
    }))
}

/// `name=v1|v2; …`, for `Debug` of a [`Select`].
pub(crate) fn label(filters: &[Filter]) -> String {
    filters
        .iter()
        .map(|f| format!("{}={}", f.name, f.values.join("|")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Refuses the first filter that is neither a tag filter (`tag:<key>`, `tag-key`,
/// `tag-value`) nor
/// `known`: EC2's "The filter 'x' is invalid".
pub(crate) fn check_names(
    filters: &[Filter],
    known: impl Fn(&str) -> bool,
) -> Result<(), QueryError> {
    match filters.iter().find(|f| {
        !(f.name.starts_with("tag:")
            || f.name == "tag-key"
            || f.name == "tag-value"
            || known(&f.name))
    }) {
        Some(f) => Err(QueryError::new(
            Ec2ErrorCode::InvalidParameterValue,
            format!("The filter '{}' is invalid", f.name),
        )),
        None => Ok(()),
    }
}

/// `<tagSet>`.
pub(crate) fn tag_set(x: &mut Xml, tags: &[Tag]) {
    x.list("tagSet", tags, |x, t| {
        x.leaf("key", &t.key).leaf("value", &t.value);
    });
}

/// An empty list element (`<assignedIpv4PrefixSet/>`), for members EC2 always sends.
pub(crate) fn empty_list(x: &mut Xml, tag: &str) {
    x.list(tag, std::iter::empty::<()>(), |_, ()| {});
}
