//! Executing a [`Request`]: one arm per action. Writes go through [`AccountState::execute`]
//! (inside the store's transaction), reads through [`AccountState::query`] (on a shared
//! view); both return the typed [`Response`] or an EC2-coded [`AccountError`].

use std::collections::BTreeSet;
use std::net::Ipv6Addr;

use ipnet::{IpNet, Ipv6Net};

use super::request::{DraftPeer, PageRequest, Request, RuleDraft, RuleEdit, VpcCidrRequest};
use super::response::{
    AttachmentView, EniView, GroupName, InstanceView, Paged, Response, StaleGroupView, SubnetView,
    TaggedResource,
};
use super::response::{CidrAssociation, CidrState};
use crate::account::{AccountError, AccountState, GroupSelector, Instance, SubnetBlocks};
use crate::error::Ec2ErrorCode;
use crate::group::SecurityGroup;
use crate::ids::{GroupId, IdGen, PeeringId, VpcId};
use crate::network::{Eni, PeeringStatus, PrefixListState, Subnet};
use crate::peer::{GroupRef, Peer};
use crate::rule::{Direction, NewRule, Rule};
use crate::zones;

/// AWS reserves the first four addresses and the last of every subnet ("Subnet CIDR
/// blocks", VPC UG).
const RESERVED_PER_SUBNET: u64 = 5;

fn err(code: Ec2ErrorCode, message: impl Into<String>) -> AccountError {
    AccountError::new(code, message)
}

/// Filters and cuts one page of `items` (in `key` order), keeping items from the page's
/// first key on; only what the page returns goes through `view` (a clone, for borrowed
/// items).
fn page<I, V>(
    items: impl IntoIterator<Item = I>,
    key: impl Fn(&I) -> &str,
    page: &PageRequest,
    keep: impl Fn(&I) -> bool,
    view: impl Fn(I) -> V,
) -> Paged<V> {
    let limit = page.max.unwrap_or(usize::MAX);
    let mut out = Vec::new();
    let mut next = None;
    for item in items {
        if page.from.as_deref().is_some_and(|from| key(&item) < from) || !keep(&item) {
            continue;
        }
        if out.len() == limit {
            next = Some(key(&item).to_owned());
            break;
        }
        out.push(view(item));
    }
    Paged { items: out, next }
}

/// [`page`] over owned items with their keys, not yet in key order.
pub(crate) fn page_sorted<T>(
    mut items: Vec<(String, T)>,
    page_req: &PageRequest,
    keep: impl Fn(&T) -> bool,
) -> Paged<T> {
    items.sort_by(|a, b| a.0.cmp(&b.0));
    page(
        items,
        |(k, _)| k.as_str(),
        page_req,
        |(_, t)| keep(t),
        |(_, t)| t,
    )
}

