//! Several servers on one PostgreSQL database: a thread listening to the store's change
//! notifications (`palisade_store::PgListener`) wakes this server's change feed for writes
//! made through any server, so their watchers get deltas as promptly as local writes.
//! A lost listening connection is reopened with back-off; every scope is then refreshed,
//! since notifications sent while it was down are lost.

use std::time::Duration;

use palisade_store::{PgListener, StoreError};

use super::Hub;

/// How long one wait for notifications lasts (the thread's only timer).
const WAIT: Duration = Duration::from_secs(1);

/// Connects once with `config` (so a bad database stops the start), then follows in a
/// thread for the process's lifetime.
pub fn listen_postgres(config: postgres::Config, hub: Hub) -> Result<(), StoreError> {
    let listener = PgListener::with_config(config.clone())?;
    let spawned = std::thread::Builder::new()
        .name("pg-listen".into())
        .spawn(move || follow(&config, listener, &hub));
    if let Err(e) = spawned {
        tracing::error!("cannot start the PostgreSQL notification thread: {e}");
    }
    Ok(())
}

fn follow(config: &postgres::Config, mut listener: PgListener, hub: &Hub) {
    let mut backoff = Duration::from_millis(200);
    loop {
        match listener.wait(WAIT) {
            Ok(scopes) => {
                for scope in scopes {
                    hub.changed(scope);
                }
                continue;
            }
            Err(e) => tracing::warn!("PostgreSQL notifications lost: {e}; reconnecting"),
        }
        loop {
            std::thread::sleep(backoff);
            match PgListener::with_config(config.clone()) {
                Ok(l) => {
                    listener = l;
                    backoff = Duration::from_millis(200);
                    hub.changed_all();
                    break;
                }
                Err(e) => {
                    tracing::warn!("reconnecting to PostgreSQL for notifications: {e}");
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }
}
