//! Row bodies: each resource is stored as one JSON document whose shape lives here and only
//! here (model types carry no serde). Decoding re-validates through the model's parsers, so a
//! corrupt row is an error, never a panic.

use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use palisade_model::EniId;
use palisade_model::account::{
    Attachment, Instance, InstanceState, LaunchOptions, Resource, ResourceRef, ShutdownBehavior,
};
use palisade_model::{
    AddressFamily, ConntrackConfig, Direction, Eni, GroupRef, Peer, Peering, PeeringStatus,
    PrefixList, PrefixListEntry, Rule, RuleSpec, SecurityGroup, Subnet, Tag, Traffic, Vpc,
};
use palisade_model::{HostnameType, SubnetAttributes, Tenancy, VpcAttributes};
use palisade_model::{PeeringDetail, PrefixListChange, Timestamp, VpcBlocks};
use serde::{Deserialize, Serialize};
// --- routing ---
use palisade_model::{
    AddressAssociation, ElasticIp, InstanceId, InternetGateway, InternetGatewayId, NetworkAcl,
    OtherTarget, PeeringId, PrefixListId, Route, RouteDestination, RouteTable, RouteTarget,
};

use crate::StoreError;

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Row {
    Vpc {
        id: String,
        owner: String,
        v4: Vec<String>,
        v6: Vec<String>,
        default: bool,
        tags: Vec<(String, String)>,
        /// VPC area; absent in rows written before VPC attributes were kept.
        #[serde(default)]
        attrs: Option<VpcAttrsRow>,
    },
    Subnet {
        id: String,
        vpc: String,
        owner: String,
        v4: String,
        v6: Option<String>,
        az: String,
        tags: Vec<(String, String)>,
        /// VPC area; absent in rows written before subnet attributes were kept.
        #[serde(default)]
        attrs: Option<SubnetAttrsRow>,
    },
    Group {
        id: String,
        name: String,
        description: String,
        vpc: String,
        owner: String,
        tags: Vec<(String, String)>,
        rules: Vec<RuleRow>,
        // Security group VPC associations (absent in rows written before).
        #[serde(default)]
        associated_vpcs: Vec<String>,
    },
    Eni {
        id: String,
        owner: String,
        vpc: String,
        subnet: Option<String>,
        v4: Vec<Ipv4Addr>,
        v6: Vec<Ipv6Addr>,
        public_v4: Option<Ipv4Addr>,
        groups: Vec<String>,
        instance: Option<String>,
        description: String,
        conntrack: (u32, u32, u32),
        tags: Vec<(String, String)>,
    },
    Peering {
        id: String,
        requester_vpc: String,
        requester_owner: String,
        accepter_vpc: String,
        accepter_owner: String,
        status: String,
        tags: Vec<(String, String)>,
        // VPC peering across accounts and regions (absent in rows written before).
        #[serde(default)]
        detail: PeeringRow,
    },
    PrefixList {
        id: String,
        name: String,
        owner: String,
        ipv6: bool,
        max_entries: u32,
        version: u64,
        entries: Vec<(String, Option<String>)>,
        tags: Vec<(String, String)>,
        // Prefix-list states (absent in rows written before).
        #[serde(default)]
        delete_failure: Option<String>,
        /// Modified since created (rows written before: inferred from the version).
        #[serde(default)]
        modified: Option<bool>,
    },
    Instance {
        id: String,
        image: String,
        instance_type: String,
        subnet: String,
        vpc: String,
        eni: String,
        ip: Ipv4Addr,
        running: bool,
        tags: Vec<(String, String)>,
        // Network interfaces and instances (absent in older rows).
        #[serde(default)]
        interfaces: Vec<AttachmentRow>,
        #[serde(default)]
        launch_ms: u64,
        #[serde(default)]
        launch: LaunchRow,
        #[serde(default)]
        source_dest_check: Option<bool>,
        #[serde(default)]
        detached: Vec<AttachmentRow>,
    },
    // --- routing ---
    RouteTable {
        id: String,
        vpc: String,
        owner: String,
        main: Option<String>,
        /// (association id, subnet id).
        subnets: Vec<(String, String)>,
        /// (destination CIDR or prefix list id, target id).
        routes: Vec<(String, String)>,
        tags: Vec<(String, String)>,
    },
    InternetGateway {
        id: String,
        owner: String,
        vpc: Option<String>,
        tags: Vec<(String, String)>,
    },
    Address {
        id: String,
        owner: String,
        public_ip: Ipv4Addr,
        /// (association id, interface id, private address).
        association: Option<(String, String, Ipv4Addr)>,
        tags: Vec<(String, String)>,
    },
    NetworkAcl {
        id: String,
        vpc: String,
        owner: String,
        default: bool,
        tags: Vec<(String, String)>,
    },
}

