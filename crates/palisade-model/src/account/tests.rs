//! Tests of one account's state: EC2 operations and their business rules.

use super::*;
use crate::ids::SeqIdGen;
use crate::network::{Peering, PeeringStatus};
use crate::peer::{GroupRef, Peer};
use crate::protocol::Traffic;
use crate::rule::{Direction, NewRule};

fn state() -> (AccountState, SeqIdGen) {
    let mut ids = SeqIdGen::default();
    let st = AccountState::bootstrap(
        "123456789012".parse().unwrap(),
        "us-east-1",
        Quotas::default(),
        &mut ids,
    );
    (st, ids)
}

fn tcp(port: u16, cidr: &str) -> NewRule {
    let t = Traffic::parse("tcp", Some(i64::from(port)), Some(i64::from(port))).unwrap();
    NewRule::new(Direction::Ingress, t, Peer::parse_cidr(cidr).unwrap())
}

#[track_caller]
fn check_err<T: std::fmt::Debug>(res: Result<T, AccountError>, code: Ec2ErrorCode) {
    assert_eq!(res.unwrap_err().code(), code);
}

#[test]
fn bootstrap_makes_default_vpc_subnets_and_group() {
    let (mut st, _) = state();
    let vpc = st.default_vpc().unwrap().clone();
    assert_eq!(vpc.cidrs_v4[0].to_string(), "172.31.0.0/16");
    assert_eq!(st.snapshot().subnets.len(), 3);
    let default = st.group_by_name(&vpc.id, "default").unwrap();
    assert!(default.is_default());
    assert_eq!(default.rules().len(), 2);
    // VPC, group, 3 subnets; routing: main route table, default ACL, internet gateway.
    assert_eq!(st.take_changed().len(), 8);
}

#[test]
fn group_names_are_unique_case_insensitively_per_vpc() {
    let (mut st, mut ids) = state();
    st.create_group("Web", "d", None, vec![], &mut ids).unwrap();
    check_err(
        st.create_group("web", "d", None, vec![], &mut ids),
        Ec2ErrorCode::InvalidGroupDuplicate,
    );
    let vpc = st
        .create_vpc("10.0.0.0/16".parse().unwrap(), None, vec![], &mut ids)
        .unwrap();
    st.create_group("web", "d", Some(&vpc), vec![], &mut ids)
        .unwrap();
    check_err(
        st.create_group("default", "d", None, vec![], &mut ids),
        Ec2ErrorCode::InvalidGroupReserved,
    );
    let missing: VpcId = "vpc-0000000000000ffff".parse().unwrap();
    check_err(
        st.create_group("x", "d", Some(&missing), vec![], &mut ids),
        Ec2ErrorCode::InvalidVpcIdNotFound,
    );
}

/// The name index answers as a scan of every group would, through creates, deletes and a
/// store's loads and roll-backs.
#[test]
fn group_by_name_follows_creates_deletes_and_loads() {
    let (mut st, mut ids) = state();
    let scan = |st: &AccountState, vpc: &VpcId, name: &str| {
        st.snapshot()
            .groups
            .values()
            .find(|g| &g.vpc_id == vpc && g.name.eq_ignore_ascii_case(name))
            .map(|g| g.id.clone())
    };
    let vpc = st.default_vpc().unwrap().id.clone();
    let other = st
        .create_vpc("10.0.0.0/16".parse().unwrap(), None, vec![], &mut ids)
        .unwrap();
    let web = st.create_group("Web", "d", None, vec![], &mut ids).unwrap();
    let web2 = st
        .create_group("web", "d", Some(&other), vec![], &mut ids)
        .unwrap();
    let names = ["web", "WEB", "default", "db", "nope"];
    let check = |st: &AccountState| {
        for v in [&vpc, &other] {
            for n in names {
                assert_eq!(st.group_by_name(v, n).map(|g| g.id.clone()), scan(st, v, n));
            }
        }
    };
    check(&st);
    assert_eq!(st.group_by_name(&vpc, "wEb").unwrap().id, web);
    assert_eq!(st.group_by_name(&other, "WEB").unwrap().id, web2);
    st.delete_group(&GroupSelector::Id(web.clone())).unwrap();
    assert!(st.group_by_name(&vpc, "web").is_none());
    check(&st);
    // A store restoring a row (roll-back) and loading a renamed copy (an import).
    let mut renamed = st.snapshot().groups[&web2].clone();
    st.remove_loaded(&ResourceKey::Group(web2.clone()));
    check(&st);
    renamed.name = "db".into();
    st.insert_loaded(Resource::Group(renamed));
    assert!(st.group_by_name(&other, "web").is_none());
    assert_eq!(st.group_by_name(&other, "DB").unwrap().id, web2);
    check(&st);
}

