//! Many clients through two store handles on one database (two "servers"), authorizing and
//! revoking on the same groups at once: the final rule set equals the serial result,
//! duplicates are refused exactly once, and the rule quota is never exceeded. Run here with
//! 32 clients on one SQLite file; `postgres.rs` runs the same check on PostgreSQL.

use std::sync::Arc;
use std::thread;

use palisade_model::account::{AccountError, AccountState};
use palisade_model::{
    AccountId, Direction, Ec2ErrorCode, GroupId, NewRule, Peer, SeqIdGen, Traffic,
};
use palisade_store::{Scope, SqliteStore, Store, StoreError, transact, view};

#[derive(Debug)]
enum E {
    Model(AccountError),
    Store(StoreError),
}
impl From<StoreError> for E {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}
impl From<AccountError> for E {
    fn from(e: AccountError) -> Self {
        Self::Model(e)
    }
}

fn rule(port: u16, cidr: &str) -> NewRule {
    let t = Traffic::parse("tcp", Some(i64::from(port)), Some(i64::from(port))).unwrap();
    NewRule::new(Direction::Ingress, t, Peer::parse_cidr(cidr).unwrap())
}

fn code(res: &Result<impl std::fmt::Debug, E>) -> Option<Ec2ErrorCode> {
    match res {
        Ok(_) => None,
        Err(E::Model(e)) => Some(e.code()),
        Err(E::Store(e)) => panic!("store failure under concurrency: {e}"),
    }
}

/// Client `i`'s work on groups (a, b, c), adding `per_call` rules to b in one call.
fn client(
    store: &dyn Store,
    s: &Scope,
    (i, per_call): (u16, u16),
    (a, b, c): (&GroupId, &GroupId, &GroupId),
) -> (usize, usize, Vec<Option<Ec2ErrorCode>>) {
    let mut ids = SeqIdGen::starting_at(u128::from(i) << 32);
    let mut run = |f: &dyn Fn(
        &mut AccountState,
        &mut dyn palisade_model::IdGen,
    ) -> Result<(), AccountError>| {
        transact::<(), E>(store, s, &mut ids, |st, ids| Ok(f(st, ids)?))
    };
    // Group a: add two rules, take one back.
    assert_eq!(
        code(&run(&|st, ids| st
            .authorize(a, vec![rule(1000 + i, "10.0.0.0/8")], ids)
            .map(drop))),
        None
    );
    assert_eq!(
        code(&run(&|st, ids| st
            .authorize(a, vec![rule(2000 + i, "10.0.0.0/8")], ids)
            .map(drop))),
        None
    );
    let spec = rule(2000 + i, "10.0.0.0/8").spec;
    assert_eq!(
        code(&run(&|st, _| st
            .revoke_matching(a, std::slice::from_ref(&spec))
            .map(drop))),
        None
    );
    // Group b: `per_call` distinct rules in one call; the quota (60 IPv4 inbound) admits
    // 60 / per_call calls.
    let some = |st: &mut AccountState, ids: &mut dyn palisade_model::IdGen| {
        let rules = (0..per_call)
            .map(|k| rule(3000 + i * per_call + k, "192.168.0.0/16"))
            .collect();
        st.authorize(b, rules, ids).map(drop)
    };
    let quota = code(&run(&some));
    // Group c: everybody adds the same rule; exactly one wins.
    let dup = code(&run(&|st, ids| {
        st.authorize(c, vec![rule(5432, "172.16.0.0/12")], ids)
            .map(drop)
    }));
    (
        usize::from(quota.is_none()),
        usize::from(dup.is_none()),
        vec![quota, dup],
    )
}

fn setup(store: &dyn Store, s: &Scope) -> (GroupId, GroupId, GroupId) {
    let mut ids = SeqIdGen::starting_at(1);
    transact::<_, E>(store, s, &mut ids, |st, ids| {
        Ok((
            st.create_group("a", "d", None, vec![], ids)?,
            st.create_group("b", "d", None, vec![], ids)?,
            st.create_group("c", "d", None, vec![], ids)?,
        ))
    })
    .unwrap()
}

