//! Diff (rule changes and the internet reachability delta) and graph rendering.

use palisade_analysis::diff::{Change, diff};
use palisade_analysis::graph::build;

use crate::world::World;

fn base() -> World {
    let mut w = World::new();
    w.group(1).group(2);
    w.eni(1, &["10.0.0.10"], &[1]).eni(2, &["10.0.0.11"], &[2]);
    w.ingress(1, "tcp", Some((443, 443)), "0.0.0.0/0");
    w.ingress(2, "tcp", Some((5432, 5432)), "sg-00000001");
    w
}

#[test]
fn diff_reports_new_exposure_with_the_rule() {
    let old = base();
    let mut new = base();
    let added = new.ingress(1, "tcp", Some((22, 22)), "0.0.0.0/0");
    let d = diff(&old.snap, &new.snap);
    assert!(d.changes.iter().any(|c| matches!(c, Change::RuleAdded { rule, .. } if *rule == added)), "{:#?}", d.changes);
    assert_eq!(d.changes.len(), 1);
    let lines: Vec<String> = d.reach.iter().map(ToString::to_string).collect();
    assert_eq!(lines, ["tcp/22 on eni-00000001 is now reachable from the whole IPv4 internet (0.0.0.0/0) via sg-00000001"]);
    // And back.
    let d = diff(&new.snap, &old.snap);
    assert!(matches!(d.changes[0], Change::RuleRemoved { .. }));
    assert_eq!(d.reach.len(), 1);
    assert!(!d.reach[0].gained);
    // Identical snapshots: nothing.
    let d = diff(&old.snap, &old.snap);
    assert!(d.changes.is_empty() && d.reach.is_empty());
}

#[test]
fn diff_sees_attachments_and_partial_ranges() {
    let old = base();
    let mut new = base();
    new.snap.enis.get_mut(&crate::world::eni(2)).unwrap().groups.push(crate::world::sg(1));
    new.ingress(2, "tcp", Some((8000, 8100)), "203.0.113.0/24");
    let d = diff(&old.snap, &new.snap);
    let text: Vec<String> = d.changes.iter().map(ToString::to_string).collect();
    assert!(text.iter().any(|t| t == "~ interface eni-00000002: attached sg-00000001"), "{text:#?}");
    let reach: Vec<String> = d.reach.iter().map(ToString::to_string).collect();
    assert!(reach.contains(&"tcp/443 on eni-00000002 is now reachable from the whole IPv4 internet (0.0.0.0/0) via sg-00000001".to_string()), "{reach:#?}");
    assert!(reach.contains(&"tcp/8000-8100 on eni-00000002 is now reachable from 203.0.113.0/24 (203.0.113.0/24) via sg-00000002".to_string()), "{reach:#?}");
}

#[test]
fn graph_draws_references_and_internet() {
    let w = base();
    let g = build(&w.snap);
    let dot = g.to_dot();
    assert!(dot.starts_with("digraph palisade {"));
    assert!(dot.contains("\"sg-00000001\" -> \"sg-00000002\" [label=\"tcp/5432\"];"), "{dot}");
    assert!(dot.contains("\"internet\" -> \"sg-00000001\" [label=\"tcp/443\"];"), "{dot}");
    assert!(dot.contains("\"eni-00000001\" -> \"sg-00000001\" [style=dashed"), "{dot}");
    let mermaid = g.to_mermaid();
    assert!(mermaid.starts_with("flowchart LR\n"));
    assert!(mermaid.contains("-->|\"tcp/5432\"|"), "{mermaid}");
    assert!(mermaid.contains("((\"internet\"))"), "{mermaid}");
}