#[test]
fn delete_group_dependencies() {
    let (mut st, mut ids) = state();
    let vpc = st.default_vpc().unwrap().id.clone();
    let default = st.group_by_name(&vpc, "default").unwrap().id.clone();
    check_err(
        st.delete_group(&GroupSelector::Id(default)),
        Ec2ErrorCode::CannotDelete,
    );
    let app = st.create_group("app", "d", None, vec![], &mut ids).unwrap();
    let db = st.create_group("db", "d", None, vec![], &mut ids).unwrap();
    let from_app = NewRule::new(
        Direction::Ingress,
        Traffic::parse("tcp", Some(5432), Some(5432)).unwrap(),
        Peer::Group(GroupRef::same_account(app.clone())),
    );
    st.authorize(&db, vec![from_app], &mut ids).unwrap();
    check_err(
        st.delete_group(&GroupSelector::Name("app".into())),
        Ec2ErrorCode::DependencyViolation,
    );
    st.delete_group(&GroupSelector::Id(db.clone())).unwrap();
    let subnet = st.snapshot().subnets.keys().next().unwrap().clone();
    let eni = st
        .create_eni(
            NewEni {
                subnet_id: subnet,
                groups: vec![app.clone()],
                addresses: AddressSpec::default(),
                description: String::new(),
                tags: vec![],
                conntrack: Default::default(),
            },
            &mut ids,
        )
        .unwrap();
    check_err(
        st.delete_group(&GroupSelector::Id(app.clone())),
        Ec2ErrorCode::DependencyViolation,
    );
    st.delete_eni(&eni).unwrap();
    st.delete_group(&GroupSelector::Id(app)).unwrap();
    check_err(
        st.delete_group(&GroupSelector::Name("nope".into())),
        Ec2ErrorCode::InvalidGroupNotFound,
    );
}

#[test]
fn references_need_an_existing_group_in_reach() {
    let (mut st, mut ids) = state();
    let web = st.create_group("web", "d", None, vec![], &mut ids).unwrap();
    let ghost: GroupId = "sg-0000000000000beef".parse().unwrap();
    let rule = NewRule::new(
        Direction::Ingress,
        Traffic::All,
        Peer::Group(GroupRef::same_account(ghost)),
    );
    check_err(
        st.authorize(&web, vec![rule], &mut ids),
        Ec2ErrorCode::InvalidGroupNotFound,
    );
    let other = st
        .create_vpc("10.1.0.0/16".parse().unwrap(), None, vec![], &mut ids)
        .unwrap();
    let far = st
        .create_group("far", "d", Some(&other), vec![], &mut ids)
        .unwrap();
    let rule = NewRule::new(
        Direction::Ingress,
        Traffic::All,
        Peer::Group(GroupRef::same_account(far.clone())),
    );
    check_err(
        st.authorize(&web, vec![rule.clone()], &mut ids),
        Ec2ErrorCode::InvalidGroupNotFound,
    );
    let vpc = st.default_vpc().unwrap().id.clone();
    let pcx = st.create_peering(&vpc, &other, &mut ids).unwrap();
    st.accept_peering(&pcx).unwrap();
    st.authorize(&web, vec![rule], &mut ids).unwrap();
    assert!(st.stale_groups(&vpc).unwrap().is_empty());
    assert_eq!(
        st.group_references(std::slice::from_ref(&web))
            .unwrap()
            .len(),
        0
    );
    st.delete_peering(&pcx).unwrap();
    assert_eq!(st.peering(&pcx).unwrap().status, PeeringStatus::Deleted);
    assert_eq!(st.stale_groups(&vpc).unwrap().len(), 1);
}

