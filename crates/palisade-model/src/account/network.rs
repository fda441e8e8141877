//! What groups attach to: VPCs, subnets, interfaces, instances, peerings and prefix lists,
//! with EC2's containment, dependency and group-set rules.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::{AccountError, AccountState, AddressSpec, Resource, ResourceKey};
use crate::error::Ec2ErrorCode;
use crate::ids::{EniId, GroupId, IdGen, PrefixListId, SubnetId, VpcId};
use crate::network::{
    AddressFamily, ConntrackConfig, Eni, HostnameType, PrefixList, PrefixListChange,
    PrefixListEntry, Subnet, SubnetAttributes, Tag, VpcAttributes,
};
use crate::peer::Peer;

/// CreateSubnet's address blocks: `CidrBlock`, `Ipv6CidrBlock` and `Ipv6Native`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SubnetBlocks {
    pub v4: Option<Ipv4Net>,
    pub v6: Option<Ipv6Net>,
    pub ipv6_native: bool,
}

/// CreateNetworkInterface's inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEni {
    pub subnet_id: SubnetId,
    /// Empty means the VPC's default group.
    pub groups: Vec<GroupId>,
    pub addresses: AddressSpec,
    pub description: String,
    pub tags: Vec<Tag>,
    /// `ConnectionTrackingSpecification` (EC2's defaults when not given).
    pub conntrack: ConntrackConfig,
}

fn err(code: Ec2ErrorCode, message: impl Into<String>) -> AccountError {
    AccountError::new(code, message)
}

impl AccountState {
    /// CreateVpc: a /16–/28 IPv4 block; `ipv6` is the Amazon-provided /56 the caller chose.
    pub fn create_vpc(
        &mut self,
        cidr: Ipv4Net,
        ipv6: Option<Ipv6Net>,
        tags: Vec<Tag>,
        ids: &mut dyn IdGen,
    ) -> Result<VpcId, AccountError> {
        if !(16..=28).contains(&cidr.prefix_len()) {
            return Err(err(
                Ec2ErrorCode::InvalidVpcRange,
                format!("The CIDR '{cidr}' is invalid."),
            ));
        }
        // "VPCs per Region" counts the default VPC (Amazon VPC quotas).
        if self.snapshot.vpcs.len() >= self.quotas.vpcs_per_region() as usize {
            return Err(err(
                Ec2ErrorCode::VpcLimitExceeded,
                "The maximum number of VPCs has been reached.",
            ));
        }
        self.check_new_tags(&tags)?;
        Ok(self.insert_vpc(
            cidr.trunc(),
            ipv6,
            false,
            tags,
            VpcAttributes::default(),
            ids,
        ))
    }

    /// DeleteVpc: subnets, interfaces and non-default groups must be gone first; the default
    /// group goes with the VPC.
    pub fn delete_vpc(&mut self, id: &VpcId) -> Result<(), AccountError> {
        self.vpc(id)?;
        let s = &self.snapshot;
        let busy = s.subnets.values().any(|x| &x.vpc_id == id)
            || s.enis.values().any(|x| &x.vpc_id == id)
            || s.groups
                .values()
                .any(|g| &g.vpc_id == id && !g.is_default())
            // --- routing ---
            || self.routing_blocks_vpc_delete(id)
            // A group associated with the VPC must be disassociated first.
            || s.groups.values().any(|g| g.associated_vpcs.contains(id));
        if busy {
            return Err(err(
                Ec2ErrorCode::DependencyViolation,
                format!("The vpc '{id}' has dependencies and cannot be deleted."),
            ));
        }
        let defaults: Vec<GroupId> = s
            .groups
            .values()
            .filter(|g| &g.vpc_id == id)
            .map(|g| g.id.clone())
            .collect();
        for g in defaults {
            self.remove(&ResourceKey::Group(g));
        }
        // --- routing ---
        self.remove_vpc_routing(id);
        self.remove(&ResourceKey::Vpc(id.clone()));
        Ok(())
    }

