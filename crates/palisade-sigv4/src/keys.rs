//! Access keys: `ACCESS_KEY_ID SECRET_ACCESS_KEY ACCOUNT_ID` per line (`#` comments and blank
//! lines ignored), each bound to a 12-digit account.

use std::collections::HashMap;
use std::sync::Mutex;

use palisade_model::AccountId;

/// A secret and the account it acts for.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey {
    pub secret: String,
    pub account: AccountId,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// The configured access keys, and the signing keys derived from them.
#[derive(Debug, Default)]
pub struct KeyRing {
    keys: HashMap<String, SecretKey>,
    signing: SigningKeys,
}

/// A clone starts with an empty signing-key cache (derived keys are a cache, not state).
impl Clone for KeyRing {
    fn clone(&self) -> Self {
        Self {
            keys: self.keys.clone(),
            signing: SigningKeys::default(),
        }
    }
}

/// The most signing keys kept; past it the cache starts over. One key serves one access
/// key for one day, region and service, so a server needs a handful per client.
pub const SIGNING_KEYS_KEPT: usize = 1024;

/// Derived signing keys by `ACCESS_KEY/DATE/REGION/SERVICE` (the credential scope, whose
/// parts never hold a `/`): "kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region),
/// service), "aws4_request")" (AWS General Reference, "Calculate the signature"), so four
/// HMACs are saved on every request after a scope's first.
#[derive(Debug, Default)]
struct SigningKeys {
    map: Mutex<HashMap<String, [u8; 32]>>,
}

/// A bad line in a keys file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct KeysError {
    pub line: usize,
    pub message: String,
}

impl KeyRing {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a keys file's text.
    pub fn parse(text: &str) -> Result<Self, KeysError> {
        let mut ring = Self::new();
        for (idx, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |message: String| KeysError {
                line: idx + 1,
                message,
            };
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [key, secret, account] = fields.as_slice() else {
                return Err(err(
                    "expected ACCESS_KEY_ID SECRET_ACCESS_KEY ACCOUNT_ID".into()
                ));
            };
            let account: AccountId = account
                .parse()
                .map_err(|e: palisade_model::IdError| err(e.to_string()))?;
            if account.is_aws_managed() {
                return Err(err(
                    "ACCOUNT_ID must be a 12-digit account id, not 'AWS'".into()
                ));
            }
            ring.insert(key, secret, account);
        }
        Ok(ring)
    }

    pub fn insert(&mut self, access_key: &str, secret: &str, account: AccountId) {
        // A replaced secret must not keep verifying through keys derived from the old one.
        self.signing = SigningKeys::default();
        self.keys.insert(
            access_key.to_owned(),
            SecretKey {
                secret: secret.to_owned(),
                account,
            },
        );
    }

    pub fn get(&self, access_key: &str) -> Option<&SecretKey> {
        self.keys.get(access_key)
    }

    /// The signing key of `access_key`'s secret for one scope, derived by `derive` from the
    /// secret on first use and kept (at most [`SIGNING_KEYS_KEPT`]); `None` for an unknown
    /// key.
    pub(crate) fn signing_key(
        &self,
        access_key: &str,
        (date, region, service): (&str, &str, &str),
        derive: impl FnOnce(&str) -> [u8; 32],
    ) -> Option<(&SecretKey, [u8; 32])> {
        let secret = self.keys.get(access_key)?;
        let scope = format!("{access_key}/{date}/{region}/{service}");
        // A poisoned lock only means another thread panicked mid-insert of a plain map
        // entry: the map is still a valid cache.
        let mut map = self
            .signing
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(key) = map.get(&scope) {
            return Some((secret, *key));
        }
        let key = derive(&secret.secret);
        if map.len() >= SIGNING_KEYS_KEPT {
            map.clear();
        }
        map.insert(scope, key);
        Some((secret, key))
    }

    /// How many signing keys are cached (tests).
    pub fn signing_keys_cached(&self) -> usize {
        self.signing.map.lock().map_or(0, |map| map.len())
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_file_parses_and_rejects() {
        let ring = KeyRing::parse("# comment\nAKID1 secret1 111111111111\n").unwrap();
        assert_eq!(ring.get("AKID1").unwrap().account.as_str(), "111111111111");
        assert_eq!(KeyRing::parse("AKID1 secret1").unwrap_err().line, 1);
        assert_eq!(KeyRing::parse("\nAKID1 s 12345").unwrap_err().line, 2);
        // `AWS` is an owner of managed resources, never a caller's account.
        assert!(KeyRing::parse("AKID1 secret1 AWS").is_err());
    }
}