impl AccountState {
    /// Runs one operation inside a write transaction. Reads are answered too (by
    /// [`AccountState::query`]), so a caller may send every request here.
    pub fn execute(
        &mut self,
        request: Request,
        ids: &mut dyn IdGen,
    ) -> Result<Response, AccountError> {
        use Request as R;
        Ok(match request {
            R::CreateSecurityGroup {
                name,
                description,
                vpc,
                tags,
            } => {
                let id = self.create_group(&name, &description, vpc.as_ref(), tags.clone(), ids)?;
                Response::GroupCreated { id, tags }
            }
            R::DeleteSecurityGroup { group } => Response::GroupDeleted {
                id: self.delete_group(&group)?,
            },
            R::AuthorizeSecurityGroup {
                direction,
                group,
                rules,
                tags,
            } => {
                let group = self.resolve_group(&group)?;
                let mut rules = self.resolve_drafts(&group, direction, rules)?;
                for r in &mut rules {
                    r.tags.clone_from(&tags);
                }
                Response::Authorized(self.authorize(&group, rules, ids)?)
            }
            R::RevokeSecurityGroup {
                direction,
                group,
                ids: rule_ids,
                rules,
            } => {
                let group = self.resolve_group(&group)?;
                if !rule_ids.is_empty() {
                    return Ok(Response::Revoked {
                        rules: self.revoke_ids(&group, direction, &rule_ids)?,
                        unknown: Vec::new(),
                    });
                }
                let specs: Vec<_> = self
                    .resolve_drafts(&group, direction, rules)?
                    .into_iter()
                    .map(|r| r.spec)
                    .collect();
                let done = self.revoke_matching(&group, &specs)?;
                Response::Revoked {
                    rules: done.rules,
                    unknown: done
                        .unknown
                        .into_iter()
                        .map(|s| NewRule::new(s.direction, s.traffic, s.peer))
                        .collect(),
                }
            }
            R::ModifySecurityGroupRules { group, changes } => {
                self.modify_rules(&group, changes)?;
                Response::Done
            }
            R::UpdateSecurityGroupRuleDescriptions {
                direction,
                group,
                edit,
            } => {
                let group = self.resolve_group(&group)?;
                match edit {
                    RuleEdit::ById(by_id) => {
                        for (id, _) in &by_id {
                            if self
                                .group(&group)?
                                .rule(id)
                                .is_none_or(|r| r.direction() != direction)
                            {
                                return Err(err(
                                    Ec2ErrorCode::InvalidSecurityGroupRuleIdNotFound,
                                    format!("The security group rule ID '{id}' does not exist"),
                                ));
                            }
                        }
                        self.set_descriptions_by_id(&group, &by_id)?;
                    }
                    RuleEdit::ByRule(drafts) => {
                        let rules = self.resolve_drafts(&group, direction, drafts)?;
                        self.set_descriptions_by_rule(&group, &rules)?;
                    }
                }
                Response::Done
            }
            R::CreateVpc {
                cidr,
                amazon_ipv6,
                tags,
                tenancy,
                ipv6_border_group,
            } => {
                self.check_border_group(ipv6_border_group.as_deref())?;
                let v6 = amazon_ipv6.then(|| amazon_ipv6_block(ids));
                let id = self.create_vpc(cidr, v6, tags, ids)?;
                self.init_vpc_tenancy(&id, tenancy)?;
                Response::Vpc(self.vpc(&id)?.clone())
            }
            R::DeleteVpc { vpc } => {
                self.delete_vpc(&vpc)?;
                Response::Done
            }
            R::CreateSubnet {
                vpc,
                cidr,
                ipv6,
                ipv6_native,
                zone,
                tags,
            } => {
                let blocks = SubnetBlocks {
                    v4: cidr,
                    v6: ipv6,
                    ipv6_native,
                };
                let id = self.create_subnet(&vpc, blocks, zone, tags, ids)?;
                Response::Subnet(self.subnet_view(self.subnet(&id)?))
            }
            R::DeleteSubnet { subnet } => {
                self.delete_subnet(&subnet)?;
                Response::Done
            }
            R::CreateNetworkInterface(new) => {
                let id = self.create_eni(new, ids)?;
                Response::Eni(self.eni_view(self.eni(&id)?))
            }
            R::DeleteNetworkInterface { eni } => {
                self.delete_eni(&eni)?;
                Response::Done
            }
            R::ModifyNetworkInterfaceAttribute { eni, attribute } => {
                self.modify_eni_attribute(&eni, attribute)?;
                Response::Done
            }
            R::RunInstances(new) => {
                let created = self.run_instances(new, ids)?;
                Response::Reservation(
                    created
                        .iter()
                        .filter_map(|id| self.instances().get(id))
                        .map(|i| self.instance_view(i))
                        .collect(),
                )
            }
            R::TerminateInstances { ids: instances } => {
                Response::Terminated(self.terminate_instances(&instances)?)
            }
            R::ModifyInstanceAttribute {
                instance,
                attribute,
            } => {
                match attribute {
                    Some(a) => self.modify_instance(&instance, a)?,
                    None => drop(self.instance(&instance)?),
                }
                Response::Done
            }
            // Network interfaces and instances.
            R::AttachNetworkInterface {
                eni,
                instance,
                device_index,
                network_card_index,
            } => {
                let attachment =
                    self.attach_eni(&eni, &instance, device_index, network_card_index, ids)?;
                Response::Attached {
                    attachment,
                    network_card_index,
                }
            }
            R::DetachNetworkInterface { attachment } => {
                self.detach_eni(&attachment)?;
                Response::Done
            }
            request @ (R::CreateVpcPeeringConnection { .. }
            | R::AcceptVpcPeeringConnection { .. }
            | R::RejectVpcPeeringConnection { .. }
            | R::DeleteVpcPeeringConnection { .. }
            | R::ModifyVpcPeeringConnectionOptions { .. }) => self.execute_peering(request, ids)?,
            R::AssociateSecurityGroupVpc { group, vpc } => {
                self.associate_group_vpc(&group, &vpc)?
            }
            R::DisassociateSecurityGroupVpc { group, vpc } => {
                self.disassociate_group_vpc(&group, &vpc)?
            }
            R::CreateManagedPrefixList {
                name,
                family,
                max_entries,
                entries,
                tags,
            } => {
                let id = self.create_prefix_list(&name, family, max_entries, entries, tags, ids)?;
                Response::PrefixList {
                    list: self.prefix_list(&id)?.clone(),
                    state: PrefixListState::CreateInProgress,
                }
            }
            R::ModifyManagedPrefixList {
                id,
                current_version,
                add,
                remove,
                name,
                max_entries,
            } => {
                self.modify_prefix_list(&id, current_version, add, &remove, name, max_entries)?;
                Response::PrefixList {
                    list: self.prefix_list(&id)?.clone(),
                    state: PrefixListState::ModifyInProgress,
                }
            }
            R::DeleteManagedPrefixList { id } => {
                let list = self.prefix_list(&id)?.clone();
                self.delete_prefix_list(&id)?;
                Response::PrefixList {
                    list,
                    state: PrefixListState::DeleteInProgress,
                }
            }
            R::AssignPrivateIpAddresses {
                eni,
                addresses,
                count,
                allow_reassignment,
            } => {
                let addresses =
                    self.assign_private_ips(&eni, &addresses, count, allow_reassignment)?;
                Response::PrivateIpsAssigned { eni, addresses }
            }
            R::UnassignPrivateIpAddresses { eni, addresses } => {
                self.unassign_private_ips(&eni, &addresses)?;
                Response::Done
            }
            R::AssignIpv6Addresses {
                eni,
                addresses,
                count,
            } => {
                let addresses = self.assign_ipv6(&eni, &addresses, count, ids)?;
                Response::Ipv6Assigned { eni, addresses }
            }
            R::UnassignIpv6Addresses { eni, addresses } => {
                let addresses = self.unassign_ipv6(&eni, &addresses)?;
                Response::Ipv6Unassigned { eni, addresses }
            }
            R::AssociateSubnetCidrBlock { subnet, ipv6 } => {
                let cidr = self.associate_subnet_ipv6(&subnet, ipv6)?;
                Response::SubnetCidrAssociated { subnet, cidr }
            }
            R::CreateTags { resources, tags } => {
                self.create_tags(&resources, &tags)?;
                Response::Done
            }
            R::DeleteTags { resources, tags } => {
                self.delete_tags(&resources, &tags)?;
                Response::Done
            }
            // --- routing ---
            R::CreateRouteTable { vpc, tags } => {
                let id = self.create_route_table(&vpc, tags, ids)?;
                Response::RouteTable(self.route_table_view(self.route_table(&id)?))
            }
            R::DeleteRouteTable { id } => {
                self.delete_route_table(&id)?;
                Response::Done
            }
            R::PutRoute {
                table,
                destination,
                target,
                replace,
            } => {
                self.put_route(&table, destination, target, replace)?;
                Response::Done
            }
            R::DeleteRoute { table, destination } => {
                self.delete_route(&table, &destination)?;
                Response::Done
            }
            R::AssociateRouteTable { table, subnet } => {
                Response::RouteTableAssociated(self.associate_route_table(&table, &subnet, ids)?)
            }
            R::DisassociateRouteTable { association } => {
                self.disassociate_route_table(&association)?;
                Response::Done
            }
            R::ReplaceRouteTableAssociation { association, table } => {
                Response::RouteTableAssociationReplaced(self.replace_route_table_association(
                    &association,
                    &table,
                    ids,
                )?)
            }
            R::CreateInternetGateway { tags } => {
                let id = self.create_internet_gateway(tags, ids)?;
                Response::InternetGateway(self.internet_gateway(&id)?.clone())
            }
            R::AttachInternetGateway { id, vpc } => {
                self.attach_internet_gateway(&id, &vpc)?;
                Response::Done
            }
            R::DetachInternetGateway { id, vpc } => {
                self.detach_internet_gateway(&id, &vpc)?;
                Response::Done
            }
            R::DeleteInternetGateway { id } => {
                self.delete_internet_gateway(&id)?;
                Response::Done
            }
            R::AllocateAddress { tags } => {
                let id = self.allocate_address(tags, ids)?;
                Response::AddressAllocated(self.address_view(self.address(&id)?))
            }
            R::AssociateAddress {
                allocation,
                target,
                private_ip,
                allow_reassociation,
            } => Response::AddressAssociated(self.associate_address(
                &allocation,
                &target,
                private_ip,
                allow_reassociation,
                ids,
            )?),
            R::DisassociateAddress { association } => {
                self.disassociate_address(&association)?;
                Response::Done
            }
            R::ReleaseAddress { allocation } => {
                self.release_address(&allocation)?;
                Response::Done
            }
            // VPC and subnet attributes, CIDR associations, zones, default VPC/subnet.
            R::ModifyVpcAttribute {
                vpc,
                attribute,
                value,
            } => {
                self.set_vpc_attribute(&vpc, attribute, value)?;
                Response::Done
            }
            R::ModifyVpcTenancy { vpc, tenancy } => {
                self.set_vpc_tenancy(&vpc, tenancy)?;
                Response::Done
            }
            R::AssociateVpcCidrBlock { vpc, block } => {
                let cidr = match block {
                    VpcCidrRequest::Ipv4(c) => IpNet::V4(self.associate_vpc_cidr(&vpc, c)?),
                    VpcCidrRequest::AmazonIpv6 { border_group } => {
                        self.check_border_group(border_group.as_deref())?;
                        let block = amazon_ipv6_block(ids);
                        IpNet::V6(self.associate_vpc_ipv6(&vpc, block)?)
                    }
                };
                let association = self.cidr_association(&vpc, cidr, CidrState::Associating)?;
                Response::VpcCidrBlock { vpc, association }
            }
            R::DisassociateVpcCidrBlock { association_id } => {
                let (vpc, cidr) = self.disassociate_vpc_cidr(&association_id)?;
                Response::VpcCidrBlock {
                    vpc,
                    association: CidrAssociation {
                        id: association_id,
                        cidr,
                        state: CidrState::Disassociating,
                        border_group: matches!(cidr, IpNet::V6(_))
                            .then(|| self.region().to_owned()),
                    },
                }
            }
            R::DisassociateSubnetCidrBlock { association_id } => {
                let (subnet, cidr) = self.disassociate_subnet_cidr(&association_id)?;
                Response::SubnetCidrBlock {
                    subnet,
                    association: CidrAssociation {
                        id: association_id,
                        cidr: IpNet::V6(cidr),
                        state: CidrState::Disassociating,
                        border_group: None,
                    },
                }
            }
            R::ModifySubnetAttribute { subnet, change } => {
                self.set_subnet_attribute(&subnet, change)?;
                Response::Done
            }
            R::CreateDefaultVpc => {
                let id = self.create_default_vpc(ids)?;
                Response::Vpc(self.vpc(&id)?.clone())
            }
            R::CreateDefaultSubnet { zone } => {
                let id = self.create_default_subnet(&zone, ids)?;
                Response::Subnet(self.subnet_view(self.subnet(&id)?))
            }
            read => self.query(&read)?,
        })
    }

