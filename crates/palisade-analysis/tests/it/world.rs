//! A tiny snapshot builder for tests: numbered ids, one call per resource.

use std::net::IpAddr;

use palisade_model::{
    AccountId, AddressAssociation, AddressFamily, ConntrackConfig, Direction, ElasticIp, Eni,
    EniId, GroupId, GroupRef, InternetGateway, Peer, Peering, PeeringId, PeeringStatus, PrefixList,
    PrefixListEntry, PrefixListId, Route, RouteDestination, RouteTable, RouteTarget, Rule, RuleId,
    RuleSpec, SecurityGroup, Snapshot, Subnet, SubnetId, Tag, Traffic, Vpc, VpcId,
};

pub(crate) fn sg(n: u32) -> GroupId {
    format!("sg-{n:08x}").parse().unwrap()
}
pub(crate) fn eni(n: u32) -> EniId {
    format!("eni-{n:08x}").parse().unwrap()
}
pub(crate) fn vpc(n: u32) -> VpcId {
    format!("vpc-{n:08x}").parse().unwrap()
}
pub(crate) fn pcx(n: u32) -> PeeringId {
    format!("pcx-{n:08x}").parse().unwrap()
}
pub(crate) fn pl(n: u32) -> PrefixListId {
    format!("pl-{n:08x}").parse().unwrap()
}
pub(crate) fn subnet(n: u32) -> SubnetId {
    format!("subnet-{n:08x}").parse().unwrap()
}
pub(crate) fn igw(n: u32) -> palisade_model::InternetGatewayId {
    format!("igw-{n:08x}").parse().unwrap()
}
pub(crate) fn rtb(n: u32) -> palisade_model::RouteTableId {
    format!("rtb-{n:08x}").parse().unwrap()
}
pub(crate) fn account() -> AccountId {
    "111122223333".parse().unwrap()
}

/// A snapshot under construction.
pub(crate) struct World {
    pub(crate) snap: Snapshot,
    next_rule: u32,
}

impl World {
    /// One VPC (1): 10.0.0.0/16 and 2600:1f00::/56.
    pub(crate) fn new() -> Self {
        let mut w = Self {
            snap: Snapshot::default(),
            next_rule: 0,
        };
        w.vpc(1, "10.0.0.0/16", "2600:1f00::/56");
        w
    }

    /// A world around a generated snapshot.
    pub(crate) fn from_snapshot(snap: Snapshot) -> Self {
        Self { snap, next_rule: 0 }
    }

    pub(crate) fn vpc(&mut self, n: u32, v4: &str, v6: &str) -> &mut Self {
        let v = Vpc {
            id: vpc(n),
            owner: account(),
            cidrs_v4: vec![v4.parse().unwrap()],
            cidrs_v6: vec![v6.parse().unwrap()],
            is_default: false,
            tags: Vec::new(),
            attributes: Default::default(),
        };
        self.snap.vpcs.insert(v.id.clone(), v);
        self
    }

    /// An empty group in VPC 1.
    pub(crate) fn group(&mut self, n: u32) -> &mut Self {
        self.group_in(n, 1, &format!("g{n}"))
    }

    pub(crate) fn group_in(&mut self, n: u32, vpc_n: u32, name: &str) -> &mut Self {
        let g = SecurityGroup::empty(sg(n), name.into(), "test".into(), vpc(vpc_n), account());
        self.snap.groups.insert(g.id.clone(), g);
        self
    }

    pub(crate) fn tag_group(&mut self, n: u32, key: &str, value: &str) -> &mut Self {
        self.snap.groups.get_mut(&sg(n)).unwrap().tags.push(Tag {
            key: key.into(),
            value: value.into(),
        });
        self
    }

