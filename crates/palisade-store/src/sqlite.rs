//! The SQLite backend: one file in WAL mode, one row per resource, a version counter per
//! scope. Writes run under `BEGIN IMMEDIATE` (SQLite's single writer), so two servers on one
//! file — or two requests — never interleave inside a scope; the in-memory copy of a scope is
//! reused while its version is unchanged and reloaded when another writer moved it.
//!
//! Durability: `synchronous=NORMAL` in WAL mode loses nothing when the process stops or
//! crashes; only an OS crash or power cut may drop the last commits (SQLite docs, "WAL").

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use palisade_model::{IdGen, Quotas};
use rusqlite::{Connection, OptionalExtension, params};

use crate::scoped::{self, Cache, Rows};
use crate::{BatchWrite, PairWriteFn, ReadFn, Scope, Store, StoreError, VersionedReadFn, WriteFn};

const SCHEMA_VERSION: i64 = 2;

/// The page cache's most memory, in KiB.
const CACHE_KIB: i64 = 256 * 1024;

/// WAL pages between automatic checkpoints (40 MB of 4 KiB pages).
const CHECKPOINT_PAGES: i64 = 10_000;

const MIGRATIONS: &[&str] = &[
    "
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
",
    // v2: both tables clustered on their key (WITHOUT ROWID), so a write touches one B-tree
    // page per table instead of a table page and an index page.
    "
CREATE TABLE scopes_v2 (
    account TEXT NOT NULL,
    region  TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (account, region)
) WITHOUT ROWID;
INSERT INTO scopes_v2 SELECT account, region, version FROM scopes;
DROP TABLE scopes;
ALTER TABLE scopes_v2 RENAME TO scopes;
CREATE TABLE resources_v2 (
    account TEXT NOT NULL,
    region  TEXT NOT NULL,
    id      TEXT NOT NULL,
    body    TEXT NOT NULL,
    PRIMARY KEY (account, region, id)
) WITHOUT ROWID;
INSERT INTO resources_v2 SELECT account, region, id, body FROM resources;
DROP TABLE resources;
ALTER TABLE resources_v2 RENAME TO resources;
",
];

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
    /// `PRAGMA data_version` when this connection last looked: while it is unchanged no
    /// other connection has committed, so the scopes in `verified` (checked against, or
    /// written to, the database since) are current and need no version query.
    seen: Option<i64>,
    verified: HashSet<Scope>,
    /// No other connection can commit ([`SqliteStore::open_exclusive`]): a verified scope
    /// stays current without looking at `PRAGMA data_version`.
    exclusive: bool,
}

impl SqliteStore {
    /// Opens (creating it and its schema if needed) the database at `path`, shared: other
    /// connections, in this process or another, may use it at the same time, and each call
    /// checks whether one of them has committed.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        Self::init(conn, false)
    }

    /// Opens the database at `path` for this handle alone (SQLite's `EXCLUSIVE` locking
    /// mode), as one server does: another connection cannot read or write it until this one
    /// closes, so opening a database another handle holds fails with
    /// [`StoreError::Held`]. In return, no call looks at the file's shared lock or
    /// memory: in shared mode, every transaction and every cached read took and released
    /// a lock on the WAL index (two `fcntl` calls, half the server's system calls under
    /// describes).
    pub fn open_exclusive(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        // Before the first access: then SQLite keeps the WAL index in its own memory and
        // never maps the shared-memory file.
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
        // Take the lock now, without waiting for a holder that may never let go.
        conn.busy_timeout(std::time::Duration::ZERO)?;
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE; COMMIT;") {
            return Err(match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                    StoreError::Held(path.display().to_string())
                }
                _ => e.into(),
            });
        }
        Self::init(conn, true)
    }

    /// A private in-memory database (tests).
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?, false)
    }

    fn init(conn: Connection, exclusive: bool) -> Result<Self, StoreError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // The default 2 MB page cache holds a few thousand groups' rows: beyond that every
        // write re-read its pages from the OS (pread showed as 8% of a write's CPU at
        // 10,000 groups). Pages are allocated only as they are used.
        conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
        // A checkpoint copies each page once however often the WAL rewrote it since the
        // last one: with SQLite's default of every 1,000 pages, random rule changes over
        // thousands of groups copied nearly every frame (8% of a write's CPU).
        conn.pragma_update(None, "wal_autocheckpoint", CHECKPOINT_PAGES)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        migrate(&conn)?;
        Ok(Self {
            inner: Mutex::new(Inner {
                conn,
                cache: Cache::new(),
                seen: None,
                verified: HashSet::new(),
                exclusive,
            }),
            quotas: Quotas::default(),
        })
    }

    /// The connection and cache. A call that panicked (a bug in its closure) while holding
    /// them left its transaction open and its scope's cached state half-changed: that
    /// transaction is rolled back and the cache forgotten, instead of failing every later
    /// call.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| {
            let mut inner = poisoned.into_inner();
            self.inner.clear_poison();
            inner.recover();
            inner
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

