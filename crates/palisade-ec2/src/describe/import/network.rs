//! Import of VPCs, subnets, peerings, prefix lists and interfaces, and the checks of the
//! references between items.

use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use palisade_model::{
    AccountId, AddressFamily, ConntrackConfig, Ec2ErrorCode, Eni, EniId, GroupId, InstanceId, Peer,
    Peering, PeeringId, PeeringStatus, PrefixList, PrefixListEntry, PrefixListId, Quotas, Snapshot,
    Subnet, SubnetId, Vpc, VpcId,
};

use super::{At, Ctx, Raw};
use crate::describe::wire::{
    CidrStateWire, NetworkInterfaceWire, PeeringVpcInfoWire, PeeringWire, PrefixListEntryWire,
    PrefixListWire, SubnetWire, VpcWire,
};

const BAD: Option<Ec2ErrorCode> = Some(Ec2ErrorCode::InvalidParameterValue);

fn associated(s: Option<&CidrStateWire>) -> bool {
    s.and_then(|s| s.state.as_deref())
        .is_none_or(|s| s == "associated")
}

impl Ctx {
    pub(super) fn vpc(&mut self, at: &At, w: &VpcWire) -> Option<Vpc> {
        let id: VpcId = self.id(at, "VpcId", &w.vpc_id)?;
        let owner = self.owner(at, w.owner_id.as_deref());
        let v4: Vec<&str> = if w.cidr_block_association_set.is_empty() {
            w.cidr_block.as_deref().into_iter().collect()
        } else {
            w.cidr_block_association_set
                .iter()
                .filter(|a| associated(a.cidr_block_state.as_ref()))
                .map(|a| a.cidr_block.as_str())
                .collect()
        };
        let mut cidrs_v4 = Vec::new();
        for (idx, c) in v4.into_iter().enumerate() {
            match c.parse::<Ipv4Net>() {
                Ok(n) => cidrs_v4.push(n.trunc()),
                Err(e) => {
                    let field = format!("CidrBlockAssociationSet[{idx}]");
                    self.err(at, &field, BAD, format!("{c}: {e}"));
                }
            }
        }
        let mut cidrs_v6 = Vec::new();
        for (idx, a) in w.ipv6_cidr_block_association_set.iter().enumerate() {
            if !associated(a.ipv6_cidr_block_state.as_ref()) {
                continue;
            }
            match a.ipv6_cidr_block.parse::<Ipv6Net>() {
                Ok(n) => cidrs_v6.push(n.trunc()),
                Err(e) => {
                    let field = format!("Ipv6CidrBlockAssociationSet[{idx}]");
                    self.err(at, &field, BAD, format!("{}: {e}", a.ipv6_cidr_block));
                }
            }
        }
        let tags = self.tags(&w.tags);
        let owner = owner?;
        self.unique(at, id.as_str()).then_some(Vpc {
            id,
            owner,
            cidrs_v4,
            cidrs_v6,
            is_default: w.is_default,
            tags,
            attributes: if w.is_default {
                palisade_model::VpcAttributes::default_vpc()
            } else {
                palisade_model::VpcAttributes::default()
            },
        })
    }

    pub(super) fn subnet(&mut self, at: &At, w: &SubnetWire) -> Option<Subnet> {
        let id: SubnetId = self.id(at, "SubnetId", &w.subnet_id)?;
        let vpc_id = self
            .required(at, "VpcId", w.vpc_id.as_deref())
            .and_then(|v| self.id(at, "VpcId", v));
        let owner = self.owner(at, w.owner_id.as_deref());
        let mut cidr_v6 = None;
        for a in &w.ipv6_cidr_block_association_set {
            match a.ipv6_cidr_block.parse::<Ipv6Net>() {
                Ok(n) => cidr_v6 = Some(n.trunc()),
                Err(e) => self.err(at, "Ipv6CidrBlockAssociationSet", BAD, e.to_string()),
            }
        }
        // An IPv6-only subnet (`Ipv6Native`) has no `CidrBlock`, only its IPv6 block.
        let native = w.cidr_block.is_none() && !w.ipv6_cidr_block_association_set.is_empty();
        let cidr_v4 = if native {
            Some(None)
        } else {
            let cidr = self.required(at, "CidrBlock", w.cidr_block.as_deref());
            match cidr.map(str::parse::<Ipv4Net>) {
                Some(Ok(n)) => Some(Some(n.trunc())),
                Some(Err(e)) => {
                    self.err(at, "CidrBlock", BAD, e.to_string());
                    None
                }
                None => None,
            }
        };
        let tags = self.tags(&w.tags);
        let (vpc_id, owner, cidr_v4) = (vpc_id?, owner?, cidr_v4?);
        let mut attributes = palisade_model::SubnetAttributes::default();
        if native {
            attributes.assign_ipv6_address_on_creation = true;
            attributes.hostname_type = palisade_model::HostnameType::ResourceName;
        }
        self.unique(at, id.as_str()).then(|| Subnet {
            id,
            vpc_id,
            owner,
            cidr_v4,
            cidr_v6,
            availability_zone: w.availability_zone.clone(),
            tags,
            attributes,
        })
    }

