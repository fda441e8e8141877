//! Console sessions: a server-side table from a random token (the cookie's only content) to
//! the signed-in caller — account, access key id, region — and the session's CSRF token.
//! The secret key is checked once at sign-in and never stored, logged or sent back.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, header};
use palisade_model::AccountId;
use palisade_store::Scope;

/// The session cookie's name.
pub const COOKIE: &str = "palisade_console";
/// How long a session lives without a request (each request extends it).
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 60 * 60);

/// One signed-in person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub account: AccountId,
    pub access_key: String,
    pub region: String,
    /// Every state-changing form must carry this value.
    pub csrf: String,
    expires: SystemTime,
}

impl Session {
    /// The store scope every read and write of this session uses.
    pub fn scope(&self) -> Scope {
        Scope::new(self.account.clone(), self.region.clone())
    }
}

/// The session table.
#[derive(Debug)]
pub struct Sessions {
    ttl: Duration,
    map: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Opens a session; `None` when the system's random source fails (no session is then
    /// better than a guessable one).
    pub fn open(
        &self,
        now: SystemTime,
        account: AccountId,
        access_key: &str,
        region: &str,
    ) -> Option<String> {
        let token = random_token()?;
        let session = Session {
            account,
            access_key: access_key.to_owned(),
            region: region.to_owned(),
            csrf: random_token()?,
            expires: now + self.ttl,
        };
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.retain(|_, s| s.expires > now);
        map.insert(token.clone(), session);
        Some(token)
    }

    /// The live session of a token, its expiry pushed back.
    pub fn get(&self, token: &str, now: SystemTime) -> Option<Session> {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let session = map.get_mut(token)?;
        if session.expires <= now {
            map.remove(token);
            return None;
        }
        session.expires = now + self.ttl;
        Some(session.clone())
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn close(&self, token: &str) {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.remove(token);
    }

    pub fn len(&self) -> usize {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// 32 bytes from the OS, hex.
fn random_token() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The session token of a request's cookie header.
pub(crate) fn token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// The `Set-Cookie` value opening a session.
pub(crate) fn set_cookie(token: &str, ttl: Duration) -> String {
    format!(
        "{COOKIE}={token}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={}",
        ttl.as_secs()
    )
}

/// The `Set-Cookie` value ending one.
pub(crate) fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// Compares a secret or a token without an early exit on the first differing byte.
pub(crate) fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::{Sessions, same, token};
    use axum::http::{HeaderMap, HeaderValue, header};

    #[test]
    fn a_session_expires_when_idle_past_its_ttl_and_each_use_extends_it() {
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let ttl = Duration::from_secs(60);
        let sessions = Sessions::new(ttl);
        let tok = sessions
            .open(t0, "111111111111".parse().unwrap(), "AKID", "us-east-1")
            .unwrap();
        assert_eq!(tok.len(), 64);
        assert!(sessions.get(&tok, t0 + Duration::from_secs(59)).is_some());
        // Used at 59 s, so alive until 119 s.
        assert!(sessions.get(&tok, t0 + Duration::from_secs(118)).is_some());
        assert!(sessions.get(&tok, t0 + Duration::from_secs(300)).is_none());
        // An expired session is gone, not revived.
        assert!(sessions.get(&tok, t0).is_none());
        assert!(sessions.is_empty());
    }

    #[test]
    fn tokens_differ_and_csrf_is_not_the_session_token() {
        let t0 = UNIX_EPOCH;
        let sessions = Sessions::new(Duration::from_secs(60));
        let a = sessions
            .open(t0, "111111111111".parse().unwrap(), "AKID", "us-east-1")
            .unwrap();
        let b = sessions
            .open(t0, "111111111111".parse().unwrap(), "AKID", "us-east-1")
            .unwrap();
        assert_ne!(a, b);
        let s = sessions.get(&a, t0).unwrap();
        assert_ne!(s.csrf, a);
        assert_eq!(sessions.len(), 2);
        sessions.close(&a);
        assert!(sessions.get(&a, t0).is_none());
    }

    #[test]
    fn the_cookie_header_yields_only_the_console_token() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; palisade_console=abc; b=2"),
        );
        assert_eq!(token(&h).as_deref(), Some("abc"));
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("palisade_consolex=abc"),
        );
        assert_eq!(token(&h), None);
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
    }
}
