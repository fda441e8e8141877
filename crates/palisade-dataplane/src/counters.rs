//! The per-interface counters of the ruleset in force: in each interface's chain, one
//! counter sees every packet the groups judge (new and untracked flows) and the last one
//! every packet they dropped (see `render`). Read with `nft -j list table` (in-process with
//! libnftables, else one process), and no state is kept between reads.

use palisade_model::EniId;
use serde_json::Value;
use thiserror::Error;

use crate::apply::Nft;
use crate::ruleset::TABLE;

/// One direction's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DirCounters {
    /// Packets the groups judged (new or untracked flows; established ones never reach them).
    pub judged_packets: u64,
    pub judged_bytes: u64,
    /// Packets no group allowed.
    pub dropped_packets: u64,
    pub dropped_bytes: u64,
}

/// One interface's counts, as its chains hold them now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceCounters {
    pub eni: EniId,
    pub egress: DirCounters,
    pub ingress: DirCounters,
}

/// Why the counters could not be read.
#[derive(Debug, Error)]
pub enum CountersError {
    #[error("running nft: {0}")]
    Spawn(std::io::Error),
    #[error("nft list table failed: {0}")]
    Nft(String),
    #[error("nft's JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl Nft {
    /// The counters of `enis`' chains in the table in force (an interface whose chains are
    /// not there, such as one the ruleset drops outright, is left out).
    pub fn counters(&self, enis: &[EniId]) -> Result<Vec<InterfaceCounters>, CountersError> {
        let out = self
            .json(&format!("list table inet {TABLE}"))
            .map_err(|e| match e {
                crate::ApplyError::Spawn { source, .. } => CountersError::Spawn(source),
                crate::ApplyError::Nft { stderr, .. } => CountersError::Nft(stderr),
                other => CountersError::Nft(other.to_string()),
            })?;
        parse(&out, enis)
    }
}

/// Reads `enis`' counters from `nft -j list table` output.
pub(crate) fn parse(json: &str, enis: &[EniId]) -> Result<Vec<InterfaceCounters>, CountersError> {
    let doc: Value = serde_json::from_str(json)?;
    let items = doc
        .get("nftables")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut out = Vec::new();
    for eni in enis {
        let base = eni.as_str().replace('-', "_");
        let egress = chain(items, &format!("{base}_out"));
        let ingress = chain(items, &format!("{base}_in"));
        if egress.is_none() && ingress.is_none() {
            continue;
        }
        out.push(InterfaceCounters {
            eni: eni.clone(),
            egress: egress.unwrap_or_default(),
            ingress: ingress.unwrap_or_default(),
        });
    }
    Ok(out)
}

/// The judged (a lone `counter`) and dropped (`counter drop`) counts of one chain's rules.
fn chain(items: &[Value], name: &str) -> Option<DirCounters> {
    let mut found = None;
    for rule in items.iter().filter_map(|i| i.get("rule")) {
        if rule.get("table").and_then(Value::as_str) != Some(TABLE)
            || rule.get("chain").and_then(Value::as_str) != Some(name)
        {
            continue;
        }
        let c: &mut DirCounters = found.get_or_insert_with(DirCounters::default);
        let Some(expr) = rule.get("expr").and_then(Value::as_array) else {
            continue;
        };
        let Some(counter) = expr.iter().find_map(|e| e.get("counter")) else {
            continue;
        };
        let packets = counter.get("packets").and_then(Value::as_u64).unwrap_or(0);
        let bytes = counter.get("bytes").and_then(Value::as_u64).unwrap_or(0);
        let drops = expr.iter().any(|e| e.get("drop").is_some());
        match (drops, expr.len()) {
            (true, _) => {
                c.dropped_packets = packets;
                c.dropped_bytes = bytes;
            }
            (false, 1) => {
                c.judged_packets = packets;
                c.judged_bytes = bytes;
            }
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eni(s: &str) -> EniId {
        s.parse().unwrap()
    }

    #[test]
    fn reads_the_judged_and_dropped_counters_of_each_interface() {
        let json = r#"{"nftables": [
          {"metainfo": {"version": "1.0.6"}},
          {"table": {"family": "inet", "name": "palisade", "handle": 1}},
          {"chain": {"family": "inet", "table": "palisade", "name": "eni_0000000a_in", "handle": 2}},
          {"rule": {"family": "inet", "table": "palisade", "chain": "eni_0000000a_in", "handle": 3,
            "expr": [{"match": {"op": "==", "left": {"ct": {"key": "state"}}, "right": "invalid"}}, {"drop": null}]}},
          {"rule": {"family": "inet", "table": "palisade", "chain": "eni_0000000a_in", "handle": 4,
            "expr": [{"counter": {"packets": 7, "bytes": 420}}]}},
          {"rule": {"family": "inet", "table": "palisade", "chain": "eni_0000000a_in", "handle": 5,
            "expr": [{"jump": {"target": "sg_1_in"}}]}},
          {"rule": {"family": "inet", "table": "palisade", "chain": "eni_0000000a_in", "handle": 6,
            "expr": [{"counter": {"packets": 3, "bytes": 180}}, {"drop": null}]}},
          {"rule": {"family": "inet", "table": "palisade", "chain": "eni_0000000a_out", "handle": 7,
            "expr": [{"counter": {"packets": 2, "bytes": 100}}]}},
          {"rule": {"family": "inet", "table": "other", "chain": "eni_0000000a_out", "handle": 8,
            "expr": [{"counter": {"packets": 99, "bytes": 99}}, {"drop": null}]}}
        ]}"#;
        let enis = [eni("eni-0000000a"), eni("eni-0000000b")];
        let got = parse(json, &enis).unwrap();
        assert_eq!(
            got,
            vec![InterfaceCounters {
                eni: eni("eni-0000000a"),
                egress: DirCounters {
                    judged_packets: 2,
                    judged_bytes: 100,
                    dropped_packets: 0,
                    dropped_bytes: 0,
                },
                ingress: DirCounters {
                    judged_packets: 7,
                    judged_bytes: 420,
                    dropped_packets: 3,
                    dropped_bytes: 180,
                },
            }]
        );
        assert!(parse("{", &enis).is_err());
    }
}