    /// CreateSubnet: inside the VPC's block, /16–/28, overlapping no other subnet, in one of
    /// the region's zones (`zone` is a zone name or zone id). An IPv6-only subnet
    /// (`Ipv6Native`) has an IPv6 /64 and no IPv4 block, assigns an IPv6 address to every
    /// interface and names instances by resource name ("IPv6-only subnets", VPC UG).
    pub fn create_subnet(
        &mut self,
        vpc_id: &VpcId,
        blocks: SubnetBlocks,
        zone: Option<String>,
        tags: Vec<Tag>,
        ids: &mut dyn IdGen,
    ) -> Result<SubnetId, AccountError> {
        let cidr = match (blocks.v4, blocks.v6, blocks.ipv6_native) {
            (Some(_), _, true) => {
                return Err(err(
                    Ec2ErrorCode::InvalidParameterCombination,
                    "An IPv6-native subnet cannot have an IPv4 CIDR block; omit CidrBlock when Ipv6Native is true",
                ));
            }
            (None, None, true) => {
                return Err(err(
                    Ec2ErrorCode::InvalidParameterCombination,
                    "An IPv6-native subnet requires an IPv6 CIDR block; specify Ipv6CidrBlock when Ipv6Native is true",
                ));
            }
            (None, _, false) => {
                return Err(err(
                    Ec2ErrorCode::MissingParameter,
                    "The request must contain the parameter cidrBlock",
                ));
            }
            (cidr, _, _) => cidr,
        };
        let zone = match zone {
            Some(z) => self.zone_name(&z)?,
            None => format!("{}a", self.region),
        };
        let cidr = cidr.map(|c| self.check_subnet_v4(vpc_id, c)).transpose()?;
        let cidr_v6 = blocks
            .v6
            .map(|c| self.check_subnet_v6(vpc_id, None, c))
            .transpose()?;
        self.check_new_tags(&tags)?;
        let mut attributes = SubnetAttributes::default();
        if blocks.ipv6_native {
            attributes.assign_ipv6_address_on_creation = true;
            attributes.hostname_type = HostnameType::ResourceName;
        }
        let subnet = Subnet {
            id: SubnetId::generate(ids),
            vpc_id: vpc_id.clone(),
            owner: self.owner.clone(),
            cidr_v4: cidr,
            cidr_v6,
            availability_zone: zone,
            tags,
            attributes,
        };
        let id = subnet.id.clone();
        self.put(Resource::Subnet(subnet));
        Ok(id)
    }

    /// Checks a subnet's IPv4 block: /16–/28 inside one of the VPC's blocks, overlapping no
    /// other subnet's. Returns it truncated.
    fn check_subnet_v4(&self, vpc_id: &VpcId, cidr: Ipv4Net) -> Result<Ipv4Net, AccountError> {
        let vpc = self.vpc(vpc_id)?;
        let cidr = cidr.trunc();
        if !(16..=28).contains(&cidr.prefix_len())
            || !vpc.cidrs_v4.iter().any(|n| n.contains(&cidr))
        {
            return Err(err(
                Ec2ErrorCode::InvalidSubnetRange,
                format!("The CIDR '{cidr}' is invalid."),
            ));
        }
        let clash = self.snapshot.subnets.values().any(|s| {
            &s.vpc_id == vpc_id
                && s.cidr_v4
                    .is_some_and(|n| n.contains(&cidr) || cidr.contains(&n))
        });
        if clash {
            return Err(err(
                Ec2ErrorCode::InvalidSubnetConflict,
                format!("The CIDR '{cidr}' conflicts with another subnet"),
            ));
        }
        Ok(cidr)
    }

    pub fn subnet(&self, id: &SubnetId) -> Result<&Subnet, AccountError> {
        self.snapshot.subnets.get(id).ok_or_else(|| {
            err(
                Ec2ErrorCode::InvalidSubnetIdNotFound,
                format!("The subnet ID '{id}' does not exist"),
            )
        })
    }

    /// DeleteSubnet: no interface may remain in it.
    pub fn delete_subnet(&mut self, id: &SubnetId) -> Result<(), AccountError> {
        self.subnet(id)?;
        if self
            .snapshot
            .enis
            .values()
            .any(|e| e.subnet_id.as_ref() == Some(id))
        {
            return Err(err(
                Ec2ErrorCode::DependencyViolation,
                format!("The subnet '{id}' has dependencies and cannot be deleted."),
            ));
        }
        // --- routing ---
        self.remove_subnet_routing(id);
        self.remove(&ResourceKey::Subnet(id.clone()));
        Ok(())
    }

    /// Checks an interface's group set: 1..=quota groups, all existing, all in `vpc`.
    pub(super) fn check_groups(&self, vpc: &VpcId, groups: &[GroupId]) -> Result<(), AccountError> {
        self.quotas.check_interface_groups(groups)?;
        for g in groups {
            let group = self.group(g)?;
            // A group associated with the interface's VPC may be used there too.
            if !group.usable_in(vpc) {
                return Err(err(
                    Ec2ErrorCode::InvalidParameter,
                    format!("Security group {g} and subnet belong to different networks."),
                ));
            }
        }
        Ok(())
    }

    pub(super) fn default_group_of(&self, vpc: &VpcId) -> Result<GroupId, AccountError> {
        self.snapshot
            .groups
            .values()
            .find(|g| &g.vpc_id == vpc && g.is_default())
            .map(|g| g.id.clone())
            .ok_or_else(|| {
                err(
                    Ec2ErrorCode::InvalidGroupNotFound,
                    format!("VPC {vpc} has no default security group"),
                )
            })
    }

