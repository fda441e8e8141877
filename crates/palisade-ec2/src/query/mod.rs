//! The EC2 Query protocol's request side: flattened form parameters (`Name.N`,
//! `Name.N.Member`, 1-based) into typed values — `IpPermissions.N.*` into
//! [`IpPermission`](crate::IpPermission)s, `Filter.N`, `TagSpecification.N`, pagination —
//! with EC2's `MissingParameter`/`InvalidParameterValue` errors. Pure: the server hands over
//! already percent-decoded pairs.

mod addresses;
mod filter;
mod page;
mod perms;

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::ops::Bound;

use palisade_model::{Ec2ErrorCode, Tag};

pub use addresses::{address_spec, addresses_or_count, ipv4_list, ipv6_list, run_instances_spec};
pub use filter::{
    Filter, check_filter_values, filters, group_matches, matches_any, rule_matches, tag_filter,
    wildcard_match,
};
pub use page::{Page, page_request, paginate, token_for};
pub use perms::{
    ip_permissions, legacy_permission, resolve_group_names, rule_changes, rule_descriptions,
};

palisade_model::ec2_error!(
    /// Why a Query request could not be decoded; `code()` is the EC2 error code.
    QueryError
);

impl QueryError {
    /// EC2's `MissingParameter` for `name`.
    pub fn missing(name: &str) -> Self {
        Self::new(
            Ec2ErrorCode::MissingParameter,
            format!("The request must contain the parameter {name}"),
        )
    }
    pub(crate) fn invalid(name: &str, value: &str) -> Self {
        Self::new(
            Ec2ErrorCode::InvalidParameterValue,
            format!("Invalid value '{value}' for {name}"),
        )
    }
}

/// The form parameters of one request (or one `Name.N.` member of it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    map: BTreeMap<String, String>,
}

impl Params {
    /// A request's parameters from its decoded `(name, value)` pairs, refusing every name
    /// that would not read as exactly one parameter: a name given twice, an empty segment
    /// (`Filter..Name`, `GroupId.`), and a list index that is not a plain positive decimal
    /// (`.0`, `.01`, `.-1`, `.+1`, `.1x`, `.x`, beyond `u32::MAX`). So two spellings of one
    /// index (`IpPermissions.1`, `IpPermissions.01`) can never merge into one member.
    ///
    /// A segment after the first is a member name when it starts with an upper-case letter
    /// (the Query serializers of the SDKs capitalise every member name) and a list index
    /// otherwise.
    pub fn parse<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, QueryError> {
        let mut map = BTreeMap::new();
        for (name, value) in pairs {
            let name = name.into();
            check_name(&name)?;
            match map.entry(name) {
                Entry::Occupied(seen) => {
                    return Err(QueryError::new(
                        Ec2ErrorCode::InvalidParameterValue,
                        format!("The parameter {} is given more than once", seen.key()),
                    ));
                }
                Entry::Vacant(slot) => {
                    slot.insert(value.into());
                }
            }
        }
        Ok(Self { map })
    }

