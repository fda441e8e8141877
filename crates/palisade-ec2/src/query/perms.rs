//! `IpPermissions.N.*` (and the legacy flat single-rule parameters), `SecurityGroupRule.N.*`
//! of ModifySecurityGroupRules and `SecurityGroupRuleDescription.N.*`.
//!
//! Wire names differ from the SDK's: `UserIdGroupPairs` travel as `IpPermissions.N.Groups.M`
//! (botocore `ec2` model, `locationName`).

use palisade_model::account::RuleUpdate;
use palisade_model::{Direction, Ec2ErrorCode, GroupRef, Peer, RuleId, Traffic};

use super::{Params, QueryError};
use crate::permission::{IpPermission, IpRange, Ipv6Range, PrefixListIdEntry, UserIdGroupPair};

fn text(p: &Params, name: &str) -> Option<String> {
    p.get(name).map(str::to_owned)
}

/// `IpPermissions.N.*` as AWS-shaped permissions (validation happens on conversion).
pub fn ip_permissions(params: &Params) -> Result<Vec<IpPermission>, QueryError> {
    params
        .members("IpPermissions")
        .iter()
        .map(|p| {
            Ok(IpPermission {
                ip_protocol: text(p, "IpProtocol"),
                from_port: p.int("FromPort")?,
                to_port: p.int("ToPort")?,
                ip_ranges: p
                    .members("IpRanges")
                    .iter()
                    .map(|r| IpRange {
                        cidr_ip: text(r, "CidrIp"),
                        description: text(r, "Description"),
                    })
                    .collect(),
                ipv6_ranges: p
                    .members("Ipv6Ranges")
                    .iter()
                    .map(|r| Ipv6Range {
                        cidr_ipv6: text(r, "CidrIpv6"),
                        description: text(r, "Description"),
                    })
                    .collect(),
                prefix_list_ids: p
                    .members("PrefixListIds")
                    .iter()
                    .map(|r| PrefixListIdEntry {
                        prefix_list_id: text(r, "PrefixListId"),
                        description: text(r, "Description"),
                    })
                    .collect(),
                user_id_group_pairs: p
                    .members("Groups")
                    .iter()
                    .map(|g| UserIdGroupPair {
                        description: text(g, "Description"),
                        group_id: text(g, "GroupId"),
                        group_name: text(g, "GroupName"),
                        peering_status: None,
                        user_id: text(g, "UserId"),
                        vpc_id: text(g, "VpcId"),
                        vpc_peering_connection_id: text(g, "VpcPeeringConnectionId"),
                    })
                    .collect(),
            })
        })
        .collect()
}

/// The legacy top-level single-rule form of Authorize/Revoke (`IpProtocol`, `FromPort`,
/// `ToPort`, `CidrIp`, `SourceSecurityGroupName`, `SourceSecurityGroupOwnerId`). A source
/// group without a protocol "grants full ICMP, UDP, and TCP access" (botocore model). On the
/// egress operations these are "Not supported. Use IP permissions instead."
pub fn legacy_permission(
    params: &Params,
    direction: Direction,
) -> Result<Vec<IpPermission>, QueryError> {
    const NAMES: [&str; 6] = [
        "IpProtocol",
        "FromPort",
        "ToPort",
        "CidrIp",
        "SourceSecurityGroupName",
        "SourceSecurityGroupOwnerId",
    ];
    let Some(used) = NAMES.iter().find(|n| params.get(n).is_some()) else {
        return Ok(Vec::new());
    };
    if direction == Direction::Egress {
        return Err(QueryError::new(
            Ec2ErrorCode::InvalidParameterCombination,
            format!(
                "The parameter '{used}' is not supported for egress rules. Use IpPermissions instead."
            ),
        ));
    }
    let source = params
        .get("SourceSecurityGroupName")
        .map(|name| UserIdGroupPair {
            group_name: Some(name.to_owned()),
            user_id: text(params, "SourceSecurityGroupOwnerId"),
            ..UserIdGroupPair::default()
        });
    let cidr = text(params, "CidrIp").map(|c| IpRange {
        cidr_ip: Some(c),
        description: None,
    });
    let base = IpPermission {
        ip_protocol: text(params, "IpProtocol"),
        from_port: params.int("FromPort")?,
        to_port: params.int("ToPort")?,
        ip_ranges: cidr.into_iter().collect(),
        user_id_group_pairs: source.clone().into_iter().collect(),
        ..IpPermission::default()
    };
    match (&base.ip_protocol, source) {
        (None, Some(pair)) => Ok(["icmp", "tcp", "udp"]
            .iter()
            .map(|proto| {
                let (from, to) = if *proto == "icmp" {
                    (-1, -1)
                } else {
                    (0, 65535)
                };
                IpPermission {
                    ip_protocol: Some((*proto).to_owned()),
                    from_port: Some(from),
                    to_port: Some(to),
                    user_id_group_pairs: vec![pair.clone()],
                    ..IpPermission::default()
                }
            })
            .collect()),
        _ => Ok(vec![base]),
    }
}

