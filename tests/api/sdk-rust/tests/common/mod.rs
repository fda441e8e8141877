//! The harness every aws-sdk-ec2 test file shares: a `palisade serve` child on 127.0.0.1:0
//! with a temporary SQLite file and keys file (removed when dropped), and SDK clients for it.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};

/// An access key id, its secret and its account.
pub type Key = (&'static str, &'static str, &'static str);

/// The one account of the files that need only one.
pub const KEY: Key = ("AKIDSDK000000000001", "sdk-secret", "333333333333");

pub struct Serve {
    child: Child,
    pub endpoint: String,
    dir: PathBuf,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Tests of one file run in parallel threads of one process: each server gets its own
/// directory.
static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

/// A server accepting `keys` (`PALISADE_BIN`, else the workspace's debug build).
pub fn serve_with(tag: &str, keys: &[Key]) -> Serve {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let bin = std::env::var("PALISADE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target/debug/palisade"));
    let dir = std::env::temp_dir().join(format!(
        "palisade-sdk-{tag}-{}-{}",
        std::process::id(),
        NEXT_DIR.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let lines: String = keys
        .iter()
        .map(|(key, secret, account)| format!("{key} {secret} {account}\n"))
        .collect();
    std::fs::write(dir.join("keys"), lines).unwrap();
    let mut child = Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(dir.join("sdk.db"))
        .arg("--keys")
        .arg(dir.join("keys"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("palisade binary (cargo build --bin palisade)");
    let stdout = child.stdout.take().unwrap();
    let endpoint = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("listening on ").map(str::to_owned))
        .expect("palisade serve prints its address");
    Serve {
        child,
        endpoint,
        dir,
    }
}

/// A server accepting [`KEY`].
#[allow(dead_code)] // not every test file uses every helper
pub fn serve(tag: &str) -> Serve {
    serve_with(tag, &[KEY])
}

/// A client signing with `key` in `region`.
pub fn client_for(endpoint: &str, key: Key, region: &str) -> aws_sdk_ec2::Client {
    let config = aws_sdk_ec2::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(region.to_owned()))
        .credentials_provider(Credentials::new(key.0, key.1, None, None, "test"))
        .build();
    aws_sdk_ec2::Client::from_conf(config)
}

/// A client signing with [`KEY`] in us-east-1.
#[allow(dead_code)]
pub fn client(endpoint: &str) -> aws_sdk_ec2::Client {
    client_for(endpoint, KEY, "us-east-1")
}
