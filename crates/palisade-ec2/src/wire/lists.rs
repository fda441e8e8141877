//! What group rules name besides groups and CIDRs: VPC peering connections
//! (Create/Accept/Reject/Delete/DescribeVpcPeeringConnection(s),
//! ModifyVpcPeeringConnectionOptions) and prefix lists
//! (Create/Modify/Describe/DeleteManagedPrefixList(s), GetManagedPrefixListEntries, the
//! legacy DescribePrefixLists).

use ipnet::IpNet;
use palisade_model::account::AccountState;
use palisade_model::account::ops::{PeeringSide, PeeringView, Request, Response};
use palisade_model::{AddressFamily, Ec2ErrorCode, Peering, PrefixList, PrefixListEntry};
use palisade_model::{PrefixListState, Timestamp, VpcBlocks};

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
        tags: p.tag_specs("vpc-peering-connection")?,
        // The server sets the request's time (`Request::at`).
        now: Timestamp::ZERO,
    })
}

pub(super) fn accept_peering(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::AcceptVpcPeeringConnection {
        id: p.required_id("VpcPeeringConnectionId")?,
    })
}

pub(super) fn reject_peering(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::RejectVpcPeeringConnection {
        id: p.required_id("VpcPeeringConnectionId")?,
    })
}

pub(super) fn delete_peering(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DeleteVpcPeeringConnection {
        id: p.required_id("VpcPeeringConnectionId")?,
    })
}

/// ModifyVpcPeeringConnectionOptions: only `AllowDnsResolutionFromRemoteVpc` is modelled
/// (the ClassicLink options went with EC2-Classic; `false` is accepted and means nothing).
pub(super) fn modify_peering_options(p: &Params) -> Result<Request, QueryError> {
    let side = |name: &str| -> Result<Option<bool>, QueryError> {
        let m = p.member(name);
        for classic in [
            "AllowEgressFromLocalClassicLinkToRemoteVpc",
            "AllowEgressFromLocalVpcToRemoteClassicLink",
        ] {
            if m.bool(classic)? == Some(true) {
                return Err(QueryError::new(
                    Ec2ErrorCode::UnsupportedOperation,
                    format!("{name}.{classic}: EC2-Classic is not supported"),
                ));
            }
        }
        m.bool("AllowDnsResolutionFromRemoteVpc")
    };
    Ok(Request::ModifyVpcPeeringConnectionOptions {
        id: p.required_id("VpcPeeringConnectionId")?,
        requester_dns: side("RequesterPeeringConnectionOptions")?,
        accepter_dns: side("AccepterPeeringConnectionOptions")?,
    })
}

const PEERING_FILTERS: &[&str] = &[
    "vpc-peering-connection-id",
    "status-code",
    "status-message",
    "expiration-time",
    "requester-vpc-info.vpc-id",
    "requester-vpc-info.owner-id",
    "requester-vpc-info.cidr-block",
    "accepter-vpc-info.vpc-id",
    "accepter-vpc-info.owner-id",
    "accepter-vpc-info.cidr-block",
];

fn peering_field(c: &Peering, name: &str, st: &AccountState) -> Option<Vec<String>> {
    let blocks = |b: &VpcBlocks| b.v4.iter().map(ToString::to_string).collect();
    Some(match name {
        "vpc-peering-connection-id" => vec![c.id.to_string()],
        "status-code" => vec![c.status.aws_name().to_owned()],
        "status-message" => vec![st.peering_view(c).message],
        "expiration-time" => c.detail.expires.map(iso8601).into_iter().collect(),
        "requester-vpc-info.vpc-id" => vec![c.requester_vpc.to_string()],
        "requester-vpc-info.owner-id" => vec![c.requester_owner.to_string()],
        "requester-vpc-info.cidr-block" => blocks(&st.peering_view(c).requester.blocks),
        "accepter-vpc-info.vpc-id" => vec![c.accepter_vpc.to_string()],
        "accepter-vpc-info.owner-id" => vec![c.accepter_owner.to_string()],
        "accepter-vpc-info.cidr-block" => blocks(&st.peering_view(c).accepter.blocks),
        _ => return None,
    })
}

pub(super) fn describe_peerings(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DescribeVpcPeeringConnections {
        ids: p.id_list("VpcPeeringConnectionId")?,
        select: select(p, PEERING_FILTERS, |c: &Peering| &c.tags, peering_field)?,
        page: page_request(p, (5, 1000))?,
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
        max_entries: p.int("MaxEntries")?.map(|n| u32::try_from(n).unwrap_or(0)),
    })
}

const PREFIX_LIST_FILTERS: &[&str] = &["prefix-list-id", "prefix-list-name", "owner-id"];
const GATEWAY_LIST_FILTERS: &[&str] = &["prefix-list-id", "prefix-list-name"];

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