#[test]
fn references_to_another_account_need_an_active_peering() {
    let (mut st, mut ids) = state();
    let web = st.create_group("web", "d", None, vec![], &mut ids).unwrap();
    let vpc = st.default_vpc().unwrap().id.clone();
    let theirs = |vpc_id: Option<&str>| {
        NewRule::new(
            Direction::Ingress,
            Traffic::All,
            Peer::Group(GroupRef {
                group_id: "sg-0000000000000a11c".parse().unwrap(),
                owner: Some("210987654321".parse().unwrap()),
                vpc_id: vpc_id.map(|v| v.parse().unwrap()),
                peering_id: None,
            }),
        )
    };
    check_err(
        st.authorize(&web, vec![theirs(None)], &mut ids),
        Ec2ErrorCode::InvalidGroupNotFound,
    );
    // A peering with the other account, as the accepter's state holds it.
    let mut pcx = Peering {
        id: "pcx-0000000000000a11c".parse().unwrap(),
        requester_vpc: "vpc-0000000000000a11c".parse().unwrap(),
        requester_owner: "210987654321".parse().unwrap(),
        accepter_vpc: vpc,
        accepter_owner: st.owner().clone(),
        status: PeeringStatus::PendingAcceptance,
        tags: vec![],
        detail: crate::network::PeeringDetail::default(),
    };
    st.insert_loaded(Resource::Peering(pcx.clone()));
    check_err(
        st.authorize(&web, vec![theirs(None)], &mut ids),
        Ec2ErrorCode::InvalidGroupNotFound,
    );
    pcx.status = PeeringStatus::Active;
    st.insert_loaded(Resource::Peering(pcx));
    check_err(
        st.authorize(&web, vec![theirs(Some("vpc-0000000000000beef"))], &mut ids),
        Ec2ErrorCode::InvalidGroupNotFound,
    );
    st.authorize(&web, vec![theirs(Some("vpc-0000000000000a11c"))], &mut ids)
        .unwrap();
    // Naming one's own account is a same-account reference: the group must exist here.
    let own = NewRule::new(
        Direction::Ingress,
        Traffic::All,
        Peer::Group(GroupRef {
            owner: Some(st.owner().clone()),
            ..GroupRef::same_account("sg-0000000000000a11c".parse().unwrap())
        }),
    );
    check_err(
        st.authorize(&web, vec![own], &mut ids),
        Ec2ErrorCode::InvalidGroupNotFound,
    );
}

#[test]
fn eni_group_sets_are_checked() {
    let (mut st, mut ids) = state();
    let subnet = st.snapshot().subnets.keys().next().unwrap().clone();
    let mut groups = Vec::new();
    for n in 0..6 {
        groups.push(
            st.create_group(&format!("g{n}"), "d", None, vec![], &mut ids)
                .unwrap(),
        );
    }
    let eni = st
        .create_eni(
            NewEni {
                subnet_id: subnet,
                groups: vec![],
                addresses: AddressSpec::default(),
                description: String::new(),
                tags: vec![],
                conntrack: Default::default(),
            },
            &mut ids,
        )
        .unwrap();
    assert_eq!(st.eni(&eni).unwrap().groups.len(), 1, "default group");
    assert_eq!(
        st.eni(&eni).unwrap().private_ipv4[0].to_string(),
        "172.31.0.4"
    );
    check_err(
        st.set_eni_groups(&eni, groups.clone()),
        Ec2ErrorCode::SecurityGroupsPerInterfaceLimitExceeded,
    );
    st.set_eni_groups(&eni, groups[..5].to_vec()).unwrap();
    assert_eq!(st.eni(&eni).unwrap().groups, groups[..5]);
}

