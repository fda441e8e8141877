//! A small world to test presets in: a VPC with IPv6 (10.0.0.0/16, 2001:db8::/56), a
//! peered VPC (10.1.0.0/16) and builders for groups and interfaces; plus helpers that write
//! a snapshot as describe-* JSON and run the `palisade` binary on it.

use std::process::{Command, Output};

use palisade_model::{
    AuthorizeCtx, ConntrackConfig, Eni, EniId, GroupId, NewRule, Peering, PeeringStatus,
    PrefixListId, Quotas, SecurityGroup, SeqIdGen, Snapshot, Vpc, VpcId,
};

pub(crate) const OWNER: &str = "123456789012";
pub(crate) const VPC: &str = "vpc-00000000000000001";
pub(crate) const PEER_VPC: &str = "vpc-00000000000000002";
pub(crate) const PCX: &str = "pcx-00000000000000001";

pub(crate) struct World {
    pub(crate) snap: Snapshot,
    ids: SeqIdGen,
    n: u32,
}

impl World {
    pub(crate) fn new(peering: PeeringStatus) -> Self {
        let mut snap = Snapshot::default();
        for (id, v4, v6) in [
            (VPC, "10.0.0.0/16", Some("2001:db8::/56")),
            (PEER_VPC, "10.1.0.0/16", None),
        ] {
            let vpc = Vpc {
                id: id.parse().unwrap(),
                owner: OWNER.parse().unwrap(),
                cidrs_v4: vec![v4.parse().unwrap()],
                cidrs_v6: v6.iter().map(|c| c.parse().unwrap()).collect(),
                is_default: false,
                tags: Vec::new(),
                attributes: Default::default(),
            };
            snap.vpcs.insert(vpc.id.clone(), vpc);
        }
        let pcx = Peering {
            id: PCX.parse().unwrap(),
            requester_vpc: VPC.parse().unwrap(),
            requester_owner: OWNER.parse().unwrap(),
            accepter_vpc: PEER_VPC.parse().unwrap(),
            accepter_owner: OWNER.parse().unwrap(),
            status: peering,
            tags: Vec::new(),
            detail: Default::default(),
        };
        snap.peerings.insert(pcx.id.clone(), pcx);
        Self {
            snap,
            ids: SeqIdGen::starting_at(1000),
            n: 0,
        }
    }

    fn next(&mut self) -> u32 {
        self.n += 1;
        self.n
    }

    /// A fresh group id, for groups that reference themselves.
    pub(crate) fn group_id(&mut self) -> GroupId {
        format!("sg-{:017x}", self.next()).parse().unwrap()
    }

    /// A group in `vpc` holding exactly `rules` (no default egress), added through
    /// `authorize`, so EC2's validation applies.
    pub(crate) fn group_with_id(&mut self, id: GroupId, vpc: &str, rules: Vec<NewRule>) -> GroupId {
        let n = self.next();
        let mut g = SecurityGroup::empty(
            id.clone(),
            format!("g{n}"),
            "test group".into(),
            vpc.parse().unwrap(),
            OWNER.parse().unwrap(),
        );
        let quotas = Quotas::default();
        let no_pl = |_: &PrefixListId| None;
        let ctx = AuthorizeCtx {
            quotas: &quotas,
            prefix_list_weight: &no_pl,
        };
        g.authorize(rules, &ctx, &mut self.ids).unwrap();
        self.snap.groups.insert(id.clone(), g);
        id
    }

    pub(crate) fn group(&mut self, rules: Vec<NewRule>) -> GroupId {
        let id = self.group_id();
        self.group_with_id(id, VPC, rules)
    }

    /// An interface with private addresses (IPv4 and IPv6 mixed), an optional public IPv4
    /// and its groups.
    pub(crate) fn eni(
        &mut self,
        vpc: &str,
        private: &[&str],
        public: Option<&str>,
        groups: &[&GroupId],
    ) -> EniId {
        let id: EniId = format!("eni-{:017x}", self.next()).parse().unwrap();
        let eni = Eni {
            id: id.clone(),
            owner: OWNER.parse().unwrap(),
            vpc_id: vpc.parse::<VpcId>().unwrap(),
            subnet_id: None,
            private_ipv4: private.iter().filter_map(|a| a.parse().ok()).collect(),
            ipv6: private.iter().filter_map(|a| a.parse().ok()).collect(),
            public_ipv4: public.map(|p| p.parse().unwrap()),
            groups: groups.iter().map(|g| (*g).clone()).collect(),
            instance_id: None,
            description: String::new(),
            conntrack: ConntrackConfig::default(),
            tags: Vec::new(),
        };
        self.snap.enis.insert(id.clone(), eni);
        id
    }

    /// An interface with one group that no rule references (a target for presets).
    pub(crate) fn target(&mut self, group: &GroupId) -> EniId {
        self.eni(
            VPC,
            &["10.0.9.9", "2001:db8:0:9::9"],
            Some("203.0.113.99"),
            &[group],
        )
    }
}

/// Runs `palisade ARGS…` and returns its output.
pub(crate) fn palisade(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .env("PALISADE_LOG", "warn")
        .output()
        .expect("the palisade binary runs")
}

pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
