//! The audit: checks with stable ids, severities and remediation text, computed over what is
//! really allowed (the union of every group on an interface), returned as data.
//!
//! A finding about a group names the group in `resource`; a finding that only holds because
//! several groups add up on an interface names the interface.
//!
//! Internet exposure follows the real path ([`crate::path`]): a group or interface check
//! fires at its severity when at least one interface it applies to has a path from the
//! internet in the family (or an unknown one: no routing state in the input, judged by the
//! rules as before); when none has, or the group is attached to nothing, the same condition
//! is reported as [`CheckId::LatentInternetExposure`] with the missing links.
//! [`CheckId::ServiceReachableFromInternet`] names each interface a known path exposes.
//! Every finding carries the Prowler and ScoutSuite ids it stands for ([`aliases`]).

pub mod aliases;
mod checks;
mod hygiene;
mod redundancy;

use std::fmt;

use palisade_engine::RuleMatch;
use palisade_model::{AddressFamily, Direction, EniId, GroupId, RuleId, SecurityGroup};

use crate::index::Index;
use crate::path::PathState;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Self; 5] = [
        Self::Info,
        Self::Low,
        Self::Medium,
        Self::High,
        Self::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The checks. Ids are stable: tools filter on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckId {
    AdminPortOpenToInternet,
    HighRiskPortOpenToInternet,
    AllTrafficOpenToInternet,
    DefaultGroupHasRules,
    UnusedGroup,
    InterfaceTooManyRules,
    RedundantRule,
    BroadCidr,
    NonCanonicalCidr,
    StaleReference,
    DataStoreEgressOpen,
    InternetIngress,
    PublicSourceIngress,
    ServiceReachableFromInternet,
    LatentInternetExposure,
    GroupTooManyRules,
    LaunchWizardGroup,
}

impl CheckId {
    pub const ALL: [Self; 17] = [
        Self::ServiceReachableFromInternet,
        Self::AdminPortOpenToInternet,
        Self::HighRiskPortOpenToInternet,
        Self::AllTrafficOpenToInternet,
        Self::InternetIngress,
        Self::PublicSourceIngress,
        Self::LatentInternetExposure,
        Self::DefaultGroupHasRules,
        Self::UnusedGroup,
        Self::InterfaceTooManyRules,
        Self::RedundantRule,
        Self::BroadCidr,
        Self::NonCanonicalCidr,
        Self::StaleReference,
        Self::DataStoreEgressOpen,
        Self::GroupTooManyRules,
        Self::LaunchWizardGroup,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AdminPortOpenToInternet => "admin-port-open-to-internet",
            Self::HighRiskPortOpenToInternet => "high-risk-port-open-to-internet",
            Self::AllTrafficOpenToInternet => "all-traffic-open-to-internet",
            Self::DefaultGroupHasRules => "default-group-has-rules",
            Self::UnusedGroup => "unused-group",
            Self::InterfaceTooManyRules => "interface-too-many-rules",
            Self::RedundantRule => "redundant-rule",
            Self::BroadCidr => "broad-cidr",
            Self::NonCanonicalCidr => "non-canonical-cidr",
            Self::StaleReference => "stale-reference",
            Self::DataStoreEgressOpen => "data-store-egress-open",
            Self::InternetIngress => "port-open-to-internet",
            Self::PublicSourceIngress => "ingress-from-public-addresses",
            Self::ServiceReachableFromInternet => "service-reachable-from-internet",
            Self::LatentInternetExposure => "latent-internet-exposure",
            Self::GroupTooManyRules => "group-too-many-rules",
            Self::LaunchWizardGroup => "launch-wizard-group",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }

    pub fn severity(self) -> Severity {
        match self {
            Self::AdminPortOpenToInternet
            | Self::AllTrafficOpenToInternet
            | Self::ServiceReachableFromInternet => Severity::Critical,
            Self::HighRiskPortOpenToInternet
            | Self::DefaultGroupHasRules
            | Self::DataStoreEgressOpen => Severity::High,
            Self::BroadCidr
            | Self::StaleReference
            | Self::NonCanonicalCidr
            | Self::LatentInternetExposure => Severity::Medium,
            Self::InterfaceTooManyRules
            | Self::UnusedGroup
            | Self::RedundantRule
            | Self::InternetIngress
            | Self::GroupTooManyRules
            | Self::LaunchWizardGroup => Severity::Low,
            Self::PublicSourceIngress => Severity::Info,
        }
    }

    /// One line: what the check looks for.
    pub fn title(self) -> &'static str {
        match self {
            Self::AdminPortOpenToInternet => {
                "Remote administration port (SSH 22, RDP 3389) open to the whole internet"
            }
            Self::HighRiskPortOpenToInternet => {
                "Database or other high-risk port open to the whole internet"
            }
            Self::AllTrafficOpenToInternet => {
                "All traffic, or all TCP/UDP ports, open to the whole internet"
            }
            Self::DefaultGroupHasRules => "A VPC's default security group has rules",
            Self::UnusedGroup => "Security group not attached to any interface and not referenced",
            Self::InterfaceTooManyRules => {
                "Interface carries more rules than the configured maximum"
            }
            Self::RedundantRule => "Rule fully covered by other rules",
            Self::BroadCidr => {
                "Ingress from a broad share of the public internet (a /8 of IPv4 or a /16 of IPv6 or more)"
            }
            Self::NonCanonicalCidr => "CIDR written with host bits set (EC2 widens it)",
            Self::StaleReference => {
                "Rule references a deleted group, a dead peering or a missing prefix list"
            }
            Self::DataStoreEgressOpen => {
                "Data-store tier may send all traffic to the whole internet"
            }
            Self::InternetIngress => "Some traffic open to the whole internet",
            Self::PublicSourceIngress => {
                "Ingress from specific public addresses (not the whole internet)"
            }
            Self::ServiceReachableFromInternet => {
                "Interface reachable from the whole internet along a real path (internet gateway, route, public address) on an administration, database or other high-risk port"
            }
            Self::LatentInternetExposure => {
                "Rules open a risky port to the whole internet, but no path carries it yet (no gateway, route, public or IPv6 address, or no interface)"
            }
            Self::GroupTooManyRules => {
                "Security group has more inbound or outbound rules than the configured maximum"
            }
            Self::LaunchWizardGroup => "Security group made by the EC2 launch wizard",
        }
    }

    /// The Prowler and ScoutSuite ids this check stands for.
    pub fn aliases(self) -> Vec<&'static str> {
        aliases::check_aliases(self)
    }

    pub fn remediation(self) -> &'static str {
        match self {
            Self::AdminPortOpenToInternet => {
                "Restrict the source to your network's CIDR or a bastion group, or use SSM Session Manager / EC2 Instance Connect instead of an open port."
            }
            Self::HighRiskPortOpenToInternet => {
                "Allow the port only from the security group of the clients (e.g. the app tier) or from private CIDRs; never from 0.0.0.0/0 or ::/0."
            }
            Self::AllTrafficOpenToInternet => {
                "Replace the rule with rules for the specific ports the service needs, from the narrowest sources possible."
            }
            Self::DefaultGroupHasRules => {
                "Remove every inbound and outbound rule from the default group and attach purpose-made groups instead (CIS AWS 5.4, FSBP EC2.2)."
            }
            Self::UnusedGroup => "Delete the group if nothing will use it.",
            Self::InterfaceTooManyRules => {
                "Consolidate overlapping rules, use prefix lists or group references, or split the workload."
            }
            Self::RedundantRule => {
                "Remove the redundant rule; the covering rules already allow this traffic."
            }
            Self::BroadCidr => {
                "Narrow the CIDR to the addresses that need access, or reference a security group or prefix list."
            }
            Self::NonCanonicalCidr => {
                "Write the network address (e.g. 10.0.0.0/24), or use /32 (/128) if a single host was meant."
            }
            Self::StaleReference => {
                "Remove the rule or point it at an existing group, an active peering or an existing prefix list."
            }
            Self::DataStoreEgressOpen => {
                "Remove the allow-all egress rule from the data tier; allow only what it needs (e.g. tcp/443 to update endpoints)."
            }
            Self::InternetIngress => {
                "Check that the service is meant to be public (a web server, a load balancer); otherwise restrict the source."
            }
            Self::PublicSourceIngress => {
                "Check that each public address still belongs to whom it was opened for; prefer prefix lists for provider ranges."
            }
            Self::ServiceReachableFromInternet => {
                "Restrict the rule's source, or take the interface off the internet path (private subnet, no public or Elastic IP address)."
            }
            Self::LatentInternetExposure => {
                "Fix the rule now: one public address, IPv6 address, route or attachment makes it real."
            }
            Self::GroupTooManyRules => {
                "Merge rules into ranges, prefix lists or group references, or split the group by purpose."
            }
            Self::LaunchWizardGroup => {
                "Replace the wizard's group (often SSH from anywhere) with a purpose-made group and delete it."
            }
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    Group(GroupId),
    Interface(EniId),
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Group(g) => write!(f, "{g}"),
            Self::Interface(e) => write!(f, "{e}"),
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub check: CheckId,
    pub severity: Severity,
    pub resource: Resource,
    pub message: String,
    /// The rules the finding is about (sorted).
    pub rules: Vec<RuleMatch>,
    /// Prowler and ScoutSuite ids of the conditions this finding meets, sorted.
    pub aliases: Vec<&'static str>,
    /// For internet exposure: the interfaces' paths (open, latent or unknown), sorted.
    pub paths: Vec<FindingPath>,
}

