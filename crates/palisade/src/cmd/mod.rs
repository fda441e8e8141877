//! One module per subcommand: flags (clap) and the wiring behind them.

pub(crate) mod agent;
pub(crate) mod audit;
pub(crate) mod bench;
pub(crate) mod diff;
pub(crate) mod eval;
pub(crate) mod flows;
pub(crate) mod graph;
pub(crate) mod hosts;
pub(crate) mod lab;
mod packet_flags;
pub(crate) mod preset;
pub(crate) mod reach;
pub(crate) mod render;
pub(crate) mod serve;
pub(crate) mod trace;

/// Turns transparent huge pages off for this process (the daemons: `serve`, `agent`).
///
/// The allocator hands freed memory back to the kernel a second after it was freed; with
/// huge pages, the next burst of work then faulted in and zeroed 2 MiB pages: an agent's
/// import of its next view took 6-9 ms instead of 0.1 ms, 140 ms of wall time when 50
/// agents on two cores did it at once, and the server's feed stalled alike. Their heaps
/// gain nothing measurable from huge pages (the API benchmark's CPU per call is the same
/// either way). A kernel without the flag keeps them.
pub(crate) fn no_huge_pages() {
    if let Err(e) = rustix::thread::disable_transparent_huge_pages(true) {
        tracing::debug!("transparent huge pages stay on: {e}");
    }
}