#[test]
fn instances_get_a_primary_interface() {
    let (mut st, mut ids) = state();
    let web = st.create_group("web", "d", None, vec![], &mut ids).unwrap();
    let new = NewInstances {
        associate_public_ip: None,
        image_id: "ami-12345678".into(),
        instance_type: "t3.micro".into(),
        count: 2,
        subnet_id: None,
        groups: vec![],
        group_names: vec!["web".into()],
        addresses: AddressSpec::default(),
        tags: vec![],
        launch: Default::default(),
        interfaces: vec![],
        eni_tags: vec![],
    };
    let inst = st.run_instances(new, &mut ids).unwrap();
    assert_eq!(inst.len(), 2);
    let eni = st.instance(&inst[0]).unwrap().primary_eni.clone();
    assert_eq!(st.eni(&eni).unwrap().groups, std::slice::from_ref(&web));
    check_err(st.delete_eni(&eni), Ec2ErrorCode::IncorrectState);
    st.terminate_instances(&inst[..1]).unwrap();
    assert!(st.eni(&eni).is_err());
    check_err(
        st.set_instance_groups(&inst[0], vec![web]),
        Ec2ErrorCode::IncorrectInstanceState,
    );
}

#[test]
fn attached_interfaces_follow_the_instance() {
    let (mut st, mut ids) = state();
    let web = st.create_group("web", "d", None, vec![], &mut ids).unwrap();
    let db = st.create_group("db", "d", None, vec![], &mut ids).unwrap();
    let new = NewInstances {
        image_id: "ami-12345678".into(),
        instance_type: "t3.micro".into(),
        count: 1,
        subnet_id: None,
        groups: vec![web.clone()],
        group_names: vec![],
        addresses: AddressSpec::default(),
        tags: vec![],
        launch: Default::default(),
        interfaces: vec![],
        eni_tags: vec![],
        associate_public_ip: None,
    };
    let inst = st.run_instances(new, &mut ids).unwrap()[0].clone();
    let subnet = st.instance(&inst).unwrap().subnet_id.clone();
    let new_eni = |groups: Vec<GroupId>| NewEni {
        subnet_id: subnet.clone(),
        groups,
        addresses: AddressSpec::default(),
        description: String::new(),
        tags: vec![],
        conntrack: Default::default(),
    };
    let kept = st.create_eni(new_eni(vec![db.clone()]), &mut ids).unwrap();
    let gone = st.create_eni(new_eni(vec![db.clone()]), &mut ids).unwrap();
    let a = st.attach_eni(&kept, &inst, 1, 0, &mut ids).unwrap();
    check_err(
        st.attach_eni(&gone, &inst, 1, 0, &mut ids),
        Ec2ErrorCode::InvalidParameterValue,
    );
    check_err(
        st.attach_eni(&kept, &inst, 2, 0, &mut ids),
        Ec2ErrorCode::InvalidNetworkInterfaceInUse,
    );
    let b = st.attach_eni(&gone, &inst, 2, 0, &mut ids).unwrap();
    st.set_delete_on_termination(&gone, &b, true).unwrap();
    // The instance reports its primary interface's groups; each interface keeps its own.
    let i = st.instance(&inst).unwrap().clone();
    assert_eq!(st.instance_groups(&i), vec![web.clone()]);
    assert_eq!(st.eni(&kept).unwrap().groups, vec![db.clone()]);
    check_err(
        st.set_instance_groups(&inst, vec![db]),
        Ec2ErrorCode::InvalidInstanceId,
    );
    let primary = i.interfaces[0].id.clone();
    check_err(st.detach_eni(&primary), Ec2ErrorCode::OperationNotPermitted);
    st.detach_eni(&a).unwrap();
    check_err(st.detach_eni(&a), Ec2ErrorCode::InvalidAttachmentIdNotFound);
    st.attach_eni(&kept, &inst, 1, 0, &mut ids).unwrap();
    st.modify_instance(&inst, InstanceAttribute::DisableApiTermination(true))
        .unwrap();
    check_err(
        st.terminate_instances(std::slice::from_ref(&inst)),
        Ec2ErrorCode::OperationNotPermitted,
    );
    check_err(
        st.modify_instance(&inst, InstanceAttribute::InstanceType("t3.large".into())),
        Ec2ErrorCode::IncorrectInstanceState,
    );
    st.modify_instance(&inst, InstanceAttribute::DisableApiTermination(false))
        .unwrap();
    st.terminate_instances(std::slice::from_ref(&inst)).unwrap();
    // DeleteOnTermination decides: the primary and `gone` go, `kept` is detached.
    assert!(st.eni(&i.primary_eni).is_err());
    assert!(st.eni(&gone).is_err());
    assert_eq!(st.eni(&kept).unwrap().instance_id, None);
}

