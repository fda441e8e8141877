//! Change notifications between servers sharing one PostgreSQL database: every write sends
//! `NOTIFY palisade_scopes, 'ACCOUNT/REGION'` inside its transaction (`postgres.rs`), which
//! PostgreSQL delivers to every listening connection when, and only if, the write commits.
//! A [`PgListener`] is one such connection, used by a server to wake its change feed for
//! writes other servers made. A listener never polls the scopes' rows.

use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, Config, NoTls};

use crate::{Scope, StoreError};

/// The channel writes notify.
pub(crate) const CHANNEL: &str = "palisade_scopes";

/// One connection listening to the `palisade_scopes` channel.
pub struct PgListener {
    client: Client,
}

impl std::fmt::Debug for PgListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgListener").finish_non_exhaustive()
    }
}

impl PgListener {
    /// Connects to `url` and starts listening.
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        Self::with_config(url.parse()?)
    }

    /// Connects with `config` and starts listening.
    pub fn with_config(config: Config) -> Result<Self, StoreError> {
        let mut client = config.connect(NoTls)?;
        client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
        Ok(Self { client })
    }

    /// The scopes written since the last call, waiting up to `timeout` for the first one
    /// (an empty list when none came). A payload that is not a scope is skipped.
    pub fn wait(&mut self, timeout: Duration) -> Result<Vec<Scope>, StoreError> {
        let mut out = Vec::new();
        let mut notes = self.client.notifications();
        let mut iter = notes.timeout_iter(timeout);
        while let Some(note) = iter.next()? {
            if let Some(scope) = parse_scope(note.payload()) {
                out.push(scope);
            }
            // The rest that already arrived, without waiting again.
            if iter.size_hint().0 == 0 {
                break;
            }
        }
        drop(iter);
        let mut rest = notes.iter();
        while let Some(note) = rest.next()? {
            if let Some(scope) = parse_scope(note.payload()) {
                out.push(scope);
            }
        }
        Ok(out)
    }
}

/// `ACCOUNT/REGION` as [`Scope`]'s `Display` writes it.
fn parse_scope(payload: &str) -> Option<Scope> {
    let (account, region) = payload.split_once('/')?;
    crate::scope_row(account, region.to_owned()).ok()
}