/// Runs one statement without arguments, prepared once per connection (BEGIN and COMMIT
/// run on every write; parsing them each time showed in profiles).
fn run(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// Commits on `Ok`, rolls back on `Err`.
fn finish<T>(conn: &Connection, res: Result<T, StoreError>) -> Result<T, StoreError> {
    match res {
        Ok(v) => match run(conn, "COMMIT") {
            Ok(()) => Ok(v),
            Err(e) => {
                // A failed COMMIT may leave the transaction open: end it.
                let _ = conn.execute_batch("ROLLBACK");
                Err(e)
            }
        },
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// [`Rows`] on a connection inside a transaction; `known` is the scope's version when the
/// cache already knows it to be current. Inside a group commit, `deferred` holds the
/// versions the batch's earlier writes reached (stored once, before the commit) and the
/// version this write sets goes to `set` instead of the database.
struct SqliteRows<'a> {
    conn: &'a Connection,
    known: Option<i64>,
    deferred: Option<&'a HashMap<Scope, i64>>,
    set: Option<i64>,
}

impl<'a> SqliteRows<'a> {
    fn new(conn: &'a Connection, known: Option<i64>) -> Self {
        Self {
            conn,
            known,
            deferred: None,
            set: None,
        }
    }
}

impl Rows for SqliteRows<'_> {
    fn version(&mut self, scope: &Scope) -> Result<Option<i64>, StoreError> {
        if let Some(v) = self.known {
            return Ok(Some(v));
        }
        if let Some(v) = self.deferred.and_then(|d| d.get(scope)) {
            return Ok(Some(*v));
        }
        db_version(self.conn, scope)
    }

    fn set_version(&mut self, scope: &Scope, version: i64) -> Result<(), StoreError> {
        if self.deferred.is_some() {
            self.set = Some(version);
            return Ok(());
        }
        store_version(self.conn, scope, version)
    }

    fn each_body(
        &mut self,
        scope: &Scope,
        each: &mut dyn FnMut(&str, &str) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut stmt = self
            .conn
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
        let mut stmt = self.conn.prepare_cached(
            "SELECT body FROM resources WHERE account = ?1 AND region = ?2 AND id = ?3",
        )?;
        Ok(stmt
            .query_row(params![scope.account.as_str(), scope.region, id], |r| {
                r.get(0)
            })
            .optional()?)
    }

    fn put(&mut self, scope: &Scope, id: &str, body: &str) -> Result<(), StoreError> {
        let mut upsert = self.conn.prepare_cached(
            "INSERT INTO resources (account, region, id, body) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (account, region, id) DO UPDATE SET body = excluded.body",
        )?;
        upsert.execute(params![scope.account.as_str(), scope.region, id, body])?;
        Ok(())
    }

    fn delete(&mut self, scope: &Scope, id: &str) -> Result<(), StoreError> {
        let mut delete = self.conn.prepare_cached(
            "DELETE FROM resources WHERE account = ?1 AND region = ?2 AND id = ?3",
        )?;
        delete.execute(params![scope.account.as_str(), scope.region, id])?;
        Ok(())
    }
}

fn store_version(conn: &Connection, scope: &Scope, version: i64) -> Result<(), StoreError> {
    let mut upsert = conn.prepare_cached(
        "INSERT INTO scopes (account, region, version) VALUES (?1, ?2, ?3)
         ON CONFLICT (account, region) DO UPDATE SET version = excluded.version",
    )?;
    upsert.execute(params![scope.account.as_str(), scope.region, version])?;
    Ok(())
}

fn db_version(conn: &Connection, scope: &Scope) -> Result<Option<i64>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT version FROM scopes WHERE account = ?1 AND region = ?2")?;
    Ok(stmt
        .query_row(params![scope.account.as_str(), scope.region], |r| r.get(0))
        .optional()?)
}