#[test]
fn tags_reach_rules_and_resources() {
    let (mut st, mut ids) = state();
    let web = st.create_group("web", "d", None, vec![], &mut ids).unwrap();
    let rules = st
        .authorize(&web, vec![tcp(80, "0.0.0.0/0")], &mut ids)
        .unwrap();
    let tag = Tag {
        key: "k".into(),
        value: "v".into(),
    };
    st.create_tags(
        &[web.to_string(), rules[0].id.to_string()],
        std::slice::from_ref(&tag),
    )
    .unwrap();
    assert_eq!(st.all_tags().len(), 2);
    st.delete_tags(&[web.to_string()], &[("k".into(), Some("other".into()))])
        .unwrap();
    assert_eq!(st.all_tags().len(), 2);
    st.delete_tags(&[web.to_string()], &[("k".into(), None)])
        .unwrap();
    assert_eq!(st.all_tags().len(), 1);
    check_err(
        st.create_tags(&["sg-0000000000000beef".into()], &[tag]),
        Ec2ErrorCode::InvalidGroupNotFound,
    );
}

#[test]
fn vpc_and_subnet_lifecycle() {
    let (mut st, mut ids) = state();
    let vpc = st
        .create_vpc("10.0.0.0/16".parse().unwrap(), None, vec![], &mut ids)
        .unwrap();
    check_err(
        st.create_vpc("10.0.0.0/8".parse().unwrap(), None, vec![], &mut ids),
        Ec2ErrorCode::InvalidVpcRange,
    );
    check_err(
        st.create_subnet(
            &vpc,
            crate::account::SubnetBlocks {
                v4: Some("10.1.0.0/24".parse().unwrap()),
                v6: None,
                ipv6_native: false,
            },
            None,
            vec![],
            &mut ids,
        ),
        Ec2ErrorCode::InvalidSubnetRange,
    );
    let sn = st
        .create_subnet(
            &vpc,
            crate::account::SubnetBlocks {
                v4: Some("10.0.0.0/24".parse().unwrap()),
                v6: None,
                ipv6_native: false,
            },
            None,
            vec![],
            &mut ids,
        )
        .unwrap();
    check_err(
        st.create_subnet(
            &vpc,
            crate::account::SubnetBlocks {
                v4: Some("10.0.0.0/25".parse().unwrap()),
                v6: None,
                ipv6_native: false,
            },
            None,
            vec![],
            &mut ids,
        ),
        Ec2ErrorCode::InvalidSubnetConflict,
    );
    check_err(st.delete_vpc(&vpc), Ec2ErrorCode::DependencyViolation);
    st.delete_subnet(&sn).unwrap();
    st.delete_vpc(&vpc).unwrap();
    assert!(
        st.snapshot().groups.values().all(|g| g.vpc_id != vpc),
        "default group goes with its VPC"
    );
}

#[test]
fn prefix_lists_version_and_dependencies() {
    let (mut st, mut ids) = state();
    let entry = |c: &str| crate::network::PrefixListEntry {
        cidr: c.parse().unwrap(),
        description: None,
    };
    let pl = st
        .create_prefix_list(
            "office",
            crate::network::AddressFamily::Ipv4,
            2,
            vec![entry("10.0.0.1/24")],
            vec![],
            &mut ids,
        )
        .unwrap();
    assert_eq!(
        st.prefix_list(&pl).unwrap().entries[0].cidr.to_string(),
        "10.0.0.0/24"
    );
    check_err(
        st.modify_prefix_list(&pl, Some(7), vec![], &[], None, None),
        Ec2ErrorCode::PrefixListVersionMismatch,
    );
    check_err(
        st.modify_prefix_list(
            &pl,
            Some(1),
            vec![entry("10.1.0.0/24"), entry("10.2.0.0/24")],
            &[],
            None,
            None,
        ),
        Ec2ErrorCode::InvalidParameterValue,
    );
    st.modify_prefix_list(&pl, Some(1), vec![entry("10.1.0.0/24")], &[], None, None)
        .unwrap();
    let web = st.create_group("web", "d", None, vec![], &mut ids).unwrap();
    let rule = NewRule::new(
        Direction::Ingress,
        Traffic::All,
        Peer::PrefixList(pl.clone()),
    );
    st.authorize(&web, vec![rule], &mut ids).unwrap();
    // A referenced list survives its delete, which failed.
    st.delete_prefix_list(&pl).unwrap();
    assert_eq!(
        st.prefix_list(&pl).unwrap().state(),
        crate::network::PrefixListState::DeleteFailed
    );
}

