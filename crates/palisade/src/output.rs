//! The one place the binary writes to the terminal and sets up logging.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;

/// Logs go to stderr, filtered by `PALISADE_LOG` (default `info`).
pub(crate) fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PALISADE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Prints an error and its causes on stderr.
pub(crate) fn error(err: &anyhow::Error) {
    eprintln!("error: {err:#}");
}

/// Prints a line on stdout; a closed pipe is not an error worth a panic.
pub(crate) fn line(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{s}");
}

/// Prints text as is on stdout.
pub(crate) fn text(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}

/// Prints a warning line on stderr.
pub(crate) fn warn(s: &str) {
    eprintln!("warning: {s}");
}
