//! The PostgreSQL backend, for several `palisade serve` processes sharing one database: the
//! same rows as SQLite (one JSON body per resource, see `codec`) and a version per scope.
//!
//! Writers of one scope are serialised across every process by a transaction-scoped advisory
//! lock on a hash of the scope (`pg_advisory_xact_lock`), taken before the version is read;
//! it also covers a scope that has no row yet, so a new account/region is bootstrapped
//! exactly once. Under that lock the handle compares its cached version with the stored one,
//! reloads when another server moved it, runs the closure and commits exactly the touched
//! rows plus the new version (`scoped::mutate`). Reads reuse the cache while the stored
//! version is unchanged and otherwise reload under the same lock, so they never see half of
//! another server's commit. A hash collision between two scopes only serialises them.
//!
//! The schema is created on first connect (under a database-wide advisory lock, so servers
//! starting together do not race); its tables live in the connection's `search_path`.
//! One connection per handle, reopened after any PostgreSQL error. No TLS: connect over a
//! unix socket or loopback.

use std::fmt;
use std::sync::Mutex;

use palisade_model::{IdGen, Quotas};
use postgres::{Client, Config, NoTls, Statement, Transaction};

use crate::scoped::{self, Cache, Rows};
use crate::{PairWriteFn, ReadFn, Scope, Store, StoreError, VersionedReadFn, WriteFn};

const SCHEMA_VERSION: i64 = 2;

/// Key of the advisory lock that serialises migrations (ASCII "palisade").
const MIGRATION_LOCK: i64 = 0x7061_6c69_7361_6465;

const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE palisade_scopes (
    account TEXT NOT NULL,
    region  TEXT NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (account, region)
);
CREATE TABLE palisade_resources (
    account TEXT NOT NULL,
    region  TEXT NOT NULL,
    id      TEXT NOT NULL,
    body    TEXT NOT NULL,
    PRIMARY KEY (account, region, id)
);
",
    // v2: the change feed's host records, shared by every server on the database.
    "
CREATE TABLE palisade_hosts (
    account TEXT NOT NULL,
    region  TEXT NOT NULL,
    host    TEXT NOT NULL,
    body    TEXT NOT NULL,
    PRIMARY KEY (account, region, host)
);
",
];

/// A PostgreSQL-backed [`Store`].
pub struct PgStore {
    config: Config,
    inner: Mutex<Option<Inner>>,
    quotas: Quotas,
}

struct Inner {
    client: Client,
    stmts: Stmts,
    cache: Cache,
}