    /// From decoded `(name, value)` pairs without [`Params::parse`]'s checks (tests and
    /// built-in requests); a repeated name keeps its last value.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            map: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    pub fn required(&self, name: &str) -> Result<&str, QueryError> {
        match self.get(name) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(QueryError::missing(name)),
        }
    }

    /// A required parameter parsed into an id type (its own `Malformed` error).
    pub fn required_id<T>(&self, name: &str) -> Result<T, QueryError>
    where
        T: std::str::FromStr<Err = palisade_model::IdError>,
    {
        self.required(name)?
            .parse()
            .map_err(|e: palisade_model::IdError| QueryError::new(e.code(), e.to_string()))
    }

    /// An optional parameter parsed into an id type.
    pub fn opt_id<T>(&self, name: &str) -> Result<Option<T>, QueryError>
    where
        T: std::str::FromStr<Err = palisade_model::IdError>,
    {
        match self.get(name) {
            None | Some("") => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|e: palisade_model::IdError| QueryError::new(e.code(), e.to_string())),
        }
    }

    /// The parameters named `name.…`, each with the rest of its name after that dot, in
    /// name order (no allocation: every list and member lookup of a decode goes through
    /// here).
    fn under<'a>(&'a self, name: &'a str) -> impl Iterator<Item = (&'a str, &'a String)> + 'a {
        self.map
            .range::<str, _>((Bound::Included(name), Bound::Unbounded))
            .take_while(move |(k, _)| k.starts_with(name))
            .filter_map(move |(k, v)| k[name.len()..].strip_prefix('.').map(|rest| (rest, v)))
    }

    /// `Name.1`, `Name.2`, … in index order.
    pub fn list(&self, name: &str) -> Vec<String> {
        let mut items: Vec<(u32, String)> = self
            .under(name)
            .filter_map(|(rest, v)| Some((rest.parse::<u32>().ok()?, v.clone())))
            .collect();
        items.sort_by_key(|(n, _)| *n);
        items.into_iter().map(|(_, v)| v).collect()
    }

    /// `Name.N` parsed into ids.
    pub fn id_list<T>(&self, name: &str) -> Result<Vec<T>, QueryError>
    where
        T: std::str::FromStr<Err = palisade_model::IdError>,
    {
        self.list(name)
            .iter()
            .map(|v| {
                v.parse()
                    .map_err(|e: palisade_model::IdError| QueryError::new(e.code(), e.to_string()))
            })
            .collect()
    }

    /// The members `Name.N.*`, each as its own `Params`, in index order.
    pub fn members(&self, name: &str) -> Vec<Self> {
        let mut out: BTreeMap<u32, Self> = BTreeMap::new();
        for (rest, v) in self.under(name) {
            let Some((n, member)) = rest.split_once('.') else {
                continue;
            };
            let Ok(n) = n.parse::<u32>() else { continue };
            out.entry(n)
                .or_default()
                .map
                .insert(member.to_owned(), v.clone());
        }
        out.into_values().collect()
    }

    /// A sub-structure `Name.*` (not a list).
    pub fn member(&self, name: &str) -> Self {
        Self {
            map: self
                .under(name)
                .map(|(rest, v)| (rest.to_owned(), v.clone()))
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// A boolean (`true`/`false`, any case).
    pub fn bool(&self, name: &str) -> Result<Option<bool>, QueryError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(QueryError::invalid(name, v)),
        }
    }

    /// An integer.
    pub fn int(&self, name: &str) -> Result<Option<i64>, QueryError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| QueryError::invalid(name, v)),
        }
    }

    /// `DryRun=true`.
    pub fn dry_run(&self) -> Result<bool, QueryError> {
        Ok(self.bool("DryRun")?.unwrap_or(false))
    }

    /// The tags of `TagSpecification.N` entries for `resource_type` (others are refused as
    /// EC2 does: "'x' is not a valid taggable resource type for this operation").
    pub fn tag_specs(&self, resource_type: &str) -> Result<Vec<Tag>, QueryError> {
        let mut tags = Vec::new();
        for spec in self.members("TagSpecification") {
            let kind = spec.get("ResourceType").unwrap_or(resource_type);
            if kind != resource_type {
                return Err(QueryError::new(
                    Ec2ErrorCode::InvalidParameterValue,
                    format!("'{kind}' is not a valid taggable resource type for this operation."),
                ));
            }
            tags.extend(spec.tags("Tag")?);
        }
        Ok(tags)
    }

    /// The tags of the `TagSpecification.N` entries for `resource_type`, in a request whose
    /// specifications may name any of `allowed` (RunInstances tags instances, interfaces
    /// and volumes in one call); other types are refused as [`Params::tag_specs`] does.
    pub fn tag_specs_among(
        &self,
        allowed: &[&str],
        resource_type: &str,
    ) -> Result<Vec<Tag>, QueryError> {
        let mut tags = Vec::new();
        for spec in self.members("TagSpecification") {
            let kind = spec.get("ResourceType").unwrap_or(resource_type);
            if !allowed.contains(&kind) {
                return Err(QueryError::new(
                    Ec2ErrorCode::InvalidParameterValue,
                    format!("'{kind}' is not a valid taggable resource type for this operation."),
                ));
            }
            if kind == resource_type {
                tags.extend(spec.tags("Tag")?);
            }
        }
        Ok(tags)
    }

    /// `Name.N.Key` / `Name.N.Value` pairs; a missing value is the empty string.
    pub fn tags(&self, name: &str) -> Result<Vec<Tag>, QueryError> {
        self.members(name)
            .into_iter()
            .map(|t| {
                let key = t.required("Key")?.to_owned();
                if key.len() > 128 || key.starts_with("aws:") {
                    return Err(QueryError::new(
                        Ec2ErrorCode::InvalidParameterValue,
                        format!("Tag key '{key}' is invalid"),
                    ));
                }
                Ok(Tag {
                    key,
                    value: t.get("Value").unwrap_or("").to_owned(),
                })
            })
            .collect()
    }
}

/// EC2's `UnknownParameter` unless every segment of `name` after the first is a member name
/// or a list index.
fn check_name(name: &str) -> Result<(), QueryError> {
    let mut segments = name.split('.');
    let first_ok = segments.next().is_some_and(|s| !s.is_empty());
    if first_ok && segments.all(|s| is_member_name(s) || is_index(s)) {
        return Ok(());
    }
    Err(QueryError::new(
        Ec2ErrorCode::UnknownParameter,
        format!("The parameter {name} is not recognized"),
    ))
}

fn is_member_name(segment: &str) -> bool {
    segment.starts_with(|c: char| c.is_ascii_uppercase())
        && segment.chars().all(|c| c.is_ascii_alphanumeric())
}

/// `1`, `2`, … written the one way: decimal digits, no sign, no leading zero, within `u32`
/// (the type lists are ordered by).
fn is_index(segment: &str) -> bool {
    !segment.starts_with('0')
        && !segment.is_empty()
        && segment.bytes().all(|b| b.is_ascii_digit())
        && segment.parse::<u32>().is_ok()
}

#[cfg(test)]
mod tests;
