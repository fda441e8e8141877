//! Snapshots for the tests: the seed's use cases (`shared/USE-CASES.md`) as groups, and one
//! interface per instance with predictable addresses (instance `n`: `10.0.n.10` and
//! `2001:db8:0:n::10`, documentation ranges only).

use std::net::{Ipv4Addr, Ipv6Addr};

use palisade_model::{
    AccountId, AddressFamily, ConntrackConfig, Direction, Eni, EniId, GroupId, GroupRef, Peer,
    PrefixList, PrefixListEntry, PrefixListId, Rule, RuleId, RuleSpec, SecurityGroup, Snapshot,
    Traffic, Vpc, VpcId,
};

pub(crate) const ADMIN_V4: &str = "198.51.100.10";
pub(crate) const ADMIN_V6: &str = "2001:db8:ad::10";
pub(crate) const INET_V4: &str = "203.0.113.10";
pub(crate) const INET_V6: &str = "2001:db8:ff00::10";

/// A snapshot under construction with sequential ids.
#[derive(Debug)]
pub(crate) struct World {
    pub(crate) snap: Snapshot,
    next_rule: u32,
}

pub(crate) fn vpc_id() -> VpcId {
    "vpc-00000001".parse().unwrap()
}

fn account() -> AccountId {
    "111122223333".parse().unwrap()
}

pub(crate) fn gid(n: u32) -> GroupId {
    format!("sg-{n:08x}").parse().unwrap()
}

pub(crate) fn eni_id(n: u8) -> EniId {
    format!("eni-{n:08x}").parse().unwrap()
}

pub(crate) fn v4(n: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, n, 10)
}

pub(crate) fn v6(n: u8) -> Ipv6Addr {
    Ipv6Addr::new(0x2001, 0xdb8, 0, u16::from(n), 0, 0, 0, 0x10)
}

impl World {
    pub(crate) fn new() -> Self {
        let mut snap = Snapshot::default();
        snap.vpcs.insert(
            vpc_id(),
            Vpc {
                id: vpc_id(),
                owner: account(),
                cidrs_v4: vec!["10.0.0.0/16".parse().unwrap()],
                cidrs_v6: vec!["2001:db8::/56".parse().unwrap()],
                is_default: false,
                tags: Vec::new(),
                attributes: Default::default(),
            },
        );
        Self { snap, next_rule: 0 }
    }

    /// A group with no rules.
    pub(crate) fn group(&mut self, n: u32, name: &str) -> GroupId {
        let id = gid(n);
        let g = SecurityGroup::empty(id.clone(), name.into(), name.into(), vpc_id(), account());
        self.snap.groups.insert(id.clone(), g);
        id
    }

    /// A group with EC2's default egress (all traffic to 0.0.0.0/0 and ::/0).
    pub(crate) fn group_default_egress(&mut self, n: u32, name: &str) -> GroupId {
        let id = self.group(n, name);
        self.rule(&id, Direction::Egress, "-1", None, None, "0.0.0.0/0");
        self.rule(&id, Direction::Egress, "-1", None, None, "::/0");
        id
    }

    /// Adds a rule; `peer` is a CIDR, `sg-…` or `pl-…`.
    pub(crate) fn rule(
        &mut self,
        group: &GroupId,
        direction: Direction,
        proto: &str,
        from: Option<i64>,
        to: Option<i64>,
        peer: &str,
    ) -> RuleId {
        self.next_rule += 1;
        let id: RuleId = format!("sgr-{:08x}", self.next_rule).parse().unwrap();
        let traffic = Traffic::parse(proto, from, to).unwrap();
        let peer = peer_of(peer);
        let rule = Rule {
            id: id.clone(),
            group_id: group.clone(),
            spec: RuleSpec {
                direction,
                traffic,
                peer,
            },
            description: None,
            tags: Vec::new(),
        };
        self.snap
            .groups
            .get_mut(group)
            .unwrap()
            .insert_existing(rule)
            .unwrap();
        id
    }

