//! One account's resources in one region, and the EC2 operations over them: the business
//! rules the API server applies (name uniqueness, delete dependencies, quotas, default VPC).
//!
//! Every mutation goes through methods that record the touched resource in a change set
//! ([`AccountState::take_changed`]), so a store persists (or rolls back) exactly those rows.
//! No I/O, no clock, no randomness: ids come from the caller's [`IdGen`].

mod addresses;
pub mod catalog;
mod group_vpcs;
mod groups;
mod instances;
mod network;
pub mod ops;
mod routing;
mod vpcs;
// VPC peering across accounts and regions.
mod peering;
pub use peering::Side;

use std::collections::{BTreeMap, BTreeSet};

use ipnet::Ipv4Net;

pub use addresses::AddressSpec;
pub use groups::{GroupSelector, Revoked, RuleUpdate, StaleGroup};
pub use instances::{
    Attachment, Instance, InstanceAttribute, InstanceState, LaunchOptions, NewInstances, NicSpec,
    ShutdownBehavior,
};
pub use network::{NewEni, SubnetBlocks};
pub use routing::AddressTarget;
pub use vpcs::{SubnetAttributeChange, VpcAttribute};

use crate::error::{Ec2ErrorCode, GroupError, IdError, NetworkError, RuleError};
use crate::group::SecurityGroup;
use crate::ids::{
    AccountId, EniId, GroupId, IdGen, InstanceId, PeeringId, PrefixListId, RuleId, SubnetId, VpcId,
};
use crate::ids::{AllocationId, InternetGatewayId, NetworkAclId, RouteTableId};
use crate::network::{Eni, Peering, PrefixList, Subnet, Tag, Vpc, VpcAttributes};
use crate::quotas::Quotas;
use crate::routing::{ElasticIp, InternetGateway, NetworkAcl, RouteTable};
use crate::snapshot::Snapshot;

crate::ec2_error!(
    /// Why an account operation was refused; `code()` is the EC2 error code.
    AccountError
);

macro_rules! from_error {
    ($($t:ty),*) => {$(
        impl From<$t> for AccountError {
            fn from(e: $t) -> Self {
                Self { code: e.code(), message: e.to_string() }
            }
        }
    )*};
}
from_error!(RuleError, GroupError, NetworkError, IdError);

/// Drops `id` from the name index under `key`, handing the name to another group of the
/// same VPC and name if there is one (only an import can hold two).
fn unindex_group(
    index: &mut BTreeMap<(VpcId, String), GroupId>,
    groups: &BTreeMap<GroupId, SecurityGroup>,
    key: (VpcId, String),
    id: &GroupId,
) {
    if index.get(&key) != Some(id) {
        return;
    }
    let next = groups
        .values()
        .find(|g| g.vpc_id == key.0 && g.name.eq_ignore_ascii_case(&key.1))
        .map(|g| g.id.clone());
    match next {
        Some(next) => drop(index.insert(key, next)),
        None => drop(index.remove(&key)),
    }
}

/// The key of one stored resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKey {
    Vpc(VpcId),
    Subnet(SubnetId),
    Group(GroupId),
    Eni(EniId),
    Peering(PeeringId),
    PrefixList(PrefixListId),
    Instance(InstanceId),
    // --- routing ---
    RouteTable(RouteTableId),
    InternetGateway(InternetGatewayId),
    Address(AllocationId),
    NetworkAcl(NetworkAclId),
}

impl ResourceKey {
    /// The resource id as EC2 prints it.
    pub fn id(&self) -> &str {
        match self {
            Self::Vpc(id) => id.as_str(),
            Self::Subnet(id) => id.as_str(),
            Self::Group(id) => id.as_str(),
            Self::Eni(id) => id.as_str(),
            Self::Peering(id) => id.as_str(),
            Self::PrefixList(id) => id.as_str(),
            Self::Instance(id) => id.as_str(),
            // --- routing ---
            Self::RouteTable(id) => id.as_str(),
            Self::InternetGateway(id) => id.as_str(),
            Self::Address(id) => id.as_str(),
            Self::NetworkAcl(id) => id.as_str(),
        }
    }
}

/// One stored resource, by value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    Vpc(Vpc),
    Subnet(Subnet),
    Group(SecurityGroup),
    Eni(Eni),
    Peering(Peering),
    PrefixList(PrefixList),
    Instance(Instance),
    // --- routing ---
    RouteTable(RouteTable),
    InternetGateway(InternetGateway),
    Address(ElasticIp),
    NetworkAcl(NetworkAcl),
}