    /// Adds a rule: `peer` is a CIDR, `sg-N` style id via [`sg`] text, or `pl-…`.
    pub(crate) fn rule(
        &mut self,
        g: u32,
        dir: Direction,
        proto: &str,
        ports: Option<(i64, i64)>,
        peer: &str,
    ) -> RuleId {
        let traffic = Traffic::parse(proto, ports.map(|p| p.0), ports.map(|p| p.1)).unwrap();
        let peer = if peer.starts_with("sg-") {
            Peer::Group(GroupRef::same_account(peer.parse().unwrap()))
        } else if peer.starts_with("pl-") {
            Peer::PrefixList(peer.parse().unwrap())
        } else {
            Peer::parse_cidr(peer).unwrap()
        };
        self.rule_peer(g, dir, traffic, peer)
    }

    pub(crate) fn rule_peer(
        &mut self,
        g: u32,
        dir: Direction,
        traffic: Traffic,
        peer: Peer,
    ) -> RuleId {
        self.next_rule += 1;
        let id: RuleId = format!("sgr-{:08x}", self.next_rule).parse().unwrap();
        let rule = Rule {
            id: id.clone(),
            group_id: sg(g),
            spec: RuleSpec {
                direction: dir,
                traffic,
                peer,
            },
            description: None,
            tags: Vec::new(),
        };
        self.snap
            .groups
            .get_mut(&sg(g))
            .unwrap()
            .insert_existing(rule)
            .unwrap();
        id
    }

    pub(crate) fn ingress(
        &mut self,
        g: u32,
        proto: &str,
        ports: Option<(i64, i64)>,
        peer: &str,
    ) -> RuleId {
        self.rule(g, Direction::Ingress, proto, ports, peer)
    }

    pub(crate) fn egress(
        &mut self,
        g: u32,
        proto: &str,
        ports: Option<(i64, i64)>,
        peer: &str,
    ) -> RuleId {
        self.rule(g, Direction::Egress, proto, ports, peer)
    }

    /// An interface in VPC `vpc_n` with the given addresses (v4 and/or v6) and groups.
    pub(crate) fn eni_in(
        &mut self,
        n: u32,
        vpc_n: u32,
        addrs: &[&str],
        groups: &[u32],
    ) -> &mut Self {
        let addrs: Vec<IpAddr> = addrs.iter().map(|a| a.parse().unwrap()).collect();
        let e = Eni {
            id: eni(n),
            owner: account(),
            vpc_id: vpc(vpc_n),
            subnet_id: None,
            private_ipv4: addrs
                .iter()
                .filter_map(|a| match a {
                    IpAddr::V4(x) => Some(*x),
                    _ => None,
                })
                .collect(),
            ipv6: addrs
                .iter()
                .filter_map(|a| match a {
                    IpAddr::V6(x) => Some(*x),
                    _ => None,
                })
                .collect(),
            public_ipv4: None,
            groups: groups.iter().map(|g| sg(*g)).collect(),
            instance_id: None,
            description: String::new(),
            conntrack: ConntrackConfig::default(),
            tags: Vec::new(),
        };
        self.snap.enis.insert(e.id.clone(), e);
        self
    }

    pub(crate) fn eni(&mut self, n: u32, addrs: &[&str], groups: &[u32]) -> &mut Self {
        self.eni_in(n, 1, addrs, groups)
    }

    pub(crate) fn peering(&mut self, n: u32, a: u32, b: u32, status: PeeringStatus) -> &mut Self {
        let p = Peering {
            id: pcx(n),
            requester_vpc: vpc(a),
            requester_owner: account(),
            accepter_vpc: vpc(b),
            accepter_owner: account(),
            status,
            tags: Vec::new(),
            detail: Default::default(),
        };
        self.snap.peerings.insert(p.id.clone(), p);
        self
    }

    pub(crate) fn prefix_list(&mut self, n: u32, cidrs: &[&str]) -> &mut Self {
        let p = PrefixList {
            id: pl(n),
            name: format!("pl{n}"),
            owner: account(),
            family: AddressFamily::Ipv4,
            max_entries: 10,
            version: 1,
            entries: cidrs
                .iter()
                .map(|c| PrefixListEntry {
                    cidr: c.parse().unwrap(),
                    description: None,
                })
                .collect(),
            tags: Vec::new(),
            change: Default::default(),
        };
        self.snap.prefix_lists.insert(p.id.clone(), p);
        self
    }

