//! An interface's page: its effective rules (the union of its groups' rules, each linked to
//! its group's row), its exposure from the internet (`palisade_analysis::exposure`: open
//! runs, then latent ones with the missing link of the path) and from each security group
//! of the account (`palisade_analysis::reach` from the group's members), every line linked
//! to the rules that cause it.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{Markup, html};
use palisade_analysis::space::describe_keys;
use palisade_analysis::{Endpoint, ExposedRun, Index, exposure, reach};
use palisade_api::ApiError;
use palisade_model::{AddressFamily, Direction, Ec2ErrorCode, Eni};

use super::failed;
use super::layout::{group_link, html_response, name_tag, rule_link, shell, tags};
use super::lists::state_of;
use crate::ConsoleState;

fn family(f: AddressFamily) -> &'static str {
    match f {
        AddressFamily::Ipv4 => "IPv4",
        AddressFamily::Ipv6 => "IPv6",
    }
}

pub(crate) async fn page_handler(state: &ConsoleState, headers: &HeaderMap, id: &str) -> Response {
    let (session, st) = match state_of(state, headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let snapshot = st.snapshot();
    let Some(eni) = snapshot.enis.values().find(|e| e.id.to_string() == id) else {
        let e = ApiError::new(
            Ec2ErrorCode::InvalidNetworkInterfaceIdNotFound,
            format!("The networkInterface ID '{id}' does not exist"),
        );
        return failed(&session, &e);
    };
    let index = Index::new(snapshot);
    let body = html! {
        h1 { "Interface " span.id { (eni.id) } " " (name_tag(&eni.tags)) }
        div.card {
            "VPC " code { (eni.vpc_id) }
            @if let Some(s) = &eni.subnet_id { " · subnet " code { (s) } }
            @if let Some(i) = &eni.instance_id { " · instance " code { (i) } }
            " · addresses " @for a in &eni.private_ipv4 { code { (a) } " " } @for a in &eni.ipv6 { code { (a) } " " }
            @if let Some(p) = eni.public_ipv4 { " · public " code { (p) } }
            br; "Groups: " @for g in &eni.groups { (group_link(g)) " " } (tags(&eni.tags))
        }
        h2 { "Effective rules (union of its groups)" }
        (effective(&index, eni))
        h2 { "Exposure from the internet" }
        (internet(&index, eni))
        h2 { "Exposure from each security group" }
        (from_groups(&index, eni))
    };
    html_response(
        StatusCode::OK,
        shell(&format!("Interface {}", eni.id), Some(&session), body),
    )
}

pub(crate) async fn page(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    page_handler(&state, &headers, &id).await
}

fn effective(index: &Index<'_>, eni: &Eni) -> Markup {
    html! {
        table #effective-rules {
            thead { tr { th { "Direction" } th { "Traffic" } th { "Peer" } th { "Description" } th { "Rule" } } }
            tbody {
                @for dir in [Direction::Ingress, Direction::Egress] {
                    @for i in index.interface_rules(&eni.id, dir) {
                        @let ri = &index.rules[i];
                        tr {
                            td { (if dir == Direction::Ingress { "inbound" } else { "outbound" }) }
                            td { (describe_keys(ri.keys.0, ri.keys.1).join(", ")) }
                            td { code { (ri.rule.peer()) } }
                            td { (ri.rule.description.as_deref().unwrap_or("")) }
                            td { (rule_link(&ri.group.id, &ri.rule.id)) }
                        }
                    }
                }
            }
        }
    }
}

fn run_rows(runs: &[ExposedRun], latent: bool, eni: &Eni, index: &Index<'_>) -> Markup {
    html! {
        @for run in runs {
            tr.gain[!latent] {
                td { (describe_keys(run.keys.0, run.keys.1).join(", ")) }
                td { (family(run.family)) }
                td { @if run.world_open { "the whole internet" } @else { (run.sources.describe(4)) } }
                td {
                    @if latent {
                        @if let Some(p) = index.path(&eni.id, run.family) { (p) } @else { "latent" }
                    } @else { "open" }
                }
                td { @for m in &run.rules { (rule_link(&m.group_id, &m.rule_id)) " " } }
            }
        }
    }
}

fn internet(index: &Index<'_>, eni: &Eni) -> Markup {
    let all = exposure(index);
    let mine = all.iter().find(|x| x.eni == eni.id);
    html! {
        @match mine {
            Some(x) if !x.runs.is_empty() || !x.latent.is_empty() => {
                p { "Risk score " strong #risk { (x.risk) } }
                table #internet-exposure {
                    thead { tr { th { "Traffic" } th { "Family" } th { "From" } th { "Path" } th { "Because of" } } }
                    tbody {
                        (run_rows(&x.runs, false, eni, index))
                        (run_rows(&x.latent, true, eni, index))
                    }
                }
            }
            _ => { p #internet-exposure.hint { "Nothing on the internet can reach this interface." } }
        }
    }
}

/// Merges touching key intervals: `[(0, 79), (80, 80)]` is `[(0, 80)]`.
fn merged(mut runs: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    runs.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::new();
    for (lo, hi) in runs {
        match out.last_mut() {
            Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

/// Per group: every rule of this interface admitting traffic from the group's members,
/// with the traffic it admits from them.
fn from_groups(index: &Index<'_>, eni: &Eni) -> Markup {
    let dst = Endpoint::Interface(eni.id.clone());
    let mut rows = Vec::new();
    for g in index.snapshot.groups.values() {
        let Ok(r) = reach(index, &Endpoint::Group(g.id.clone()), &dst) else {
            continue;
        };
        let mut by_rule: BTreeMap<(String, String), Vec<(u32, u32)>> = BTreeMap::new();
        for flow in &r.flows {
            for m in &flow.ingress {
                by_rule
                    .entry((m.group_id.to_string(), m.rule_id.to_string()))
                    .or_default()
                    .push(flow.keys);
            }
        }
        let by_rule: BTreeMap<_, BTreeSet<String>> = by_rule
            .into_iter()
            .map(|(rule, runs)| {
                let what = merged(runs)
                    .into_iter()
                    .flat_map(|(lo, hi)| describe_keys(lo, hi))
                    .collect();
                (rule, what)
            })
            .collect();
        rows.push((g, by_rule));
    }
    html! {
        table #group-exposure {
            thead { tr { th { "From members of" } th { "Traffic" } th { "Because of" } } }
            tbody {
                @for (g, by_rule) in &rows {
                    @if by_rule.is_empty() {
                        tr { td { (group_link(&g.id)) " " (g.name) } td.hint { "nothing" } td {} }
                    }
                    @for ((gid, rid), what) in by_rule {
                        tr {
                            td { (group_link(&g.id)) " " (g.name) }
                            td { (what.iter().cloned().collect::<Vec<_>>().join(", ")) }
                            td { (rule_link(gid, rid)) }
                        }
                    }
                }
            }
        }
        @if rows.is_empty() { p.hint { "No group has member interfaces." } }
    }
}
