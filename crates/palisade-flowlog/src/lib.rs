//! VPC Flow Logs records ("Flow log records", VPC User Guide): the default format (the
//! fourteen version-2 fields) and custom formats naming any version 2–5 fields in any order,
//! given as a `--log-format` string (`${srcaddr} ${dstaddr} …`) or read from the header line
//! that the S3 delivery writes at the top of each file.
//!
//! A [`Record`] borrows its text fields from the line; parsing allocates nothing (the engine
//! behind `palisade flows` attributes millions of records a second). `-` (no value) reads
//! as `None`. Fields of later versions (ECS, `reject-reason`, …) are accepted in a format
//! and skipped.
//!
//! Pure: the caller hands over lines; no file, clock or environment is read here.

use std::fmt;
use std::net::IpAddr;

use thiserror::Error;

/// A field of a flow log record, as AWS names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Version,
    AccountId,
    InterfaceId,
    SrcAddr,
    DstAddr,
    SrcPort,
    DstPort,
    Protocol,
    Packets,
    Bytes,
    Start,
    End,
    Action,
    LogStatus,
    VpcId,
    SubnetId,
    InstanceId,
    TcpFlags,
    Type,
    PktSrcAddr,
    PktDstAddr,
    Region,
    AzId,
    SublocationType,
    SublocationId,
    PktSrcAwsService,
    PktDstAwsService,
    FlowDirection,
    TrafficPath,
    /// A field this parser does not read (a later version's); its value is skipped.
    Other,
}

/// Every field of versions 2–5 with its name, in the order of the AWS field table.
const NAMES: [(Field, &str); 29] = [
    (Field::Version, "version"),
    (Field::AccountId, "account-id"),
    (Field::InterfaceId, "interface-id"),
    (Field::SrcAddr, "srcaddr"),
    (Field::DstAddr, "dstaddr"),
    (Field::SrcPort, "srcport"),
    (Field::DstPort, "dstport"),
    (Field::Protocol, "protocol"),
    (Field::Packets, "packets"),
    (Field::Bytes, "bytes"),
    (Field::Start, "start"),
    (Field::End, "end"),
    (Field::Action, "action"),
    (Field::LogStatus, "log-status"),
    (Field::VpcId, "vpc-id"),
    (Field::SubnetId, "subnet-id"),
    (Field::InstanceId, "instance-id"),
    (Field::TcpFlags, "tcp-flags"),
    (Field::Type, "type"),
    (Field::PktSrcAddr, "pkt-srcaddr"),
    (Field::PktDstAddr, "pkt-dstaddr"),
    (Field::Region, "region"),
    (Field::AzId, "az-id"),
    (Field::SublocationType, "sublocation-type"),
    (Field::SublocationId, "sublocation-id"),
    (Field::PktSrcAwsService, "pkt-src-aws-service"),
    (Field::PktDstAwsService, "pkt-dst-aws-service"),
    (Field::FlowDirection, "flow-direction"),
    (Field::TrafficPath, "traffic-path"),
];

/// Fields of later versions that a format may name; their values are skipped.
const LATER: [&str; 14] = [
    "ecs-cluster-arn",
    "ecs-cluster-name",
    "ecs-container-instance-arn",
    "ecs-container-instance-id",
    "ecs-container-id",
    "ecs-second-container-id",
    "ecs-service-name",
    "ecs-task-definition-arn",
    "ecs-task-arn",
    "ecs-task-id",
    "reject-reason",
    "resource-id",
    "encryption-status",
    "traffic-type",
];

impl Field {
    /// The field named `name` (`srcaddr`, `log-status`, …), if it is one of versions 2–5.
    pub fn from_name(name: &str) -> Option<Self> {
        NAMES.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }

    /// AWS's name of the field (`other` for a skipped one).
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("other", |(_, n)| *n)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a format string or header was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FormatError {
    #[error("the format names no field")]
    Empty,
    #[error("unknown flow log field `{0}`")]
    UnknownField(String),
    #[error("field `{0}` appears twice")]
    Duplicate(&'static str),
}

/// The fields of a log's records, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    fields: Vec<Field>,
    /// The fields are the default format's (read by [`read_v2`] first).
    v2: bool,
}

/// The default format's fields: the fourteen of version 2, in the AWS table's order.
const V2: [Field; 14] = {
    let mut f = [Field::Other; 14];
    let mut i = 0;
    while i < 14 {
        f[i] = NAMES[i].0;
        i += 1;
    }
    f
};

impl Default for Format {
    /// The default format: the fourteen version-2 fields.
    fn default() -> Self {
        Self::new(V2.to_vec())
    }
}

impl Format {
    fn new(fields: Vec<Field>) -> Self {
        let v2 = fields == V2;
        Self { fields, v2 }
    }

