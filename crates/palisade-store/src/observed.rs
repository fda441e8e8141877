//! [`Observed`]: a store that tells an observer about every write it passed on, so a change
//! feed or the lab can follow writes without polling the database. Every method forwards to
//! the wrapped store (a batch as a batch, so its group commit holds); only the calls that
//! may have committed are reported.

use std::fmt;
use std::sync::Arc;

use palisade_model::IdGen;

use crate::{BatchWrite, PairWriteFn, ReadFn, Scope, Store, StoreError, VersionedReadFn, WriteFn};

/// Told about writes after the wrapped store answered them.
pub trait WriteObserver: Send + Sync + fmt::Debug {
    /// A write of `scope` committed (or may have: an observer re-reads what it needs, so
    /// being told too often costs a read, never a missed change).
    fn written(&self, scope: &Scope);
}

impl<T: WriteObserver + ?Sized> WriteObserver for Arc<T> {
    fn written(&self, scope: &Scope) {
        (**self).written(scope);
    }
}

/// `inner`, reporting its writes to `observer`.
#[derive(Debug)]
pub struct Observed<O> {
    inner: Arc<dyn Store>,
    observer: O,
}

impl<O: WriteObserver> Observed<O> {
    pub fn new(inner: Arc<dyn Store>, observer: O) -> Self {
        Self { inner, observer }
    }
}

impl<O: WriteObserver> Store for Observed<O> {
    fn write(
        &self,
        scope: &Scope,
        ids: &mut dyn IdGen,
        f: &mut WriteFn<'_>,
    ) -> Result<(), StoreError> {
        self.inner.write(scope, ids, f)?;
        self.observer.written(scope);
        Ok(())
    }

    fn write_pair(
        &self,
        first: &Scope,
        second: &Scope,
        ids: &mut dyn IdGen,
        f: &mut PairWriteFn<'_>,
    ) -> Result<(), StoreError> {
        self.inner.write_pair(first, second, ids, f)?;
        self.observer.written(first);
        self.observer.written(second);
        Ok(())
    }

    fn write_batch(
        &self,
        writes: &mut [BatchWrite<'_>],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        let results = self.inner.write_batch(writes)?;
        // Once per scope: the batch committed as a whole, so one report covers all its
        // writes of that scope (a batch is mostly one scope's; telling the hub 64 times
        // cost it 64 version reads).
        let mut told: Vec<&Scope> = Vec::new();
        for (w, r) in writes.iter().zip(&results) {
            if r.is_ok() && !told.contains(&w.scope) {
                self.observer.written(w.scope);
                told.push(w.scope);
            }
        }
        Ok(results)
    }

    fn read(
        &self,
        scope: &Scope,
        ids: &mut dyn IdGen,
        f: &mut ReadFn<'_>,
    ) -> Result<(), StoreError> {
        self.inner.read(scope, ids, f)
    }

    fn read_versioned(
        &self,
        scope: &Scope,
        ids: &mut dyn IdGen,
        f: &mut VersionedReadFn<'_>,
    ) -> Result<(), StoreError> {
        self.inner.read_versioned(scope, ids, f)
    }

    fn try_read_cached(&self, scope: &Scope, f: &mut ReadFn<'_>) -> Result<bool, StoreError> {
        self.inner.try_read_cached(scope, f)
    }

    fn scopes(&self) -> Result<Vec<Scope>, StoreError> {
        self.inner.scopes()
    }

    fn shares_hosts(&self) -> bool {
        self.inner.shares_hosts()
    }

    fn put_hosts(&self, scope: &Scope, hosts: &[(String, String)]) -> Result<(), StoreError> {
        self.inner.put_hosts(scope, hosts)
    }

    fn hosts(&self, scope: &Scope) -> Result<Vec<(String, String)>, StoreError> {
        self.inner.hosts(scope)
    }
}
