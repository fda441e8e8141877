//! Security groups and their rules: CreateSecurityGroup, DeleteSecurityGroup,
//! DescribeSecurityGroups, DescribeSecurityGroupReferences, DescribeStaleSecurityGroups,
//! Authorize/RevokeSecurityGroupIngress/Egress, DescribeSecurityGroupRules,
//! ModifySecurityGroupRules, UpdateSecurityGroupRuleDescriptionsIngress/Egress.

use palisade_model::account::GroupSelector;
use palisade_model::account::ops::{Request, Response, RuleEdit, Select};
use palisade_model::{Direction, Ec2ErrorCode, GroupId, Peer, Rule, SecurityGroup, VpcId};

use super::xml::Xml;
use super::{Origin, check_names, label, next_token, tag_set};
use crate::permission::{IpPermission, permissions_to_drafts, rules_to_permissions};
use crate::query::{
    Params, QueryError, filters, group_matches, ip_permissions, legacy_permission, page_request,
    rule_changes, rule_descriptions, rule_matches,
};

/// `GroupId` or `GroupName` (default VPC).
fn selector(p: &Params) -> Result<GroupSelector, QueryError> {
    if let Some(id) = p.opt_id::<GroupId>("GroupId")? {
        return Ok(GroupSelector::Id(id));
    }
    match p.get("GroupName") {
        Some(name) if !name.is_empty() => Ok(GroupSelector::Name(name.to_owned())),
        _ => Err(QueryError::missing("GroupId")),
    }
}

/// The group of Authorize/Revoke: egress needs `GroupId`.
fn target(p: &Params, dir: Direction) -> Result<GroupSelector, QueryError> {
    match dir {
        Direction::Egress => Ok(GroupSelector::Id(p.required_id("GroupId")?)),
        Direction::Ingress => selector(p),
    }
}

/// `IpPermissions.N` plus the legacy flat form.
fn permissions(p: &Params, dir: Direction) -> Result<Vec<IpPermission>, QueryError> {
    let mut perms = ip_permissions(p)?;
    perms.extend(legacy_permission(p, dir)?);
    Ok(perms)
}

fn drafts(
    perms: &[IpPermission],
    dir: Direction,
) -> Result<Vec<palisade_model::account::ops::RuleDraft>, QueryError> {
    permissions_to_drafts(perms, dir).map_err(|e| QueryError::new(e.code(), e.message()))
}

pub(super) fn create(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::CreateSecurityGroup {
        name: p.required("GroupName")?.to_owned(),
        description: p.required("GroupDescription")?.to_owned(),
        vpc: p.opt_id::<VpcId>("VpcId")?,
        tags: p.tag_specs("security-group")?,
    })
}

pub(super) fn delete(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DeleteSecurityGroup {
        group: selector(p)?,
    })
}

/// Group filter names besides tags; `ip-permission.*` and `egress.ip-permission.*` take
/// [`PERMISSION_FIELDS`].
const GROUP_FILTERS: &[&str] = &[
    "group-id",
    "group-name",
    "description",
    "vpc-id",
    "owner-id",
];
const PERMISSION_FIELDS: &[&str] = &[
    "cidr",
    "ipv6-cidr",
    "prefix-list-id",
    "protocol",
    "from-port",
    "to-port",
    "group-id",
    "group-name",
    "user-id",
];

fn group_select(p: &Params) -> Result<Select<SecurityGroup>, QueryError> {
    let filters = filters(p)?;
    if filters.is_empty() {
        return Ok(Select::all());
    }
    check_names(&filters, |name| {
        match name
            .strip_prefix("egress.ip-permission.")
            .or_else(|| name.strip_prefix("ip-permission."))
        {
            Some(field) => PERMISSION_FIELDS.contains(&field),
            None => GROUP_FILTERS.contains(&name),
        }
    })?;
    Ok(Select::new(
        label(&filters),
        move |g: &SecurityGroup, st| {
            let name_of = |id: &GroupId| st.snapshot().groups.get(id).map(|g| g.name.clone());
            group_matches(g, &filters, &name_of).unwrap_or(false)
        },
    ))
}