    /// A format from AWS's `LogFormat` syntax (`${version} ${srcaddr} …`) or the bare names a
    /// header line carries (`version srcaddr …`), separated by spaces.
    pub fn parse(spec: &str) -> Result<Self, FormatError> {
        let mut fields = Vec::new();
        for token in spec.split_ascii_whitespace() {
            let name = token
                .strip_prefix("${")
                .and_then(|t| t.strip_suffix('}'))
                .unwrap_or(token);
            let field = match Field::from_name(name) {
                Some(f) => f,
                None if LATER.contains(&name) => Field::Other,
                None => return Err(FormatError::UnknownField(name.to_owned())),
            };
            if field != Field::Other && fields.contains(&field) {
                return Err(FormatError::Duplicate(field.name()));
            }
            fields.push(field);
        }
        if fields.is_empty() {
            return Err(FormatError::Empty);
        }
        Ok(Self::new(fields))
    }

    /// The format a header line declares, or `None` when the line is a record: a header
    /// is field names only (lowercase letters, digits and dashes), one of them a v2–v5 field.
    pub fn from_header(line: &str) -> Option<Result<Self, FormatError>> {
        let mut known = false;
        for token in line.split_ascii_whitespace() {
            let name_like = token.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
                && token
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !name_like {
                return None;
            }
            known |= Field::from_name(token).is_some();
        }
        known.then(|| Self::parse(line))
    }

    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    pub fn has(&self, field: Field) -> bool {
        self.fields.contains(&field)
    }

    /// The format in AWS's `LogFormat` syntax.
    pub fn spec(&self) -> String {
        let names: Vec<String> = self
            .fields
            .iter()
            .map(|f| format!("${{{}}}", f.name()))
            .collect();
        names.join(" ")
    }

    /// Parses one record line of this format.
    pub fn record<'a>(&self, line: &'a str) -> Result<Record<'a>, RecordError> {
        let mut rec = Record::default();
        self.record_into(line, &mut rec)?;
        Ok(rec)
    }

    /// Parses one record line of this format into `rec` (every field is written; after an
    /// error, `rec` holds some of the line's fields). In place, because the 400-byte record
    /// returned by value was copied two or three times a line (`memmove` in profiles).
    pub fn record_into<'a>(&self, line: &'a str, rec: &mut Record<'a>) -> Result<(), RecordError> {
        if self.v2 && read_v2(line, rec) {
            return Ok(());
        }
        self.record_general(line, rec)
    }

    /// Any format, any line: the reference [`read_v2`] agrees with.
    fn record_general<'a>(&self, line: &'a str, rec: &mut Record<'a>) -> Result<(), RecordError> {
        *rec = Record::default();
        let mut tokens = Tokens::new(line);
        for &field in &self.fields {
            let Some(token) = tokens.next() else {
                return Err(RecordError::FieldCount {
                    expected: self.fields.len(),
                    found: line.split_ascii_whitespace().count(),
                });
            };
            if token == "-" {
                continue;
            }
            rec.set(field, token)?;
        }
        if tokens.next().is_some() {
            return Err(RecordError::FieldCount {
                expected: self.fields.len(),
                found: line.split_ascii_whitespace().count(),
            });
        }
        Ok(())
    }
}

/// A default-format line as nearly every one is: fields one space apart, numbers of at
/// most 19 digits, dotted-quad IPv4 (other addresses by [`parse_addr`]), no `-`, nothing
/// after `log-status`. Read in one pass, each field straight from the bytes (no token
/// split first). `false` (with `rec` untouched) means "not read here", not "invalid": the
/// general path reads the line again and gives the answer or the error, so this only
/// needs to agree with it whenever it answers (a property test compares them).
#[inline]
fn read_v2<'a>(line: &'a str, rec: &mut Record<'a>) -> bool {
    read_v2_fields(line).is_some_and(|r| {
        *rec = r;
        true
    })
}