// VPC and subnet attributes (VPC area).
#[derive(Serialize, Deserialize)]
struct VpcAttrsRow {
    dns_support: bool,
    dns_hostnames: bool,
    nau_metrics: bool,
    tenancy: String,
}

#[derive(Serialize, Deserialize)]
struct SubnetAttrsRow {
    default_for_az: bool,
    map_public_ip: bool,
    assign_ipv6: bool,
    dns64: bool,
    hostname_type: String,
    dns_a: bool,
    dns_aaaa: bool,
}

fn vpc_attrs_out(a: &VpcAttributes) -> VpcAttrsRow {
    VpcAttrsRow {
        dns_support: a.dns_support,
        dns_hostnames: a.dns_hostnames,
        nau_metrics: a.network_address_usage_metrics,
        tenancy: a.tenancy.aws_name().to_owned(),
    }
}

fn vpc_attrs_in(
    id: &str,
    row: Option<VpcAttrsRow>,
    default: bool,
) -> Result<VpcAttributes, StoreError> {
    let Some(r) = row else {
        return Ok(if default {
            VpcAttributes::default_vpc()
        } else {
            VpcAttributes::default()
        });
    };
    Ok(VpcAttributes {
        dns_support: r.dns_support,
        dns_hostnames: r.dns_hostnames,
        network_address_usage_metrics: r.nau_metrics,
        tenancy: Tenancy::parse(&r.tenancy)
            .ok_or_else(|| corrupt(id, format!("tenancy {}", r.tenancy)))?,
    })
}

fn subnet_attrs_out(a: &SubnetAttributes) -> SubnetAttrsRow {
    SubnetAttrsRow {
        default_for_az: a.default_for_az,
        map_public_ip: a.map_public_ip_on_launch,
        assign_ipv6: a.assign_ipv6_address_on_creation,
        dns64: a.enable_dns64,
        hostname_type: a.hostname_type.aws_name().to_owned(),
        dns_a: a.resource_name_dns_a_record,
        dns_aaaa: a.resource_name_dns_aaaa_record,
    }
}

fn subnet_attrs_in(id: &str, row: Option<SubnetAttrsRow>) -> Result<SubnetAttributes, StoreError> {
    let Some(r) = row else {
        return Ok(SubnetAttributes::default());
    };
    Ok(SubnetAttributes {
        default_for_az: r.default_for_az,
        map_public_ip_on_launch: r.map_public_ip,
        assign_ipv6_address_on_creation: r.assign_ipv6,
        enable_dns64: r.dns64,
        hostname_type: HostnameType::parse(&r.hostname_type)
            .ok_or_else(|| corrupt(id, format!("hostname type {}", r.hostname_type)))?,
        resource_name_dns_a_record: r.dns_a,
        resource_name_dns_aaaa_record: r.dns_aaaa,
    })
}

/// A peering's [`PeeringDetail`]; every field defaults, as rows written before it lack it.
#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct PeeringRow {
    requester_region: Option<String>,
    accepter_region: Option<String>,
    /// (IPv4 blocks, IPv6 blocks).
    requester_blocks: Option<(Vec<String>, Vec<String>)>,
    accepter_blocks: Option<(Vec<String>, Vec<String>)>,
    requester_dns: bool,
    accepter_dns: bool,
    message: Option<String>,
    /// Milliseconds since the Unix epoch.
    expires: Option<u64>,
}

fn blocks_out(b: Option<&VpcBlocks>) -> Option<(Vec<String>, Vec<String>)> {
    b.map(|b| {
        (
            b.v4.iter().map(ToString::to_string).collect(),
            b.v6.iter().map(ToString::to_string).collect(),
        )
    })
}

fn blocks_in(
    at: &str,
    b: Option<(Vec<String>, Vec<String>)>,
) -> Result<Option<VpcBlocks>, StoreError> {
    b.map(|(v4, v6)| {
        Ok(VpcBlocks {
            v4: v4.iter().map(|c| p(at, c)).collect::<Result<_, _>>()?,
            v6: v6.iter().map(|c| p(at, c)).collect::<Result<_, _>>()?,
        })
    })
    .transpose()
}

/// One interface attached to an instance.
#[derive(Serialize, Deserialize)]
struct AttachmentRow {
    eni: String,
    id: String,
    device: u32,
    card: u32,
    delete_on_termination: bool,
    at_ms: u64,
}

