//! Security groups: naming rules, default rules, rule quotas, and the authorize/revoke operations
//! with EC2's all-or-nothing semantics.

use std::collections::HashSet;

use crate::error::{Ec2ErrorCode, GroupError, RuleError};
use crate::ids::{AccountId, GroupId, IdGen, PrefixListId, RuleId, VpcId};
use crate::network::Tag;
use crate::peer::{GroupRef, Peer};
use crate::protocol::Traffic;
use crate::quotas::Quotas;
use crate::rule::{Direction, NewRule, Rule, RuleSpec};

const NAME_EXTRA: &str = " ._-:/()#,@[]+=&;{}!$*";

fn valid_chars(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || NAME_EXTRA.contains(c))
}

/// EC2's group-name rules (botocore model, `CreateSecurityGroup.GroupName`): 1–255
/// characters of a-zA-Z0-9 and ` ._-:/()#,@[]+=&;{}!$*`, not starting with `sg-`, not
/// `default` (reserved).
pub fn validate_group_name(name: &str) -> Result<(), GroupError> {
    if name.is_empty() {
        return Err(GroupError::new(
            Ec2ErrorCode::MissingParameter,
            "The request must contain the parameter GroupName",
        ));
    }
    if name.len() > 255 || !valid_chars(name) {
        return Err(GroupError::new(
            Ec2ErrorCode::InvalidParameterValue,
            format!(
                "Value ({name}) for parameter GroupName is invalid. Character sets beyond ASCII are not supported, and the length is limited to 255 characters."
            ),
        ));
    }
    if name.to_ascii_lowercase().starts_with("sg-") {
        return Err(GroupError::new(
            Ec2ErrorCode::InvalidParameterValue,
            format!(
                "Value ({name}) for parameter GroupName is invalid. Group names may not be in the format sg-*."
            ),
        ));
    }
    if name.eq_ignore_ascii_case("default") {
        return Err(GroupError::new(
            Ec2ErrorCode::InvalidGroupReserved,
            "The name 'default' is reserved, and cannot be used to create a new security group",
        ));
    }
    Ok(())
}

/// Group and rule descriptions: up to 255 characters of the group-name character set.
pub fn validate_description(what: &str, description: &str) -> Result<(), GroupError> {
    if description.len() > 255 || !valid_chars(description) {
        return Err(GroupError::new(
            Ec2ErrorCode::InvalidParameterValue,
            format!(
                "Invalid {what}: '{description}'. It may be up to 255 characters of a-zA-Z0-9, spaces and ._-:/()#,@[]+=&;{{}}!$*"
            ),
        ));
    }
    Ok(())
}

/// What authorize needs from the world around the group.
#[derive(Clone, Copy)]
pub struct AuthorizeCtx<'a> {
    pub quotas: &'a Quotas,
    /// The MaxEntries of a prefix list, `None` when it does not exist.
    pub prefix_list_weight: &'a dyn Fn(&PrefixListId) -> Option<u32>,
}

impl std::fmt::Debug for AuthorizeCtx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizeCtx")
            .field("quotas", self.quotas)
            .finish_non_exhaustive()
    }
}

/// A security group and its rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityGroup {
    pub id: GroupId,
    pub name: String,
    pub description: String,
    pub vpc_id: VpcId,
    pub owner: AccountId,
    pub tags: Vec<Tag>,
    /// Other VPCs of the account and region the group is associated with
    /// (AssociateSecurityGroupVpc): interfaces there may use it too.
    pub associated_vpcs: Vec<VpcId>,
    rules: Vec<Rule>,
}

impl SecurityGroup {
    /// A new group as CreateSecurityGroup makes it: no inbound rules, all outbound traffic to
    /// `0.0.0.0/0` (and `::/0` when the VPC has IPv6) — VPC UG "Security group rules".
    /// The name must already have passed [`validate_group_name`].
    pub fn new(
        id: GroupId,
        name: String,
        description: String,
        vpc_id: VpcId,
        owner: AccountId,
        vpc_has_ipv6: bool,
        ids: &mut dyn IdGen,
    ) -> Self {
        let mut group = Self::empty(id, name, description, vpc_id, owner);
        group.push_default_egress(vpc_has_ipv6, ids);
        group
    }

    /// A VPC's default group: all inbound from itself, all outbound ("Default security groups
    /// for your VPCs").
    pub fn new_default(
        id: GroupId,
        vpc_id: VpcId,
        owner: AccountId,
        vpc_has_ipv6: bool,
        ids: &mut dyn IdGen,
    ) -> Self {
        let mut group = Self::empty(
            id.clone(),
            "default".into(),
            "default VPC security group".into(),
            vpc_id,
            owner,
        );
        let self_ref = Peer::Group(GroupRef::same_account(id));
        group.push(
            NewRule::new(Direction::Ingress, Traffic::All, self_ref),
            ids,
        );
        group.push_default_egress(vpc_has_ipv6, ids);
        group
    }

