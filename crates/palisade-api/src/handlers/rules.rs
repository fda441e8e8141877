//! AuthorizeSecurityGroupIngress/Egress, RevokeSecurityGroupIngress/Egress,
//! DescribeSecurityGroupRules, ModifySecurityGroupRules and
//! UpdateSecurityGroupRuleDescriptionsIngress/Egress.

use palisade_ec2::query::{
    Params, QueryError, filters, ip_permissions, legacy_permission, paginate, resolve_group_names,
    rule_changes, rule_descriptions, rule_matches,
};
use palisade_ec2::{IpPermission, permissions_to_rules, rules_to_permissions};
use palisade_model::account::{AccountState, GroupSelector};
use palisade_model::{Direction, Ec2ErrorCode, GroupId, NewRule, Rule, RuleId};

use super::groups::selector;
use super::ok_return;
use crate::ctx::Ctx;
use crate::encode;
use crate::error::ApiError;
use crate::xml::Xml;

/// The group selector of Authorize/Revoke/Update: egress needs `GroupId`.
fn target(p: &Params, dir: Direction) -> Result<GroupSelector, ApiError> {
    match dir {
        Direction::Egress => Ok(GroupSelector::Id(p.required_id("GroupId")?)),
        Direction::Ingress => selector(p),
    }
}

/// `IpPermissions.N` plus the legacy flat form.
fn permissions(p: &Params, dir: Direction) -> Result<Vec<IpPermission>, ApiError> {
    let mut perms = ip_permissions(p)?;
    perms.extend(legacy_permission(p, dir)?);
    Ok(perms)
}

/// Permissions into rules inside a transaction: group names resolve in the rule group's VPC.
fn to_rules(
    st: &AccountState,
    group: &GroupId,
    mut perms: Vec<IpPermission>,
    dir: Direction,
) -> Result<Vec<NewRule>, ApiError> {
    let vpc = st.group(group)?.vpc_id.clone();
    resolve_group_names(&mut perms, |name| {
        st.group_by_name(&vpc, name).map(|g| g.id.to_string())
    })?;
    Ok(permissions_to_rules(&perms, dir)?)
}

fn rule_set(ctx: &Ctx, x: &mut Xml, rules: &[Rule]) {
    let owner = ctx.scope.account.to_string();
    x.list("securityGroupRuleSet", rules, |x, r| {
        encode::rule(x, r, &owner, &ctx.arn("security-group-rule", r.id.as_str()));
    });
}

fn authorize(ctx: &mut Ctx, p: &Params, dir: Direction) -> Result<Xml, ApiError> {
    let sel = target(p, dir)?;
    let perms = permissions(p, dir)?;
    if perms.is_empty() {
        return Err(QueryError::missing("IpPermissions").into());
    }
    let tags = p.tag_specs("security-group-rule")?;
    let rules = ctx.write(|st, ids| {
        let group = st.resolve_group(&sel)?;
        let mut rules = to_rules(st, &group, perms, dir)?;
        for r in &mut rules {
            r.tags.clone_from(&tags);
        }
        Ok(st.authorize(&group, rules, ids)?)
    })?;
    let mut x = ok_return();
    rule_set(ctx, &mut x, &rules);
    Ok(x)
}

pub(super) fn authorize_ingress(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    authorize(ctx, p, Direction::Ingress)
}

pub(super) fn authorize_egress(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    authorize(ctx, p, Direction::Egress)
}

