//! `IpPermission` and its parts, spelled exactly as EC2 spells them (the `IpPermission`
//! shape of the EC2 API, as `aws ec2 describe-security-groups` prints it and
//! `authorize-security-group-ingress --ip-permissions` reads it), and the conversions to and
//! from model rules.
//!
//! The structs accept anything that parses; [`permissions_to_rules`] is where EC2's
//! validation happens, with errors that carry the EC2 code and the item path
//! (`ip_permissions[2].ip_ranges[0].cidr_ip`). [`rules_to_permissions`] groups rules by
//! (protocol, from, to) as DescribeSecurityGroups does. This module never does I/O.

use palisade_model::account::ops::{DraftPeer, RuleDraft};
use palisade_model::{
    AccountId, Direction, Ec2ErrorCode, GroupId, GroupRef, NewRule, Peer, PeeringId, PrefixListId,
    Rule, RuleError, RuleSpec, Traffic, VpcId, validate_description,
};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// One `IpPermission`: a protocol and port range (or ICMP type/code), and the peers it
/// admits. Each range, prefix list and group pair is one rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpPermission {
    /// `-1`, `tcp`, `udp`, `icmp`, `icmpv6` or a protocol number (any case on input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_protocol: Option<String>,
    /// First port, or the ICMP type (-1 for any); omitted for `-1` and other protocols.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_port: Option<i64>,
    /// Last port, or the ICMP code (-1 for any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_port: Option<i64>,
    #[serde(default)]
    pub ip_ranges: Vec<IpRange>,
    #[serde(default)]
    pub ipv6_ranges: Vec<Ipv6Range>,
    #[serde(default)]
    pub prefix_list_ids: Vec<PrefixListIdEntry>,
    #[serde(default)]
    pub user_id_group_pairs: Vec<UserIdGroupPair>,
}

/// `IpRange`: an IPv4 CIDR peer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpRange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `Ipv6Range`: an IPv6 CIDR peer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ipv6Range {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_ipv6: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `PrefixListId`: a managed prefix list peer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrefixListIdEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_list_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `UserIdGroupPair`: a security-group peer, possibly in another account or a peered VPC.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserIdGroupPair {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// Output only: the peering's status (`active`, `deleted`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peering_status: Option<String>,
    /// The owning account of the referenced group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_peering_connection_id: Option<String>,
}

/// A permission that EC2 would refuse, with its code and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{path}: {message}")]
pub struct PermissionError {
    code: Ec2ErrorCode,
    path: String,
    message: String,
}

impl PermissionError {
    pub fn new(code: Ec2ErrorCode, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code,
            path: path.into(),
            message: message.into(),
        }
    }
    pub fn code(&self) -> Ec2ErrorCode {
        self.code
    }
    /// Where the error is, e.g. `ip_permissions[2].ip_ranges[0].cidr_ip`.
    pub fn path(&self) -> &str {
        &self.path
    }
    /// EC2's message, without the path.
    pub fn message(&self) -> &str {
        &self.message
    }
    fn from_rule(path: String, e: &RuleError) -> Self {
        Self {
            code: e.code(),
            path,
            message: e.message().to_owned(),
        }
    }
}

/// Converts permissions into rules, one per range, prefix list and group pair, in order,
/// validating exactly as EC2 does. Stops at the first error, as EC2 does for one request.
pub fn permissions_to_rules(
    perms: &[IpPermission],
    direction: Direction,
) -> Result<Vec<NewRule>, PermissionError> {
    let mut rules = Vec::new();
    for (idx, perm) in perms.iter().enumerate() {
        permission_rules(
            perm,
            direction,
            &format!("ip_permissions[{idx}]"),
            &mut rules,
        )?;
    }
    Ok(rules)
}

