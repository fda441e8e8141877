//! Security groups associated with other VPCs: Associate/DisassociateSecurityGroupVpc,
//! DescribeSecurityGroupVpcAssociations and GetSecurityGroupsForVpc.

use palisade_model::SecurityGroup;
use palisade_model::account::AccountState;
use palisade_model::account::ops::{GroupVpcAssociation, Request, Response};

use super::xml::Xml;
use super::{next_token, select, tag_set};
use crate::query::{Params, QueryError, page_request};

pub(super) fn associate(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::AssociateSecurityGroupVpc {
        group: p.required_id("GroupId")?,
        vpc: p.required_id("VpcId")?,
    })
}

pub(super) fn disassociate(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DisassociateSecurityGroupVpc {
        group: p.required_id("GroupId")?,
        vpc: p.required_id("VpcId")?,
    })
}

const ASSOCIATION_FILTERS: &[&str] = &[
    "group-id",
    "group-owner-id",
    "vpc-id",
    "vpc-owner-id",
    "state",
];

fn association_field(a: &GroupVpcAssociation, name: &str, _: &AccountState) -> Option<Vec<String>> {
    Some(vec![match name {
        "group-id" => a.group_id.to_string(),
        "group-owner-id" => a.group_owner.to_string(),
        "vpc-id" => a.vpc_id.to_string(),
        "vpc-owner-id" => a.vpc_owner.to_string(),
        "state" => a.state.to_owned(),
        _ => return None,
    }])
}

pub(super) fn describe(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DescribeSecurityGroupVpcAssociations {
        select: select(
            p,
            ASSOCIATION_FILTERS,
            |_: &GroupVpcAssociation| &[],
            association_field,
        )?,
        page: page_request(p, (5, 1000))?,
    })
}

const FOR_VPC_FILTERS: &[&str] = &[
    "group-id",
    "description",
    "group-name",
    "owner-id",
    "primary-vpc-id",
];

fn for_vpc_field(g: &SecurityGroup, name: &str, _: &AccountState) -> Option<Vec<String>> {
    Some(vec![match name {
        "group-id" => g.id.to_string(),
        "description" => g.description.clone(),
        "group-name" => g.name.clone(),
        "owner-id" => g.owner.to_string(),
        "primary-vpc-id" => g.vpc_id.to_string(),
        _ => return None,
    }])
}

pub(super) fn for_vpc(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::GetSecurityGroupsForVpc {
        vpc: p.required_id("VpcId")?,
        select: select(
            p,
            FOR_VPC_FILTERS,
            |g: &SecurityGroup| &g.tags,
            for_vpc_field,
        )?,
        page: page_request(p, (5, 1000))?,
    })
}

pub(super) fn encode(x: &mut Xml, response: &Response) {
    match response {
        Response::GroupVpcAssociationState(state) => {
            x.leaf("state", state);
        }
        Response::GroupVpcAssociations(page) => {
            x.list("securityGroupVpcAssociationSet", &page.items, |x, a| {
                x.leaf("groupId", &a.group_id)
                    .leaf("vpcId", &a.vpc_id)
                    .leaf("vpcOwnerId", &a.vpc_owner)
                    .leaf("state", a.state)
                    .leaf("groupOwnerId", &a.group_owner);
            });
            next_token(x, page.next.as_ref());
        }
        Response::GroupsForVpc(page) => {
            x.list("securityGroupForVpcSet", &page.items, |x, g| {
                x.leaf("description", &g.description)
                    .leaf("groupName", &g.name)
                    .leaf("ownerId", &g.owner)
                    .leaf("groupId", &g.id);
                tag_set(x, &g.tags);
                x.leaf("primaryVpcId", &g.vpc_id);
            });
            next_token(x, page.next.as_ref());
        }
        // `wire::encode` routes only the responses above here.
        _ => {}
    }
}
