//! CreateSecurityGroup, DeleteSecurityGroup, DescribeSecurityGroups,
//! DescribeSecurityGroupReferences, DescribeStaleSecurityGroups.

use palisade_ec2::query::{Params, QueryError, filters, group_matches, paginate};
use palisade_ec2::rules_to_permissions;
use palisade_model::account::GroupSelector;
use palisade_model::{Direction, Ec2ErrorCode, GroupId, PeeringStatus, VpcId};

use crate::ctx::Ctx;
use crate::encode;
use crate::error::ApiError;
use crate::xml::Xml;

/// `GroupId` or `GroupName` (default VPC).
pub(super) fn selector(p: &Params) -> Result<GroupSelector, ApiError> {
    if let Some(id) = p.opt_id::<GroupId>("GroupId")? {
        return Ok(GroupSelector::Id(id));
    }
    match p.get("GroupName") {
        Some(name) if !name.is_empty() => Ok(GroupSelector::Name(name.to_owned())),
        _ => Err(QueryError::missing("GroupId").into()),
    }
}

pub(super) fn create(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let name = p.required("GroupName")?.to_owned();
    let description = p.required("GroupDescription")?.to_owned();
    let vpc: Option<VpcId> = p.opt_id("VpcId")?;
    let tags = p.tag_specs("security-group")?;
    let id = ctx.write(|st, ids| {
        Ok(st.create_group(&name, &description, vpc.as_ref(), tags.clone(), ids)?)
    })?;
    let mut x = Xml::new();
    x.leaf("return", true).leaf("groupId", &id);
    encode::tag_set(&mut x, &tags);
    x.leaf("securityGroupArn", ctx.arn("security-group", id.as_str()));
    Ok(x)
}

pub(super) fn delete(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let sel = selector(p)?;
    let id = ctx.write(|st, _| Ok(st.delete_group(&sel)?))?;
    let mut x = Xml::new();
    x.leaf("return", true).leaf("groupId", id);
    Ok(x)
}

pub(super) fn describe(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let ids: Vec<GroupId> = p.id_list("GroupId")?;
    let names = p.list("GroupName");
    let filters = filters(p)?;
    if (!ids.is_empty() || !names.is_empty()) && p.get("MaxResults").is_some() {
        return Err(ApiError::new(
            Ec2ErrorCode::InvalidParameterCombination,
            "The parameter GroupIds or GroupNames cannot be used with the parameter MaxResults",
        ));
    }
    let region_arn = ctx.arn("security-group", "");
    let groups = ctx.read(|st| -> Result<_, ApiError> {
        let mut wanted: Vec<GroupId> = Vec::new();
        for id in &ids {
            wanted.push(st.resolve_group(&GroupSelector::Id(id.clone()))?);
        }
        for name in &names {
            wanted.push(st.resolve_group(&GroupSelector::Name(name.clone()))?);
        }
        let name_of = |g: &GroupId| st.snapshot().groups.get(g).map(|g| g.name.clone());
        let mut out = Vec::new();
        for g in st.snapshot().groups.values() {
            if (!wanted.is_empty() && !wanted.contains(&g.id))
                || !group_matches(g, &filters, &name_of)?
            {
                continue;
            }
            out.push(g.clone());
        }
        Ok(out)
    })??;
    let page = paginate(groups, |g| g.id.to_string(), p, (5, 1000))?;
    let mut x = Xml::new();
    x.list("securityGroupInfo", &page.items, |x, g| {
        encode::group(x, g, &format!("{region_arn}{}", g.id))
    });
    x.opt("nextToken", page.next_token);
    Ok(x)
}

pub(super) fn references(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let ids: Vec<GroupId> = p.id_list("GroupId")?;
    if ids.is_empty() {
        return Err(QueryError::missing("GroupId").into());
    }
    let refs = ctx.read(|st| st.group_references(&ids))??;
    let mut x = Xml::new();
    x.list("securityGroupReferenceSet", &refs, |x, (g, vpc, pcx)| {
        x.leaf("groupId", g)
            .leaf("referencingVpcId", vpc)
            .opt("vpcPeeringConnectionId", pcx.as_ref());
    });
    Ok(x)
}

pub(super) fn stale(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let vpc: VpcId = p.required_id("VpcId")?;
    let owner = ctx.scope.account.to_string();
    let (groups, peerings) = ctx.read(|st| {
        let peerings: Vec<_> = st.snapshot().peerings.values().cloned().collect();
        st.stale_groups(&vpc).map(|g| (g, peerings))
    })??;
    let page = paginate(groups, |g| g.group_id.to_string(), p, (5, 255))?;
    let status = |pcx: Option<&palisade_model::PeeringId>| {
        pcx.map(|id| {
            peerings
                .iter()
                .find(|p| &p.id == id)
                .map_or(PeeringStatus::Deleted, |p| p.status)
                .aws_name()
        })
    };
    let mut x = Xml::new();
    x.list("staleSecurityGroupSet", &page.items, |x, g| {
        x.leaf("description", &g.description)
            .leaf("groupId", &g.group_id)
            .leaf("groupName", &g.name)
            .leaf("vpcId", &g.vpc_id);
        for (tag, dir) in [
            ("staleIpPermissions", Direction::Ingress),
            ("staleIpPermissionsEgress", Direction::Egress),
        ] {
            let rules: Vec<_> = g.stale.iter().filter(|r| r.direction() == dir).collect();
            let perms = rules_to_permissions(rules.iter().copied());
            x.list(tag, perms.iter(), |x, perm| {
                x.opt("fromPort", perm.from_port)
                    .opt("ipProtocol", perm.ip_protocol.as_ref())
                    .opt("toPort", perm.to_port);
                x.list("groups", &perm.user_id_group_pairs, |x, pair| {
                    let pcx = pair
                        .vpc_peering_connection_id
                        .as_ref()
                        .and_then(|s| s.parse().ok());
                    x.opt("groupId", pair.group_id.as_ref())
                        .leaf("userId", pair.user_id.as_deref().unwrap_or(&owner))
                        .opt("vpcId", pair.vpc_id.as_ref())
                        .opt(
                            "vpcPeeringConnectionId",
                            pair.vpc_peering_connection_id.as_ref(),
                        )
                        .opt("peeringStatus", status(pcx.as_ref()));
                });
                x.list("ipRanges", std::iter::empty::<()>(), |_, ()| {});
                x.list("prefixListIds", std::iter::empty::<()>(), |_, ()| {});
            });
        }
    });
    x.opt("nextToken", page.next_token);
    Ok(x)
}