#[inline(always)]
fn read_v2_fields(line: &str) -> Option<Record<'_>> {
    let b = line.as_bytes();
    let mut i = 0;
    let version = u8::try_from(decimal(b, &mut i)?).ok()?;
    space(b, &mut i)?;
    let account_id = text(line, &mut i)?;
    let interface_id = text(line, &mut i)?;
    let src_addr = address(line, &mut i)?;
    let dst_addr = address(line, &mut i)?;
    let src_port = u16::try_from(decimal(b, &mut i)?).ok()?;
    space(b, &mut i)?;
    let dst_port = u16::try_from(decimal(b, &mut i)?).ok()?;
    space(b, &mut i)?;
    let protocol = u8::try_from(decimal(b, &mut i)?).ok()?;
    space(b, &mut i)?;
    let packets = decimal(b, &mut i)?;
    space(b, &mut i)?;
    let bytes = decimal(b, &mut i)?;
    space(b, &mut i)?;
    let start = decimal(b, &mut i)?;
    space(b, &mut i)?;
    let end = decimal(b, &mut i)?;
    space(b, &mut i)?;
    // `ACCEPT ` and `REJECT `: seven bytes of one word.
    const SEVEN: u64 = (1 << 56) - 1;
    let action = match word(b, i) & SEVEN {
        w if w == u64::from_le_bytes(*b"ACCEPT \0") => Action::Accept,
        w if w == u64::from_le_bytes(*b"REJECT \0") => Action::Reject,
        _ => return None,
    };
    let log_status = match b.get(i + 7..)? {
        b"OK" => LogStatus::Ok,
        b"NODATA" => LogStatus::NoData,
        b"SKIPDATA" => LogStatus::SkipData,
        _ => return None,
    };
    Some(Record {
        version: Some(version),
        account_id: Some(account_id),
        interface_id: Some(interface_id),
        src_addr: Some(src_addr),
        dst_addr: Some(dst_addr),
        src_port: Some(src_port),
        dst_port: Some(dst_port),
        protocol: Some(protocol),
        packets: Some(packets),
        bytes: Some(bytes),
        start: Some(start),
        end: Some(end),
        action: Some(action),
        log_status: Some(log_status),
        ..Record::default()
    })
}

/// The eight bytes of `b` from `i`, little-endian (bytes past the end read as zero).
#[inline(always)]
fn word(b: &[u8], i: usize) -> u64 {
    if let Some(w) = b.get(i..i + 8) {
        return <[u8; 8]>::try_from(w).map_or(0, u64::from_le_bytes);
    }
    let mut chunk = [0u8; 8];
    let tail = b.get(i..).unwrap_or_default();
    chunk[..tail.len()].copy_from_slice(tail);
    u64::from_le_bytes(chunk)
}

/// The decimal digits that start `w` (SWAR, no branch a digit): how many (0–8) and their
/// value.
#[inline(always)]
fn digit_run(w: u64) -> (usize, u64) {
    const LOW: u64 = 0x0f0f_0f0f_0f0f_0f0f;
    let x = w ^ 0x3030_3030_3030_3030;
    // A byte is a digit when, after the XOR, its high nibble is 0 and its low one below 10
    // (adding 6 carries into the high nibble from 10 up, never into the next byte).
    let odd = (x | ((x & LOW) + 0x0606_0606_0606_0606)) & !LOW;
    let n = (odd.trailing_zeros() / 8) as usize;
    if n == 0 {
        return (0, 0);
    }
    // The digits moved to the top bytes, zeros (leading zero digits) below them; then
    // pairs, fours and eights of digits are combined (three multiplications).
    let v = (x << (64 - 8 * n)) & LOW;
    let v = (v.wrapping_mul(10 << 8 | 1) >> 8) & 0x00ff_00ff_00ff_00ff;
    let v = (v.wrapping_mul(100 << 16 | 1) >> 16) & 0x0000_ffff_0000_ffff;
    (n, v.wrapping_mul(10_000 << 32 | 1) >> 32)
}

/// A decimal number of 1–19 digits at `i` (never overflowing), `i` moved past it.
#[inline(always)]
fn decimal(b: &[u8], i: &mut usize) -> Option<u64> {
    const POW10: [u64; 9] = [
        1,
        10,
        100,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
    ];
    let (mut len, mut value) = digit_run(word(b, *i));
    if len == 0 {
        return None;
    }
    if len == 8 {
        loop {
            let (n, v) = digit_run(word(b, *i + len));
            value = value.wrapping_mul(POW10[n]).wrapping_add(v);
            len += n;
            if n < 8 || len > 19 {
                break;
            }
        }
        if len > 19 {
            return None;
        }
    }
    *i += len;
    Some(value)
}

