//! EC2's quotas and request limits, with AWS's defaults, and the quotas file that changes
//! them (`palisade serve --quotas FILE`): `name = value` lines (a subset of TOML), `#`
//! comments, every value a whole number ≥ 1, unknown or repeated names refused.

use std::collections::BTreeSet;

use crate::error::{Ec2ErrorCode, GroupError};
use crate::ids::GroupId;

/// The quotas an account's state enforces ("Amazon VPC quotas", "Tag your Amazon EC2
/// resources", "List and filter your resources"). Only the adjustable ones are adjustable
/// on AWS; here every one is, for tests and private clouds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    rules_per_group: u32,
    groups_per_interface: u32,
    groups_per_region: u32,
    vpcs_per_region: u32,
    tags_per_resource: u32,
    values_per_filter: u32,
    addresses_per_interface: u32,
    addresses_per_region: u32,
}

impl Default for Quotas {
    fn default() -> Self {
        Self {
            // "Inbound or outbound rules per security group": 60 (per family).
            rules_per_group: 60,
            // "Security groups per network interface": 5, adjustable to 16.
            groups_per_interface: 5,
            // "VPC security groups per Region": 2,500.
            groups_per_region: 2500,
            // "VPCs per Region": 5, the default VPC included.
            vpcs_per_region: 5,
            // "Maximum tags per resource": 50.
            tags_per_resource: 50,
            // "The maximum number of filter values specified on a single call is 200".
            values_per_filter: 200,
            // The largest per-interface figure of "IP addresses per network interface per
            // instance type" (EC2 UG), each family, since instance types are not modelled.
            addresses_per_interface: 50,
            // "EC2-VPC Elastic IPs" per Region: 5 ("Elastic IP address quota", EC2 UG).
            addresses_per_region: 5,
        }
    }
}

/// A quotas file that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuotasError {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("{0}")]
    Invalid(String),
}

/// The names a quotas file may set, in the order the README documents them.
pub const QUOTA_NAMES: &[&str] = &[
    "rules_per_group",
    "groups_per_interface",
    "groups_per_region",
    "vpcs_per_region",
    "tags_per_resource",
    "values_per_filter",
    "addresses_per_interface",
    "addresses_per_region",
];

impl Quotas {
    /// AWS's defaults with other rules per group and groups per interface. "The quota for
    /// inbound or outbound rules per security group multiplied by the quota for security
    /// groups per network interface cannot exceed 1,000" (Amazon VPC quotas); groups per
    /// interface is adjustable up to 16.
    pub fn new(rules_per_group: u32, groups_per_interface: u32) -> Result<Self, GroupError> {
        let quotas = Self {
            rules_per_group,
            groups_per_interface,
            ..Self::default()
        };
        quotas.validate().map(|()| quotas)
    }

    /// A quotas file's text: AWS's defaults, changed by its `name = value` lines.
    pub fn parse(text: &str) -> Result<Self, QuotasError> {
        let mut quotas = Self::default();
        let mut seen = BTreeSet::new();
        for (idx, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let err = |message: String| QuotasError::Line {
                line: idx + 1,
                message,
            };
            let Some((name, value)) = line.split_once('=') else {
                return Err(err(format!("expected `name = value`, found '{line}'")));
            };
            let (name, value) = (name.trim(), value.trim());
            let slot = quotas.slot(name).ok_or_else(|| {
                err(format!(
                    "unknown quota '{name}' (known: {})",
                    QUOTA_NAMES.join(", ")
                ))
            })?;
            *slot = value
                .parse()
                .ok()
                .filter(|v| *v >= 1)
                .ok_or_else(|| err(format!("{name}: '{value}' is not a whole number ≥ 1")))?;
            if !seen.insert(name) {
                return Err(err(format!("{name} is set twice")));
            }
        }
        quotas
            .validate()
            .map_err(|e| QuotasError::Invalid(e.message().to_owned()))?;
        Ok(quotas)
    }

    fn slot(&mut self, name: &str) -> Option<&mut u32> {
        Some(match name {
            "rules_per_group" => &mut self.rules_per_group,
            "groups_per_interface" => &mut self.groups_per_interface,
            "groups_per_region" => &mut self.groups_per_region,
            "vpcs_per_region" => &mut self.vpcs_per_region,
            "tags_per_resource" => &mut self.tags_per_resource,
            "values_per_filter" => &mut self.values_per_filter,
            "addresses_per_interface" => &mut self.addresses_per_interface,
            "addresses_per_region" => &mut self.addresses_per_region,
            _ => return None,
        })
    }

