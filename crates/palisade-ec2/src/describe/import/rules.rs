//! Import of security groups and their rules: rule ids from `SecurityGroupRules` rows
//! (describe-security-group-rules) when present, stable hashed ids otherwise.

use std::collections::BTreeMap;

use palisade_model::{
    Direction, Ec2ErrorCode, GroupId, IdGen, Peer, Rule, RuleId, RuleSpec, SecurityGroup,
};

use super::{At, Ctx, Row};
use crate::describe::wire::{SecurityGroupRuleWire, SecurityGroupWire};
use crate::permission::{
    IpPermission, IpRange, Ipv6Range, PrefixListIdEntry, UserIdGroupPair, permission_rules,
};

impl Ctx {
    /// `SecurityGroupRules` rows by group id.
    pub(super) fn rule_rows(
        &mut self,
        rows: &[(At, SecurityGroupRuleWire)],
    ) -> BTreeMap<GroupId, Vec<Row>> {
        let mut out: BTreeMap<GroupId, Vec<Row>> = BTreeMap::new();
        for (at, w) in rows {
            let (Some(id), Some(group)) = (
                self.id::<RuleId>(at, "SecurityGroupRuleId", &w.security_group_rule_id),
                self.id::<GroupId>(at, "GroupId", &w.group_id),
            ) else {
                continue;
            };
            let perm = row_permission(w);
            let direction = if w.is_egress {
                Direction::Egress
            } else {
                Direction::Ingress
            };
            let mut rules = Vec::new();
            if let Err(e) = permission_rules(&perm, direction, "rule", &mut rules) {
                self.perm_err(at, &e);
                continue;
            }
            let [rule] = rules.as_slice() else {
                // ModifySecurityGroupRules wording (AWS-verified in moto's tests).
                let msg = "Only one of cidrIp, cidrIpv6, prefixListId, or referencedGroupId can be specified";
                let code = Some(Ec2ErrorCode::InvalidParameterCombination);
                self.err(at, "", code, msg.to_owned());
                continue;
            };
            if !self.unique(at, id.as_str()) {
                continue;
            }
            let tags = self.tags(&w.tags);
            let row = Row {
                at: at.clone(),
                id,
                spec: rule.spec.clone(),
                tags,
                used: false,
            };
            out.entry(group).or_default().push(row);
        }
        out
    }

    pub(super) fn group(
        &mut self,
        at: &At,
        w: &SecurityGroupWire,
        rows: &mut BTreeMap<GroupId, Vec<Row>>,
    ) -> Option<SecurityGroup> {
        let id: GroupId = self.id(at, "GroupId", &w.group_id)?;
        let vpc_id = self
            .required(at, "VpcId", w.vpc_id.as_deref())
            .and_then(|v| self.id(at, "VpcId", v));
        let owner = self.owner(at, w.owner_id.as_deref());
        let mut group = SecurityGroup::empty(
            id.clone(),
            w.group_name.clone(),
            w.description.clone(),
            vpc_id?,
            owner?,
        );
        group.tags = self.tags(&w.tags);
        let mut my_rows = rows.get_mut(&id);
        for (direction, perms, field) in [
            (Direction::Ingress, &w.ip_permissions, "ip_permissions"),
            (
                Direction::Egress,
                &w.ip_permissions_egress,
                "ip_permissions_egress",
            ),
        ] {
            let mut new = Vec::new();
            for (idx, perm) in perms.iter().enumerate() {
                let path = format!("{field}[{idx}]");
                if let Err(e) = permission_rules(perm, direction, &path, &mut new) {
                    self.perm_err(at, &e);
                }
            }
            for rule in new {
                let row = my_rows.as_deref_mut().and_then(|rows| {
                    rows.iter_mut()
                        .find(|r| !r.used && r.spec.same_rule(&rule.spec))
                });
                let (rule_id, tags) = match row {
                    Some(row) => {
                        row.used = true;
                        (row.id.clone(), row.tags.clone())
                    }
                    None => (hashed_rule_id(&id, &rule.spec), rule.tags),
                };
                let stored = Rule {
                    id: rule_id,
                    group_id: id.clone(),
                    spec: rule.spec,
                    description: rule.description,
                    tags,
                };
                if let Err(e) = group.insert_existing(stored) {
                    self.err(at, field, Some(e.code()), e.message().to_owned());
                }
            }
        }
        self.unique(at, id.as_str()).then_some(group)
    }
}

/// A describe-security-group-rules row as the permission it stands for.
fn row_permission(w: &SecurityGroupRuleWire) -> IpPermission {
    let description = w.description.clone();
    IpPermission {
        ip_protocol: w.ip_protocol.clone(),
        from_port: w.from_port,
        to_port: w.to_port,
        ip_ranges: w
            .cidr_ipv4
            .iter()
            .map(|c| IpRange {
                cidr_ip: Some(c.clone()),
                description: description.clone(),
            })
            .collect(),
        ipv6_ranges: w
            .cidr_ipv6
            .iter()
            .map(|c| Ipv6Range {
                cidr_ipv6: Some(c.clone()),
                description: description.clone(),
            })
            .collect(),
        prefix_list_ids: w
            .prefix_list_id
            .iter()
            .map(|p| PrefixListIdEntry {
                prefix_list_id: Some(p.clone()),
                description: description.clone(),
            })
            .collect(),
        user_id_group_pairs: w
            .referenced_group_info
            .iter()
            .map(|r| UserIdGroupPair {
                description: description.clone(),
                group_id: r.group_id.clone(),
                user_id: r.user_id.clone(),
                vpc_id: r.vpc_id.clone(),
                vpc_peering_connection_id: r.vpc_peering_connection_id.clone(),
                peering_status: r.peering_status.clone(),
                group_name: None,
            })
            .collect(),
    }
}

/// A stable id for a rule that came without one: FNV-1a of (group, direction, traffic,
/// peer identity), so re-importing the same input yields the same ids.
pub(crate) fn hashed_rule_id(group: &GroupId, spec: &RuleSpec) -> RuleId {
    let peer = match &spec.peer {
        Peer::Group(g) => g.group_id.to_string(),
        other => other.to_string(),
    };
    let key = format!("{group}|{}|{}|{peer}", spec.direction, spec.traffic);
    let fnv = |basis: u64| {
        key.bytes().fold(basis, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    };
    let bits =
        (u128::from(fnv(0xcbf2_9ce4_8422_2325)) << 64) | u128::from(fnv(0x6c62_272e_07bb_0142));
    RuleId::generate(&mut Fixed(bits))
}

/// An [`IdGen`] that hands out one given value.
struct Fixed(u128);

impl IdGen for Fixed {
    fn next_bits(&mut self) -> u128 {
        self.0
    }
}
