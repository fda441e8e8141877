//! Host records shared through the store, so that with several servers on one database
//! (PostgreSQL) `hosts` on any of them lists the agents watching every one. Each server
//! writes the records of the hosts it serves (what changed, and the connected ones once a
//! heartbeat to show they are alive) at most every [`FLUSH_EVERY`]; a server lists its own
//! hosts from memory and the others' from the store, judging those by the age of their
//! last sign of life.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::HostStatus;

/// How soon a host's change reaches the store (when it is shared).
pub(super) const FLUSH_EVERY: Duration = Duration::from_millis(50);

/// One host's record as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct StoredHost {
    /// The server the host watches (a random id per server process).
    pub(super) server: String,
    pub(super) interfaces: Vec<String>,
    pub(super) enforced: Option<i64>,
    pub(super) error: Option<String>,
    pub(super) connected: bool,
    pub(super) view_version: i64,
    /// Unix milliseconds of the host's last sign of life.
    pub(super) seen_ms: u64,
}

impl StoredHost {
    /// The same record but for when it was seen: what a flush compares to know whether
    /// the record changed.
    pub(super) fn same_content(&self, other: &Self) -> bool {
        // Field by field: a flush compares every host every 50 ms, so no copies.
        let Self {
            server,
            interfaces,
            enforced,
            error,
            connected,
            view_version,
            seen_ms: _,
        } = self;
        *server == other.server
            && *interfaces == other.interfaces
            && *enforced == other.enforced
            && *error == other.error
            && *connected == other.connected
            && *view_version == other.view_version
    }

    /// The host as `hosts` lists it, `now_ms` being this server's clock; stale once its
    /// server has not refreshed it for `stale_after`.
    pub(super) fn status(
        &self,
        host: &str,
        now_ms: u64,
        stale_after: Duration,
        version: i64,
    ) -> HostStatus {
        let age = now_ms.saturating_sub(self.seen_ms);
        let stale = u128::from(age) > stale_after.as_millis();
        let status = match (self.connected, stale) {
            (_, true) => "stale",
            (true, false) => "connected",
            (false, false) => "disconnected",
        };
        HostStatus {
            host: host.to_owned(),
            interfaces: self.interfaces.clone(),
            status: status.to_owned(),
            version: self.enforced,
            view_version: self.view_version,
            lag: lag(self.enforced, self.view_version, version),
            last_error: self.error.clone(),
            seen_ms_ago: age,
        }
    }
}

/// How many versions a host is behind: 0 when it enforces its view's last change.
pub(super) fn lag(enforced: Option<i64>, view_version: i64, version: i64) -> i64 {
    match enforced {
        Some(e) if e >= view_version => 0,
        Some(e) => (version - e).max(0),
        None => version,
    }
}

/// Unix milliseconds now.
pub(super) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(connected: bool, seen_ms: u64) -> StoredHost {
        StoredHost {
            server: "a".into(),
            interfaces: vec!["eni-00000000000000001".into()],
            enforced: Some(7),
            error: None,
            connected,
            view_version: 5,
            seen_ms,
        }
    }

    #[test]
    fn a_stored_host_is_judged_by_the_age_of_its_last_sign_of_life() {
        let stale = Duration::from_secs(15);
        let s = host(true, 100_000).status("h", 110_000, stale, 9);
        assert_eq!(
            (s.status.as_str(), s.lag, s.seen_ms_ago),
            ("connected", 0, 10_000)
        );
        assert_eq!(
            host(false, 100_000).status("h", 110_000, stale, 9).status,
            "disconnected"
        );
        // Its server stopped refreshing it (gone, or cut off from the database).
        assert_eq!(
            host(true, 100_000).status("h", 116_000, stale, 9).status,
            "stale"
        );
        assert!(host(true, 1).same_content(&host(true, 2)));
        assert!(!host(true, 1).same_content(&host(false, 1)));
        assert_eq!(lag(Some(3), 5, 9), 6);
        assert_eq!(lag(None, 5, 9), 9);
    }
}
