//! What every request handler shares: the store, the key ring and the clock.

use std::sync::Arc;
use std::time::SystemTime;

use palisade_store::Store;

use crate::edge::EdgeConfig;
use crate::keys::KeyRing;
use crate::metrics::Metrics;
use crate::store_thread::StoreThread;
use crate::watch::Hub;

/// Where `now` comes from: the system clock, or a fixed instant (tests).
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    System,
    Fixed(SystemTime),
}

impl Clock {
    pub(crate) fn now(self) -> SystemTime {
        match self {
            Self::System => SystemTime::now(),
            Self::Fixed(t) => t,
        }
    }
}

/// Everything the server shares between requests.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub keys: Arc<KeyRing>,
    pub clock: Clock,
    /// What the edge enforces (regions, the decoder's limits).
    pub edge: Arc<EdgeConfig>,
    /// What the server counts (served by [`crate::metrics_router`]).
    pub metrics: Arc<Metrics>,
    /// Where blocking store calls run.
    pub(crate) store_thread: Arc<StoreThread>,
    /// The change feed agents watch; `store` is wrapped so every write wakes it.
    pub watch: Hub,
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        keys: Arc<KeyRing>,
        clock: Clock,
        edge: Arc<EdgeConfig>,
    ) -> Self {
        let metrics = Arc::new(Metrics::new());
        let watch = Hub::start(store.clone());
        let store = watch.wrap(store);
        Self {
            watch,
            store_thread: Arc::new(StoreThread::start(store.clone(), metrics.clone())),
            metrics,
            store,
            keys,
            clock,
            edge,
        }
    }
}