/// Converts permissions into rule drafts: as [`permissions_to_rules`], except that a group
/// pair naming only its `GroupName` becomes a [`DraftPeer::GroupName`], which the account
/// state resolves inside the transaction (in the rule group's VPC).
pub fn permissions_to_drafts(
    perms: &[IpPermission],
    direction: Direction,
) -> Result<Vec<RuleDraft>, PermissionError> {
    let mut out = Vec::new();
    for (idx, perm) in perms.iter().enumerate() {
        let path = format!("ip_permissions[{idx}]");
        let (named, by_id): (Vec<_>, Vec<_>) = perm
            .user_id_group_pairs
            .iter()
            .cloned()
            .partition(|p| p.group_id.is_none() && p.group_name.is_some());
        let rest = IpPermission {
            user_id_group_pairs: by_id,
            ..perm.clone()
        };
        let rest_has_peers = !(rest.ip_ranges.is_empty()
            && rest.ipv6_ranges.is_empty()
            && rest.prefix_list_ids.is_empty()
            && rest.user_id_group_pairs.is_empty());
        if named.is_empty() || rest_has_peers {
            let mut rules = Vec::new();
            permission_rules(&rest, direction, &path, &mut rules)?;
            out.extend(rules.into_iter().map(|r| RuleDraft {
                direction,
                traffic: r.spec.traffic,
                peer: DraftPeer::Peer(r.spec.peer),
                description: r.description,
            }));
        }
        if named.is_empty() {
            continue;
        }
        let traffic = permission_traffic(perm, &path)?;
        for (n, pair) in named.into_iter().enumerate() {
            if let Some(d) = &pair.description {
                validate_description("rule description", d).map_err(|e| {
                    PermissionError::new(
                        e.code(),
                        format!("{path}.user_id_group_pairs[{n}].description"),
                        e.message(),
                    )
                })?;
            }
            out.push(RuleDraft {
                direction,
                traffic,
                peer: DraftPeer::GroupName(pair.group_name.unwrap_or_default()),
                description: pair.description,
            });
        }
    }
    Ok(out)
}

/// Parses an `IpPermissions` JSON array (as given to `--ip-permissions`) into rules.
/// A single permission object is accepted too.
pub fn parse_ip_permissions_json(
    json: &str,
    direction: Direction,
) -> Result<Vec<NewRule>, PermissionError> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| {
        PermissionError::new(
            Ec2ErrorCode::InvalidParameterValue,
            "ip_permissions",
            e.to_string(),
        )
    })?;
    parse_ip_permissions_value(&value, direction)
}

/// Like [`parse_ip_permissions_json`], from an already parsed JSON value.
pub fn parse_ip_permissions_value(
    value: &serde_json::Value,
    direction: Direction,
) -> Result<Vec<NewRule>, PermissionError> {
    let perms: Vec<IpPermission> = match value {
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(idx, item)| {
                serde_json::from_value(item.clone()).map_err(|e| {
                    PermissionError::new(
                        Ec2ErrorCode::InvalidParameterValue,
                        format!("ip_permissions[{idx}]"),
                        e.to_string(),
                    )
                })
            })
            .collect::<Result<_, _>>()?,
        other => vec![serde_json::from_value(other.clone()).map_err(|e| {
            PermissionError::new(
                Ec2ErrorCode::InvalidParameterValue,
                "ip_permissions",
                e.to_string(),
            )
        })?],
    };
    permissions_to_rules(&perms, direction)
}

