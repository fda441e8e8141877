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
        fn read(
            &self,
            s: &palisade_store::Scope,
            ids: &mut dyn palisade_model::IdGen,
            f: &mut palisade_store::ReadFn<'_>,
        ) -> Result<(), palisade_store::StoreError> {
            self.0.read(s, ids, f)
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
