//! `MaxResults`/`NextToken` pagination over items ordered by a key. The token is the key of
//! the next page's first item, so pages stay correct when items are added or removed
//! between calls (no offsets).

use palisade_model::Ec2ErrorCode;
use palisade_model::account::ops::PageRequest;

use super::{Params, QueryError};

const TOKEN_PREFIX: &str = "pal1.";

/// One page of results and the token for the next, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

/// The request's `MaxResults` (checked against `min..=max`) and `NextToken`, in model terms.
/// Without `MaxResults` everything after the token is one page.
pub fn page_request(params: &Params, (min, max): (i64, i64)) -> Result<PageRequest, QueryError> {
    let limit = match params.int("MaxResults")? {
        None => None,
        Some(n) if (min..=max).contains(&n) => usize::try_from(n).ok(),
        Some(n) => {
            return Err(QueryError::new(
                Ec2ErrorCode::InvalidParameterValue,
                format!(
                    "Value ( {n} ) for parameter maxResults is invalid. Expecting a value between {min} and {max}."
                ),
            ));
        }
    };
    let from = match params.get("NextToken").filter(|t| !t.is_empty()) {
        None => None,
        Some(token) => match token.strip_prefix(TOKEN_PREFIX) {
            Some(k) => Some(k.to_owned()),
            None => {
                return Err(QueryError::new(
                    Ec2ErrorCode::InvalidNextToken,
                    format!("The token '{token}' is invalid"),
                ));
            }
        },
    };
    Ok(PageRequest { max: limit, from })
}

/// The `NextToken` that asks for the page starting at `key`.
pub fn token_for(key: &str) -> String {
    format!("{TOKEN_PREFIX}{key}")
}

/// Pages `items` (already sorted by `key`) with the request's `MaxResults` (checked against
/// `min..=max`) and `NextToken`. Without `MaxResults` everything after the token is returned.
pub fn paginate<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    params: &Params,
    bounds: (i64, i64),
) -> Result<Page<T>, QueryError> {
    let PageRequest {
        max: limit,
        from: start,
    } = page_request(params, bounds)?;
    let mut rest: Vec<T> = match &start {
        None => items,
        Some(start) => items
            .into_iter()
            .filter(|t| key(t).as_str() >= start.as_str())
            .collect(),
    };
    let next_token = match limit {
        Some(limit) if rest.len() > limit => {
            let next = rest.split_off(limit);
            next.first().map(|t| token_for(&key(t)))
        }
        _ => None,
    };
    Ok(Page {
        items: rest,
        next_token,
    })
}