fn revoke(ctx: &mut Ctx, p: &Params, dir: Direction) -> Result<Xml, ApiError> {
    let sel = target(p, dir)?;
    let rule_ids: Vec<RuleId> = p.id_list("SecurityGroupRuleId")?;
    let perms = permissions(p, dir)?;
    if !rule_ids.is_empty() && !perms.is_empty() {
        return Err(ApiError::new(
            Ec2ErrorCode::InvalidParameterCombination,
            "The parameter SecurityGroupRuleIds cannot be used with the parameter IpPermissions",
        ));
    }
    if rule_ids.is_empty() && perms.is_empty() {
        return Err(QueryError::missing("IpPermissions").into());
    }
    let owner = ctx.scope.account.to_string();
    let (revoked, unknown) = ctx.write(|st, _| {
        let group = st.resolve_group(&sel)?;
        if !rule_ids.is_empty() {
            return Ok((st.revoke_ids(&group, dir, &rule_ids)?, Vec::new()));
        }
        let specs: Vec<_> = to_rules(st, &group, perms, dir)?
            .into_iter()
            .map(|r| r.spec)
            .collect();
        let done = st.revoke_matching(&group, &specs)?;
        let unknown: Vec<NewRule> = done
            .unknown
            .into_iter()
            .map(|spec| NewRule::new(spec.direction, spec.traffic, spec.peer))
            .collect();
        Ok((done.rules, unknown))
    })?;
    let mut x = ok_return();
    let unknown = rules_to_permissions(&unknown);
    x.list("unknownIpPermissionSet", &unknown, |x, p| {
        encode::permission(x, p, &owner)
    });
    x.list(
        "revokedSecurityGroupRuleSet",
        &revoked,
        encode::revoked_rule,
    );
    Ok(x)
}

pub(super) fn revoke_ingress(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    revoke(ctx, p, Direction::Ingress)
}

pub(super) fn revoke_egress(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    revoke(ctx, p, Direction::Egress)
}

pub(super) fn describe(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let ids: Vec<RuleId> = p.id_list("SecurityGroupRuleId")?;
    let filters = filters(p)?;
    for f in filters.iter().filter(|f| f.name == "group-id") {
        for v in &f.values {
            // AWS-verified message (moto test_describe_security_group_rules_with_filter).
            if v.parse::<GroupId>().is_err() {
                return Err(ApiError::new(
                    Ec2ErrorCode::InvalidGroupIdMalformed,
                    format!("The security group ID '{v}' is malformed"),
                ));
            }
        }
    }
    let rules = ctx.read(|st| -> Result<Vec<Rule>, ApiError> {
        for id in &ids {
            if st.find_rule(id).is_none() {
                return Err(ApiError::new(
                    Ec2ErrorCode::InvalidSecurityGroupRuleIdNotFound,
                    format!("The security group rule ID '{id}' does not exist"),
                ));
            }
        }
        let mut out = Vec::new();
        for r in st.snapshot().groups.values().flat_map(|g| g.rules()) {
            if (ids.is_empty() || ids.contains(&r.id)) && rule_matches(r, &filters)? {
                out.push(r.clone());
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    })??;
    let page = paginate(rules, |r| r.id.to_string(), p, (5, 1000))?;
    let mut x = Xml::new();
    rule_set(ctx, &mut x, &page.items);
    x.opt("nextToken", page.next_token);
    Ok(x)
}

pub(super) fn modify(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let group: GroupId = p.required_id("GroupId")?;
    let changes = rule_changes(p)?;
    ctx.write(|st, _| Ok(st.modify_rules(&group, changes)?))?;
    Ok(ok_return())
}

fn descriptions(ctx: &mut Ctx, p: &Params, dir: Direction) -> Result<Xml, ApiError> {
    let sel = selector(p)?;
    let by_id = rule_descriptions(p)?;
    let perms = ip_permissions(p)?;
    if by_id.is_empty() && perms.is_empty() {
        return Err(QueryError::missing("IpPermissions").into());
    }
    ctx.write(|st, _| {
        let group = st.resolve_group(&sel)?;
        if !by_id.is_empty() {
            for (id, _) in &by_id {
                if st
                    .group(&group)?
                    .rule(id)
                    .is_none_or(|r| r.direction() != dir)
                {
                    return Err(ApiError::new(
                        Ec2ErrorCode::InvalidSecurityGroupRuleIdNotFound,
                        format!("The security group rule ID '{id}' does not exist"),
                    ));
                }
            }
            return Ok(st.set_descriptions_by_id(&group, &by_id)?);
        }
        let rules = to_rules(st, &group, perms, dir)?;
        Ok(st.set_descriptions_by_rule(&group, &rules)?)
    })?;
    Ok(ok_return())
}

pub(super) fn descriptions_ingress(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    descriptions(ctx, p, Direction::Ingress)
}

pub(super) fn descriptions_egress(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    descriptions(ctx, p, Direction::Egress)
}
