//! The references graph page: groups, the peers their rules name, interfaces and their
//! memberships (`palisade_analysis::graph`), and the VPCs with their peerings, drawn as
//! inline SVG by [`crate::svg`].

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::html;

use super::layout::{html_response, shell};
use super::lists::state_of;
use crate::ConsoleState;

pub(crate) async fn page(State(state): State<ConsoleState>, headers: HeaderMap) -> Response {
    let (session, st) = match state_of(&state, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let graph = palisade_analysis::graph::build(st.snapshot());
    let drawing = crate::svg::draw(&graph, st.snapshot());
    let body = html! {
        h1 { "References graph" }
        p.hint {
            "Arrows follow the direction traffic is opened (an inbound rule of G from P draws P → G). "
            "Dashed grey lines join interfaces to their groups; dashed green lines are VPC peerings. "
            "Egress rules to addresses are left out."
        }
        div #graph { (drawing) }
    };
    html_response(StatusCode::OK, shell("Graph", Some(&session), body))
}
