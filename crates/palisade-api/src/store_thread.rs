//! The store's own thread: every store call that may block (writes, reads the cache cannot
//! answer) runs here, one after another, and the request's task awaits its answer. Under
//! load the thread never sleeps between calls, so a call costs one wake-up of the waiting
//! task — not a blocking-pool hand-off each way plus threads contending for the store's one
//! connection (which showed as futex storms at 64 connections).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc::{Sender, channel};

use palisade_store::Store;

type Job = Box<dyn FnOnce(&dyn Store) + Send>;

/// A handle on the store thread; the thread ends when the last handle is dropped.
#[derive(Debug)]
pub(crate) struct StoreThread {
    jobs: Sender<Job>,
}

impl StoreThread {
    pub(crate) fn start(store: Arc<dyn Store>) -> Self {
        let (jobs, queue) = channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("palisade-store".into())
            .spawn(move || {
                while let Ok(job) = queue.recv() {
                    // A panicking job answers nothing (its caller sees an internal error);
                    // the thread goes on serving the others.
                    if catch_unwind(AssertUnwindSafe(|| job(store.as_ref()))).is_err() {
                        tracing::error!("a store call panicked");
                    }
                }
            });
        if let Err(e) = spawned {
            // Without the thread every call answers an internal error (see `run`).
            tracing::error!(error = %e, "cannot start the store thread");
        }
        Self { jobs }
    }

    /// Runs `f` on the store thread; `None` when it could not run or panicked.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |store| {
            let _ = tx.send(f(store));
        });
        self.jobs.send(job).ok()?;
        rx.await.ok()
    }
}
