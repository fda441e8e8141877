//! The PostgreSQL backend, when `PALISADE_PG_URL` names a database
//! (scripts/test.d/setup-postgres.sh makes one as root): the conformance suite, a refused
//! newer schema, two handles on one database acting as two servers (each sees the other's
//! writes, through its stale cache), 16 writers across both keeping quotas and duplicates
//! right, and a handle reconnecting after its connection is killed. Skipped with a printed reason when the variable is unset; failed then
//! when `CI` is set. Each test works in a fresh schema of its own (via `search_path`),
//! dropped at the end.

use std::sync::Arc;

use palisade_model::{AccountId, Direction, NewRule, Peer, SeqIdGen, Traffic};
use palisade_store::{PgListener, PgStore, Scope, Store, StoreError, transact, view};

use crate::concurrency::check_clients;
use crate::suite::{group_names, suite};

/// A schema of its own on the test database.
struct PgSchema {
    url: String,
    name: String,
}

impl PgSchema {
    /// `None` (with the reason printed) when no database is configured.
    fn new(tag: &str) -> Option<Self> {
        let Ok(url) = std::env::var("PALISADE_PG_URL") else {
            let reason = "PALISADE_PG_URL is not set (scripts/test.d/setup-postgres.sh \
                          writes it to target/pg-env as root)";
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but the PostgreSQL tests cannot run: {reason}"
            );
            eprintln!("skipping PostgreSQL store test {tag}: {reason}");
            return None;
        };
        let name = format!("palisade_t{}_{tag}", std::process::id());
        let schema = Self { url, name };
        schema.admin(&format!(
            "DROP SCHEMA IF EXISTS {0} CASCADE; CREATE SCHEMA {0}",
            schema.name
        ));
        Some(schema)
    }

    fn config(&self) -> postgres::Config {
        let mut config: postgres::Config = self.url.parse().unwrap();
        config.options(&format!("-csearch_path={}", self.name));
        config.application_name(&self.name);
        config
    }

    /// A new handle (a new "server") on this schema.
    fn store(&self) -> PgStore {
        PgStore::with_config(self.config()).unwrap()
    }

    fn admin(&self, sql: &str) {
        let mut client = self.config().connect(postgres::NoTls).unwrap();
        client.batch_execute(sql).unwrap();
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut client) = self.config().connect(postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

#[derive(Debug)]
enum E {
    Model(palisade_model::account::AccountError),
}

impl From<StoreError> for E {
    fn from(e: StoreError) -> Self {
        panic!("store failure: {e}")
    }
}

impl From<palisade_model::account::AccountError> for E {
    fn from(e: palisade_model::account::AccountError) -> Self {
        Self::Model(e)
    }
}

fn scope() -> Scope {
    let account: AccountId = "000000000077".parse().unwrap();
    Scope::new(account, "us-east-1")
}

#[test]
fn postgres_conforms() {
    let Some(schema) = PgSchema::new("suite") else {
        return;
    };
    suite(&|| Box::new(schema.store()) as Box<dyn Store>);
}

#[test]
fn postgres_refuses_a_newer_schema() {
    let Some(schema) = PgSchema::new("future") else {
        return;
    };
    drop(schema.store());
    schema.admin("UPDATE palisade_schema SET version = 99");
    let err = PgStore::with_config(schema.config()).unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaTooNew { found: 99, .. }),
        "{err}"
    );
}

