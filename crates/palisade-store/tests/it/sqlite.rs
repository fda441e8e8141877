//! The conformance suite on SQLite files and in memory, and the schema-version check
//! (`postgres.rs` runs the same suite on PostgreSQL).

use palisade_store::{SqliteStore, Store};

use crate::suite::suite;

#[test]
fn sqlite_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("palisade.db");
    suite(&|| Box::new(SqliteStore::open(&path).unwrap()) as Box<dyn Store>);
    assert!(path.exists(), "the database file is created on first open");
}

#[test]
fn sqlite_in_memory_conforms_within_one_handle() {
    let store = std::sync::Arc::new(SqliteStore::in_memory().unwrap());
    // One in-memory database cannot be reopened; hand out the same handle.
    #[derive(Debug)]
    struct Shared(std::sync::Arc<SqliteStore>);
    impl Store for Shared {
        fn write(
            &self,
            s: &palisade_store::Scope,
            ids: &mut dyn palisade_model::IdGen,
            f: &mut palisade_store::WriteFn<'_>,
        ) -> Result<(), palisade_store::StoreError> {
            self.0.write(s, ids, f)
        }
        fn write_pair(
            &self,
            a: &palisade_store::Scope,
            b: &palisade_store::Scope,
            ids: &mut dyn palisade_model::IdGen,
            f: &mut palisade_store::PairWriteFn<'_>,
        ) -> Result<(), palisade_store::StoreError> {
            self.0.write_pair(a, b, ids, f)
        }
        fn read(
            &self,
            s: &palisade_store::Scope,
            ids: &mut dyn palisade_model::IdGen,
            f: &mut palisade_store::ReadFn<'_>,
        ) -> Result<(), palisade_store::StoreError> {
            self.0.read(s, ids, f)
        }
        fn read_versioned(
            &self,
            s: &palisade_store::Scope,
            ids: &mut dyn palisade_model::IdGen,
            f: &mut palisade_store::VersionedReadFn<'_>,
        ) -> Result<(), palisade_store::StoreError> {
            self.0.read_versioned(s, ids, f)
        }
        fn scopes(&self) -> Result<Vec<palisade_store::Scope>, palisade_store::StoreError> {
            self.0.scopes()
        }
    }
    suite(&|| Box::new(Shared(store.clone())) as Box<dyn Store>);
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(
        matches!(
            err,
            palisade_store::StoreError::SchemaTooNew { found: 99, .. }
        ),
        "{err}"
    );
}

/// Names of the scope's VPCs' tags, read through `read` and through `try_read_cached`.
fn vpc_tags(
    store: &SqliteStore,
    scope: &palisade_store::Scope,
) -> (Vec<String>, Option<Vec<String>>) {
    let mut ids = palisade_model::SeqIdGen::default();
    let names = |st: &palisade_model::account::AccountState| -> Vec<String> {
        st.snapshot()
            .vpcs
            .values()
            .flat_map(|v| v.tags.iter().map(|t| t.value.clone()))
            .collect()
    };
    let read = palisade_store::view::<_, palisade_store::StoreError>(store, scope, &mut ids, names)
        .unwrap();
    let cached = palisade_store::try_view(store, scope, names).unwrap();
    (read, cached)
}

fn tag_default_vpc(store: &SqliteStore, scope: &palisade_store::Scope, value: &str) {
    let mut ids = palisade_model::SeqIdGen::default();
    palisade_store::transact::<_, palisade_store::StoreError>(store, scope, &mut ids, |st, _| {
        let vpc = st.default_vpc().unwrap().id.to_string();
        let tag = palisade_model::Tag {
            key: "Name".into(),
            value: value.into(),
        };
        st.create_tags(&[vpc], &[tag]).unwrap();
        Ok(())
    })
    .unwrap();
}

/// The cache is reused without a version query only while no other connection committed,
/// per scope: after another server writes scope Y, a read of scope X must not make the stale
/// copy of Y look current.
#[test]
fn cached_reads_see_other_servers_writes_in_every_scope() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let a = SqliteStore::open(&path).unwrap();
    let b = SqliteStore::open(&path).unwrap();
    let x = palisade_store::Scope::new("111111111111".parse().unwrap(), "us-east-1");
    let y = palisade_store::Scope::new("111111111111".parse().unwrap(), "eu-west-1");
    tag_default_vpc(&a, &x, "x1");
    tag_default_vpc(&a, &y, "y1");
    assert_eq!(
        vpc_tags(&a, &x),
        (vec!["x1".into()], Some(vec!["x1".into()]))
    );
    assert_eq!(
        vpc_tags(&a, &y),
        (vec!["y1".into()], Some(vec!["y1".into()]))
    );
    tag_default_vpc(&b, &y, "y2");
    // A's cached copy of Y is stale: the fast path must refuse it …
    assert_eq!(palisade_store::try_view(&a, &y, |_| ()).unwrap(), None);
    // … also after a read of X has looked at the database's change counter.
    assert_eq!(vpc_tags(&a, &x).0, vec!["x1".to_owned()]);
    assert_eq!(palisade_store::try_view(&a, &y, |_| ()).unwrap(), None);
    assert_eq!(
        vpc_tags(&a, &y),
        (vec!["y2".into()], Some(vec!["y2".into()]))
    );
}

/// One server's handle: a second handle on the file, exclusive or shared, is refused while
/// it is open; its writes are there when the file is opened again; cached reads stay
/// fast-path after its own writes.
#[test]
fn an_exclusive_handle_holds_the_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("held.db");
    let x = palisade_store::Scope::new("111111111111".parse().unwrap(), "us-east-1");
    let held = SqliteStore::open_exclusive(&path).unwrap();
    tag_default_vpc(&held, &x, "x1");
    assert_eq!(
        vpc_tags(&held, &x),
        (vec!["x1".into()], Some(vec!["x1".into()]))
    );
    let err = SqliteStore::open_exclusive(&path).unwrap_err();
    assert!(
        matches!(&err, palisade_store::StoreError::Held(p) if p.ends_with("held.db")),
        "{err}"
    );
    assert!(
        SqliteStore::open(&path).is_err(),
        "a shared handle waits for no one"
    );
    assert!(
        !dir.path().join("held.db-shm").exists(),
        "the WAL index lives in the handle's memory"
    );
    tag_default_vpc(&held, &x, "x2");
    drop(held);
    let again = SqliteStore::open_exclusive(&path).unwrap();
    assert_eq!(vpc_tags(&again, &x).0, vec!["x2".to_owned()]);
    drop(again);
    let shared = SqliteStore::open(&path).unwrap();
    assert_eq!(vpc_tags(&shared, &x).0, vec!["x2".to_owned()]);
}
