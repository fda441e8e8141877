//! Persistent EC2 state, one [`AccountState`] per (account, region), behind the [`Store`]
//! trait. Each API mutation is one transaction: the store loads (or reuses its cached copy
//! of) the scope's state, runs the caller's closure, and commits exactly the resources the
//! closure changed — or nothing, when the closure fails.
//!
//! The store holds no business rules (those live in `palisade_model::account`) and no SQL
//! leaves this crate. Backends: SQLite ([`SqliteStore`], the default: one file) and
//! PostgreSQL ([`PgStore`]: several servers sharing one database); both share the row codec
//! and the per-scope transaction logic (`scoped`).
#![deny(clippy::unwrap_used)]

mod codec;
mod observed;
mod pg_listen;
mod postgres;
mod scoped;
mod sqlite;

use std::fmt;

use palisade_model::account::AccountState;
use palisade_model::{AccountId, IdGen};
use thiserror::Error;

pub use observed::{Observed, WriteObserver};
pub use pg_listen::PgListener;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// Whose state: one account in one region.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    pub account: AccountId,
    pub region: String,
}

impl Scope {
    pub fn new(account: AccountId, region: impl Into<String>) -> Self {
        Self {
            account,
            region: region.into(),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.account, self.region)
    }
}

/// A storage failure (never a validation error: those come from the closure).
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {0}")]
    Postgres(#[from] ::postgres::Error),
    #[error("stored resource {id} is corrupt: {message}")]
    Corrupt { id: String, message: String },
    #[error("database schema version {found} is newer than this program's {supported}")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error(
        "{0} is in use by another process (one server holds a SQLite database; several servers share state through PostgreSQL)"
    )]
    Held(String),
    #[error("store lock poisoned by an earlier panic")]
    Poisoned,
    #[error("a write over two scopes was given {0} twice")]
    SameScope(String),
}

/// A closure over a scope's mutable state: return `true` to commit its changes.
pub type WriteFn<'a> = dyn FnMut(&mut AccountState, &mut dyn IdGen) -> bool + 'a;
/// A closure over a scope's state.
pub type ReadFn<'a> = dyn FnMut(&AccountState) + 'a;
/// A closure over a scope's state and the version it is at.
pub type VersionedReadFn<'a> = dyn FnMut(i64, &AccountState) + 'a;
/// A closure over two scopes' mutable states (in the order given): return `true` to commit
/// the changes of both.
pub type PairWriteFn<'a> =
    dyn FnMut(&mut AccountState, &mut AccountState, &mut dyn IdGen) -> bool + 'a;

/// One write of a group commit ([`Store::write_batch`]): what [`Store::write`] takes.
pub struct BatchWrite<'a> {
    pub scope: &'a Scope,
    pub ids: &'a mut dyn IdGen,
    pub f: &'a mut WriteFn<'a>,
}

impl fmt::Debug for BatchWrite<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchWrite")
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// A backend. Implementations serialise writes per scope (at least), so checks made inside
/// a write closure (quotas, duplicates) hold against concurrent requests.
pub trait Store: Send + Sync + fmt::Debug {
    /// Runs `f` once inside one transaction on the scope's state (created on first use as
    /// EC2 creates a new account/region, with `ids`). Commits the changed resources when
    /// `f` returns `true`; otherwise the state is left exactly as it was.
    fn write(
        &self,
        scope: &Scope,
        ids: &mut dyn IdGen,
        f: &mut WriteFn<'_>,
    ) -> Result<(), StoreError>;

    /// [`Store::write`] over two different scopes in one transaction (a VPC peering across
    /// accounts or regions keeps a record in each): both are locked (in scope order, so
    /// two such writes cannot deadlock), `f` runs once, and both commit or neither does.
    fn write_pair(
        &self,
        first: &Scope,
        second: &Scope,
        ids: &mut dyn IdGen,
        f: &mut PairWriteFn<'_>,
    ) -> Result<(), StoreError>;

    /// Several writes, in order, each as [`Store::write`] would run it, committed together
    /// (group commit: one transaction, so one commit's cost, for all of them). Each write
    /// sees the ones before it; one whose closure returns `false` is undone alone and the
    /// others still commit. Nothing is committed until every write has run: the inner
    /// results say which writes took effect, and they hold only when the outer result is
    /// `Ok` (the commit itself succeeded); on an outer `Err` nothing of the batch was
    /// committed. A backend may end the whole batch with an outer `Err` when one write's
    /// storage fails (SQLite does: one transaction, no savepoint per write).
    ///
    /// The default runs each write in its own transaction (a storage failure fails that
    /// write alone).
    fn write_batch(
        &self,
        writes: &mut [BatchWrite<'_>],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        Ok(writes
            .iter_mut()
            .map(|w| self.write(w.scope, w.ids, w.f))
            .collect())
    }

    /// Runs `f` once on a consistent view of the scope's state.
    fn read(
        &self,
        scope: &Scope,
        ids: &mut dyn IdGen,
        f: &mut ReadFn<'_>,
    ) -> Result<(), StoreError>;

