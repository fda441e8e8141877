//! `suite(make)`: what every backend must do. `make()` returns a new handle on the SAME
//! database each call (so reopening is observable); every check uses its own account.

use palisade_model::account::AccountState;
use palisade_model::{AccountId, Direction, Ec2ErrorCode, NewRule, Peer, SeqIdGen, Traffic};
use palisade_store::{Scope, Store, transact, view, view_versioned};

type Make<'a> = &'a dyn Fn() -> Box<dyn Store>;

fn scope(n: u32, region: &str) -> Scope {
    let account: AccountId = format!("{n:012}").parse().unwrap();
    Scope::new(account, region)
}

fn web_rule(port: u16) -> NewRule {
    let t = Traffic::parse("tcp", Some(i64::from(port)), Some(i64::from(port))).unwrap();
    NewRule::new(
        Direction::Ingress,
        t,
        Peer::parse_cidr("0.0.0.0/0").unwrap(),
    )
}

type Err = palisade_model::account::AccountError;

#[derive(Debug)]
enum TestErr {
    Model(Err),
}

impl From<palisade_store::StoreError> for TestErr {
    fn from(e: palisade_store::StoreError) -> Self {
        panic!("store failure: {e}")
    }
}

impl From<Err> for TestErr {
    fn from(e: Err) -> Self {
        Self::Model(e)
    }
}

fn snapshot(store: &dyn Store, s: &Scope) -> AccountState {
    let mut ids = SeqIdGen::starting_at(1 << 40);
    view::<_, TestErr>(store, s, &mut ids, Clone::clone).unwrap()
}

/// The scope's group names, sorted.
pub(crate) fn group_names(store: &dyn Store, s: &Scope) -> Vec<String> {
    let mut names: Vec<String> = snapshot(store, s)
        .snapshot()
        .groups
        .values()
        .map(|g| g.name.clone())
        .collect();
    names.sort();
    names
}

fn version(store: &dyn Store, s: &Scope) -> (i64, usize) {
    let mut ids = SeqIdGen::starting_at(1 << 41);
    view_versioned::<_, TestErr>(store, s, &mut ids, |st| st.snapshot().groups.len()).unwrap()
}

/// A committed write bumps the scope's version by one, a failed one leaves it, and another
/// handle reads the same version with the same state.
fn versions_count_committed_writes(make: Make<'_>) {
    let store = make();
    let s = scope(90, "us-east-1");
    let (v0, groups0) = version(&*store, &s);
    let mut ids = SeqIdGen::starting_at(100);
    transact::<_, TestErr>(&*store, &s, &mut ids, |st, ids| {
        Ok(st.create_group("versioned", "d", None, vec![], ids)?)
    })
    .unwrap();
    assert_eq!(version(&*store, &s), (v0 + 1, groups0 + 1));
    let dup = transact::<_, TestErr>(&*store, &s, &mut ids, |st, ids| {
        Ok(st.create_group("versioned", "again", None, vec![], ids)?)
    });
    assert!(dup.is_err());
    assert_eq!(version(&*store, &s), (v0 + 1, groups0 + 1));
    assert_eq!(version(&*make(), &s), (v0 + 1, groups0 + 1));
}

/// Runs every conformance check against a backend.
pub(crate) fn suite(make: Make<'_>) {
    bootstrap_once(make);
    versions_count_committed_writes(make);
    commit_and_reopen(make);
    failed_write_changes_nothing(make);
    accounts_and_regions_are_isolated(make);
    scopes_lists_every_stored_scope(make);
    partial_failure_rolls_back_every_touched_resource(make);
    interface_addresses_survive_reopen(make);
    ipv6_native_subnets_survive_reopen(make);
    // --- routing ---
    routing_survives_reopen(make);
    pair_writes_commit_both_or_neither(make);
    pair_writes_in_opposite_orders_finish(make);
    batched_writes_commit_together_and_fail_alone(make);
    a_panicking_write_leaves_the_store_usable(make);
}

