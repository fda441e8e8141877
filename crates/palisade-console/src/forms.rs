//! The group forms as typed requests: a new group (`CreateSecurityGroup`, then its rules,
//! then optionally `ModifyNetworkInterfaceAttribute` to attach it), and rules added to a
//! group, custom or from a USE-CASES preset (`palisade_model::presets`).
//!
//! Custom rules and the group itself are built as the Query parameters an EC2 client
//! would send and decoded by `palisade_ec2::wire::decode`, so a bad value meets exactly the
//! API's error; preset parameters go through the model's parsers, which the API's decoder
//! uses too. Every error is attributed to the form field that caused it.

use palisade_api::ApiError;
use palisade_ec2::query::Params;
use palisade_ec2::wire;
use palisade_model::account::AccountState;
use palisade_model::account::ops::{Request, Response};
use palisade_model::{Direction, GroupId, IdGen, Timestamp};
use serde::Deserialize;

mod presets;

/// Every field of the group and rule forms (absent fields are empty).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub(crate) struct RuleForm {
    pub csrf: String,
    /// `preview` or `save`.
    pub step: String,
    pub name: String,
    pub group_description: String,
    pub vpc: String,
    pub attach: String,
    pub preset: String,
    pub direction: String,
    pub protocol: String,
    pub from_port: String,
    pub to_port: String,
    pub source: String,
    pub description: String,
    pub engine: String,
    pub ipv6: Option<String>,
    pub scheme: String,
    pub listener_port: String,
    pub instance_port: String,
    pub health_check_port: String,
    pub peer_vpc: String,
    pub peering: String,
    pub owner: String,
}

/// An error answered for a form: EC2's code and message, and the field it belongs to
/// (`None`: the form as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub field: Option<&'static str>,
    pub code: String,
    pub message: String,
}

impl FieldError {
    fn at(field: Option<&'static str>, e: &ApiError) -> Self {
        Self {
            field,
            code: e.code().to_owned(),
            message: e.message().to_owned(),
        }
    }
}

impl From<ApiError> for FieldError {
    fn from(e: ApiError) -> Self {
        Self::at(None, &e)
    }
}

/// A form field, its value and the Query parameter names that stand for it.
struct Field<'a> {
    name: &'static str,
    value: &'a str,
    params: &'static [&'static str],
}