    /// Adds a rule unless it is malformed or already in the group (random changes make
    /// both); `peer` is a CIDR, `sg-…` or `pl-…`.
    pub(crate) fn try_rule(
        &mut self,
        group: &GroupId,
        spec: (Direction, &str, Option<i64>, Option<i64>),
        peer: &str,
    ) -> Option<RuleId> {
        let (direction, proto, from, to) = spec;
        let traffic = Traffic::parse(proto, from, to).ok()?;
        self.next_rule += 1;
        let id: RuleId = format!("sgr-{:08x}", self.next_rule).parse().unwrap();
        let rule = Rule {
            id: id.clone(),
            group_id: group.clone(),
            spec: RuleSpec {
                direction,
                traffic,
                peer: peer_of(peer),
            },
            description: None,
            tags: Vec::new(),
        };
        let g = self.snap.groups.get_mut(group)?;
        g.insert_existing(rule).ok()?;
        Some(id)
    }

    /// Shorthand for an ingress TCP/UDP rule on one port.
    pub(crate) fn allow_in(
        &mut self,
        group: &GroupId,
        proto: &str,
        port: i64,
        peer: &str,
    ) -> RuleId {
        self.rule(
            group,
            Direction::Ingress,
            proto,
            Some(port),
            Some(port),
            peer,
        )
    }

    /// Removes a rule (as RevokeSecurityGroup*).
    pub(crate) fn revoke(&mut self, group: &GroupId, rule: &RuleId) {
        let g = self.snap.groups.get_mut(group).unwrap();
        let dir = g.rule(rule).unwrap().direction();
        g.revoke_ids(dir, std::slice::from_ref(rule)).unwrap();
    }

    /// Instance `n`'s interface in `groups`.
    pub(crate) fn eni(&mut self, n: u8, groups: &[&GroupId]) -> EniId {
        let id = eni_id(n);
        self.snap.enis.insert(
            id.clone(),
            Eni {
                id: id.clone(),
                owner: account(),
                vpc_id: vpc_id(),
                subnet_id: None,
                private_ipv4: vec![v4(n)],
                ipv6: vec![v6(n)],
                public_ipv4: None,
                groups: groups.iter().map(|g| (*g).clone()).collect(),
                instance_id: None,
                description: String::new(),
                conntrack: ConntrackConfig::default(),
                tags: Vec::new(),
            },
        );
        id
    }

    pub(crate) fn set_groups(&mut self, eni: &EniId, groups: &[&GroupId]) {
        self.snap.enis.get_mut(eni).unwrap().groups = groups.iter().map(|g| (*g).clone()).collect();
    }

    pub(crate) fn prefix_list(&mut self, n: u32, cidrs: &[&str]) -> PrefixListId {
        let id: PrefixListId = format!("pl-{n:08x}").parse().unwrap();
        self.snap.prefix_lists.insert(
            id.clone(),
            PrefixList {
                id: id.clone(),
                name: format!("list{n}"),
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
            },
        );
        id
    }
}

fn peer_of(s: &str) -> Peer {
    if s.starts_with("sg-") {
        return Peer::Group(GroupRef::same_account(s.parse().unwrap()));
    }
    if s.starts_with("pl-") {
        return Peer::PrefixList(s.parse().unwrap());
    }
    Peer::parse_cidr(s).unwrap()
}

/// Group numbers of the use-case world.
pub(crate) mod sg {
    pub(crate) const WEB: u32 = 1;
    pub(crate) const DB: u32 = 2;
    pub(crate) const DNS: u32 = 3;
    pub(crate) const EFS: u32 = 4;
    pub(crate) const EFS_CLIENT: u32 = 5;
    pub(crate) const ELB: u32 = 6;
    pub(crate) const APP: u32 = 7;
    pub(crate) const SAME: u32 = 8;
    pub(crate) const CLIENT: u32 = 9;
}

/// Instance numbers (and interface numbers) of the use-case world.
pub(crate) mod inst {
    pub(crate) const WEB: u8 = 1;
    pub(crate) const DB: u8 = 2;
    pub(crate) const DNS: u8 = 3;
    pub(crate) const EFS: u8 = 4;
    pub(crate) const ELB: u8 = 5;
    pub(crate) const APP: u8 = 6;
    pub(crate) const PEER_A: u8 = 7;
    pub(crate) const PEER_B: u8 = 8;
    pub(crate) const OTHER: u8 = 9;
}