/// A write whose closure panics (a bug) mid-transaction stores nothing of it, and the same
/// handle goes on serving reads and writes instead of failing every later call.
fn a_panicking_write_leaves_the_store_usable(make: Make<'_>) {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    let store = make();
    let s = scope(27, "us-east-1");
    let mut ids = SeqIdGen::starting_at(95_000);
    transact::<_, TestErr>(&*store, &s, &mut ids, |st, ids| {
        Ok(st.create_group("before", "d", None, vec![], ids)?)
    })
    .unwrap();
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        let _ = transact::<(), TestErr>(&*store, &s, &mut ids, |st, ids| {
            st.create_group("half", "d", None, vec![], ids)?;
            panic!("a bug inside a write");
        });
    }));
    assert!(panicked.is_err());
    transact::<_, TestErr>(&*store, &s, &mut ids, |st, ids| {
        Ok(st.create_group("after", "d", None, vec![], ids)?)
    })
    .unwrap();
    for handle in [store, make()] {
        assert_eq!(
            group_names(handle.as_ref(), &s),
            ["after", "before", "default"]
        );
    }
}

/// A group commit (`Store::write_batch`): each write sees the ones before it, a refused
/// write (here a duplicate name) is undone alone, and the rest are stored and survive a
/// reopen.
fn batched_writes_commit_together_and_fail_alone(make: Make<'_>) {
    use palisade_store::BatchWrite;
    let store = make();
    let (x, y) = (scope(24, "us-east-1"), scope(25, "us-east-1"));
    let mut ids: Vec<SeqIdGen> = (0..4u128)
        .map(|n| SeqIdGen::starting_at(20_000 + 1000 * n))
        .collect();
    let plan = [(&x, "a"), (&x, "a"), (&x, "b"), (&y, "a")];
    let mut outcomes: Vec<Option<bool>> = vec![None; plan.len()];
    let mut closures: Vec<Box<palisade_store::WriteFn<'_>>> = outcomes
        .iter_mut()
        .zip(plan)
        .map(|(out, (_, name))| {
            Box::new(
                move |st: &mut AccountState, ids: &mut dyn palisade_model::IdGen| {
                    let ok = st.create_group(name, "d", None, vec![], ids).is_ok();
                    *out = Some(ok);
                    ok
                },
            ) as Box<palisade_store::WriteFn<'_>>
        })
        .collect();
    let mut writes: Vec<BatchWrite<'_>> = closures
        .iter_mut()
        .zip(ids.iter_mut())
        .zip(plan)
        .map(|((f, ids), (scope, _))| BatchWrite {
            scope,
            ids,
            f: f.as_mut(),
        })
        .collect();
    let results = store.write_batch(&mut writes).unwrap();
    drop(writes);
    drop(closures);
    assert_eq!(results.len(), 4);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(
        outcomes,
        [Some(true), Some(false), Some(true), Some(true)],
        "the second write saw the first's group"
    );
    for store in [store, make()] {
        assert_eq!(group_names(store.as_ref(), &x), ["a", "b", "default"]);
        assert_eq!(group_names(store.as_ref(), &y), ["a", "default"]);
        // Bootstrap is version 1; each committed write adds one, the refused one none. The
        // writer's cache and a fresh handle agree.
        assert_eq!(version(store.as_ref(), &x).0, 3);
        assert_eq!(version(store.as_ref(), &y).0, 2);
    }
    // A later batch builds on those versions.
    let store = make();
    let mut ids = SeqIdGen::starting_at(90_000);
    let mut ids2 = SeqIdGen::starting_at(91_000);
    let add = |name: &'static str| {
        move |st: &mut AccountState, ids: &mut dyn palisade_model::IdGen| {
            st.create_group(name, "d", None, vec![], ids).is_ok()
        }
    };
    let (mut f1, mut f2) = (add("c"), add("d"));
    let mut writes = [
        BatchWrite {
            scope: &x,
            ids: &mut ids,
            f: &mut f1,
        },
        BatchWrite {
            scope: &x,
            ids: &mut ids2,
            f: &mut f2,
        },
    ];
    let results = store.write_batch(&mut writes).unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(version(store.as_ref(), &x).0, 5);
    assert_eq!(version(make().as_ref(), &x), (5, 5));
}