/// SQLite's count of commits by other connections (changes whenever one commits).
fn data_version(conn: &Connection) -> Result<i64, StoreError> {
    let mut stmt = conn.prepare_cached("PRAGMA data_version")?;
    Ok(stmt.query_row([], |r| r.get(0))?)
}

impl Inner {
    /// The scope's cached version when no other connection has committed since we last
    /// looked (then it is the stored version); records what we saw.
    fn known_version(&mut self, scope: &Scope) -> Result<Option<i64>, StoreError> {
        self.look()?;
        Ok(self.verified_version(scope))
    }

    /// After a panic: ends the transaction it left open and forgets every cached scope.
    fn recover(&mut self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        self.cache.clear();
        self.verified.clear();
        self.seen = None;
    }

    /// Notes whether another connection committed since we last looked (then no cached
    /// scope is known to be current any more).
    fn look(&mut self) -> Result<(), StoreError> {
        if self.exclusive {
            return Ok(());
        }
        let now = data_version(&self.conn)?;
        if self.seen != Some(now) {
            self.seen = Some(now);
            self.verified.clear();
        }
        Ok(())
    }

    /// The cached version of `scope` if it is known to be current (as of the last `look`).
    fn verified_version(&self, scope: &Scope) -> Option<i64> {
        if self.verified.contains(scope) {
            self.cache.get(scope).map(|(v, _)| *v)
        } else {
            None
        }
    }

    /// One write of a batch, inside the batch's transaction (which has looked once: no
    /// other connection commits while it holds the write lock). Its version goes to
    /// `versions`, stored once per scope before the commit. No savepoint of its own: a
    /// write the model refuses puts back what it touched (`scoped::mutate`), and a storage
    /// failure ends the whole batch (savepoints cost a sub-journal copy of every page a
    /// write touched again, a tenth of the store thread's time).
    fn write_in_batch(
        &mut self,
        w: &mut BatchWrite<'_>,
        quotas: Quotas,
        versions: &mut HashMap<Scope, i64>,
    ) -> Result<(), StoreError> {
        let mut rows = SqliteRows {
            conn: &self.conn,
            known: self.verified_version(w.scope),
            deferred: Some(versions),
            set: None,
        };
        let entry = scoped::mutate(&mut rows, &mut self.cache, w.scope, quotas, w.ids, w.f)?;
        if let Some(v) = rows.set {
            versions.insert(w.scope.clone(), v);
        }
        // Cached as if committed: the next write of the batch builds on it, and a failed
        // commit forgets it (`write_batch`).
        self.cache.insert(w.scope.clone(), entry);
        self.verify(w.scope, true);
        Ok(())
    }

    /// Records that the cached copy of `scope` matches the database (or forgets it).
    fn verify(&mut self, scope: &Scope, current: bool) {
        if current && self.cache.contains_key(scope) {
            self.verified.insert(scope.clone());
        } else {
            self.verified.remove(scope);
        }
    }
}

impl Store for SqliteStore {
    fn write(
        &self,
        scope: &Scope,
        ids: &mut dyn IdGen,
        f: &mut WriteFn<'_>,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        run(&inner.conn, "BEGIN IMMEDIATE")?;
        let known = match inner.known_version(scope) {
            Ok(v) => v,
            Err(e) => return finish(&inner.conn, Err(e)),
        };
        let Inner { conn, cache, .. } = &mut *inner;
        let mut rows = SqliteRows::new(conn, known);
        let res = scoped::mutate(&mut rows, cache, scope, self.quotas, ids, f);
        let res = scoped::remember(cache, scope, finish(conn, res));
        inner.verify(scope, res.is_ok());
        res
    }

