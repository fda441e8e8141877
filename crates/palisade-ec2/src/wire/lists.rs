//! What group rules name besides groups and CIDRs: VPC peering connections
//! (Create/Accept/Delete/DescribeVpcPeeringConnection(s)) and managed prefix lists
//! (Create/Modify/Describe/DeleteManagedPrefixList(s), GetManagedPrefixListEntries).

use ipnet::IpNet;
use palisade_model::account::AccountState;
use palisade_model::account::ops::{PeeringView, Request, Response};
use palisade_model::{AddressFamily, Ec2ErrorCode, Peering, PrefixList, PrefixListEntry};

use super::network::count;
use super::xml::Xml;
use super::{Origin, next_token, select, tag_set};
use crate::query::{Params, QueryError, page_request};

pub(super) fn create_peering(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::CreateVpcPeeringConnection {
        vpc: p.required_id("VpcId")?,
        peer_vpc: p.required_id("PeerVpcId")?,
        peer_owner: p.opt_id("PeerOwnerId")?,
        peer_region: p.get("PeerRegion").map(str::to_owned),
    })
}

pub(super) fn accept_peering(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::AcceptVpcPeeringConnection {
        id: p.required_id("VpcPeeringConnectionId")?,
    })
}

pub(super) fn delete_peering(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DeleteVpcPeeringConnection {
        id: p.required_id("VpcPeeringConnectionId")?,
    })
}

const PEERING_FILTERS: &[&str] = &[
    "vpc-peering-connection-id",
    "status-code",
    "requester-vpc-info.vpc-id",
    "accepter-vpc-info.vpc-id",
];

fn peering_field(c: &Peering, name: &str, _: &AccountState) -> Option<Vec<String>> {
    Some(vec![match name {
        "vpc-peering-connection-id" => c.id.to_string(),
        "status-code" => c.status.aws_name().to_owned(),
        "requester-vpc-info.vpc-id" => c.requester_vpc.to_string(),
        "accepter-vpc-info.vpc-id" => c.accepter_vpc.to_string(),
        _ => return None,
    }])
}

pub(super) fn describe_peerings(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DescribeVpcPeeringConnections {
        ids: p.id_list("VpcPeeringConnectionId")?,
        select: select(p, PEERING_FILTERS, |c: &Peering| &c.tags, peering_field)?,
    })
}

fn entries(p: &Params, name: &str) -> Result<Vec<PrefixListEntry>, QueryError> {
    p.members(name)
        .iter()
        .map(|e| {
            let c = e.required("Cidr")?;
            let cidr: IpNet = c.parse().map_err(|_| {
                QueryError::new(
                    Ec2ErrorCode::InvalidParameterValue,
                    format!("The CIDR '{c}' is invalid"),
                )
            })?;
            Ok(PrefixListEntry {
                cidr,
                description: e.get("Description").map(str::to_owned),
            })
        })
        .collect()
}

pub(super) fn create_prefix_list(p: &Params) -> Result<Request, QueryError> {
    let family = match p.required("AddressFamily")? {
        "IPv4" => AddressFamily::Ipv4,
        "IPv6" => AddressFamily::Ipv6,
        other => {
            return Err(QueryError::new(
                Ec2ErrorCode::InvalidParameterValue,
                format!("Invalid AddressFamily '{other}'"),
            ));
        }
    };
    Ok(Request::CreateManagedPrefixList {
        name: p.required("PrefixListName")?.to_owned(),
        family,
        max_entries: count(p, "MaxEntries")?,
        entries: entries(p, "Entry")?,
        tags: p.tag_specs("prefix-list")?,
    })
}

pub(super) fn modify_prefix_list(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::ModifyManagedPrefixList {
        id: p.required_id("PrefixListId")?,
        current_version: p
            .int("CurrentVersion")?
            .map(|v| u64::try_from(v).unwrap_or(0)),
        add: entries(p, "AddEntry")?,
        remove: entries(p, "RemoveEntry")?
            .into_iter()
            .map(|e| e.cidr.trunc())
            .collect(),
        name: p.get("PrefixListName").map(str::to_owned),
    })
}