/// Two handles writing the same two scopes in opposite orders neither deadlock nor lose a
/// write (both backends lock the scopes in one fixed order).
fn pair_writes_in_opposite_orders_finish(make: Make<'_>) {
    let (a, b) = (scope(22, "us-east-1"), scope(23, "us-west-2"));
    let handles = [make(), make()];
    std::thread::scope(|t| {
        for (n, store) in handles.iter().enumerate() {
            let (first, second) = if n == 0 { (&a, &b) } else { (&b, &a) };
            t.spawn(move || {
                let mut ids = SeqIdGen::starting_at(10_000 * (n as u128 + 1));
                for i in 0..10 {
                    palisade_store::transact_pair::<_, TestErr>(
                        store.as_ref(),
                        first,
                        second,
                        &mut ids,
                        |x, y, ids| {
                            let name = format!("w{n}-{i}");
                            x.create_group(&name, "d", None, vec![], ids)?;
                            y.create_group(&name, "d", None, vec![], ids)?;
                            Ok(())
                        },
                    )
                    .unwrap();
                }
            });
        }
    });
    for s in [&a, &b] {
        let groups = snapshot(make().as_ref(), s).snapshot().groups.len();
        assert_eq!(groups, 1 + 20, "{s}: the default group and 20 written");
    }
}

/// A write over two scopes (a cross-account, cross-region VPC peering) commits both states
/// or, when it fails, neither; the same scope twice is refused.
fn pair_writes_commit_both_or_neither(make: Make<'_>) {
    use palisade_model::account::ops::{Request, Response};
    let store = make();
    let (a, b) = (scope(20, "us-east-1"), scope(21, "eu-west-1"));
    let mut ids = SeqIdGen::starting_at(900);
    let (va, vb) = palisade_store::transact_pair::<_, TestErr>(
        store.as_ref(),
        &a,
        &b,
        &mut ids,
        |sa, sb, ids| {
            let va = sa.create_vpc("10.0.0.0/16".parse().unwrap(), None, vec![], ids)?;
            let vb = sb.create_vpc("10.1.0.0/16".parse().unwrap(), None, vec![], ids)?;
            Ok((va, vb))
        },
    )
    .unwrap();
    let create = Request::CreateVpcPeeringConnection {
        vpc: va,
        peer_vpc: vb.clone(),
        peer_owner: Some(b.account.clone()),
        peer_region: Some(b.region.clone()),
        tags: vec![],
        now: palisade_model::Timestamp::ZERO,
    };
    let answer = palisade_store::transact_pair::<_, TestErr>(
        store.as_ref(),
        &a,
        &b,
        &mut ids,
        |sa, sb, ids| Ok(sa.execute_pair(sb, create, ids)?),
    )
    .unwrap();
    let Response::Peering(v) = answer else {
        panic!("not a peering: {answer:?}")
    };
    let reopened = make();
    for s in [&a, &b] {
        let st = snapshot(reopened.as_ref(), s);
        assert!(st.peering(&v.peering.id).is_ok(), "{s} holds the peering");
    }
    // A failing pair write leaves both as they were.
    let before = (snapshot(store.as_ref(), &a), snapshot(store.as_ref(), &b));
    let res = palisade_store::transact_pair::<(), TestErr>(
        store.as_ref(),
        &a,
        &b,
        &mut ids,
        |sa, sb, ids| {
            sa.create_group("x", "d", None, vec![], ids)?;
            sb.create_group("x", "d", None, vec![], ids)?;
            Err(Err::new(Ec2ErrorCode::InvalidParameterValue, "refused").into())
        },
    );
    assert!(res.is_err());
    for (s, was) in [(&a, &before.0), (&b, &before.1)] {
        assert_eq!(snapshot(store.as_ref(), s).snapshot(), was.snapshot());
        assert_eq!(snapshot(make().as_ref(), s).snapshot(), was.snapshot());
    }
    let same = store.write_pair(&a, &a, &mut ids, &mut |_, _, _| true);
    assert!(matches!(
        same,
        Err(palisade_store::StoreError::SameScope(_))
    ));
}

