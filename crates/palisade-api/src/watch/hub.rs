//! The change feed's state: per scope, the state last seen and its version, the watchers
//! (one per connected host) with the view each was last sent, an index from each
//! dependency of a view ([`Dep`]) to the watchers whose view has it, and a record per host
//! of what it reports.
//!
//! Wake-ups come only from committed writes: [`Hub::wrap`] wraps the server's store and,
//! after each write, tells the hub thread the scope changed (other servers' writes arrive
//! the same way, from PostgreSQL `NOTIFY`, via [`Hub::changed`]). The hub thread then reads
//! the scope once, computes which dependencies changed (`changed_deps`), and recomputes the
//! views of the watchers the index names, sending each a `Delta` when its view differs.
//! It never polls the database; heartbeats go out every heartbeat interval.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant};

use palisade_model::hostview::{Dep, changed_deps, host_view};
use palisade_model::{EniId, Snapshot};
use palisade_store::{Observed, Scope, Store, StoreError, WriteObserver, view_versioned};

use super::doc::ViewDoc;
use super::shared_hosts::{self, FLUSH_EVERY, StoredHost};
use super::{HostStatus, Message};
use crate::ids::RandomIds;

/// How often watchers get a heartbeat unless set otherwise.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(5);
/// Messages a watcher may have unread before it is dropped (it reconnects and resumes).
const QUEUE: usize = 256;
/// How many of the views last sent to a host are kept to resume it: messages sent just
/// before a connection died may never have arrived, so the host may hold an older one.
const RESUMABLE: usize = 4;

/// The change feed: a handle on the hub thread and its shared state.
#[derive(Debug, Clone)]
pub struct Hub {
    shared: Arc<Shared>,
    events: mpsc::Sender<Event>,
}

/// What the feed has sent, for benchmarks: messages and bytes since start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedStats {
    pub messages: u64,
    pub bytes: u64,
    pub views_computed: u64,
}

#[derive(Debug)]
enum Event {
    Changed(Scope),
    Close,
}

#[derive(Debug)]
struct Shared {
    /// The store the server wraps (reads only).
    store: Arc<dyn Store>,
    state: Mutex<HubState>,
    heartbeat_ms: AtomicU64,
    /// The version the last write through this server left each scope at.
    written: Mutex<HashMap<Scope, i64>>,
    messages: AtomicU64,
    bytes: AtomicU64,
    views: AtomicU64,
    /// This server's id in the host records it shares through the store.
    server: String,
}

#[derive(Debug, Default)]
struct HubState {
    feeds: HashMap<Scope, Feed>,
    hosts: HashMap<Scope, BTreeMap<String, HostRecord>>,
    /// What was last written of each host's record, when the store shares them.
    flushed: HashMap<Scope, HashMap<String, StoredHost>>,
    next_watcher: u64,
    closed: bool,
}

#[derive(Debug)]
struct Feed {
    version: i64,
    snapshot: Snapshot,
    watchers: HashMap<u64, Watcher>,
    index: HashMap<Dep, HashSet<u64>>,
}

#[derive(Debug)]
struct Watcher {
    host: String,
    interfaces: Vec<EniId>,
    deps: BTreeSet<Dep>,
    /// The view as last sent, and the version of that message.
    sent: ViewDoc,
    sent_version: i64,
    /// The views sent before, newest last (at most `RESUMABLE - 1`).
    earlier: VecDeque<(i64, ViewDoc)>,
    tx: tokio::sync::mpsc::Sender<String>,
}

#[derive(Debug)]
struct HostRecord {
    interfaces: Vec<String>,
    enforced: Option<i64>,
    error: Option<String>,
    last_seen: Instant,
    connected: Option<u64>,
    /// The version at which the host's view last changed.
    view_version: i64,
    /// What a disconnected host was last sent, newest last, to resume it with a delta.
    retained: VecDeque<(i64, ViewDoc)>,
}

