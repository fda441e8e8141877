//! CreateTags, DeleteTags, DescribeTags.

use palisade_ec2::query::{Params, QueryError, filters, matches_any, paginate};
use palisade_model::Ec2ErrorCode;

use super::ok_return;
use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::xml::Xml;

pub(super) fn create(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let ids = p.list("ResourceId");
    if ids.is_empty() {
        return Err(QueryError::missing("ResourceId").into());
    }
    let tags = p.tags("Tag")?;
    ctx.write(|st, _| Ok(st.create_tags(&ids, &tags)?))?;
    Ok(ok_return())
}

pub(super) fn delete(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let ids = p.list("ResourceId");
    if ids.is_empty() {
        return Err(QueryError::missing("ResourceId").into());
    }
    let tags: Vec<(String, Option<String>)> = p
        .members("Tag")
        .iter()
        .map(|t| {
            Ok((
                t.required("Key")?.to_owned(),
                t.get("Value").map(str::to_owned),
            ))
        })
        .collect::<Result<_, QueryError>>()?;
    ctx.write(|st, _| Ok(st.delete_tags(&ids, &tags)?))?;
    Ok(ok_return())
}

pub(super) fn describe(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let filters = filters(p)?;
    let all = ctx.read(|st| st.all_tags())?;
    let mut found = Vec::new();
    for (id, kind, tag) in all {
        let mut ok = true;
        for f in &filters {
            let value = match f.name.as_str() {
                "resource-id" => id.as_str(),
                "resource-type" => kind,
                "key" => tag.key.as_str(),
                "value" => tag.value.as_str(),
                other => {
                    return Err(ApiError::new(
                        Ec2ErrorCode::InvalidParameterValue,
                        format!("The filter '{other}' is invalid"),
                    ));
                }
            };
            ok &= matches_any(f, value);
        }
        if ok {
            found.push((id, kind, tag));
        }
    }
    let page = paginate(found, |(id, _, t)| format!("{id} {}", t.key), p, (5, 1000))?;
    let mut x = Xml::new();
    x.list("tagSet", &page.items, |x, (id, kind, t)| {
        x.leaf("resourceId", id)
            .leaf("resourceType", kind)
            .leaf("key", &t.key)
            .leaf("value", &t.value);
    });
    x.opt("nextToken", page.next_token);
    Ok(x)
}
