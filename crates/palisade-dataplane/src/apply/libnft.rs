//! nft in-process: `libnftables.so.1` (the library the `nft` binary is built on) loaded at
//! run time, one long-lived context per network namespace, on a thread of its own that
//! entered the namespace before the context opened its netlink socket.
//!
//! Why: one `nsenter … nft -f -` costs two process starts (about 4 ms of CPU here, most of it
//! the dynamic loader), and nft's exit closes its netlink socket right after the commit,
//! which waits for the kernel's deferred transaction clean-up (an RCU grace period, about
//! 10 ms here). A context that lives as long as the agent pays neither. It must never be
//! the only path: a host without the library runs the processes (`super::Nft`).
//!
//! The context is not thread-safe, so it never leaves its thread; callers send it jobs.

// JUSTIFICATION: libnftables has a C API only, and the Debian package ships the runtime
// library without headers or a pkg-config file, so it is opened with `dlopen`
// (libloading) and called through function pointers. Every `unsafe` block below is one
// such call; the SAFETY comments give the contract from `libnftables(3)`.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString, c_char, c_int, c_uint, c_void};
use std::fs::File;
use std::os::fd::AsFd as _;
use std::sync::OnceLock;
use std::sync::mpsc;

/// The library's file name (soname), as the `nft` binary links it.
const SONAME: &str = "libnftables.so.1";
/// `NFT_CTX_DEFAULT`.
const CTX_DEFAULT: u32 = 0;
/// `NFT_CTX_OUTPUT_JSON` (`nft -j`).
const OUTPUT_JSON: c_uint = 1 << 4;

/// What a job asks of the context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `nft -f -`: run the commands (one transaction).
    Run,
    /// `nft -c -f -`: check them without committing.
    Check,
    /// `nft -j …`: run them with JSON output.
    Json,
}

/// What one run gave: `Ok(output)` or `Err(error text)`.
pub(crate) type Outcome = Result<String, String>;

/// A context living on its own thread (inside a namespace, if one was named).
#[derive(Debug)]
pub(crate) struct Worker {
    jobs: mpsc::Sender<Job>,
    /// The namespace file's (device, inode) when the thread entered it: a namespace
    /// deleted and added again under the same name is another one.
    netns_id: Option<(u64, u64)>,
}

#[derive(Debug)]
struct Job {
    text: String,
    mode: Mode,
    reply: mpsc::SyncSender<Outcome>,
}

/// Why a worker could not start.
#[derive(Debug)]
pub(crate) enum StartError {
    /// The library is not there (or lacks a symbol): use the processes.
    Unavailable,
    /// The namespace could not be entered or the context not made.
    Failed(std::io::Error),
}

impl Worker {
    /// Starts a worker in `netns` (`/run/netns/NAME`), or in the caller's namespace.
    pub(crate) fn start(netns: Option<&str>) -> Result<Self, StartError> {
        let api = api().map_err(|_| StartError::Unavailable)?;
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (ready_tx, ready) = mpsc::sync_channel(1);
        let path = netns.map(netns_path);
        let netns_id = match &path {
            Some(p) => Some(file_id(p).map_err(StartError::Failed)?),
            None => None,
        };
        let name = format!("nft-{}", netns.unwrap_or("host"));
        std::thread::Builder::new()
            .name(name)
            .spawn(move || {
                let ctx = match enter(path.as_deref()).and_then(|()| Ctx::new(api)) {
                    Ok(ctx) => ctx,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                for job in inbox {
                    let _ = job.reply.send(ctx.run(&job.text, job.mode));
                }
            })
            .map_err(StartError::Failed)?;
        match ready.recv() {
            Ok(Ok(())) => Ok(Self { jobs, netns_id }),
            Ok(Err(e)) => Err(StartError::Failed(e)),
            Err(_) => Err(StartError::Failed(std::io::Error::other(
                "the nft thread stopped before its context was made",
            ))),
        }
    }

    /// Whether the thread is still in the namespace the name `netns` now stands for (as
    /// `nsenter` would enter it anew for every command).
    pub(crate) fn current(&self, netns: Option<&str>) -> bool {
        match netns {
            Some(ns) => file_id(&netns_path(ns)).ok() == self.netns_id,
            None => self.netns_id.is_none(),
        }
    }

    /// Runs `text` in the worker's context and waits for the outcome.
    pub(crate) fn run(&self, text: &str, mode: Mode) -> std::io::Result<Outcome> {
        let gone = || std::io::Error::other("the nft thread has stopped");
        let (reply, outcome) = mpsc::sync_channel(1);
        self.jobs
            .send(Job {
                text: text.to_owned(),
                mode,
                reply,
            })
            .map_err(|_| gone())?;
        outcome.recv().map_err(|_| gone())
    }
}

/// Whether the library could be opened (once per process).
pub(crate) fn available() -> bool {
    api().is_ok()
}

/// Why the library could not be opened, if it could not.
pub(crate) fn unavailable() -> Option<&'static str> {
    api().err().map(String::as_str)
}

fn netns_path(name: &str) -> String {
    format!("/run/netns/{name}")
}