/// The single space expected at `i`, stepped over.
#[inline(always)]
fn space(b: &[u8], i: &mut usize) -> Option<()> {
    (b.get(*i) == Some(&b' ')).then(|| *i += 1)
}

/// A text field at `i` up to the next space (stepped over): not empty, not `-`.
#[inline(always)]
fn text<'a>(line: &'a str, i: &mut usize) -> Option<&'a str> {
    let b = line.as_bytes();
    let start = *i;
    let mut base = start;
    let end = loop {
        let spaces = space_mask(b, base);
        if spaces != 0 {
            break base + (spaces.trailing_zeros() / 8) as usize;
        }
        base += 8;
        if base >= b.len() {
            return None;
        }
    };
    // `end` is a space, `start` the line's start or just past a space: char boundaries.
    let token = line.get(start..end)?;
    if token.is_empty() || token == "-" {
        return None;
    }
    *i = end + 1;
    Some(token)
}

/// An address at `i` and the space after it (stepped over): dotted-quad IPv4 read octet by
/// octet, anything else by [`parse_addr`].
#[inline(always)]
fn address(line: &str, i: &mut usize) -> Option<IpAddr> {
    let b = line.as_bytes();
    if let Some(a) = dotted_quad(b, *i) {
        let (a, len) = a;
        if b.get(*i + len) == Some(&b' ') {
            *i += len + 1;
            return Some(IpAddr::V4(a.into()));
        }
    }
    let start = *i;
    let mut j = start;
    let token = text(line, &mut j)?;
    let a = parse_addr(token)?;
    *i = j;
    Some(a)
}

/// `a.b.c.d` at `i` as [`parse_v4`] reads it (each part 0–255, no leading zeros), and its
/// length.
#[inline(always)]
fn dotted_quad(b: &[u8], i: usize) -> Option<([u8; 4], usize)> {
    let mut octets = [0u8; 4];
    let mut at = i;
    for (k, octet) in octets.iter_mut().enumerate() {
        let w = word(b, at);
        let (n, v) = digit_run(w);
        // One to three digits, no leading zero (a lone `0` is none).
        if n == 0 || n > 3 || (n > 1 && w & 0xff == u64::from(b'0')) {
            return None;
        }
        *octet = u8::try_from(v).ok()?;
        at += n;
        if k < 3 {
            if b.get(at) != Some(&b'.') {
                return None;
            }
            at += 1;
        }
    }
    Some((octets, at - i))
}

/// The space-separated tokens of a line (runs of spaces count as one): the hot loop of
/// `palisade flows`. The line is scanned eight bytes at a time for its spaces (SWAR: a
/// word's zero bytes after XOR with spaces, found exactly, without a borrow between bytes),
/// so a token costs a few instructions instead of a search call of its own.
struct Tokens<'a> {
    line: &'a str,
    /// Where the current eight-byte chunk starts.
    base: usize,
    /// The spaces of the chunk not yet consumed: bit 8i+7 set for a space at `base + i`.
    spaces: u64,
    /// Where the next token starts.
    pos: usize,
    done: bool,
}

impl<'a> Tokens<'a> {
    fn new(line: &'a str) -> Self {
        Self {
            line,
            base: 0,
            spaces: space_mask(line.as_bytes(), 0),
            pos: 0,
            done: false,
        }
    }
}

/// The spaces among the eight bytes of `b` from `base` (bytes past the end count as none).
#[inline(always)]
fn space_mask(b: &[u8], base: usize) -> u64 {
    let mut chunk = [0u8; 8];
    match b.get(base..base + 8) {
        Some(full) => chunk.copy_from_slice(full),
        None => {
            let tail = b.get(base..).unwrap_or_default();
            chunk[..tail.len()].copy_from_slice(tail);
        }
    }
    // Bytes past the end are zero, which XOR with 0x20 leaves nonzero: not spaces.
    let x = u64::from_le_bytes(chunk) ^ 0x2020_2020_2020_2020;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // High bit of each byte: set exactly where the byte of `x` is zero.
    !(((x & LOW7) + LOW7) | x | LOW7)
}

impl<'a> Iterator for Tokens<'a> {
    type Item = &'a str;

