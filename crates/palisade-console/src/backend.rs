//! The console's way into the store: reads on a consistent view and writes in one
//! transaction, both on tokio's blocking pool (console traffic is a person's clicks, so
//! it does not queue behind the API's store thread), with fresh ids for new resources.

use std::hash::{BuildHasher, RandomState};
use std::time::{SystemTime, UNIX_EPOCH};

use palisade_api::ApiError;
use palisade_model::account::AccountState;
use palisade_model::{IdGen, Timestamp};
use palisade_store::{Scope, transact, view};

use crate::ConsoleState;

/// Fresh ids from std's randomly keyed SipHash (ids need uniqueness, not secrecy).
#[derive(Debug)]
pub(crate) struct Ids {
    state: RandomState,
    counter: u64,
    now: Timestamp,
}

impl Ids {
    pub(crate) fn at(now: SystemTime) -> Self {
        Self {
            state: RandomState::new(),
            counter: 0,
            now: timestamp(now),
        }
    }
}

impl IdGen for Ids {
    fn next_bits(&mut self) -> u128 {
        self.counter += 1;
        let hi = self.state.hash_one((self.counter, 0u8));
        let lo = self.state.hash_one((self.counter, 1u8));
        (u128::from(hi) << 64) | u128::from(lo)
    }
    fn now(&self) -> Timestamp {
        self.now
    }
}

/// The model's time: milliseconds since the Unix epoch.
pub(crate) fn timestamp(now: SystemTime) -> Timestamp {
    let ms = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    Timestamp::from_millis(ms)
}

fn lost(_: tokio::task::JoinError) -> ApiError {
    ApiError::internal("An internal error has occurred")
}

/// Runs `f` on a consistent view of the scope's state.
pub(crate) async fn read<T: Send + 'static>(
    state: &ConsoleState,
    scope: Scope,
    f: impl FnOnce(&AccountState) -> T + Send + 'static,
) -> Result<T, ApiError> {
    let store = state.api.store.clone();
    let mut ids = Ids::at(state.now());
    tokio::task::spawn_blocking(move || view::<_, ApiError>(store.as_ref(), &scope, &mut ids, f))
        .await
        .map_err(lost)?
}

/// Runs `f` inside one transaction on the scope's state: committed on `Ok`, left exactly
/// as it was on `Err`.
pub(crate) async fn write<T: Send + 'static, E: From<ApiError> + Send + 'static>(
    state: &ConsoleState,
    scope: Scope,
    f: impl FnOnce(&mut AccountState, &mut dyn IdGen) -> Result<T, E> + Send + 'static,
) -> Result<T, E> {
    let store = state.api.store.clone();
    let mut ids = Ids::at(state.now());
    tokio::task::spawn_blocking(move || {
        transact::<_, Wrap<E>>(store.as_ref(), &scope, &mut ids, |st, ids| {
            f(st, ids).map_err(Wrap)
        })
        .map_err(|w| w.0)
    })
    .await
    .map_err(|e| E::from(lost(e)))?
}

/// Lets any error that an [`ApiError`] converts into pass through `transact`.
struct Wrap<E>(E);

impl<E: From<ApiError>> From<palisade_store::StoreError> for Wrap<E> {
    fn from(e: palisade_store::StoreError) -> Self {
        Self(E::from(ApiError::from(e)))
    }
}