pub(super) fn describe(p: &Params) -> Result<Request, QueryError> {
    let ids: Vec<GroupId> = p.id_list("GroupId")?;
    let names = p.list("GroupName");
    if (!ids.is_empty() || !names.is_empty()) && p.get("MaxResults").is_some() {
        return Err(QueryError::new(
            Ec2ErrorCode::InvalidParameterCombination,
            "The parameter GroupIds or GroupNames cannot be used with the parameter MaxResults",
        ));
    }
    Ok(Request::DescribeSecurityGroups {
        ids,
        names,
        select: group_select(p)?,
        page: page_request(p, (5, 1000))?,
    })
}

pub(super) fn references(p: &Params) -> Result<Request, QueryError> {
    let groups: Vec<GroupId> = p.id_list("GroupId")?;
    if groups.is_empty() {
        return Err(QueryError::missing("GroupId"));
    }
    Ok(Request::DescribeSecurityGroupReferences { groups })
}

pub(super) fn stale(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DescribeStaleSecurityGroups {
        vpc: p.required_id("VpcId")?,
        page: page_request(p, (5, 255))?,
    })
}

pub(super) fn authorize(p: &Params, dir: Direction) -> Result<Request, QueryError> {
    let group = target(p, dir)?;
    let perms = permissions(p, dir)?;
    if perms.is_empty() {
        return Err(QueryError::missing("IpPermissions"));
    }
    Ok(Request::AuthorizeSecurityGroup {
        direction: dir,
        group,
        rules: drafts(&perms, dir)?,
        tags: p.tag_specs("security-group-rule")?,
    })
}

pub(super) fn revoke(p: &Params, dir: Direction) -> Result<Request, QueryError> {
    let group = target(p, dir)?;
    let ids = p.id_list("SecurityGroupRuleId")?;
    let perms = permissions(p, dir)?;
    if !ids.is_empty() && !perms.is_empty() {
        return Err(QueryError::new(
            Ec2ErrorCode::InvalidParameterCombination,
            "The parameter SecurityGroupRuleIds cannot be used with the parameter IpPermissions",
        ));
    }
    if ids.is_empty() && perms.is_empty() {
        return Err(QueryError::missing("IpPermissions"));
    }
    Ok(Request::RevokeSecurityGroup {
        direction: dir,
        group,
        ids,
        rules: drafts(&perms, dir)?,
    })
}

const RULE_FILTERS: &[&str] = &["group-id", "security-group-rule-id"];

pub(super) fn describe_rules(p: &Params) -> Result<Request, QueryError> {
    let ids = p.id_list("SecurityGroupRuleId")?;
    let filters = filters(p)?;
    check_names(&filters, |name| RULE_FILTERS.contains(&name))?;
    for f in &filters {
        if f.name == "group-id" {
            for v in &f.values {
                // AWS-verified message (moto test_describe_security_group_rules_with_filter).
                if v.parse::<GroupId>().is_err() {
                    return Err(QueryError::new(
                        Ec2ErrorCode::InvalidGroupIdMalformed,
                        format!("The security group ID '{v}' is malformed"),
                    ));
                }
            }
        }
    }
    let select = if filters.is_empty() {
        Select::all()
    } else {
        Select::new(label(&filters), move |r: &Rule, _| {
            rule_matches(r, &filters).unwrap_or(false)
        })
    };
    Ok(Request::DescribeSecurityGroupRules {
        ids,
        select,
        page: page_request(p, (5, 1000))?,
    })
}

pub(super) fn modify_rules(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::ModifySecurityGroupRules {
        group: p.required_id("GroupId")?,
        changes: rule_changes(p)?,
    })
}

pub(super) fn descriptions(p: &Params, dir: Direction) -> Result<Request, QueryError> {
    let group = selector(p)?;
    let by_id = rule_descriptions(p)?;
    let perms = ip_permissions(p)?;
    if by_id.is_empty() && perms.is_empty() {
        return Err(QueryError::missing("IpPermissions"));
    }
    let edit = if by_id.is_empty() {
        RuleEdit::ByRule(drafts(&perms, dir)?)
    } else {
        RuleEdit::ById(by_id)
    };
    Ok(Request::UpdateSecurityGroupRuleDescriptions {
        direction: dir,
        group,
        edit,
    })
}