    /// Answers a read-only operation ([`Request::is_read`]); a write is refused with
    /// `InternalError`, as it can only come from a caller's bug.
    pub fn query(&self, request: &Request) -> Result<Response, AccountError> {
        use Request as R;
        Ok(match request {
            R::DescribeSecurityGroups {
                ids,
                names,
                select,
                page: p,
            } => {
                let mut wanted: BTreeSet<GroupId> = BTreeSet::new();
                for id in ids {
                    wanted.insert(self.resolve_group(&GroupSelector::Id(id.clone()))?);
                }
                for name in names {
                    wanted.insert(self.resolve_group(&GroupSelector::Name(name.clone()))?);
                }
                let keep = |g: &&SecurityGroup| select.keeps(g, self);
                Response::Groups(if wanted.is_empty() {
                    page(
                        self.snapshot().groups.values(),
                        |g| g.id.as_str(),
                        p,
                        keep,
                        Clone::clone,
                    )
                } else {
                    page(
                        wanted
                            .iter()
                            .filter_map(|id| self.snapshot().groups.get(id)),
                        |g| g.id.as_str(),
                        p,
                        keep,
                        Clone::clone,
                    )
                })
            }
            R::DescribeSecurityGroupReferences { groups } => {
                Response::GroupReferences(self.group_references(groups)?)
            }
            R::DescribeStaleSecurityGroups { vpc, page: p } => {
                let groups: Vec<_> = self
                    .stale_groups(vpc)?
                    .into_iter()
                    .map(|g| (g.group_id.to_string(), self.stale_view(g)))
                    .collect();
                Response::StaleGroups(page_sorted(groups, p, |_| true))
            }
            R::DescribeSecurityGroupRules {
                ids,
                select,
                page: p,
            } => {
                for id in ids {
                    if self.find_rule(id).is_none() {
                        return Err(err(
                            Ec2ErrorCode::InvalidSecurityGroupRuleIdNotFound,
                            format!("The security group rule ID '{id}' does not exist"),
                        ));
                    }
                }
                let mut rules: Vec<&Rule> = self
                    .snapshot()
                    .groups
                    .values()
                    .flat_map(|g| g.rules())
                    .filter(|r| ids.is_empty() || ids.contains(&r.id))
                    .collect();
                rules.sort_by(|a, b| a.id.cmp(&b.id));
                Response::Rules(page(
                    rules,
                    |r| r.id.as_str(),
                    p,
                    |r| select.keeps(r, self),
                    Clone::clone,
                ))
            }
            R::DescribeVpcs {
                ids,
                select,
                page: p,
            } => {
                for id in ids {
                    self.vpc(id)?;
                }
                Response::Vpcs(page(
                    self.snapshot().vpcs.values(),
                    |v| v.id.as_str(),
                    p,
                    |v| (ids.is_empty() || ids.contains(&v.id)) && select.keeps(v, self),
                    Clone::clone,
                ))
            }
            R::DescribeSubnets {
                ids,
                select,
                page: p,
            } => {
                for id in ids {
                    self.subnet(id)?;
                }
                let views: Vec<SubnetView> = self
                    .snapshot()
                    .subnets
                    .values()
                    .filter(|s| ids.is_empty() || ids.contains(&s.id))
                    .map(|s| self.subnet_view(s))
                    .collect();
                Response::Subnets(page(
                    views.iter(),
                    |v| v.subnet.id.as_str(),
                    p,
                    |v| select.keeps(v, self),
                    Clone::clone,
                ))
            }
            R::DescribeNetworkInterfaces {
                ids,
                select,
                page: p,
            } => {
                for id in ids {
                    self.eni(id)?;
                }
                Response::Enis(page(
                    self.snapshot().enis.values(),
                    |e| e.id.as_str(),
                    p,
                    |e| (ids.is_empty() || ids.contains(&e.id)) && select.keeps(e, self),
                    |e| self.eni_view(e),
                ))
            }
            R::DescribeInstances {
                ids,
                select,
                page: p,
            } => {
                for id in ids {
                    self.instance(id)?;
                }
                let views: Vec<InstanceView> = self
                    .instances()
                    .values()
                    .filter(|i| ids.is_empty() || ids.contains(&i.id))
                    .map(|i| self.instance_view(i))
                    .collect();
                Response::Reservations(page(
                    views.iter(),
                    |v| v.instance.id.as_str(),
                    p,
                    |v| select.keeps(v, self),
                    Clone::clone,
                ))
            }
            R::DescribeVpcPeeringConnections {
                ids,
                select,
                page: p,
            } => {
                for id in ids {
                    self.peering(id)?;
                }
                Response::Peerings(page(
                    self.snapshot().peerings.values(),
                    |c| c.id.as_str(),
                    p,
                    |c| (ids.is_empty() || ids.contains(&c.id)) && select.keeps(c, self),
                    |c| self.peering_view(c),
                ))
            }
            R::DescribeManagedPrefixLists {
                ids,
                select,
                page: p,
            } => {
                for id in ids {
                    self.prefix_list(id)?;
                }
                Response::PrefixLists(page(
                    self.snapshot().prefix_lists.values(),
                    |l| l.id.as_str(),
                    p,
                    |l| (ids.is_empty() || ids.contains(&l.id)) && select.keeps(l, self),
                    Clone::clone,
                ))
            }
            R::DescribePrefixLists {
                ids,
                select,
                page: p,
            } => {
                for id in ids {
                    if !self.prefix_list(id)?.is_gateway_endpoint_list() {
                        return Err(err(
                            Ec2ErrorCode::InvalidPrefixListIdNotFound,
                            format!("The prefix list ID '{id}' does not exist"),
                        ));
                    }
                }
                Response::GatewayPrefixLists(page(
                    self.snapshot().prefix_lists.values(),
                    |l| l.id.as_str(),
                    p,
                    |l| {
                        l.is_gateway_endpoint_list()
                            && (ids.is_empty() || ids.contains(&l.id))
                            && select.keeps(l, self)
                    },
                    Clone::clone,
                ))
            }
            R::DescribeSecurityGroupVpcAssociations { select, page: p } => {
                self.group_vpc_associations(select, p)
            }
            R::GetSecurityGroupsForVpc {
                vpc,
                select,
                page: p,
            } => self.groups_for_vpc(vpc, select, p)?,
            R::GetManagedPrefixListAssociations { id, page: p } => {
                self.prefix_list(id)?;
                let users = self
                    .snapshot()
                    .groups
                    .values()
                    .filter(|g| {
                        g.rules()
                            .iter()
                            .any(|r| matches!(r.peer(), Peer::PrefixList(l) if l == id))
                    })
                    .map(|g| (g.id.to_string(), (g.id.clone(), g.owner.clone())))
                    .collect();
                Response::PrefixListAssociations(page_sorted(users, p, |_| true))
            }
            R::GetManagedPrefixListEntries { id, page: p } => {
                let entries = self
                    .prefix_list(id)?
                    .entries
                    .iter()
                    .map(|e| (e.cidr.to_string(), e.clone()))
                    .collect();
                Response::PrefixListEntries(page_sorted(entries, p, |_| true))
            }
            R::DescribeTags { select, page: p } => {
                let tags = self
                    .all_tags()
                    .into_iter()
                    .map(|(id, kind, tag)| {
                        (
                            format!("{id} {}", tag.key),
                            TaggedResource { id, kind, tag },
                        )
                    })
                    .collect();
                Response::Tags(page_sorted(tags, p, |t| select.keeps(t, self)))
            }
            // --- routing ---
            R::DescribeRouteTables {
                ids,
                select,
                page: p,
            } => {
                for id in ids {
                    self.route_table(id)?;
                }
                let views: Vec<_> = self
                    .snapshot()
                    .route_tables
                    .values()
                    .filter(|t| ids.is_empty() || ids.contains(&t.id))
                    .map(|t| self.route_table_view(t))
                    .collect();
                Response::RouteTables(page(
                    views.iter(),
                    |v| v.table.id.as_str(),
                    p,
                    |v| select.keeps(v, self),
                    Clone::clone,
                ))
            }
            R::DescribeInternetGateways {
                ids,
                select,
                page: p,
            } => {
                for id in ids {
                    self.internet_gateway(id)?;
                }
                Response::InternetGateways(page(
                    self.snapshot().internet_gateways.values(),
                    |g| g.id.as_str(),
                    p,
                    |g| (ids.is_empty() || ids.contains(&g.id)) && select.keeps(g, self),
                    Clone::clone,
                ))
            }
            R::DescribeAddresses {
                ids,
                public_ips,
                select,
            } => {
                for id in ids {
                    self.address(id)?;
                }
                for ip in public_ips {
                    self.address_by_ip(*ip)?;
                }
                Response::Addresses(
                    self.snapshot()
                        .addresses
                        .values()
                        .filter(|a| ids.is_empty() || ids.contains(&a.allocation_id))
                        .filter(|a| public_ips.is_empty() || public_ips.contains(&a.public_ip))
                        .map(|a| self.address_view(a))
                        .filter(|v| select.keeps(v, self))
                        .collect(),
                )
            }
            R::DescribeAddressesAttribute { ids } => {
                for id in ids {
                    self.address(id)?;
                }
                Response::AddressAttributes(
                    self.snapshot()
                        .addresses
                        .values()
                        .filter(|a| ids.is_empty() || ids.contains(&a.allocation_id))
                        .cloned()
                        .collect(),
                )
            }
            R::DescribeNetworkAcls {
                ids,
                select,
                page: p,
            } => {
                for id in ids {
                    self.network_acl(id)?;
                }
                let views: Vec<_> = self
                    .snapshot()
                    .network_acls
                    .values()
                    .filter(|a| ids.is_empty() || ids.contains(&a.id))
                    .map(|a| self.network_acl_view(a))
                    .collect();
                Response::NetworkAcls(page(
                    views.iter(),
                    |v| v.acl.id.as_str(),
                    p,
                    |v| select.keeps(v, self),
                    Clone::clone,
                ))
            }
            // VPC and subnet attributes, zones.
            R::DescribeVpcAttribute { vpc, attribute } => Response::VpcAttribute {
                vpc: vpc.clone(),
                attribute: *attribute,
                value: attribute.get(&self.vpc(vpc)?.attributes),
            },
            R::DescribeAvailabilityZones { names, select } => {
                let all = zones::zones(self.region());
                for name in names {
                    if !all.iter().any(|z| &z.name == name || &z.id == name) {
                        return Err(err(
                            Ec2ErrorCode::InvalidParameterValue,
                            format!("The zone '{name}' does not exist."),
                        ));
                    }
                }
                Response::Zones(
                    all.into_iter()
                        .filter(|z| {
                            names.is_empty() || names.iter().any(|n| n == &z.name || n == &z.id)
                        })
                        .filter(|z| select.keeps(z, self))
                        .collect(),
                )
            }
            // Network interfaces and instances.
            R::DescribeNetworkInterfaceAttribute { eni, attribute } => Response::EniAttribute {
                view: self.eni_view(self.eni(eni)?),
                attribute: *attribute,
            },
            R::DescribeInstanceAttribute {
                instance,
                attribute,
            } => Response::InstanceAttribute {
                view: self.instance_view(self.instance(instance)?),
                attribute: *attribute,
            },
            R::DescribeImages { ids } => Response::Images(self.images(ids)?),
            R::DescribeInstanceTypes { types } => {
                Response::InstanceTypes(super::instances::instance_types(types)?)
            }
            R::DescribeInstanceCreditSpecifications { ids } => {
                Response::CreditSpecifications(self.credit_specifications(ids)?)
            }
            write => {
                return Err(err(
                    Ec2ErrorCode::InternalError,
                    format!("{write:?} is not a read-only operation"),
                ));
            }
        })
    }