    fn peering_side(
        &mut self,
        at: &At,
        name: &str,
        info: &PeeringVpcInfoWire,
    ) -> Option<(VpcId, AccountId)> {
        let vpc_field = format!("{name}.VpcId");
        let owner_field = format!("{name}.OwnerId");
        let vpc = self
            .required(at, &vpc_field, info.vpc_id.as_deref())
            .and_then(|v| self.id::<VpcId>(at, &vpc_field, v));
        let owner = self
            .required(at, &owner_field, info.owner_id.as_deref())
            .and_then(|v| self.id::<AccountId>(at, &owner_field, v));
        vpc.zip(owner)
    }

    pub(super) fn peering(&mut self, at: &At, w: &PeeringWire) -> Option<Peering> {
        let id: PeeringId = self.id(at, "VpcPeeringConnectionId", &w.vpc_peering_connection_id)?;
        let requester = self.peering_side(at, "RequesterVpcInfo", &w.requester_vpc_info);
        let accepter = self.peering_side(at, "AccepterVpcInfo", &w.accepter_vpc_info);
        let code = w.status.code.as_deref().unwrap_or("");
        let status = PeeringStatus::parse(code);
        if status.is_none() {
            self.err(
                at,
                "Status.Code",
                BAD,
                format!("unknown peering status '{code}'"),
            );
        }
        let tags = self.tags(&w.tags);
        let ((requester_vpc, requester_owner), (accepter_vpc, accepter_owner), status) =
            (requester?, accepter?, status?);
        self.unique(at, id.as_str()).then_some(Peering {
            id,
            requester_vpc,
            requester_owner,
            accepter_vpc,
            accepter_owner,
            status,
            tags,
            detail: Default::default(),
        })
    }

    pub(super) fn prefix_list(&mut self, at: &At, w: &PrefixListWire) -> Option<PrefixList> {
        let id: PrefixListId = self.id(at, "PrefixListId", &w.prefix_list_id)?;
        // `describe-prefix-lists` (AWS-managed lists only) gives `Cidrs` and nothing else.
        let listed =
            (w.owner_id.is_none() && w.entries.is_empty() && !w.cidrs.is_empty()).then(|| {
                PrefixListWire {
                    owner_id: Some(AccountId::AWS_MANAGED.to_owned()),
                    address_family: w.address_family.clone().or_else(|| {
                        let v6 = w.cidrs.first().is_some_and(|c| c.contains(':'));
                        Some(if v6 { "IPv6" } else { "IPv4" }.to_owned())
                    }),
                    entries: w
                        .cidrs
                        .iter()
                        .map(|c| PrefixListEntryWire {
                            cidr: c.clone(),
                            description: None,
                        })
                        .collect(),
                    cidrs: Vec::new(),
                    ..w.clone()
                }
            });
        let w = listed.as_ref().unwrap_or(w);
        let owner = self.owner(at, w.owner_id.as_deref());
        let family = match w.address_family.as_deref() {
            Some("IPv4") => Some(AddressFamily::Ipv4),
            Some("IPv6") => Some(AddressFamily::Ipv6),
            other => {
                let msg = format!("AddressFamily must be IPv4 or IPv6, not {other:?}");
                self.err(at, "AddressFamily", BAD, msg);
                None
            }
        };
        let mut entries = Vec::new();
        for (idx, e) in w.entries.iter().enumerate() {
            let field = format!("Entries[{idx}].Cidr");
            match e.cidr.parse::<IpNet>() {
                Ok(net) if family.is_some_and(|f| f != family_of(net)) => {
                    let fam = family.map_or("", AddressFamily::aws_name);
                    self.err(at, &field, BAD, format!("{} is not an {fam} CIDR", e.cidr));
                }
                Ok(net) => entries.push(PrefixListEntry {
                    cidr: net.trunc(),
                    description: e.description.clone(),
                }),
                Err(_) => self.err(
                    at,
                    &field,
                    BAD,
                    format!("CIDR block {} is malformed", e.cidr),
                ),
            }
        }
        let n_entries = u32::try_from(entries.len()).unwrap_or(u32::MAX);
        // AWS-managed lists may omit MaxEntries: they then weigh their entries.
        let max_entries = match w.max_entries.map(u32::try_from) {
            None => Some(n_entries.max(1)),
            Some(Ok(m)) if m >= n_entries && m > 0 => Some(m),
            Some(_) => {
                let msg = format!(
                    "MaxEntries {:?} is invalid or below the {n_entries} entries",
                    w.max_entries
                );
                self.err(at, "MaxEntries", BAD, msg);
                None
            }
        };
        let version = u64::try_from(w.version.unwrap_or(1)).unwrap_or(1);
        let tags = self.tags(&w.tags);
        let (owner, family, max_entries) = (owner?, family?, max_entries?);
        self.unique(at, id.as_str()).then(|| PrefixList {
            id,
            name: w.prefix_list_name.clone(),
            owner,
            family,
            max_entries,
            version,
            entries,
            tags,
            change: Default::default(),
        })
    }