/// Every use case of `shared/USE-CASES.md` on one VPC with IPv6 (sections in comments).
pub(crate) fn use_cases() -> World {
    use Direction::{Egress, Ingress};
    let mut w = World::new();
    // 1. Web server: 80/443 from anywhere, both families. 3. SSH/RDP from the admin only.
    // 5. Ping from the admin range.
    let web = w.group_default_egress(sg::WEB, "web");
    for cidr in ["0.0.0.0/0", "::/0"] {
        w.allow_in(&web, "tcp", 80, cidr);
        w.allow_in(&web, "tcp", 443, cidr);
    }
    w.allow_in(&web, "tcp", 22, &format!("{ADMIN_V4}/32"));
    w.allow_in(&web, "tcp", 3389, &format!("{ADMIN_V4}/32"));
    w.allow_in(&web, "tcp", 22, &format!("{ADMIN_V6}/128"));
    w.rule(&web, Ingress, "icmp", Some(8), Some(-1), "198.51.100.0/24");
    w.rule(
        &web,
        Ingress,
        "icmpv6",
        Some(128),
        Some(0),
        "2001:db8:ad::/48",
    );
    // 2. Database: its ports only from the web group; egress limited to 80/443.
    let db = w.group(sg::DB, "db");
    w.allow_in(&db, "tcp", 5432, web.as_ref());
    w.allow_in(&db, "tcp", 3306, web.as_ref());
    w.allow_in(&db, "udp", 5555, web.as_ref());
    for cidr in ["0.0.0.0/0", "::/0"] {
        w.rule(&db, Egress, "tcp", Some(80), Some(80), cidr);
        w.rule(&db, Egress, "tcp", Some(443), Some(443), cidr);
    }
    // 6. DNS server: TCP and UDP 53 from the VPC.
    let dns = w.group_default_egress(sg::DNS, "dns");
    w.allow_in(&dns, "tcp", 53, "10.0.0.0/16");
    w.allow_in(&dns, "udp", 53, "10.0.0.0/16");
    // 7. EFS: 2049 from the clients' group; the client has SSH from the admin range.
    let efs_client = w.group_default_egress(sg::EFS_CLIENT, "efs-client");
    w.allow_in(&efs_client, "tcp", 22, "198.51.100.0/24");
    let efs = w.group_default_egress(sg::EFS, "efs");
    w.allow_in(&efs, "tcp", 2049, efs_client.as_ref());
    // 8. ELB: listener from anywhere; out to the instances' listener and health-check ports.
    let elb = w.group(sg::ELB, "elb");
    let app = w.group_default_egress(sg::APP, "app");
    w.allow_in(&elb, "tcp", 80, "0.0.0.0/0");
    w.rule(&elb, Egress, "tcp", Some(8080), Some(8080), app.as_ref());
    w.rule(&elb, Egress, "tcp", Some(8081), Some(8081), app.as_ref());
    w.allow_in(&app, "tcp", 8080, elb.as_ref());
    w.allow_in(&app, "tcp", 8081, elb.as_ref());
    // Raw protocol numbers, all traffic from a CIDR, a prefix list.
    w.rule(&app, Ingress, "132", None, None, "10.0.0.0/16");
    w.rule(&app, Ingress, "-1", None, None, "10.0.99.0/24");
    let pl = w.prefix_list(
        1,
        &["198.51.100.0/24", "203.0.113.0/24", "203.0.113.128/25"],
    );
    w.allow_in(&app, "tcp", 9000, pl.as_str());
    // 4. Same group: all traffic from the group itself.
    let same = w.group_default_egress(sg::SAME, "same");
    w.rule(&same, Ingress, "-1", None, None, same.as_ref());
    // A plain client: no inbound rules.
    let client = w.group_default_egress(sg::CLIENT, "client");

    w.eni(inst::WEB, &[&web, &efs_client]);
    w.eni(inst::DB, &[&db]);
    w.eni(inst::DNS, &[&dns]);
    w.eni(inst::EFS, &[&efs]);
    w.eni(inst::ELB, &[&elb]);
    w.eni(inst::APP, &[&app]);
    w.eni(inst::PEER_A, &[&same]);
    w.eni(inst::PEER_B, &[&same]);
    w.eni(inst::OTHER, &[&client]);
    w
}
