//! Security-group operations of an account: create and delete with EC2's naming and
//! dependency rules, authorize/revoke/modify with reference checks, stale rules and
//! cross-VPC references.

use super::{AccountError, AccountState, Resource, ResourceKey, group_not_found};
use crate::error::Ec2ErrorCode;
use crate::group::{AuthorizeCtx, SecurityGroup, validate_description, validate_group_name};
use crate::ids::{AccountId, GroupId, IdGen, PeeringId, PrefixListId, RuleId, VpcId};
use crate::network::{PeeringStatus, Tag};
use crate::peer::{GroupRef, Peer};
use crate::protocol::Traffic;
use crate::rule::{Direction, NewRule, Rule, RuleSpec};

/// How a request names a group: by id, or by name in the default VPC (EC2-Classic's legacy,
/// still accepted by Delete/Authorize/Describe).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupSelector {
    Id(GroupId),
    Name(String),
}

/// One change of ModifySecurityGroupRules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleUpdate {
    pub rule_id: RuleId,
    pub traffic: Traffic,
    pub peer: Peer,
    pub description: Option<String>,
}

/// What a revoke by rule properties did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoked {
    pub rules: Vec<Rule>,
    /// Specs that matched no rule (default VPC only; elsewhere a miss is an error).
    pub unknown: Vec<RuleSpec>,
}

/// A group with stale rules (DescribeStaleSecurityGroups).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleGroup {
    pub group_id: GroupId,
    pub name: String,
    pub description: String,
    pub vpc_id: VpcId,
    pub stale: Vec<Rule>,
}

impl AccountState {
    /// Resolves a selector; names are looked up in the default VPC only, with EC2's message
    /// "The security group 'x' does not exist in default VPC 'vpc-…'".
    pub fn resolve_group(&self, sel: &GroupSelector) -> Result<GroupId, AccountError> {
        match sel {
            GroupSelector::Id(id) => self.group(id).map(|g| g.id.clone()),
            GroupSelector::Name(name) => {
                let Some(vpc) = self.default_vpc() else {
                    return Err(AccountError::new(
                        Ec2ErrorCode::InvalidGroupNotFound,
                        format!("The security group '{name}' does not exist"),
                    ));
                };
                self.group_by_name(&vpc.id, name)
                    .map(|g| g.id.clone())
                    .ok_or_else(|| {
                        AccountError::new(
                            Ec2ErrorCode::InvalidGroupNotFound,
                            format!(
                                "The security group '{name}' does not exist in default VPC '{}'",
                                vpc.id
                            ),
                        )
                    })
            }
        }
    }

    /// A group of a VPC by name, compared case-insensitively as EC2 does.
    pub fn group_by_name(&self, vpc: &VpcId, name: &str) -> Option<&SecurityGroup> {
        let id = self
            .group_names
            .get(&(vpc.clone(), name.to_ascii_lowercase()))?;
        self.snapshot.groups.get(id)
    }

    /// CreateSecurityGroup. `vpc` `None` means the default VPC.
    pub fn create_group(
        &mut self,
        name: &str,
        description: &str,
        vpc: Option<&VpcId>,
        tags: Vec<Tag>,
        ids: &mut dyn IdGen,
    ) -> Result<GroupId, AccountError> {
        validate_group_name(name)?;
        validate_description("group description", description)?;
        let vpc = match vpc {
            Some(id) => self.vpc(id)?,
            None => self.default_vpc().ok_or_else(|| {
                AccountError::new(
                    Ec2ErrorCode::MissingParameter,
                    "No default VPC for this user. The request must contain the parameter VpcId",
                )
            })?,
        };
        let (vpc_id, has_v6) = (vpc.id.clone(), !vpc.cidrs_v6.is_empty());
        if self.group_by_name(&vpc_id, name).is_some() {
            return Err(AccountError::new(
                Ec2ErrorCode::InvalidGroupDuplicate,
                format!("The security group '{name}' already exists for VPC '{vpc_id}'"),
            ));
        }
        let limit = self.quotas.groups_per_region();
        if self.snapshot.groups.len() >= limit as usize {
            return Err(AccountError::new(
                Ec2ErrorCode::SecurityGroupLimitExceeded,
                format!(
                    "The maximum number of security groups for the region has been reached ({limit})"
                ),
            ));
        }
        self.check_new_tags(&tags)?;
        let mut group = SecurityGroup::new(
            GroupId::generate(ids),
            name.to_owned(),
            description.to_owned(),
            vpc_id,
            self.owner.clone(),
            has_v6,
            ids,
        );
        group.tags = tags;
        let id = group.id.clone();
        self.put(Resource::Group(group));
        Ok(id)
    }

