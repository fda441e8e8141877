//! The SQLite backend: one file in WAL mode, one row per resource, a version counter per
//! scope. Writes run under `BEGIN IMMEDIATE` (SQLite's single writer), so two servers on one
//! file — or two requests — never interleave inside a scope; the in-memory copy of a scope is
//! reused while its version is unchanged and reloaded when another writer moved it.
//!
//! Durability: `synchronous=NORMAL` in WAL mode loses nothing when the process stops or
//! crashes; only an OS crash or power cut may drop the last commits (SQLite docs, "WAL").

use std::path::Path;
use std::sync::Mutex;

use palisade_model::{IdGen, Quotas};
use rusqlite::{Connection, OptionalExtension, params};

use crate::scoped::{self, Cache, Rows};
use crate::{ReadFn, Scope, Store, StoreError, WriteFn};

const SCHEMA_VERSION: i64 = 1;

const MIGRATIONS: &[&str] = &["
CREATE TABLE scopes (
    account TEXT NOT NULL,
    region  TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (account, region)
);
CREATE TABLE resources (
    account TEXT NOT NULL,
    region  TEXT NOT NULL,
    id      TEXT NOT NULL,
    body    TEXT NOT NULL,
    PRIMARY KEY (account, region, id)
);
"];

/// A SQLite-backed [`Store`].
#[derive(Debug)]
pub struct SqliteStore {
    inner: Mutex<Inner>,
    quotas: Quotas,
}

#[derive(Debug)]
struct Inner {
    conn: Connection,
    cache: Cache,
}

impl SqliteStore {
    /// Opens (creating it and its schema if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        Self::init(conn)
    }

    /// A private in-memory database (tests).
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        migrate(&conn)?;
        Ok(Self {
            inner: Mutex::new(Inner {
                conn,
                cache: Cache::new(),
            }),
            quotas: Quotas::default(),
        })
    }

    /// The same store, enforcing `quotas` instead of AWS's defaults.
    #[must_use]
    pub fn with_quotas(self, quotas: Quotas) -> Self {
        Self { quotas, ..self }
    }
}

fn migrate(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let res = (|| {
        let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        for (idx, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(found).unwrap_or(0))
        {
            conn.execute_batch(sql)?;
            conn.pragma_update(
                None,
                "user_version",
                i64::try_from(idx + 1).unwrap_or(i64::MAX),
            )?;
        }
        Ok(())
    })();
    finish(conn, res)
}

/// Commits on `Ok`, rolls back on `Err`.
fn finish<T>(conn: &Connection, res: Result<T, StoreError>) -> Result<T, StoreError> {
    match res {
        Ok(v) => {
            conn.execute_batch("COMMIT")?;
            Ok(v)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// [`Rows`] on a connection inside a transaction.
struct SqliteRows<'a>(&'a Connection);

impl Rows for SqliteRows<'_> {
    fn version(&mut self, scope: &Scope) -> Result<Option<i64>, StoreError> {
        db_version(self.0, scope)
    }

    fn set_version(&mut self, scope: &Scope, version: i64) -> Result<(), StoreError> {
        self.0.execute(
            "INSERT INTO scopes (account, region, version) VALUES (?1, ?2, ?3)
             ON CONFLICT (account, region) DO UPDATE SET version = excluded.version",
            params![scope.account.as_str(), scope.region, version],
        )?;
        Ok(())
    }

    fn each_body(
        &mut self,
        scope: &Scope,
        each: &mut dyn FnMut(&str, &str) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut stmt = self
            .0
            .prepare_cached("SELECT id, body FROM resources WHERE account = ?1 AND region = ?2")?;
        let rows = stmt.query_map(params![scope.account.as_str(), scope.region], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (id, body) = row?;
            each(&id, &body)?;
        }
        Ok(())
    }

    fn body(&mut self, scope: &Scope, id: &str) -> Result<Option<String>, StoreError> {
        let mut stmt = self.0.prepare_cached(
            "SELECT body FROM resources WHERE account = ?1 AND region = ?2 AND id = ?3",
        )?;
        Ok(stmt
            .query_row(params![scope.account.as_str(), scope.region, id], |r| {
                r.get(0)
            })
            .optional()?)
    }

    fn put(&mut self, scope: &Scope, id: &str, body: &str) -> Result<(), StoreError> {
        let mut upsert = self.0.prepare_cached(
            "INSERT INTO resources (account, region, id, body) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (account, region, id) DO UPDATE SET body = excluded.body",
        )?;
        upsert.execute(params![scope.account.as_str(), scope.region, id, body])?;
        Ok(())
    }

    fn delete(&mut self, scope: &Scope, id: &str) -> Result<(), StoreError> {
        let mut delete = self.0.prepare_cached(
            "DELETE FROM resources WHERE account = ?1 AND region = ?2 AND id = ?3",
        )?;
        delete.execute(params![scope.account.as_str(), scope.region, id])?;
        Ok(())
    }
}

fn db_version(conn: &Connection, scope: &Scope) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT version FROM scopes WHERE account = ?1 AND region = ?2",
            params![scope.account.as_str(), scope.region],
            |r| r.get(0),
        )
        .optional()?)
}

impl Store for SqliteStore {
    fn write(
        &self,
        scope: &Scope,
        ids: &mut dyn IdGen,
        f: &mut WriteFn<'_>,
    ) -> Result<(), StoreError> {
        let mut inner = self.inner.lock().map_err(|_| StoreError::Poisoned)?;
        let Inner { conn, cache } = &mut *inner;
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let res = scoped::mutate(&mut SqliteRows(conn), cache, scope, self.quotas, ids, f);
        scoped::remember(cache, scope, finish(conn, res))
    }

    fn read(
        &self,
        scope: &Scope,
        ids: &mut dyn IdGen,
        f: &mut ReadFn<'_>,
    ) -> Result<(), StoreError> {
        let mut inner = self.inner.lock().map_err(|_| StoreError::Poisoned)?;
        let Inner { conn, cache } = &mut *inner;
        if !scoped::cache_is_fresh(cache, scope, db_version(conn, scope)?) {
            conn.execute_batch("BEGIN IMMEDIATE")?;
            let res = scoped::current(&mut SqliteRows(conn), cache, scope, self.quotas, ids);
            let (version, state) = finish(conn, res)?;
            cache.insert(scope.clone(), (version, state));
        }
        let (_, state) = cache.get(scope).ok_or(StoreError::Poisoned)?;
        f(state);
        Ok(())
    }
}
