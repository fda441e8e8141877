//! VPCs, subnets, network interfaces, instances, peering connections and managed prefix
//! lists: what security groups attach to and reference.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use palisade_ec2::query::{
    Filter, Params, QueryError, address_spec, filters, matches_any, paginate, run_instances_spec,
    tag_filter,
};
use palisade_model::account::{NewEni, NewInstances};
use palisade_model::{
    AddressFamily, Ec2ErrorCode, EniId, GroupId, InstanceId, PeeringId, PrefixListEntry,
    PrefixListId, SubnetId, Tag, VpcId,
};

use super::ok_return;
use crate::ctx::Ctx;
use crate::encode;
use crate::error::ApiError;
use crate::xml::Xml;

/// Applies `filters` to one resource: `field(name)` gives the resource's values for a filter
/// name (`None`: not a filter of this operation).
fn keep(
    filters: &[Filter],
    tags: &[Tag],
    field: impl Fn(&str) -> Option<Vec<String>>,
) -> Result<bool, ApiError> {
    for f in filters {
        let ok = match tag_filter(f, tags) {
            Some(ok) => ok,
            None => match field(&f.name) {
                Some(values) => values.iter().any(|v| matches_any(f, v)),
                None => {
                    return Err(ApiError::new(
                        Ec2ErrorCode::InvalidParameterValue,
                        format!("The filter '{}' is invalid", f.name),
                    ));
                }
            },
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

fn cidr_v4(p: &Params, name: &str) -> Result<Ipv4Net, ApiError> {
    let v = p.required(name)?;
    v.parse().map_err(|_| {
        ApiError::new(
            Ec2ErrorCode::InvalidParameterValue,
            format!(
                "Value ({v}) for parameter cidrBlock is invalid. This is not a valid CIDR block."
            ),
        )
    })
}

pub(super) fn cidr_v6(p: &Params, name: &str) -> Result<Option<Ipv6Net>, ApiError> {
    p.get(name)
        .map(|v| {
            v.parse().map_err(|_| {
                ApiError::new(
                    Ec2ErrorCode::InvalidParameterValue,
                    format!("Value ({v}) for parameter ipv6CidrBlock is invalid."),
                )
            })
        })
        .transpose()
}

pub(super) fn create_vpc(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let cidr = cidr_v4(p, "CidrBlock")?;
    let want_v6 = p.bool("AmazonProvidedIpv6CidrBlock")?.unwrap_or(false);
    let tags = p.tag_specs("vpc")?;
    let vpc = ctx.write(|st, ids| {
        // An "Amazon-provided" /56 from the documentation-free 2600:1f00::/24 pool, chosen
        // by the id source.
        let v6 = want_v6.then(|| {
            let bits = ids.next_bits();
            let hi = 0x2600_1f00_0000_0000_u64
                | (u64::try_from((bits >> 8) & 0x00ff_ffff_ff00).unwrap_or(0));
            Ipv6Net::new(std::net::Ipv6Addr::from(u128::from(hi) << 64), 56)
                .expect("56 is a valid prefix length")
                .trunc()
        });
        let id = st.create_vpc(cidr, v6, tags, ids)?;
        Ok(st.vpc(&id)?.clone())
    })?;
    let mut x = Xml::new();
    x.node("vpc", |x| encode::vpc(x, &vpc));
    Ok(x)
}

pub(super) fn describe_vpcs(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let ids: Vec<VpcId> = p.id_list("VpcId")?;
    let filters = filters(p)?;
    let vpcs = ctx.read(|st| -> Result<_, ApiError> {
        for id in &ids {
            st.vpc(id)?;
        }
        let mut out = Vec::new();
        for v in st
            .snapshot()
            .vpcs
            .values()
            .filter(|v| ids.is_empty() || ids.contains(&v.id))
        {
            let ok = keep(&filters, &v.tags, |name| match name {
                "vpc-id" => Some(vec![v.id.to_string()]),
                "cidr" | "cidr-block-association.cidr-block" => {
                    Some(v.cidrs_v4.iter().map(ToString::to_string).collect())
                }
                "ipv6-cidr-block-association.ipv6-cidr-block" => {
                    Some(v.cidrs_v6.iter().map(ToString::to_string).collect())
                }
                "is-default" => Some(vec![v.is_default.to_string()]),
                "owner-id" => Some(vec![v.owner.to_string()]),
                "state" => Some(vec!["available".into()]),
                _ => None,
            })?;
            if ok {
                out.push(v.clone());
            }
        }
        Ok(out)
    })??;
    let page = paginate(vpcs, |v| v.id.to_string(), p, (5, 1000))?;
    let mut x = Xml::new();
    x.list("vpcSet", &page.items, encode::vpc);
    x.opt("nextToken", page.next_token);
    Ok(x)
}

pub(super) fn delete_vpc(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let id: VpcId = p.required_id("VpcId")?;
    ctx.write(|st, _| Ok(st.delete_vpc(&id)?))?;
    Ok(ok_return())
}

pub(super) fn create_subnet(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let vpc: VpcId = p.required_id("VpcId")?;
    let cidr = cidr_v4(p, "CidrBlock")?;
    let v6 = cidr_v6(p, "Ipv6CidrBlock")?;
    let zone = p.get("AvailabilityZone").map(str::to_owned);
    let tags = p.tag_specs("subnet")?;
    let arn = ctx.arn("subnet", "");
    let out = ctx.write(|st, ids| {
        let id = st.create_subnet(&vpc, cidr, v6, zone, tags, ids)?;
        let mut x = Xml::new();
        let s = st.subnet(&id)?;
        x.node("subnet", |x| {
            encode::subnet(x, s, st, &format!("{arn}{id}"))
        });
        Ok(x)
    })?;
    Ok(out)
}

pub(super) fn describe_subnets(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let ids: Vec<SubnetId> = p.id_list("SubnetId")?;
    let filters = filters(p)?;
    let arn = ctx.arn("subnet", "");
    let mut next = None;
    let x = ctx.read(|st| -> Result<Xml, ApiError> {
        for id in &ids {
            st.subnet(id)?;
        }
        let mut subnets = Vec::new();
        for s in st
            .snapshot()
            .subnets
            .values()
            .filter(|s| ids.is_empty() || ids.contains(&s.id))
        {
            let default = st
                .snapshot()
                .vpcs
                .get(&s.vpc_id)
                .is_some_and(|v| v.is_default);
            let ok = keep(&filters, &s.tags, |name| match name {
                "subnet-id" => Some(vec![s.id.to_string()]),
                "vpc-id" => Some(vec![s.vpc_id.to_string()]),
                "cidr-block" | "cidr" | "cidrBlock" => Some(vec![s.cidr_v4.to_string()]),
                "availability-zone" | "availabilityZone" => Some(vec![s.availability_zone.clone()]),
                "default-for-az" | "defaultForAz" => Some(vec![default.to_string()]),
                "owner-id" => Some(vec![s.owner.to_string()]),
                "state" => Some(vec!["available".into()]),
                _ => None,
            })?;
            if ok {
                subnets.push(s);
            }
        }
        let page = paginate(subnets, |s| s.id.to_string(), p, (5, 1000))?;
        next = page.next_token;
        let mut x = Xml::new();
        x.list("subnetSet", page.items, |x, s| {
            encode::subnet(x, s, st, &format!("{arn}{}", s.id))
        });
        Ok(x)
    })??;
    let mut x = x;
    x.opt("nextToken", next);
    Ok(x)
}

pub(super) fn delete_subnet(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let id: SubnetId = p.required_id("SubnetId")?;
    ctx.write(|st, _| Ok(st.delete_subnet(&id)?))?;
    Ok(ok_return())
}

pub(super) fn create_eni(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let new = NewEni {
        subnet_id: p.required_id("SubnetId")?,
        groups: p.id_list("SecurityGroupId")?,
        addresses: address_spec(p, "Ipv6Addresses")?,
        description: p.get("Description").unwrap_or("").to_owned(),
        tags: p.tag_specs("network-interface")?,
    };
    ctx.write(|st, ids| {
        let id = st.create_eni(new, ids)?;
        let mut x = Xml::new();
        x.node("networkInterface", |x| {
            encode::eni(x, st.eni(&id).expect("just created"), st)
        });
        Ok(x)
    })
}

pub(super) fn describe_enis(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let ids: Vec<EniId> = p.id_list("NetworkInterfaceId")?;
    let filters = filters(p)?;
    let mut next = None;
    let x = ctx.read(|st| -> Result<Xml, ApiError> {
        for id in &ids {
            st.eni(id)?;
        }
        let mut enis = Vec::new();
        for e in st
            .snapshot()
            .enis
            .values()
            .filter(|e| ids.is_empty() || ids.contains(&e.id))
        {
            let ok = keep(&filters, &e.tags, |name| match name {
                "network-interface-id" => Some(vec![e.id.to_string()]),
                "vpc-id" => Some(vec![e.vpc_id.to_string()]),
                "subnet-id" => Some(e.subnet_id.iter().map(ToString::to_string).collect()),
                "group-id" => Some(e.groups.iter().map(ToString::to_string).collect()),
                "attachment.instance-id" => {
                    Some(e.instance_id.iter().map(ToString::to_string).collect())
                }
                "private-ip-address" => Some(
                    e.private_ipv4
                        .iter()
                        .take(1)
                        .map(ToString::to_string)
                        .collect(),
                ),
                "addresses.private-ip-address" => {
                    Some(e.private_ipv4.iter().map(ToString::to_string).collect())
                }
                "ipv6-addresses.ipv6-address" => {
                    Some(e.ipv6.iter().map(ToString::to_string).collect())
                }
                "status" => Some(vec![
                    if e.instance_id.is_some() {
                        "in-use"
                    } else {
                        "available"
                    }
                    .into(),
                ]),
                "owner-id" => Some(vec![e.owner.to_string()]),
                "description" => Some(vec![e.description.clone()]),
                _ => None,
            })?;
            if ok {
                enis.push(e);
            }
        }
        let page = paginate(enis, |e| e.id.to_string(), p, (5, 1000))?;
        next = page.next_token;
        let mut x = Xml::new();
        x.list("networkInterfaceSet", page.items, |x, e| {
            encode::eni(x, e, st)
        });
        Ok(x)
    })??;
    let mut x = x;
    x.opt("nextToken", next);
    Ok(x)
}

pub(super) fn delete_eni(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let id: EniId = p.required_id("NetworkInterfaceId")?;
    ctx.write(|st, _| Ok(st.delete_eni(&id)?))?;
    Ok(ok_return())
}

pub(super) fn modify_eni(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let id: EniId = p.required_id("NetworkInterfaceId")?;
    let groups: Vec<GroupId> = p.id_list("SecurityGroupId")?;
    if groups.is_empty() {
        // Only the group set is modelled; other attributes are accepted and ignored.
        ctx.read(|st| st.eni(&id).map(|_| ()))??;
        return Ok(ok_return());
    }
    ctx.write(|st, _| Ok(st.set_eni_groups(&id, groups)?))?;
    Ok(ok_return())
}

fn count(p: &Params, name: &str) -> Result<u32, ApiError> {
    let n = p.int(name)?.ok_or_else(|| QueryError::missing(name))?;
    u32::try_from(n).map_err(|_| {
        ApiError::new(
            Ec2ErrorCode::InvalidParameterValue,
            format!("Invalid value '{n}' for {name}"),
        )
    })
}

fn reservation(
    x: &mut Xml,
    owner: &str,
    st: &palisade_model::account::AccountState,
    ids: &[InstanceId],
) {
    x.leaf(
        "reservationId",
        format!("r-{}", ids.first().map_or("0", |i| &i.as_str()[2..])),
    )
    .leaf("ownerId", owner)
    .list("groupSet", std::iter::empty::<()>(), |_, ()| {})
    .list(
        "instancesSet",
        ids.iter().filter_map(|id| st.instances().get(id)),
        |x, i| encode::instance(x, i, st),
    );
}

pub(super) fn run_instances(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let min = count(p, "MinCount")?;
    let max = count(p, "MaxCount")?;
    if min > max || min == 0 {
        return Err(ApiError::new(
            Ec2ErrorCode::InvalidParameterValue,
            "MinCount must be between 1 and MaxCount",
        ));
    }
    // `NetworkInterface.1.*` (device 0) may carry the subnet and groups instead; only the
    // primary interface is modelled.
    let nics = p.members("NetworkInterface");
    let primary = nics
        .iter()
        .find(|n| n.get("DeviceIndex").is_none_or(|d| d == "0"));
    let mut subnet_id = p.opt_id("SubnetId")?;
    let mut groups: Vec<GroupId> = p.id_list("SecurityGroupId")?;
    if let Some(nic) = primary {
        subnet_id = subnet_id.or(nic.opt_id("SubnetId")?);
        groups.extend(nic.id_list::<GroupId>("SecurityGroupId")?);
    }
    let addresses = run_instances_spec(p, primary)?;
    let new = NewInstances {
        image_id: p.required("ImageId")?.to_owned(),
        instance_type: p.get("InstanceType").unwrap_or("m1.small").to_owned(),
        count: max,
        subnet_id,
        groups,
        group_names: p.list("SecurityGroup"),
        addresses,
        tags: p.tag_specs("instance")?,
    };
    let owner = ctx.scope.account.to_string();
    ctx.write(|st, ids| {
        let created = st.run_instances(new, ids)?;
        let mut x = Xml::new();
        reservation(&mut x, &owner, st, &created);
        Ok(x)
    })
}

pub(super) fn describe_instances(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let ids: Vec<InstanceId> = p.id_list("InstanceId")?;
    let filters = filters(p)?;
    let owner = ctx.scope.account.to_string();
    let mut next = None;
    let x = ctx.read(|st| -> Result<Xml, ApiError> {
        for id in &ids {
            st.instance(id)?;
        }
        let mut found = Vec::new();
        for i in st
            .instances()
            .values()
            .filter(|i| ids.is_empty() || ids.contains(&i.id))
        {
            let groups: Vec<String> = st
                .snapshot()
                .enis
                .get(&i.primary_eni)
                .map(|e| e.groups.iter().map(ToString::to_string).collect())
                .unwrap_or_default();
            let ok = keep(&filters, &i.tags, |name| match name {
                "instance-id" => Some(vec![i.id.to_string()]),
                "instance-state-name" => Some(vec![i.state.aws_name().into()]),
                "instance.group-id" | "group-id" => Some(groups.clone()),
                "vpc-id" => Some(vec![i.vpc_id.to_string()]),
                "subnet-id" => Some(vec![i.subnet_id.to_string()]),
                "image-id" => Some(vec![i.image_id.clone()]),
                "private-ip-address" => Some(vec![i.private_ip.to_string()]),
                "network-interface.network-interface-id" => Some(vec![i.primary_eni.to_string()]),
                _ => None,
            })?;
            if ok {
                found.push(i.id.clone());
            }
        }
        let page = paginate(found, ToString::to_string, p, (5, 1000))?;
        next = page.next_token;
        let mut x = Xml::new();
        x.list("reservationSet", page.items.iter(), |x, id| {
            reservation(x, &owner, st, std::slice::from_ref(id))
        });
        Ok(x)
    })??;
    let mut x = x;
    x.opt("nextToken", next);
    Ok(x)
}

pub(super) fn terminate_instances(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let ids: Vec<InstanceId> = p.id_list("InstanceId")?;
    if ids.is_empty() {
        return Err(QueryError::missing("InstanceId").into());
    }
    let changes = ctx.write(|st, _| Ok(st.terminate_instances(&ids)?))?;
    let mut x = Xml::new();
    x.list("instancesSet", &changes, |x, (id, before)| {
        x.leaf("instanceId", id)
            .node("currentState", |x| {
                x.leaf("code", 48).leaf("name", "terminated");
            })
            .node("previousState", |x| {
                x.leaf("code", before.code())
                    .leaf("name", before.aws_name());
            });
    });
    Ok(x)
}

pub(super) fn modify_instance(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let id: InstanceId = p.required_id("InstanceId")?;
    let groups: Vec<GroupId> = p.id_list("GroupId")?;
    if groups.is_empty() {
        ctx.read(|st| st.instance(&id).map(|_| ()))??;
        return Ok(ok_return());
    }
    ctx.write(|st, _| Ok(st.set_instance_groups(&id, groups)?))?;
    Ok(ok_return())
}

pub(super) fn create_peering(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let vpc: VpcId = p.required_id("VpcId")?;
    let peer: VpcId = p.required_id("PeerVpcId")?;
    if p.get("PeerOwnerId")
        .is_some_and(|o| o != ctx.scope.account.as_str())
        || p.get("PeerRegion").is_some_and(|r| r != ctx.scope.region)
    {
        return Err(ApiError::new(
            Ec2ErrorCode::UnsupportedOperation,
            "palisade supports VPC peering within one account and region only",
        ));
    }
    ctx.write(|st, ids| {
        let id = st.create_peering(&vpc, &peer, ids)?;
        let mut x = Xml::new();
        x.node("vpcPeeringConnection", |x| {
            encode::peering(x, st.peering(&id).expect("just created"), st)
        });
        Ok(x)
    })
}

pub(super) fn accept_peering(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let id: PeeringId = p.required_id("VpcPeeringConnectionId")?;
    ctx.write(|st, _| {
        st.accept_peering(&id)?;
        let mut x = Xml::new();
        x.node("vpcPeeringConnection", |x| {
            encode::peering(x, st.peering(&id).expect("just accepted"), st)
        });
        Ok(x)
    })
}

pub(super) fn delete_peering(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let id: PeeringId = p.required_id("VpcPeeringConnectionId")?;
    ctx.write(|st, _| Ok(st.delete_peering(&id)?))?;
    Ok(ok_return())
}

pub(super) fn describe_peerings(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let ids: Vec<PeeringId> = p.id_list("VpcPeeringConnectionId")?;
    let filters = filters(p)?;
    ctx.read(|st| -> Result<Xml, ApiError> {
        for id in &ids {
            st.peering(id)?;
        }
        let mut found = Vec::new();
        for c in st
            .snapshot()
            .peerings
            .values()
            .filter(|c| ids.is_empty() || ids.contains(&c.id))
        {
            let ok = keep(&filters, &c.tags, |name| match name {
                "vpc-peering-connection-id" => Some(vec![c.id.to_string()]),
                "status-code" => Some(vec![c.status.aws_name().into()]),
                "requester-vpc-info.vpc-id" => Some(vec![c.requester_vpc.to_string()]),
                "accepter-vpc-info.vpc-id" => Some(vec![c.accepter_vpc.to_string()]),
                _ => None,
            })?;
            if ok {
                found.push(c);
            }
        }
        let mut x = Xml::new();
        x.list("vpcPeeringConnectionSet", found, |x, c| {
            encode::peering(x, c, st)
        });
        Ok(x)
    })?
}

fn entries(p: &Params, name: &str) -> Result<Vec<PrefixListEntry>, ApiError> {
    p.members(name)
        .iter()
        .map(|e| {
            let c = e.required("Cidr")?;
            let cidr: IpNet = c.parse().map_err(|_| {
                ApiError::new(
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

pub(super) fn create_prefix_list(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let name = p.required("PrefixListName")?.to_owned();
    let family = match p.required("AddressFamily")? {
        "IPv4" => AddressFamily::Ipv4,
        "IPv6" => AddressFamily::Ipv6,
        other => {
            return Err(ApiError::new(
                Ec2ErrorCode::InvalidParameterValue,
                format!("Invalid AddressFamily '{other}'"),
            ));
        }
    };
    let max = count(p, "MaxEntries")?;
    let list_entries = entries(p, "Entry")?;
    let tags = p.tag_specs("prefix-list")?;
    let arn = ctx.arn("prefix-list", "");
    ctx.write(|st, ids| {
        let id = st.create_prefix_list(&name, family, max, list_entries, tags, ids)?;
        let mut x = Xml::new();
        x.node("prefixList", |x| {
            encode::prefix_list(
                x,
                st.prefix_list(&id).expect("just created"),
                &format!("{arn}{id}"),
            )
        });
        Ok(x)
    })
}

pub(super) fn modify_prefix_list(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let id: PrefixListId = p.required_id("PrefixListId")?;
    let version = p
        .int("CurrentVersion")?
        .map(|v| u64::try_from(v).unwrap_or(0));
    let add = entries(p, "AddEntry")?;
    let remove: Vec<IpNet> = entries(p, "RemoveEntry")?
        .into_iter()
        .map(|e| e.cidr.trunc())
        .collect();
    let name = p.get("PrefixListName").map(str::to_owned);
    let arn = ctx.arn("prefix-list", id.as_str());
    ctx.write(|st, _| {
        st.modify_prefix_list(&id, version, add, &remove, name)?;
        let mut x = Xml::new();
        x.node("prefixList", |x| {
            encode::prefix_list(x, st.prefix_list(&id).expect("just modified"), &arn)
        });
        Ok(x)
    })
}

pub(super) fn describe_prefix_lists(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let ids: Vec<PrefixListId> = p.id_list("PrefixListId")?;
    let filters = filters(p)?;
    let arn = ctx.arn("prefix-list", "");
    let mut next = None;
    let x = ctx.read(|st| -> Result<Xml, ApiError> {
        for id in &ids {
            st.prefix_list(id)?;
        }
        let mut found = Vec::new();
        for l in st
            .snapshot()
            .prefix_lists
            .values()
            .filter(|l| ids.is_empty() || ids.contains(&l.id))
        {
            let ok = keep(&filters, &l.tags, |name| match name {
                "prefix-list-id" => Some(vec![l.id.to_string()]),
                "prefix-list-name" => Some(vec![l.name.clone()]),
                "owner-id" => Some(vec![l.owner.to_string()]),
                _ => None,
            })?;
            if ok {
                found.push(l);
            }
        }
        let page = paginate(found, |l| l.id.to_string(), p, (1, 100))?;
        next = page.next_token;
        let mut x = Xml::new();
        x.list("prefixListSet", page.items, |x, l| {
            encode::prefix_list(x, l, &format!("{arn}{}", l.id))
        });
        Ok(x)
    })??;
    let mut x = x;
    x.opt("nextToken", next);
    Ok(x)
}

pub(super) fn prefix_list_entries(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let id: PrefixListId = p.required_id("PrefixListId")?;
    let list = ctx.read(|st| st.prefix_list(&id).cloned())??;
    let mut sorted = list.entries;
    sorted.sort();
    let page = paginate(sorted, |e| e.cidr.to_string(), p, (1, 100))?;
    let mut x = Xml::new();
    x.list("entrySet", &page.items, |x, e| {
        x.leaf("cidr", e.cidr)
            .opt("description", e.description.as_ref());
    });
    x.opt("nextToken", page.next_token);
    Ok(x)
}

pub(super) fn delete_prefix_list(ctx: &mut Ctx, p: &Params) -> Result<Xml, ApiError> {
    let id: PrefixListId = p.required_id("PrefixListId")?;
    let arn = ctx.arn("prefix-list", id.as_str());
    ctx.write(|st, _| {
        let list = st.prefix_list(&id)?.clone();
        st.delete_prefix_list(&id)?;
        let mut x = Xml::new();
        x.node("prefixList", |x| {
            encode::prefix_list(x, &list, &arn);
        });
        Ok(x)
    })
}
