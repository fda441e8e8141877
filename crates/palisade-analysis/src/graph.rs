//! Who may talk to whom, as a graph: security groups (clustered by VPC), the internet,
//! other address peers (CIDRs, prefix lists), and — for small accounts — interfaces with
//! their groups. Rendered as Graphviz DOT or Mermaid text.
//!
//! Edges follow the direction traffic is opened: an ingress rule of G from peer P draws
//! `P -> G`; an egress rule of G to a group H draws `G -> H`. Egress rules to addresses are
//! left out (nearly every group has the default allow-all egress; it would drown the
//! picture). Parallel edges merge into one, labelled with up to four traffic descriptions.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use palisade_model::{Direction, Peer, Snapshot, VpcId};

use crate::index::Index;
use crate::space::describe_keys;

/// Interfaces are drawn only up to this many; beyond, groups show member counts.
pub const MAX_DRAWN_INTERFACES: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum NodeKind {
    Internet,
    Addresses,
    Group,
    Interface,
}

#[derive(Debug, Clone)]
struct Node {
    key: String,
    label: String,
    kind: NodeKind,
    vpc: Option<VpcId>,
}

/// A graph ready to render.
#[derive(Debug, Clone)]
pub struct Graph {
    nodes: Vec<Node>,
    /// (from, to) node keys → traffic labels; `None` labels are membership edges.
    edges: BTreeMap<(String, String), Option<BTreeSet<String>>>,
}

/// Builds the graph of a snapshot.
pub fn build(snapshot: &Snapshot) -> Graph {
    let index = Index::new(snapshot);
    let mut nodes = Vec::new();
    let mut edges: BTreeMap<(String, String), Option<BTreeSet<String>>> = BTreeMap::new();
    let draw_enis = snapshot.enis.len() <= MAX_DRAWN_INTERFACES;
    let mut extra: BTreeMap<String, Node> = BTreeMap::new();
    for g in snapshot.groups.values() {
        let n = index.members(&g.id).len();
        let label = if draw_enis {
            format!("{} ({})", g.name, g.id)
        } else {
            format!("{} ({})\n{n} interface(s)", g.name, g.id)
        };
        nodes.push(Node {
            key: g.id.to_string(),
            label,
            kind: NodeKind::Group,
            vpc: Some(g.vpc_id.clone()),
        });
    }
    for ri in &index.rules {
        let g = ri.group;
        let traffic = describe_keys(ri.keys.0, ri.keys.1).join(", ");
        let (peer_key, peer_node) = match ri.rule.peer() {
            Peer::Group(gref) => (gref.group_id.to_string(), None),
            _ if ri.rule.direction() == Direction::Egress => continue,
            Peer::Ipv4(n) if n.prefix_len() == 0 => internet(),
            Peer::Ipv6(n) if n.prefix_len() == 0 => internet(),
            _ if ri
                .addrs
                .covers(&index.internet.family(palisade_model::AddressFamily::Ipv4))
                && !index.internet.v4.is_empty() =>
            {
                internet()
            }
            other => {
                let key = format!("addr:{other}");
                let node = Node {
                    key: key.clone(),
                    label: other.to_string(),
                    kind: NodeKind::Addresses,
                    vpc: None,
                };
                (key, Some(node))
            }
        };
        if let Some(node) = peer_node {
            extra.entry(node.key.clone()).or_insert(node);
        }
        if !snapshot.groups.keys().any(|k| k.to_string() == peer_key)
            && matches!(ri.rule.peer(), Peer::Group(_))
        {
            let node = Node {
                key: peer_key.clone(),
                label: format!("{peer_key} (not in input)"),
                kind: NodeKind::Addresses,
                vpc: None,
            };
            extra.entry(peer_key.clone()).or_insert(node);
        }
        let edge = match ri.rule.direction() {
            Direction::Ingress => (peer_key, g.id.to_string()),
            Direction::Egress => (g.id.to_string(), peer_key),
        };
        if let Some(labels) = edges.entry(edge).or_insert_with(|| Some(BTreeSet::new())) {
            labels.insert(traffic);
        }
    }
    nodes.extend(extra.into_values());
    if draw_enis {
        for eni in snapshot.enis.values() {
            nodes.push(Node {
                key: eni.id.to_string(),
                label: eni.id.to_string(),
                kind: NodeKind::Interface,
                vpc: Some(eni.vpc_id.clone()),
            });
            for g in &eni.groups {
                edges.insert((eni.id.to_string(), g.to_string()), None);
            }
        }
    }
    Graph { nodes, edges }
}

fn internet() -> (String, Option<Node>) {
    let node = Node {
        key: "internet".into(),
        label: "internet".into(),
        kind: NodeKind::Internet,
        vpc: None,
    };
    ("internet".into(), Some(node))
}

fn edge_label(labels: &BTreeSet<String>) -> String {
    let mut v: Vec<&str> = labels.iter().map(String::as_str).take(4).collect();
    let more = labels.len().saturating_sub(4);
    let extra = format!("+{more} more");
    if more > 0 {
        v.push(&extra);
    }
    v.join(", ")
}

