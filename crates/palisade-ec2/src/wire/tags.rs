//! CreateTags, DeleteTags, DescribeTags.

use palisade_model::account::AccountState;
use palisade_model::account::ops::{Request, Response, TaggedResource};

use super::xml::Xml;
use super::{next_token, select};
use crate::query::{Params, QueryError, page_request};

fn resources(p: &Params) -> Result<Vec<String>, QueryError> {
    let ids = p.list("ResourceId");
    if ids.is_empty() {
        return Err(QueryError::missing("ResourceId"));
    }
    Ok(ids)
}

pub(super) fn create(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::CreateTags {
        resources: resources(p)?,
        tags: p.tags("Tag")?,
    })
}

pub(super) fn delete(p: &Params) -> Result<Request, QueryError> {
    let resources = resources(p)?;
    let tags = p
        .members("Tag")
        .iter()
        .map(|t| {
            Ok((
                t.required("Key")?.to_owned(),
                t.get("Value").map(str::to_owned),
            ))
        })
        .collect::<Result<_, QueryError>>()?;
    Ok(Request::DeleteTags { resources, tags })
}

const TAG_FILTERS: &[&str] = &["resource-id", "resource-type", "key", "value"];

fn tag_field(t: &TaggedResource, name: &str, _: &AccountState) -> Option<Vec<String>> {
    Some(vec![match name {
        "resource-id" => t.id.clone(),
        "resource-type" => t.kind.to_owned(),
        "key" => t.tag.key.clone(),
        "value" => t.tag.value.clone(),
        _ => return None,
    }])
}

pub(super) fn describe(p: &Params) -> Result<Request, QueryError> {
    // DescribeTags' items are tags: `tag:<key>`, `tag-key` and `tag-value` test the item's
    // own tag.
    Ok(Request::DescribeTags {
        select: select(
            p,
            TAG_FILTERS,
            |t: &TaggedResource| std::slice::from_ref(&t.tag),
            tag_field,
        )?,
        page: page_request(p, (5, 1000))?,
    })
}

pub(super) fn encode(x: &mut Xml, response: &Response) {
    if let Response::Tags(page) = response {
        x.list("tagSet", &page.items, |x, t| {
            x.leaf("resourceId", &t.id)
                .leaf("resourceType", t.kind)
                .leaf("key", &t.tag.key)
                .leaf("value", &t.tag.value);
        });
        next_token(x, page.next.as_ref());
    }
}