fn bootstrap_once(make: Make<'_>) {
    let store = make();
    let s = scope(1, "us-east-1");
    let a = snapshot(store.as_ref(), &s);
    assert_eq!(a.snapshot().vpcs.len(), 1);
    assert_eq!(a.snapshot().subnets.len(), 3);
    assert_eq!(a.snapshot().groups.len(), 1);
    let b = snapshot(make().as_ref(), &s);
    assert_eq!(
        a.snapshot(),
        b.snapshot(),
        "a second handle sees the same bootstrap"
    );
}

fn commit_and_reopen(make: Make<'_>) {
    let s = scope(2, "us-east-1");
    let group = {
        let store = make();
        let mut ids = SeqIdGen::starting_at(100);
        transact::<_, TestErr>(store.as_ref(), &s, &mut ids, |st, ids| {
            let g = st.create_group("web", "web servers", None, vec![], ids)?;
            st.authorize(&g, vec![web_rule(80), web_rule(443)], ids)?;
            Ok(g)
        })
        .unwrap()
    };
    let reopened = snapshot(make().as_ref(), &s);
    let g = reopened.group(&group).unwrap();
    assert_eq!(g.name, "web");
    let specs: Vec<String> = g.rules().iter().map(|r| r.spec.to_string()).collect();
    assert_eq!(
        specs,
        [
            "egress all traffic to 0.0.0.0/0",
            "ingress tcp/80 from 0.0.0.0/0",
            "ingress tcp/443 from 0.0.0.0/0"
        ]
    );
}

fn failed_write_changes_nothing(make: Make<'_>) {
    let store = make();
    let s = scope(3, "us-east-1");
    let before = snapshot(store.as_ref(), &s);
    let mut ids = SeqIdGen::starting_at(200);
    let res = transact::<(), TestErr>(store.as_ref(), &s, &mut ids, |st, ids| {
        st.create_group("web", "d", None, vec![], ids)?;
        Err(Err::new(
            Ec2ErrorCode::InvalidParameterValue,
            "refused after a change",
        )
        .into())
    });
    assert!(
        matches!(res, Err(TestErr::Model(ref e)) if e.code() == Ec2ErrorCode::InvalidParameterValue)
    );
    assert_eq!(
        snapshot(store.as_ref(), &s).snapshot(),
        before.snapshot(),
        "the cached state rolled back"
    );
    assert_eq!(
        snapshot(make().as_ref(), &s).snapshot(),
        before.snapshot(),
        "nothing was persisted"
    );
}

fn accounts_and_regions_are_isolated(make: Make<'_>) {
    let store = make();
    let (a, b, a2) = (
        scope(4, "us-east-1"),
        scope(5, "us-east-1"),
        scope(4, "eu-west-1"),
    );
    let mut ids = SeqIdGen::starting_at(300);
    let g = transact::<_, TestErr>(store.as_ref(), &a, &mut ids, |st, ids| {
        Ok(st.create_group("only-a", "d", None, vec![], ids)?)
    })
    .unwrap();
    for other in [&b, &a2] {
        let st = snapshot(store.as_ref(), other);
        assert!(st.group(&g).is_err(), "{other} must not see {g}");
        assert!(st.snapshot().groups.values().all(|x| x.name != "only-a"));
    }
    assert!(snapshot(store.as_ref(), &a).group(&g).is_ok());
}

/// `Store::scopes` (what the lab follows) lists a scope once it has been used, from any
/// handle on the database, and nothing twice.
fn scopes_lists_every_stored_scope(make: Make<'_>) {
    let (a, b) = (scope(30, "us-east-1"), scope(30, "ap-south-1"));
    let writer = make();
    let mut ids = SeqIdGen::starting_at(3_000);
    for s in [&a, &b] {
        transact::<_, TestErr>(writer.as_ref(), s, &mut ids, |st, ids| {
            Ok(st.create_group("listed", "d", None, vec![], ids)?)
        })
        .unwrap();
    }
    let listed = make().scopes().unwrap();
    for s in [&a, &b] {
        assert_eq!(
            listed.iter().filter(|x| *x == s).count(),
            1,
            "{s} in {listed:?}"
        );
    }
    assert!(!listed.contains(&scope(31, "us-east-1")));
}

