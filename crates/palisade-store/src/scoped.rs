//! What every backend does inside one transaction on one scope, written once over [`Rows`]
//! (the handful of row operations a backend provides): bootstrap a new scope, reuse or
//! reload the cached state by version, run the caller's closure, then write exactly the
//! resources it touched and bump the version — or put the touched resources back.
//!
//! Callers hold the scope's write lock (SQLite's `BEGIN IMMEDIATE`, PostgreSQL's advisory
//! lock) for the whole call; nothing here commits, rolls back or locks.

use std::collections::HashMap;

use palisade_model::account::{AccountState, ResourceKey};
use palisade_model::{IdGen, Quotas};

use crate::{PairWriteFn, Scope, StoreError, WriteFn, codec};

/// Each handle's copy of the scopes it has seen, tagged with their version.
pub(crate) type Cache = HashMap<Scope, Versioned>;

/// A scope's state and the version it is at.
pub(crate) type Versioned = (i64, AccountState);

/// The row operations of one backend, inside a transaction that holds the scope's lock.
pub(crate) trait Rows {
    /// The scope's version, `None` before its first use.
    fn version(&mut self, scope: &Scope) -> Result<Option<i64>, StoreError>;
    /// Records the scope's version (inserting the scope row when new).
    fn set_version(&mut self, scope: &Scope, version: i64) -> Result<(), StoreError>;
    /// Calls `each(id, body)` for every stored resource of the scope.
    fn each_body(
        &mut self,
        scope: &Scope,
        each: &mut dyn FnMut(&str, &str) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// One resource's stored body.
    fn body(&mut self, scope: &Scope, id: &str) -> Result<Option<String>, StoreError>;
    /// Inserts or replaces one resource's body.
    fn put(&mut self, scope: &Scope, id: &str, body: &str) -> Result<(), StoreError>;
    /// Deletes one resource.
    fn delete(&mut self, scope: &Scope, id: &str) -> Result<(), StoreError>;
}

/// Loads a scope's whole state from its rows.
fn load(rows: &mut dyn Rows, scope: &Scope, quotas: Quotas) -> Result<AccountState, StoreError> {
    let mut state = AccountState::empty(scope.account.clone(), &scope.region, quotas);
    rows.each_body(scope, &mut |id, body| {
        state.insert_loaded(codec::decode(id, body)?);
        Ok(())
    })?;
    Ok(state)
}

/// Writes the resources named by `keys` as they are in `state` (absent ones are deleted).
fn save(
    rows: &mut dyn Rows,
    scope: &Scope,
    state: &AccountState,
    keys: impl IntoIterator<Item = ResourceKey>,
) -> Result<(), StoreError> {
    for key in keys {
        match state.get_ref(&key) {
            Some(res) => rows.put(scope, key.id(), &codec::encode(res))?,
            None => rows.delete(scope, key.id())?,
        }
    }
    Ok(())
}

/// Puts back the resources a failed closure touched, from their rows.
fn restore(
    rows: &mut dyn Rows,
    scope: &Scope,
    state: &mut AccountState,
    keys: impl IntoIterator<Item = ResourceKey>,
) -> Result<(), StoreError> {
    for key in keys {
        match rows.body(scope, key.id())? {
            Some(body) => state.insert_loaded(codec::decode(key.id(), &body)?),
            None => state.remove_loaded(&key),
        }
    }
    Ok(())
}

/// The scope's current state and version under `quotas`, bootstrapping a new scope (as EC2
/// creates a new account/region) and reloading a cached copy that another writer made
/// stale. Quotas are the server's configuration, never stored.
pub(crate) fn current(
    rows: &mut dyn Rows,
    cache: &mut Cache,
    scope: &Scope,
    quotas: Quotas,
    ids: &mut dyn IdGen,
) -> Result<(i64, AccountState), StoreError> {
    let Some(version) = rows.version(scope)? else {
        let mut state = AccountState::bootstrap(scope.account.clone(), &scope.region, quotas, ids);
        let keys = state.take_changed();
        save(rows, scope, &state, keys)?;
        rows.set_version(scope, 1)?;
        return Ok((1, state));
    };
    match cache.remove(scope) {
        Some((v, state)) if v == version => Ok((v, state)),
        _ => Ok((version, load(rows, scope, quotas)?)),
    }
}

/// Runs `f` on the scope's current state and writes what it changed when it returns
/// `true`; returns the state and version to cache once the caller has committed.
pub(crate) fn mutate(
    rows: &mut dyn Rows,
    cache: &mut Cache,
    scope: &Scope,
    quotas: Quotas,
    ids: &mut dyn IdGen,
    f: &mut WriteFn<'_>,
) -> Result<(i64, AccountState), StoreError> {
    let (version, mut state) = current(rows, cache, scope, quotas, ids)?;
    state.take_changed();
    let commit = f(&mut state, ids);
    let changed = state.take_changed();
    if !commit || changed.is_empty() {
        restore(rows, scope, &mut state, changed)?;
        // The bootstrap (if any) still commits: a new scope exists from first use.
        return Ok((version, state));
    }
    save(rows, scope, &state, changed)?;
    rows.set_version(scope, version + 1)?;
    Ok((version + 1, state))
}

/// [`mutate`] over two different scopes: `f` sees both states, and the changes of both are
/// written (each scope's version bumped when it changed) or neither is.
pub(crate) fn mutate_pair(
    rows: &mut dyn Rows,
    cache: &mut Cache,
    (first, second): (&Scope, &Scope),
    quotas: Quotas,
    ids: &mut dyn IdGen,
    f: &mut PairWriteFn<'_>,
) -> Result<(Versioned, Versioned), StoreError> {
    let (v1, mut s1) = current(rows, cache, first, quotas, ids)?;
    let (v2, mut s2) = current(rows, cache, second, quotas, ids)?;
    s1.take_changed();
    s2.take_changed();
    let commit = f(&mut s1, &mut s2, ids);
    let (c1, c2) = (s1.take_changed(), s2.take_changed());
    if !commit {
        restore(rows, first, &mut s1, c1)?;
        restore(rows, second, &mut s2, c2)?;
        return Ok(((v1, s1), (v2, s2)));
    }
    let mut finish = |scope: &Scope,
                      version: i64,
                      state: AccountState,
                      changed: std::collections::BTreeSet<ResourceKey>| {
        if changed.is_empty() {
            return Ok((version, state));
        }
        save(rows, scope, &state, changed)?;
        rows.set_version(scope, version + 1)?;
        Ok::<_, StoreError>((version + 1, state))
    };
    let one = finish(first, v1, s1, c1)?;
    let two = finish(second, v2, s2, c2)?;
    Ok((one, two))
}

/// True when the cached copy of `scope` is at the version the database holds (`stored`),
/// so a read may use it without a transaction.
pub(crate) fn cache_is_fresh(cache: &Cache, scope: &Scope, stored: Option<i64>) -> bool {
    matches!((cache.get(scope), stored), (Some((v, _)), Some(db)) if *v == db)
}

/// Keeps the outcome of a committed transaction in the cache; after a failure, forgets the
/// scope so the next call reloads it from the database.
pub(crate) fn remember(
    cache: &mut Cache,
    scope: &Scope,
    res: Result<(i64, AccountState), StoreError>,
) -> Result<(), StoreError> {
    match res {
        Ok(entry) => {
            cache.insert(scope.clone(), entry);
            Ok(())
        }
        Err(e) => {
            cache.remove(scope);
            Err(e)
        }
    }
}
