//! SigV4 verification (`palisade_sigv4::verify`, served as `palisade_api::sigv4`) on requests built from the fuzzer's
//! bytes (method, path, query, headers, body, and header- or query-form authorisations that
//! name the one known key with dates near the clock), against a key ring with one key: it
//! must never panic, and an unsigned request must never pass. Then a round trip: a request
//! signed by `sign_post` verifies as that key's caller, and the same request with one byte
//! of its body, signature, path or a signed header changed does not.
#![no_main]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use palisade_model::AccountId;
use palisade_sigv4::{Caller, KeyRing, RequestParts, format_amz_date, sign_post, verify};

const KEY: &str = "AKIDFUZZEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const ACCOUNT: &str = "123456789012";

#[derive(Arbitrary, Debug)]
struct Input {
    request: Request,
    signed: Signed,
}

/// An arbitrary request, with a better than random chance of a well-formed authorisation.
#[derive(Arbitrary, Debug)]
struct Request {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    now: u32,
    date: AmzDate,
    auth: Auth,
}

#[derive(Arbitrary, Debug)]
enum AmzDate {
    Absent,
    /// The clock plus this many seconds (EC2 allows 15 minutes either way).
    Near(i16),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum Auth {
    Absent,
    RawHeader(String),
    Header {
        credential: Credential,
        signed_headers: Vec<String>,
        signature: Signature,
    },
    Query {
        credential: Credential,
        signed_headers: Vec<String>,
        signature: Signature,
        expires: Option<u32>,
    },
}

#[derive(Arbitrary, Debug)]
struct Credential {
    known_key: bool,
    key: String,
    /// `None`: the date of `X-Amz-Date`, as a real client writes it.
    date: Option<String>,
    region: String,
    service: String,
}

#[derive(Arbitrary, Debug)]
enum Signature {
    Hex([u8; 32]),
    Raw(String),
}

/// The round trip: what `sign_post` signs, and the one change made before verifying again.
#[derive(Arbitrary, Debug)]
struct Signed {
    region: String,
    service: String,
    host: String,
    path: String,
    content_type: String,
    body: Vec<u8>,
    now: u32,
    change: Change,
}

#[derive(Arbitrary, Debug)]
enum Change {
    Body { idx: usize, xor: u8 },
    Signature { idx: usize },
    Path { idx: usize, to: char },
    Host { idx: usize, to: char },
    ContentType { idx: usize, to: char },
    Method,
}

fuzz_target!(|input: Input| {
    let keys = keys();
    arbitrary_request(&input.request, &keys);
    round_trip(&input.signed, &keys);
});

fn keys() -> KeyRing {
    let mut keys = KeyRing::new();
    let account: AccountId = ACCOUNT.parse().expect("literal account id");
    keys.insert(KEY, SECRET, account);
    keys
}

fn at(secs: u32) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::from(secs))
}