#[test]
fn postgres_two_servers_see_each_others_writes() {
    let Some(schema) = PgSchema::new("two") else {
        return;
    };
    let (one, two) = (schema.store(), schema.store());
    let s = scope();
    // Both servers bootstrap and cache the scope; the account is created exactly once.
    assert_eq!(group_names(&one, &s), ["default"]);
    assert_eq!(group_names(&two, &s), ["default"]);

    let mut ids = SeqIdGen::starting_at(100);
    let web = transact::<_, E>(&one, &s, &mut ids, |st, ids| {
        Ok(st.create_group("web", "d", None, vec![], ids)?)
    })
    .unwrap();
    assert_eq!(
        group_names(&two, &s),
        ["default", "web"],
        "server two reloads its stale cache"
    );

    // Server two, on its reloaded state, refuses the name server one took and adds a rule.
    let mut ids = SeqIdGen::starting_at(200);
    let dup = transact::<_, E>(&two, &s, &mut ids, |st, ids| {
        Ok(st.create_group("web", "again", None, vec![], ids)?)
    });
    assert!(
        matches!(dup, Err(E::Model(ref e)) if e.code() == palisade_model::Ec2ErrorCode::InvalidGroupDuplicate),
        "{dup:?}"
    );
    let t = Traffic::parse("tcp", Some(443), Some(443)).unwrap();
    let rule = NewRule::new(
        Direction::Ingress,
        t,
        Peer::parse_cidr("0.0.0.0/0").unwrap(),
    );
    transact::<_, E>(&two, &s, &mut ids, |st, ids| {
        Ok(st.authorize(&web, vec![rule], ids).map(drop)?)
    })
    .unwrap();
    let rules = view::<_, E>(&one, &s, &mut ids, |st| {
        st.group(&web)
            .unwrap()
            .rules()
            .iter()
            .map(|r| r.spec.to_string())
            .collect::<Vec<_>>()
    })
    .unwrap();
    assert_eq!(
        rules,
        [
            "egress all traffic to 0.0.0.0/0",
            "ingress tcp/443 from 0.0.0.0/0"
        ],
        "server one sees server two's rule"
    );
}

#[test]
fn postgres_sixteen_writers_on_two_servers_match_the_serial_result() {
    let Some(schema) = PgSchema::new("conc") else {
        return;
    };
    let servers: [Arc<dyn Store>; 2] = [Arc::new(schema.store()), Arc::new(schema.store())];
    check_clients(&servers, 16, 5);
}

#[test]
fn postgres_reconnects_after_losing_its_connection() {
    let Some(schema) = PgSchema::new("reconnect") else {
        return;
    };
    let store = schema.store();
    let s = scope();
    let mut ids = SeqIdGen::starting_at(100);
    transact::<_, E>(&store, &s, &mut ids, |st, ids| {
        Ok(st.create_group("kept", "d", None, vec![], ids)?)
    })
    .unwrap();
    // Kill every other connection of this test (they carry its schema as application name).
    schema.admin(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE application_name = '{}' AND pid <> pg_backend_pid()",
        schema.name
    ));
    // The first call may still meet the dead connection; the next one is on a new one.
    let mut ids = SeqIdGen::starting_at(1 << 40);
    let first = view::<_, StoreError>(&store, &s, &mut ids, |_| ());
    assert!(
        matches!(first, Ok(()) | Err(StoreError::Postgres(_))),
        "{first:?}"
    );
    assert_eq!(group_names(&store, &s), ["default", "kept"]);
}

/// A write through one handle notifies a listener on its own connection when it commits,
/// naming the scope; a failed write's transaction sends nothing that names a new version.
#[test]
fn postgres_listener_hears_committed_writes() {
    let Some(schema) = PgSchema::new("listen") else {
        return;
    };
    let mut listener = PgListener::with_config(schema.config()).unwrap();
    let store = schema.store();
    let s = scope();
    let mut ids = SeqIdGen::starting_at(100);
    transact::<_, E>(&store, &s, &mut ids, |st, ids| {
        Ok(st.create_group("heard", "d", None, vec![], ids)?)
    })
    .unwrap();
    let mut heard = Vec::new();
    for _ in 0..50 {
        heard.extend(
            listener
                .wait(std::time::Duration::from_millis(100))
                .unwrap(),
        );
        if heard.contains(&s) {
            break;
        }
    }
    assert!(heard.contains(&s), "{heard:?}");
}
