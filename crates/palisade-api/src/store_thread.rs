//! The store's own thread: every store call that may block (writes, reads the cache cannot
//! answer) runs here, and the request's task awaits its answer. Under load the thread never
//! sleeps between calls, so a call costs one wake-up of the waiting task — not a
//! blocking-pool hand-off each way plus threads contending for the store's one connection
//! (which showed as futex storms at 64 connections).
//!
//! Group commit: the thread takes every call queued while it was busy (at most
//! [`MAX_BATCH`]); the lone calls (reads, writes over two scopes) run first, one by one, then
//! the queued single-scope writes run together in one [`Store::write_batch`] (a refused write
//! undone alone, a storage failure failing the batch), and each is answered only once that
//! batch has committed. Requests queued
//! together are concurrent, so running them in either order is one that could have
//! happened; a request sent after another's answer always queues after it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Instant;

use palisade_model::IdGen;
use palisade_model::account::AccountState;
use palisade_store::{BatchWrite, Scope, Store, WriteFn};

use crate::error::ApiError;
use crate::metrics::Metrics;

/// The most calls one turn of the thread takes (and so the most writes in one commit).
pub(crate) const MAX_BATCH: usize = 128;

type Call = Box<dyn FnOnce(&dyn Store) + Send>;

enum Job {
    Call(Call),
    Write(Box<dyn QueuedWrite>),
}

/// A write waiting for the next group commit.
trait QueuedWrite: Send {
    /// What the store needs to run it: its scope, id generator and body.
    fn parts(&mut self) -> (&Scope, &mut dyn IdGen, &mut dyn WriteBody);
    /// Answers the waiting request: the body's result if the write committed.
    fn finish(self: Box<Self>, committed: Result<(), ApiError>);
}

/// The closure of a queued write, kept with the slot its result waits in until the commit.
trait WriteBody: Send {
    fn run(&mut self, state: &mut AccountState, ids: &mut dyn IdGen) -> bool;
}

struct Pending<T, F> {
    scope: Scope,
    ids: Box<dyn IdGen + Send>,
    body: Body<T, F>,
    answer: tokio::sync::oneshot::Sender<Result<T, ApiError>>,
}

struct Body<T, F> {
    f: Option<F>,
    out: Option<Result<T, ApiError>>,
}

impl<T, F> WriteBody for Body<T, F>
where
    T: Send,
    F: FnOnce(&mut AccountState, &mut dyn IdGen) -> Result<T, ApiError> + Send,
{
    fn run(&mut self, state: &mut AccountState, ids: &mut dyn IdGen) -> bool {
        let Some(f) = self.f.take() else { return false };
        let res = f(state, ids);
        let ok = res.is_ok();
        self.out = Some(res);
        ok
    }
}

impl<T, F> QueuedWrite for Pending<T, F>
where
    T: Send + 'static,
    F: FnOnce(&mut AccountState, &mut dyn IdGen) -> Result<T, ApiError> + Send + 'static,
{
    fn parts(&mut self) -> (&Scope, &mut dyn IdGen, &mut dyn WriteBody) {
        (&self.scope, self.ids.as_mut(), &mut self.body)
    }

    fn finish(self: Box<Self>, committed: Result<(), ApiError>) {
        let answer = match (committed, self.body.out) {
            (Ok(()), Some(out)) => out,
            (Err(e), _) => Err(e),
            (Ok(()), None) => Err(ApiError::internal("An internal error has occurred")),
        };
        let _ = self.answer.send(answer);
    }
}

/// A handle on the store thread; the thread ends when the last handle is dropped.
#[derive(Debug)]
pub(crate) struct StoreThread {
    jobs: Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Call(_) => "Call",
            Self::Write(_) => "Write",
        })
    }
}

impl StoreThread {
    pub(crate) fn start(store: Arc<dyn Store>, metrics: Arc<Metrics>) -> Self {
        let (jobs, queue) = channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("palisade-store".into())
            .spawn(move || serve(store.as_ref(), &queue, &metrics));
        if let Err(e) = spawned {
            // Without the thread every call answers an internal error (see `run`).
            tracing::error!(error = %e, "cannot start the store thread");
        }
        Self { jobs }
    }

    /// Runs `f` on the store thread, alone; `None` when it could not run or panicked.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Call = Box::new(move |store| {
            let _ = tx.send(f(store));
        });
        self.jobs.send(Job::Call(job)).ok()?;
        rx.await.ok()
    }

    /// Runs `f` as one write on `scope` in the next group commit ([`Store::write`]'s
    /// semantics: committed when `f` returns `Ok`); answers once the commit is done. `None`
    /// when it could not run or panicked.
    pub(crate) async fn write<T, F>(
        &self,
        scope: Scope,
        ids: impl IdGen + Send + 'static,
        f: F,
    ) -> Option<Result<T, ApiError>>
    where
        T: Send + 'static,
        F: FnOnce(&mut AccountState, &mut dyn IdGen) -> Result<T, ApiError> + Send + 'static,
    {
        let (answer, rx) = tokio::sync::oneshot::channel();
        let pending = Pending {
            scope,
            ids: Box::new(ids),
            body: Body {
                f: Some(f),
                out: None,
            },
            answer,
        };
        self.jobs.send(Job::Write(Box::new(pending))).ok()?;
        rx.await.ok()
    }
}

/// The thread's loop: one turn per batch of queued calls, until every handle is gone.
fn serve(store: &dyn Store, queue: &Receiver<Job>, metrics: &Metrics) {
    while let Ok(first) = queue.recv() {
        let mut calls = Vec::new();
        let mut writes = Vec::new();
        let mut next = Some(first);
        while let Some(job) = next {
            match job {
                Job::Call(call) => calls.push(call),
                Job::Write(write) => writes.push(write),
            }
            next = if calls.len() + writes.len() < MAX_BATCH {
                queue.try_recv().ok()
            } else {
                None
            };
        }
        for call in calls {
            let started = Instant::now();
            // A panicking call answers nothing (its caller sees an internal error); the
            // thread goes on serving the others.
            if catch_unwind(AssertUnwindSafe(|| call(store))).is_err() {
                tracing::error!("a store call panicked");
            }
            metrics.store_call(started.elapsed());
        }
        if !writes.is_empty() {
            let started = Instant::now();
            let n_writes = writes.len();
            if catch_unwind(AssertUnwindSafe(|| commit(store, writes))).is_err() {
                tracing::error!("a batch of store writes panicked");
            }
            metrics.store_batch(started.elapsed(), n_writes);
        }
    }
}

/// Runs the writes as one group commit and answers each.
fn commit(store: &dyn Store, mut writes: Vec<Box<dyn QueuedWrite>>) {
    let results = {
        let mut bodies: Vec<(&Scope, &mut dyn IdGen, Box<WriteFn<'_>>)> = writes
            .iter_mut()
            .map(|w| {
                let (scope, ids, body) = w.parts();
                let f: Box<WriteFn<'_>> = Box::new(move |state, ids| body.run(state, ids));
                (scope, ids, f)
            })
            .collect();
        let mut batch: Vec<BatchWrite<'_>> = bodies
            .iter_mut()
            .map(|(scope, ids, f)| BatchWrite {
                scope,
                ids: &mut **ids,
                f: &mut **f,
            })
            .collect();
        store.write_batch(&mut batch)
    };
    match results {
        Ok(results) => {
            for (write, res) in writes.into_iter().zip(results) {
                write.finish(res.map_err(ApiError::from));
            }
        }
        Err(e) => {
            let e = ApiError::from(e);
            for write in writes {
                write.finish(Err(e.clone()));
            }
        }
    }
}
