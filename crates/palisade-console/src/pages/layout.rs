//! The page shell every console page shares (header, navigation, the embedded style sheet)
//! and small renderers of ids as links. No script: the content security policy forbids it.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use palisade_model::Tag;

use crate::session::Session;

const STYLE: &str = r#"
*{box-sizing:border-box}
body{font:14px/1.45 "DejaVu Sans",system-ui,sans-serif;margin:0;color:#1d232a;background:#f4f6f8}
header{background:#16324f;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:center;flex-wrap:wrap}
header a{color:#dbe8f5;text-decoration:none}header a:hover{text-decoration:underline}
header .brand{font-weight:bold;color:#fff;font-size:1.1rem}
header .who{margin-left:auto;font-size:.9rem;color:#b8cce0}
header form{display:inline}header button{background:none;border:1px solid #7d9cbc;color:#dbe8f5;border-radius:3px;cursor:pointer}
main{padding:1rem 1.4rem;max-width:1300px}
h1{font-size:1.35rem;margin:.4rem 0 .8rem}h2{font-size:1.1rem;margin:1.4rem 0 .5rem}
table{border-collapse:collapse;background:#fff;width:100%;margin:.3rem 0 1rem}
th,td{border:1px solid #d5dbe1;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#e9eef3;font-weight:600}
code,.id{font-family:"DejaVu Sans Mono",monospace;font-size:.92em}
a{color:#0b5cad}
.card{background:#fff;border:1px solid #d5dbe1;border-radius:4px;padding:.8rem 1rem;margin:.6rem 0}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:.6rem}
label{display:block;font-weight:600;margin:.4rem 0 .15rem}
input[type=text],input[type=password],select{width:100%;padding:.3rem .4rem;border:1px solid #9aa7b4;border-radius:3px;font:inherit}
.field{margin-bottom:.3rem}
.field.invalid input,.field.invalid select{border-color:#b3261e;background:#fff5f4}
.error{color:#b3261e;font-size:.9rem;margin-top:.15rem}
.error code{font-weight:bold}
.banner{border-left:4px solid #b3261e;background:#fff5f4;padding:.5rem .8rem;margin:.6rem 0}
.ok{border-left:4px solid #2e7d32;background:#f1f8f1;padding:.5rem .8rem;margin:.6rem 0}
.hint{color:#5b6773;font-size:.88rem}
button,.button{background:#0b5cad;color:#fff;border:0;border-radius:3px;padding:.4rem .9rem;font:inherit;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary{background:#5b6773}button.danger{background:#b3261e;padding:.15rem .5rem;font-size:.85rem}
.gain{color:#b3261e}.loss{color:#2e7d32}
.sev-high,.sev-critical{color:#b3261e;font-weight:bold}.sev-medium{color:#a15c00;font-weight:bold}.sev-low{color:#5b6773}
.search{display:flex;gap:.5rem;margin:.3rem 0 .6rem}.search input{max-width:420px}
svg{background:#fff;border:1px solid #d5dbe1;max-width:100%;height:auto}
"#;

/// A full page.
pub(crate) fn shell(title: &str, session: Option<&Session>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Palisade" }
                link rel="icon" href="data:,";
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    a.brand href="/console/" { "Palisade" }
                    @if let Some(s) = session {
                        a href="/console/vpcs" { "VPCs" }
                        a href="/console/subnets" { "Subnets" }
                        a href="/console/interfaces" { "Interfaces" }
                        a href="/console/groups" { "Security groups" }
                        a href="/console/graph" { "Graph" }
                        a href="/console/audit" { "Audit" }
                        span.who {
                            "account " code { (s.account) } " · " (s.region) " · " code { (s.access_key) } " "
                            form method="post" action="/console/signout" {
                                input type="hidden" name="csrf" value=(s.csrf);
                                button type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

pub(crate) fn html_response(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

/// A page showing one error (a storage failure, a missing resource).
pub(crate) fn error_page(
    session: Option<&Session>,
    status: StatusCode,
    code: &str,
    message: &str,
) -> Response {
    let body = html! {
        h1 { "Something went wrong" }
        div.banner { code { (code) } ": " (message) }
        p { a href="/console/" { "Back to the overview" } }
    };
    html_response(status, shell(code, session, body))
}

pub(crate) fn group_link(id: &impl std::fmt::Display) -> Markup {
    html! { a.id href={ "/console/groups/" (id) } { (id) } }
}

pub(crate) fn eni_link(id: &impl std::fmt::Display) -> Markup {
    html! { a.id href={ "/console/interfaces/" (id) } { (id) } }
}

/// A rule id linked to its row in its group's page.
pub(crate) fn rule_link(group: &impl std::fmt::Display, rule: &impl std::fmt::Display) -> Markup {
    html! { a.id href={ "/console/groups/" (group) "#" (rule) } { (group) " / " (rule) } }
}

pub(crate) fn tags(tags: &[Tag]) -> Markup {
    html! {
        @for t in tags {
            span.hint { code { (t.key) "=" (t.value) } " " }
        }
    }
}

/// The value of the `Name` tag, or nothing.
pub(crate) fn name_tag(tags: &[Tag]) -> &str {
    tags.iter()
        .find(|t| t.key == "Name")
        .map_or("", |t| t.value.as_str())
}

/// A search box (GET, `q`).
pub(crate) fn search(action: &str, q: &str, placeholder: &str) -> Markup {
    html! {
        form.search method="get" action=(action) {
            input type="text" name="q" value=(q) placeholder=(placeholder) aria-label="Search";
            button type="submit" { "Search" }
        }
    }
}