    /// Drafts into rules: group names resolve in the rule group's VPC (EC2: "The security
    /// group 'x' does not exist").
    fn resolve_drafts(
        &self,
        group: &GroupId,
        direction: Direction,
        drafts: Vec<RuleDraft>,
    ) -> Result<Vec<NewRule>, AccountError> {
        let vpc = self.group(group)?.vpc_id.clone();
        drafts
            .into_iter()
            .map(|d| {
                let peer = match d.peer {
                    DraftPeer::Peer(p) => p,
                    DraftPeer::GroupName(name) => {
                        let id = self.group_by_name(&vpc, &name).map(|g| g.id.clone());
                        let id = id.ok_or_else(|| {
                            err(
                                Ec2ErrorCode::InvalidGroupNotFound,
                                format!("The security group '{name}' does not exist"),
                            )
                        })?;
                        Peer::Group(GroupRef::same_account(id))
                    }
                };
                let mut rule = NewRule::new(direction, d.traffic, peer);
                rule.description = d.description;
                Ok(rule)
            })
            .collect()
    }

    fn group_names(&self, groups: &[GroupId]) -> Vec<GroupName> {
        groups
            .iter()
            .map(|g| {
                let name = self.snapshot().groups.get(g).map(|g| g.name.clone());
                (g.clone(), name)
            })
            .collect()
    }