#[test]
fn region_group_quota() {
    let (mut st, mut ids) = state();
    for n in 1..Quotas::default().groups_per_region() {
        st.create_group(&format!("g{n}"), "d", None, vec![], &mut ids)
            .unwrap();
    }
    check_err(
        st.create_group("one-too-many", "d", None, vec![], &mut ids),
        Ec2ErrorCode::SecurityGroupLimitExceeded,
    );
}

#[test]
fn instance_group_quota() {
    let (mut st, mut ids) = state();
    let groups: Vec<GroupId> = (0..6)
        .map(|n| {
            st.create_group(&format!("g{n}"), "d", None, vec![], &mut ids)
                .unwrap()
        })
        .collect();
    let new = NewInstances {
        associate_public_ip: None,
        image_id: "ami-12345678".into(),
        instance_type: "t3.micro".into(),
        count: 1,
        subnet_id: None,
        groups,
        group_names: vec![],
        addresses: AddressSpec::default(),
        tags: vec![],
        launch: Default::default(),
        interfaces: vec![],
        eni_tags: vec![],
    };
    check_err(
        st.run_instances(new, &mut ids),
        Ec2ErrorCode::SecurityGroupsPerInstanceLimitExceeded,
    );
}

#[test]
fn vpc_quota_counts_the_default_vpc() {
    let (mut st, mut ids) = state();
    for n in 1..5u8 {
        st.create_vpc(
            format!("10.{n}.0.0/16").parse().unwrap(),
            None,
            vec![],
            &mut ids,
        )
        .unwrap();
    }
    check_err(
        st.create_vpc("10.9.0.0/16".parse().unwrap(), None, vec![], &mut ids),
        Ec2ErrorCode::VpcLimitExceeded,
    );
}

#[test]
fn tag_quota_holds_for_new_and_tagged_resources() {
    let quotas = Quotas::parse("tags_per_resource = 2").unwrap();
    let mut ids = SeqIdGen::default();
    let mut st = AccountState::bootstrap(
        "123456789012".parse().unwrap(),
        "us-east-1",
        quotas,
        &mut ids,
    );
    let tag = |k: &str| Tag {
        key: k.to_owned(),
        value: String::new(),
    };
    check_err(
        st.create_group(
            "web",
            "d",
            None,
            vec![tag("a"), tag("b"), tag("c")],
            &mut ids,
        ),
        Ec2ErrorCode::TagLimitExceeded,
    );
    check_err(
        st.create_vpc(
            "10.0.0.0/16".parse().unwrap(),
            None,
            vec![tag("a"), tag("b"), tag("c")],
            &mut ids,
        ),
        Ec2ErrorCode::TagLimitExceeded,
    );
    let web = st
        .create_group("web", "d", None, vec![tag("a"), tag("b")], &mut ids)
        .unwrap();
    // Overwriting a key adds no tag; a third key is one too many, and nothing is set.
    st.create_tags(&[web.to_string()], &[tag("a")]).unwrap();
    check_err(
        st.create_tags(&[web.to_string()], &[tag("b"), tag("c")]),
        Ec2ErrorCode::TagLimitExceeded,
    );
    assert_eq!(st.group(&web).unwrap().tags.len(), 2);
    let mut rule = tcp(22, "10.0.0.0/8");
    rule.tags = vec![tag("a"), tag("b"), tag("c")];
    check_err(
        st.authorize(&web, vec![rule], &mut ids),
        Ec2ErrorCode::TagLimitExceeded,
    );
}