fn arbitrary_request(req: &Request, keys: &KeyRing) {
    let now = at(req.now);
    let amz_date = match &req.date {
        AmzDate::Absent => None,
        AmzDate::Near(offset) => Some(format_amz_date(
            u64::from(req.now).saturating_add_signed(i64::from(*offset)),
        )),
        AmzDate::Raw(s) => Some(s.clone()),
    };
    let mut headers: Vec<(String, String)> = req.headers.clone();
    let mut query = req.query.clone();
    let scope = |c: &Credential| {
        let key = if c.known_key { KEY } else { c.key.as_str() };
        let date = match (&c.date, &amz_date) {
            (Some(d), _) => d.clone(),
            (None, Some(d)) => d.chars().take(8).collect(),
            (None, None) => String::new(),
        };
        format!("{key}/{date}/{}/{}/aws4_request", c.region, c.service)
    };
    match &req.auth {
        Auth::Absent => {}
        Auth::RawHeader(h) => headers.push(("authorization".to_owned(), h.clone())),
        Auth::Header {
            credential,
            signed_headers,
            signature,
        } => headers.push((
            "authorization".to_owned(),
            format!(
                "AWS4-HMAC-SHA256 Credential={}, SignedHeaders={}, Signature={}",
                scope(credential),
                signed_headers.join(";"),
                signature.text()
            ),
        )),
        Auth::Query {
            credential,
            signed_headers,
            signature,
            expires,
        } => {
            let mut form = form_urlencoded::Serializer::new(query);
            form.append_pair("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
            form.append_pair("X-Amz-Credential", &scope(credential));
            form.append_pair("X-Amz-SignedHeaders", &signed_headers.join(";"));
            form.append_pair("X-Amz-Signature", &signature.text());
            if let Some(d) = &amz_date {
                form.append_pair("X-Amz-Date", d);
            }
            if let Some(e) = expires {
                form.append_pair("X-Amz-Expires", &e.to_string());
            }
            query = form.finish();
        }
    }
    if let (Some(d), false) = (&amz_date, matches!(req.auth, Auth::Query { .. })) {
        headers.push(("x-amz-date".to_owned(), d.clone()));
    }
    let parts = RequestParts {
        method: &req.method,
        path: &req.path,
        query: &query,
        headers: &headers,
        body: &req.body,
    };
    // Without the secret no signature can be right (2^-256 aside).
    if let Ok(caller) = verify(&parts, keys, now) {
        panic!("an unsigned request verified as {caller:?}: {parts:?}");
    }
}

impl Signature {
    fn text(&self) -> String {
        match self {
            Self::Hex(bytes) => bytes.iter().map(|b| format!("{b:02x}")).collect(),
            Self::Raw(s) => s.clone(),
        }
    }
}

/// Region and service names are `[a-z0-9-]+` (they travel between `/` in the credential).
fn scope_name(s: &str, default: &str) -> String {
    let name: String = s
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
        .collect();
    if name.is_empty() {
        default.to_owned()
    } else {
        name
    }
}

fn round_trip(s: &Signed, keys: &KeyRing) {
    let now = at(s.now);
    let region = scope_name(&s.region, "us-east-1");
    let service = scope_name(&s.service, "ec2");
    // Header values travel on one line: no CR or LF.
    let one_line = |v: &str| v.replace(['\r', '\n'], " ");
    let host = one_line(&s.host);
    let content_type = one_line(&s.content_type);
    let headers = sign_post(
        KEY,
        SECRET,
        &region,
        &service,
        &host,
        &s.path,
        &content_type,
        &s.body,
        now,
    );
    let expected = Caller {
        access_key: KEY.to_owned(),
        account: ACCOUNT.parse().expect("literal account id"),
        region,
        service,
        // sign_post signs the body's hash (x-amz-content-sha256), so the body counts.
        payload_signed: true,
    };
    let parts = RequestParts {
        method: "POST",
        path: &s.path,
        query: "",
        headers: &headers,
        body: &s.body,
    };
    assert_eq!(
        verify(&parts, keys, now),
        Ok(expected),
        "a request signed by sign_post must verify: {parts:?}"
    );

    let mut method = "POST";
    let mut path = s.path.clone();
    let mut body = s.body.clone();
    let mut headers = headers;
    let changed = match &s.change {
        Change::Body { idx, xor } => match body.get_mut(idx % s.body.len().max(1)) {
            Some(b) if *xor != 0 => {
                *b ^= xor;
                true
            }
            _ => false,
        },
        Change::Signature { idx } => header_mut(&mut headers, "authorization").is_some_and(|h| {
            let Some(start) = h.find("Signature=") else {
                return false;
            };
            let at = start + "Signature=".len() + idx % 64;
            let Some(old) = h.get(at..=at) else {
                return false;
            };
            let new = if old == "0" { "1" } else { "0" };
            h.replace_range(at..=at, new);
            true
        }),
        Change::Path { idx, to } => replace_char(&mut path, *idx, *to),
        Change::Host { idx, to } => {
            header_mut(&mut headers, "host").is_some_and(|h| replace_char(h, *idx, *to))
        }
        Change::ContentType { idx, to } => {
            header_mut(&mut headers, "content-type").is_some_and(|h| replace_char(h, *idx, *to))
        }
        Change::Method => {
            method = "GET";
            true
        }
    };
    if !changed {
        return;
    }
    let parts = RequestParts {
        method,
        path: &path,
        query: "",
        headers: &headers,
        body: &body,
    };
    let res = verify(&parts, keys, now);
    assert!(
        res.is_err(),
        "a changed request ({:?}) still verifies: {parts:?}",
        s.change
    );
}

fn header_mut<'a>(headers: &'a mut [(String, String)], name: &str) -> Option<&'a mut String> {
    headers.iter_mut().find(|(n, _)| n == name).map(|(_, v)| v)
}

/// Replaces the `idx`-th (modulo) character of `s` by `to`, unless that changes nothing a
/// signature covers: whitespace either side (runs of it are folded), or the same character.
fn replace_char(s: &mut String, idx: usize, to: char) -> bool {
    let n = s.chars().count();
    if n == 0 || to.is_whitespace() || to == '\r' || to == '\n' {
        return false;
    }
    let Some((at, old)) = s.char_indices().nth(idx % n) else {
        return false;
    };
    if old == to || old.is_whitespace() {
        return false;
    }
    s.replace_range(at..at + old.len_utf8(), to.encode_utf8(&mut [0; 4]));
    true
}