    /// [`Store::read`], passing also the scope's version: the number every committed write
    /// of the scope bumps, so equal versions are equal states (a change feed's position).
    fn read_versioned(
        &self,
        scope: &Scope,
        ids: &mut dyn IdGen,
        f: &mut VersionedReadFn<'_>,
    ) -> Result<(), StoreError>;

    /// Runs `f` on the scope's state only when that needs neither waiting nor I/O (the
    /// scope is cached and known current, the store is not busy), so an async caller may
    /// call it on its own thread; `Ok(false)` means `f` did not run: use [`Store::read`].
    fn try_read_cached(&self, scope: &Scope, f: &mut ReadFn<'_>) -> Result<bool, StoreError> {
        let _ = (scope, f);
        Ok(false)
    }

    /// Every scope that has stored state, in order.
    fn scopes(&self) -> Result<Vec<Scope>, StoreError>;

    /// True when other servers may share this store, so the change feed keeps its host
    /// records in it ([`Store::put_hosts`]) for every server's `hosts` to list.
    fn shares_hosts(&self) -> bool {
        false
    }

    /// Inserts or replaces host records of a scope: `(host, body)`, the body the change
    /// feed's own (JSON). A store that does not [`Store::shares_hosts`] keeps none.
    fn put_hosts(&self, scope: &Scope, hosts: &[(String, String)]) -> Result<(), StoreError> {
        let _ = (scope, hosts);
        Ok(())
    }

    /// The host records of a scope, in host order.
    fn hosts(&self, scope: &Scope) -> Result<Vec<(String, String)>, StoreError> {
        let _ = scope;
        Ok(Vec::new())
    }
}

/// Parses a stored `(account, region)` row.
fn scope_row(account: &str, region: String) -> Result<Scope, StoreError> {
    let account = account
        .parse()
        .map_err(|e: palisade_model::IdError| StoreError::Corrupt {
            id: format!("{account}/{region}"),
            message: e.to_string(),
        })?;
    Ok(Scope::new(account, region))
}

/// [`Store::try_read_cached`] returning the closure's value.
pub fn try_view<T>(
    store: &dyn Store,
    scope: &Scope,
    f: impl FnOnce(&AccountState) -> T,
) -> Result<Option<T>, StoreError> {
    let mut f = Some(f);
    let mut out = None;
    store.try_read_cached(scope, &mut |state| {
        if let Some(f) = f.take() {
            out = Some(f(state));
        }
    })?;
    Ok(out)
}

/// [`Store::write`] for a closure returning a `Result`: commits on `Ok`.
pub fn transact<T, E: From<StoreError>>(
    store: &dyn Store,
    scope: &Scope,
    ids: &mut dyn IdGen,
    f: impl FnOnce(&mut AccountState, &mut dyn IdGen) -> Result<T, E>,
) -> Result<T, E> {
    let mut f = Some(f);
    let mut out = None;
    store.write(scope, ids, &mut |state, ids| {
        let Some(f) = f.take() else { return false };
        let res = f(state, ids);
        let ok = res.is_ok();
        out = Some(res);
        ok
    })?;
    out.expect("Store::write runs its closure exactly once when it returns Ok")
}

/// [`Store::write_pair`] for a closure returning a `Result`: commits both on `Ok`.
pub fn transact_pair<T, E: From<StoreError>>(
    store: &dyn Store,
    first: &Scope,
    second: &Scope,
    ids: &mut dyn IdGen,
    f: impl FnOnce(&mut AccountState, &mut AccountState, &mut dyn IdGen) -> Result<T, E>,
) -> Result<T, E> {
    let mut f = Some(f);
    let mut out = None;
    store.write_pair(first, second, ids, &mut |a, b, ids| {
        let Some(f) = f.take() else { return false };
        let res = f(a, b, ids);
        let ok = res.is_ok();
        out = Some(res);
        ok
    })?;
    out.expect("Store::write_pair runs its closure exactly once when it returns Ok")
}

/// [`Store::read_versioned`] returning the version and the closure's value.
pub fn view_versioned<T, E: From<StoreError>>(
    store: &dyn Store,
    scope: &Scope,
    ids: &mut dyn IdGen,
    f: impl FnOnce(&AccountState) -> T,
) -> Result<(i64, T), E> {
    let mut f = Some(f);
    let mut out = None;
    store.read_versioned(scope, ids, &mut |version, state| {
        if let Some(f) = f.take() {
            out = Some((version, f(state)));
        }
    })?;
    Ok(out.expect("Store::read_versioned runs its closure exactly once when it returns Ok"))
}

/// [`Store::read`] returning the closure's value.
pub fn view<T, E: From<StoreError>>(
    store: &dyn Store,
    scope: &Scope,
    ids: &mut dyn IdGen,
    f: impl FnOnce(&AccountState) -> T,
) -> Result<T, E> {
    let mut f = Some(f);
    let mut out = None;
    store.read(scope, ids, &mut |state| {
        if let Some(f) = f.take() {
            out = Some(f(state));
        }
    })?;
    Ok(out.expect("Store::read runs its closure exactly once when it returns Ok"))
}