/// A file's (device, inode).
fn file_id(path: &str) -> std::io::Result<(u64, u64)> {
    use std::os::unix::fs::MetadataExt as _;
    let meta = std::fs::metadata(path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{path}: {e}")))?;
    Ok((meta.dev(), meta.ino()))
}

/// Moves the calling thread into the network namespace at `path` (setns(2); the other
/// threads of the process stay where they are).
fn enter(path: Option<&str>) -> std::io::Result<()> {
    let Some(path) = path else { return Ok(()) };
    let file =
        File::open(path).map_err(|e| std::io::Error::new(e.kind(), format!("{path}: {e}")))?;
    rustix::thread::move_into_link_name_space(
        file.as_fd(),
        Some(rustix::thread::LinkNameSpaceType::Network),
    )
    .map_err(|e| std::io::Error::other(format!("entering {path}: {e}")))
}

/// The library's entry points (`libnftables(3)`).
#[derive(Debug)]
struct Api {
    ctx_new: unsafe extern "C" fn(u32) -> *mut c_void,
    ctx_free: unsafe extern "C" fn(*mut c_void),
    buffer_output: unsafe extern "C" fn(*mut c_void) -> c_int,
    buffer_error: unsafe extern "C" fn(*mut c_void) -> c_int,
    get_output: unsafe extern "C" fn(*mut c_void) -> *const c_char,
    get_error: unsafe extern "C" fn(*mut c_void) -> *const c_char,
    set_dry_run: unsafe extern "C" fn(*mut c_void, bool),
    get_flags: unsafe extern "C" fn(*mut c_void) -> c_uint,
    set_flags: unsafe extern "C" fn(*mut c_void, c_uint),
    run_cmd: unsafe extern "C" fn(*mut c_void, *const c_char) -> c_int,
    /// Kept open for the process's lifetime: the pointers above point into it.
    _library: libloading::Library,
}

/// The library, opened once per process (or why it could not be).
fn api() -> Result<&'static Api, &'static String> {
    static API: OnceLock<Result<Api, String>> = OnceLock::new();
    API.get_or_init(load).as_ref()
}

fn load() -> Result<Api, String> {
    // SAFETY: opening libnftables runs its ELF initialisers, which only set up static
    // tables (no threads, no global state that another loader of it could clash with).
    let library = unsafe { libloading::Library::new(SONAME) }.map_err(|e| e.to_string())?;
    macro_rules! sym {
        ($name:literal) => {
            // SAFETY: the type is the C prototype of the symbol in `libnftables(3)`
            // (nftables 0.9.3 and later), and the pointer is used only while `library`,
            // stored next to it, stays loaded.
            *unsafe { library.get($name) }.map_err(|e| e.to_string())?
        };
    }
    Ok(Api {
        ctx_new: sym!(b"nft_ctx_new\0"),
        ctx_free: sym!(b"nft_ctx_free\0"),
        buffer_output: sym!(b"nft_ctx_buffer_output\0"),
        buffer_error: sym!(b"nft_ctx_buffer_error\0"),
        get_output: sym!(b"nft_ctx_get_output_buffer\0"),
        get_error: sym!(b"nft_ctx_get_error_buffer\0"),
        set_dry_run: sym!(b"nft_ctx_set_dry_run\0"),
        get_flags: sym!(b"nft_ctx_output_get_flags\0"),
        set_flags: sym!(b"nft_ctx_output_set_flags\0"),
        run_cmd: sym!(b"nft_run_cmd_from_buffer\0"),
        _library: library,
    })
}

/// One `struct nft_ctx`, used and freed on the thread that made it.
struct Ctx {
    api: &'static Api,
    ptr: *mut c_void,
}

impl Ctx {
    fn new(api: &'static Api) -> std::io::Result<Self> {
        // SAFETY: `nft_ctx_new` takes a flags word and returns an owned context or NULL.
        let ptr = unsafe { (api.ctx_new)(CTX_DEFAULT) };
        if ptr.is_null() {
            return Err(std::io::Error::other("nft_ctx_new failed"));
        }
        let ctx = Self { api, ptr };
        // SAFETY: `ptr` is a live context; both calls redirect its output and error
        // streams into memory buffers owned by the context (0 = done).
        let buffered = unsafe { (api.buffer_output)(ptr) == 0 && (api.buffer_error)(ptr) == 0 };
        if !buffered {
            return Err(std::io::Error::other("nft_ctx_buffer_output failed"));
        }
        Ok(ctx)
    }

    /// Runs `text` as `nft -f -` would (or `-c`, or `-j`).
    fn run(&self, text: &str, mode: Mode) -> Outcome {
        let Ok(text) = CString::new(text) else {
            return Err("the ruleset text holds a NUL byte".to_owned());
        };
        let (api, ptr) = (self.api, self.ptr);
        // SAFETY: `ptr` is a live context used by this thread only; `text` is a
        // NUL-terminated string that outlives the call; the buffers returned are owned by
        // the context, valid until its next command, and copied out at once.
        unsafe {
            let flags = (api.get_flags)(ptr);
            (api.set_dry_run)(ptr, mode == Mode::Check);
            if mode == Mode::Json {
                (api.set_flags)(ptr, flags | OUTPUT_JSON);
            }
            let rc = (api.run_cmd)(ptr, text.as_ptr());
            (api.set_flags)(ptr, flags);
            (api.set_dry_run)(ptr, false);
            let output = buffer((api.get_output)(ptr));
            let error = buffer((api.get_error)(ptr));
            match rc {
                0 => Ok(output),
                _ => Err(error),
            }
        }
    }
}

impl Drop for Ctx {
    fn drop(&mut self) {
        // SAFETY: the context was made by `nft_ctx_new` and is freed once, here.
        unsafe { (self.api.ctx_free)(self.ptr) }
    }
}

/// A C string owned by the library, copied out (NULL reads as empty).
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string valid for this call.
unsafe fn buffer(ptr: *const c_char) -> String {
    if ptr.is_null() {
        return String::new();
    }
    // SAFETY: the caller's contract.
    unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .trim()
        .to_owned()
}