    fn zone_of(&self, subnet: Option<&crate::ids::SubnetId>) -> String {
        subnet
            .and_then(|s| self.snapshot().subnets.get(s))
            .map(|s| s.availability_zone.clone())
            .unwrap_or_default()
    }

    /// A subnet with its derived values.
    fn subnet_view(&self, s: &Subnet) -> SubnetView {
        // An IPv6-only subnet reports no free addresses (EC2 counts IPv4 ones only).
        let size = s
            .cidr_v4
            .map_or(0, |c| 1u64 << (32 - u32::from(c.prefix_len())));
        let used = self
            .snapshot()
            .enis
            .values()
            .filter(|e| e.subnet_id.as_ref() == Some(&s.id))
            .map(|e| e.private_ipv4.len() as u64)
            .sum::<u64>();
        SubnetView {
            subnet: s.clone(),
            default_for_az: s.attributes.default_for_az,
            map_public_ip_on_launch: s.attributes.map_public_ip_on_launch,
            available_ips: size.saturating_sub(RESERVED_PER_SUBNET + used),
            zone_id: zones::zone(self.region(), &s.availability_zone)
                .map(|z| z.id)
                .unwrap_or_default(),
        }
    }

    /// The association of `cidr` in `vpc`, in `state`.
    fn cidr_association(
        &self,
        vpc: &VpcId,
        cidr: IpNet,
        state: CidrState,
    ) -> Result<CidrAssociation, AccountError> {
        Ok(CidrAssociation {
            id: self.vpc(vpc)?.cidr_association_id(cidr),
            cidr,
            state,
            border_group: matches!(cidr, IpNet::V6(_)).then(|| self.region().to_owned()),
        })
    }

