//! Model values as EC2 response XML, element names as the botocore `ec2` model's
//! `locationName`s (shared/research/aws-api.md §1.2).

use palisade_ec2::{IpPermission, rules_to_permissions};
use palisade_model::account::{AccountState, Instance};
use palisade_model::{
    Direction, Eni, Peer, Peering, PrefixList, Rule, SecurityGroup, Subnet, Tag, Vpc,
};

use crate::xml::Xml;

pub(crate) fn tag_set(x: &mut Xml, tags: &[Tag]) {
    x.list("tagSet", tags, |x, t| {
        x.leaf("key", &t.key).leaf("value", &t.value);
    });
}

/// One grouped `IpPermission`; `owner` is the account of same-account group references.
pub(crate) fn permission(x: &mut Xml, p: &IpPermission, owner: &str) {
    x.opt("ipProtocol", p.ip_protocol.as_ref())
        .opt("fromPort", p.from_port)
        .opt("toPort", p.to_port);
    x.list("groups", &p.user_id_group_pairs, |x, g| {
        x.opt("description", g.description.as_ref())
            .leaf("userId", g.user_id.as_deref().unwrap_or(owner))
            .opt("groupId", g.group_id.as_ref())
            .opt("groupName", g.group_name.as_ref())
            .opt("vpcId", g.vpc_id.as_ref())
            .opt(
                "vpcPeeringConnectionId",
                g.vpc_peering_connection_id.as_ref(),
            )
            .opt("peeringStatus", g.peering_status.as_ref());
    });
    x.list("ipRanges", &p.ip_ranges, |x, r| {
        x.opt("cidrIp", r.cidr_ip.as_ref())
            .opt("description", r.description.as_ref());
    });
    x.list("ipv6Ranges", &p.ipv6_ranges, |x, r| {
        x.opt("cidrIpv6", r.cidr_ipv6.as_ref())
            .opt("description", r.description.as_ref());
    });
    x.list("prefixListIds", &p.prefix_list_ids, |x, r| {
        x.opt("prefixListId", r.prefix_list_id.as_ref())
            .opt("description", r.description.as_ref());
    });
}

pub(crate) fn group(x: &mut Xml, g: &SecurityGroup, arn: &str) {
    let owner = g.owner.as_str();
    x.leaf("groupId", &g.id)
        .leaf("groupName", &g.name)
        .leaf("groupDescription", &g.description)
        .leaf("ownerId", owner)
        .leaf("vpcId", &g.vpc_id)
        .leaf("securityGroupArn", arn);
    for (tag, dir) in [
        ("ipPermissions", Direction::Ingress),
        ("ipPermissionsEgress", Direction::Egress),
    ] {
        let perms = rules_to_permissions(g.rules_in(dir));
        x.list(tag, &perms, |x, p| permission(x, p, owner));
    }
    tag_set(x, &g.tags);
}

/// (fromPort, toPort) of a rule in DescribeSecurityGroupRules: `-1/-1` where ports do not
/// apply (AWS-verified, moto `test_describe_security_group_rules`).
fn rule_ports(r: &Rule) -> (i32, i32) {
    r.traffic().ports().unwrap_or((-1, -1))
}

/// One `SecurityGroupRule`.
pub(crate) fn rule(x: &mut Xml, r: &Rule, owner: &str, arn: &str) {
    let (from, to) = rule_ports(r);
    x.leaf("securityGroupRuleId", &r.id)
        .leaf("groupId", &r.group_id)
        .leaf("groupOwnerId", owner)
        .leaf("isEgress", r.direction() == Direction::Egress)
        .leaf("ipProtocol", r.traffic().protocol().aws_name())
        .leaf("fromPort", from)
        .leaf("toPort", to);
    match r.peer() {
        Peer::Ipv4(n) => {
            x.leaf("cidrIpv4", n);
        }
        Peer::Ipv6(n) => {
            x.leaf("cidrIpv6", n);
        }
        Peer::PrefixList(p) => {
            x.leaf("prefixListId", p);
        }
        Peer::Group(g) => {
            x.node("referencedGroupInfo", |x| {
                x.leaf("groupId", &g.group_id)
                    .leaf("userId", g.owner.as_ref().map_or(owner, |o| o.as_str()))
                    .opt("vpcId", g.vpc_id.as_ref())
                    .opt("vpcPeeringConnectionId", g.peering_id.as_ref());
            });
        }
    }
    x.opt("description", r.description.as_ref());
    tag_set(x, &r.tags);
    x.leaf("securityGroupRuleArn", arn);
}

