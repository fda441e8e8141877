//! A security group's page (its inbound and outbound rules as tables, revoke buttons, the
//! add-rules form with the USE-CASES presets) and the new-group page. Both forms have a
//! Preview step — the same requests run on a copy of the state, and the page shows the
//! difference in rules and reachability (`palisade_analysis::diff`) — and a Save step,
//! which runs them in one store transaction.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use palisade_analysis::diff::{Diff, diff};
use palisade_api::ApiError;
use palisade_model::account::AccountState;
use palisade_model::{Direction, Ec2ErrorCode, GroupId, Rule, SecurityGroup, Traffic};
use serde::Deserialize;

use super::layout::{eni_link, group_link, html_response, shell, tags};
use super::lists::state_of;
use super::rule_form::{buttons, field, form_error, render_preview, rule_fields, select};
use super::{check_csrf, failed, signed_in};
use crate::ConsoleState;
use crate::backend::{self, Ids, timestamp};
use crate::forms::{self, FieldError, RuleForm};
use crate::session::Session;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Saved {
    #[serde(default)]
    saved: Option<String>,
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        Ec2ErrorCode::InvalidGroupNotFound,
        format!("The security group '{id}' does not exist"),
    )
}

fn find<'a>(st: &'a AccountState, id: &str) -> Option<&'a SecurityGroup> {
    st.snapshot()
        .groups
        .values()
        .find(|g| g.id.to_string() == id)
}

