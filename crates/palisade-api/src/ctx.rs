//! The per-request context handlers receive: the caller's scope, the store and an id source.

use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;

use palisade_model::IdGen;
use palisade_model::account::AccountState;
use palisade_store::{Scope, Store, transact, view};

use crate::error::ApiError;

/// Fresh ids from std's randomly keyed SipHash (no extra dependency; ids need uniqueness,
/// not secrecy).
#[derive(Debug)]
pub(crate) struct RandomIds {
    state: RandomState,
    counter: u64,
}

impl RandomIds {
    pub(crate) fn new() -> Self {
        Self {
            state: RandomState::new(),
            counter: 0,
        }
    }

    /// A random request id in UUID form.
    pub(crate) fn request_id(&mut self) -> String {
        let b = self.next_bits().to_be_bytes();
        let h = hex::encode(b);
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }
}

impl IdGen for RandomIds {
    fn next_bits(&mut self) -> u128 {
        self.counter += 1;
        let hi = self.state.hash_one((self.counter, 0u8));
        let lo = self.state.hash_one((self.counter, 1u8));
        (u128::from(hi) << 64) | u128::from(lo)
    }
}

/// What a handler works with.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) scope: Scope,
    pub(crate) ids: RandomIds,
}

impl Ctx {
    /// One transaction over the caller's state.
    pub(crate) fn write<T>(
        &mut self,
        f: impl FnOnce(&mut AccountState, &mut dyn IdGen) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        transact(self.store.as_ref(), &self.scope, &mut self.ids, f)
    }

    /// A consistent read of the caller's state.
    pub(crate) fn read<T>(&mut self, f: impl FnOnce(&AccountState) -> T) -> Result<T, ApiError> {
        view(self.store.as_ref(), &self.scope, &mut self.ids, f)
    }

    pub(crate) fn arn(&self, kind: &str, id: &str) -> String {
        format!(
            "arn:aws:ec2:{}:{}:{kind}/{id}",
            self.scope.region, self.scope.account
        )
    }
}