/// One `RevokedSecurityGroupRule`.
pub(crate) fn revoked_rule(x: &mut Xml, r: &Rule) {
    let (from, to) = rule_ports(r);
    x.leaf("securityGroupRuleId", &r.id)
        .leaf("groupId", &r.group_id)
        .leaf("isEgress", r.direction() == Direction::Egress)
        .leaf("ipProtocol", r.traffic().protocol().aws_name())
        .leaf("fromPort", from)
        .leaf("toPort", to);
    match r.peer() {
        Peer::Ipv4(n) => {
            x.leaf("cidrIpv4", n);
        }
        Peer::Ipv6(n) => {
            x.leaf("cidrIpv6", n);
        }
        Peer::PrefixList(p) => {
            x.leaf("prefixListId", p);
        }
        Peer::Group(g) => {
            x.leaf("referencedGroupId", &g.group_id);
        }
    }
    x.opt("description", r.description.as_ref());
}

pub(crate) fn vpc(x: &mut Xml, v: &Vpc) {
    let primary = v
        .cidrs_v4
        .first()
        .map(ToString::to_string)
        .unwrap_or_default();
    x.leaf("vpcId", &v.id)
        .leaf("ownerId", &v.owner)
        .leaf("state", "available")
        .leaf("cidrBlock", primary)
        .list(
            "cidrBlockAssociationSet",
            v.cidrs_v4.iter().enumerate(),
            |x, (idx, c)| {
                x.leaf(
                    "associationId",
                    format!("vpc-cidr-assoc-{}{idx}", &v.id.as_str()[4..]),
                )
                .leaf("cidrBlock", c)
                .node("cidrBlockState", |x| {
                    x.leaf("state", "associated");
                });
            },
        )
        .list(
            "ipv6CidrBlockAssociationSet",
            v.cidrs_v6.iter().enumerate(),
            |x, (idx, c)| {
                x.leaf(
                    "associationId",
                    format!("vpc-cidr-assoc-6{}{idx}", &v.id.as_str()[4..]),
                )
                .leaf("ipv6CidrBlock", c)
                .node("ipv6CidrBlockState", |x| {
                    x.leaf("state", "associated");
                })
                .leaf("ipv6Pool", "Amazon");
            },
        )
        .leaf("dhcpOptionsId", "default")
        .leaf("instanceTenancy", "default")
        .leaf("isDefault", v.is_default);
    tag_set(x, &v.tags);
}

pub(crate) fn subnet(x: &mut Xml, s: &Subnet, st: &AccountState, arn: &str) {
    let size = 1u64 << (32 - u32::from(s.cidr_v4.prefix_len()));
    let used = st
        .snapshot()
        .enis
        .values()
        .filter(|e| e.subnet_id.as_ref() == Some(&s.id))
        .count() as u64;
    let default = st
        .snapshot()
        .vpcs
        .get(&s.vpc_id)
        .is_some_and(|v| v.is_default);
    x.leaf("subnetId", &s.id)
        .leaf("subnetArn", arn)
        .leaf("vpcId", &s.vpc_id)
        .leaf("ownerId", &s.owner)
        .leaf("state", "available")
        .leaf("cidrBlock", s.cidr_v4)
        .leaf("availabilityZone", &s.availability_zone)
        .leaf("availableIpAddressCount", size.saturating_sub(5 + used))
        .leaf("defaultForAz", default)
        .leaf("mapPublicIpOnLaunch", default)
        .list("ipv6CidrBlockAssociationSet", s.cidr_v6.iter(), |x, c| {
            subnet_ipv6_association(x, &s.id, *c);
        });
    tag_set(x, &s.tags);
}

/// One `SubnetIpv6CidrBlockAssociation` (DescribeSubnets, AssociateSubnetCidrBlock).
pub(crate) fn subnet_ipv6_association(
    x: &mut Xml,
    subnet: &palisade_model::SubnetId,
    cidr: ipnet::Ipv6Net,
) {
    x.leaf(
        "associationId",
        format!(
            "subnet-cidr-assoc-{}",
            subnet.as_str().get(7..).unwrap_or_default()
        ),
    )
    .leaf("ipv6CidrBlock", cidr)
    .node("ipv6CidrBlockState", |x| {
        x.leaf("state", "associated");
    });
}

fn group_set(x: &mut Xml, groups: &[palisade_model::GroupId], st: &AccountState) {
    x.list("groupSet", groups, |x, g| {
        x.leaf("groupId", g);
        x.opt(
            "groupName",
            st.snapshot().groups.get(g).map(|g| g.name.as_str()),
        );
    });
}