    /// `Ipv6CidrBlockNetworkBorderGroup`: the region is the only border group modelled.
    fn check_border_group(&self, group: Option<&str>) -> Result<(), AccountError> {
        match group {
            Some(g) if g != self.region() => Err(err(
                Ec2ErrorCode::InvalidParameterValue,
                format!(
                    "Invalid value '{g}' for Ipv6CidrBlockNetworkBorderGroup: the network border group of {} is {}",
                    self.region(),
                    self.region()
                ),
            )),
            _ => Ok(()),
        }
    }

    /// An interface with its zone, group names and attachment.
    pub(in crate::account) fn eni_view(&self, e: &Eni) -> EniView {
        let attachment = self.attachment_of(&e.id);
        EniView {
            eni: e.clone(),
            zone: self.zone_of(e.subnet_id.as_ref()),
            groups: self.group_names(&e.groups),
            private_dns_name: self.private_dns_name(e.private_ipv4.first().copied()),
            source_dest_check: attachment
                .filter(|(i, _)| i.primary_eni == e.id)
                .is_none_or(|(i, _)| i.source_dest_check),
            attachment: match attachment {
                Some((i, a)) => Some(AttachmentView {
                    instance: i.id.clone(),
                    attachment: a.clone(),
                    detached: false,
                }),
                None => self.last_detachment(&e.id).map(|(i, a)| AttachmentView {
                    instance: i.id.clone(),
                    attachment: a.clone(),
                    detached: true,
                }),
            },
        }
    }