fn attachment_row(a: &Attachment) -> AttachmentRow {
    AttachmentRow {
        eni: a.eni.to_string(),
        id: a.id.clone(),
        device: a.device_index,
        card: a.network_card_index,
        delete_on_termination: a.delete_on_termination,
        at_ms: a.attach_time.millis(),
    }
}

/// An instance's launch options.
#[derive(Serialize, Deserialize, Default)]
struct LaunchRow {
    user_data: Option<String>,
    key_name: Option<String>,
    disable_api_termination: bool,
    disable_api_stop: bool,
    shutdown_terminate: bool,
    ebs_optimized: bool,
    monitoring: bool,
    cpu_credits: Option<String>,
}

/// A rule inside its group's row. Absent and empty fields are left out (a group row is
/// rewritten whole on every rule change, so its length is a write's cost); rows written
/// before spell them out as `null`, `false` and `[]`, which read the same.
#[derive(Serialize, Deserialize)]
struct RuleRow {
    id: String,
    #[serde(default, skip_serializing_if = "is_false")]
    egress: bool,
    protocol: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    from: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    to: Option<i64>,
    /// `v4`, `v6`, `pl` or `sg`.
    peer: String,
    value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vpc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pcx: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tags: Vec<(String, String)>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_false(b: &bool) -> bool {
    !*b
}

fn tags_out(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

fn tags_in(tags: Vec<(String, String)>) -> Vec<Tag> {
    tags.into_iter()
        .map(|(key, value)| Tag { key, value })
        .collect()
}

/// Encodes a resource as its row body.
pub(crate) fn encode(resource: ResourceRef<'_>) -> String {
    let row = match resource {
        ResourceRef::Vpc(v) => Row::Vpc {
            id: v.id.to_string(),
            owner: v.owner.to_string(),
            v4: v.cidrs_v4.iter().map(ToString::to_string).collect(),
            v6: v.cidrs_v6.iter().map(ToString::to_string).collect(),
            default: v.is_default,
            tags: tags_out(&v.tags),
            attrs: Some(vpc_attrs_out(&v.attributes)),
        },
        ResourceRef::Subnet(s) => Row::Subnet {
            id: s.id.to_string(),
            vpc: s.vpc_id.to_string(),
            owner: s.owner.to_string(),
            // An IPv6-only subnet's is empty (the column stays NOT NULL, no migration).
            v4: s.cidr_v4.map(|n| n.to_string()).unwrap_or_default(),
            v6: s.cidr_v6.map(|n| n.to_string()),
            az: s.availability_zone.clone(),
            tags: tags_out(&s.tags),
            attrs: Some(subnet_attrs_out(&s.attributes)),
        },
        ResourceRef::Group(g) => Row::Group {
            id: g.id.to_string(),
            name: g.name.clone(),
            description: g.description.clone(),
            vpc: g.vpc_id.to_string(),
            owner: g.owner.to_string(),
            tags: tags_out(&g.tags),
            rules: g.rules().iter().map(rule_row).collect(),
            associated_vpcs: g.associated_vpcs.iter().map(ToString::to_string).collect(),
        },
        ResourceRef::Eni(e) => Row::Eni {
            id: e.id.to_string(),
            owner: e.owner.to_string(),
            vpc: e.vpc_id.to_string(),
            subnet: e.subnet_id.as_ref().map(ToString::to_string),
            v4: e.private_ipv4.clone(),
            v6: e.ipv6.clone(),
            public_v4: e.public_ipv4,
            groups: e.groups.iter().map(ToString::to_string).collect(),
            instance: e.instance_id.as_ref().map(ToString::to_string),
            description: e.description.clone(),
            conntrack: (
                e.conntrack.tcp_established(),
                e.conntrack.udp_stream(),
                e.conntrack.udp(),
            ),
            tags: tags_out(&e.tags),
        },
        ResourceRef::Peering(p) => Row::Peering {
            id: p.id.to_string(),
            requester_vpc: p.requester_vpc.to_string(),
            requester_owner: p.requester_owner.to_string(),
            accepter_vpc: p.accepter_vpc.to_string(),
            accepter_owner: p.accepter_owner.to_string(),
            status: p.status.aws_name().to_owned(),
            tags: tags_out(&p.tags),
            detail: PeeringRow {
                requester_region: p.detail.requester_region.clone(),
                accepter_region: p.detail.accepter_region.clone(),
                requester_blocks: blocks_out(p.detail.requester_blocks.as_ref()),
                accepter_blocks: blocks_out(p.detail.accepter_blocks.as_ref()),
                requester_dns: p.detail.requester_dns,
                accepter_dns: p.detail.accepter_dns,
                message: p.detail.message.clone(),
                expires: p.detail.expires.map(Timestamp::millis),
            },
        },
        ResourceRef::PrefixList(l) => Row::PrefixList {
            id: l.id.to_string(),
            name: l.name.clone(),
            owner: l.owner.to_string(),
            ipv6: l.family == AddressFamily::Ipv6,
            max_entries: l.max_entries,
            version: l.version,
            entries: l
                .entries
                .iter()
                .map(|e| (e.cidr.to_string(), e.description.clone()))
                .collect(),
            tags: tags_out(&l.tags),
            delete_failure: l.state_message().map(str::to_owned),
            modified: Some(l.change == PrefixListChange::Modified),
        },
        ResourceRef::Instance(i) => Row::Instance {
            id: i.id.to_string(),
            image: i.image_id.clone(),
            instance_type: i.instance_type.clone(),
            subnet: i.subnet_id.to_string(),
            vpc: i.vpc_id.to_string(),
            eni: i.primary_eni.to_string(),
            ip: i.private_ip,
            running: i.state == InstanceState::Running,
            tags: tags_out(&i.tags),
            interfaces: i.interfaces.iter().map(attachment_row).collect(),
            launch_ms: i.launch_time.millis(),
            launch: LaunchRow {
                user_data: i.launch.user_data.clone(),
                key_name: i.launch.key_name.clone(),
                disable_api_termination: i.launch.disable_api_termination,
                disable_api_stop: i.launch.disable_api_stop,
                shutdown_terminate: i.launch.shutdown_behavior == ShutdownBehavior::Terminate,
                ebs_optimized: i.launch.ebs_optimized,
                monitoring: i.launch.monitoring,
                cpu_credits: i.launch.cpu_credits.clone(),
            },
            source_dest_check: Some(i.source_dest_check),
            detached: i.detached.iter().map(attachment_row).collect(),
        },
        // --- routing ---
        ResourceRef::RouteTable(t) => Row::RouteTable {
            id: t.id.to_string(),
            vpc: t.vpc_id.to_string(),
            owner: t.owner.to_string(),
            main: t.main.as_ref().map(ToString::to_string),
            subnets: t
                .subnets
                .iter()
                .map(|(a, s)| (a.to_string(), s.to_string()))
                .collect(),
            routes: t
                .routes
                .iter()
                .map(|r| (r.destination.to_string(), route_target_out(&r.target)))
                .collect(),
            tags: tags_out(&t.tags),
        },
        ResourceRef::InternetGateway(g) => Row::InternetGateway {
            id: g.id.to_string(),
            owner: g.owner.to_string(),
            vpc: g.vpc.as_ref().map(ToString::to_string),
            tags: tags_out(&g.tags),
        },
        ResourceRef::Address(a) => Row::Address {
            id: a.allocation_id.to_string(),
            owner: a.owner.to_string(),
            public_ip: a.public_ip,
            association: a
                .association
                .as_ref()
                .map(|x| (x.id.to_string(), x.eni.to_string(), x.private_ip)),
            tags: tags_out(&a.tags),
        },
        ResourceRef::NetworkAcl(a) => Row::NetworkAcl {
            id: a.id.to_string(),
            vpc: a.vpc_id.to_string(),
            owner: a.owner.to_string(),
            default: a.is_default,
            tags: tags_out(&a.tags),
        },
    };
    serde_json::to_string(&row).expect("row bodies are plain data and always serialise")
}

fn rule_row(r: &Rule) -> RuleRow {
    let ports = r.spec.traffic.ports();
    let (peer, value, owner, vpc, pcx) = match &r.spec.peer {
        Peer::Ipv4(n) => ("v4", v4_text(*n), None, None, None),
        Peer::Ipv6(n) => ("v6", n.to_string(), None, None, None),
        Peer::PrefixList(p) => ("pl", p.to_string(), None, None, None),
        Peer::Group(g) => (
            "sg",
            g.group_id.to_string(),
            g.owner.as_ref().map(ToString::to_string),
            g.vpc_id.as_ref().map(ToString::to_string),
            g.peering_id.as_ref().map(ToString::to_string),
        ),
    };
    RuleRow {
        id: r.id.to_string(),
        egress: r.spec.direction == Direction::Egress,
        protocol: r.spec.traffic.protocol().aws_name(),
        from: ports.map(|p| i64::from(p.0)),
        to: ports.map(|p| i64::from(p.1)),
        peer: peer.to_owned(),
        value,
        owner,
        vpc,
        pcx,
        description: r.description.clone(),
        tags: tags_out(&r.tags),
    }
}

/// `n` as `Ipv4Net`'s `Display` writes it, without `fmt`: a group's row is encoded on every
/// write to it, and formatting its rules' addresses through `fmt` was a tenth of the
/// store thread's own work.
fn v4_text(n: ipnet::Ipv4Net) -> String {
    fn push(s: &mut String, v: u8) {
        if v >= 100 {
            s.push(char::from(b'0' + v / 100));
        }
        if v >= 10 {
            s.push(char::from(b'0' + v / 10 % 10));
        }
        s.push(char::from(b'0' + v % 10));
    }
    let mut s = String::with_capacity(18);
    for (i, octet) in n.addr().octets().into_iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        push(&mut s, octet);
    }
    s.push('/');
    push(&mut s, n.prefix_len());
    s
}

fn corrupt(id: &str, what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        id: id.to_owned(),
        message: what.to_string(),
    }
}

