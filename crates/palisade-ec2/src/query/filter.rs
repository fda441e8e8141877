//! `Filter.N.Name` / `Filter.N.Value.M`: values of one filter are OR'd, filters are AND'd,
//! `*` and `?` are wildcards. For the `ip-permission.*` filters of DescribeSecurityGroups
//! "the results include security groups for which any combination of rules — not
//! necessarily a single rule — match all filters" (botocore model), so each filter is
//! matched against the group's rules on its own.

use palisade_model::{Direction, Ec2ErrorCode, GroupId, Peer, Rule, SecurityGroup, Tag};

use super::{Params, QueryError};

/// One filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub name: String,
    pub values: Vec<String>,
}

/// The request's `Filter.N`.
pub fn filters(params: &Params) -> Result<Vec<Filter>, QueryError> {
    params
        .members("Filter")
        .iter()
        .map(|f| {
            Ok(Filter {
                name: f.required("Name")?.to_owned(),
                values: f.list("Value"),
            })
        })
        .collect()
}

/// EC2's `FilterLimitExceeded` when one `Filter.N` has more than `max` values ("The
/// maximum number of filter values specified on a single call is 200", EC2's text with
/// its default limit).
pub fn check_filter_values(params: &Params, max: u32) -> Result<(), QueryError> {
    let too_many = params
        .members("Filter")
        .iter()
        .any(|f| f.list("Value").len() > max as usize);
    if too_many {
        return Err(QueryError::new(
            Ec2ErrorCode::FilterLimitExceeded,
            format!("The maximum number of filter values specified on a single call is {max}"),
        ));
    }
    Ok(())
}

/// Glob match with `*` (any run) and `?` (one character).
pub fn wildcard_match(pattern: &str, value: &str) -> bool {
    let (p, v): (Vec<char>, Vec<char>) = (pattern.chars().collect(), value.chars().collect());
    let (mut pi, mut vi, mut star, mut mark) = (0, 0, None, 0);
    while vi < v.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == v[vi]) {
            pi += 1;
            vi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = vi;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            vi = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// True when any of the filter's values matches `value`.
pub fn matches_any(filter: &Filter, value: &str) -> bool {
    filter.values.iter().any(|p| wildcard_match(p, value))
}

/// `tag:<key>`, `tag-key` and `tag-value` (the legacy filter still in AWS examples: any tag
/// with that value) over `tags`; `None` when `filter` is not a tag filter.
pub fn tag_filter(filter: &Filter, tags: &[Tag]) -> Option<bool> {
    if let Some(key) = filter.name.strip_prefix("tag:") {
        return Some(
            tags.iter()
                .any(|t| t.key == key && matches_any(filter, &t.value)),
        );
    }
    match filter.name.as_str() {
        "tag-key" => Some(tags.iter().any(|t| matches_any(filter, &t.key))),
        "tag-value" => Some(tags.iter().any(|t| matches_any(filter, &t.value))),
        _ => None,
    }
}

fn unknown(filter: &Filter) -> QueryError {
    QueryError::new(
        Ec2ErrorCode::InvalidParameterValue,
        format!("The filter '{}' is invalid", filter.name),
    )
}

/// DescribeSecurityGroups' filters; `name_of` gives a referenced group's name.
pub fn group_matches(
    group: &SecurityGroup,
    filters: &[Filter],
    name_of: &dyn Fn(&GroupId) -> Option<String>,
) -> Result<bool, QueryError> {
    for f in filters {
        if let Some(ok) = tag_filter(f, &group.tags) {
            if !ok {
                return Ok(false);
            }
            continue;
        }
        let ok = match f.name.as_str() {
            "group-id" => matches_any(f, group.id.as_str()),
            "group-name" => matches_any(f, &group.name),
            "description" => matches_any(f, &group.description),
            "vpc-id" => matches_any(f, group.vpc_id.as_str()),
            "owner-id" => matches_any(f, group.owner.as_str()),
            name => {
                let (direction, field) =
                    if let Some(field) = name.strip_prefix("egress.ip-permission.") {
                        (Direction::Egress, field)
                    } else if let Some(field) = name.strip_prefix("ip-permission.") {
                        (Direction::Ingress, field)
                    } else {
                        return Err(unknown(f));
                    };
                let mut any = false;
                for rule in group.rules_in(direction) {
                    if permission_field(rule, field, f, group, name_of).ok_or_else(|| unknown(f))? {
                        any = true;
                        break;
                    }
                }
                any
            }
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// One `ip-permission.<field>` test on one rule; `None` for an unknown field.
fn permission_field(
    rule: &Rule,
    field: &str,
    f: &Filter,
    group: &SecurityGroup,
    name_of: &dyn Fn(&GroupId) -> Option<String>,
) -> Option<bool> {
    let traffic = rule.traffic();
    let ports = traffic.ports();
    let peer = rule.peer();
    Some(match field {
        "cidr" => matches!(peer, Peer::Ipv4(n) if matches_any(f, &n.to_string())),
        "ipv6-cidr" => matches!(peer, Peer::Ipv6(n) if matches_any(f, &n.to_string())),
        "prefix-list-id" => matches!(peer, Peer::PrefixList(p) if matches_any(f, p.as_str())),
        "protocol" => matches_any(f, &traffic.protocol().aws_name()),
        "from-port" => ports.is_some_and(|(from, _)| matches_any(f, &from.to_string())),
        "to-port" => ports.is_some_and(|(_, to)| matches_any(f, &to.to_string())),
        "group-id" => matches!(peer, Peer::Group(g) if matches_any(f, g.group_id.as_str())),
        "group-name" => match peer {
            Peer::Group(g) => name_of(&g.group_id).is_some_and(|n| matches_any(f, &n)),
            _ => false,
        },
        "user-id" => match peer {
            Peer::Group(g) => matches_any(f, g.owner.as_ref().unwrap_or(&group.owner).as_str()),
            _ => false,
        },
        _ => return None,
    })
}

/// DescribeSecurityGroupRules' filters: `group-id`, `security-group-rule-id`, `tag:<k>`,
/// `tag-key`.
pub fn rule_matches(rule: &Rule, filters: &[Filter]) -> Result<bool, QueryError> {
    for f in filters {
        if let Some(ok) = tag_filter(f, &rule.tags) {
            if !ok {
                return Ok(false);
            }
            continue;
        }
        let ok = match f.name.as_str() {
            "group-id" => matches_any(f, rule.group_id.as_str()),
            "security-group-rule-id" => matches_any(f, rule.id.as_str()),
            _ => return Err(unknown(f)),
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}
