//! The agent's side of the feed: a blocking reader of one watch's body over plain HTTP/1.1
//! (the agent's loop is synchronous; a read that times out returns control to it so it can
//! retry a failed apply or notice a silent server), and [`post_json`] for the JSON calls.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, SystemTime};

use thiserror::Error;

use super::{Message, WatchRequest};

/// Why a watch could not be opened or read on.
#[derive(Debug, Error)]
pub enum WatchError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The server refused the call with an error code.
    #[error("{code}: {message}")]
    Refused { code: String, message: String },
    #[error("malformed answer: {0}")]
    Protocol(String),
    #[error("the server ended the watch")]
    Closed,
}

/// The signed headers of a `POST {path}` to `endpoint` (`http://HOST:PORT`) and its host.
pub fn sign_request(
    endpoint: &str,
    access_key: &str,
    secret: &str,
    region: &str,
    path: &str,
    body: &str,
) -> Result<(String, String), std::io::Error> {
    let host = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("endpoint {endpoint} must start with http://"),
            )
        })?
        .trim_end_matches('/')
        .to_owned();
    let headers = crate::sigv4::sign_post(
        access_key,
        secret,
        region,
        "ec2",
        &host,
        path,
        "application/json",
        body.as_bytes(),
        SystemTime::now(),
    );
    let mut req = format!("POST {path} HTTP/1.1\r\n");
    for (n, v) in &headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str(&format!("content-length: {}\r\n", body.len()));
    Ok((host, req))
}

/// POSTs `body` (JSON) to `path`, signed, and returns the answer's JSON (an error carrying
/// the server's answer when it is not 200).
pub async fn post_json(
    endpoint: &str,
    access_key: &str,
    secret: &str,
    region: &str,
    path: &str,
    body: &str,
) -> Result<serde_json::Value, std::io::Error> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let io_err = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidData, m);
    let (host, mut req) = sign_request(endpoint, access_key, secret, region, path, body)?;
    req.push_str(&format!("connection: close\r\n\r\n{body}"));
    let mut stream = tokio::net::TcpStream::connect(&host).await?;
    stream.write_all(req.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let text = String::from_utf8_lossy(&raw);
    let (head, payload) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| io_err("malformed HTTP response".into()))?;
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let payload = if chunked {
        let mut decoder = Chunked::default();
        let mut out = Vec::new();
        decoder.feed(payload.as_bytes(), &mut out);
        String::from_utf8_lossy(&out).into_owned()
    } else {
        payload.to_owned()
    };
    let value: serde_json::Value =
        serde_json::from_str(&payload).map_err(|e| io_err(format!("{e}: {payload}")))?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(io_err(format!(
            "server answered {}: {value}",
            head.lines().next().unwrap_or("")
        )));
    }
    Ok(value)
}

/// One open watch.
#[derive(Debug)]
pub struct WatchConn {
    stream: TcpStream,
    /// Decoded body bytes not yet split into lines.
    body: Vec<u8>,
    chunked: Option<Chunked>,
    /// Bytes read after the head before the decoder saw them.
    pending: Vec<u8>,
}

impl WatchConn {
    /// Opens a watch; each later read waits at most `tick` before handing control back.
    pub fn open(
        endpoint: &str,
        access_key: &str,
        secret: &str,
        region: &str,
        req: &WatchRequest,
        tick: Duration,
    ) -> Result<Self, WatchError> {
        let body = serde_json::to_string(req).map_err(|e| WatchError::Protocol(e.to_string()))?;
        let (host, mut head) = sign_request(
            endpoint,
            access_key,
            secret,
            region,
            "/_palisade/watch",
            &body,
        )?;
        // One watch per connection: a refusal's body then ends with the connection.
        head.push_str(&format!("connection: close\r\n\r\n{body}"));
        let addr = std::net::ToSocketAddrs::to_socket_addrs(&host)?
            .next()
            .ok_or_else(|| WatchError::Protocol(format!("{host} resolves to nothing")))?;
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        stream.set_nodelay(true)?;
        stream.write_all(head.as_bytes())?;
        // The head: wait for it as long as a connect, then switch to ticks.
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut raw = Vec::new();
        let mut buf = [0u8; 4096];
        let split = loop {
            if let Some(pos) = find(&raw, b"\r\n\r\n") {
                break pos;
            }
            let n = stream.read(&mut buf)?;
            if n == 0 {
                return Err(WatchError::Closed);
            }
            raw.extend_from_slice(&buf[..n]);
        };
        let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
        let rest = raw[split + 4..].to_vec();
        let chunked = head.contains("transfer-encoding: chunked");
        if !head.starts_with("http/1.1 200") {
            return Err(refusal(&mut stream, rest, chunked, &head));
        }
        stream.set_read_timeout(Some(tick))?;
        Ok(Self {
            stream,
            body: Vec::new(),
            chunked: chunked.then(Chunked::default),
            pending: rest,
        })
    }