impl Hub {
    /// Starts the hub thread over `store` (the unwrapped store: the hub only reads).
    pub fn start(store: Arc<dyn Store>) -> Self {
        let shared = Arc::new(Shared {
            store,
            state: Mutex::new(HubState::default()),
            heartbeat_ms: AtomicU64::new(duration_ms(DEFAULT_HEARTBEAT)),
            written: Mutex::new(HashMap::new()),
            messages: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            views: AtomicU64::new(0),
            server: RandomIds::new().request_id(),
        });
        let (events, rx) = mpsc::channel();
        let thread_shared = shared.clone();
        // The thread ends when every handle (and so every sender) is gone.
        let spawned = std::thread::Builder::new()
            .name("watch-hub".into())
            .spawn(move || run(&thread_shared, &rx));
        if let Err(e) = spawned {
            tracing::error!("cannot start the change feed thread: {e}");
        }
        Self { shared, events }
    }

    /// Wraps the server's store so every committed write wakes the feed.
    pub fn wrap(&self, inner: Arc<dyn Store>) -> Arc<dyn Store> {
        Arc::new(Observed::new(inner, self.clone()))
    }

    /// Sets the heartbeat interval (tests and benchmarks shorten it).
    pub fn set_heartbeat(&self, every: Duration) {
        self.shared
            .heartbeat_ms
            .store(duration_ms(every).max(1), Ordering::Relaxed);
    }

    pub fn heartbeat(&self) -> Duration {
        Duration::from_millis(self.shared.heartbeat_ms.load(Ordering::Relaxed))
    }

    /// The scope changed (a write of another server, heard through PostgreSQL).
    pub fn changed(&self, scope: Scope) {
        let _ = self.events.send(Event::Changed(scope));
    }

    /// Every watched scope may have changed (notifications were lost).
    pub fn changed_all(&self) {
        let scopes: Vec<Scope> = self.shared.lock().feeds.keys().cloned().collect();
        for scope in scopes {
            self.changed(scope);
        }
    }

    /// Ends every stream and refuses new ones (the server is shutting down).
    pub fn close(&self) {
        let _ = self.events.send(Event::Close);
        if let Ok(mut state) = self.shared.state.lock() {
            close_all(&mut state);
        }
    }

    /// The version the last write through this server left the scope at.
    pub fn written_version(&self, scope: &Scope) -> Option<i64> {
        self.shared.written.lock().ok()?.get(scope).copied()
    }

    pub fn stats(&self) -> FeedStats {
        FeedStats {
            messages: self.shared.messages.load(Ordering::Relaxed),
            bytes: self.shared.bytes.load(Ordering::Relaxed),
            views_computed: self.shared.views.load(Ordering::Relaxed),
        }
    }