impl Finding {
    /// A finding at the check's severity, with the check's aliases and no paths.
    pub fn new(check: CheckId, resource: Resource, message: String, rules: Vec<RuleMatch>) -> Self {
        Self {
            check,
            severity: check.severity(),
            resource,
            message,
            rules,
            aliases: check.aliases(),
            paths: Vec::new(),
        }
    }
}

/// One interface's path in one family, as a finding reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingPath {
    pub eni: EniId,
    pub family: AddressFamily,
    pub state: PathState,
}

/// A CIDR exactly as the input spelled it, so host bits EC2 would clear can be reported
/// (the model stores canonical CIDRs only; the importer passes the raw texts here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawCidr {
    pub group_id: GroupId,
    pub direction: Direction,
    pub rule_id: Option<RuleId>,
    pub text: String,
}

/// What the audit needs besides the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditConfig {
    pub disabled: Vec<CheckId>,
    /// Groups the user marks as data stores (in addition to tagged ones, see
    /// [`is_data_store`]).
    pub data_store_groups: Vec<GroupId>,
    /// Maximum rules (prefix lists weigh their max entries) per interface and direction.
    pub max_rules_per_interface: u32,
    /// Maximum rules per group and direction (Prowler's `max_security_group_rules`).
    pub max_rules_per_group: u32,
    pub raw_cidrs: Vec<RawCidr>,
}

