//! The SQLite backend: one file in WAL mode, one row per resource, a version counter per
//! scope. Writes run under `BEGIN IMMEDIATE` (SQLite's single writer), so two servers on one
//! file — or two requests — never interleave inside a scope; the in-memory copy of a scope is
//! reused while its version is unchanged and reloaded when another writer moved it.
//!
//! Durability: `synchronous=NORMAL` in WAL mode loses nothing when the process stops or
//! crashes; only an OS crash or power cut may drop the last commits (SQLite docs, "WAL").

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use palisade_model::IdGen;
use palisade_model::account::{AccountState, ResourceKey};
use rusqlite::{Connection, OptionalExtension, params};

use crate::{ReadFn, Scope, Store, StoreError, WriteFn, codec};

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
}

#[derive(Debug)]
struct Inner {
    conn: Connection,
    cache: HashMap<Scope, (i64, AccountState)>,
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
                cache: HashMap::new(),
            }),
        })
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

impl Inner {
    fn db_version(&self, scope: &Scope) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT version FROM scopes WHERE account = ?1 AND region = ?2",
                params![scope.account.as_str(), scope.region],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn load(&self, scope: &Scope) -> Result<AccountState, StoreError> {
        let mut state = AccountState::empty(scope.account.clone(), &scope.region);
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, body FROM resources WHERE account = ?1 AND region = ?2")?;
        let rows = stmt.query_map(params![scope.account.as_str(), scope.region], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (id, body) = row?;
            state.insert_loaded(codec::decode(&id, &body)?);
        }
        Ok(state)
    }

    fn save(
        &self,
        scope: &Scope,
        state: &AccountState,
        keys: impl IntoIterator<Item = ResourceKey>,
    ) -> Result<(), StoreError> {
        let mut upsert = self.conn.prepare_cached(
            "INSERT INTO resources (account, region, id, body) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (account, region, id) DO UPDATE SET body = excluded.body",
        )?;
        let mut delete = self.conn.prepare_cached(
            "DELETE FROM resources WHERE account = ?1 AND region = ?2 AND id = ?3",
        )?;
        for key in keys {
            let acct = scope.account.as_str();
            match state.get(&key) {
                Some(res) => {
                    upsert.execute(params![acct, scope.region, key.id(), codec::encode(&res)])?
                }
                None => delete.execute(params![acct, scope.region, key.id()])?,
            };
        }
        Ok(())
    }

    fn bump(&self, scope: &Scope, version: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO scopes (account, region, version) VALUES (?1, ?2, ?3)
             ON CONFLICT (account, region) DO UPDATE SET version = excluded.version",
            params![scope.account.as_str(), scope.region, version],
        )?;
        Ok(())
    }

    /// Inside a transaction: the scope's current state and version, bootstrapping a new
    /// scope and reloading a cache that another writer made stale.
    fn current(
        &mut self,
        scope: &Scope,
        ids: &mut dyn IdGen,
    ) -> Result<(i64, AccountState), StoreError> {
        let Some(version) = self.db_version(scope)? else {
            let mut state = AccountState::bootstrap(scope.account.clone(), &scope.region, ids);
            let keys = state.take_changed();
            self.save(scope, &state, keys)?;
            self.bump(scope, 1)?;
            return Ok((1, state));
        };
        match self.cache.remove(scope) {
            Some((v, state)) if v == version => Ok((v, state)),
            _ => Ok((version, self.load(scope)?)),
        }
    }

    /// Puts back the rows a failed closure touched.
    fn restore(
        &self,
        scope: &Scope,
        state: &mut AccountState,
        keys: impl IntoIterator<Item = ResourceKey>,
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT body FROM resources WHERE account = ?1 AND region = ?2 AND id = ?3",
        )?;
        for key in keys {
            let body: Option<String> = stmt
                .query_row(
                    params![scope.account.as_str(), scope.region, key.id()],
                    |r| r.get(0),
                )
                .optional()?;
            match body {
                Some(body) => state.insert_loaded(codec::decode(key.id(), &body)?),
                None => state.remove_loaded(&key),
            }
        }
        Ok(())
    }
}

impl Store for SqliteStore {
    fn write(
        &self,
        scope: &Scope,
        ids: &mut dyn IdGen,
        f: &mut WriteFn<'_>,
    ) -> Result<(), StoreError> {
        let mut inner = self.inner.lock().map_err(|_| StoreError::Poisoned)?;
        inner.conn.execute_batch("BEGIN IMMEDIATE")?;
        let res = (|| {
            let (version, mut state) = inner.current(scope, ids)?;
            state.take_changed();
            let commit = f(&mut state, ids);
            let changed = state.take_changed();
            if !commit || changed.is_empty() {
                inner.restore(scope, &mut state, changed)?;
                // The bootstrap (if any) still commits: a new scope exists from first use.
                return Ok((version, state));
            }
            inner.save(scope, &state, changed)?;
            inner.bump(scope, version + 1)?;
            Ok((version + 1, state))
        })();
        let res = finish(&inner.conn, res);
        match res {
            Ok((version, state)) => {
                inner.cache.insert(scope.clone(), (version, state));
                Ok(())
            }
            Err(e) => {
                inner.cache.remove(scope);
                Err(e)
            }
        }
    }

    fn read(
        &self,
        scope: &Scope,
        ids: &mut dyn IdGen,
        f: &mut ReadFn<'_>,
    ) -> Result<(), StoreError> {
        let mut inner = self.inner.lock().map_err(|_| StoreError::Poisoned)?;
        let fresh = match (inner.cache.get(scope), inner.db_version(scope)?) {
            (Some((v, _)), Some(db)) => *v == db,
            _ => false,
        };
        if !fresh {
            inner.conn.execute_batch("BEGIN IMMEDIATE")?;
            let res = inner.current(scope, ids);
            let (version, state) = finish(&inner.conn, res)?;
            inner.cache.insert(scope.clone(), (version, state));
        }
        let (_, state) = inner.cache.get(scope).ok_or(StoreError::Poisoned)?;
        f(state);
        Ok(())
    }
}