    fn write_batch(
        &self,
        writes: &mut [BatchWrite<'_>],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        if let [one] = writes {
            return Ok(vec![self.write(one.scope, one.ids, one.f)]);
        }
        let mut inner = self.lock();
        run(&inner.conn, "BEGIN IMMEDIATE")?;
        let mut versions = HashMap::new();
        let ran = inner.look().and_then(|()| {
            writes
                .iter_mut()
                .try_for_each(|w| inner.write_in_batch(w, self.quotas, &mut versions))?;
            versions
                .iter()
                .try_for_each(|(scope, v)| store_version(&inner.conn, scope, *v))
        });
        let res = finish(&inner.conn, ran);
        if res.is_err() {
            // Nothing of the batch is stored: every scope it touched reloads on next use.
            for w in writes.iter() {
                inner.cache.remove(w.scope);
                inner.verify(w.scope, false);
            }
        }
        res.map(|()| writes.iter().map(|_| Ok(())).collect())
    }

    fn write_pair(
        &self,
        first: &Scope,
        second: &Scope,
        ids: &mut dyn IdGen,
        f: &mut PairWriteFn<'_>,
    ) -> Result<(), StoreError> {
        if first == second {
            return Err(StoreError::SameScope(first.to_string()));
        }
        let mut inner = self.lock();
        // `BEGIN IMMEDIATE` takes the database's one write lock: both scopes at once.
        run(&inner.conn, "BEGIN IMMEDIATE")?;
        let Inner { conn, cache, .. } = &mut *inner;
        let mut rows = SqliteRows::new(conn, None);
        let res = scoped::mutate_pair(&mut rows, cache, (first, second), self.quotas, ids, f);
        let ok = match finish(conn, res) {
            Ok((one, two)) => {
                cache.insert(first.clone(), one);
                cache.insert(second.clone(), two);
                Ok(())
            }
            Err(e) => {
                cache.remove(first);
                cache.remove(second);
                Err(e)
            }
        };
        inner.verify(first, ok.is_ok());
        inner.verify(second, ok.is_ok());
        ok
    }

    fn scopes(&self) -> Result<Vec<Scope>, StoreError> {
        let inner = self.lock();
        let mut stmt = inner
            .conn
            .prepare_cached("SELECT account, region FROM scopes ORDER BY account, region")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (account, region) = row?;
            out.push(crate::scope_row(&account, region)?);
        }
        Ok(out)
    }

    fn read(
        &self,
        scope: &Scope,
        ids: &mut dyn IdGen,
        f: &mut ReadFn<'_>,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let fresh = match inner.known_version(scope)? {
            Some(_) => true,
            None => {
                let stored = db_version(&inner.conn, scope)?;
                scoped::cache_is_fresh(&inner.cache, scope, stored)
            }
        };
        if !fresh {
            let Inner { conn, cache, .. } = &mut *inner;
            run(conn, "BEGIN IMMEDIATE")?;
            let res = scoped::current(
                &mut SqliteRows::new(conn, None),
                cache,
                scope,
                self.quotas,
                ids,
            );
            let (version, state) = finish(conn, res)?;
            cache.insert(scope.clone(), (version, state));
        }
        inner.verify(scope, true);
        let (_, state) = inner.cache.get(scope).ok_or(StoreError::Poisoned)?;
        f(state);
        Ok(())
    }

    fn read_versioned(
        &self,
        scope: &Scope,
        ids: &mut dyn IdGen,
        f: &mut VersionedReadFn<'_>,
    ) -> Result<(), StoreError> {
        let mut version = 0;
        let mut state = None;
        // The cache entry `read` leaves is the state it showed, tagged with its version.
        self.read(scope, ids, &mut |_| {})?;
        let inner = self.lock();
        if let Some((v, st)) = inner.cache.get(scope) {
            version = *v;
            state = Some(st);
        }
        let state = state.ok_or(StoreError::Poisoned)?;
        f(version, state);
        Ok(())
    }

    fn try_read_cached(&self, scope: &Scope, f: &mut ReadFn<'_>) -> Result<bool, StoreError> {
        // Busy or poisoned: the caller goes to the store thread (whose `lock` recovers).
        let Ok(mut inner) = self.inner.try_lock() else {
            return Ok(false);
        };
        if inner.known_version(scope)?.is_none() {
            return Ok(false);
        }
        let Some((_, state)) = inner.cache.get(scope) else {
            return Ok(false);
        };
        f(state);
        Ok(true)
    }
}