    fn validate(&self) -> Result<(), GroupError> {
        let (rules, groups) = (self.rules_per_group, self.groups_per_interface);
        if rules == 0 || groups == 0 || groups > 16 {
            return Err(GroupError::new(
                Ec2ErrorCode::InvalidParameterValue,
                format!(
                    "invalid quotas: {rules} rules per group, {groups} groups per interface (1..=16)"
                ),
            ));
        }
        if u64::from(rules) * u64::from(groups) > 1000 {
            return Err(GroupError::new(
                Ec2ErrorCode::InvalidParameterValue,
                format!(
                    "invalid quotas: {rules} rules per group × {groups} groups per interface exceeds 1000"
                ),
            ));
        }
        let others = [
            self.groups_per_region,
            self.vpcs_per_region,
            self.tags_per_resource,
            self.values_per_filter,
            self.addresses_per_interface,
            self.addresses_per_region,
        ];
        if others.contains(&0) {
            return Err(GroupError::new(
                Ec2ErrorCode::InvalidParameterValue,
                "invalid quotas: every quota is at least 1",
            ));
        }
        Ok(())
    }

    pub fn rules_per_group(&self) -> u32 {
        self.rules_per_group
    }
    pub fn groups_per_interface(&self) -> u32 {
        self.groups_per_interface
    }
    pub fn groups_per_region(&self) -> u32 {
        self.groups_per_region
    }
    /// VPCs per region, the default VPC included.
    pub fn vpcs_per_region(&self) -> u32 {
        self.vpcs_per_region
    }
    pub fn tags_per_resource(&self) -> u32 {
        self.tags_per_resource
    }
    /// Values of one `Filter.N` (checked where requests are decoded).
    pub fn values_per_filter(&self) -> u32 {
        self.values_per_filter
    }
    /// Private addresses per interface, each family.
    pub fn addresses_per_interface(&self) -> u32 {
        self.addresses_per_interface
    }
    /// Elastic IP addresses per Region.
    pub fn addresses_per_region(&self) -> u32 {
        self.addresses_per_region
    }

    /// Checks a set of groups for one interface.
    pub fn check_interface_groups(&self, groups: &[GroupId]) -> Result<(), GroupError> {
        if groups.is_empty() {
            return Err(GroupError::new(
                Ec2ErrorCode::InvalidParameterValue,
                "You must specify at least one security group",
            ));
        }
        if groups.len() > self.groups_per_interface as usize {
            return Err(GroupError::new(
                Ec2ErrorCode::SecurityGroupsPerInterfaceLimitExceeded,
                format!(
                    "The maximum number of security groups per interface has been reached. ({} > {})",
                    groups.len(),
                    self.groups_per_interface
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_err(text: &str, expected: &str) {
        let err = Quotas::parse(text).unwrap_err().to_string();
        assert!(err.contains(expected), "{err}");
    }

    #[test]
    fn files_change_defaults() {
        assert_eq!(Quotas::parse("").unwrap(), Quotas::default());
        let q = Quotas::parse(
            "# raised for the lab\nvpcs_per_region = 100\n\n  tags_per_resource=10 # fewer\ngroups_per_interface = 16\nrules_per_group = 62\n",
        )
        .unwrap();
        assert_eq!(
            (
                q.vpcs_per_region(),
                q.tags_per_resource(),
                q.groups_per_interface(),
                q.rules_per_group(),
                q.groups_per_region()
            ),
            (100, 10, 16, 62, 2500)
        );
    }

    #[test]
    fn bad_files_say_where() {
        check_err("vpcs = 3", "line 1: unknown quota 'vpcs'");
        check_err("\nvpcs_per_region 3", "line 2: expected `name = value`");
        check_err("vpcs_per_region = 0", "not a whole number ≥ 1");
        check_err("vpcs_per_region = -1", "not a whole number ≥ 1");
        check_err("vpcs_per_region = five", "not a whole number ≥ 1");
        check_err("vpcs_per_region = 99999999999", "not a whole number ≥ 1");
        check_err(
            "vpcs_per_region = 2\nvpcs_per_region = 3",
            "line 2: vpcs_per_region is set twice",
        );
        check_err("groups_per_interface = 17", "(1..=16)");
        check_err(
            "groups_per_interface = 16\nrules_per_group = 63",
            "exceeds 1000",
        );
    }

    #[test]
    fn every_name_is_settable() {
        for name in QUOTA_NAMES {
            let mut q = Quotas::default();
            assert!(q.slot(name).is_some(), "{name}");
        }
    }
}