/// One grouped `IpPermission`; `owner` is the account of same-account group references.
pub(crate) fn permission(x: &mut Xml, p: &IpPermission, owner: &str) {
    x.opt("ipProtocol", p.ip_protocol.as_ref())
        .opt("fromPort", p.from_port)
        .opt("toPort", p.to_port);
    x.list("groups", &p.user_id_group_pairs, |x, g| {
        x.opt("description", g.description.as_ref())
            .leaf("userId", g.user_id.as_deref().unwrap_or(owner))
            .opt("groupId", g.group_id.as_ref())
            .opt("groupName", g.group_name.as_ref())
            .opt("vpcId", g.vpc_id.as_ref())
            .opt(
                "vpcPeeringConnectionId",
                g.vpc_peering_connection_id.as_ref(),
            )
            .opt("peeringStatus", g.peering_status.as_ref());
    });
    x.list("ipRanges", &p.ip_ranges, |x, r| {
        x.opt("cidrIp", r.cidr_ip.as_ref())
            .opt("description", r.description.as_ref());
    });
    x.list("ipv6Ranges", &p.ipv6_ranges, |x, r| {
        x.opt("cidrIpv6", r.cidr_ipv6.as_ref())
            .opt("description", r.description.as_ref());
    });
    x.list("prefixListIds", &p.prefix_list_ids, |x, r| {
        x.opt("prefixListId", r.prefix_list_id.as_ref())
            .opt("description", r.description.as_ref());
    });
}

fn group(x: &mut Xml, g: &SecurityGroup, o: &Origin<'_>) {
    let owner = g.owner.as_str();
    x.leaf("groupId", &g.id)
        .leaf("groupName", &g.name)
        .leaf("groupDescription", &g.description)
        .leaf("ownerId", owner)
        .leaf("vpcId", &g.vpc_id)
        .leaf("securityGroupArn", o.arn("security-group", g.id.as_str()));
    for (tag, dir) in [
        ("ipPermissions", Direction::Ingress),
        ("ipPermissionsEgress", Direction::Egress),
    ] {
        let perms = rules_to_permissions(g.rules_in(dir));
        x.list(tag, &perms, |x, p| permission(x, p, owner));
    }
    tag_set(x, &g.tags);
}

/// (fromPort, toPort) of a rule in DescribeSecurityGroupRules: `-1/-1` where ports do not
/// apply (AWS-verified, moto `test_describe_security_group_rules`).
fn rule_ports(r: &Rule) -> (i32, i32) {
    r.traffic().ports().unwrap_or((-1, -1))
}

/// The elements a `SecurityGroupRule` and a `RevokedSecurityGroupRule` share, up to the peer.
fn rule_head(x: &mut Xml, r: &Rule) {
    x.leaf("securityGroupRuleId", &r.id)
        .leaf("groupId", &r.group_id);
}

fn rule_traffic(x: &mut Xml, r: &Rule) {
    let (from, to) = rule_ports(r);
    x.leaf("isEgress", r.direction() == Direction::Egress)
        .leaf("ipProtocol", r.traffic().protocol().aws_name())
        .leaf("fromPort", from)
        .leaf("toPort", to);
}

/// A CIDR or prefix-list peer; `false` for a group reference (spelled differently by the
/// two rule shapes).
fn plain_peer(x: &mut Xml, peer: &Peer) -> bool {
    match peer {
        Peer::Ipv4(n) => x.leaf("cidrIpv4", n),
        Peer::Ipv6(n) => x.leaf("cidrIpv6", n),
        Peer::PrefixList(p) => x.leaf("prefixListId", p),
        Peer::Group(_) => return false,
    };
    true
}

/// One `SecurityGroupRule`.
fn rule(x: &mut Xml, r: &Rule, o: &Origin<'_>) {
    let owner = o.account.as_str();
    rule_head(x, r);
    x.leaf("groupOwnerId", owner);
    rule_traffic(x, r);
    if let (false, Peer::Group(g)) = (plain_peer(x, r.peer()), r.peer()) {
        x.node("referencedGroupInfo", |x| {
            x.leaf("groupId", &g.group_id)
                .leaf("userId", g.owner.as_ref().map_or(owner, |o| o.as_str()))
                .opt("vpcId", g.vpc_id.as_ref())
                .opt("vpcPeeringConnectionId", g.peering_id.as_ref());
        });
    }
    x.opt("description", r.description.as_ref());
    tag_set(x, &r.tags);
    x.leaf(
        "securityGroupRuleArn",
        o.arn("security-group-rule", r.id.as_str()),
    );
}

