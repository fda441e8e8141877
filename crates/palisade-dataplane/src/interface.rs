//! The interfaces that live on one host: an ENI id and the Linux name of the host-side end
//! of the link to the instance that owns it.

use std::fmt;
use std::str::FromStr;

use palisade_model::EniId;
use thiserror::Error;

/// One local interface: `ENI_ID=IFNAME` on the command line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalInterface {
    pub eni: EniId,
    ifname: String,
    /// The instance forwards others' traffic through this interface: its source/destination
    /// check is off, so anti-spoofing does not drop what it sends from other addresses.
    forwards: bool,
}

/// A malformed `ENI_ID=IFNAME` mapping.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InterfaceError {
    #[error("interface mapping '{0}' is not ENI_ID=IFNAME")]
    Malformed(String),
    #[error("interface mapping '{mapping}': {reason}")]
    BadEni { mapping: String, reason: String },
    #[error(
        "interface name '{0}' is invalid (1 to 15 characters of a-z A-Z 0-9 . _ - @ :, as Linux allows)"
    )]
    BadIfname(String),
}

impl LocalInterface {
    /// Validates the Linux interface name (`IFNAMSIZ` is 16 with the NUL; nft quotes it, so
    /// quotes, spaces and slashes are refused).
    pub fn new(eni: EniId, ifname: &str) -> Result<Self, InterfaceError> {
        let ok_char = |c: char| c.is_ascii_alphanumeric() || "._-@:".contains(c);
        if ifname.is_empty() || ifname.len() > 15 || !ifname.chars().all(ok_char) {
            return Err(InterfaceError::BadIfname(ifname.to_owned()));
        }
        Ok(Self {
            eni,
            ifname: ifname.to_owned(),
            forwards: false,
        })
    }

    /// The same interface with its source/destination check off (EC2 UG "Source/destination
    /// checking"): what it sends from addresses not its own is forwarded traffic, which the
    /// ruleset lets through anti-spoofing but marks so that no group reference admits it.
    #[must_use]
    pub fn forwarding(self) -> Self {
        Self {
            forwards: true,
            ..self
        }
    }

    pub fn ifname(&self) -> &str {
        &self.ifname
    }

    pub fn forwards(&self) -> bool {
        self.forwards
    }
}

impl FromStr for LocalInterface {
    type Err = InterfaceError;
    fn from_str(s: &str) -> Result<Self, InterfaceError> {
        let Some((eni, ifname)) = s.split_once('=') else {
            return Err(InterfaceError::Malformed(s.to_owned()));
        };
        let eni = eni
            .trim()
            .parse::<EniId>()
            .map_err(|e| InterfaceError::BadEni {
                mapping: s.to_owned(),
                reason: e.to_string(),
            })?;
        Self::new(eni, ifname.trim())
    }
}

impl fmt::Display for LocalInterface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.eni, self.ifname)
    }
}