    // Inlined into the field loop of `Format::record`, its state stays in registers.
    #[inline(always)]
    fn next(&mut self) -> Option<&'a str> {
        let len = self.line.len();
        loop {
            while self.spaces == 0 {
                self.base += 8;
                if self.base >= len {
                    if self.done {
                        return None;
                    }
                    self.done = true;
                    let token = &self.line[self.pos.min(len)..];
                    self.pos = len;
                    return (!token.is_empty()).then_some(token);
                }
                self.spaces = space_mask(self.line.as_bytes(), self.base);
            }
            let end = self.base + (self.spaces.trailing_zeros() / 8) as usize;
            self.spaces &= self.spaces - 1;
            // Both ends sit next to an ASCII space or the line's ends: char boundaries.
            let token = &self.line[self.pos..end];
            self.pos = end + 1;
            if !token.is_empty() {
                return Some(token);
            }
        }
    }
}

/// An address: dotted-quad IPv4 and colon-hex IPv6 read directly in one pass (nearly
/// every record), anything else (an IPv6 address ending in a dotted quad, or text that is
/// no address) by `std`.
#[inline]
fn parse_addr(token: &str) -> Option<IpAddr> {
    let b = token.as_bytes();
    if b.len() <= 15 && b.first().is_some_and(u8::is_ascii_digit) {
        if let Some(a) = parse_v4(b) {
            return Some(IpAddr::from(a));
        }
        if !b.contains(&b':') {
            return None;
        }
    }
    if let Some(a) = parse_v6(b) {
        return Some(IpAddr::from(a));
    }
    token.parse().ok()
}

/// Each byte's value as a hex digit, 0xff for a byte that is none (a table: one load a
/// digit, no range tests).
const HEX: [u8; 256] = {
    let mut t = [0xff; 256];
    let mut c: u8 = 0;
    loop {
        t[c as usize] = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => 0xff,
        };
        if c == u8::MAX {
            break t;
        }
        c += 1;
    }
};

/// Colon-separated groups of 1–4 hex digits, at most one `::` standing for one or more
/// zero groups. `None` means "not read here", not "invalid": the caller asks `std`, so
/// this only needs to answer what `std` answers whenever it answers.
#[inline]
fn parse_v6(b: &[u8]) -> Option<[u16; 8]> {
    let mut groups = [0u16; 8];
    let mut n = 0;
    // Where `::` stood (the number of groups before it).
    let mut gap = None;
    let mut i = 0;
    if b.starts_with(b"::") {
        gap = Some(0);
        i = 2;
    }
    while i < b.len() {
        let mut value: u16 = 0;
        let mut digits = 0;
        while let Some(&d) = b.get(i).map(|&c| &HEX[usize::from(c)]).filter(|&&d| d < 16) {
            if digits == 4 {
                return None;
            }
            value = value << 4 | u16::from(d);
            digits += 1;
            i += 1;
        }
        if digits == 0 || n == 8 {
            return None;
        }
        groups[n] = value;
        n += 1;
        match b.get(i) {
            None => break,
            Some(b':') => i += 1,
            Some(_) => return None,
        }
        match b.get(i) {
            None => return None,
            Some(b':') if gap.is_none() => {
                gap = Some(n);
                i += 1;
            }
            Some(b':') => return None,
            Some(_) => {}
        }
    }
    match gap {
        None if n == 8 => Some(groups),
        // `::` stands for at least one group.
        Some(at) if n <= 7 => {
            let tail = n - at;
            groups.copy_within(at..n, 8 - tail);
            groups[at..8 - tail].fill(0);
            Some(groups)
        }
        _ => None,
    }
}

/// `a.b.c.d`, each part 0–255 in decimal without leading zeros (as `std` reads it).
#[inline]
fn parse_v4(b: &[u8]) -> Option<[u8; 4]> {
    let mut octets = [0u8; 4];
    let mut n = 0;
    let mut value: u16 = 0;
    let mut digits = 0;
    for &c in b {
        if c == b'.' {
            if digits == 0 || n == 3 {
                return None;
            }
            octets[n] = u8::try_from(value).ok()?;
            n += 1;
            value = 0;
            digits = 0;
            continue;
        }
        let d = c.wrapping_sub(b'0');
        // A digit after a leading zero is a leading zero.
        if d > 9 || digits == 3 || (digits == 1 && value == 0) {
            return None;
        }
        value = value * 10 + u16::from(d);
        digits += 1;
    }
    if digits == 0 || n != 3 {
        return None;
    }
    octets[3] = u8::try_from(value).ok()?;
    Some(octets)
}