fn partial_failure_rolls_back_every_touched_resource(make: Make<'_>) {
    let store = make();
    let s = scope(6, "us-east-1");
    let mut ids = SeqIdGen::starting_at(400);
    let g = transact::<_, TestErr>(store.as_ref(), &s, &mut ids, |st, ids| {
        Ok(st.create_group("web", "d", None, vec![], ids)?)
    })
    .unwrap();
    let before = snapshot(store.as_ref(), &s);
    // The first authorize succeeds inside the closure, the second is a duplicate: the whole
    // transaction must vanish, including the first rule.
    let res = transact::<(), TestErr>(store.as_ref(), &s, &mut ids, |st, ids| {
        st.authorize(&g, vec![web_rule(22)], ids)?;
        st.authorize(&g, vec![web_rule(22)], ids)?;
        Ok(())
    });
    assert!(
        matches!(res, Err(TestErr::Model(ref e)) if e.code() == Ec2ErrorCode::InvalidPermissionDuplicate)
    );
    assert_eq!(snapshot(store.as_ref(), &s).snapshot(), before.snapshot());
}

/// Secondary private IPv4 and IPv6 addresses (and a subnet's IPv6 block) persist, in order,
/// and an unassignment persists too.
fn interface_addresses_survive_reopen(make: Make<'_>) {
    use palisade_model::account::{AddressSpec, NewEni};
    let s = scope(6, "us-east-1");
    let mut ids = SeqIdGen::starting_at(600);
    let eni = transact::<_, TestErr>(make().as_ref(), &s, &mut ids, |st, ids| {
        let vpc = st.create_vpc(
            "10.0.0.0/16".parse().unwrap(),
            Some("2600:1f00:0:100::/56".parse().unwrap()),
            vec![],
            ids,
        )?;
        let subnet = st.create_subnet(
            &vpc,
            palisade_model::account::SubnetBlocks {
                v4: Some("10.0.1.0/24".parse().unwrap()),
                v6: Some("2600:1f00:0:100::/64".parse().unwrap()),
                ipv6_native: false,
            },
            None,
            vec![],
            ids,
        )?;
        let addresses = AddressSpec {
            primary_v4: Some("10.0.1.10".parse().unwrap()),
            secondary_v4: vec!["10.0.1.11".parse().unwrap(), "10.0.1.12".parse().unwrap()],
            ipv6: vec!["2600:1f00:0:100::10".parse().unwrap()],
            ..AddressSpec::default()
        };
        let new = NewEni {
            subnet_id: subnet,
            groups: vec![],
            addresses,
            description: String::new(),
            tags: vec![],
            conntrack: Default::default(),
        };
        Ok(st.create_eni(new, ids)?)
    })
    .unwrap();
    let reopened = snapshot(make().as_ref(), &s);
    let e = reopened.eni(&eni).unwrap();
    let v4: Vec<String> = e.private_ipv4.iter().map(ToString::to_string).collect();
    assert_eq!(v4, ["10.0.1.10", "10.0.1.11", "10.0.1.12"]);
    assert_eq!(
        e.ipv6,
        ["2600:1f00:0:100::10".parse::<std::net::Ipv6Addr>().unwrap()]
    );
    let subnet = e.subnet_id.clone().unwrap();
    assert!(reopened.subnet(&subnet).unwrap().cidr_v6.is_some());
    transact::<_, TestErr>(make().as_ref(), &s, &mut ids, |st, _| {
        Ok(st.unassign_private_ips(&eni, &["10.0.1.11".parse().unwrap()])?)
    })
    .unwrap();
    let reopened = snapshot(make().as_ref(), &s);
    let v4: Vec<String> = reopened
        .eni(&eni)
        .unwrap()
        .private_ipv4
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(v4, ["10.0.1.10", "10.0.1.12"]);
}