    /// DeleteSecurityGroup: `CannotDelete` for a VPC's default group, `DependencyViolation`
    /// while an interface uses it or another group's rule references it ("Delete a security
    /// group", VPC UG).
    pub fn delete_group(&mut self, sel: &GroupSelector) -> Result<GroupId, AccountError> {
        let id = self.resolve_group(sel)?;
        let group = self.group(&id)?;
        if group.is_default() {
            return Err(AccountError::new(
                Ec2ErrorCode::CannotDelete,
                format!(
                    "the specified group: \"{id}\" name: \"default\" cannot be deleted by a user"
                ),
            ));
        }
        let in_use = self.snapshot.enis.values().any(|e| e.has_group(&id));
        let referenced = self.snapshot.groups.values().any(|g| {
            g.id != id
                && g.rules()
                    .iter()
                    .any(|r| matches!(r.peer(), Peer::Group(gr) if gr.group_id == id))
        });
        if in_use || referenced {
            return Err(AccountError::new(
                Ec2ErrorCode::DependencyViolation,
                format!("resource {id} has a dependent object"),
            ));
        }
        self.remove(&ResourceKey::Group(id.clone()));
        Ok(id)
    }

    /// AuthorizeSecurityGroupIngress/Egress: referenced groups of this account must exist
    /// and sit in the same VPC or one joined by an active peering; prefix lists must exist.
    pub fn authorize(
        &mut self,
        group_id: &GroupId,
        rules: Vec<NewRule>,
        ids: &mut dyn IdGen,
    ) -> Result<Vec<Rule>, AccountError> {
        let vpc_id = self.group(group_id)?.vpc_id.clone();
        for rule in &rules {
            self.check_peer(&vpc_id, &rule.spec.peer)?;
            self.check_new_tags(&rule.tags)?;
        }
        let lists = &self.snapshot.prefix_lists;
        let weight = |pl: &PrefixListId| lists.get(pl).map(|l| l.max_entries);
        let quotas = self.quotas;
        let ctx = AuthorizeCtx {
            quotas: &quotas,
            prefix_list_weight: &weight,
        };
        let group = self
            .snapshot
            .groups
            .get_mut(group_id)
            .ok_or_else(|| group_not_found(group_id))?;
        let new_ids = group.authorize(rules, &ctx, ids)?;
        let out = new_ids
            .iter()
            .filter_map(|id| group.rule(id).cloned())
            .collect();
        self.changed.insert(ResourceKey::Group(group_id.clone()));
        Ok(out)
    }

    /// A referenced group must sit in the rule's VPC or in a VPC joined to it by an active
    /// peering ("Security group rules", VPC UG); another account's group (a different
    /// `UserId`) is reachable only through such a peering with a VPC of that account. EC2
    /// refuses the rest with `InvalidGroup.NotFound`, "You have specified two resources
    /// that belong to different networks."
    fn check_peer(&self, vpc_id: &VpcId, peer: &Peer) -> Result<(), AccountError> {
        let Peer::Group(gref) = peer else {
            return Ok(());
        };
        let reachable = match gref.owner.as_ref().filter(|o| *o != &self.owner) {
            // The group lives in the other account's state; only the peering is visible here.
            Some(owner) => self.peered_with_account(vpc_id, owner, gref),
            None => {
                let target = self.group(&gref.group_id)?;
                &target.vpc_id == vpc_id
                    || self
                        .snapshot
                        .peered(vpc_id, &target.vpc_id, gref.peering_id.as_ref())
            }
        };
        if reachable {
            return Ok(());
        }
        Err(AccountError::new(
            Ec2ErrorCode::InvalidGroupNotFound,
            "You have specified two resources that belong to different networks.",
        ))
    }