    /// CreateNetworkInterface.
    pub fn create_eni(&mut self, new: NewEni, ids: &mut dyn IdGen) -> Result<EniId, AccountError> {
        let subnet = self.subnet(&new.subnet_id)?.clone();
        let groups = if new.groups.is_empty() {
            vec![self.default_group_of(&subnet.vpc_id)?]
        } else {
            new.groups
        };
        self.check_groups(&subnet.vpc_id, &groups)?;
        self.check_new_tags(&new.tags)?;
        let (private_ipv4, ipv6) = self.new_addresses(&subnet, &new.addresses, ids)?;
        let eni = Eni {
            id: EniId::generate(ids),
            owner: self.owner.clone(),
            vpc_id: subnet.vpc_id.clone(),
            subnet_id: Some(subnet.id.clone()),
            private_ipv4,
            ipv6,
            public_ipv4: None,
            groups,
            instance_id: None,
            description: new.description,
            conntrack: new.conntrack,
            tags: new.tags,
        };
        let id = eni.id.clone();
        self.put(Resource::Eni(eni));
        Ok(id)
    }

    /// DeleteNetworkInterface: not while an instance uses it.
    pub fn delete_eni(&mut self, id: &EniId) -> Result<(), AccountError> {
        if let Some(instance) = &self.eni(id)?.instance_id {
            return Err(err(
                Ec2ErrorCode::IncorrectState,
                format!("Network interface '{id}' is currently in use by instance {instance}."),
            ));
        }
        // --- routing ---
        self.remove_eni_addresses(id);
        self.remove(&ResourceKey::Eni(id.clone()));
        Ok(())
    }

    /// ModifyNetworkInterfaceAttribute (groups): replaces the whole set.
    pub fn set_eni_groups(&mut self, id: &EniId, groups: Vec<GroupId>) -> Result<(), AccountError> {
        let vpc = self.eni(id)?.vpc_id.clone();
        self.check_groups(&vpc, &groups)?;
        self.eni_mut(id)?.groups = groups;
        Ok(())
    }

    /// CreateManagedPrefixList.
    pub fn create_prefix_list(
        &mut self,
        name: &str,
        family: AddressFamily,
        max_entries: u32,
        entries: Vec<PrefixListEntry>,
        tags: Vec<Tag>,
        ids: &mut dyn IdGen,
    ) -> Result<PrefixListId, AccountError> {
        check_max_entries(max_entries)?;
        check_list_name(name)?;
        let entries = check_entries(family, max_entries, entries)?;
        self.check_new_tags(&tags)?;
        let list = PrefixList {
            id: PrefixListId::generate(ids),
            name: name.to_owned(),
            owner: self.owner.clone(),
            family,
            max_entries,
            version: 1,
            entries,
            tags,
            change: PrefixListChange::Created,
        };
        let id = list.id.clone();
        self.put(Resource::PrefixList(list));
        Ok(id)
    }

    pub fn prefix_list(&self, id: &PrefixListId) -> Result<&PrefixList, AccountError> {
        self.snapshot.prefix_lists.get(id).ok_or_else(|| {
            err(
                Ec2ErrorCode::InvalidPrefixListIdNotFound,
                format!("The prefix list ID '{id}' does not exist"),
            )
        })
    }

    /// A customer-managed list of this account: AWS-managed lists cannot be changed.
    fn own_prefix_list(&self, id: &PrefixListId) -> Result<&PrefixList, AccountError> {
        let list = self.prefix_list(id)?;
        if list.owner.is_aws_managed() {
            return Err(err(
                Ec2ErrorCode::UnauthorizedOperation,
                format!(
                    "The prefix list {id} is managed by AWS and cannot be modified or deleted."
                ),
            ));
        }
        Ok(list)
    }