/// ACCEPT or REJECT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Accept,
    Reject,
}

/// `log-status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogStatus {
    /// Data is logging normally.
    Ok,
    /// No traffic to or from the interface during the aggregation interval.
    NoData,
    /// Some records were skipped during the interval.
    SkipData,
}

/// `flow-direction`, relative to the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowDirection {
    Ingress,
    Egress,
}

/// One record; fields the format lacks, or logged as `-`, are `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Record<'a> {
    pub version: Option<u8>,
    pub account_id: Option<&'a str>,
    pub interface_id: Option<&'a str>,
    pub src_addr: Option<IpAddr>,
    pub dst_addr: Option<IpAddr>,
    pub src_port: Option<u16>,
    pub dst_port: Option<u16>,
    pub protocol: Option<u8>,
    pub packets: Option<u64>,
    pub bytes: Option<u64>,
    /// Unix seconds.
    pub start: Option<u64>,
    pub end: Option<u64>,
    pub action: Option<Action>,
    pub log_status: Option<LogStatus>,
    pub vpc_id: Option<&'a str>,
    pub subnet_id: Option<&'a str>,
    pub instance_id: Option<&'a str>,
    /// The bitwise OR of the TCP flags seen in the interval (FIN 1, SYN 2, RST 4, SYN-ACK 18).
    pub tcp_flags: Option<u16>,
    /// `type`: IPv4, IPv6 or EFA.
    pub traffic_type: Option<&'a str>,
    pub pkt_src_addr: Option<IpAddr>,
    pub pkt_dst_addr: Option<IpAddr>,
    pub region: Option<&'a str>,
    pub az_id: Option<&'a str>,
    pub sublocation_type: Option<&'a str>,
    pub sublocation_id: Option<&'a str>,
    pub pkt_src_aws_service: Option<&'a str>,
    pub pkt_dst_aws_service: Option<&'a str>,
    pub flow_direction: Option<FlowDirection>,
    pub traffic_path: Option<u8>,
}

/// Why a record line was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RecordError {
    #[error("expected {expected} fields, found {found}")]
    FieldCount { expected: usize, found: usize },
    #[error("field `{field}`: `{value}` is not {what}")]
    BadValue {
        field: &'static str,
        value: String,
        what: &'static str,
    },
}

impl<'a> Record<'a> {
    fn set(&mut self, field: Field, token: &'a str) -> Result<(), RecordError> {
        let bad = |what: &'static str| RecordError::BadValue {
            field: field.name(),
            value: token.chars().take(64).collect(),
            what,
        };
        let addr = || parse_addr(token).ok_or_else(|| bad("an IP address"));
        match field {
            Field::Version => {
                self.version = Some(number(token).ok_or_else(|| bad("a version number"))?)
            }
            Field::AccountId => self.account_id = Some(token),
            Field::InterfaceId => self.interface_id = Some(token),
            Field::SrcAddr => self.src_addr = Some(addr()?),
            Field::DstAddr => self.dst_addr = Some(addr()?),
            Field::SrcPort => self.src_port = Some(number(token).ok_or_else(|| bad("a port"))?),
            Field::DstPort => self.dst_port = Some(number(token).ok_or_else(|| bad("a port"))?),
            Field::Protocol => {
                self.protocol = Some(number(token).ok_or_else(|| bad("a protocol number"))?)
            }
            Field::Packets => self.packets = Some(number(token).ok_or_else(|| bad("a count"))?),
            Field::Bytes => self.bytes = Some(number(token).ok_or_else(|| bad("a count"))?),
            Field::Start => self.start = Some(number(token).ok_or_else(|| bad("a Unix time"))?),
            Field::End => self.end = Some(number(token).ok_or_else(|| bad("a Unix time"))?),
            Field::Action => {
                self.action = Some(match token {
                    "ACCEPT" => Action::Accept,
                    "REJECT" => Action::Reject,
                    _ => return Err(bad("ACCEPT or REJECT")),
                });
            }
            Field::LogStatus => {
                self.log_status = Some(match token {
                    "OK" => LogStatus::Ok,
                    "NODATA" => LogStatus::NoData,
                    "SKIPDATA" => LogStatus::SkipData,
                    _ => return Err(bad("OK, NODATA or SKIPDATA")),
                });
            }
            Field::VpcId => self.vpc_id = Some(token),
            Field::SubnetId => self.subnet_id = Some(token),
            Field::InstanceId => self.instance_id = Some(token),
            Field::TcpFlags => {
                self.tcp_flags = Some(number(token).ok_or_else(|| bad("TCP flags"))?)
            }
            Field::Type => self.traffic_type = Some(token),
            Field::PktSrcAddr => self.pkt_src_addr = Some(addr()?),
            Field::PktDstAddr => self.pkt_dst_addr = Some(addr()?),
            Field::Region => self.region = Some(token),
            Field::AzId => self.az_id = Some(token),
            Field::SublocationType => self.sublocation_type = Some(token),
            Field::SublocationId => self.sublocation_id = Some(token),
            Field::PktSrcAwsService => self.pkt_src_aws_service = Some(token),
            Field::PktDstAwsService => self.pkt_dst_aws_service = Some(token),
            Field::FlowDirection => {
                self.flow_direction = Some(match token {
                    "ingress" => FlowDirection::Ingress,
                    "egress" => FlowDirection::Egress,
                    _ => return Err(bad("ingress or egress")),
                });
            }
            Field::TrafficPath => {
                self.traffic_path = Some(number(token).ok_or_else(|| bad("a traffic path"))?)
            }
            Field::Other => {}
        }
        Ok(())
    }
}