/// Statements prepared once per connection.
struct Stmts {
    lock: Statement,
    version: Statement,
    set_version: Statement,
    bodies: Statement,
    body: Statement,
    put: Statement,
    delete: Statement,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore")
            .field("hosts", &self.config.get_hosts())
            .field("dbname", &self.config.get_dbname())
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:pass@host:port/db` or libpq's
    /// `key=value` form), creating the schema if needed.
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        Self::with_config(url.parse()?)
    }

    /// Connects with a full client configuration (e.g. `options("-csearch_path=…")` to keep
    /// the tables in one schema).
    pub fn with_config(config: Config) -> Result<Self, StoreError> {
        let inner = Inner::connect(&config)?;
        Ok(Self {
            config,
            inner: Mutex::new(Some(inner)),
            quotas: Quotas::default(),
        })
    }

    /// The same store, enforcing `quotas` instead of AWS's defaults (each server enforces
    /// its own: quotas are configuration, not stored state).
    #[must_use]
    pub fn with_quotas(self, quotas: Quotas) -> Self {
        Self { quotas, ..self }
    }

    /// Runs `f` on a live connection, reconnecting first when the last one was lost. Any
    /// PostgreSQL error drops the connection (and its cache), so the next call starts on a
    /// new one; the failed call itself is not retried (its commit may have landed).
    fn with_inner<T>(
        &self,
        f: impl FnOnce(&mut Inner) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut guard = self.inner.lock().unwrap_or_else(|poisoned| {
            // A call panicked (a bug in its closure) inside a transaction: drop that
            // connection (the server rolls its transaction back) and its cache, which the
            // panic may have left half-changed, instead of failing every later call.
            let mut guard = poisoned.into_inner();
            *guard = None;
            self.inner.clear_poison();
            guard
        });
        if guard.as_ref().is_none_or(|i| i.client.is_closed()) {
            *guard = None;
            *guard = Some(Inner::connect(&self.config)?);
        }
        let inner = guard.as_mut().ok_or(StoreError::Poisoned)?;
        let res = f(inner);
        if matches!(res, Err(StoreError::Postgres(_))) || inner.client.is_closed() {
            *guard = None;
        }
        res
    }
}

impl Inner {
    fn connect(config: &Config) -> Result<Self, StoreError> {
        let mut client = config.connect(NoTls)?;
        migrate(&mut client)?;
        let stmts = Stmts {
            lock: client.prepare("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")?,
            version: client.prepare(
                "SELECT version FROM palisade_scopes WHERE account = $1 AND region = $2",
            )?,
            set_version: client.prepare(
                "INSERT INTO palisade_scopes (account, region, version) VALUES ($1, $2, $3)
                 ON CONFLICT (account, region) DO UPDATE SET version = excluded.version",
            )?,
            bodies: client.prepare(
                "SELECT id, body FROM palisade_resources WHERE account = $1 AND region = $2",
            )?,
            body: client.prepare(
                "SELECT body FROM palisade_resources
                 WHERE account = $1 AND region = $2 AND id = $3",
            )?,
            put: client.prepare(
                "INSERT INTO palisade_resources (account, region, id, body)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (account, region, id) DO UPDATE SET body = excluded.body",
            )?,
            delete: client.prepare(
                "DELETE FROM palisade_resources WHERE account = $1 AND region = $2 AND id = $3",
            )?,
        };
        Ok(Self {
            client,
            stmts,
            cache: Cache::new(),
        })
    }
}

/// Opens a transaction holding the write locks of two scopes, taken in scope order so that
/// two such transactions cannot wait on each other.
fn begin_pair<'a>(
    client: &'a mut Client,
    stmts: &'a Stmts,
    first: &Scope,
    second: &Scope,
) -> Result<PgRows<'a>, StoreError> {
    let mut tx = client.transaction()?;
    let (low, high) = if first <= second {
        (first, second)
    } else {
        (second, first)
    };
    tx.execute(&stmts.lock, &[&format!("palisade:{low}")])?;
    tx.execute(&stmts.lock, &[&format!("palisade:{high}")])?;
    Ok(PgRows { tx, stmts })
}

/// Tells every listener (`crate::PgListener`, on any server) that the scopes changed: sent
/// inside the write's transaction, so PostgreSQL delivers it only when the write commits.
fn notify(rows: &mut PgRows<'_>, scopes: &[&Scope]) -> Result<(), StoreError> {
    for scope in scopes {
        rows.tx.execute(
            "SELECT pg_notify($1, $2)",
            &[&crate::pg_listen::CHANNEL, &scope.to_string()],
        )?;
    }
    Ok(())
}

/// Opens a transaction holding the scope's write lock.
fn begin<'a>(
    client: &'a mut Client,
    stmts: &'a Stmts,
    scope: &Scope,
) -> Result<PgRows<'a>, StoreError> {
    let mut tx = client.transaction()?;
    tx.execute(&stmts.lock, &[&format!("palisade:{scope}")])?;
    Ok(PgRows { tx, stmts })
}

fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS palisade_schema (version BIGINT NOT NULL)")?;
    let found: i64 = match tx.query_opt("SELECT version FROM palisade_schema", &[])? {
        Some(row) => row.try_get(0)?,
        None => {
            tx.execute("INSERT INTO palisade_schema (version) VALUES (0)", &[])?;
            0
        }
    };
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
        tx.batch_execute(sql)?;
        let version = i64::try_from(idx + 1).unwrap_or(i64::MAX);
        tx.execute("UPDATE palisade_schema SET version = $1", &[&version])?;
    }
    tx.commit()?;
    Ok(())
}

/// [`Rows`] inside a transaction that holds the scope's advisory lock.
struct PgRows<'a> {
    tx: Transaction<'a>,
    stmts: &'a Stmts,
}

impl Rows for PgRows<'_> {
    fn version(&mut self, scope: &Scope) -> Result<Option<i64>, StoreError> {
        let row = self.tx.query_opt(
            &self.stmts.version,
            &[&scope.account.as_str(), &scope.region],
        )?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    fn set_version(&mut self, scope: &Scope, version: i64) -> Result<(), StoreError> {
        self.tx.execute(
            &self.stmts.set_version,
            &[&scope.account.as_str(), &scope.region, &version],
        )?;
        Ok(())
    }

    fn each_body(
        &mut self,
        scope: &Scope,
        each: &mut dyn FnMut(&str, &str) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let rows = self.tx.query(
            &self.stmts.bodies,
            &[&scope.account.as_str(), &scope.region],
        )?;
        for row in rows {
            each(row.try_get(0)?, row.try_get(1)?)?;
        }
        Ok(())
    }

    fn body(&mut self, scope: &Scope, id: &str) -> Result<Option<String>, StoreError> {
        let row = self.tx.query_opt(
            &self.stmts.body,
            &[&scope.account.as_str(), &scope.region, &id],
        )?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    fn put(&mut self, scope: &Scope, id: &str, body: &str) -> Result<(), StoreError> {
        self.tx.execute(
            &self.stmts.put,
            &[&scope.account.as_str(), &scope.region, &id, &body],
        )?;
        Ok(())
    }

    fn delete(&mut self, scope: &Scope, id: &str) -> Result<(), StoreError> {
        self.tx.execute(
            &self.stmts.delete,
            &[&scope.account.as_str(), &scope.region, &id],
        )?;
        Ok(())
    }
}

impl Store for PgStore {
    fn write(
        &self,
        scope: &Scope,
        ids: &mut dyn IdGen,
        f: &mut WriteFn<'_>,
    ) -> Result<(), StoreError> {
        let quotas = self.quotas;
        self.with_inner(
            |Inner {
                 client,
                 stmts,
                 cache,
             }| {
                let res = (|| {
                    let mut rows = begin(client, stmts, scope)?;
                    let out = scoped::mutate(&mut rows, cache, scope, quotas, ids, f)?;
                    notify(&mut rows, &[scope])?;
                    rows.tx.commit()?;
                    Ok(out)
                })();
                scoped::remember(cache, scope, res)
            },
        )
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
        let quotas = self.quotas;
        self.with_inner(
            |Inner {
                 client,
                 stmts,
                 cache,
             }| {
                let res = (|| {
                    let mut rows = begin_pair(client, stmts, first, second)?;
                    let out =
                        scoped::mutate_pair(&mut rows, cache, (first, second), quotas, ids, f)?;
                    notify(&mut rows, &[first, second])?;
                    rows.tx.commit()?;
                    Ok(out)
                })();
                match res {
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
                }
            },
        )
    }

    fn shares_hosts(&self) -> bool {
        true
    }

    fn put_hosts(&self, scope: &Scope, hosts: &[(String, String)]) -> Result<(), StoreError> {
        if hosts.is_empty() {
            return Ok(());
        }
        let (names, bodies): (Vec<&str>, Vec<&str>) =
            hosts.iter().map(|(h, b)| (h.as_str(), b.as_str())).unzip();
        self.with_inner(|Inner { client, .. }| {
            // One statement for the whole batch (a change can touch thousands of hosts).
            client.execute(
                "INSERT INTO palisade_hosts (account, region, host, body)
                 SELECT $1, $2, h, b FROM UNNEST($3::text[], $4::text[]) AS t(h, b)
                 ON CONFLICT (account, region, host) DO UPDATE SET body = excluded.body",
                &[&scope.account.as_str(), &scope.region, &names, &bodies],
            )?;
            Ok(())
        })
    }

    fn hosts(&self, scope: &Scope) -> Result<Vec<(String, String)>, StoreError> {
        self.with_inner(|Inner { client, .. }| {
            let rows = client.query(
                "SELECT host, body FROM palisade_hosts WHERE account = $1 AND region = $2
                 ORDER BY host",
                &[&scope.account.as_str(), &scope.region],
            )?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect()
        })
    }

    fn scopes(&self) -> Result<Vec<Scope>, StoreError> {
        self.with_inner(|Inner { client, .. }| {
            let mut out = Vec::new();
            for row in client.query(
                "SELECT account, region FROM palisade_scopes ORDER BY account, region",
                &[],
            )? {
                let account: String = row.try_get(0)?;
                out.push(crate::scope_row(&account, row.try_get(1)?)?);
            }
            Ok(out)
        })
    }

    fn read(
        &self,
        scope: &Scope,
        ids: &mut dyn IdGen,
        f: &mut ReadFn<'_>,
    ) -> Result<(), StoreError> {
        self.read_versioned(scope, ids, &mut |_, state| f(state))
    }

    fn read_versioned(
        &self,
        scope: &Scope,
        ids: &mut dyn IdGen,
        f: &mut VersionedReadFn<'_>,
    ) -> Result<(), StoreError> {
        let quotas = self.quotas;
        self.with_inner(
            |Inner {
                 client,
                 stmts,
                 cache,
             }| {
                let stored: Option<i64> = client
                    .query_opt(&stmts.version, &[&scope.account.as_str(), &scope.region])?
                    .map(|r| r.try_get(0))
                    .transpose()?;
                if !scoped::cache_is_fresh(cache, scope, stored) {
                    let mut rows = begin(client, stmts, scope)?;
                    let (version, state) = scoped::current(&mut rows, cache, scope, quotas, ids)?;
                    rows.tx.commit()?;
                    cache.insert(scope.clone(), (version, state));
                }
                let (version, state) = cache.get(scope).ok_or(StoreError::Poisoned)?;
                f(*version, state);
                Ok(())
            },
        )
    }
}