    pub(super) fn eni(
        &mut self,
        at: &At,
        w: &NetworkInterfaceWire,
        quotas: &Quotas,
    ) -> Option<Eni> {
        let id: EniId = self.id(at, "NetworkInterfaceId", &w.network_interface_id)?;
        let vpc_id = self
            .required(at, "VpcId", w.vpc_id.as_deref())
            .and_then(|v| self.id(at, "VpcId", v));
        let owner = self.owner(at, w.owner_id.as_deref());
        let subnet_id = match w.subnet_id.as_deref() {
            Some(s) => Some(self.id::<SubnetId>(at, "SubnetId", s)?),
            None => None,
        };
        // The primary private address first, then the secondaries in order.
        let mut addrs: Vec<(bool, &str, String)> = w
            .private_ip_addresses
            .iter()
            .enumerate()
            .map(|(idx, p)| {
                (
                    p.primary,
                    p.private_ip_address.as_str(),
                    format!("PrivateIpAddresses[{idx}]"),
                )
            })
            .collect();
        addrs.sort_by_key(|(primary, _, _)| !primary);
        if let Some(p) = w.private_ip_address.as_deref()
            && !addrs.iter().any(|(_, a, _)| *a == p)
        {
            addrs.insert(0, (true, p, "PrivateIpAddress".to_owned()));
        }
        let mut private_ipv4 = Vec::new();
        for (_, a, field) in addrs {
            match a.parse::<Ipv4Addr>() {
                Ok(ip) => private_ipv4.push(ip),
                Err(_) => self.err(at, &field, BAD, format!("'{a}' is not an IPv4 address")),
            }
        }
        let mut ipv6 = Vec::new();
        for (idx, a) in w.ipv6_addresses.iter().enumerate() {
            match a.ipv6_address.parse::<Ipv6Addr>() {
                Ok(ip) => ipv6.push(ip),
                Err(_) => {
                    let msg = format!("'{}' is not an IPv6 address", a.ipv6_address);
                    self.err(at, &format!("Ipv6Addresses[{idx}]"), BAD, msg);
                }
            }
        }
        let public = w
            .association
            .as_ref()
            .and_then(|a| a.public_ip.as_deref())
            .or_else(|| {
                let primary = w.private_ip_addresses.iter().find(|p| p.primary)?;
                primary.association.as_ref()?.public_ip.as_deref()
            });
        let public_ipv4 = match public.map(str::parse::<Ipv4Addr>) {
            Some(Ok(ip)) => Some(ip),
            Some(Err(_)) => {
                self.err(
                    at,
                    "Association.PublicIp",
                    BAD,
                    "not an IPv4 address".to_owned(),
                );
                None
            }
            None => None,
        };
        let mut groups = Vec::new();
        for (idx, g) in w.groups.iter().enumerate() {
            let field = format!("Groups[{idx}].GroupId");
            if let Some(gid) = self.id::<GroupId>(at, &field, &g.group_id) {
                groups.push(gid);
            }
        }
        if !groups.is_empty()
            && let Err(e) = quotas.check_interface_groups(&groups)
        {
            self.err(at, "Groups", Some(e.code()), e.message().to_owned());
        }
        let conntrack = match &w.connection_tracking_configuration {
            None => Some(ConntrackConfig::default()),
            Some(c) => {
                let secs = |v: Option<i64>| v.map(|v| u32::try_from(v).unwrap_or(u32::MAX));
                let res = ConntrackConfig::new(
                    secs(c.tcp_established_timeout),
                    secs(c.udp_stream_timeout),
                    secs(c.udp_timeout),
                );
                match res {
                    Ok(c) => Some(c),
                    Err(e) => {
                        let field = "ConnectionTrackingConfiguration";
                        self.err(at, field, Some(e.code()), e.message().to_owned());
                        None
                    }
                }
            }
        };
        let instance_id = match w.attachment.as_ref().and_then(|a| a.instance_id.as_deref()) {
            Some(i) => self.id::<InstanceId>(at, "Attachment.InstanceId", i),
            None => None,
        };
        let tags = self.tags(&w.tag_set);
        let (vpc_id, owner, conntrack) = (vpc_id?, owner?, conntrack?);
        self.unique(at, id.as_str()).then(|| Eni {
            id,
            owner,
            vpc_id,
            subnet_id,
            private_ipv4,
            ipv6,
            public_ipv4,
            groups,
            instance_id,
            description: w.description.clone().unwrap_or_default(),
            conntrack,
            tags,
        })
    }