#[test]
fn routes_more_specific_than_local_need_a_subnet_block_and_an_interface() {
    use crate::routing::{RouteDestination, RouteTarget};
    let (mut st, mut ids) = state();
    let vpc = st.default_vpc().unwrap().id.clone();
    let table = st
        .snapshot()
        .route_tables
        .values()
        .find(|t| t.vpc_id == vpc)
        .unwrap()
        .id
        .clone();
    let igw = st
        .snapshot()
        .internet_gateways
        .keys()
        .next()
        .unwrap()
        .clone();
    let subnet = st.snapshot().subnets.values().next().unwrap().clone();
    let block = subnet.cidr_v4.unwrap();
    let eni = st
        .create_eni(
            NewEni {
                subnet_id: subnet.id.clone(),
                groups: vec![],
                addresses: AddressSpec::default(),
                description: String::new(),
                tags: vec![],
                conntrack: Default::default(),
            },
            &mut ids,
        )
        .unwrap();
    let to = |n: &str| RouteDestination::Ipv4(n.parse().unwrap());
    // A subnet's block towards the internet gateway: only an interface or instance.
    check_err(
        st.put_route(
            &table,
            RouteDestination::Ipv4(block),
            RouteTarget::Gateway(igw.clone()),
            false,
        ),
        Ec2ErrorCode::InvalidParameterValue,
    );
    // Inside the VPC but not a subnet's whole block.
    let half = ipnet::Ipv4Net::new(block.network(), block.prefix_len() + 1).unwrap();
    check_err(
        st.put_route(
            &table,
            RouteDestination::Ipv4(half),
            RouteTarget::Eni(eni.clone()),
            false,
        ),
        Ec2ErrorCode::InvalidParameterValue,
    );
    st.put_route(
        &table,
        RouteDestination::Ipv4(block),
        RouteTarget::Eni(eni.clone()),
        false,
    )
    .unwrap();
    // Outside the VPC's blocks any target goes, as before.
    st.put_route(&table, to("10.9.0.0/24"), RouteTarget::Gateway(igw), false)
        .unwrap();
    let view = st.route_table_view(st.snapshot().route_tables.get(&table).unwrap());
    assert!(
        view.routes
            .iter()
            .any(|r| r.destination == RouteDestination::Ipv4(block) && r.active)
    );
}

#[test]
fn interface_conntrack_timeouts_are_checked_and_merged() {
    let (mut st, mut ids) = state();
    let subnet = st.snapshot().subnets.keys().next().unwrap().clone();
    let eni = st
        .create_eni(
            NewEni {
                subnet_id: subnet,
                groups: vec![],
                addresses: AddressSpec::default(),
                description: String::new(),
                tags: vec![],
                conntrack: Default::default(),
            },
            &mut ids,
        )
        .unwrap();
    st.set_eni_conntrack(&eni, [Some(120), None, Some(45)])
        .unwrap();
    let ct = st.eni(&eni).unwrap().conntrack;
    assert_eq!(
        (ct.tcp_established(), ct.udp_stream(), ct.udp()),
        (120, 180, 45)
    );
    // One value given: the others stay.
    st.set_eni_conntrack(&eni, [None, Some(60), None]).unwrap();
    let ct = st.eni(&eni).unwrap().conntrack;
    assert_eq!(
        (ct.tcp_established(), ct.udp_stream(), ct.udp()),
        (120, 60, 45)
    );
    for bad in [
        [Some(59), None, None],
        [None, Some(181), None],
        [None, None, Some(29)],
        [Some(-1), None, None],
        [Some(i64::MAX), None, None],
    ] {
        check_err(
            st.set_eni_conntrack(&eni, bad),
            Ec2ErrorCode::InvalidParameterValue,
        );
    }
    assert_eq!(
        st.eni(&eni).unwrap().conntrack.udp_stream(),
        60,
        "unchanged"
    );
}