/// DescribePrefixLists (legacy: the gateway endpoints' lists).
pub(super) fn describe_gateway_lists(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::DescribePrefixLists {
        ids: p.id_list("PrefixListId")?,
        select: select(
            p,
            GATEWAY_LIST_FILTERS,
            |l: &PrefixList| &l.tags,
            prefix_list_field,
        )?,
        page: page_request(p, (5, 1000))?,
    })
}

pub(super) fn prefix_list_associations(p: &Params) -> Result<Request, QueryError> {
    Ok(Request::GetManagedPrefixListAssociations {
        id: p.required_id("PrefixListId")?,
        page: page_request(p, (5, 255))?,
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
    let info = |x: &mut Xml, tag: &str, vpc, owner, side: &PeeringSide| {
        x.node(tag, |x| {
            x.opt("cidrBlock", side.blocks.v4.first());
            x.list("cidrBlockSet", &side.blocks.v4, |x, c| {
                x.leaf("cidrBlock", c);
            });
            if !side.blocks.v6.is_empty() {
                x.list("ipv6CidrBlockSet", &side.blocks.v6, |x, c| {
                    x.leaf("ipv6CidrBlock", c);
                });
            }
            x.leaf("ownerId", owner);
            if let Some(dns) = side.allow_dns {
                x.node("peeringOptions", |x| {
                    x.leaf("allowDnsResolutionFromRemoteVpc", dns)
                        .leaf("allowEgressFromLocalClassicLinkToRemoteVpc", false)
                        .leaf("allowEgressFromLocalVpcToRemoteClassicLink", false);
                });
            }
            x.leaf("region", &side.region).leaf("vpcId", vpc);
        });
    };
    info(
        x,
        "accepterVpcInfo",
        &p.accepter_vpc,
        &p.accepter_owner,
        &v.accepter,
    );
    x.opt("expirationTime", p.detail.expires.map(iso8601));
    info(
        x,
        "requesterVpcInfo",
        &p.requester_vpc,
        &p.requester_owner,
        &v.requester,
    );
    x.node("status", |x| {
        x.leaf("code", p.status.aws_name())
            .leaf("message", &v.message);
    });
    tag_set(x, &p.tags);
    x.leaf("vpcPeeringConnectionId", &p.id);
}

fn peering_options(x: &mut Xml, tag: &str, dns: Option<bool>) {
    if let Some(dns) = dns {
        x.node(tag, |x| {
            x.leaf("allowDnsResolutionFromRemoteVpc", dns)
                .leaf("allowEgressFromLocalClassicLinkToRemoteVpc", false)
                .leaf("allowEgressFromLocalVpcToRemoteClassicLink", false);
        });
    }
}

/// `2026-12-09T16:14:36.000Z` (ISO 8601 in UTC, as EC2 writes times: `launchTime`,
/// `attachTime`, `CreationTime` …) from Unix time.
pub fn iso8601(t: Timestamp) -> String {
    let ms = t.millis();
    let secs = ms / 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

fn prefix_list(x: &mut Xml, l: &PrefixList, state: PrefixListState, o: &Origin<'_>) {
    let arn_owner = if l.owner.is_aws_managed() {
        "aws".to_owned()
    } else {
        l.owner.to_string()
    };
    x.leaf("prefixListId", &l.id)
        .leaf("addressFamily", l.family.aws_name())
        .leaf("state", state.aws_name())
        .opt("stateMessage", l.state_message())
        .leaf(
            "prefixListArn",
            format!("arn:aws:ec2:{}:{arn_owner}:prefix-list/{}", o.region, l.id),
        )
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
        Response::Peerings(page) => {
            x.list("vpcPeeringConnectionSet", &page.items, peering);
            next_token(x, page.next.as_ref());
        }
        Response::PrefixList { list, state } => {
            x.node("prefixList", |x| prefix_list(x, list, *state, o));
        }
        Response::PrefixLists(page) => {
            x.list("prefixListSet", &page.items, |x, l| {
                prefix_list(x, l, l.state(), o);
            });
            next_token(x, page.next.as_ref());
        }
        Response::GatewayPrefixLists(page) => {
            x.list("prefixListSet", &page.items, |x, l| {
                x.list("cidrSet", &l.entries, |x, e| {
                    x.text(e.cidr);
                })
                .leaf("prefixListId", &l.id)
                .leaf("prefixListName", &l.name);
            });
            next_token(x, page.next.as_ref());
        }
        Response::PrefixListAssociations(page) => {
            x.list(
                "prefixListAssociationSet",
                &page.items,
                |x, (group, owner)| {
                    x.leaf("resourceId", group).leaf("resourceOwner", owner);
                },
            );
            next_token(x, page.next.as_ref());
        }
        Response::PeeringOptions {
            requester_dns,
            accepter_dns,
        } => {
            peering_options(x, "accepterPeeringConnectionOptions", *accepter_dns);
            peering_options(x, "requesterPeeringConnectionOptions", *requester_dns);
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