    /// The next message; `Ok(None)` when none came within the tick.
    pub fn next_message(&mut self) -> Result<Option<Message>, WatchError> {
        loop {
            if let Some(pos) = self.body.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.body.drain(..=pos).collect();
                let text = String::from_utf8_lossy(&line);
                let text = text.trim();
                if text.is_empty() {
                    continue;
                }
                return serde_json::from_str(text)
                    .map(Some)
                    .map_err(|e| WatchError::Protocol(format!("{e}: {text}")));
            }
            if !self.pending.is_empty() {
                let data = std::mem::take(&mut self.pending);
                self.decode(&data)?;
                continue;
            }
            let mut buf = [0u8; 16 * 1024];
            let n = match self.stream.read(&mut buf) {
                Ok(0) => return Err(WatchError::Closed),
                Ok(n) => n,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(None);
                }
                Err(e) => return Err(e.into()),
            };
            self.decode(&buf[..n])?;
        }
    }

    fn decode(&mut self, data: &[u8]) -> Result<(), WatchError> {
        match &mut self.chunked {
            Some(decoder) => {
                if decoder.feed(data, &mut self.body) {
                    // The last chunk: whatever lines are complete are still delivered.
                    if !self.body.contains(&b'\n') {
                        return Err(WatchError::Closed);
                    }
                }
            }
            None => self.body.extend_from_slice(data),
        }
        Ok(())
    }
}

/// The error a refused watch answered (`{"code","message"}`).
fn refusal(stream: &mut TcpStream, mut rest: Vec<u8>, chunked: bool, head: &str) -> WatchError {
    let _ = stream.read_to_end(&mut rest);
    let body = if chunked {
        let mut out = Vec::new();
        Chunked::default().feed(&rest, &mut out);
        out
    } else {
        rest
    };
    let value: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
    let field = |name: &str| {
        value
            .as_ref()
            .and_then(|v| v.get(name))
            .and_then(|v| v.as_str())
            .map(ToOwned::to_owned)
    };
    match field("code") {
        Some(code) => WatchError::Refused {
            code,
            message: field("message").unwrap_or_default(),
        },
        None => WatchError::Protocol(head.lines().next().unwrap_or("").to_owned()),
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// HTTP/1.1 chunked transfer decoding, fed as bytes arrive.
#[derive(Debug, Default)]
struct Chunked {
    /// Undecoded bytes (a size line not yet complete).
    raw: Vec<u8>,
    /// Data bytes left in the current chunk, then its CRLF.
    left: usize,
    in_data: bool,
    done: bool,
}

impl Chunked {
    /// Decodes what it can into `out`; true once the last (empty) chunk was seen.
    fn feed(&mut self, data: &[u8], out: &mut Vec<u8>) -> bool {
        self.raw.extend_from_slice(data);
        let mut at = 0;
        while !self.done {
            if self.in_data {
                if self.left > 0 {
                    let take = self.left.min(self.raw.len() - at);
                    if take == 0 {
                        break;
                    }
                    out.extend_from_slice(&self.raw[at..at + take]);
                    at += take;
                    self.left -= take;
                    continue;
                }
                if self.raw.len() - at < 2 {
                    break;
                }
                at += 2;
                self.in_data = false;
                continue;
            }
            let Some(pos) = find(&self.raw[at..], b"\r\n") else {
                break;
            };
            let line = String::from_utf8_lossy(&self.raw[at..at + pos]).into_owned();
            at += pos + 2;
            let size = line.split(';').next().unwrap_or("").trim();
            match usize::from_str_radix(size, 16) {
                Ok(0) | Err(_) => self.done = true,
                Ok(n) => {
                    self.left = n;
                    self.in_data = true;
                }
            }
        }
        self.raw.drain(..at);
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::Chunked;

    #[test]
    fn chunked_decodes_across_any_split() {
        let wire = b"5\r\nhello\r\n7\r\n world\n\r\n0\r\n\r\n";
        for split in 0..wire.len() {
            let mut d = Chunked::default();
            let mut out = Vec::new();
            let first = d.feed(&wire[..split], &mut out);
            let done = d.feed(&wire[split..], &mut out);
            assert!(done || first, "split {split}");
            assert_eq!(out, b"hello world\n", "split {split}");
        }
    }
}