    /// Registers a watcher for `host` and queues its first message: the full view, or,
    /// when the host was last sent exactly what it says it holds (`since`), the delta from
    /// that. Blocking (reads the store).
    pub(crate) fn subscribe(
        &self,
        scope: &Scope,
        host: &str,
        interfaces: Vec<EniId>,
        since: Option<i64>,
    ) -> Result<tokio::sync::mpsc::Receiver<String>, StoreError> {
        // The scope's state is cloned only when the feed does not already hold its version
        // (thousands of hosts connecting share one copy).
        let mut ids = RandomIds::new();
        let (stored, ()) =
            view_versioned::<_, StoreError>(&*self.shared.store, scope, &mut ids, |_| ())?;
        let held = self.shared.lock().feeds.get(scope).map(|f| f.version);
        let read = match held {
            Some(v) if v >= stored => None,
            _ => Some(read_scope(&*self.shared.store, scope)?),
        };
        let mut state = self.shared.lock();
        let (tx, rx) = tokio::sync::mpsc::channel(QUEUE);
        if state.closed {
            return Ok(rx);
        }
        let id = state.next_watcher;
        state.next_watcher += 1;
        let HubState { feeds, hosts, .. } = &mut *state;
        let hosts = hosts.entry(scope.clone()).or_default();
        let feed = match (feeds.entry(scope.clone()), read) {
            (std::collections::hash_map::Entry::Occupied(e), read) => {
                let feed = e.into_mut();
                if let Some((version, snapshot)) = read
                    && version > feed.version
                {
                    self.shared.apply_change(feed, hosts, version, snapshot);
                }
                feed
            }
            (std::collections::hash_map::Entry::Vacant(e), Some((version, snapshot))) => {
                e.insert(Feed {
                    version,
                    snapshot,
                    watchers: HashMap::new(),
                    index: HashMap::new(),
                })
            }
            // Forgotten between the two locks: read again.
            (std::collections::hash_map::Entry::Vacant(e), None) => {
                let (version, snapshot) = read_scope(&*self.shared.store, scope)?;
                e.insert(Feed {
                    version,
                    snapshot,
                    watchers: HashMap::new(),
                    index: HashMap::new(),
                })
            }
        };
        // A write that committed after the read above found no feed to wake: refresh now.
        let written = self
            .shared
            .written
            .lock()
            .ok()
            .and_then(|w| w.get(scope).copied());
        if written.is_some_and(|v| v > feed.version) {
            let _ = self.events.send(Event::Changed(scope.clone()));
        }
        // A host that reconnects replaces its old stream.
        let old: Vec<u64> = feed
            .watchers
            .iter()
            .filter(|(_, w)| w.host == host)
            .map(|(id, _)| *id)
            .collect();
        for old in old {
            drop_watcher(feed, hosts, old);
        }
        let view = host_view(&feed.snapshot, &interfaces);
        self.shared.views.fetch_add(1, Ordering::Relaxed);
        let doc = ViewDoc::from_document(&palisade_ec2::export(&view.snapshot));
        let record = hosts.entry(host.to_owned()).or_insert_with(|| HostRecord {
            interfaces: Vec::new(),
            enforced: None,
            error: None,
            last_seen: Instant::now(),
            connected: None,
            view_version: feed.version,
            retained: VecDeque::new(),
        });
        record.interfaces = interfaces.iter().map(ToString::to_string).collect();
        record.last_seen = Instant::now();
        record.connected = Some(id);
        // The host holds the view of the newest message at or before `since`, provided the
        // next one (if any) came after it.
        let resumable = since.and_then(|since| {
            if since > feed.version {
                return None;
            }
            let kept = &record.retained;
            let idx = kept.iter().rposition(|(v, _)| *v <= since)?;
            let next_ok = kept.get(idx + 1).is_none_or(|(v, _)| *v > since);
            next_ok.then(|| kept[idx].1.delta_to(&doc))
        });
        record.retained.clear();
        let heartbeat_ms = self.shared.heartbeat_ms.load(Ordering::Relaxed);
        let first = match resumable {
            Some(delta) => {
                if !delta.is_empty() {
                    record.view_version = feed.version;
                }
                Message::View {
                    version: feed.version,
                    heartbeat_ms,
                    doc: None,
                    delta: Some(delta),
                }
            }
            None => {
                record.view_version = feed.version;
                Message::View {
                    version: feed.version,
                    heartbeat_ms,
                    doc: Some(doc.to_document()),
                    delta: None,
                }
            }
        };
        let line = first.to_line();
        self.shared.count(&line);
        // A fresh channel has room for the first message.
        let _ = tx.try_send(line);
        for dep in &view.deps {
            feed.index.entry(dep.clone()).or_default().insert(id);
        }
        feed.watchers.insert(
            id,
            Watcher {
                host: host.to_owned(),
                interfaces,
                deps: view.deps,
                sent: doc,
                sent_version: feed.version,
                earlier: VecDeque::new(),
                tx,
            },
        );
        Ok(rx)
    }

    /// Records what a host reports it enforces.
    pub(crate) fn report(
        &self,
        scope: &Scope,
        host: &str,
        version: Option<i64>,
        error: Option<String>,
        interfaces: Vec<String>,
    ) {
        let mut state = self.shared.lock();
        let hosts = state.hosts.entry(scope.clone()).or_default();
        let view_version = version.unwrap_or(0);
        let record = hosts.entry(host.to_owned()).or_insert_with(|| HostRecord {
            interfaces: Vec::new(),
            enforced: None,
            error: None,
            last_seen: Instant::now(),
            connected: None,
            view_version,
            retained: VecDeque::new(),
        });
        record.enforced = version;
        record.error = error;
        record.last_seen = Instant::now();
        if !interfaces.is_empty() {
            record.interfaces = interfaces;
        }
    }