    /// References between items: VPCs and subnets named by other items must be in the
    /// input when that kind of item was given at all (a snapshot of security groups and
    /// interfaces alone is fine). A group reference naming a peering needs that peering.
    pub(super) fn check_references(&mut self, snap: &Snapshot, raw: &Raw) {
        let has_vpcs = !raw.vpcs.is_empty();
        let has_subnets = !raw.subnets.is_empty();
        let no_vpc = |vpc: &VpcId| format!("The vpc ID '{vpc}' does not exist");
        let vpc_missing = Some(Ec2ErrorCode::InvalidVpcIdNotFound);
        for s in snap.subnets.values() {
            if has_vpcs && !snap.vpcs.contains_key(&s.vpc_id) {
                let at = find(&raw.subnets, s.id.as_str(), |w| &w.subnet_id);
                self.err(&at, "VpcId", vpc_missing, no_vpc(&s.vpc_id));
            }
        }
        for g in snap.groups.values() {
            let at = find(&raw.groups, g.id.as_str(), |w| &w.group_id);
            if has_vpcs && !snap.vpcs.contains_key(&g.vpc_id) {
                self.err(&at, "VpcId", vpc_missing, no_vpc(&g.vpc_id));
            }
            for rule in g.rules() {
                if let Peer::Group(gref) = rule.peer()
                    && let Some(pcx) = &gref.peering_id
                    && !snap.peerings.contains_key(pcx)
                {
                    let msg = format!(
                        "rule {} references peering connection {pcx}, which is not in the input",
                        rule.id
                    );
                    let code = Some(Ec2ErrorCode::InvalidVpcPeeringConnectionIdNotFound);
                    self.err(&at, "", code, msg);
                }
            }
        }
        for e in snap.enis.values() {
            let at = find(&raw.enis, e.id.as_str(), |w| &w.network_interface_id);
            if has_vpcs && !snap.vpcs.contains_key(&e.vpc_id) {
                self.err(&at, "VpcId", vpc_missing, no_vpc(&e.vpc_id));
            }
            let Some(subnet_id) = &e.subnet_id else {
                continue;
            };
            match snap.subnets.get(subnet_id) {
                None if has_subnets => {
                    let msg = format!("The subnet ID '{subnet_id}' does not exist");
                    let code = Some(Ec2ErrorCode::InvalidSubnetIdNotFound);
                    self.err(&at, "SubnetId", code, msg);
                }
                Some(s) if s.vpc_id != e.vpc_id => {
                    let msg = format!(
                        "subnet {subnet_id} is in {}, not in the interface's {}",
                        s.vpc_id, e.vpc_id
                    );
                    self.err(&at, "SubnetId", None, msg);
                }
                _ => {}
            }
        }
    }
}

/// Where the item with this id came from.
fn find<T>(items: &[(At, T)], id: &str, key: impl Fn(&T) -> &String) -> At {
    items.iter().find(|(_, w)| key(w) == id).map_or_else(
        || At {
            doc: "snapshot".into(),
            item: id.to_owned(),
        },
        |(at, _)| at.clone(),
    )
}

fn family_of(net: IpNet) -> AddressFamily {
    match net {
        IpNet::V4(_) => AddressFamily::Ipv4,
        IpNet::V6(_) => AddressFamily::Ipv6,
    }
}
