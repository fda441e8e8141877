//! The USE-CASES presets of the rule form: its parameters parsed with the model's parsers
//! (the ones the API's decoder uses), the preset's rules built by
//! `palisade_model::presets`, and one `AuthorizeSecurityGroup` request per direction.

use palisade_api::ApiError;
use palisade_model::account::AccountState;
use palisade_model::account::ops::{DraftPeer, Request, RuleDraft};
use palisade_model::presets::{self, DbEngine, ElbParams, ElbScheme};
use palisade_model::{Direction, GroupId, GroupRef, NewRule, Peer, Traffic};

use super::{Field, FieldError, RuleForm, direction, fail};

fn invalid(what: &str, value: &str) -> ApiError {
    ApiError::new(
        palisade_model::Ec2ErrorCode::InvalidParameterValue,
        format!("Invalid value '{value}' for {what}"),
    )
}

fn port(what: &str, value: &str, default: Option<u16>) -> Result<u16, ApiError> {
    match (value.trim(), default) {
        ("", Some(d)) => Ok(d),
        (v, _) => v.parse().map_err(|_| invalid(what, v)),
    }
}

/// The preset's peer: a group id (`sg-…`), else a CIDR.
fn peer(value: &str) -> Result<Peer, ApiError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ApiError::new(
            palisade_model::Ec2ErrorCode::MissingParameter,
            "The preset needs a source: a CIDR or a security group id (sg-…)",
        ));
    }
    if v.starts_with("sg-") {
        return Ok(Peer::Group(GroupRef::same_account(v.parse()?)));
    }
    Ok(Peer::parse_cidr(v)?)
}

fn group_id(value: &str) -> Result<GroupId, ApiError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ApiError::new(
            palisade_model::Ec2ErrorCode::MissingParameter,
            "The preset needs a security group id (sg-…) as its source",
        ));
    }
    Ok(v.parse()?)
}

pub(super) fn preset_requests(
    st: &AccountState,
    form: &RuleForm,
    group: &GroupId,
    fields: &[Field<'_>],
) -> Result<Vec<Request>, FieldError> {
    let at = |field: &'static str| move |e: ApiError| FieldError::at(Some(field), &e);
    let ipv6 = form.ipv6.is_some();
    let rules: Vec<NewRule> = match form.preset.as_str() {
        "web" => presets::web(ipv6),
        "database" => {
            let engine = DbEngine::parse(&form.engine)
                .map_err(ApiError::from)
                .map_err(at("engine"))?;
            presets::database(engine, &peer(&form.source).map_err(at("source"))?)
        }
        "database-egress" => presets::database_egress_updates(ipv6),
        "ssh" => presets::ssh(&peer(&form.source).map_err(at("source"))?),
        "rdp" => presets::rdp(&peer(&form.source).map_err(at("source"))?),
        "same-group" if form.source.trim().is_empty() => presets::same_group(group),
        "same-group" => presets::same_subnet(&peer(&form.source).map_err(at("source"))?),
        "ping" => presets::ping(&peer(&form.source).map_err(at("source"))?)
            .map_err(ApiError::from)
            .map_err(at("source"))?,
        "ping6" => presets::ping6(&peer(&form.source).map_err(at("source"))?)
            .map_err(ApiError::from)
            .map_err(at("source"))?,
        "dns" => presets::dns(&peer(&form.source).map_err(at("source"))?),
        "efs" => presets::efs(&GroupRef::same_account(
            group_id(&form.source).map_err(at("source"))?,
        )),
        "efs-client" => presets::efs_client(&peer(&form.source).map_err(at("source"))?),
        "elb" => {
            let instance_port =
                port("instance port", &form.instance_port, None).map_err(at("instance_port"))?;
            let scheme = match form.scheme.as_str() {
                "internal" => {
                    let vpc_cidr = st
                        .snapshot()
                        .groups
                        .get(group)
                        .and_then(|g| st.snapshot().vpcs.get(&g.vpc_id))
                        .and_then(|v| v.cidrs_v4.first().copied())
                        .ok_or_else(|| invalid("scheme", "internal"))
                        .map_err(at("scheme"))?;
                    ElbScheme::Internal { vpc_cidr }
                }
                _ => ElbScheme::InternetFacing,
            };
            presets::elb_load_balancer(&ElbParams {
                scheme,
                listener_port: port("listener port", &form.listener_port, None)
                    .map_err(at("listener_port"))?,
                instance_port,
                health_check_port: port(
                    "health-check port",
                    &form.health_check_port,
                    Some(instance_port),
                )
                .map_err(at("health_check_port"))?,
                instances: group_id(&form.source).map_err(at("source"))?,
            })
        }
        "elb-instances" => {
            let instance_port =
                port("instance port", &form.instance_port, None).map_err(at("instance_port"))?;
            presets::elb_instances(
                instance_port,
                port(
                    "health-check port",
                    &form.health_check_port,
                    Some(instance_port),
                )
                .map_err(at("health_check_port"))?,
                &group_id(&form.source).map_err(at("source"))?,
            )
        }
        "peered-group" => {
            let traffic = traffic(form).map_err(|e| fail(fields, e))?;
            let mut gref = GroupRef::same_account(group_id(&form.source).map_err(at("source"))?);
            gref.vpc_id = opt_id(&form.peer_vpc).map_err(at("peer_vpc"))?;
            gref.peering_id = opt_id(&form.peering).map_err(at("peering"))?;
            gref.owner = opt_id(&form.owner).map_err(at("owner"))?;
            presets::peered_group(direction(form), traffic, &gref)
                .map_err(ApiError::from)
                .map_err(|e| {
                    let field = if gref.vpc_id.is_none() {
                        "peer_vpc"
                    } else {
                        "peering"
                    };
                    FieldError::at(Some(field), &e)
                })?
        }
        other => {
            return Err(FieldError::at(Some("preset"), &invalid("preset", other)));
        }
    };
    Ok(requests(group, rules))
}

fn opt_id<T: std::str::FromStr>(value: &str) -> Result<Option<T>, ApiError>
where
    ApiError: From<T::Err>,
{
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    Ok(Some(v.parse()?))
}

/// The form's protocol and ports as the API reads `IpProtocol`, `FromPort`, `ToPort`.
fn traffic(form: &RuleForm) -> Result<Traffic, ApiError> {
    let num = |name: &str, v: &str| -> Result<Option<i64>, ApiError> {
        match v.trim() {
            "" => Ok(None),
            s => s.parse().map(Some).map_err(|_| invalid(name, s)),
        }
    };
    let protocol = match form.protocol.trim() {
        "" => "-1",
        p => p,
    };
    Ok(Traffic::parse(
        protocol,
        num("FromPort", &form.from_port)?,
        num("ToPort", &form.to_port)?,
    )?)
}

/// One `AuthorizeSecurityGroup` request per direction the rules use.
fn requests(group: &GroupId, rules: Vec<NewRule>) -> Vec<Request> {
    let mut out = Vec::new();
    for dir in [Direction::Ingress, Direction::Egress] {
        let drafts: Vec<RuleDraft> = rules
            .iter()
            .filter(|r| r.spec.direction == dir)
            .map(|r| RuleDraft {
                direction: dir,
                traffic: r.spec.traffic,
                peer: DraftPeer::Peer(r.spec.peer.clone()),
                description: r.description.clone(),
            })
            .collect();
        if drafts.is_empty() {
            continue;
        }
        out.push(Request::AuthorizeSecurityGroup {
            direction: dir,
            group: palisade_model::account::GroupSelector::Id(group.clone()),
            rules: drafts,
            tags: Vec::new(),
        });
    }
    out
}
