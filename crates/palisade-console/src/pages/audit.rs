//! The audit page: `palisade_analysis::audit` with the standard checks over the session's
//! state, every finding with its severity, the resource and rules it is about (linked) and
//! the check's remediation text.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::html;
use palisade_analysis::{AuditConfig, Index, Resource, audit};

use super::layout::{eni_link, group_link, html_response, rule_link, shell};
use super::lists::state_of;
use crate::ConsoleState;

pub(crate) async fn page(State(state): State<ConsoleState>, headers: HeaderMap) -> Response {
    let (session, st) = match state_of(&state, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let index = Index::new(st.snapshot());
    let findings = audit(&index, &AuditConfig::standard());
    let body = html! {
        h1 { "Audit findings" }
        p.hint { (findings.len()) " finding(s), standard checks." }
        table #findings {
            thead { tr { th { "Severity" } th { "Check" } th { "Resource" } th { "Finding" } th { "Rules" } th { "Remediation" } } }
            tbody {
                @for f in &findings {
                    tr {
                        td class={ "sev-" (f.severity.as_str()) } { (f.severity) }
                        td { code { (f.check) } br; span.hint { (f.check.title()) } }
                        td {
                            @match &f.resource {
                                Resource::Group(g) => (group_link(g)),
                                Resource::Interface(e) => (eni_link(e)),
                            }
                        }
                        td { (f.message) }
                        td { @for m in &f.rules { (rule_link(&m.group_id, &m.rule_id)) br; } }
                        td { (f.check.remediation()) }
                    }
                }
            }
        }
        @if findings.is_empty() { p { "No findings." } }
    };
    html_response(StatusCode::OK, shell("Audit", Some(&session), body))
}