/// The rules of one permission, appended to `out`; `path` names the permission.
pub fn permission_rules(
    perm: &IpPermission,
    direction: Direction,
    path: &str,
    out: &mut Vec<NewRule>,
) -> Result<(), PermissionError> {
    let traffic = permission_traffic(perm, path)?;
    let n_peers = perm.ip_ranges.len()
        + perm.ipv6_ranges.len()
        + perm.prefix_list_ids.len()
        + perm.user_id_group_pairs.len();
    if n_peers == 0 {
        // EC2 in a VPC: "MissingParameter: Missing source specification: include source
        // security group or CIDR information" (quoted from the service in boto/boto3#1078).
        return Err(PermissionError::new(
            Ec2ErrorCode::MissingParameter,
            path,
            "Missing source specification: include source security group or CIDR information",
        ));
    }
    let mut push = |peer: Peer, description: &Option<String>, at: String| {
        let mut rule = NewRule::new(direction, traffic, peer);
        if let Some(d) = description {
            validate_description("rule description", d).map_err(|e| {
                PermissionError::new(e.code(), format!("{at}.description"), e.message())
            })?;
            rule.description = Some(d.clone());
        }
        out.push(rule);
        Ok::<(), PermissionError>(())
    };
    for (idx, r) in perm.ip_ranges.iter().enumerate() {
        let at = format!("{path}.ip_ranges[{idx}]");
        let cidr = required(r.cidr_ip.as_deref(), &at, "cidr_ip", "CidrIp")?;
        let peer = Peer::parse_ipv4(cidr)
            .map_err(|e| PermissionError::from_rule(format!("{at}.cidr_ip"), &e))?;
        push(peer, &r.description, at)?;
    }
    for (idx, r) in perm.ipv6_ranges.iter().enumerate() {
        let at = format!("{path}.ipv6_ranges[{idx}]");
        let cidr = required(r.cidr_ipv6.as_deref(), &at, "cidr_ipv6", "CidrIpv6")?;
        let peer = Peer::parse_ipv6(cidr)
            .map_err(|e| PermissionError::from_rule(format!("{at}.cidr_ipv6"), &e))?;
        push(peer, &r.description, at)?;
    }
    for (idx, p) in perm.prefix_list_ids.iter().enumerate() {
        let at = format!("{path}.prefix_list_ids[{idx}]");
        let id = required(
            p.prefix_list_id.as_deref(),
            &at,
            "prefix_list_id",
            "PrefixListId",
        )?;
        let id: PrefixListId = id.parse().map_err(|e: palisade_model::IdError| {
            PermissionError::new(e.code(), format!("{at}.prefix_list_id"), e.to_string())
        })?;
        push(Peer::PrefixList(id), &p.description, at)?;
    }
    for (idx, pair) in perm.user_id_group_pairs.iter().enumerate() {
        let at = format!("{path}.user_id_group_pairs[{idx}]");
        let gref = group_pair_ref(pair, &at)?;
        push(Peer::Group(gref), &pair.description, at)?;
    }
    Ok(())
}

/// The traffic of a permission: `IpProtocol`, `FromPort` and `ToPort` with EC2's rules.
pub fn permission_traffic(perm: &IpPermission, path: &str) -> Result<Traffic, PermissionError> {
    let Some(protocol) = perm.ip_protocol.as_deref() else {
        // ModifySecurityGroupRules wording (AWS-verified, moto test_modify_security_group_rules).
        return Err(PermissionError::new(
            Ec2ErrorCode::InvalidParameterValue,
            format!("{path}.ip_protocol"),
            "Invalid value 'null' for protocol. VPC security group rules must specify protocols explicitly.",
        ));
    };
    let protocol = palisade_model::Protocol::parse(protocol)
        .map_err(|e| PermissionError::from_rule(format!("{path}.ip_protocol"), &e))?;
    Traffic::from_parts(protocol, perm.from_port, perm.to_port)
        .map_err(|e| PermissionError::from_rule(format!("{path}.from_port"), &e))
}