    /// True when an active peering joins `vpc_id` (this account's) to a VPC of `owner` —
    /// the reference's VPC and peering, when it names them.
    fn peered_with_account(&self, vpc_id: &VpcId, owner: &AccountId, gref: &GroupRef) -> bool {
        self.snapshot.peerings.values().any(|p| {
            let far = if &p.requester_vpc == vpc_id && p.requester_owner == self.owner {
                (&p.accepter_vpc, &p.accepter_owner)
            } else if &p.accepter_vpc == vpc_id && p.accepter_owner == self.owner {
                (&p.requester_vpc, &p.requester_owner)
            } else {
                return false;
            };
            // References across a peering stay within one region ("You cannot reference
            // the security group of a peer VPC that's in a different Region", VPC Peering
            // Guide): a cross-region peering records both regions.
            let same_region =
                p.detail.requester_region.is_none() && p.detail.accepter_region.is_none();
            p.status == PeeringStatus::Active
                && same_region
                && far.1 == owner
                && gref.vpc_id.as_ref().is_none_or(|v| v == far.0)
                && gref.peering_id.as_ref().is_none_or(|id| id == &p.id)
        })
    }

    /// Revoke by rule properties. In a nondefault VPC any miss is
    /// `InvalidPermission.NotFound` and nothing is revoked; in the default VPC "no error is
    /// returned, and the output describes the security group rules that were not revoked"
    /// (botocore model, `RevokeSecurityGroupIngress`).
    pub fn revoke_matching(
        &mut self,
        group_id: &GroupId,
        specs: &[RuleSpec],
    ) -> Result<Revoked, AccountError> {
        let group = self.group(group_id)?;
        let lenient = self
            .snapshot
            .vpcs
            .get(&group.vpc_id)
            .is_some_and(|v| v.is_default);
        let (known, unknown): (Vec<RuleSpec>, Vec<RuleSpec>) = if lenient {
            specs
                .iter()
                .cloned()
                .partition(|s| group.rules().iter().any(|r| r.spec.same_rule(s)))
        } else {
            (specs.to_vec(), Vec::new())
        };
        let rules = self.group_mut(group_id)?.revoke_matching(&known)?;
        Ok(Revoked { rules, unknown })
    }

    /// Revoke by `SecurityGroupRuleId` (all-or-nothing).
    pub fn revoke_ids(
        &mut self,
        group_id: &GroupId,
        direction: Direction,
        rule_ids: &[RuleId],
    ) -> Result<Vec<Rule>, AccountError> {
        Ok(self.group_mut(group_id)?.revoke_ids(direction, rule_ids)?)
    }

    /// ModifySecurityGroupRules: every update applies, or none.
    pub fn modify_rules(
        &mut self,
        group_id: &GroupId,
        updates: Vec<RuleUpdate>,
    ) -> Result<(), AccountError> {
        let vpc_id = self.group(group_id)?.vpc_id.clone();
        for u in &updates {
            self.check_peer(&vpc_id, &u.peer)?;
        }
        let lists = &self.snapshot.prefix_lists;
        let weight = |pl: &PrefixListId| lists.get(pl).map(|l| l.max_entries);
        let quotas = self.quotas;
        let ctx = AuthorizeCtx {
            quotas: &quotas,
            prefix_list_weight: &weight,
        };
        let mut group = self.group(group_id)?.clone();
        for u in updates {
            if let Peer::PrefixList(pl) = &u.peer
                && weight(pl).is_none()
            {
                return Err(AccountError::new(
                    Ec2ErrorCode::InvalidPrefixListIdNotFound,
                    format!("The prefix list ID '{pl}' does not exist"),
                ));
            }
            group.modify_rule(&u.rule_id, u.traffic, u.peer, u.description, &ctx)?;
        }
        self.put(Resource::Group(group));
        Ok(())
    }