/// The field an error is about: the one whose value the message quotes, else the one whose
/// parameter it names, else the one whose value it contains, else (by code) the field that
/// names the missing resource.
fn attribute(fields: &[Field<'_>], e: &ApiError) -> Option<&'static str> {
    let msg = e.message();
    let quoted = fields.iter().find(|f| {
        !f.value.trim().is_empty()
            && (msg.contains(&format!("'{}'", f.value.trim()))
                || msg.contains(&format!("\"{}\"", f.value.trim())))
    });
    if let Some(f) = quoted {
        return Some(f.name);
    }
    let named = fields
        .iter()
        .find(|f| f.params.iter().any(|p| msg.contains(p)));
    if let Some(f) = named {
        return Some(f.name);
    }
    // Unquoted ("CIDR block 10.0.0.0/33 is malformed"): the longest value the message
    // contains, ignoring values too short to say anything.
    let contained = fields
        .iter()
        .filter(|f| f.value.trim().len() >= 3 && msg.contains(f.value.trim()))
        .max_by_key(|f| f.value.trim().len());
    if let Some(f) = contained {
        return Some(f.name);
    }
    let by_code: &[(&str, &'static str)] = &[
        ("InvalidGroup.Duplicate", "name"),
        ("InvalidVpcID", "vpc"),
        ("InvalidNetworkInterfaceID", "attach"),
        ("InvalidGroup.NotFound", "source"),
        ("InvalidGroupId", "source"),
        ("InvalidPrefixListID", "source"),
    ];
    let code = e.code();
    by_code
        .iter()
        .find(|(prefix, _)| code.starts_with(prefix))
        .map(|(_, field)| *field)
        .filter(|field| fields.iter().any(|f| f.name == *field))
}

fn fail(fields: &[Field<'_>], e: impl Into<ApiError>) -> FieldError {
    let e = e.into();
    FieldError::at(attribute(fields, &e), &e)
}

fn run(
    st: &mut AccountState,
    ids: &mut dyn IdGen,
    request: Request,
    at: Timestamp,
) -> Result<Response, ApiError> {
    Ok(st.execute(request.at(at), ids)?)
}

fn decode(action: &str, pairs: Vec<(String, String)>) -> Result<Request, ApiError> {
    let params = Params::from_pairs(pairs);
    wire::decode(action, &params)?
        .ok_or_else(|| ApiError::internal(format!("no decoder for {action}")))
}

/// Creates the group of the new-group form, adds its rules and attaches it; the new id.
pub(crate) fn apply_new(
    st: &mut AccountState,
    ids: &mut dyn IdGen,
    form: &RuleForm,
    at: Timestamp,
) -> Result<GroupId, FieldError> {
    let fields = [
        Field {
            name: "name",
            value: &form.name,
            params: &["GroupName"],
        },
        Field {
            name: "group_description",
            value: &form.group_description,
            params: &["GroupDescription"],
        },
        Field {
            name: "vpc",
            value: &form.vpc,
            params: &["VpcId"],
        },
    ];
    let mut pairs = Vec::new();
    for (param, value) in [
        ("GroupName", &form.name),
        ("GroupDescription", &form.group_description),
        ("VpcId", &form.vpc),
    ] {
        if !value.trim().is_empty() {
            pairs.push((param.to_owned(), value.trim().to_owned()));
        }
    }
    let request = decode("CreateSecurityGroup", pairs).map_err(|e| fail(&fields, e))?;
    let Response::GroupCreated { id, .. } =
        run(st, ids, request, at).map_err(|e| fail(&fields, e))?
    else {
        return Err(ApiError::internal("CreateSecurityGroup answered no group").into());
    };
    if !form.preset.is_empty() && form.preset != "none" {
        apply_rules(st, ids, form, &id, at)?;
    }
    if !form.attach.trim().is_empty() {
        attach(st, ids, &form.attach, &id, at)?;
    }
    Ok(id)
}

/// Adds `group` to an interface's groups (`ModifyNetworkInterfaceAttribute`).
fn attach(
    st: &mut AccountState,
    ids: &mut dyn IdGen,
    eni: &str,
    group: &GroupId,
    at: Timestamp,
) -> Result<(), FieldError> {
    let fields = [Field {
        name: "attach",
        value: eni,
        params: &["NetworkInterfaceId"],
    }];
    let eni = eni.trim();
    let current: Vec<String> = st
        .snapshot()
        .enis
        .values()
        .find(|e| e.id.to_string() == eni)
        .map(|e| e.groups.iter().map(ToString::to_string).collect())
        .unwrap_or_default();
    let mut pairs = vec![("NetworkInterfaceId".to_owned(), eni.to_owned())];
    for (i, g) in current.iter().chain([&group.to_string()]).enumerate() {
        pairs.push((format!("SecurityGroupId.{}", i + 1), g.clone()));
    }
    let request = decode("ModifyNetworkInterfaceAttribute", pairs).map_err(|e| fail(&fields, e))?;
    run(st, ids, request, at).map_err(|e| fail(&fields, e))?;
    Ok(())
}

/// Adds the rules of the form (custom or a preset) to `group`.
pub(crate) fn apply_rules(
    st: &mut AccountState,
    ids: &mut dyn IdGen,
    form: &RuleForm,
    group: &GroupId,
    at: Timestamp,
) -> Result<(), FieldError> {
    let fields = rule_fields(form);
    let requests = match form.preset.as_str() {
        "" | "custom" => vec![custom(form, group).map_err(|e| fail(&fields, e))?],
        _ => presets::preset_requests(st, form, group, &fields)?,
    };
    for request in requests {
        run(st, ids, request, at).map_err(|e| fail(&fields, e))?;
    }
    Ok(())
}

fn rule_fields(form: &RuleForm) -> Vec<Field<'_>> {
    vec![
        Field {
            name: "source",
            value: &form.source,
            params: &["CidrIp", "CidrIpv6", "PrefixListId", "Groups", "source"],
        },
        Field {
            name: "from_port",
            value: &form.from_port,
            params: &["FromPort", "(from)"],
        },
        Field {
            name: "to_port",
            value: &form.to_port,
            params: &["ToPort", "(to)"],
        },
        Field {
            name: "protocol",
            value: &form.protocol,
            params: &["IpProtocol", "protocol"],
        },
        Field {
            name: "description",
            value: &form.description,
            params: &["Description", "description"],
        },
        Field {
            name: "engine",
            value: &form.engine,
            params: &["engine"],
        },
        Field {
            name: "listener_port",
            value: &form.listener_port,
            params: &["listener port"],
        },
        Field {
            name: "instance_port",
            value: &form.instance_port,
            params: &["instance port"],
        },
        Field {
            name: "health_check_port",
            value: &form.health_check_port,
            params: &["health-check port"],
        },
        Field {
            name: "peer_vpc",
            value: &form.peer_vpc,
            params: &["VPC id", "VpcId"],
        },
        Field {
            name: "peering",
            value: &form.peering,
            params: &["peering connection", "VpcPeeringConnectionId"],
        },
        Field {
            name: "owner",
            value: &form.owner,
            params: &["UserId", "owner"],
        },
    ]
}

fn direction(form: &RuleForm) -> Direction {
    match form.direction.as_str() {
        "egress" => Direction::Egress,
        _ => Direction::Ingress,
    }
}

/// A custom rule as `Authorize­SecurityGroup{Ingress,Egress}`'s Query parameters.
fn custom(form: &RuleForm, group: &GroupId) -> Result<Request, ApiError> {
    let action = match direction(form) {
        Direction::Ingress => "AuthorizeSecurityGroupIngress",
        Direction::Egress => "AuthorizeSecurityGroupEgress",
    };
    let p = "IpPermissions.1";
    let mut pairs = vec![("GroupId".to_owned(), group.to_string())];
    let mut put = |name: String, value: &str| {
        if !value.trim().is_empty() {
            pairs.push((name, value.trim().to_owned()));
        }
    };
    put(format!("{p}.IpProtocol"), &form.protocol);
    put(format!("{p}.FromPort"), &form.from_port);
    put(format!("{p}.ToPort"), &form.to_port);
    let source = form.source.trim();
    let member = if source.starts_with("sg-") {
        format!("{p}.Groups.1")
    } else if source.starts_with("pl-") {
        format!("{p}.PrefixListIds.1")
    } else if source.contains(':') {
        format!("{p}.Ipv6Ranges.1")
    } else {
        format!("{p}.IpRanges.1")
    };
    let key = if source.starts_with("sg-") {
        "GroupId"
    } else if source.starts_with("pl-") {
        "PrefixListId"
    } else if source.contains(':') {
        "CidrIpv6"
    } else {
        "CidrIp"
    };
    put(format!("{member}.{key}"), source);
    if !source.is_empty() {
        put(format!("{member}.Description"), &form.description);
    }
    decode(action, pairs)
}

/// Revokes one rule by id.
pub(crate) fn revoke(
    st: &mut AccountState,
    ids: &mut dyn IdGen,
    group: &GroupId,
    direction: Direction,
    rule: &str,
    at: Timestamp,
) -> Result<(), ApiError> {
    let action = match direction {
        Direction::Ingress => "RevokeSecurityGroupIngress",
        Direction::Egress => "RevokeSecurityGroupEgress",
    };
    let request = decode(
        action,
        vec![
            ("GroupId".to_owned(), group.to_string()),
            ("SecurityGroupRuleId.1".to_owned(), rule.trim().to_owned()),
        ],
    )?;
    run(st, ids, request, at)?;
    Ok(())
}
