//! The regions a server serves. A request whose credential scope names any other region is
//! refused before it reaches the store, as AWS refuses a scope that does not match the
//! endpoint, so an invented region never becomes an account-region with a default VPC.

use std::collections::BTreeSet;
use std::fmt;

/// The AWS commercial partition (`aws`) as botocore 1.44.8 (the e2e suite's pin) lists it
/// (`botocore/data/endpoints.json`): the default of `palisade serve --regions`.
pub const COMMERCIAL: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// A non-empty set of region names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regions(BTreeSet<String>);

/// Why a region list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionsError {
    #[error("the region list is empty")]
    Empty,
    #[error("'{0}' is not a region name (lowercase letters, digits and inner dashes)")]
    Malformed(String),
}

impl Regions {
    /// The commercial partition's regions.
    pub fn commercial() -> Self {
        Self(COMMERCIAL.iter().map(|r| (*r).to_owned()).collect())
    }

    /// A comma-separated list (`us-east-1,eu-west-1`); blanks around names are ignored.
    pub fn parse(list: &str) -> Result<Self, RegionsError> {
        let mut set = BTreeSet::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let well_formed = name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !name.starts_with('-')
                && !name.ends_with('-');
            if !well_formed {
                return Err(RegionsError::Malformed(name.to_owned()));
            }
            set.insert(name.to_owned());
        }
        if set.is_empty() {
            return Err(RegionsError::Empty);
        }
        Ok(Self(set))
    }

    pub fn contains(&self, region: &str) -> bool {
        self.0.contains(region)
    }
}

impl fmt::Display for Regions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(String::as_str).collect();
        f.write_str(&names.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_and_refuse() {
        let r = Regions::parse(" us-east-1, eu-west-1 ,").unwrap();
        assert!(r.contains("eu-west-1") && !r.contains("us-west-2"));
        assert_eq!(r.to_string(), "eu-west-1,us-east-1");
        assert_eq!(Regions::parse(" , "), Err(RegionsError::Empty));
        assert!(matches!(
            Regions::parse("us-east-1,US-WEST-2"),
            Err(RegionsError::Malformed(_))
        ));
        assert!(matches!(
            Regions::parse("-x"),
            Err(RegionsError::Malformed(_))
        ));
        assert!(Regions::commercial().contains("mx-central-1"));
        assert!(!Regions::commercial().contains("xx-fake-1"));
    }
}