impl Resource {
    pub fn key(&self) -> ResourceKey {
        match self {
            Self::Vpc(v) => ResourceKey::Vpc(v.id.clone()),
            Self::Subnet(v) => ResourceKey::Subnet(v.id.clone()),
            Self::Group(v) => ResourceKey::Group(v.id.clone()),
            Self::Eni(v) => ResourceKey::Eni(v.id.clone()),
            Self::Peering(v) => ResourceKey::Peering(v.id.clone()),
            Self::PrefixList(v) => ResourceKey::PrefixList(v.id.clone()),
            Self::Instance(v) => ResourceKey::Instance(v.id.clone()),
            // --- routing ---
            Self::RouteTable(v) => ResourceKey::RouteTable(v.id.clone()),
            Self::InternetGateway(v) => ResourceKey::InternetGateway(v.id.clone()),
            Self::Address(v) => ResourceKey::Address(v.allocation_id.clone()),
            Self::NetworkAcl(v) => ResourceKey::NetworkAcl(v.id.clone()),
        }
    }
}

/// One stored resource, borrowed from the state: what encoding its row needs, without the
/// copy [`AccountState::get`] makes (cloning a group to encode it was a few percent of a
/// write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceRef<'a> {
    Vpc(&'a Vpc),
    Subnet(&'a Subnet),
    Group(&'a SecurityGroup),
    Eni(&'a Eni),
    Peering(&'a Peering),
    PrefixList(&'a PrefixList),
    Instance(&'a Instance),
    // --- routing ---
    RouteTable(&'a RouteTable),
    InternetGateway(&'a InternetGateway),
    Address(&'a ElasticIp),
    NetworkAcl(&'a NetworkAcl),
}

impl ResourceRef<'_> {
    /// The resource by value.
    pub fn to_resource(self) -> Resource {
        match self {
            Self::Vpc(v) => Resource::Vpc(v.clone()),
            Self::Subnet(v) => Resource::Subnet(v.clone()),
            Self::Group(v) => Resource::Group(v.clone()),
            Self::Eni(v) => Resource::Eni(v.clone()),
            Self::Peering(v) => Resource::Peering(v.clone()),
            Self::PrefixList(v) => Resource::PrefixList(v.clone()),
            Self::Instance(v) => Resource::Instance(v.clone()),
            // --- routing ---
            Self::RouteTable(v) => Resource::RouteTable(v.clone()),
            Self::InternetGateway(v) => Resource::InternetGateway(v.clone()),
            Self::Address(v) => Resource::Address(v.clone()),
            Self::NetworkAcl(v) => Resource::NetworkAcl(v.clone()),
        }
    }
}

impl Resource {
    /// The resource, borrowed.
    pub fn borrowed(&self) -> ResourceRef<'_> {
        match self {
            Self::Vpc(v) => ResourceRef::Vpc(v),
            Self::Subnet(v) => ResourceRef::Subnet(v),
            Self::Group(v) => ResourceRef::Group(v),
            Self::Eni(v) => ResourceRef::Eni(v),
            Self::Peering(v) => ResourceRef::Peering(v),
            Self::PrefixList(v) => ResourceRef::PrefixList(v),
            Self::Instance(v) => ResourceRef::Instance(v),
            // --- routing ---
            Self::RouteTable(v) => ResourceRef::RouteTable(v),
            Self::InternetGateway(v) => ResourceRef::InternetGateway(v),
            Self::Address(v) => ResourceRef::Address(v),
            Self::NetworkAcl(v) => ResourceRef::NetworkAcl(v),
        }
    }
}

/// Everything one account owns in one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountState {
    owner: AccountId,
    region: String,
    quotas: Quotas,
    snapshot: Snapshot,
    instances: BTreeMap<InstanceId, Instance>,
    changed: BTreeSet<ResourceKey>,
    /// Groups by VPC and ASCII-lowercased name (EC2's names are unique per VPC, ignoring
    /// case): CreateSecurityGroup and name look-ups would otherwise scan every group.
    /// Kept by `put` and `remove`, the only ways a group enters or leaves the snapshot.
    group_names: BTreeMap<(VpcId, String), GroupId>,
}

impl AccountState {
    /// An empty state under `quotas` (a store fills it with [`AccountState::insert_loaded`]).
    pub fn empty(owner: AccountId, region: &str, quotas: Quotas) -> Self {
        let mut snapshot = Snapshot::default();
        // Every region has AWS's managed lists; they are built in, never stored.
        for list in crate::aws_prefix_lists::in_region(region) {
            snapshot.prefix_lists.insert(list.id.clone(), list);
        }
        Self {
            owner,
            region: region.to_owned(),
            quotas,
            snapshot,
            instances: BTreeMap::new(),
            changed: BTreeSet::new(),
            group_names: BTreeMap::new(),
        }
    }

    /// A new account/region as EC2 creates it: the default VPC
    /// (`AccountState::insert_default_vpc`).
    pub fn bootstrap(owner: AccountId, region: &str, quotas: Quotas, ids: &mut dyn IdGen) -> Self {
        let mut state = Self::empty(owner, region, quotas);
        state.insert_default_vpc(ids);
        state
    }

    pub fn owner(&self) -> &AccountId {
        &self.owner
    }
    pub fn region(&self) -> &str {
        &self.region
    }
    pub fn quotas(&self) -> &Quotas {
        &self.quotas
    }
    /// Everything, as the engine and analysis see it.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }
    pub fn instances(&self) -> &BTreeMap<InstanceId, Instance> {
        &self.instances
    }

    /// The resources changed since the last call (inserted, modified or removed).
    pub fn take_changed(&mut self) -> BTreeSet<ResourceKey> {
        std::mem::take(&mut self.changed)
    }

    /// The current value of a resource; `None` when it does not exist (was removed).
    pub fn get(&self, key: &ResourceKey) -> Option<Resource> {
        self.get_ref(key).map(ResourceRef::to_resource)
    }

    /// The resource `key` names, borrowed.
    pub fn get_ref(&self, key: &ResourceKey) -> Option<ResourceRef<'_>> {
        let s = &self.snapshot;
        Some(match key {
            ResourceKey::Vpc(id) => ResourceRef::Vpc(s.vpcs.get(id)?),
            ResourceKey::Subnet(id) => ResourceRef::Subnet(s.subnets.get(id)?),
            ResourceKey::Group(id) => ResourceRef::Group(s.groups.get(id)?),
            ResourceKey::Eni(id) => ResourceRef::Eni(s.enis.get(id)?),
            ResourceKey::Peering(id) => ResourceRef::Peering(s.peerings.get(id)?),
            ResourceKey::PrefixList(id) => ResourceRef::PrefixList(s.prefix_lists.get(id)?),
            ResourceKey::Instance(id) => ResourceRef::Instance(self.instances.get(id)?),
            // --- routing ---
            ResourceKey::RouteTable(id) => ResourceRef::RouteTable(s.route_tables.get(id)?),
            ResourceKey::InternetGateway(id) => {
                ResourceRef::InternetGateway(s.internet_gateways.get(id)?)
            }
            ResourceKey::Address(id) => ResourceRef::Address(s.addresses.get(id)?),
            ResourceKey::NetworkAcl(id) => ResourceRef::NetworkAcl(s.network_acls.get(id)?),
        })
    }

    /// Inserts a resource read from storage, without recording a change.
    pub fn insert_loaded(&mut self, resource: Resource) {
        self.put(resource);
        self.changed.clear();
    }

    /// Removes a resource without recording a change (a store rolling back an insert).
    pub fn remove_loaded(&mut self, key: &ResourceKey) {
        self.remove(key);
        self.changed.clear();
    }

    /// Every resource, for a full save.
    pub fn all_keys(&self) -> Vec<ResourceKey> {
        let s = &self.snapshot;
        let mut keys = Vec::new();
        keys.extend(s.vpcs.keys().cloned().map(ResourceKey::Vpc));
        keys.extend(s.subnets.keys().cloned().map(ResourceKey::Subnet));
        keys.extend(s.groups.keys().cloned().map(ResourceKey::Group));
        keys.extend(s.enis.keys().cloned().map(ResourceKey::Eni));
        keys.extend(s.peerings.keys().cloned().map(ResourceKey::Peering));
        keys.extend(s.prefix_lists.keys().cloned().map(ResourceKey::PrefixList));
        keys.extend(self.instances.keys().cloned().map(ResourceKey::Instance));
        // --- routing ---
        keys.extend(s.route_tables.keys().cloned().map(ResourceKey::RouteTable));
        keys.extend(
            s.internet_gateways
                .keys()
                .cloned()
                .map(ResourceKey::InternetGateway),
        );
        keys.extend(s.addresses.keys().cloned().map(ResourceKey::Address));
        keys.extend(s.network_acls.keys().cloned().map(ResourceKey::NetworkAcl));
        keys
    }

    fn put(&mut self, resource: Resource) {
        self.changed.insert(resource.key());
        let s = &mut self.snapshot;
        match resource {
            Resource::Vpc(v) => drop(s.vpcs.insert(v.id.clone(), v)),
            Resource::Subnet(v) => drop(s.subnets.insert(v.id.clone(), v)),
            Resource::Group(v) => {
                let key = (v.vpc_id.clone(), v.name.to_ascii_lowercase());
                let id = v.id.clone();
                if let Some(old) = s.groups.insert(id.clone(), v) {
                    let old_key = (old.vpc_id, old.name.to_ascii_lowercase());
                    if old_key != key {
                        unindex_group(&mut self.group_names, &s.groups, old_key, &id);
                    }
                }
                // Of two groups whose names differ only in case (EC2 refuses them; an
                // import could carry them), the smaller id is found, as a scan in id
                // order would.
                let slot = self.group_names.entry(key).or_insert_with(|| id.clone());
                if id < *slot {
                    *slot = id;
                }
            }
            Resource::Eni(v) => drop(s.enis.insert(v.id.clone(), v)),
            Resource::Peering(v) => drop(s.peerings.insert(v.id.clone(), v)),
            Resource::PrefixList(v) => drop(s.prefix_lists.insert(v.id.clone(), v)),
            Resource::Instance(v) => drop(self.instances.insert(v.id.clone(), v)),
            // --- routing ---
            Resource::RouteTable(v) => drop(s.route_tables.insert(v.id.clone(), v)),
            Resource::InternetGateway(v) => drop(s.internet_gateways.insert(v.id.clone(), v)),
            Resource::Address(v) => drop(s.addresses.insert(v.allocation_id.clone(), v)),
            Resource::NetworkAcl(v) => drop(s.network_acls.insert(v.id.clone(), v)),
        }
    }

    fn remove(&mut self, key: &ResourceKey) {
        self.changed.insert(key.clone());
        let s = &mut self.snapshot;
        match key {
            ResourceKey::Vpc(id) => drop(s.vpcs.remove(id)),
            ResourceKey::Subnet(id) => drop(s.subnets.remove(id)),
            ResourceKey::Group(id) => {
                if let Some(old) = s.groups.remove(id) {
                    let key = (old.vpc_id, old.name.to_ascii_lowercase());
                    unindex_group(&mut self.group_names, &s.groups, key, id);
                }
            }
            ResourceKey::Eni(id) => drop(s.enis.remove(id)),
            ResourceKey::Peering(id) => drop(s.peerings.remove(id)),
            ResourceKey::PrefixList(id) => drop(s.prefix_lists.remove(id)),
            ResourceKey::Instance(id) => drop(self.instances.remove(id)),
            // --- routing ---
            ResourceKey::RouteTable(id) => drop(s.route_tables.remove(id)),
            ResourceKey::InternetGateway(id) => drop(s.internet_gateways.remove(id)),
            ResourceKey::Address(id) => drop(s.addresses.remove(id)),
            ResourceKey::NetworkAcl(id) => drop(s.network_acls.remove(id)),
        }
    }

    fn group_mut(&mut self, id: &GroupId) -> Result<&mut SecurityGroup, AccountError> {
        self.changed.insert(ResourceKey::Group(id.clone()));
        self.snapshot
            .groups
            .get_mut(id)
            .ok_or_else(|| group_not_found(id))
    }

    fn eni_mut(&mut self, id: &EniId) -> Result<&mut Eni, AccountError> {
        self.changed.insert(ResourceKey::Eni(id.clone()));
        self.snapshot
            .enis
            .get_mut(id)
            .ok_or_else(|| eni_not_found(id))
    }

    /// The default VPC, if the account still has one.
    pub fn default_vpc(&self) -> Option<&Vpc> {
        self.snapshot.vpcs.values().find(|v| v.is_default)
    }

    pub fn vpc(&self, id: &VpcId) -> Result<&Vpc, AccountError> {
        self.snapshot.vpcs.get(id).ok_or_else(|| {
            AccountError::new(
                Ec2ErrorCode::InvalidVpcIdNotFound,
                format!("The vpc ID '{id}' does not exist"),
            )
        })
    }

    pub fn group(&self, id: &GroupId) -> Result<&SecurityGroup, AccountError> {
        self.snapshot
            .groups
            .get(id)
            .ok_or_else(|| group_not_found(id))
    }

    pub fn eni(&self, id: &EniId) -> Result<&Eni, AccountError> {
        self.snapshot.enis.get(id).ok_or_else(|| eni_not_found(id))
    }

    /// Inserts a VPC and its default security group; returns the VPC id.
    fn insert_vpc(
        &mut self,
        cidr: Ipv4Net,
        cidr_v6: Option<ipnet::Ipv6Net>,
        is_default: bool,
        tags: Vec<Tag>,
        attributes: VpcAttributes,
        ids: &mut dyn IdGen,
    ) -> VpcId {
        let vpc = Vpc {
            id: VpcId::generate(ids),
            owner: self.owner.clone(),
            cidrs_v4: vec![cidr],
            cidrs_v6: cidr_v6.into_iter().collect(),
            is_default,
            tags,
            attributes,
        };
        let group = SecurityGroup::new_default(
            GroupId::generate(ids),
            vpc.id.clone(),
            self.owner.clone(),
            cidr_v6.is_some(),
            ids,
        );
        let id = vpc.id.clone();
        self.put(Resource::Vpc(vpc));
        self.put(Resource::Group(group));
        // --- routing ---
        self.insert_vpc_routing(&id, is_default);
        id
    }

    /// CreateTags: every id must exist (rules `sgr-` included), and keep within the tag
    /// quota once merged, before any tag is set.
    pub fn create_tags(&mut self, resources: &[String], tags: &[Tag]) -> Result<(), AccountError> {
        let limit = self.quotas.tags_per_resource() as usize;
        for id in resources {
            let list = self.tags_mut(id)?;
            let mut keys: BTreeSet<&str> = list.iter().map(|t| t.key.as_str()).collect();
            keys.extend(tags.iter().map(|t| t.key.as_str()));
            if keys.len() > limit {
                return Err(tag_limit());
            }
        }
        for id in resources {
            let list = self.tags_mut(id)?;
            for tag in tags {
                match list.iter_mut().find(|t| t.key == tag.key) {
                    Some(t) => t.value.clone_from(&tag.value),
                    None => list.push(tag.clone()),
                }
            }
        }
        Ok(())
    }

    /// DeleteTags: a tag given with a value is removed only when the value matches; with no
    /// tags at all, every tag goes.
    pub fn delete_tags(
        &mut self,
        resources: &[String],
        tags: &[(String, Option<String>)],
    ) -> Result<(), AccountError> {
        for id in resources {
            self.tags_mut(id)?;
        }
        for id in resources {
            let list = self.tags_mut(id)?;
            if tags.is_empty() {
                list.clear();
            }
            for (key, value) in tags {
                list.retain(|t| !(&t.key == key && value.as_ref().is_none_or(|v| v == &t.value)));
            }
        }
        Ok(())
    }

    /// Every tagged resource: (resource id, resource type as EC2 names it, tag).
    pub fn all_tags(&self) -> Vec<(String, &'static str, Tag)> {
        let s = &self.snapshot;
        let mut out = Vec::new();
        let mut add = |id: &str, kind: &'static str, tags: &[Tag]| {
            out.extend(tags.iter().map(|t| (id.to_owned(), kind, t.clone())));
        };
        s.vpcs
            .values()
            .for_each(|v| add(v.id.as_str(), "vpc", &v.tags));
        s.subnets
            .values()
            .for_each(|v| add(v.id.as_str(), "subnet", &v.tags));
        for g in s.groups.values() {
            add(g.id.as_str(), "security-group", &g.tags);
            g.rules()
                .iter()
                .for_each(|r| add(r.id.as_str(), "security-group-rule", &r.tags));
        }
        s.enis
            .values()
            .for_each(|v| add(v.id.as_str(), "network-interface", &v.tags));
        s.peerings
            .values()
            .for_each(|v| add(v.id.as_str(), "vpc-peering-connection", &v.tags));
        s.prefix_lists
            .values()
            .for_each(|v| add(v.id.as_str(), "prefix-list", &v.tags));
        self.instances
            .values()
            .for_each(|v| add(v.id.as_str(), "instance", &v.tags));
        // --- routing ---
        out.extend(self.routing_tags());
        out.sort();
        out
    }

    fn tags_mut(&mut self, id: &str) -> Result<&mut Vec<Tag>, AccountError> {
        let not_found = || {
            AccountError::new(
                Ec2ErrorCode::InvalidParameterValue,
                format!("The ID '{id}' is not valid or does not exist"),
            )
        };
        // --- routing ---
        if self.routing_tags_mut(id).is_some() {
            return self
                .routing_tags_mut(id)
                .expect("a routing id, checked just above");
        }
        let s = &mut self.snapshot;
        if id.starts_with(RuleId::PREFIX) {
            let rule_id: RuleId = id.parse()?;
            let Some(group) = s.groups.values_mut().find(|g| g.rule(&rule_id).is_some()) else {
                return Err(AccountError::new(
                    Ec2ErrorCode::InvalidSecurityGroupRuleIdNotFound,
                    format!("The security group rule ID '{id}' does not exist"),
                ));
            };
            self.changed.insert(ResourceKey::Group(group.id.clone()));
            return group.rule_tags_mut(&rule_id).ok_or_else(not_found);
        }
        let (key, tags) = if id.starts_with(GroupId::PREFIX) {
            let gid: GroupId = id.parse()?;
            let g = s
                .groups
                .get_mut(&gid)
                .ok_or_else(|| group_not_found(&gid))?;
            (ResourceKey::Group(gid), &mut g.tags)
        } else if id.starts_with(VpcId::PREFIX) {
            let vid: VpcId = id.parse()?;
            let v = s.vpcs.get_mut(&vid).ok_or_else(not_found)?;
            (ResourceKey::Vpc(vid), &mut v.tags)
        } else if id.starts_with(SubnetId::PREFIX) {
            let sid: SubnetId = id.parse()?;
            let v = s.subnets.get_mut(&sid).ok_or_else(not_found)?;
            (ResourceKey::Subnet(sid), &mut v.tags)
        } else if id.starts_with(EniId::PREFIX) {
            let eid: EniId = id.parse()?;
            let v = s.enis.get_mut(&eid).ok_or_else(not_found)?;
            (ResourceKey::Eni(eid), &mut v.tags)
        } else if id.starts_with(PeeringId::PREFIX) {
            let pid: PeeringId = id.parse()?;
            let v = s.peerings.get_mut(&pid).ok_or_else(not_found)?;
            (ResourceKey::Peering(pid), &mut v.tags)
        } else if id.starts_with(PrefixListId::PREFIX) {
            let pid: PrefixListId = id.parse()?;
            let v = s.prefix_lists.get_mut(&pid).ok_or_else(not_found)?;
            (ResourceKey::PrefixList(pid), &mut v.tags)
        } else if id.starts_with(InstanceId::PREFIX) {
            let iid: InstanceId = id.parse()?;
            let v = self.instances.get_mut(&iid).ok_or_else(not_found)?;
            (ResourceKey::Instance(iid), &mut v.tags)
        } else {
            return Err(not_found());
        };
        self.changed.insert(key);
        Ok(tags)
    }
}

impl AccountState {
    /// The tags a new resource is created with (TagSpecification) must keep within the tag
    /// quota.
    fn check_new_tags(&self, tags: &[Tag]) -> Result<(), AccountError> {
        let keys: BTreeSet<&str> = tags.iter().map(|t| t.key.as_str()).collect();
        if keys.len() > self.quotas.tags_per_resource() as usize {
            return Err(tag_limit());
        }
        Ok(())
    }
}

/// "The maximum number of Tags for a resource has been reached." (`TagLimitExceeded`; the
/// quota is "Maximum tags per resource: 50", "Tag your Amazon EC2 resources").
fn tag_limit() -> AccountError {
    AccountError::new(
        Ec2ErrorCode::TagLimitExceeded,
        "The maximum number of Tags for a resource has been reached.",
    )
}

pub(crate) fn group_not_found(id: &GroupId) -> AccountError {
    AccountError::new(
        Ec2ErrorCode::InvalidGroupNotFound,
        format!("The security group '{id}' does not exist"),
    )
}

fn eni_not_found(id: &EniId) -> AccountError {
    AccountError::new(
        Ec2ErrorCode::InvalidNetworkInterfaceIdNotFound,
        format!("The networkInterface ID '{id}' does not exist"),
    )
}

#[cfg(test)]
mod tests;