    /// A subnet of VPC `vpc_n` (10.0.n.0/24).
    pub(crate) fn subnet(&mut self, n: u32, vpc_n: u32) -> &mut Self {
        let s = Subnet {
            id: subnet(n),
            vpc_id: vpc(vpc_n),
            owner: account(),
            cidr_v4: Some(format!("10.0.{n}.0/24").parse().unwrap()),
            cidr_v6: None,
            availability_zone: "us-east-1a".into(),
            tags: Vec::new(),
            attributes: Default::default(),
        };
        self.snap.subnets.insert(s.id.clone(), s);
        self
    }

    /// Puts an interface in a subnet.
    pub(crate) fn in_subnet(&mut self, eni_n: u32, subnet_n: u32) -> &mut Self {
        self.snap.enis.get_mut(&eni(eni_n)).unwrap().subnet_id = Some(subnet(subnet_n));
        self
    }

    pub(crate) fn public_ip(&mut self, eni_n: u32, ip: &str) -> &mut Self {
        self.snap.enis.get_mut(&eni(eni_n)).unwrap().public_ipv4 = Some(ip.parse().unwrap());
        self
    }

    /// An Elastic IP address associated with the interface's primary private address.
    pub(crate) fn elastic_ip(&mut self, n: u32, eni_n: u32, ip: &str) -> &mut Self {
        let private_ip = self.snap.enis[&eni(eni_n)].private_ipv4[0];
        let a = ElasticIp {
            allocation_id: format!("eipalloc-{n:08x}").parse().unwrap(),
            owner: account(),
            public_ip: ip.parse().unwrap(),
            association: Some(AddressAssociation {
                id: format!("eipassoc-{n:08x}").parse().unwrap(),
                eni: eni(eni_n),
                private_ip,
            }),
            tags: Vec::new(),
        };
        self.snap.addresses.insert(a.allocation_id.clone(), a);
        self
    }

    /// An internet gateway, attached to `vpc_n` when given.
    pub(crate) fn igw(&mut self, n: u32, vpc_n: Option<u32>) -> &mut Self {
        let g = InternetGateway {
            id: igw(n),
            owner: account(),
            vpc: vpc_n.map(vpc),
            tags: Vec::new(),
        };
        self.snap.internet_gateways.insert(g.id.clone(), g);
        self
    }

    /// A route table of `vpc_n`: the main one or associated with `subnets`, with routes
    /// `(destination CIDR or pl-…, igw number)`.
    pub(crate) fn route_table(
        &mut self,
        n: u32,
        vpc_n: u32,
        main: bool,
        subnets: &[u32],
        routes: &[(&str, u32)],
    ) -> &mut Self {
        let routes = routes
            .iter()
            .map(|(d, g)| Route {
                destination: if d.starts_with("pl-") {
                    RouteDestination::PrefixList(d.parse().unwrap())
                } else if d.contains(':') {
                    RouteDestination::Ipv6(d.parse().unwrap())
                } else {
                    RouteDestination::Ipv4(d.parse().unwrap())
                },
                target: RouteTarget::Gateway(igw(*g)),
            })
            .collect();
        let t = RouteTable {
            id: rtb(n),
            vpc_id: vpc(vpc_n),
            owner: account(),
            main: main.then(|| format!("rtbassoc-{n:08x}").parse().unwrap()),
            subnets: subnets
                .iter()
                .map(|s| {
                    (
                        format!("rtbassoc-{:08x}", 0x100 + s).parse().unwrap(),
                        subnet(*s),
                    )
                })
                .collect(),
            routes,
            tags: Vec::new(),
        };
        self.snap.route_tables.insert(t.id.clone(), t);
        self
    }

    /// Adds a route to an interface (an appliance) to a table.
    pub(crate) fn route_to_eni(&mut self, table_n: u32, dest: &str, eni_n: u32) -> &mut Self {
        let t = self.snap.route_tables.get_mut(&rtb(table_n)).unwrap();
        t.routes.push(Route {
            destination: RouteDestination::Ipv4(dest.parse().unwrap()),
            target: RouteTarget::Eni(eni(eni_n)),
        });
        self
    }
}