/// A decimal number that fits `T`, digits only.
fn number<T: TryFrom<u64>>(token: &str) -> Option<T> {
    if token.is_empty() || token.len() > 20 {
        return None;
    }
    let mut value: u64 = 0;
    // Nineteen digits never overflow a u64 (10^19 - 1 < 2^64): only a twentieth is checked.
    let (head, last) = token.as_bytes().split_at(token.len().min(19));
    for &b in head {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        value = value * 10 + u64::from(d);
    }
    if let Some(&b) = last.first() {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    T::try_from(value).ok()
}

/// A line that could not be read, with its 1-based number in its file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LineError {
    #[error("line {line}: {error}")]
    Record { line: u64, error: RecordError },
    #[error("line {line}: header: {error}")]
    Header { line: u64, error: FormatError },
}

/// Reads the lines of one file: an optional header line first (the S3 delivery's), then
/// records. Blank lines are skipped.
#[derive(Debug, Clone)]
pub struct Reader {
    format: Format,
    line: u64,
    seen_first: bool,
}

impl Reader {
    /// A reader for one file whose records have `format` unless a header says otherwise.
    pub fn new(format: Format) -> Self {
        Self {
            format,
            line: 0,
            seen_first: false,
        }
    }

    /// The format in force (the header's, once read).
    pub fn format(&self) -> &Format {
        &self.format
    }

    /// The next line: `Ok(None)` for the header and blank lines.
    pub fn line<'a>(&mut self, text: &'a str) -> Result<Option<Record<'a>>, LineError> {
        let mut rec = Record::default();
        Ok(self.read(text, &mut rec)?.then_some(rec))
    }

    /// The next line into `rec`: `Ok(true)` when it is a record (now in `rec`), `Ok(false)`
    /// for the header and blank lines (`rec` untouched). As [`Reader::line`], without
    /// moving a `Record` on every line.
    pub fn read<'a>(&mut self, text: &'a str, rec: &mut Record<'a>) -> Result<bool, LineError> {
        self.line += 1;
        let text = text.strip_suffix('\r').unwrap_or(text);
        // A line starting with a digit is neither blank nor a header (a header's first
        // byte is a lowercase letter): nearly every line, spared the trim and header test.
        let digit_first = text.as_bytes().first().is_some_and(u8::is_ascii_digit);
        if !digit_first {
            if text.trim().is_empty() {
                return Ok(false);
            }
            if !self.seen_first {
                self.seen_first = true;
                if let Some(header) = Format::from_header(text) {
                    self.format = header.map_err(|error| LineError::Header {
                        line: self.line,
                        error,
                    })?;
                    return Ok(false);
                }
            }
        }
        self.seen_first = true;
        self.format
            .record_into(text, rec)
            .map(|()| true)
            .map_err(|error| LineError::Record {
                line: self.line,
                error,
            })
    }
}

#[cfg(test)]
mod tests;