/// A `UserIdGroupPair` as a group reference. A pair naming only `GroupName` is refused:
/// names resolve only in the default VPC, which a snapshot does not model.
pub fn group_pair_ref(pair: &UserIdGroupPair, at: &str) -> Result<GroupRef, PermissionError> {
    let Some(group_id) = pair.group_id.as_deref() else {
        return Err(PermissionError::new(
            Ec2ErrorCode::MissingParameter,
            format!("{at}.group_id"),
            match &pair.group_name {
                Some(name) => format!(
                    "group '{name}' is named without its GroupId; VPC security group references need the group id"
                ),
                None => "Source group ID missing.".to_owned(),
            },
        ));
    };
    let id_err = |field: &str| {
        let at = format!("{at}.{field}");
        move |e: palisade_model::IdError| PermissionError::new(e.code(), at, e.to_string())
    };
    let group_id: GroupId = group_id.parse().map_err(id_err("group_id"))?;
    let owner: Option<AccountId> = pair
        .user_id
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(id_err("user_id"))?;
    let vpc_id: Option<VpcId> = pair
        .vpc_id
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(id_err("vpc_id"))?;
    let peering_id: Option<PeeringId> = pair
        .vpc_peering_connection_id
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(id_err("vpc_peering_connection_id"))?;
    Ok(GroupRef {
        group_id,
        owner,
        vpc_id,
        peering_id,
    })
}

fn required<'a>(
    value: Option<&'a str>,
    at: &str,
    field: &str,
    aws: &str,
) -> Result<&'a str, PermissionError> {
    value.ok_or_else(|| {
        PermissionError::new(
            Ec2ErrorCode::MissingParameter,
            format!("{at}.{field}"),
            format!("The request must contain the parameter {aws}"),
        )
    })
}

/// What [`rules_to_permissions`] needs of a rule: its spec and description.
pub trait RuleParts {
    fn spec(&self) -> &RuleSpec;
    fn description(&self) -> Option<&str>;
}

impl RuleParts for NewRule {
    fn spec(&self) -> &RuleSpec {
        &self.spec
    }
    fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
}

impl RuleParts for Rule {
    fn spec(&self) -> &RuleSpec {
        &self.spec
    }
    fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
}

/// Groups rules into permissions as DescribeSecurityGroups does: one permission per
/// distinct (protocol, from, to), in first-appearance order, ports omitted for `-1` and
/// protocols other than tcp/udp/icmp/icmpv6. The rules' direction is not looked at: pass
/// one direction's rules.
pub fn rules_to_permissions<'a, R: RuleParts + 'a>(
    rules: impl IntoIterator<Item = &'a R>,
) -> Vec<IpPermission> {
    let mut perms: Vec<(Traffic, IpPermission)> = Vec::new();
    for rule in rules {
        let spec = rule.spec();
        let idx = match perms.iter().position(|(t, _)| *t == spec.traffic) {
            Some(idx) => idx,
            None => {
                let ports = spec.traffic.ports();
                perms.push((
                    spec.traffic,
                    IpPermission {
                        ip_protocol: Some(spec.traffic.protocol().aws_name()),
                        from_port: ports.map(|(from, _)| i64::from(from)),
                        to_port: ports.map(|(_, to)| i64::from(to)),
                        ..IpPermission::default()
                    },
                ));
                perms.len() - 1
            }
        };
        let perm = &mut perms[idx].1;
        let description = rule.description().map(str::to_owned);
        match &spec.peer {
            Peer::Ipv4(net) => {
                perm.ip_ranges.push(IpRange {
                    cidr_ip: Some(net.to_string()),
                    description,
                });
            }
            Peer::Ipv6(net) => {
                perm.ipv6_ranges.push(Ipv6Range {
                    cidr_ipv6: Some(net.to_string()),
                    description,
                });
            }
            Peer::PrefixList(id) => perm.prefix_list_ids.push(PrefixListIdEntry {
                prefix_list_id: Some(id.to_string()),
                description,
            }),
            Peer::Group(gref) => perm.user_id_group_pairs.push(UserIdGroupPair {
                description,
                group_id: Some(gref.group_id.to_string()),
                user_id: gref.owner.as_ref().map(ToString::to_string),
                vpc_id: gref.vpc_id.as_ref().map(ToString::to_string),
                vpc_peering_connection_id: gref.peering_id.as_ref().map(ToString::to_string),
                ..UserIdGroupPair::default()
            }),
        }
    }
    perms.into_iter().map(|(_, p)| p).collect()
}

#[cfg(test)]
mod tests;