/// Fills `GroupId` of group pairs that name only a group (legacy default-VPC form), using
/// `resolve(name, owner)`; unresolvable names are `InvalidGroup.NotFound`.
pub fn resolve_group_names(
    perms: &mut [IpPermission],
    resolve: impl Fn(&str) -> Option<String>,
) -> Result<(), QueryError> {
    for pair in perms
        .iter_mut()
        .flat_map(|p| p.user_id_group_pairs.iter_mut())
    {
        if pair.group_id.is_some() {
            continue;
        }
        let Some(name) = &pair.group_name else {
            continue;
        };
        let id = resolve(name).ok_or_else(|| {
            QueryError::new(
                Ec2ErrorCode::InvalidGroupNotFound,
                format!("The security group '{name}' does not exist"),
            )
        })?;
        pair.group_id = Some(id);
    }
    Ok(())
}

/// `SecurityGroupRule.N` of ModifySecurityGroupRules, with EC2's AWS-verified messages
/// (moto `test_modify_security_group_rules`, marked aws_verified).
pub fn rule_changes(params: &Params) -> Result<Vec<RuleUpdate>, QueryError> {
    let members = params.members("SecurityGroupRule");
    if members.is_empty() {
        return Err(QueryError::missing("SecurityGroupRule"));
    }
    members
        .iter()
        .map(|m| {
            let rule_id: RuleId = m.required_id("SecurityGroupRuleId")?;
            let r = m.member("SecurityGroupRule");
            let Some(protocol) = r.get("IpProtocol") else {
                return Err(QueryError::new(
                    Ec2ErrorCode::InvalidParameterValue,
                    "Invalid value 'null' for protocol. VPC security group rules must specify protocols explicitly.",
                ));
            };
            let traffic = Traffic::parse(protocol, r.int("FromPort")?, r.int("ToPort")?)
                .map_err(|e| QueryError::new(e.code(), e.message()))?;
            let targets: Vec<&str> = ["CidrIpv4", "CidrIpv6", "PrefixListId", "ReferencedGroupId"]
                .into_iter()
                .filter(|n| r.get(n).is_some())
                .collect();
            let peer = match targets.as_slice() {
                [] => {
                    return Err(QueryError::new(
                        Ec2ErrorCode::MissingParameter,
                        "The request must contain exactly one of: cidrIp, cidrIpv6, prefixListId, or referencedGroupId",
                    ));
                }
                [one] => {
                    let v = r.get(one).unwrap_or_default();
                    let rule_err = |e: palisade_model::RuleError| QueryError::new(e.code(), e.message());
                    match *one {
                        "CidrIpv4" => Peer::parse_ipv4(v).map_err(rule_err)?,
                        "CidrIpv6" => Peer::parse_ipv6(v).map_err(rule_err)?,
                        "PrefixListId" => Peer::PrefixList(r.required_id("PrefixListId")?),
                        _ => Peer::Group(GroupRef::same_account(r.required_id("ReferencedGroupId")?)),
                    }
                }
                _ => {
                    return Err(QueryError::new(
                        Ec2ErrorCode::InvalidParameterCombination,
                        "Only one of cidrIp, cidrIpv6, prefixListId, or referencedGroupId can be specified",
                    ));
                }
            };
            Ok(RuleUpdate { rule_id, traffic, peer, description: text(&r, "Description") })
        })
        .collect()
}

/// `SecurityGroupRuleDescription.N` (rule id, new description; none removes it).
pub fn rule_descriptions(params: &Params) -> Result<Vec<(RuleId, Option<String>)>, QueryError> {
    params
        .members("SecurityGroupRuleDescription")
        .iter()
        .map(|m| {
            Ok((
                m.required_id("SecurityGroupRuleId")?,
                text(m, "Description"),
            ))
        })
        .collect()
}
