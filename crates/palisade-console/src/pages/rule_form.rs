//! The widgets of the group forms: labelled fields with their EC2 error, the rule fields
//! every preset draws on, the Preview/Save buttons and the preview of a change.

use maud::{Markup, html};
use palisade_analysis::diff::Diff;

use crate::forms::{FieldError, RuleForm};

pub(super) fn buttons() -> Markup {
    html! {
        p {
            button #preview type="submit" name="step" value="preview" { "Preview" } " "
            button #save type="submit" name="step" value="save" { "Save" }
        }
        p.hint { "Preview shows what would change, reachability included, without saving anything." }
    }
}

pub(super) fn form_error(error: Option<&FieldError>) -> Markup {
    html! {
        @if let Some(e) = error.filter(|e| e.field.is_none()) {
            div.banner #form-error { code { (e.code) } ": " (e.message) }
        }
    }
}

/// A labelled input with its EC2 error, when it has one.
pub(super) fn field(
    label: &str,
    name: &'static str,
    value: &str,
    error: Option<&FieldError>,
    hint: &str,
) -> Markup {
    let err = error.filter(|e| e.field == Some(name));
    html! {
        div.field.invalid[err.is_some()] {
            label for=(name) { (label) }
            input id=(name) type="text" name=(name) value=(value);
            @if let Some(e) = err {
                div.error id={ (name) "-error" } { code { (e.code) } ": " (e.message) }
            }
            @if !hint.is_empty() { div.hint { (hint) } }
        }
    }
}

pub(super) fn select(
    label: &str,
    name: &'static str,
    value: &str,
    options: &[(String, String)],
    error: Option<&FieldError>,
) -> Markup {
    let err = error.filter(|e| e.field == Some(name));
    html! {
        div.field.invalid[err.is_some()] {
            label for=(name) { (label) }
            select id=(name) name=(name) {
                @for (v, text) in options {
                    option value=(v) selected[v == value] { (text) }
                }
            }
            @if let Some(e) = err {
                div.error id={ (name) "-error" } { code { (e.code) } ": " (e.message) }
            }
        }
    }
}

pub(super) fn opts(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

/// The rule fields: a preset (or custom) and every parameter any preset takes.
pub(super) fn rule_fields(form: &RuleForm, error: Option<&FieldError>) -> Markup {
    let mut presets = vec![("custom".to_owned(), "Custom rule".to_owned())];
    presets.extend(
        palisade_model::presets::ALL
            .iter()
            .map(|p| (p.name.to_owned(), format!("{} — {}", p.section, p.name))),
    );
    let engines: Vec<(String, String)> =
        std::iter::once((String::new(), "(database only)".to_owned()))
            .chain(
                palisade_model::presets::DbEngine::ALL
                    .iter()
                    .map(|e| (e.to_string(), format!("{e} (tcp {})", e.port()))),
            )
            .collect();
    html! {
        (select("Preset (USE-CASES)", "preset", &form.preset, &presets, error))
        div.grid {
            (select("Direction (custom, peered-group)", "direction", &form.direction, &opts(&[("ingress", "inbound"), ("egress", "outbound")]), error))
            (field("Protocol", "protocol", &form.protocol, error, "tcp, udp, icmp, icmpv6, -1 (all) or a number"))
            (field("From port / ICMP type", "from_port", &form.from_port, error, ""))
            (field("To port / ICMP code", "to_port", &form.to_port, error, ""))
            (field("Source / destination", "source", &form.source, error, "CIDR, sg-… or pl-…; the preset's peer group"))
            (field("Description", "description", &form.description, error, "custom rules"))
            (select("Database engine", "engine", &form.engine, &engines, error))
            (select("Load balancer scheme (elb)", "scheme", &form.scheme, &opts(&[("internet-facing", "internet-facing"), ("internal", "internal (the VPC's CIDR)")]), error))
            (field("Listener port (elb)", "listener_port", &form.listener_port, error, ""))
            (field("Instance port (elb, elb-instances)", "instance_port", &form.instance_port, error, ""))
            (field("Health-check port (elb)", "health_check_port", &form.health_check_port, error, "defaults to the instance port"))
            (field("Peer VPC (peered-group)", "peer_vpc", &form.peer_vpc, error, ""))
            (field("Peering connection (peered-group)", "peering", &form.peering, error, ""))
            (field("Peer group's account (peered-group)", "owner", &form.owner, error, ""))
        }
        div.field {
            label { input type="checkbox" name="ipv6" value="1" checked[form.ipv6.is_some()]; " Add the ::/0 rules (web, database-egress)" }
        }
    }
}

/// The preview of a change: rule changes, then reachability gained and lost.
pub(super) fn render_preview(d: &Diff) -> Markup {
    html! {
        div.card #preview-result {
            h2 { "Preview (not saved)" }
            @if d.changes.is_empty() && d.reach.is_empty() && d.group_reach.is_empty() {
                p { "Nothing would change." }
            }
            @if !d.changes.is_empty() {
                ul #preview-changes { @for c in &d.changes { li { code { (c) } } } }
            }
            @if !d.reach.is_empty() {
                h3 { "Reachability from the internet" }
                ul #preview-reach {
                    @for r in &d.reach {
                        li.gain[r.gained].loss[!r.gained] {
                            // The preview's rule ids are the copy's: Save assigns new ones.
                            (r)
                        }
                    }
                }
            }
            @if !d.group_reach.is_empty() {
                h3 { "Reachability between groups" }
                ul #preview-groups { @for g in &d.group_reach { li { (g) } } }
            }
            @if d.reach.is_empty() && !d.changes.is_empty() {
                p.hint { "No interface's exposure to the internet changes." }
            }
        }
    }
}
