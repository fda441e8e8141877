//! Resource ids (`sg-…`, `sgr-…`, `vpc-…`, …) as validated newtypes, and the id generator
//! that callers pass in (this crate has no random source).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::error::{Ec2ErrorCode, IdError};

/// A source of fresh ids. The API server passes a random one, tests a [`SeqIdGen`].
pub trait IdGen {
    /// 68 fresh bits; only the low 68 bits are used (17 hex digits).
    fn next_bits(&mut self) -> u128;
    /// The instant of the operation these ids are for (an instance's launch time, an
    /// attachment's time): the caller's clock, read at its edge. The epoch by default, for
    /// offline tools and tests.
    fn now(&self) -> crate::Timestamp {
        crate::Timestamp::ZERO
    }
}

/// A deterministic id generator: 1, 2, 3, … (tests and offline tools).
#[derive(Debug, Clone, Default)]
pub struct SeqIdGen {
    next: u128,
}

impl SeqIdGen {
    pub fn starting_at(next: u128) -> Self {
        Self { next }
    }
}

impl IdGen for SeqIdGen {
    fn next_bits(&mut self) -> u128 {
        self.next += 1;
        self.next
    }
}

fn is_hex_id(rest: &str) -> bool {
    (rest.len() == 8 || rest.len() == 17)
        && rest
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Appends the low `digits` nibbles of `bits` to `out` as lowercase hex, most significant
/// first, zero-padded: ids and request ids are written this way (`format!` with a width
/// took a few hundred instructions per id).
pub fn push_hex(out: &mut String, bits: u128, digits: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for i in (0..digits).rev() {
        let nibble = (bits >> (4 * i)) & 0xf;
        out.push(char::from(HEX[usize::try_from(nibble).unwrap_or(0)]));
    }
}

/// `prefix` and the low 68 bits of `bits` as 17 lowercase hex digits.
fn hex_id(prefix: &str, bits: u128) -> String {
    let mut s = String::with_capacity(prefix.len() + 17);
    s.push_str(prefix);
    push_hex(&mut s, bits, 17);
    s
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $code:expr, $what:literal) => {
        $(#[$doc])*
        // Shared, immutable text: ids are cloned into every decision's matches, so a clone
        // must not allocate.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Arc<str>);

        impl $name {
            /// The prefix every id of this kind starts with.
            pub const PREFIX: &'static str = $prefix;

            /// A fresh id: the prefix and 17 lowercase hex digits.
            pub fn generate(ids: &mut dyn IdGen) -> Self {
                let bits = ids.next_bits() & ((1u128 << 68) - 1);
                Self(hex_id($prefix, bits).into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The id with the same hex digits as `other` (an id of another kind): for
            /// resources EC2 creates along with another one, such as a VPC's main route
            /// table, so creating them takes no fresh id.
            pub fn derived_from(other: &str) -> Self {
                let hex = other.rsplit('-').next().unwrap_or_default();
                Self(format!("{}{}", $prefix, hex).into())
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                match s.strip_prefix($prefix) {
                    Some(rest) if is_hex_id(rest) => Ok(Self(s.into())),
                    _ => Err(IdError::new($code, format!(
                            "Invalid id: \"{}\" (expecting \"{}...\")",
                            s, $prefix
                        ))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(
    /// A security group id, `sg-` and 8 or 17 hex digits.
    GroupId, "sg-", Ec2ErrorCode::InvalidGroupIdMalformed, "security group");
id_type!(
    /// A security group rule id, `sgr-` and 8 or 17 hex digits.
    RuleId, "sgr-", Ec2ErrorCode::InvalidSecurityGroupRuleIdMalformed, "security group rule");
id_type!(
    /// A VPC id.
    VpcId, "vpc-", Ec2ErrorCode::InvalidVpcIdMalformed, "VPC");
id_type!(
    /// A subnet id.
    SubnetId, "subnet-", Ec2ErrorCode::InvalidSubnetIdMalformed, "subnet");
id_type!(
    /// A network interface (ENI) id.
    EniId, "eni-", Ec2ErrorCode::InvalidNetworkInterfaceIdMalformed, "network interface");

impl EniId {
    /// An interface id as a number: its hex digits, tagged with their count so that
    /// `eni-0001` and `eni-00001` stay apart. Hashing and comparing it is cheaper than the
    /// string (the engine's and flow attribution's per-packet lookups). `None` for anything
    /// but `eni-` followed by 1..=29 lowercase hex digits; `id` need not be a valid id.
    #[inline]
    pub fn numeric_key(id: &str) -> Option<u128> {
        let hex = id.strip_prefix(Self::PREFIX)?.as_bytes();
        if hex.is_empty() || hex.len() > 29 {
            return None;
        }
        // Eight digits at a time (a real id has 8 or 17), then one at a time.
        let mut value: u128 = 0;
        let mut eights = hex.chunks_exact(8);
        for chunk in &mut eights {
            let word = u64::from_be_bytes(chunk.try_into().ok()?);
            value = value << 32 | u128::from(hex_digits8(word)?);
        }
        for &b in eights.remainder() {
            let digit = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                _ => return None,
            };
            value = value << 4 | u128::from(digit);
        }
        Some(value | (hex.len() as u128) << 116)
    }
}
id_type!(
    /// A managed prefix list id.
    PrefixListId, "pl-", Ec2ErrorCode::InvalidPrefixListIdMalformed, "prefix list");
id_type!(
    /// A VPC peering connection id.
    PeeringId, "pcx-", Ec2ErrorCode::InvalidVpcPeeringConnectionIdMalformed, "VPC peering connection");
id_type!(
    /// An instance id.
    InstanceId, "i-", Ec2ErrorCode::InvalidInstanceIdMalformed, "instance");

// --- routing: route tables, internet gateways, Elastic IPs, network ACLs ---
id_type!(
    /// A route table id.
    RouteTableId, "rtb-", Ec2ErrorCode::InvalidRouteTableIdMalformed, "route table");
id_type!(
    /// A route table association id (a subnet's, or a VPC's main association).
    RouteTableAssociationId, "rtbassoc-", Ec2ErrorCode::InvalidAssociationIdMalformed, "route table association");
id_type!(
    /// An internet gateway id.
    InternetGatewayId, "igw-", Ec2ErrorCode::InvalidInternetGatewayIdMalformed, "internet gateway");
id_type!(
    /// An Elastic IP address's allocation id.
    AllocationId, "eipalloc-", Ec2ErrorCode::InvalidAllocationIdMalformed, "allocation");
id_type!(
    /// An Elastic IP address's association id.
    AddressAssociationId, "eipassoc-", Ec2ErrorCode::InvalidAssociationIdMalformed, "address association");
id_type!(
    /// A network ACL id.
    NetworkAclId, "acl-", Ec2ErrorCode::InvalidNetworkAclIdMalformed, "network ACL");
id_type!(
    /// A network ACL association id.
    NetworkAclAssociationId, "aclassoc-", Ec2ErrorCode::InvalidAssociationIdMalformed, "network ACL association");

/// A 12-digit AWS account id, or `AWS` itself: the owner EC2 reports for AWS-managed
/// resources such as the managed prefix lists of AWS services (`"OwnerId": "AWS"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(String);

impl AccountId {
    /// The owner of AWS-managed resources.
    pub const AWS_MANAGED: &'static str = "AWS";

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for `AWS`, the owner of AWS-managed resources.
    pub fn is_aws_managed(&self) -> bool {
        self.0 == Self::AWS_MANAGED
    }
}

impl FromStr for AccountId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        if (s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())) || s == Self::AWS_MANAGED {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::new(
                Ec2ErrorCode::InvalidParameterValue,
                format!("Invalid account id: \"{s}\" (expecting 12 digits)"),
            ))
        }
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Eight lowercase hex digits (the first in the high byte) as a number, or `None` if any byte
/// is not one. Bytewise SWAR: every byte is below 0x80 once checked, so adding a constant
/// below 0x80 to each never carries into the next, and its high bit tells a comparison.
#[inline]
fn hex_digits8(word: u64) -> Option<u32> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = ONES * 0x80;
    if word & HIGH != 0 {
        return None;
    }
    let at_least = |b: u64| word.wrapping_add(ONES * (0x80 - b)) & HIGH;
    let digit = at_least(0x30) & !at_least(0x3a);
    let letter = at_least(0x61) & !at_least(0x67);
    if digit | letter != HIGH {
        return None;
    }
    // '0'..'9' are 0x30..0x39 and 'a'..'f' 0x61..0x66: the low nibble, plus 9 for a letter.
    let mut n = (word & (ONES * 0x0f)) + (letter >> 7) * 9;
    n = (n | n >> 4) & 0x00ff_00ff_00ff_00ff;
    n = (n | n >> 8) & 0x0000_ffff_0000_ffff;
    n = (n | n >> 16) & 0xffff_ffff;
    u32::try_from(n).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eni_keys_are_injective_on_valid_ids() {
        let ids = [
            "eni-0000000a",
            "eni-0000000000000000a",
            "eni-0000000b",
            "eni-fffffffffffffffff",
        ];
        let keys: Vec<Option<u128>> = ids.iter().map(|s| EniId::numeric_key(s)).collect();
        assert!(keys.iter().all(Option::is_some));
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    /// The digit-at-a-time reading `numeric_key` must agree with.
    fn key_by_digits(id: &str) -> Option<u128> {
        let hex = id.strip_prefix("eni-")?;
        if hex.is_empty() || hex.len() > 29 {
            return None;
        }
        let mut value: u128 = 0;
        for b in hex.bytes() {
            let digit = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                _ => return None,
            };
            value = value << 4 | u128::from(digit);
        }
        Some(value | (hex.len() as u128) << 116)
    }

    #[test]
    fn eni_keys_read_eight_digits_at_a_time_as_one_by_one() {
        let base = "0123456789abcdef0123456789abcdef";
        let mut n = 0;
        for len in 0..=31 {
            for at in 0..len {
                // Every ASCII byte and a few wider characters at every position.
                let wide = ['é', 'ÿ', '\u{100}', '\u{2070}'];
                let chars = (0u8..0x80).map(char::from).chain(wide);
                for c in chars {
                    let mut hex: String = base[..len].to_owned();
                    hex.replace_range(at..=at, c.encode_utf8(&mut [0; 4]));
                    let id = format!("eni-{hex}");
                    assert_eq!(EniId::numeric_key(&id), key_by_digits(&id), "{id:?}");
                    n += 1;
                }
            }
        }
        assert!(n > 60_000);
        for id in [
            "eni-",
            "eni-0",
            "eni-0123456789abcdef0",
            "sg-01234567",
            "eni-FFFFFFFF",
        ] {
            assert_eq!(EniId::numeric_key(id), key_by_digits(id), "{id:?}");
        }
    }

    #[test]
    fn ids_parse_and_reject() {
        assert!("sg-0123456789abcdef0".parse::<GroupId>().is_ok());
        assert!("sg-12345678".parse::<GroupId>().is_ok());
        let err = "sg-xyz".parse::<GroupId>().unwrap_err();
        assert_eq!(err.code(), Ec2ErrorCode::InvalidGroupIdMalformed);
        assert_eq!(
            "sgr-1".parse::<RuleId>().unwrap_err().code(),
            Ec2ErrorCode::InvalidSecurityGroupRuleIdMalformed
        );
        assert!("123456789012".parse::<AccountId>().is_ok());
        assert!("12345".parse::<AccountId>().is_err());
        assert!("AWS".parse::<AccountId>().unwrap().is_aws_managed());
        assert!("aws".parse::<AccountId>().is_err());
    }

    #[test]
    fn hex_ids_match_a_zero_padded_format() {
        for bits in [0, 1, 0xabc, (1u128 << 68) - 1, 0xf_0123_4567_89ab_cdef] {
            assert_eq!(hex_id("sgr-", bits), format!("sgr-{bits:017x}"));
        }
    }

    #[test]
    fn generated_ids_are_valid() {
        let mut ids = SeqIdGen::default();
        let id = GroupId::generate(&mut ids);
        assert_eq!(id.as_str(), "sg-00000000000000001");
        assert_eq!(id.as_str().parse::<GroupId>().unwrap(), id);
    }
}