    /// The hosts of a scope against the scope's `version`: this server's from memory and,
    /// when the store is shared, the other servers' from the store. Blocking (reads the
    /// store).
    pub(crate) fn hosts(&self, scope: &Scope, version: i64) -> Vec<HostStatus> {
        let stale_after = self.heartbeat() * 3;
        let mut out: BTreeMap<String, (HostStatus, u64)> = BTreeMap::new();
        let now = shared_hosts::now_ms();
        {
            let state = self.shared.lock();
            for (name, r) in state.hosts.get(scope).into_iter().flatten() {
                let age = r.last_seen.elapsed();
                let status = match (r.connected, age > stale_after) {
                    (Some(_), _) => "connected",
                    (None, false) => "disconnected",
                    (None, true) => "stale",
                };
                let age_ms = u64::try_from(age.as_millis()).unwrap_or(u64::MAX);
                let host = HostStatus {
                    host: name.clone(),
                    interfaces: r.interfaces.clone(),
                    status: status.to_owned(),
                    version: r.enforced,
                    view_version: r.view_version,
                    lag: shared_hosts::lag(r.enforced, r.view_version, version),
                    last_error: r.error.clone(),
                    seen_ms_ago: age_ms,
                };
                out.insert(name.clone(), (host, now.saturating_sub(age_ms)));
            }
        }
        if self.shared.store.shares_hosts() {
            let stored = self.shared.store.hosts(scope).unwrap_or_else(|e| {
                tracing::warn!(%scope, "hosts: reading other servers' hosts failed: {e}");
                Vec::new()
            });
            for (name, body) in stored {
                let Ok(h) = serde_json::from_str::<StoredHost>(&body) else {
                    tracing::warn!(%scope, host = name, "hosts: an unreadable stored record");
                    continue;
                };
                if h.server == self.shared.server {
                    continue;
                }
                // The newest sign of life wins: a host that moved to another server.
                let newer = out
                    .get(&name)
                    .is_none_or(|(local, seen)| local.status != "connected" && h.seen_ms > *seen);
                if newer {
                    let status = h.status(&name, now, stale_after, version);
                    out.insert(name, (status, h.seen_ms));
                }
            }
        }
        out.into_values().map(|(h, _)| h).collect()
    }