    /// A group with no rules at all (import paths add the rules they read).
    pub fn empty(
        id: GroupId,
        name: String,
        description: String,
        vpc_id: VpcId,
        owner: AccountId,
    ) -> Self {
        Self {
            id,
            name,
            description,
            vpc_id,
            owner,
            tags: Vec::new(),
            associated_vpcs: Vec::new(),
            rules: Vec::new(),
        }
    }

    /// True when interfaces in `vpc` may use this group: its own VPC or an associated one.
    pub fn usable_in(&self, vpc: &VpcId) -> bool {
        &self.vpc_id == vpc || self.associated_vpcs.contains(vpc)
    }

    pub fn is_default(&self) -> bool {
        self.name == "default"
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn rules_in(&self, direction: Direction) -> impl Iterator<Item = &Rule> {
        self.rules
            .iter()
            .filter(move |r| r.spec.direction == direction)
    }

    pub fn rule(&self, id: &RuleId) -> Option<&Rule> {
        self.rules.iter().find(|r| &r.id == id)
    }

    fn push_default_egress(&mut self, vpc_has_ipv6: bool, ids: &mut dyn IdGen) {
        let v4 = Peer::Ipv4("0.0.0.0/0".parse().expect("literal CIDR is valid"));
        self.push(NewRule::new(Direction::Egress, Traffic::All, v4), ids);
        if vpc_has_ipv6 {
            let v6 = Peer::Ipv6("::/0".parse().expect("literal CIDR is valid"));
            self.push(NewRule::new(Direction::Egress, Traffic::All, v6), ids);
        }
    }

    fn push(&mut self, rule: NewRule, ids: &mut dyn IdGen) -> RuleId {
        let id = RuleId::generate(ids);
        self.rules.push(Rule {
            id: id.clone(),
            group_id: self.id.clone(),
            spec: rule.spec,
            description: rule.description,
            tags: rule.tags,
        });
        id
    }

    /// Adds an existing rule as read from a snapshot (its id kept). Rejects duplicates.
    pub fn insert_existing(&mut self, rule: Rule) -> Result<(), RuleError> {
        if self.rules.iter().any(|r| r.id == rule.id) {
            return Err(RuleError::new(
                Ec2ErrorCode::InvalidPermissionDuplicate,
                format!("rule id {} appears twice in group {}", rule.id, self.id),
            ));
        }
        if let Some(twin) = self.rules.iter().find(|r| r.spec.same_rule(&rule.spec)) {
            return Err(duplicate(&twin.spec));
        }
        self.rules.push(Rule {
            group_id: self.id.clone(),
            ..rule
        });
        Ok(())
    }

    /// AuthorizeSecurityGroupIngress/Egress: all rules are added or none. A rule that exists
    /// already (after CIDR canonicalisation) is `InvalidPermission.Duplicate`; going over the
    /// per-family quota is `RulesPerSecurityGroupLimitExceeded`.
    pub fn authorize(
        &mut self,
        rules: Vec<NewRule>,
        ctx: &AuthorizeCtx<'_>,
        ids: &mut dyn IdGen,
    ) -> Result<Vec<RuleId>, RuleError> {
        for (idx, rule) in rules.iter().enumerate() {
            if let Some(description) = &rule.description {
                validate_description("rule description", description)
                    .map_err(|e| RuleError::new(e.code(), e.message().to_owned()))?;
            }
            if let Peer::PrefixList(pl) = &rule.spec.peer
                && (ctx.prefix_list_weight)(pl).is_none()
            {
                return Err(RuleError::new(
                    Ec2ErrorCode::InvalidPrefixListIdNotFound,
                    format!("The prefix list ID '{pl}' does not exist"),
                ));
            }
            let twin_existing = self.rules.iter().find(|r| r.spec.same_rule(&rule.spec));
            let twin_request = rules[..idx].iter().any(|r| r.spec.same_rule(&rule.spec));
            if twin_existing.is_some() || twin_request {
                return Err(duplicate(&rule.spec));
            }
        }
        self.check_quota(&rules, ctx)?;
        Ok(rules.into_iter().map(|r| self.push(r, ids)).collect())
    }

    /// Quotas are "enforced separately for IPv4 rules and IPv6 rules" per direction; a prefix
    /// list weighs its MaxEntries. Group references count against the IPv4 bucket (EC2's
    /// bucket for them is undocumented; this is our choice).
    fn check_quota(&self, new: &[NewRule], ctx: &AuthorizeCtx<'_>) -> Result<(), RuleError> {
        let weight = |spec: &RuleSpec| -> (Direction, bool, u64) {
            let (v6, w) = match &spec.peer {
                Peer::Ipv4(_) | Peer::Group(_) => (false, 1),
                Peer::Ipv6(_) => (true, 1),
                Peer::PrefixList(pl) => (false, (ctx.prefix_list_weight)(pl).unwrap_or(1)),
            };
            (spec.direction, v6, u64::from(w))
        };
        let mut buckets = std::collections::HashMap::<(Direction, bool), u64>::new();
        for spec in self
            .rules
            .iter()
            .map(|r| &r.spec)
            .chain(new.iter().map(|r| &r.spec))
        {
            let (dir, v6, w) = weight(spec);
            *buckets.entry((dir, v6)).or_default() += w;
        }
        let limit = u64::from(ctx.quotas.rules_per_group());
        if let Some(((dir, v6), n)) = buckets.into_iter().find(|(_, n)| *n > limit) {
            return Err(RuleError::new(
                Ec2ErrorCode::RulesPerSecurityGroupLimitExceeded,
                format!(
                    "The maximum number of rules per security group has been reached. ({} {} rules would weigh {n}, limit {limit})",
                    if v6 { "IPv6" } else { "IPv4" },
                    dir
                ),
            ));
        }
        Ok(())
    }

    /// Revoke by rule properties: every spec must match an existing rule of this group, or
    /// nothing is revoked (`InvalidPermission.NotFound`).
    pub fn revoke_matching(&mut self, specs: &[RuleSpec]) -> Result<Vec<Rule>, RuleError> {
        let mut doomed = HashSet::new();
        for spec in specs {
            let Some(rule) = self.rules.iter().find(|r| r.spec.same_rule(spec)) else {
                return Err(RuleError::new(
                    Ec2ErrorCode::InvalidPermissionNotFound,
                    "The specified rule does not exist in this security group.",
                ));
            };
            doomed.insert(rule.id.clone());
        }
        Ok(self.remove_ids(&doomed))
    }

    /// Revoke by `SecurityGroupRuleId`: all ids must belong to this group in `direction`.
    pub fn revoke_ids(
        &mut self,
        direction: Direction,
        ids: &[RuleId],
    ) -> Result<Vec<Rule>, RuleError> {
        for id in ids {
            if !self
                .rules
                .iter()
                .any(|r| &r.id == id && r.spec.direction == direction)
            {
                return Err(RuleError::new(
                    Ec2ErrorCode::InvalidSecurityGroupRuleIdNotFound,
                    format!("The security group rule ID '{id}' does not exist"),
                ));
            }
        }
        Ok(self.remove_ids(&ids.iter().cloned().collect()))
    }

    fn remove_ids(&mut self, doomed: &HashSet<RuleId>) -> Vec<Rule> {
        let (gone, kept) = std::mem::take(&mut self.rules)
            .into_iter()
            .partition(|r| doomed.contains(&r.id));
        self.rules = kept;
        gone
    }

    /// ModifySecurityGroupRules: replaces a rule's spec and description in place, keeping
    /// its id and direction.
    pub fn modify_rule(
        &mut self,
        id: &RuleId,
        traffic: Traffic,
        peer: Peer,
        description: Option<String>,
        ctx: &AuthorizeCtx<'_>,
    ) -> Result<(), RuleError> {
        let Some(idx) = self.rules.iter().position(|r| &r.id == id) else {
            return Err(RuleError::new(
                Ec2ErrorCode::InvalidSecurityGroupRuleIdNotFound,
                format!("The security group rule ID '{id}' does not exist"),
            ));
        };
        let spec = RuleSpec {
            direction: self.rules[idx].spec.direction,
            traffic,
            peer,
        };
        if self
            .rules
            .iter()
            .any(|r| &r.id != id && r.spec.same_rule(&spec))
        {
            return Err(duplicate(&spec));
        }
        if let Some(d) = &description {
            validate_description("rule description", d)
                .map_err(|e| RuleError::new(e.code(), e.message().to_owned()))?;
        }
        let old = std::mem::replace(&mut self.rules[idx].spec, spec);
        if let Err(e) = self.check_quota(&[], ctx) {
            self.rules[idx].spec = old;
            return Err(e);
        }
        self.rules[idx].description = description;
        Ok(())
    }

    /// Sets the description of an existing rule (UpdateSecurityGroupRuleDescriptions*).
    pub fn set_rule_description(
        &mut self,
        id: &RuleId,
        description: Option<String>,
    ) -> Result<(), RuleError> {
        if let Some(d) = &description {
            validate_description("rule description", d)
                .map_err(|e| RuleError::new(e.code(), e.message().to_owned()))?;
        }
        let Some(rule) = self.rules.iter_mut().find(|r| &r.id == id) else {
            return Err(RuleError::new(
                Ec2ErrorCode::InvalidSecurityGroupRuleIdNotFound,
                format!("The security group rule ID '{id}' does not exist"),
            ));
        };
        rule.description = description;
        Ok(())
    }

    /// Sets the tags of an existing rule.
    pub fn rule_tags_mut(&mut self, id: &RuleId) -> Option<&mut Vec<Tag>> {
        self.rules
            .iter_mut()
            .find(|r| &r.id == id)
            .map(|r| &mut r.tags)
    }
}

fn duplicate(spec: &RuleSpec) -> RuleError {
    let (from, to) = spec.traffic.ports().unwrap_or((-1, -1));
    RuleError::new(
        Ec2ErrorCode::InvalidPermissionDuplicate,
        format!(
            "the specified rule \"peer: {}, {}, from port: {from}, to port: {to}, ALLOW\" already exists",
            spec.peer,
            spec.traffic.protocol().aws_name().to_ascii_uppercase(),
        ),
    )
}

#[cfg(test)]
mod tests;