    /// UpdateSecurityGroupRuleDescriptions* by rule id.
    pub fn set_descriptions_by_id(
        &mut self,
        group_id: &GroupId,
        updates: &[(RuleId, Option<String>)],
    ) -> Result<(), AccountError> {
        let mut group = self.group(group_id)?.clone();
        for (id, description) in updates {
            group.set_rule_description(id, description.clone())?;
        }
        self.put(Resource::Group(group));
        Ok(())
    }

    /// UpdateSecurityGroupRuleDescriptions* by permission: each rule is matched without its
    /// description and takes the new one (none removes it).
    pub fn set_descriptions_by_rule(
        &mut self,
        group_id: &GroupId,
        rules: &[NewRule],
    ) -> Result<(), AccountError> {
        let mut group = self.group(group_id)?.clone();
        for new in rules {
            let Some(id) = group
                .rules()
                .iter()
                .find(|r| r.spec.same_rule(&new.spec))
                .map(|r| r.id.clone())
            else {
                return Err(AccountError::new(
                    Ec2ErrorCode::InvalidPermissionNotFound,
                    "The specified rule does not exist in this security group.",
                ));
            };
            group.set_rule_description(&id, new.description.clone())?;
        }
        self.put(Resource::Group(group));
        Ok(())
    }

    /// Finds a rule anywhere in this account.
    pub fn find_rule(&self, id: &RuleId) -> Option<&Rule> {
        self.snapshot.groups.values().find_map(|g| g.rule(id))
    }

    /// DescribeStaleSecurityGroups: rules of `vpc`'s groups that reference a group of this
    /// account that no longer exists, or a group across a peering that is not active
    /// ("Identify your stale security group rules", VPC Peering Guide).
    pub fn stale_groups(&self, vpc: &VpcId) -> Result<Vec<StaleGroup>, AccountError> {
        self.vpc(vpc)?;
        let mut out = Vec::new();
        for g in self.snapshot.groups.values().filter(|g| &g.vpc_id == vpc) {
            let stale: Vec<Rule> = g
                .rules()
                .iter()
                .filter(|r| self.is_stale(&g.vpc_id, r.peer()))
                .cloned()
                .collect();
            if !stale.is_empty() {
                out.push(StaleGroup {
                    group_id: g.id.clone(),
                    name: g.name.clone(),
                    description: g.description.clone(),
                    vpc_id: g.vpc_id.clone(),
                    stale,
                });
            }
        }
        Ok(out)
    }

    fn is_stale(&self, vpc: &VpcId, peer: &Peer) -> bool {
        let Peer::Group(gref) = peer else {
            return false;
        };
        if let Some(pcx) = &gref.peering_id {
            return self
                .snapshot
                .peerings
                .get(pcx)
                .is_none_or(|p| p.status != PeeringStatus::Active);
        }
        if gref.owner.as_ref().is_some_and(|o| o != &self.owner) {
            return false;
        }
        match self.snapshot.groups.get(&gref.group_id) {
            None => true,
            Some(t) => &t.vpc_id != vpc && !self.snapshot.peered(vpc, &t.vpc_id, None),
        }
    }

    /// DescribeSecurityGroupReferences: for each given group, the other VPCs whose groups
    /// reference it, with the peering that joins them.
    pub fn group_references(
        &self,
        groups: &[GroupId],
    ) -> Result<Vec<(GroupId, VpcId, Option<PeeringId>)>, AccountError> {
        let mut out = Vec::new();
        for id in groups {
            let target = self.group(id)?;
            for g in self
                .snapshot
                .groups
                .values()
                .filter(|g| g.vpc_id != target.vpc_id)
            {
                let refs = g
                    .rules()
                    .iter()
                    .any(|r| matches!(r.peer(), Peer::Group(gr) if &gr.group_id == id));
                let entry = (
                    id.clone(),
                    g.vpc_id.clone(),
                    self.peering_between(&g.vpc_id, &target.vpc_id),
                );
                if refs && !out.contains(&entry) {
                    out.push(entry);
                }
            }
        }
        Ok(out)
    }

    fn peering_between(&self, a: &VpcId, b: &VpcId) -> Option<PeeringId> {
        self.snapshot
            .peerings
            .values()
            .find(|p| p.joins(a, b))
            .map(|p| p.id.clone())
    }
}