fn by_vpc(nodes: &[Node]) -> (BTreeMap<&VpcId, Vec<&Node>>, Vec<&Node>) {
    let mut clusters: BTreeMap<&VpcId, Vec<&Node>> = BTreeMap::new();
    let mut loose = Vec::new();
    for n in nodes {
        match &n.vpc {
            Some(v) => clusters.entry(v).or_default().push(n),
            None => loose.push(n),
        }
    }
    (clusters, loose)
}

/// A node as a renderer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeView<'a> {
    /// The id edges name: a group or interface id, `internet`, or `addr:…`.
    pub key: &'a str,
    pub label: &'a str,
    /// `internet`, `addresses`, `group` or `interface`.
    pub kind: &'static str,
    pub vpc: Option<&'a VpcId>,
}

/// An edge as a renderer sees it: traffic labels (up to four, then "+N more"), or `None`
/// for an interface's membership of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeView<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub label: Option<String>,
}

impl Graph {
    /// Every node, groups first, in a stable order (for renderers other than DOT and
    /// Mermaid, such as the console's SVG).
    pub fn nodes(&self) -> impl Iterator<Item = NodeView<'_>> {
        self.nodes.iter().map(|n| NodeView {
            key: &n.key,
            label: &n.label,
            kind: match n.kind {
                NodeKind::Internet => "internet",
                NodeKind::Addresses => "addresses",
                NodeKind::Group => "group",
                NodeKind::Interface => "interface",
            },
            vpc: n.vpc.as_ref(),
        })
    }

    /// Every edge, ordered by (from, to).
    pub fn edges(&self) -> impl Iterator<Item = EdgeView<'_>> {
        self.edges.iter().map(|((from, to), labels)| EdgeView {
            from,
            to,
            label: labels.as_ref().map(edge_label),
        })
    }

    /// Graphviz DOT.
    pub fn to_dot(&self) -> String {
        let esc = |s: &str| {
            s.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n")
        };
        let shape = |k: &NodeKind| match k {
            NodeKind::Internet => "doubleoctagon",
            NodeKind::Addresses => "ellipse",
            NodeKind::Group => "box",
            NodeKind::Interface => "note",
        };
        let mut out = String::from(
            "digraph palisade {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n",
        );
        let (clusters, loose) = by_vpc(&self.nodes);
        for n in loose {
            let _ = writeln!(
                out,
                "  \"{}\" [label=\"{}\", shape={}];",
                esc(&n.key),
                esc(&n.label),
                shape(&n.kind)
            );
        }
        for (i, (vpc, members)) in clusters.iter().enumerate() {
            let _ = writeln!(
                out,
                "  subgraph cluster_{i} {{\n    label=\"{}\";",
                esc(vpc.as_str())
            );
            for n in members {
                let _ = writeln!(
                    out,
                    "    \"{}\" [label=\"{}\", shape={}];",
                    esc(&n.key),
                    esc(&n.label),
                    shape(&n.kind)
                );
            }
            out.push_str("  }\n");
        }
        for ((from, to), labels) in &self.edges {
            match labels {
                Some(l) => {
                    let _ = writeln!(
                        out,
                        "  \"{}\" -> \"{}\" [label=\"{}\"];",
                        esc(from),
                        esc(to),
                        esc(&edge_label(l))
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "  \"{}\" -> \"{}\" [style=dashed, arrowhead=none];",
                        esc(from),
                        esc(to)
                    );
                }
            }
        }
        out.push_str("}\n");
        out
    }

    /// Mermaid flowchart.
    pub fn to_mermaid(&self) -> String {
        let esc = |s: &str| {
            s.replace('"', "#quot;")
                .replace('|', "#124;")
                .replace('\n', "<br/>")
        };
        let ids: BTreeMap<&str, String> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.key.as_str(), format!("n{i}")))
            .collect();
        let node = |n: &Node| {
            let id = &ids[n.key.as_str()];
            let label = esc(&n.label);
            match n.kind {
                NodeKind::Internet => format!("{id}((\"{label}\"))"),
                NodeKind::Addresses => format!("{id}([\"{label}\"])"),
                NodeKind::Group => format!("{id}[\"{label}\"]"),
                NodeKind::Interface => format!("{id}>\"{label}\"]"),
            }
        };
        let mut out = String::from("flowchart LR\n");
        let (clusters, loose) = by_vpc(&self.nodes);
        for n in loose {
            let _ = writeln!(out, "  {}", node(n));
        }
        for (vpc, members) in &clusters {
            let _ = writeln!(out, "  subgraph {vpc}");
            for n in members {
                let _ = writeln!(out, "    {}", node(n));
            }
            out.push_str("  end\n");
        }
        for ((from, to), labels) in &self.edges {
            let (Some(f), Some(t)) = (ids.get(from.as_str()), ids.get(to.as_str())) else {
                continue;
            };
            match labels {
                Some(l) => {
                    let _ = writeln!(out, "  {f} -->|\"{}\"| {t}", esc(&edge_label(l)));
                }
                None => {
                    let _ = writeln!(out, "  {f} -.- {t}");
                }
            }
        }
        out
    }
}