fn specs(store: &dyn Store, s: &Scope, g: &GroupId) -> Vec<String> {
    let mut ids = SeqIdGen::default();
    let mut v: Vec<String> = view::<_, E>(store, s, &mut ids, |st| {
        st.group(g)
            .unwrap()
            .rules()
            .iter()
            .map(|r| r.spec.to_string())
            .collect::<Vec<_>>()
    })
    .unwrap();
    v.sort();
    v
}

#[test]
fn thirty_two_clients_match_the_serial_result() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conc.db");
    let servers: [Arc<dyn Store>; 2] = [
        Arc::new(SqliteStore::open(&path).unwrap()),
        Arc::new(SqliteStore::open(&path).unwrap()),
    ];
    check_clients(&servers, 32, 3);
}

/// `clients` threads split over two handles on one database; each adds `per_call` rules to
/// group b at once, so `60 / per_call` (fewer than `clients`) of those calls must win.
pub(crate) fn check_clients(servers: &[Arc<dyn Store>; 2], clients: u16, per_call: u16) {
    assert!(
        60 % per_call == 0 && 60 / per_call < clients,
        "the quota must be hit"
    );
    let acct: AccountId = "000000000032".parse().unwrap();
    let s = Scope::new(acct, "us-east-1");
    let (a, b, c) = setup(servers[0].as_ref(), &s);

    let handles: Vec<_> = (0..clients)
        .map(|i| {
            let store = servers[usize::from(i % 2)].clone();
            let (s, a, b, c) = (s.clone(), a.clone(), b.clone(), c.clone());
            thread::spawn(move || client(store.as_ref(), &s, (i, per_call), (&a, &b, &c)))
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();

    let quota_ok: usize = results.iter().map(|r| r.0).sum();
    let dup_ok: usize = results.iter().map(|r| r.1).sum();
    assert_eq!(
        quota_ok,
        usize::from(60 / per_call),
        "60 rules / {per_call} per call"
    );
    assert_eq!(dup_ok, 1, "the same rule is added exactly once");
    for (_, _, codes) in &results {
        assert!(matches!(
            codes[0],
            None | Some(Ec2ErrorCode::RulesPerSecurityGroupLimitExceeded)
        ));
        assert!(matches!(
            codes[1],
            None | Some(Ec2ErrorCode::InvalidPermissionDuplicate)
        ));
    }

    // The serial result, computed on a fresh account with the same operations in order.
    let serial_store = SqliteStore::in_memory().unwrap();
    let s2 = Scope::new("000000000033".parse().unwrap(), "us-east-1");
    let (a2, _, c2) = setup(&serial_store, &s2);
    let b2 = setup_b_serial(&serial_store, &s2);
    for i in 0..clients {
        client(&serial_store, &s2, (i, per_call), (&a2, &b2, &c2));
    }
    for store in servers {
        assert_eq!(
            specs(store.as_ref(), &s, &a),
            specs(&serial_store, &s2, &a2)
        );
        assert_eq!(
            specs(store.as_ref(), &s, &c),
            specs(&serial_store, &s2, &c2)
        );
        let b_rules = specs(store.as_ref(), &s, &b);
        assert_eq!(
            b_rules.iter().filter(|r| r.starts_with("ingress")).count(),
            60,
            "quota reached, never exceeded"
        );
    }
}

/// Group b of the serial run (its content depends on which clients won, so only its size is
/// compared).
fn setup_b_serial(store: &dyn Store, s: &Scope) -> GroupId {
    let mut ids = SeqIdGen::starting_at(9);
    transact::<_, E>(store, s, &mut ids, |st, ids| {
        Ok(st.create_group("b2", "d", None, vec![], ids)?)
    })
    .unwrap()
}