fn p<T: std::str::FromStr>(id: &str, s: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e| corrupt(id, format!("{s}: {e}")))
}

fn opt<T: std::str::FromStr>(id: &str, s: Option<&String>) -> Result<Option<T>, StoreError>
where
    T::Err: std::fmt::Display,
{
    s.map(|s| p(id, s)).transpose()
}

/// Decodes a row body back into a resource.
pub(crate) fn decode(id: &str, body: &str) -> Result<Resource, StoreError> {
    let row: Row = serde_json::from_str(body).map_err(|e| corrupt(id, e))?;
    Ok(match row {
        Row::Vpc {
            id,
            owner,
            v4,
            v6,
            default,
            tags,
            attrs,
        } => Resource::Vpc(Vpc {
            attributes: vpc_attrs_in(&id, attrs, default)?,
            owner: p(&id, &owner)?,
            cidrs_v4: v4
                .iter()
                .map(|c| p::<Ipv4Net>(&id, c))
                .collect::<Result<_, _>>()?,
            cidrs_v6: v6
                .iter()
                .map(|c| p::<Ipv6Net>(&id, c))
                .collect::<Result<_, _>>()?,
            is_default: default,
            tags: tags_in(tags),
            id: p(&id, &id)?,
        }),
        Row::Subnet {
            id,
            vpc,
            owner,
            v4,
            v6,
            az,
            tags,
            attrs,
        } => Resource::Subnet(Subnet {
            attributes: subnet_attrs_in(&id, attrs)?,
            vpc_id: p(&id, &vpc)?,
            owner: p(&id, &owner)?,
            cidr_v4: opt(&id, Some(&v4).filter(|s| !s.is_empty()))?,
            cidr_v6: opt(&id, v6.as_ref())?,
            availability_zone: az,
            tags: tags_in(tags),
            id: p(&id, &id)?,
        }),
        Row::Group {
            id,
            name,
            description,
            vpc,
            owner,
            tags,
            rules,
            associated_vpcs,
        } => {
            let mut g = SecurityGroup::empty(
                p(&id, &id)?,
                name,
                description,
                p(&id, &vpc)?,
                p(&id, &owner)?,
            );
            g.tags = tags_in(tags);
            g.associated_vpcs = associated_vpcs
                .iter()
                .map(|v| p(&id, v))
                .collect::<Result<_, _>>()?;
            for r in rules {
                let rule = decode_rule(&g, r)?;
                g.insert_existing(rule).map_err(|e| corrupt(&id, e))?;
            }
            Resource::Group(g)
        }
        Row::Eni {
            id,
            owner,
            vpc,
            subnet,
            v4,
            v6,
            public_v4,
            groups,
            instance,
            description,
            conntrack,
            tags,
        } => Resource::Eni(Eni {
            owner: p(&id, &owner)?,
            vpc_id: p(&id, &vpc)?,
            subnet_id: opt(&id, subnet.as_ref())?,
            private_ipv4: v4,
            ipv6: v6,
            public_ipv4: public_v4,
            groups: groups.iter().map(|g| p(&id, g)).collect::<Result<_, _>>()?,
            instance_id: opt(&id, instance.as_ref())?,
            description,
            conntrack: ConntrackConfig::new(
                Some(conntrack.0),
                Some(conntrack.1),
                Some(conntrack.2),
            )
            .map_err(|e| corrupt(&id, e))?,
            tags: tags_in(tags),
            id: p(&id, &id)?,
        }),
        Row::Peering {
            id,
            requester_vpc,
            requester_owner,
            accepter_vpc,
            accepter_owner,
            status,
            tags,
            detail,
        } => Resource::Peering(Peering {
            detail: PeeringDetail {
                requester_blocks: blocks_in(&id, detail.requester_blocks)?,
                accepter_blocks: blocks_in(&id, detail.accepter_blocks)?,
                requester_region: detail.requester_region,
                accepter_region: detail.accepter_region,
                requester_dns: detail.requester_dns,
                accepter_dns: detail.accepter_dns,
                message: detail.message,
                expires: detail.expires.map(Timestamp::from_millis),
            },
            requester_vpc: p(&id, &requester_vpc)?,
            requester_owner: p(&id, &requester_owner)?,
            accepter_vpc: p(&id, &accepter_vpc)?,
            accepter_owner: p(&id, &accepter_owner)?,
            status: PeeringStatus::parse(&status).ok_or_else(|| corrupt(&id, &status))?,
            tags: tags_in(tags),
            id: p(&id, &id)?,
        }),
        Row::PrefixList {
            id,
            name,
            owner,
            ipv6,
            max_entries,
            version,
            entries,
            tags,
            delete_failure,
            modified,
        } => Resource::PrefixList(PrefixList {
            change: match (delete_failure, modified) {
                (Some(message), _) => PrefixListChange::DeleteFailed(message),
                (None, Some(true)) => PrefixListChange::Modified,
                (None, None) if version > 1 => PrefixListChange::Modified,
                (None, _) => PrefixListChange::Created,
            },
            name,
            owner: p(&id, &owner)?,
            family: if ipv6 {
                AddressFamily::Ipv6
            } else {
                AddressFamily::Ipv4
            },
            max_entries,
            version,
            entries: entries
                .into_iter()
                .map(|(c, description)| {
                    Ok(PrefixListEntry {
                        cidr: p::<IpNet>(&id, &c)?,
                        description,
                    })
                })
                .collect::<Result<_, StoreError>>()?,
            tags: tags_in(tags),
            id: p(&id, &id)?,
        }),
        Row::Instance {
            id,
            image,
            instance_type,
            subnet,
            vpc,
            eni,
            ip,
            running,
            tags,
            interfaces,
            launch_ms,
            launch,
            source_dest_check,
            detached,
        } => {
            let primary_eni: EniId = p(&id, &eni)?;
            let attachments_in = |rows: Vec<AttachmentRow>| {
                rows.into_iter()
                    .map(|a| {
                        Ok(Attachment {
                            eni: p(&id, &a.eni)?,
                            id: a.id,
                            device_index: a.device,
                            network_card_index: a.card,
                            delete_on_termination: a.delete_on_termination,
                            attach_time: Timestamp::from_millis(a.at_ms),
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()
            };
            let detached = attachments_in(detached)?;
            let mut attachments = attachments_in(interfaces)?;
            // A row from before attachments were stored: its one primary interface, with
            // the attachment id DescribeNetworkInterfaces used to derive from the interface.
            if attachments.is_empty() && running {
                attachments.push(Attachment {
                    id: format!(
                        "eni-attach-{}",
                        primary_eni.as_str().get(4..).unwrap_or_default()
                    ),
                    eni: primary_eni.clone(),
                    device_index: 0,
                    network_card_index: 0,
                    delete_on_termination: true,
                    attach_time: Timestamp::from_millis(launch_ms),
                });
            }
            Resource::Instance(Instance {
                image_id: image,
                instance_type,
                subnet_id: p(&id, &subnet)?,
                vpc_id: p(&id, &vpc)?,
                primary_eni,
                private_ip: ip,
                state: if running {
                    InstanceState::Running
                } else {
                    InstanceState::Terminated
                },
                tags: tags_in(tags),
                interfaces: attachments,
                launch_time: Timestamp::from_millis(launch_ms),
                launch: LaunchOptions {
                    user_data: launch.user_data,
                    key_name: launch.key_name,
                    disable_api_termination: launch.disable_api_termination,
                    disable_api_stop: launch.disable_api_stop,
                    shutdown_behavior: if launch.shutdown_terminate {
                        ShutdownBehavior::Terminate
                    } else {
                        ShutdownBehavior::Stop
                    },
                    ebs_optimized: launch.ebs_optimized,
                    monitoring: launch.monitoring,
                    cpu_credits: launch.cpu_credits,
                },
                source_dest_check: source_dest_check.unwrap_or(true),
                detached,
                id: p(&id, &id)?,
            })
        }
        // --- routing ---
        Row::RouteTable {
            id,
            vpc,
            owner,
            main,
            subnets,
            routes,
            tags,
        } => Resource::RouteTable(RouteTable {
            vpc_id: p(&id, &vpc)?,
            owner: p(&id, &owner)?,
            main: opt(&id, main.as_ref())?,
            subnets: subnets
                .iter()
                .map(|(a, s)| Ok((p(&id, a)?, p(&id, s)?)))
                .collect::<Result<_, StoreError>>()?,
            routes: routes
                .iter()
                .map(|(d, t)| {
                    Ok(Route {
                        destination: route_destination_in(&id, d)?,
                        target: route_target_in(&id, t)?,
                    })
                })
                .collect::<Result<_, StoreError>>()?,
            tags: tags_in(tags),
            id: p(&id, &id)?,
        }),
        Row::InternetGateway {
            id,
            owner,
            vpc,
            tags,
        } => Resource::InternetGateway(InternetGateway {
            owner: p(&id, &owner)?,
            vpc: opt(&id, vpc.as_ref())?,
            tags: tags_in(tags),
            id: p(&id, &id)?,
        }),
        Row::Address {
            id,
            owner,
            public_ip,
            association,
            tags,
        } => Resource::Address(ElasticIp {
            owner: p(&id, &owner)?,
            public_ip,
            association: association
                .map(|(a, e, ip)| {
                    Ok::<_, StoreError>(AddressAssociation {
                        id: p(&id, &a)?,
                        eni: p(&id, &e)?,
                        private_ip: ip,
                    })
                })
                .transpose()?,
            tags: tags_in(tags),
            allocation_id: p(&id, &id)?,
        }),
        Row::NetworkAcl {
            id,
            vpc,
            owner,
            default,
            tags,
        } => Resource::NetworkAcl(NetworkAcl {
            vpc_id: p(&id, &vpc)?,
            owner: p(&id, &owner)?,
            is_default: default,
            tags: tags_in(tags),
            id: p(&id, &id)?,
        }),
    })
}

// --- routing ---
fn route_target_out(t: &RouteTarget) -> String {
    match t {
        RouteTarget::Gateway(id) => id.to_string(),
        RouteTarget::Peering(id) => id.to_string(),
        RouteTarget::Instance(id) => id.to_string(),
        RouteTarget::Eni(id) => id.to_string(),
        RouteTarget::Other(t) => t.id().to_owned(),
    }
}

fn route_target_in(at: &str, s: &str) -> Result<RouteTarget, StoreError> {
    Ok(if s.starts_with(InternetGatewayId::PREFIX) {
        RouteTarget::Gateway(p(at, s)?)
    } else if s.starts_with(PeeringId::PREFIX) {
        RouteTarget::Peering(p(at, s)?)
    } else if s.starts_with(InstanceId::PREFIX) {
        RouteTarget::Instance(p(at, s)?)
    } else if let Some(other) = OtherTarget::parse(s) {
        RouteTarget::Other(other)
    } else {
        RouteTarget::Eni(p(at, s)?)
    })
}

fn route_destination_in(at: &str, s: &str) -> Result<RouteDestination, StoreError> {
    if s.starts_with(PrefixListId::PREFIX) {
        return Ok(RouteDestination::PrefixList(p(at, s)?));
    }
    Ok(match p::<IpNet>(at, s)? {
        IpNet::V4(n) => RouteDestination::Ipv4(n),
        IpNet::V6(n) => RouteDestination::Ipv6(n),
    })
}

fn decode_rule(g: &SecurityGroup, r: RuleRow) -> Result<Rule, StoreError> {
    let at = g.id.as_str();
    let traffic = Traffic::parse(&r.protocol, r.from, r.to).map_err(|e| corrupt(at, e))?;
    let peer = match r.peer.as_str() {
        "v4" => Peer::Ipv4(p(at, &r.value)?),
        "v6" => Peer::Ipv6(p(at, &r.value)?),
        "pl" => Peer::PrefixList(p(at, &r.value)?),
        "sg" => Peer::Group(GroupRef {
            group_id: p(at, &r.value)?,
            owner: opt(at, r.owner.as_ref())?,
            vpc_id: opt(at, r.vpc.as_ref())?,
            peering_id: opt(at, r.pcx.as_ref())?,
        }),
        other => return Err(corrupt(at, format!("unknown peer kind {other}"))),
    };
    let direction = if r.egress {
        Direction::Egress
    } else {
        Direction::Ingress
    };
    Ok(Rule {
        id: p(at, &r.id)?,
        group_id: g.id.clone(),
        spec: RuleSpec {
            direction,
            traffic,
            peer,
        },
        description: r.description,
        tags: tags_in(r.tags),
    })
}

// VPC area: the attributes round-trip, and rows written before them still load.
#[cfg(test)]
mod vpc_attrs_tests {
    use palisade_model::account::{AccountState, ResourceKey};
    use palisade_model::{HostnameType, Quotas, SeqIdGen, Tenancy};

    use super::{decode, encode};

    #[test]
    fn attributes_round_trip_and_old_rows_take_defaults() {
        let mut ids = SeqIdGen::starting_at(1);
        let st = AccountState::bootstrap(
            "111111111111".parse().expect("valid account"),
            "us-east-1",
            Quotas::default(),
            &mut ids,
        );
        for key in st.all_keys() {
            let Some(mut r) = st.get(&key) else { continue };
            match &mut r {
                palisade_model::account::Resource::Vpc(v) => {
                    v.attributes.tenancy = Tenancy::Dedicated;
                    v.attributes.network_address_usage_metrics = true;
                }
                palisade_model::account::Resource::Subnet(s) => {
                    s.attributes.hostname_type = HostnameType::ResourceName;
                    s.attributes.enable_dns64 = true;
                }
                _ => {}
            }
            let body = encode(r.borrowed());
            assert_eq!(decode(key.id(), &body).expect("decodes"), r);
            if let ResourceKey::Vpc(_) | ResourceKey::Subnet(_) = key {
                // A row without `attrs` (written before they were kept).
                let mut json: serde_json::Value = serde_json::from_str(&body).expect("json");
                json.as_object_mut().expect("object").remove("attrs");
                let old = decode(key.id(), &json.to_string()).expect("old row decodes");
                match old {
                    palisade_model::account::Resource::Vpc(v) => {
                        assert!(v.attributes.dns_hostnames, "a default VPC's hostnames");
                        assert_eq!(v.attributes.tenancy, Tenancy::Default);
                    }
                    palisade_model::account::Resource::Subnet(s) => {
                        assert_eq!(s.attributes, palisade_model::SubnetAttributes::default());
                    }
                    _ => {}
                }
            }
        }
    }
}

// Rule rows leave out absent fields; rows written before spelled them out.
#[cfg(test)]
mod rule_row_tests {
    use palisade_model::account::{AccountState, Resource};
    use palisade_model::{Quotas, SeqIdGen};

    use super::{decode, encode};

    #[test]
    fn compact_rule_rows_round_trip_and_spelled_out_rows_read_the_same() {
        let mut ids = SeqIdGen::starting_at(1);
        let st = AccountState::bootstrap(
            "123456789012".parse().expect("account"),
            "us-east-1",
            Quotas::default(),
            &mut ids,
        );
        let (key, group) = st
            .all_keys()
            .into_iter()
            .find_map(|key| match st.get(&key) {
                Some(r @ Resource::Group(_)) => Some((key, r)),
                _ => None,
            })
            .expect("the default group");
        let Resource::Group(g) = &group else {
            unreachable!()
        };
        assert!(!g.rules().is_empty(), "the default group has rules");
        let body = encode(group.borrowed());
        assert!(!body.contains("null"), "absent fields are left out: {body}");
        assert_eq!(decode(key.id(), &body).expect("decodes"), group);
        // The same row as written before: every rule field present.
        let mut json: serde_json::Value = serde_json::from_str(&body).expect("json");
        for rule in json["rules"].as_array_mut().expect("rules") {
            let rule = rule.as_object_mut().expect("rule");
            for field in ["from", "to", "owner", "vpc", "pcx", "description"] {
                rule.entry(field).or_insert(serde_json::Value::Null);
            }
            rule.entry("egress").or_insert(false.into());
            rule.entry("tags").or_insert(serde_json::json!([]));
        }
        let old = json.to_string();
        assert!(old.len() > body.len());
        assert_eq!(decode(key.id(), &old).expect("old row decodes"), group);
    }
}

#[cfg(test)]
mod v4_text_tests {
    use ipnet::Ipv4Net;
    use proptest::prelude::*;

    use super::v4_text;

    proptest! {
        #[test]
        fn writes_what_display_writes(addr: u32, len in 0u8..=32) {
            let n = Ipv4Net::new(addr.into(), len).expect("a valid prefix length");
            prop_assert_eq!(v4_text(n), n.to_string());
        }
    }
}
