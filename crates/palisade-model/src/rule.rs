//! Security group rules: one direction, one traffic match, one peer.
//!
//! A rule's identity is (direction, traffic, peer); its description and tags are not part of
//! it — Revoke ignores the description (botocore model, `RevokeSecurityGroupIngress`).

use std::fmt;

use crate::ids::{GroupId, RuleId};
use crate::network::Tag;
use crate::peer::Peer;
use crate::protocol::Traffic;

/// Inbound or outbound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ingress => "ingress",
            Self::Egress => "egress",
        }
    }

    pub fn opposite(self) -> Self {
        match self {
            Self::Ingress => Self::Egress,
            Self::Egress => Self::Ingress,
        }
    }
}

impl std::str::FromStr for Direction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "ingress" | "inbound" | "in" => Ok(Self::Ingress),
            "egress" | "outbound" | "out" => Ok(Self::Egress),
            other => Err(format!(
                "unknown direction '{other}' (expected ingress or egress)"
            )),
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a rule admits, without its id: the rule's identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleSpec {
    pub direction: Direction,
    pub traffic: Traffic,
    pub peer: Peer,
}

impl RuleSpec {
    /// Same identity: same direction, traffic and peer (group references by group id).
    pub fn same_rule(&self, other: &Self) -> bool {
        self.direction == other.direction
            && self.traffic == other.traffic
            && self.peer.identity() == other.peer.identity()
    }
}

impl fmt::Display for RuleSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = match self.direction {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        };
        write!(
            f,
            "{} {} {} {}",
            self.direction, self.traffic, word, self.peer
        )
    }
}

/// A rule to add: its spec, a description and tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRule {
    pub spec: RuleSpec,
    pub description: Option<String>,
    pub tags: Vec<Tag>,
}

impl NewRule {
    pub fn new(direction: Direction, traffic: Traffic, peer: Peer) -> Self {
        Self {
            spec: RuleSpec {
                direction,
                traffic,
                peer,
            },
            description: None,
            tags: Vec::new(),
        }
    }

    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// A stored rule of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: RuleId,
    pub group_id: GroupId,
    pub spec: RuleSpec,
    pub description: Option<String>,
    pub tags: Vec<Tag>,
}

impl Rule {
    pub fn direction(&self) -> Direction {
        self.spec.direction
    }
    pub fn traffic(&self) -> Traffic {
        self.spec.traffic
    }
    pub fn peer(&self) -> &Peer {
        &self.spec.peer
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} {})", self.spec, self.group_id, self.id)
    }
}
