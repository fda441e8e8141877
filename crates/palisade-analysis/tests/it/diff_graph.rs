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
    assert!(
        d.changes
            .iter()
            .any(|c| matches!(c, Change::RuleAdded { rule, .. } if *rule == added)),
        "{:#?}",
        d.changes
    );
    assert_eq!(d.changes.len(), 1);
    let lines: Vec<String> = d.reach.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "tcp/22 on eni-00000001 is now reachable from the whole IPv4 internet (0.0.0.0/0) via sg-00000001"
        ]
    );
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
    new.snap
        .enis
        .get_mut(&crate::world::eni(2))
        .unwrap()
        .groups
        .push(crate::world::sg(1));
    new.ingress(2, "tcp", Some((8000, 8100)), "203.0.113.0/24");
    let d = diff(&old.snap, &new.snap);
    let text: Vec<String> = d.changes.iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|t| t == "~ interface eni-00000002: attached sg-00000001"),
        "{text:#?}"
    );
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
    assert!(
        dot.contains("\"sg-00000001\" -> \"sg-00000002\" [label=\"tcp/5432\"];"),
        "{dot}"
    );
    assert!(
        dot.contains("\"internet\" -> \"sg-00000001\" [label=\"tcp/443\"];"),
        "{dot}"
    );
    assert!(
        dot.contains("\"eni-00000001\" -> \"sg-00000001\" [style=dashed"),
        "{dot}"
    );
    let mermaid = g.to_mermaid();
    assert!(mermaid.starts_with("flowchart LR\n"));
    assert!(mermaid.contains("-->|\"tcp/5432\"|"), "{mermaid}");
    assert!(mermaid.contains("((\"internet\"))"), "{mermaid}");
}

#[test]
fn graph_views_match_what_dot_draws() {
    let w = base();
    let g = build(&w.snap);
    let nodes: Vec<_> = g.nodes().collect();
    let kind = |key: &str| nodes.iter().find(|n| n.key == key).map(|n| n.kind);
    assert_eq!(kind("sg-00000001"), Some("group"));
    assert_eq!(kind("internet"), Some("internet"));
    assert_eq!(kind("eni-00000001"), Some("interface"));
    let edges: Vec<_> = g.edges().collect();
    let edge = |from: &str, to: &str| {
        edges
            .iter()
            .find(|e| e.from == from && e.to == to)
            .map(|e| e.label.clone())
    };
    assert_eq!(
        edge("sg-00000001", "sg-00000002"),
        Some(Some("tcp/5432".to_owned()))
    );
    assert_eq!(
        edge("internet", "sg-00000001"),
        Some(Some("tcp/443".to_owned()))
    );
    // A membership edge has no traffic label.
    assert_eq!(edge("eni-00000001", "sg-00000001"), Some(None));
    // Every edge DOT draws is in the view, and no other.
    assert_eq!(g.to_dot().matches(" -> ").count(), edges.len());
}

#[test]
fn graph_of_fifty_groups_stays_readable() {
    let mut w = World::new();
    for g in 1..=50 {
        w.group(g);
        // A chain of references, and many rules between the same pair (merged into one edge).
        if g > 1 {
            for port in 0..6 {
                w.ingress(
                    g,
                    "tcp",
                    Some((8000 + port, 8000 + port)),
                    &format!("sg-{:08x}", g - 1),
                );
            }
        }
    }
    for e in 1..=300u32 {
        let addr = format!("10.0.{}.{}", e / 200, e % 200 + 1);
        w.eni(e, &[addr.as_str()], &[1 + e % 50]);
    }
    let dot = build(&w.snap).to_dot();
    // No interface nodes beyond the limit; member counts on the groups instead.
    assert!(!dot.contains("eni-"), "interfaces drawn");
    assert!(dot.contains("6 interface(s)"), "{dot}");
    // 49 reference edges, one per pair, labels capped at four entries.
    assert_eq!(dot.matches(" -> ").count(), 49);
    assert!(
        dot.contains("tcp/8000, tcp/8001, tcp/8002, tcp/8003, +2 more"),
        "{dot}"
    );
}

#[test]
fn diff_reports_group_to_group_changes() {
    let old = base();
    let mut new = base();
    new.ingress(2, "tcp", Some((6379, 6379)), "sg-00000001");
    let d = diff(&old.snap, &new.snap);
    let lines: Vec<String> = d.group_reach.iter().map(ToString::to_string).collect();
    // Group 1 has no egress rule in `base`, so nothing flows either way.
    assert!(lines.is_empty(), "{lines:#?}");
    let mut old = base();
    old.egress(1, "-1", None, "0.0.0.0/0");
    let mut new = base();
    new.egress(1, "-1", None, "0.0.0.0/0");
    new.ingress(2, "tcp", Some((6379, 6379)), "sg-00000001");
    let d = diff(&old.snap, &new.snap);
    let lines: Vec<String> = d.group_reach.iter().map(ToString::to_string).collect();
    assert_eq!(lines, ["sg-00000001 -> sg-00000002: now allows tcp/6379"]);
    let d = diff(&new.snap, &old.snap);
    let lines: Vec<String> = d.group_reach.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        ["sg-00000001 -> sg-00000002: no longer allows tcp/6379"]
    );
}