/// An IPv6-only subnet (no IPv4 block) and its IPv4-less interface persist.
fn ipv6_native_subnets_survive_reopen(make: Make<'_>) {
    use palisade_model::account::{AddressSpec, NewEni, SubnetBlocks};
    let s = scope(41, "us-east-1");
    let mut ids = SeqIdGen::starting_at(4100);
    let eni = transact::<_, TestErr>(make().as_ref(), &s, &mut ids, |st, ids| {
        let vpc = st.create_vpc(
            "10.0.0.0/16".parse().unwrap(),
            Some("2600:1f00:0:100::/56".parse().unwrap()),
            vec![],
            ids,
        )?;
        let blocks = SubnetBlocks {
            v4: None,
            v6: Some("2600:1f00:0:101::/64".parse().unwrap()),
            ipv6_native: true,
        };
        let subnet = st.create_subnet(&vpc, blocks, None, vec![], ids)?;
        let new = NewEni {
            subnet_id: subnet,
            groups: vec![],
            addresses: AddressSpec::default(),
            description: String::new(),
            tags: vec![],
            conntrack: Default::default(),
        };
        Ok(st.create_eni(new, ids)?)
    })
    .unwrap();
    let reopened = snapshot(make().as_ref(), &s);
    let e = reopened.eni(&eni).unwrap();
    assert!(e.private_ipv4.is_empty());
    assert_eq!(e.ipv6.len(), 1);
    let subnet = reopened.subnet(e.subnet_id.as_ref().unwrap()).unwrap();
    assert_eq!(subnet.cidr_v4, None);
    assert!(subnet.ipv6_native() && subnet.attributes.assign_ipv6_address_on_creation);
}

// --- routing ---

/// Route tables (routes of every destination and target kind, a subnet association),
/// internet gateways and an associated Elastic IP read back as they were written.
fn routing_survives_reopen(make: Make<'_>) {
    use palisade_model::account::{AddressSpec, AddressTarget, NewEni};
    use palisade_model::{RouteDestination, RouteTarget, Tag};
    let s = scope(7, "us-east-1");
    let mut ids = SeqIdGen::starting_at(700);
    let written = transact::<_, TestErr>(make().as_ref(), &s, &mut ids, |st, ids| {
        let vpc = st.create_vpc("10.0.0.0/16".parse().unwrap(), None, vec![], ids)?;
        let subnet = st.create_subnet(
            &vpc,
            palisade_model::account::SubnetBlocks {
                v4: Some("10.0.1.0/24".parse().unwrap()),
                v6: None,
                ipv6_native: false,
            },
            None,
            vec![],
            ids,
        )?;
        let eni = st.create_eni(
            NewEni {
                subnet_id: subnet.clone(),
                groups: vec![],
                addresses: AddressSpec::default(),
                description: String::new(),
                tags: vec![],
                conntrack: Default::default(),
            },
            ids,
        )?;
        let tag = Tag {
            key: "Name".into(),
            value: "public".into(),
        };
        let rtb = st.create_route_table(&vpc, vec![tag.clone()], ids)?;
        let igw = st.create_internet_gateway(vec![tag], ids)?;
        st.attach_internet_gateway(&igw, &vpc)?;
        let pl = st.create_prefix_list(
            "corp",
            palisade_model::AddressFamily::Ipv4,
            5,
            vec![],
            vec![],
            ids,
        )?;
        let routes = [
            (
                RouteDestination::Ipv4("0.0.0.0/0".parse().unwrap()),
                RouteTarget::Gateway(igw),
            ),
            (
                RouteDestination::Ipv6("::/0".parse().unwrap()),
                RouteTarget::Eni(eni.clone()),
            ),
            (
                RouteDestination::PrefixList(pl),
                RouteTarget::Eni(eni.clone()),
            ),
        ];
        for (d, t) in routes {
            st.put_route(&rtb, d, t, false)?;
        }
        st.associate_route_table(&rtb, &subnet, ids)?;
        let alloc = st.allocate_address(vec![], ids)?;
        st.associate_address(&alloc, &AddressTarget::Eni(eni), None, false, ids)?;
        Ok(st.clone())
    })
    .unwrap();
    let reopened = snapshot(make().as_ref(), &s);
    assert_eq!(reopened.snapshot(), written.snapshot());
    assert_eq!(
        reopened.snapshot().route_tables.len(),
        3,
        "default VPC's, main, new"
    );
    assert!(
        reopened
            .snapshot()
            .enis
            .values()
            .all(|e| e.public_ipv4.is_some())
    );
}