    pub(in crate::account) fn instance_view(&self, i: &Instance) -> InstanceView {
        let interfaces = i
            .interfaces
            .iter()
            .filter_map(|a| self.snapshot().enis.get(&a.eni))
            .map(|e| self.eni_view(e))
            .collect();
        InstanceView {
            instance: i.clone(),
            zone: self.zone_of(Some(&i.subnet_id)),
            groups: self.group_names(&self.instance_groups(i)),
            interfaces,
            private_dns_name: self
                .private_dns_name((!i.private_ip.is_unspecified()).then_some(i.private_ip)),
            burstable: crate::account::catalog::instance_type_info(&i.instance_type)
                .is_some_and(|t| t.burstable),
        }
    }

    fn stale_view(&self, group: crate::account::StaleGroup) -> StaleGroupView {
        let named: BTreeSet<PeeringId> = group
            .stale
            .iter()
            .filter_map(|r| match r.peer() {
                Peer::Group(g) => g.peering_id.clone(),
                _ => None,
            })
            .collect();
        let peerings = named
            .into_iter()
            .map(|id| {
                let status = self
                    .snapshot()
                    .peerings
                    .get(&id)
                    .map_or(PeeringStatus::Deleted, |p| p.status);
                (id, status)
            })
            .collect();
        StaleGroupView { group, peerings }
    }
}

/// An "Amazon-provided" /56 from the documentation-free `2600:1f00::/24` pool, chosen by the
/// id source (EC2 picks from its own pools; callers cannot choose).
fn amazon_ipv6_block(ids: &mut dyn IdGen) -> Ipv6Net {
    let bits = ids.next_bits();
    let hi =
        0x2600_1f00_0000_0000_u64 | (u64::try_from((bits >> 8) & 0x00ff_ffff_ff00).unwrap_or(0));
    Ipv6Net::new(Ipv6Addr::from(u128::from(hi) << 64), 56)
        .expect("56 is a valid prefix length")
        .trunc()
}