impl AuditConfig {
    /// Every check on, no data stores beyond tags, 100 rules per interface and direction,
    /// 50 per group and direction.
    pub fn standard() -> Self {
        Self {
            disabled: Vec::new(),
            data_store_groups: Vec::new(),
            max_rules_per_interface: 100,
            max_rules_per_group: 50,
            raw_cidrs: Vec::new(),
        }
    }

    pub fn enabled(&self, check: CheckId) -> bool {
        !self.disabled.contains(&check)
    }
}

/// True when the group is marked as a data store: listed in the config, or tagged
/// `palisade:data-store` (any value), or `tier`/`Tier` = data, data-store, datastore,
/// database or db.
pub fn is_data_store(config: &AuditConfig, group: &SecurityGroup) -> bool {
    config.data_store_groups.contains(&group.id)
        || group.tags.iter().any(|t| {
            t.key.eq_ignore_ascii_case("palisade:data-store")
                || (t.key.eq_ignore_ascii_case("tier")
                    && ["data", "data-store", "datastore", "database", "db"]
                        .iter()
                        .any(|v| t.value.eq_ignore_ascii_case(v)))
        })
}

/// Runs every enabled check. Findings are sorted: most severe first, then by check and
/// resource.
pub fn audit(index: &Index<'_>, config: &AuditConfig) -> Vec<Finding> {
    let mut out = Vec::new();
    checks::exposure_checks(index, config, &mut out);
    hygiene::hygiene_checks(index, config, &mut out);
    if config.enabled(CheckId::RedundantRule) {
        redundancy::redundant_rules(index, &mut out);
    }
    out.retain(|f| config.enabled(f.check));
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.check.cmp(&b.check))
            .then_with(|| a.resource.cmp(&b.resource))
            .then_with(|| a.message.cmp(&b.message))
    });
    out
}