pub(crate) async fn page_get(
    state: &ConsoleState,
    headers: &HeaderMap,
    id: &str,
    saved: bool,
) -> Response {
    let (session, st) = match state_of(state, headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(group) = find(&st, id) else {
        return failed(&session, &not_found(id));
    };
    let form = RuleForm {
        preset: "custom".into(),
        protocol: "tcp".into(),
        ..RuleForm::default()
    };
    let banner = saved.then(|| html! { div.ok #saved { "Saved." } });
    render_group(
        &session,
        &st,
        group,
        &form,
        None,
        None,
        banner,
        StatusCode::OK,
    )
}

pub(crate) async fn page(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(saved): Query<Saved>,
) -> Response {
    page_get(&state, &headers, &id, saved.saved.is_some()).await
}

/// The group page; `preview` above the form after a Preview step, `error` next to its field.
#[allow(clippy::too_many_arguments)]
fn render_group(
    session: &Session,
    st: &AccountState,
    g: &SecurityGroup,
    form: &RuleForm,
    preview: Option<&Diff>,
    error: Option<&FieldError>,
    banner: Option<Markup>,
    status: StatusCode,
) -> Response {
    let members: Vec<_> = st.snapshot().members(&g.id).collect();
    let body = html! {
        h1 { "Security group " span.id { (g.id) } " · " (g.name) }
        @if let Some(b) = banner { (b) }
        div.card {
            "VPC " code { (g.vpc_id) } " · owner " code { (g.owner) } " · " (g.description) " " (tags(&g.tags))
            br;
            "Members: "
            @for e in &members { (eni_link(&e.id)) " " }
            @if members.is_empty() { span.hint { "none" } }
        }
        h2 { "Inbound rules" }
        (rules_table(session, g, Direction::Ingress, "inbound"))
        h2 { "Outbound rules" }
        (rules_table(session, g, Direction::Egress, "outbound"))
        h2 #add { "Add rules" }
        @if let Some(d) = preview { (render_preview(d)) }
        form.card #rules-form method="post" action={ "/console/groups/" (g.id) "/rules#add" } {
            input type="hidden" name="csrf" value=(session.csrf);
            (form_error(error))
            (rule_fields(form, error))
            (buttons())
        }
    };
    html_response(
        status,
        shell(&format!("{} ({})", g.name, g.id), Some(session), body),
    )
}

fn protocol_cells(t: Traffic) -> (String, String) {
    let icmp = |m: palisade_model::IcmpMatch| match (m.icmp_type(), m.code()) {
        (None, _) => "all types".to_owned(),
        (Some(t), None) => format!("type {t}, any code"),
        (Some(t), Some(c)) => format!("type {t}, code {c}"),
    };
    match t {
        Traffic::All => ("all".into(), "all".into()),
        Traffic::Tcp(r) => ("tcp".into(), ports(r)),
        Traffic::Udp(r) => ("udp".into(), ports(r)),
        Traffic::Icmp(m) => ("icmp".into(), icmp(m)),
        Traffic::Icmpv6(m) => ("icmpv6".into(), icmp(m)),
        Traffic::Protocol(n) => (n.to_string(), "all".into()),
    }
}

fn ports(r: palisade_model::PortRange) -> String {
    if r.from() == r.to() {
        r.from().to_string()
    } else {
        format!("{}-{}", r.from(), r.to())
    }
}

fn rules_table(session: &Session, g: &SecurityGroup, dir: Direction, id: &str) -> Markup {
    let rules: Vec<&Rule> = g.rules_in(dir).collect();
    let peer_head = match dir {
        Direction::Ingress => "Source",
        Direction::Egress => "Destination",
    };
    html! {
        table id={ (id) "-rules" } {
            thead { tr { th { "Rule" } th { "Protocol" } th { "Ports / ICMP type and code" } th { (peer_head) } th { "Description" } th {} } }
            tbody {
                @for r in &rules {
                    @let (proto, ports) = protocol_cells(r.traffic());
                    tr id=(r.id) {
                        td.id { (r.id) }
                        td { (proto) }
                        td { (ports) }
                        td { code { (r.peer()) } }
                        td { (r.description.as_deref().unwrap_or("")) }
                        td {
                            form method="post" action={ "/console/groups/" (g.id) "/revoke" } {
                                input type="hidden" name="csrf" value=(session.csrf);
                                input type="hidden" name="direction" value=(dir);
                                input type="hidden" name="rule" value=(r.id);
                                button.danger type="submit" { "Revoke" }
                            }
                        }
                    }
                }
            }
        }
        @if rules.is_empty() { p.hint { "No " (id) " rules." } }
    }
}

/// Runs `apply` on a copy of the state: the diff, or the error.
async fn preview_with(
    state: &ConsoleState,
    session: &Session,
    apply: impl FnOnce(&mut AccountState, &mut Ids) -> Result<(), FieldError> + Send + 'static,
) -> Result<(AccountState, Result<Diff, FieldError>), ApiError> {
    let now = state.now();
    backend::read(state, session.scope(), move |st| {
        let mut copy = st.clone();
        let mut ids = Ids::at(now);
        let res = apply(&mut copy, &mut ids).map(|()| diff(st.snapshot(), copy.snapshot()));
        (st.clone(), res)
    })
    .await
}

pub(crate) async fn rules_submit(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<RuleForm>,
) -> Response {
    let session = match signed_in(&state, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&session, &form.csrf) {
        return r;
    }
    let Ok(group_id) = id.parse::<GroupId>() else {
        return failed(&session, &not_found(&id));
    };
    let at = timestamp(state.now());
    if form.step == "save" {
        let (f, g) = (form.clone(), group_id.clone());
        let saved = backend::write(&state, session.scope(), move |st, ids| {
            if !st.snapshot().groups.contains_key(&g) {
                return Err(FieldError::from(not_found(g.as_ref())));
            }
            forms::apply_rules(st, ids, &f, &g, at)
        })
        .await;
        return match saved {
            Ok(()) => Redirect::to(&format!("/console/groups/{group_id}?saved=1")).into_response(),
            Err(e) => show(&state, &session, &id, &form, None, Some(&e)).await,
        };
    }
    let (f, g) = (form.clone(), group_id.clone());
    let previewed = preview_with(&state, &session, move |st, ids| {
        forms::apply_rules(st, ids, &f, &g, at)
    })
    .await;
    match previewed {
        Ok((st, Ok(d))) => render_found(&session, &st, &id, &form, Some(&d), None),
        Ok((st, Err(e))) => render_found(&session, &st, &id, &form, None, Some(&e)),
        Err(e) => failed(&session, &e),
    }
}

async fn show(
    state: &ConsoleState,
    session: &Session,
    id: &str,
    form: &RuleForm,
    preview: Option<&Diff>,
    error: Option<&FieldError>,
) -> Response {
    match backend::read(state, session.scope(), AccountState::clone).await {
        Ok(st) => render_found(session, &st, id, form, preview, error),
        Err(e) => failed(session, &e),
    }
}

fn render_found(
    session: &Session,
    st: &AccountState,
    id: &str,
    form: &RuleForm,
    preview: Option<&Diff>,
    error: Option<&FieldError>,
) -> Response {
    let Some(g) = find(st, id) else {
        return failed(session, &not_found(id));
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render_group(session, st, g, form, preview, error, None, status)
}

#[derive(Debug, Deserialize)]
pub(crate) struct RevokeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    direction: String,
    #[serde(default)]
    rule: String,
    /// `preview` (the table's button) or `save` (the confirmation).
    #[serde(default)]
    step: String,
}

pub(crate) async fn revoke(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<RevokeForm>,
) -> Response {
    let session = match signed_in(&state, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&session, &form.csrf) {
        return r;
    }
    let Ok(group_id) = id.parse::<GroupId>() else {
        return failed(&session, &not_found(&id));
    };
    let direction = if form.direction == "egress" {
        Direction::Egress
    } else {
        Direction::Ingress
    };
    let at = timestamp(state.now());
    let (g, rule) = (group_id.clone(), form.rule.clone());
    if form.step != "save" {
        let previewed = preview_with(&state, &session, move |st, ids| {
            forms::revoke(st, ids, &g, direction, &rule, at).map_err(FieldError::from)
        })
        .await;
        return match previewed {
            Ok((st, Ok(d))) => {
                let confirm = html! {
                    (render_preview(&d))
                    form #revoke-confirm method="post" action={ "/console/groups/" (group_id) "/revoke" } {
                        input type="hidden" name="csrf" value=(session.csrf);
                        input type="hidden" name="direction" value=(direction);
                        input type="hidden" name="rule" value=(form.rule);
                        input type="hidden" name="step" value="save";
                        button.danger #confirm-revoke type="submit" { "Revoke " (form.rule) }
                        " " a href={ "/console/groups/" (group_id) } { "Cancel" }
                    }
                };
                let Some(group) = find(&st, &id) else {
                    return failed(&session, &not_found(&id));
                };
                let blank = RuleForm {
                    preset: "custom".into(),
                    ..RuleForm::default()
                };
                render_group(
                    &session,
                    &st,
                    group,
                    &blank,
                    None,
                    None,
                    Some(confirm),
                    StatusCode::OK,
                )
            }
            Ok((_, Err(e))) => super::layout::error_page(
                Some(&session),
                StatusCode::BAD_REQUEST,
                &e.code,
                &e.message,
            ),
            Err(e) => failed(&session, &e),
        };
    }
    let res = backend::write(&state, session.scope(), move |st, ids| {
        forms::revoke(st, ids, &g, direction, &rule, at)
    })
    .await;
    match res {
        Ok(()) => Redirect::to(&format!("/console/groups/{group_id}?saved=1")).into_response(),
        Err(e) => failed(&session, &e),
    }
}

pub(crate) async fn new_form(State(state): State<ConsoleState>, headers: HeaderMap) -> Response {
    let (session, st) = match state_of(&state, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let vpc = st
        .snapshot()
        .vpcs
        .values()
        .find(|v| v.is_default)
        .map(|v| v.id.to_string())
        .unwrap_or_default();
    let form = RuleForm {
        preset: "web".into(),
        vpc,
        ..RuleForm::default()
    };
    render_new(&session, &st, &form, None, None, StatusCode::OK)
}

fn render_new(
    session: &Session,
    st: &AccountState,
    form: &RuleForm,
    preview: Option<&Diff>,
    error: Option<&FieldError>,
    status: StatusCode,
) -> Response {
    let s = st.snapshot();
    let vpcs: Vec<(String, String)> = s
        .vpcs
        .values()
        .map(|v| {
            let cidrs: Vec<String> = v.cidrs_v4.iter().map(ToString::to_string).collect();
            (
                v.id.to_string(),
                format!(
                    "{} {}{}",
                    v.id,
                    cidrs.join(" "),
                    if v.is_default { " (default)" } else { "" }
                ),
            )
        })
        .collect();
    let mut enis = vec![(String::new(), "(none)".to_owned())];
    enis.extend(s.enis.values().map(|e| {
        let groups: Vec<String> = e.groups.iter().map(ToString::to_string).collect();
        (
            e.id.to_string(),
            format!("{} in {} ({})", e.id, e.vpc_id, groups.join(", ")),
        )
    }));
    let body = html! {
        h1 { "Create a security group" }
        @if let Some(d) = preview { (render_preview(d)) }
        form.card #new-group method="post" action="/console/groups/new" {
            input type="hidden" name="csrf" value=(session.csrf);
            (form_error(error))
            div.grid {
                (field("Name", "name", &form.name, error, ""))
                (field("Description", "group_description", &form.group_description, error, ""))
                (select("VPC", "vpc", &form.vpc, &vpcs, error))
                (select("Attach to interface", "attach", &form.attach, &enis, error))
            }
            h2 { "Rules" }
            (rule_fields(form, error))
            (buttons())
        }
        p { "Existing groups: " @for g in s.groups.values().take(20) { (group_link(&g.id)) " " } }
    };
    html_response(
        status,
        shell("Create a security group", Some(session), body),
    )
}

pub(crate) async fn new_submit(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Form(form): Form<RuleForm>,
) -> Response {
    let session = match signed_in(&state, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&session, &form.csrf) {
        return r;
    }
    let at = timestamp(state.now());
    if form.step == "save" {
        let f = form.clone();
        let saved = backend::write(&state, session.scope(), move |st, ids| {
            forms::apply_new(st, ids, &f, at)
        })
        .await;
        return match saved {
            Ok(id) => Redirect::to(&format!("/console/groups/{id}?saved=1")).into_response(),
            Err(e) => match backend::read(&state, session.scope(), AccountState::clone).await {
                Ok(st) => render_new(
                    &session,
                    &st,
                    &form,
                    None,
                    Some(&e),
                    StatusCode::BAD_REQUEST,
                ),
                Err(e) => failed(&session, &e),
            },
        };
    }
    let f = form.clone();
    let previewed = preview_with(&state, &session, move |st, ids| {
        forms::apply_new(st, ids, &f, at).map(|_| ())
    })
    .await;
    match previewed {
        Ok((st, Ok(d))) => render_new(&session, &st, &form, Some(&d), None, StatusCode::OK),
        Ok((st, Err(e))) => render_new(
            &session,
            &st,
            &form,
            None,
            Some(&e),
            StatusCode::BAD_REQUEST,
        ),
        Err(e) => failed(&session, &e),
    }
}