    /// Records the version a write through this server produced and wakes the feed.
    fn written(&self, scope: &Scope) {
        let mut ids = RandomIds::new();
        let version = view_versioned::<_, StoreError>(&*self.shared.store, scope, &mut ids, |_| ());
        if let (Ok((version, ())), Ok(mut written)) = (version, self.shared.written.lock()) {
            written.insert(scope.clone(), version);
        }
        // Nobody watches the scope: waking the hub thread would only find that out (a
        // futex wake per batch, and the thread's own turn, were 6% of a write's CPU).
        // `subscribe` catches up on a write that lands while its feed is being made. The
        // store thread never waits for the hub's lock (held while deltas are computed):
        // when it is busy, the hub is woken anyway, which is always safe.
        let watched = self
            .shared
            .state
            .try_lock()
            .map_or(true, |state| state.feeds.contains_key(scope));
        if watched {
            let _ = self.events.send(Event::Changed(scope.clone()));
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, HubState> {
        // A panic while holding the lock leaves only feed bookkeeping behind; carry on.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn count(&self, line: &str) {
        self.messages.fetch_add(1, Ordering::Relaxed);
        self.bytes
            .fetch_add(u64::try_from(line.len()).unwrap_or(0), Ordering::Relaxed);
    }

    /// Moves a feed to `version`: the watchers whose dependencies changed get their view
    /// recomputed and, when it differs from what they were sent, a delta.
    fn apply_change(
        &self,
        feed: &mut Feed,
        hosts: &mut BTreeMap<String, HostRecord>,
        version: i64,
        snapshot: Snapshot,
    ) {
        let changes = changed_deps(&feed.snapshot, &snapshot);
        feed.snapshot = snapshot;
        feed.version = version;
        let affected: BTreeSet<u64> = changes
            .iter()
            .filter_map(|d| feed.index.get(d))
            .flatten()
            .copied()
            .collect();
        let mut dead = Vec::new();
        for id in affected {
            let Some(w) = feed.watchers.get_mut(&id) else {
                continue;
            };
            let view = host_view(&feed.snapshot, &w.interfaces);
            self.views.fetch_add(1, Ordering::Relaxed);
            let doc = ViewDoc::from_document(&palisade_ec2::export(&view.snapshot));
            let delta = w.sent.delta_to(&doc);
            for dep in w.deps.difference(&view.deps) {
                if let Some(ids) = feed.index.get_mut(dep) {
                    ids.remove(&id);
                }
            }
            for dep in view.deps.difference(&w.deps) {
                feed.index.entry(dep.clone()).or_default().insert(id);
            }
            w.deps = view.deps;
            if delta.is_empty() {
                continue;
            }
            let before = std::mem::replace(&mut w.sent, doc);
            w.earlier.push_back((w.sent_version, before));
            if w.earlier.len() >= RESUMABLE {
                w.earlier.pop_front();
            }
            w.sent_version = version;
            if let Some(r) = hosts.get_mut(&w.host) {
                r.view_version = version;
            }
            let line = Message::Delta { version, delta }.to_line();
            self.count(&line);
            if w.tx.try_send(line).is_err() {
                dead.push(id);
            }
        }
        for id in dead {
            drop_watcher(feed, hosts, id);
        }
    }
}

/// Removes a watcher, keeping what it was sent so a reconnect can resume from it.
fn drop_watcher(feed: &mut Feed, hosts: &mut BTreeMap<String, HostRecord>, id: u64) {
    let Some(w) = feed.watchers.remove(&id) else {
        return;
    };
    for dep in &w.deps {
        if let Some(ids) = feed.index.get_mut(dep) {
            ids.remove(&id);
        }
    }
    if let Some(r) = hosts.get_mut(&w.host)
        && r.connected == Some(id)
    {
        r.connected = None;
        r.last_seen = Instant::now();
        let mut kept = w.earlier;
        kept.push_back((w.sent_version, w.sent));
        r.retained = kept;
    }
}

fn close_all(state: &mut HubState) {
    state.closed = true;
    let HubState { feeds, hosts, .. } = state;
    for (scope, feed) in feeds.iter_mut() {
        let hosts = hosts.entry(scope.clone()).or_default();
        let ids: Vec<u64> = feed.watchers.keys().copied().collect();
        for id in ids {
            drop_watcher(feed, hosts, id);
        }
    }
}

fn read_scope(store: &dyn Store, scope: &Scope) -> Result<(i64, Snapshot), StoreError> {
    let mut ids = RandomIds::new();
    view_versioned::<_, StoreError>(store, scope, &mut ids, |st| st.snapshot().clone())
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The hub thread: changes as they come (a burst coalesced per scope), heartbeats between.
fn run(shared: &Shared, events: &mpsc::Receiver<Event>) {
    let mut next_beat =
        Instant::now() + Duration::from_millis(shared.heartbeat_ms.load(Ordering::Relaxed));
    let sharing = shared.store.shares_hosts();
    let mut next_flush = Instant::now() + FLUSH_EVERY;
    loop {
        let until = if sharing {
            next_beat.min(next_flush)
        } else {
            next_beat
        };
        let wait = until.saturating_duration_since(Instant::now());
        let first = match events.recv_timeout(wait) {
            Ok(event) => Some(event),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        };
        let mut scopes = BTreeSet::new();
        for event in first.into_iter().chain(events.try_iter()) {
            match event {
                Event::Changed(scope) => {
                    scopes.insert(scope);
                }
                Event::Close => close_all(&mut shared.lock()),
            }
        }
        for scope in scopes {
            refresh(shared, &scope);
        }
        let beat = Instant::now() >= next_beat;
        if beat {
            heartbeat(shared);
            next_beat =
                Instant::now() + Duration::from_millis(shared.heartbeat_ms.load(Ordering::Relaxed));
        }
        if sharing && (beat || Instant::now() >= next_flush) {
            flush_hosts(shared, beat);
            next_flush = Instant::now() + FLUSH_EVERY;
        }
    }
}

/// Writes the host records that changed since the last flush — and, at a heartbeat, those
/// of connected hosts, to show they are alive — to the shared store.
fn flush_hosts(shared: &Shared, beat: bool) {
    let now = shared_hosts::now_ms();
    let mut batches: Vec<(Scope, Vec<(String, String)>)> = Vec::new();
    {
        let mut state = shared.lock();
        let HubState { hosts, flushed, .. } = &mut *state;
        for (scope, records) in hosts.iter() {
            let done = flushed.entry(scope.clone()).or_default();
            let mut rows = Vec::new();
            for (name, r) in records {
                let age = u64::try_from(r.last_seen.elapsed().as_millis()).unwrap_or(u64::MAX);
                let h = StoredHost {
                    server: shared.server.clone(),
                    interfaces: r.interfaces.clone(),
                    enforced: r.enforced,
                    error: r.error.clone(),
                    connected: r.connected.is_some(),
                    view_version: r.view_version,
                    seen_ms: now.saturating_sub(age),
                };
                let changed = done.get(name).is_none_or(|d| !d.same_content(&h));
                if changed || (beat && h.connected) {
                    if let Ok(body) = serde_json::to_string(&h) {
                        rows.push((name.clone(), body));
                    }
                    done.insert(name.clone(), h);
                }
            }
            if !rows.is_empty() {
                batches.push((scope.clone(), rows));
            }
        }
    }
    for (scope, rows) in batches {
        if let Err(e) = shared.store.put_hosts(&scope, &rows) {
            tracing::warn!(%scope, "change feed: sharing host records failed: {e}");
            // Written again next time.
            if let Some(done) = shared.lock().flushed.get_mut(&scope) {
                for (name, _) in &rows {
                    done.remove(name);
                }
            }
        }
    }
}

/// Brings a watched scope's feed to the store's version.
fn refresh(shared: &Shared, scope: &Scope) {
    if !shared.lock().feeds.contains_key(scope) {
        return;
    }
    let (version, snapshot) = match read_scope(&*shared.store, scope) {
        Ok(read) => read,
        Err(e) => {
            tracing::error!(%scope, "change feed: reading the scope failed: {e}");
            return;
        }
    };
    let mut state = shared.lock();
    let HubState { feeds, hosts, .. } = &mut *state;
    let Some(feed) = feeds.get_mut(scope) else {
        return;
    };
    if version <= feed.version {
        return;
    }
    let hosts = hosts.entry(scope.clone()).or_default();
    shared.apply_change(feed, hosts, version, snapshot);
}

fn heartbeat(shared: &Shared) {
    let mut state = shared.lock();
    let HubState { feeds, hosts, .. } = &mut *state;
    for (scope, feed) in feeds.iter_mut() {
        let line = Message::Heartbeat {
            version: feed.version,
        }
        .to_line();
        let dead: Vec<u64> = feed
            .watchers
            .iter()
            .filter(|(_, w)| w.tx.try_send(line.clone()).is_err())
            .map(|(id, _)| *id)
            .collect();
        let hosts = hosts.entry(scope.clone()).or_default();
        for id in dead {
            drop_watcher(feed, hosts, id);
        }
        for w in feed.watchers.values() {
            if let Some(r) = hosts.get_mut(&w.host) {
                r.last_seen = Instant::now();
            }
        }
    }
    // Feeds nobody watches are forgotten (a watcher reads the scope again).
    feeds.retain(|_, f| !f.watchers.is_empty());
}

/// The hub is told about each write the server's store commits.
impl WriteObserver for Hub {
    fn written(&self, scope: &Scope) {
        Self::written(self, scope);
    }
}