/// One `RevokedSecurityGroupRule`.
fn revoked_rule(x: &mut Xml, r: &Rule) {
    rule_head(x, r);
    rule_traffic(x, r);
    if let (false, Peer::Group(g)) = (plain_peer(x, r.peer()), r.peer()) {
        x.leaf("referencedGroupId", &g.group_id);
    }
    x.opt("description", r.description.as_ref());
}

pub(super) fn encode(x: &mut Xml, response: &Response, o: &Origin<'_>) {
    let owner = o.account.as_str();
    match response {
        Response::GroupCreated { id, tags } => {
            x.leaf("return", true).leaf("groupId", id);
            tag_set(x, tags);
            x.leaf("securityGroupArn", o.arn("security-group", id.as_str()));
        }
        Response::GroupDeleted { id } => {
            x.leaf("return", true).leaf("groupId", id);
        }
        Response::Groups(page) => {
            x.list("securityGroupInfo", &page.items, |x, g| group(x, g, o));
            next_token(x, page.next.as_ref());
        }
        Response::GroupReferences(refs) => {
            x.list("securityGroupReferenceSet", refs, |x, (g, vpc, pcx)| {
                x.leaf("groupId", g)
                    .leaf("referencingVpcId", vpc)
                    .opt("vpcPeeringConnectionId", pcx.as_ref());
            });
        }
        Response::StaleGroups(page) => {
            x.list("staleSecurityGroupSet", &page.items, |x, v| {
                stale_group(x, v, owner);
            });
            next_token(x, page.next.as_ref());
        }
        Response::Authorized(rules) => {
            x.leaf("return", true);
            x.list("securityGroupRuleSet", rules, |x, r| rule(x, r, o));
        }
        Response::Revoked { rules, unknown } => {
            x.leaf("return", true);
            let unknown = rules_to_permissions(unknown);
            x.list("unknownIpPermissionSet", &unknown, |x, p| {
                permission(x, p, owner);
            });
            x.list("revokedSecurityGroupRuleSet", rules, revoked_rule);
        }
        Response::Rules(page) => {
            x.list("securityGroupRuleSet", &page.items, |x, r| rule(x, r, o));
            next_token(x, page.next.as_ref());
        }
        // `wire::encode` routes only the responses above here.
        _ => {}
    }
}

fn stale_group(x: &mut Xml, v: &palisade_model::account::ops::StaleGroupView, owner: &str) {
    let g = &v.group;
    let status = |pcx: &str| {
        v.peerings
            .iter()
            .find(|(id, _)| id.as_str() == pcx)
            .map(|(_, s)| s.aws_name())
    };
    x.leaf("description", &g.description)
        .leaf("groupId", &g.group_id)
        .leaf("groupName", &g.name)
        .leaf("vpcId", &g.vpc_id);
    for (tag, dir) in [
        ("staleIpPermissions", Direction::Ingress),
        ("staleIpPermissionsEgress", Direction::Egress),
    ] {
        let perms = rules_to_permissions(g.stale.iter().filter(|r| r.direction() == dir));
        x.list(tag, perms.iter(), |x, perm| {
            x.opt("fromPort", perm.from_port)
                .opt("ipProtocol", perm.ip_protocol.as_ref())
                .opt("toPort", perm.to_port);
            x.list("groups", &perm.user_id_group_pairs, |x, pair| {
                let pcx = pair.vpc_peering_connection_id.as_deref();
                x.opt("groupId", pair.group_id.as_ref())
                    .leaf("userId", pair.user_id.as_deref().unwrap_or(owner))
                    .opt("vpcId", pair.vpc_id.as_ref())
                    .opt("vpcPeeringConnectionId", pcx)
                    .opt("peeringStatus", pcx.and_then(status));
            });
            super::empty_list(x, "ipRanges");
            super::empty_list(x, "prefixListIds");
        });
    }
}
