//! `suite(make)`: what every backend must do. `make()` returns a new handle on the SAME
//! database each call (so reopening is observable); every check uses its own account.

use palisade_model::account::AccountState;
use palisade_model::{AccountId, Direction, Ec2ErrorCode, NewRule, Peer, SeqIdGen, Traffic};
use palisade_store::{Scope, Store, transact, view};

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

/// Runs every conformance check against a backend.
pub(crate) fn suite(make: Make<'_>) {
    bootstrap_once(make);
    commit_and_reopen(make);
    failed_write_changes_nothing(make);
    accounts_and_regions_are_isolated(make);
    partial_failure_rolls_back_every_touched_resource(make);
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