const PREFIX_LIST_FILTERS: &[&str] = &["prefix-list-id", "prefix-list-name", "owner-id"];

fn prefix_list_field(l: &PrefixList, name: &str, _: &AccountState) -> Option<Vec<String>> {
    Some(vec![match name {
        "prefix-list-id" => l.id.to_string(),
        "prefix-list-name" => l.name.clone(),
        "owner-id" => l.owner.to_string(),
        _ => return None,
    }])
}

pub(super) fn describe_prefix_lists(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DescribeManagedPrefixLists {
        ids: p.id_list("PrefixListId")?,
        select: select(
            p,
            PREFIX_LIST_FILTERS,
            |l: &PrefixList| &l.tags,
            prefix_list_field,
        )?,
        page: page_request(p, (1, 100))?,
    })
}

pub(super) fn prefix_list_entries(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::GetManagedPrefixListEntries {
        id: p.required_id("PrefixListId")?,
        page: page_request(p, (1, 100))?,
    })
}

pub(super) fn delete_prefix_list(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DeleteManagedPrefixList {
        id: p.required_id("PrefixListId")?,
    })
}

fn peering(x: &mut Xml, v: &PeeringView) {
    let p = &v.peering;
    let info = |x: &mut Xml, tag: &str, vpc, owner, cidr: Option<ipnet::Ipv4Net>| {
        x.node(tag, |x| {
            x.leaf("ownerId", owner)
                .leaf("vpcId", vpc)
                .leaf("region", &v.region)
                .opt("cidrBlock", cidr);
        });
    };
    x.leaf("vpcPeeringConnectionId", &p.id);
    info(
        x,
        "requesterVpcInfo",
        &p.requester_vpc,
        &p.requester_owner,
        v.requester_cidr,
    );
    info(
        x,
        "accepterVpcInfo",
        &p.accepter_vpc,
        &p.accepter_owner,
        v.accepter_cidr,
    );
    x.node("status", |x| {
        x.leaf("code", p.status.aws_name())
            .leaf("message", p.status.aws_name());
    });
    tag_set(x, &p.tags);
}

fn prefix_list(x: &mut Xml, l: &PrefixList, o: &Origin<'_>) {
    x.leaf("prefixListId", &l.id)
        .leaf("addressFamily", l.family.aws_name())
        .leaf(
            "state",
            if l.version > 1 {
                "modify-complete"
            } else {
                "create-complete"
            },
        )
        .leaf("prefixListArn", o.arn("prefix-list", l.id.as_str()))
        .leaf("prefixListName", &l.name)
        .leaf("maxEntries", l.max_entries)
        .leaf("version", l.version)
        .leaf("ownerId", &l.owner);
    tag_set(x, &l.tags);
}

pub(super) fn encode(x: &mut Xml, response: &Response, o: &Origin<'_>) {
    match response {
        Response::Peering(v) => {
            x.node("vpcPeeringConnection", |x| peering(x, v));
        }
        Response::Peerings(all) => {
            x.list("vpcPeeringConnectionSet", all, peering);
        }
        Response::PrefixList(l) => {
            x.node("prefixList", |x| prefix_list(x, l, o));
        }
        Response::PrefixLists(page) => {
            x.list("prefixListSet", &page.items, |x, l| prefix_list(x, l, o));
            next_token(x, page.next.as_ref());
        }
        Response::PrefixListEntries(page) => {
            x.list("entrySet", &page.items, |x, e| {
                x.leaf("cidr", e.cidr)
                    .opt("description", e.description.as_ref());
            });
            next_token(x, page.next.as_ref());
        }
        // `wire::encode` routes only the responses above here.
        _ => {}
    }
}
