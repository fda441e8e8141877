//! The overview and the searchable lists: VPCs, subnets, interfaces (with their instances)
//! and security groups. The query `q` filters server-side by id, name, tag, description
//! or CIDR text; an IP address also finds the VPCs and subnets containing it and the
//! interfaces holding it.

use std::net::IpAddr;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::html;
use palisade_model::account::AccountState;
use palisade_model::{Eni, SecurityGroup, Subnet, Tag, Vpc};
use serde::Deserialize;

use super::layout::{eni_link, group_link, html_response, name_tag, search, shell, tags};
use super::{failed, matches, signed_in};
use crate::{ConsoleState, backend};

/// Rows a list shows at most; the rest are counted, and the search narrows them.
const MAX_ROWS: usize = 500;

fn more(n: usize) -> maud::Markup {
    html! {
        @if n > MAX_ROWS {
            p.hint.more { (n - MAX_ROWS) " more not shown; narrow the search." }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Search {
    #[serde(default)]
    q: String,
}

/// Reads the session's whole state (a copy) or answers the error page.
pub(crate) async fn state_of(
    state: &ConsoleState,
    headers: &HeaderMap,
) -> Result<(crate::session::Session, AccountState), Response> {
    let session = signed_in(state, headers)?;
    match backend::read(state, session.scope(), AccountState::clone).await {
        Ok(st) => Ok((session, st)),
        Err(e) => Err(failed(&session, &e)),
    }
}

fn tag_texts(tags: &[Tag]) -> impl Iterator<Item = &str> {
    tags.iter().flat_map(|t| [t.key.as_str(), t.value.as_str()])
}

fn vpc_hit(v: &Vpc, q: &str) -> bool {
    if let Ok(ip) = q.trim().parse::<IpAddr>() {
        return v
            .cidrs_v4
            .iter()
            .any(|c| matches!(ip, IpAddr::V4(a) if c.contains(&a)))
            || v.cidrs_v6
                .iter()
                .any(|c| matches!(ip, IpAddr::V6(a) if c.contains(&a)));
    }
    let cidrs: Vec<String> = v
        .cidrs_v4
        .iter()
        .map(ToString::to_string)
        .chain(v.cidrs_v6.iter().map(ToString::to_string))
        .collect();
    let id = v.id.to_string();
    matches(
        q,
        [id.as_str()]
            .into_iter()
            .chain(cidrs.iter().map(String::as_str))
            .chain(tag_texts(&v.tags)),
    )
}

fn subnet_hit(s: &Subnet, q: &str) -> bool {
    if let Ok(ip) = q.trim().parse::<IpAddr>() {
        return match ip {
            IpAddr::V4(a) => s.cidr_v4.is_some_and(|c| c.contains(&a)),
            IpAddr::V6(a) => s.cidr_v6.is_some_and(|c| c.contains(&a)),
        };
    }
    let texts = [
        s.id.to_string(),
        s.vpc_id.to_string(),
        s.cidr_v4.map(|c| c.to_string()).unwrap_or_default(),
        s.cidr_v6.map(|c| c.to_string()).unwrap_or_default(),
        s.availability_zone.clone(),
    ];
    matches(
        q,
        texts.iter().map(String::as_str).chain(tag_texts(&s.tags)),
    )
}

fn eni_hit(e: &Eni, q: &str) -> bool {
    let mut texts = vec![
        e.id.to_string(),
        e.vpc_id.to_string(),
        e.description.clone(),
        e.subnet_id
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        e.instance_id
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
    ];
    texts.extend(e.private_ipv4.iter().map(ToString::to_string));
    texts.extend(e.ipv6.iter().map(ToString::to_string));
    texts.extend(e.public_ipv4.iter().map(ToString::to_string));
    texts.extend(e.groups.iter().map(ToString::to_string));
    if let Ok(ip) = q.trim().parse::<IpAddr>() {
        return texts.iter().any(|t| t.parse::<IpAddr>().ok() == Some(ip));
    }
    matches(
        q,
        texts.iter().map(String::as_str).chain(tag_texts(&e.tags)),
    )
}

fn group_hit(g: &SecurityGroup, q: &str) -> bool {
    let texts = [
        g.id.to_string(),
        g.name.clone(),
        g.description.clone(),
        g.vpc_id.to_string(),
    ];
    let cidrs: Vec<String> = g.rules().iter().map(|r| r.peer().to_string()).collect();
    matches(
        q,
        texts
            .iter()
            .map(String::as_str)
            .chain(cidrs.iter().map(String::as_str))
            .chain(tag_texts(&g.tags)),
    )
}

pub(crate) async fn overview(State(state): State<ConsoleState>, headers: HeaderMap) -> Response {
    let (session, st) = match state_of(&state, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let s = st.snapshot();
    let body = html! {
        h1 { "Overview" }
        div.grid {
            a.card href="/console/vpcs" { strong { (s.vpcs.len()) } " VPCs" }
            a.card href="/console/subnets" { strong { (s.subnets.len()) } " subnets" }
            a.card href="/console/interfaces" { strong { (s.enis.len()) } " interfaces" }
            a.card href="/console/groups" { strong { (s.groups.len()) } " security groups" }
            a.card href="/console/graph" { strong { (s.peerings.len()) } " peerings" " · the references graph" }
            a.card href="/console/audit" { "Audit findings and remediation" }
        }
        p { a.button href="/console/groups/new" { "Create a security group" } }
    };
    html_response(StatusCode::OK, shell("Overview", Some(&session), body))
}

pub(crate) async fn vpcs(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Query(search_q): Query<Search>,
) -> Response {
    let (session, st) = match state_of(&state, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let q = search_q.q.as_str();
    let rows: Vec<&Vpc> = st
        .snapshot()
        .vpcs
        .values()
        .filter(|v| vpc_hit(v, q))
        .collect();
    let body = html! {
        h1 { "VPCs" }
        (search("/console/vpcs", q, "id, name, tag, CIDR or address"))
        table #vpcs {
            thead { tr { th { "VPC" } th { "Name" } th { "IPv4 CIDRs" } th { "IPv6 CIDRs" } th { "Default" } th { "Tags" } } }
            tbody {
                @for v in rows.iter().take(MAX_ROWS) {
                    tr {
                        td { a.id href={ "/console/subnets?q=" (v.id) } { (v.id) } }
                        td { (name_tag(&v.tags)) }
                        td { @for c in &v.cidrs_v4 { code { (c) } " " } }
                        td { @for c in &v.cidrs_v6 { code { (c) } " " } }
                        td { @if v.is_default { "yes" } }
                        td { (tags(&v.tags)) }
                    }
                }
            }
        }
        @if rows.is_empty() { p.hint { "No VPC matches." } }
        (more(rows.len()))
    };
    html_response(StatusCode::OK, shell("VPCs", Some(&session), body))
}

pub(crate) async fn subnets(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Query(search_q): Query<Search>,
) -> Response {
    let (session, st) = match state_of(&state, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let q = search_q.q.as_str();
    let rows: Vec<&Subnet> = st
        .snapshot()
        .subnets
        .values()
        .filter(|s| subnet_hit(s, q))
        .collect();
    let body = html! {
        h1 { "Subnets" }
        (search("/console/subnets", q, "id, VPC, zone, tag, CIDR or address"))
        table #subnets {
            thead { tr { th { "Subnet" } th { "Name" } th { "VPC" } th { "Zone" } th { "IPv4" } th { "IPv6" } th { "Tags" } } }
            tbody {
                @for s in rows.iter().take(MAX_ROWS) {
                    tr {
                        td { a.id href={ "/console/interfaces?q=" (s.id) } { (s.id) } }
                        td { (name_tag(&s.tags)) }
                        td.id { (s.vpc_id) }
                        td { (s.availability_zone) }
                        td { @if let Some(c) = s.cidr_v4 { code { (c) } } }
                        td { @if let Some(c) = s.cidr_v6 { code { (c) } } }
                        td { (tags(&s.tags)) }
                    }
                }
            }
        }
        @if rows.is_empty() { p.hint { "No subnet matches." } }
        (more(rows.len()))
    };
    html_response(StatusCode::OK, shell("Subnets", Some(&session), body))
}

pub(crate) async fn interfaces(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Query(search_q): Query<Search>,
) -> Response {
    let (session, st) = match state_of(&state, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let q = search_q.q.as_str();
    let rows: Vec<&Eni> = st
        .snapshot()
        .enis
        .values()
        .filter(|e| eni_hit(e, q))
        .collect();
    let body = html! {
        h1 { "Network interfaces and instances" }
        (search("/console/interfaces", q, "id, instance, subnet, group, tag or address"))
        table #interfaces {
            thead { tr { th { "Interface" } th { "Name" } th { "Instance" } th { "Subnet" } th { "Private" } th { "Public" } th { "Groups" } th { "Description" } } }
            tbody {
                @for e in rows.iter().take(MAX_ROWS) {
                    tr {
                        td { (eni_link(&e.id)) }
                        td { (name_tag(&e.tags)) }
                        td.id { @if let Some(i) = &e.instance_id { (i) } }
                        td.id { @if let Some(s) = &e.subnet_id { (s) } }
                        td { @for a in &e.private_ipv4 { code { (a) } " " } @for a in &e.ipv6 { code { (a) } " " } }
                        td { @if let Some(a) = e.public_ipv4 { code { (a) } } }
                        td { @for g in &e.groups { (group_link(g)) " " } }
                        td { (e.description) }
                    }
                }
            }
        }
        @if rows.is_empty() { p.hint { "No interface matches." } }
        (more(rows.len()))
    };
    html_response(StatusCode::OK, shell("Interfaces", Some(&session), body))
}

pub(crate) async fn groups(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Query(search_q): Query<Search>,
) -> Response {
    let (session, st) = match state_of(&state, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let q = search_q.q.as_str();
    let rows: Vec<&SecurityGroup> = st
        .snapshot()
        .groups
        .values()
        .filter(|g| group_hit(g, q))
        .collect();
    let body = html! {
        h1 { "Security groups" }
        p { a.button href="/console/groups/new" { "Create a security group" } }
        (search("/console/groups", q, "id, name, description, VPC, tag or peer CIDR"))
        table #groups {
            thead { tr { th { "Group" } th { "Name" } th { "VPC" } th { "Inbound" } th { "Outbound" } th { "Description" } th { "Tags" } } }
            tbody {
                @for g in rows.iter().take(MAX_ROWS) {
                    tr {
                        td { (group_link(&g.id)) }
                        td { (g.name) }
                        td.id { (g.vpc_id) }
                        td { (g.rules_in(palisade_model::Direction::Ingress).count()) }
                        td { (g.rules_in(palisade_model::Direction::Egress).count()) }
                        td { (g.description) }
                        td { (tags(&g.tags)) }
                    }
                }
            }
        }
        @if rows.is_empty() { p.hint { "No security group matches." } }
        (more(rows.len()))
    };
    html_response(
        StatusCode::OK,
        shell("Security groups", Some(&session), body),
    )
}