pub(crate) fn eni(x: &mut Xml, e: &Eni, st: &AccountState) {
    let zone = e
        .subnet_id
        .as_ref()
        .and_then(|s| st.snapshot().subnets.get(s))
        .map(|s| s.availability_zone.clone())
        .unwrap_or_default();
    let primary = e
        .private_ipv4
        .first()
        .map(ToString::to_string)
        .unwrap_or_default();
    x.leaf("networkInterfaceId", &e.id)
        .opt("subnetId", e.subnet_id.as_ref())
        .leaf("vpcId", &e.vpc_id)
        .leaf("availabilityZone", zone)
        .leaf("description", &e.description)
        .leaf("ownerId", &e.owner)
        .leaf("requesterManaged", false)
        .leaf(
            "status",
            if e.instance_id.is_some() {
                "in-use"
            } else {
                "available"
            },
        )
        .leaf("macAddress", mac(e.id.as_str()))
        .leaf("privateIpAddress", &primary)
        .leaf("sourceDestCheck", true)
        .leaf("interfaceType", "interface");
    group_set(x, &e.groups, st);
    if let Some(instance) = &e.instance_id {
        x.node("attachment", |x| {
            x.leaf(
                "attachmentId",
                format!("eni-attach-{}", &e.id.as_str()[4..]),
            )
            .leaf("instanceId", instance)
            .leaf("instanceOwnerId", &e.owner)
            .leaf("deviceIndex", 0)
            .leaf("status", "attached")
            .leaf("deleteOnTermination", true);
        });
    }
    x.list(
        "privateIpAddressesSet",
        e.private_ipv4.iter().enumerate(),
        |x, (idx, ip)| {
            x.leaf("privateIpAddress", ip).leaf("primary", idx == 0);
        },
    );
    // `NetworkInterface.Ipv6Addresses` items are `NetworkInterfaceIpv6Address`
    // (`ipv6Address`, `isPrimaryIpv6`); no address is made primary (EnablePrimaryIpv6 is not
    // modelled). `ipv6Address` ("The IPv6 globally unique address associated with the
    // network interface", botocore `NetworkInterface`) carries the first one.
    x.list("ipv6AddressesSet", &e.ipv6, |x, ip| {
        x.leaf("ipv6Address", ip).leaf("isPrimaryIpv6", false);
    });
    x.opt("ipv6Address", e.ipv6.first());
    tag_set(x, &e.tags);
}

pub(crate) fn instance(x: &mut Xml, i: &Instance, st: &AccountState) {
    let e = st.snapshot().enis.get(&i.primary_eni);
    let groups = e.map(|e| e.groups.clone()).unwrap_or_default();
    let zone = st
        .snapshot()
        .subnets
        .get(&i.subnet_id)
        .map(|s| s.availability_zone.clone())
        .unwrap_or_default();
    x.leaf("instanceId", &i.id)
        .leaf("imageId", &i.image_id)
        .node("instanceState", |x| {
            x.leaf("code", i.state.code())
                .leaf("name", i.state.aws_name());
        })
        .leaf("instanceType", &i.instance_type)
        .node("placement", |x| {
            x.leaf("availabilityZone", zone).leaf("tenancy", "default");
        })
        .leaf("subnetId", &i.subnet_id)
        .leaf("vpcId", &i.vpc_id)
        .leaf("privateIpAddress", i.private_ip)
        .leaf("amiLaunchIndex", 0);
    group_set(x, &groups, st);
    x.list("networkInterfaceSet", e, |x, e| eni(x, e, st));
    tag_set(x, &i.tags);
}

pub(crate) fn peering(x: &mut Xml, p: &Peering, st: &AccountState) {
    let info =
        |x: &mut Xml, tag: &str, vpc: &palisade_model::VpcId, owner: &palisade_model::AccountId| {
            x.node(tag, |x| {
                x.leaf("ownerId", owner)
                    .leaf("vpcId", vpc)
                    .leaf("region", st.region());
                if let Some(v) = st.snapshot().vpcs.get(vpc) {
                    x.opt("cidrBlock", v.cidrs_v4.first());
                }
            });
        };
    x.leaf("vpcPeeringConnectionId", &p.id);
    info(x, "requesterVpcInfo", &p.requester_vpc, &p.requester_owner);
    info(x, "accepterVpcInfo", &p.accepter_vpc, &p.accepter_owner);
    x.node("status", |x| {
        x.leaf("code", p.status.aws_name())
            .leaf("message", p.status.aws_name());
    });
    tag_set(x, &p.tags);
}

pub(crate) fn prefix_list(x: &mut Xml, l: &PrefixList, arn: &str) {
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
        .leaf("prefixListArn", arn)
        .leaf("prefixListName", &l.name)
        .leaf("maxEntries", l.max_entries)
        .leaf("version", l.version)
        .leaf("ownerId", &l.owner);
    tag_set(x, &l.tags);
}

/// A stable, locally administered MAC address derived from the interface id.
fn mac(id: &str) -> String {
    let tail = id.get(id.len().saturating_sub(4)..).unwrap_or("0000");
    format!(
        "02:00:00:00:{}:{}",
        tail.get(0..2).unwrap_or("00"),
        tail.get(2..4).unwrap_or("00")
    )
}