    /// ModifyManagedPrefixList with the optimistic `CurrentVersion` check. Entry changes make
    /// a new version; a new name or `MaxEntries` does not ("Adding or removing entries in a
    /// prefix list creates a new version of the prefix list. Changing the name of the prefix
    /// list does not affect the version.", ModifyManagedPrefixList).
    pub fn modify_prefix_list(
        &mut self,
        id: &PrefixListId,
        current_version: Option<u64>,
        add: Vec<PrefixListEntry>,
        remove: &[IpNet],
        name: Option<String>,
        max_entries: Option<u32>,
    ) -> Result<(), AccountError> {
        let mut list = self.own_prefix_list(id)?.clone();
        if current_version.is_some_and(|v| v != list.version) {
            return Err(err(
                Ec2ErrorCode::PrefixListVersionMismatch,
                format!(
                    "The prefix list {id} has version {}, not {}",
                    list.version,
                    current_version.unwrap_or(0)
                ),
            ));
        }
        if let Some(both) = add
            .iter()
            .find(|a| remove.iter().any(|r| r.trunc() == a.cidr.trunc()))
        {
            return Err(err(
                Ec2ErrorCode::InvalidParameterValue,
                format!(
                    "The CIDR {} cannot be both added to and removed from the prefix list",
                    both.cidr
                ),
            ));
        }
        let edits_entries = !add.is_empty() || !remove.is_empty();
        if let Some(max) = max_entries {
            // "You cannot modify the entries of a prefix list and modify the size of a
            // prefix list at the same time." (ModifyManagedPrefixList, MaxEntries)
            if edits_entries {
                return Err(err(
                    Ec2ErrorCode::InvalidParameterCombination,
                    "You cannot modify the entries of a prefix list and modify the size of a prefix list at the same time.",
                ));
            }
            check_max_entries(max)?;
            if (max as usize) < list.entries.len() {
                return Err(err(
                    Ec2ErrorCode::InvalidParameterValue,
                    format!(
                        "The prefix list {id} has {} entries, more than the requested MaxEntries {max}",
                        list.entries.len()
                    ),
                ));
            }
            list.max_entries = max;
        }
        for cidr in remove {
            let before = list.entries.len();
            list.entries.retain(|e| e.cidr != cidr.trunc());
            if list.entries.len() == before {
                return Err(err(
                    Ec2ErrorCode::InvalidParameterValue,
                    format!("The prefix list entry {cidr} does not exist"),
                ));
            }
        }
        list.entries
            .retain(|e| !add.iter().any(|a| a.cidr.trunc() == e.cidr));
        list.entries.extend(add);
        list.entries = check_entries(list.family, list.max_entries, list.entries)?;
        if let Some(name) = name {
            check_list_name(&name)?;
            list.name = name;
        }
        if edits_entries {
            list.version += 1;
        }
        list.change = PrefixListChange::Modified;
        self.put(Resource::PrefixList(list));
        Ok(())
    }

    /// DeleteManagedPrefixList: a list still referenced by a rule is kept, its delete
    /// failed (`delete-failed` with a `StateMessage`, as EC2 reports it once the delete
    /// runs); otherwise the list is gone.
    pub fn delete_prefix_list(&mut self, id: &PrefixListId) -> Result<(), AccountError> {
        let mut list = self.own_prefix_list(id)?.clone();
        let users: Vec<String> = self
            .snapshot
            .groups
            .values()
            .filter(|g| {
                g.rules()
                    .iter()
                    .any(|r| matches!(r.peer(), Peer::PrefixList(p) if p == id))
            })
            .map(|g| g.id.to_string())
            .collect();
        if users.is_empty() {
            self.remove(&ResourceKey::PrefixList(id.clone()));
            return Ok(());
        }
        list.change = PrefixListChange::DeleteFailed(format!(
            "The prefix list {id} is referenced by security group(s) {} and cannot be deleted.",
            users.join(", ")
        ));
        self.put(Resource::PrefixList(list));
        Ok(())
    }
}

fn check_max_entries(max_entries: u32) -> Result<(), AccountError> {
    if !(1..=1000).contains(&max_entries) {
        return Err(err(
            Ec2ErrorCode::InvalidParameterValue,
            format!("Invalid MaxEntries {max_entries}: must be 1..=1000"),
        ));
    }
    Ok(())
}

/// "The name cannot start with com.amazonaws." (CreateManagedPrefixList, PrefixListName)
fn check_list_name(name: &str) -> Result<(), AccountError> {
    if name.is_empty() || name.len() > 255 || name.starts_with("com.amazonaws") {
        return Err(err(
            Ec2ErrorCode::InvalidParameterValue,
            format!(
                "Invalid prefix list name '{name}': 1 to 255 characters, not starting with com.amazonaws"
            ),
        ));
    }
    Ok(())
}

fn check_entries(
    family: AddressFamily,
    max_entries: u32,
    entries: Vec<PrefixListEntry>,
) -> Result<Vec<PrefixListEntry>, AccountError> {
    if entries.len() > max_entries as usize {
        return Err(err(
            Ec2ErrorCode::InvalidParameterValue,
            format!(
                "The prefix list would have {} entries, more than its MaxEntries {max_entries}",
                entries.len()
            ),
        ));
    }
    let mut out: Vec<PrefixListEntry> = Vec::new();
    for mut e in entries {
        if AddressFamily::of(e.cidr.addr()) != family {
            return Err(err(
                Ec2ErrorCode::InvalidParameterValue,
                format!(
                    "The CIDR {} is not of address family {}",
                    e.cidr,
                    family.aws_name()
                ),
            ));
        }
        e.cidr = e.cidr.trunc();
        if out.iter().any(|o| o.cidr == e.cidr) {
            return Err(err(
                Ec2ErrorCode::InvalidParameterValue,
                format!("Duplicate prefix list entry {}", e.cidr),
            ));
        }
        out.push(e);
    }
    Ok(out)
}
