//! Deterministic ids for generated snapshots: `sg-` + 17 hex digits of `n`, and so on.

use palisade_model::{AccountId, EniId, GroupId, PeeringId, PrefixListId, RuleId, VpcId};

fn hex_id<T: std::str::FromStr>(prefix: &str, n: u64) -> T
where
    T::Err: std::fmt::Debug,
{
    format!("{prefix}{n:017x}")
        .parse()
        .expect("prefix + 17 hex digits is a valid id")
}

pub fn group_id(n: u64) -> GroupId {
    hex_id("sg-", n)
}

pub fn rule_id(n: u64) -> RuleId {
    hex_id("sgr-", n)
}

pub fn eni_id(n: u64) -> EniId {
    hex_id("eni-", n)
}

pub fn vpc_id(n: u64) -> VpcId {
    hex_id("vpc-", n)
}

pub fn peering_id(n: u64) -> PeeringId {
    hex_id("pcx-", n)
}

pub fn prefix_list_id(n: u64) -> PrefixListId {
    hex_id("pl-", n)
}

/// The one account generated snapshots belong to.
pub fn account() -> AccountId {
    "123456789012"
        .parse()
        .expect("12 digits is a valid account id")
}
