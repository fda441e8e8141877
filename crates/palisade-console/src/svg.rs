//! The references graph as SVG, laid out in fixed layers (deterministic, no solver):
//! internet and address peers, then groups, then interfaces, then VPCs (joined by their
//! peerings). Same-layer edges bend to the right so they stay visible.

use std::collections::BTreeMap;

use maud::{Markup, html};
use palisade_analysis::graph::Graph;
use palisade_model::Snapshot;

const COL_W: i64 = 330;
const NODE_W: i64 = 230;
const NODE_H: i64 = 34;
const ROW_H: i64 = 58;
const TOP: i64 = 40;
const LEFT: i64 = 20;

struct Placed {
    x: i64,
    y: i64,
    label: String,
    kind: &'static str,
}

fn column(kind: &str) -> i64 {
    match kind {
        "internet" | "addresses" => 0,
        "group" => 1,
        "interface" => 2,
        _ => 3,
    }
}

fn short(s: &str) -> String {
    let first = s.lines().next().unwrap_or("");
    if first.chars().count() > 34 {
        let cut: String = first.chars().take(33).collect();
        format!("{cut}…")
    } else {
        first.to_owned()
    }
}

fn fill(kind: &str) -> &'static str {
    match kind {
        "internet" => "#fde2e1",
        "addresses" => "#fff4d6",
        "group" => "#dcebfa",
        "interface" => "#e8f5e9",
        _ => "#eeeeee",
    }
}

/// An edge's path between two node boxes (top-left corners) and where its label goes: a
/// loop on the right for a node to itself, a bow to the right within a column, otherwise
/// a curve between facing sides.
fn curve(x1: i64, y1: i64, x2: i64, y2: i64) -> (String, i64, i64) {
    let mid = NODE_H / 2;
    if (x1, y1) == (x2, y2) {
        let (x, top, bottom) = (x1 + NODE_W, y1 + 8, y1 + NODE_H - 8);
        let d = format!(
            "M {x} {top} C {} {} {} {} {x} {bottom}",
            x + 45,
            top - 20,
            x + 45,
            bottom + 20
        );
        return (d, x + 30, y1 - 2);
    }
    if x1 == x2 {
        let (sx, sy, ty) = (x1 + NODE_W, y1 + mid, y2 + mid);
        let bend = 50 + (ty - sy).abs() / 4;
        let (cx, cy) = (sx + bend, (sy + ty) / 2);
        return (
            format!("M {sx} {sy} Q {cx} {cy} {sx} {ty}"),
            sx + bend / 2 + 10,
            cy,
        );
    }
    let (sx, tx) = if x2 > x1 {
        (x1 + NODE_W, x2)
    } else {
        (x1, x2 + NODE_W)
    };
    let (sy, ty) = (y1 + mid, y2 + mid);
    let (cx, cy) = ((sx + tx) / 2, (sy + ty) / 2);
    let d = format!("M {sx} {sy} C {cx} {sy} {cx} {ty} {tx} {ty}");
    (d, cx, cy - 6)
}

/// Draws the graph and the snapshot's VPCs and peerings.
pub(crate) fn draw(graph: &Graph, snapshot: &Snapshot) -> Markup {
    let mut placed: BTreeMap<String, Placed> = BTreeMap::new();
    let mut rows = [0i64; 4];
    let mut nodes: Vec<_> = graph.nodes().collect();
    // Groups and interfaces of one VPC sit together.
    nodes.sort_by(|a, b| (column(a.kind), a.vpc, a.key).cmp(&(column(b.kind), b.vpc, b.key)));
    let mut place = |key: String, label: String, kind: &'static str| {
        let col = column(kind);
        let idx = usize::try_from(col).unwrap_or(3);
        let row = rows[idx];
        rows[idx] += 1;
        placed.insert(
            key,
            Placed {
                x: LEFT + col * COL_W,
                y: TOP + row * ROW_H,
                label,
                kind,
            },
        );
    };
    for n in &nodes {
        place(n.key.to_owned(), short(n.label), n.kind);
    }
    for v in snapshot.vpcs.values() {
        let cidrs: Vec<String> = v.cidrs_v4.iter().map(ToString::to_string).collect();
        place(
            format!("vpc:{}", v.id),
            short(&format!("{} {}", v.id, cidrs.join(" "))),
            "vpc",
        );
    }
    let mut lines = Vec::new();
    for e in graph.edges() {
        let (Some(a), Some(b)) = (placed.get(e.from), placed.get(e.to)) else {
            continue;
        };
        lines.push((
            a.x,
            a.y,
            b.x,
            b.y,
            e.label.clone(),
            e.label.is_none(),
            false,
        ));
    }
    for p in snapshot.peerings.values() {
        let (Some(a), Some(b)) = (
            placed.get(&format!("vpc:{}", p.requester_vpc)),
            placed.get(&format!("vpc:{}", p.accepter_vpc)),
        ) else {
            continue;
        };
        lines.push((
            a.x,
            a.y,
            b.x,
            b.y,
            Some(format!("{} ({:?})", p.id, p.status).to_lowercase()),
            false,
            true,
        ));
    }
    let height = TOP + rows.iter().copied().max().unwrap_or(1).max(1) * ROW_H + 20;
    let width = LEFT + 4 * COL_W;
    html! {
        svg #graph-svg xmlns="http://www.w3.org/2000/svg" width=(width) height=(height) viewBox={ "0 0 " (width) " " (height) } role="img" aria-label="References graph" {
            defs {
                marker #arrow viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse" {
                    path d="M 0 0 L 10 5 L 0 10 z" fill="#16324f" {}
                }
            }
            @for (i, title) in ["internet and addresses", "security groups", "interfaces", "VPCs"].iter().enumerate() {
                text x=(LEFT + i64::try_from(i).unwrap_or(0) * COL_W) y="22" font-size="13" font-weight="bold" fill="#16324f" { (title) }
            }
            @for (x1, y1, x2, y2, label, member, peering) in &lines {
                @let (d, lx, ly) = curve(*x1, *y1, *x2, *y2);
                @let stroke = if *peering { "#2e7d32" } else if *member { "#9aa7b4" } else { "#16324f" };
                path d=(d) fill="none" stroke=(stroke) stroke-width="1.3"
                    stroke-dasharray=(if *member || *peering { "5 4" } else { "none" })
                    marker-end=(if *member || *peering { "none" } else { "url(#arrow)" }) {}
                @if let Some(l) = label {
                    text x=(lx) y=(ly) font-size="10" fill="#3d4852" text-anchor="middle" { (short(l)) }
                }
            }
            @for (key, p) in &placed {
                g.node data-key=(key) {
                    rect x=(p.x) y=(p.y) width=(NODE_W) height=(NODE_H) rx="5" fill=(fill(p.kind)) stroke="#6b7b8c" {}
                    text x=(p.x + 8) y=(p.y + 21) font-size="12" fill="#1d232a" { (p.label) }
                }
            }
        }
    }
}
