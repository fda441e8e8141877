//! VPC Flow Logs for the lab: what each instance interface sent and received, counted by the
//! kernel, in windows, as ACCEPT or REJECT records.
//!
//! Each router gets its own `table inet palisade_flowlog`, apart from the groups' table: for
//! every port (an instance interface) one pair of chains counts the packets *seen* just
//! before the groups judge them (priority −1) and one pair the packets that *passed* (priority
//! +1), at prerouting for the interface's egress and at forward for its ingress. A packet
//! seen but not passed was dropped by its groups: REJECT. Counting happens in dynamic sets
//! keyed by the 5-tuple (`ip saddr . ip daddr . meta l4proto . th sport . th dport`, ports 0
//! for protocols without them, as AWS logs ICMP), with per-element counters.
//!
//! Windows are double-buffered: every port has leaf chains and sets for both buffers, and a
//! collection empties the other buffer's sets and points the four hook rules at its leaf
//! chains (one transaction), then lists the buffer it left, so no packet is lost between
//! listing and emptying. A port that comes adds its own objects; one that goes is collected,
//! then removed; the table is built whole only for a new router. The egress and ingress of one packet are read in one
//! hook traversal, but the two stages of one check may straddle the swap (seen in the old
//! window, passed in the new); such a packet shows as "passed more than seen" in the new
//! window, and its count is moved back to the old one, which is therefore reported one
//! window late.
//!
//! The key has five fields because nft 1.0.6 lists longer concatenations wrongly; the
//! interface is the set, not a key field.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::net::IpAddr;
use std::process::{Command, Stdio};

use super::fabric::LabError;
use super::plan::{Plan, router_ns};

/// The lab's flow-log table in each router.
pub const FLOW_TABLE: &str = "palisade_flowlog";

/// Elements per set; a full set stops counting new keys, and the window says `SKIPDATA`.
/// It is nft's default for a dynamic set and is never written: a set declared with a `size`
/// gets a preallocated hash of that many buckets (1,600 such sets for a 100-instance router
/// took 3 GB of kernel memory and 8.7 s of kernel time to create, holding the namespace's
/// nftables lock, so every apply in that router waited), one without it a growing hash.
const SET_SIZE: usize = 65_535;

/// Protocols whose transport header starts with the two ports.
const PORTED: &str = "{ tcp, udp, sctp, dccp, udplite }";

/// Which way a record's packets crossed the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    Egress,
    Ingress,
}

impl Direction {
    fn letter(self) -> char {
        match self {
            Self::Egress => 'o',
            Self::Ingress => 'i',
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Seen,
    Passed,
}

impl Stage {
    fn letter(self) -> char {
        match self {
            Self::Seen => 's',
            Self::Passed => 'p',
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Buffer {
    A,
    B,
}

impl Buffer {
    fn letter(self) -> char {
        match self {
            Self::A => 'a',
            Self::B => 'b',
        }
    }
    fn other(self) -> Self {
        match self {
            Self::A => Self::B,
            Self::B => Self::A,
        }
    }
}

const DIRECTIONS: [Direction; 2] = [Direction::Egress, Direction::Ingress];
const STAGES: [Stage; 2] = [Stage::Seen, Stage::Passed];
const BUFFERS: [Buffer; 2] = [Buffer::A, Buffer::B];

/// A flow's 5-tuple as the sets key it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FlowKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub protocol: u8,
    pub src_port: u16,
    pub dst_port: u16,
}

/// Packets and bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    pub packets: u64,
    pub bytes: u64,
}

impl Count {
    fn add(&mut self, o: Self) {
        self.packets += o.packets;
        self.bytes += o.bytes;
    }
    fn minus(self, o: Self) -> Self {
        Self {
            packets: self.packets.saturating_sub(o.packets),
            bytes: self.bytes.saturating_sub(o.bytes),
        }
    }
    fn is_zero(self) -> bool {
        self.packets == 0
    }
}

/// One record of one window: an interface's traffic of one flow in one direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRecord {
    /// The router port (the interface's host-side name).
    pub port: String,
    pub direction: Direction,
    pub key: FlowKey,
    pub count: Count,
    pub accepted: bool,
    /// The window, in Unix seconds.
    pub start: u64,
    pub end: u64,
}

/// A window in which some of a port's sets were full: records are missing (`SKIPDATA`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub port: String,
    pub start: u64,
    pub end: u64,
}

/// What one collection produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Collected {
    pub records: Vec<FlowRecord>,
    pub skipped: Vec<Skipped>,
}

/// One port's counts of one window, by direction and stage.
type Dump = BTreeMap<(String, Direction, Stage), BTreeMap<FlowKey, Count>>;

fn set_name(port: &str, buf: Buffer, dir: Direction, stage: Stage, v6: bool) -> String {
    format!(
        "f_{port}_{}{}{}{}",
        buf.letter(),
        dir.letter(),
        stage.letter(),
        if v6 { '6' } else { '4' }
    )
}

fn leaf_chain(port: &str, buf: Buffer, dir: Direction, stage: Stage) -> String {
    format!("{}{}{}_{port}", dir.letter(), stage.letter(), buf.letter())
}

/// The counting rules of one leaf chain, into `buf`'s sets.
fn leaf_rules(port: &str, buf: Buffer, dir: Direction, stage: Stage) -> [String; 4] {
    let s4 = set_name(port, buf, dir, stage, false);
    let s6 = set_name(port, buf, dir, stage, true);
    [
        format!(
            "meta nfproto ipv4 meta l4proto {PORTED} update @{s4} {{ ip saddr . ip daddr . meta l4proto . th sport . th dport }}"
        ),
        format!(
            "meta nfproto ipv4 meta l4proto != {PORTED} update @{s4} {{ ip saddr . ip daddr . meta l4proto . 0 . 0 }}"
        ),
        format!(
            "meta nfproto ipv6 meta l4proto {PORTED} update @{s6} {{ ip6 saddr . ip6 daddr . meta l4proto . th sport . th dport }}"
        ),
        format!(
            "meta nfproto ipv6 meta l4proto != {PORTED} update @{s6} {{ ip6 saddr . ip6 daddr . meta l4proto . 0 . 0 }}"
        ),
    ]
}

/// The hook chain of one direction and stage.
fn hook_chain(dir: Direction, stage: Stage) -> String {
    format!("{}_{}", dir.letter(), stage.letter())
}

/// The one rule of a hook chain: each port's packets to its leaf chain of `buf`.
fn hook_rule(
    ports: &BTreeSet<String>,
    buf: Buffer,
    dir: Direction,
    stage: Stage,
) -> Option<String> {
    let ifname = match dir {
        Direction::Egress => "iifname",
        Direction::Ingress => "oifname",
    };
    let arms: Vec<String> = ports
        .iter()
        .map(|p| format!("\"{p}\" : jump {}", leaf_chain(p, buf, dir, stage)))
        .collect();
    (!arms.is_empty()).then(|| format!("{ifname} vmap {{ {} }}", arms.join(", ")))
}

/// Adds one port's sets and leaf chains (both buffers) to an existing table.
fn port_text(port: &str) -> String {
    let mut t = String::new();
    for b in BUFFERS {
        for dir in DIRECTIONS {
            for stage in STAGES {
                for (v6, key) in [
                    (false, "ip saddr . ip daddr"),
                    (true, "ip6 saddr . ip6 daddr"),
                ] {
                    t.push_str(&format!(
                        "add set inet {FLOW_TABLE} {} {{ typeof {key} . meta l4proto . th sport . th dport; flags dynamic; counter; }}\n",
                        set_name(port, b, dir, stage, v6)
                    ));
                }
                let chain = leaf_chain(port, b, dir, stage);
                t.push_str(&format!("add chain inet {FLOW_TABLE} {chain}\n"));
                for r in leaf_rules(port, b, dir, stage) {
                    t.push_str(&format!("add rule inet {FLOW_TABLE} {chain} {r}\n"));
                }
            }
        }
    }
    t
}

/// Removes one port's leaf chains and sets (after the hooks stopped naming them).
fn unport_text(port: &str) -> String {
    let mut t = String::new();
    for b in BUFFERS {
        for dir in DIRECTIONS {
            for stage in STAGES {
                let chain = leaf_chain(port, b, dir, stage);
                t.push_str(&format!("delete chain inet {FLOW_TABLE} {chain}\n"));
                for v6 in [false, true] {
                    t.push_str(&format!(
                        "delete set inet {FLOW_TABLE} {}\n",
                        set_name(port, b, dir, stage, v6)
                    ));
                }
            }
        }
    }
    t
}

/// The whole table for a router with `ports`, counting into `buf` (replacing any earlier one).
/// Every port has its sets and leaf chains for both buffers, so that a window's swap
/// rewrites only the four hook rules (a rewrite of every leaf chain took the namespace's
/// nftables lock for a second at 100 interfaces).
fn table_text(ports: &BTreeSet<String>, buf: Buffer) -> String {
    let mut t = format!("add table inet {FLOW_TABLE}\ndelete table inet {FLOW_TABLE}\n");
    t.push_str(&format!("add table inet {FLOW_TABLE}\n"));
    for port in ports {
        t.push_str(&port_text(port));
    }
    for dir in DIRECTIONS {
        for stage in STAGES {
            let (hook, priority) = match (dir, stage) {
                (Direction::Egress, Stage::Seen) => ("prerouting", -1),
                (Direction::Egress, Stage::Passed) => ("prerouting", 1),
                (Direction::Ingress, Stage::Seen) => ("forward", -1),
                (Direction::Ingress, Stage::Passed) => ("forward", 1),
            };
            let chain = hook_chain(dir, stage);
            t.push_str(&format!(
                "add chain inet {FLOW_TABLE} {chain} {{ type filter hook {hook} priority {priority}; policy accept; }}\n"
            ));
            if let Some(r) = hook_rule(ports, buf, dir, stage) {
                t.push_str(&format!("add rule inet {FLOW_TABLE} {chain} {r}\n"));
            }
        }
    }
    t
}

/// Points the hooks at `buf`'s leaf chains for `ports`, in one transaction.
fn swap_text(ports: &BTreeSet<String>, buf: Buffer) -> String {
    let mut t = String::new();
    for dir in DIRECTIONS {
        for stage in STAGES {
            let chain = hook_chain(dir, stage);
            t.push_str(&format!("flush chain inet {FLOW_TABLE} {chain}\n"));
            if let Some(r) = hook_rule(ports, buf, dir, stage) {
                t.push_str(&format!("add rule inet {FLOW_TABLE} {chain} {r}\n"));
            }
        }
    }
    t
}

/// Empties `buf`'s sets.
fn flush_text(ports: &BTreeSet<String>, buf: Buffer) -> String {
    let mut t = String::new();
    for port in ports {
        for dir in DIRECTIONS {
            for stage in STAGES {
                for v6 in [false, true] {
                    t.push_str(&format!(
                        "flush set inet {FLOW_TABLE} {}\n",
                        set_name(port, buf, dir, stage, v6)
                    ));
                }
            }
        }
    }
    t
}

/// Reads `nft -n -j list table` output: `buf`'s sets, by port, direction and stage, and the
/// ports whose sets were full.
fn parse_listing(json: &str, buf: Buffer) -> Result<(Dump, BTreeSet<String>), String> {
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let items = v
        .get("nftables")
        .and_then(|x| x.as_array())
        .ok_or("no nftables array")?;
    let mut dump = Dump::new();
    let mut full = BTreeSet::new();
    for item in items {
        let Some(set) = item.get("set") else { continue };
        let Some(name) = set.get("name").and_then(|n| n.as_str()) else {
            continue;
        };
        let Some((port, b, dir, stage)) = parse_set_name(name) else {
            continue;
        };
        if b != buf {
            continue;
        }
        let elems = set.get("elem").and_then(|e| e.as_array());
        let counts = dump.entry((port.clone(), dir, stage)).or_default();
        let Some(elems) = elems else { continue };
        if elems.len() >= SET_SIZE {
            full.insert(port.clone());
        }
        for e in elems {
            let e = e.get("elem").unwrap_or(e);
            let fields = e
                .get("val")
                .and_then(|v| v.get("concat"))
                .and_then(|c| c.as_array())
                .ok_or_else(|| format!("{name}: an element without a 5-tuple"))?;
            let key = parse_key(fields).ok_or_else(|| format!("{name}: bad element {e}"))?;
            let c = e.get("counter");
            let n = |f: &str| {
                c.and_then(|c| c.get(f))
                    .and_then(|x| x.as_u64())
                    .unwrap_or(0)
            };
            counts.entry(key).or_default().add(Count {
                packets: n("packets"),
                bytes: n("bytes"),
            });
        }
    }
    Ok((dump, full))
}

fn parse_set_name(name: &str) -> Option<(String, Buffer, Direction, Stage)> {
    let rest = name.strip_prefix("f_")?;
    let (port, tag) = rest.rsplit_once('_')?;
    let mut c = tag.chars();
    let buf = match c.next()? {
        'a' => Buffer::A,
        'b' => Buffer::B,
        _ => return None,
    };
    let dir = match c.next()? {
        'o' => Direction::Egress,
        'i' => Direction::Ingress,
        _ => return None,
    };
    let stage = match c.next()? {
        's' => Stage::Seen,
        'p' => Stage::Passed,
        _ => return None,
    };
    Some((port.to_owned(), buf, dir, stage))
}

fn parse_key(f: &[serde_json::Value]) -> Option<FlowKey> {
    let [src, dst, proto, sport, dport] = f else {
        return None;
    };
    Some(FlowKey {
        src: src.as_str()?.parse().ok()?,
        dst: dst.as_str()?.parse().ok()?,
        protocol: u8::try_from(proto.as_u64()?).ok()?,
        src_port: u16::try_from(sport.as_u64()?).ok()?,
        dst_port: u16::try_from(dport.as_u64()?).ok()?,
    })
}

/// A window's verdicts per (port, direction, key), not yet reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Window {
    start: u64,
    end: u64,
    /// (accepted, rejected).
    flows: BTreeMap<(String, Direction, FlowKey), (Count, Count)>,
    full: BTreeSet<String>,
}

/// Turns one window's dump into verdicts, moving "passed but not seen here" counts back to
/// `previous` (packets whose two stages straddled the swap).
fn judge(dump: &Dump, previous: Option<&mut Window>, start: u64, end: u64) -> Window {
    let mut w = Window {
        start,
        end,
        ..Window::default()
    };
    let empty = BTreeMap::new();
    let mut previous = previous;
    let mut keys: BTreeSet<(String, Direction)> = BTreeSet::new();
    for (port, dir, _) in dump.keys() {
        keys.insert((port.clone(), *dir));
    }
    for (port, dir) in keys {
        let seen = dump
            .get(&(port.clone(), dir, Stage::Seen))
            .unwrap_or(&empty);
        let passed = dump
            .get(&(port.clone(), dir, Stage::Passed))
            .unwrap_or(&empty);
        let all: BTreeSet<&FlowKey> = seen.keys().chain(passed.keys()).collect();
        for key in all {
            let s = seen.get(key).copied().unwrap_or_default();
            let p = passed.get(key).copied().unwrap_or_default();
            let excess = p.minus(s);
            if !excess.is_zero()
                && let Some(prev) = previous.as_deref_mut()
                && let Some((acc, rej)) = prev.flows.get_mut(&(port.clone(), dir, *key))
            {
                let moved = Count {
                    packets: excess.packets.min(rej.packets),
                    bytes: excess.bytes.min(rej.bytes),
                };
                *rej = rej.minus(moved);
                acc.add(moved);
            }
            let accepted = p.minus(excess);
            let rejected = s.minus(accepted);
            if !accepted.is_zero() || !rejected.is_zero() {
                w.flows
                    .insert((port.clone(), dir, *key), (accepted, rejected));
            }
        }
    }
    w
}

fn report(w: Window, out: &mut Collected) {
    for ((port, direction, key), (acc, rej)) in w.flows {
        for (count, accepted) in [(acc, true), (rej, false)] {
            if !count.is_zero() {
                out.records.push(FlowRecord {
                    port: port.clone(),
                    direction,
                    key,
                    count,
                    accepted,
                    start: w.start,
                    end: w.end,
                });
            }
        }
    }
    for port in w.full {
        out.skipped.push(Skipped {
            port,
            start: w.start,
            end: w.end,
        });
    }
}

/// One router's tap.
#[derive(Debug)]
struct RouterTap {
    ports: BTreeSet<String>,
    active: Buffer,
    since: u64,
    pending: Option<Window>,
}

/// The flow-log taps of every router of the lab.
#[derive(Debug, Default)]
pub struct FlowTap {
    routers: BTreeMap<String, RouterTap>,
}

impl FlowTap {
    /// Follows the plan in force: a router whose ports changed is collected (into the
    /// result) and its table rebuilt; a router that is gone is forgotten (its namespace,
    /// and its last window, went with it).
    pub fn sync(&mut self, prefix: &str, plan: &Plan, now: u64) -> Result<Collected, LabError> {
        let mut out = Collected::default();
        let wanted: BTreeMap<String, BTreeSet<String>> = plan
            .routers
            .values()
            .map(|r| {
                (
                    router_ns(prefix, &r.vpc),
                    r.ports.iter().map(|n| n.port.clone()).collect(),
                )
            })
            .collect();
        self.routers.retain(|ns, _| wanted.contains_key(ns));
        for (ns, ports) in wanted {
            let Some(known) = self.routers.get(&ns).map(|t| t.ports.clone()) else {
                nft_batch(&ns, &table_text(&ports, Buffer::A))?;
                self.routers.insert(
                    ns,
                    RouterTap {
                        ports,
                        active: Buffer::A,
                        since: now,
                        pending: None,
                    },
                );
                continue;
            };
            if known == ports {
                continue;
            }
            // A port that goes has its counts collected first (ending every port's window);
            // one that comes only adds its own objects and joins the hooks.
            let gone: Vec<&String> = known.difference(&ports).collect();
            if !gone.is_empty() {
                self.collect_one(&ns, now, true, &mut out)?;
            }
            let Some(tap) = self.routers.get_mut(&ns) else {
                continue;
            };
            let mut batch = String::new();
            for port in ports.difference(&known) {
                batch.push_str(&port_text(port));
            }
            batch.push_str(&swap_text(&ports, tap.active));
            for port in gone {
                batch.push_str(&unport_text(port));
            }
            nft_batch(&ns, &batch)?;
            tap.ports = ports;
        }
        Ok(out)
    }

    /// Ends the current window of every router; records come one window late (see the
    /// module's note), or at once when `last` (the lab is stopping).
    pub fn collect(&mut self, now: u64, last: bool) -> Result<Collected, LabError> {
        let mut out = Collected::default();
        let names: Vec<String> = self.routers.keys().cloned().collect();
        for ns in names {
            self.collect_one(&ns, now, last, &mut out)?;
        }
        Ok(out)
    }

    fn collect_one(
        &mut self,
        ns: &str,
        now: u64,
        last: bool,
        out: &mut Collected,
    ) -> Result<(), LabError> {
        let Some(tap) = self.routers.get_mut(ns) else {
            return Ok(());
        };
        let old = tap.active;
        let new = old.other();
        if !tap.ports.is_empty() {
            // The new buffer still holds what the previous collection listed: empty it and
            // point the rules at it in one transaction (two `nft` runs per window, not three).
            let mut batch = flush_text(&tap.ports, new);
            batch.push_str(&swap_text(&tap.ports, new));
            nft_batch(ns, &batch)?;
        }
        tap.active = new;
        let listing = nft_list(ns)?;
        let (dump, full) = parse_listing(&listing, old).map_err(|e| LabError::Command {
            command: format!("nft -j list table inet {FLOW_TABLE} in {ns}"),
            status: "0".into(),
            stderr: e,
        })?;
        let mut w = judge(&dump, tap.pending.as_mut(), tap.since, now);
        w.full = full;
        tap.since = now;
        if let Some(prev) = tap.pending.take() {
            report(prev, out);
        }
        if last {
            report(w, out);
        } else {
            tap.pending = Some(w);
        }
        Ok(())
    }
}

fn nft_batch(ns: &str, text: &str) -> Result<(), LabError> {
    let mut child = Command::new("ip")
        .args(["netns", "exec", ns, "nft", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| LabError::Spawn {
            program: "nft".into(),
            source,
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(text.as_bytes());
    }
    let out = child.wait_with_output().map_err(|source| LabError::Spawn {
        program: "nft".into(),
        source,
    })?;
    if !out.status.success() {
        return Err(LabError::Command {
            command: format!("nft -f (flow-log table in {ns})"),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(())
}

fn nft_list(ns: &str) -> Result<String, LabError> {
    let out = Command::new("ip")
        .args([
            "netns", "exec", ns, "nft", "-n", "-j", "list", "table", "inet", FLOW_TABLE,
        ])
        .output()
        .map_err(|source| LabError::Spawn {
            program: "nft".into(),
            source,
        })?;
    if !out.status.success() {
        return Err(LabError::Command {
            command: format!("nft -j list table inet {FLOW_TABLE} in {ns}"),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(dport: u16) -> FlowKey {
        FlowKey {
            src: "10.0.1.5".parse().unwrap(),
            dst: "10.0.2.7".parse().unwrap(),
            protocol: 6,
            src_port: 40000,
            dst_port: dport,
        }
    }

    fn c(packets: u64) -> Count {
        Count {
            packets,
            bytes: packets * 60,
        }
    }

    fn dump(rows: &[(Stage, FlowKey, u64)]) -> Dump {
        let mut d = Dump::new();
        for (stage, k, n) in rows {
            d.entry(("p1".into(), Direction::Egress, *stage))
                .or_default()
                .insert(*k, c(*n));
        }
        d
    }

    #[test]
    fn seen_but_not_passed_is_rejected() {
        let d = dump(&[
            (Stage::Seen, key(443), 5),
            (Stage::Passed, key(443), 5),
            (Stage::Seen, key(5432), 3),
        ]);
        let w = judge(&d, None, 0, 60);
        assert_eq!(
            w.flows[&("p1".into(), Direction::Egress, key(443))],
            (c(5), c(0))
        );
        assert_eq!(
            w.flows[&("p1".into(), Direction::Egress, key(5432))],
            (c(0), c(3))
        );
    }

    #[test]
    fn a_packet_straddling_the_swap_is_moved_back() {
        // Window 1 saw 4 and passed 3 (one packet's second stage fell into window 2).
        let d1 = dump(&[(Stage::Seen, key(80), 4), (Stage::Passed, key(80), 3)]);
        let mut w1 = judge(&d1, None, 0, 60);
        assert_eq!(
            w1.flows[&("p1".into(), Direction::Egress, key(80))],
            (c(3), c(1))
        );
        // Window 2 passed 2 but saw 1: one passed packet belongs to window 1.
        let d2 = dump(&[(Stage::Seen, key(80), 1), (Stage::Passed, key(80), 2)]);
        let w2 = judge(&d2, Some(&mut w1), 60, 120);
        assert_eq!(
            w1.flows[&("p1".into(), Direction::Egress, key(80))],
            (c(4), c(0))
        );
        assert_eq!(
            w2.flows[&("p1".into(), Direction::Egress, key(80))],
            (c(1), c(0))
        );
    }

    #[test]
    fn set_names_round_trip() {
        for b in BUFFERS {
            for d in DIRECTIONS {
                for s in STAGES {
                    let n = set_name("pabcdef01234567", b, d, s, true);
                    assert_eq!(
                        parse_set_name(&n),
                        Some(("pabcdef01234567".into(), b, d, s))
                    );
                }
            }
        }
    }

    #[test]
    fn listing_of_nft_is_read() {
        let json = r#"{"nftables": [{"metainfo": {"version": "1.0.6"}},
          {"set": {"family": "inet", "name": "f_p1_aos4", "table": "palisade_flowlog",
            "elem": [{"elem": {"val": {"concat": ["10.0.1.5", "10.0.2.7", 6, 40000, 443]},
                               "counter": {"packets": 5, "bytes": 300}}}]}},
          {"set": {"family": "inet", "name": "f_p1_bos4", "table": "palisade_flowlog",
            "elem": [{"elem": {"val": {"concat": ["10.0.1.5", "10.0.2.7", 6, 40000, 22]},
                               "counter": {"packets": 1, "bytes": 60}}}]}},
          {"set": {"family": "inet", "name": "f_p1_aop4", "table": "palisade_flowlog"}}]}"#;
        let (d, full) = parse_listing(json, Buffer::A).unwrap();
        assert!(full.is_empty());
        assert_eq!(
            d[&("p1".into(), Direction::Egress, Stage::Seen)][&key(443)],
            Count {
                packets: 5,
                bytes: 300
            }
        );
        assert!(d[&("p1".into(), Direction::Egress, Stage::Passed)].is_empty());
        assert!(!d.values().any(|m| m.contains_key(&key(22))));
        assert!(parse_listing("not json", Buffer::A).is_err());
    }

    #[test]
    fn the_table_counts_both_stages_around_the_groups() {
        let ports: BTreeSet<String> = ["p1".to_owned()].into();
        let t = table_text(&ports, Buffer::A);
        assert!(t.contains("type filter hook prerouting priority -1;"));
        assert!(t.contains("type filter hook forward priority 1;"));
        assert!(t.contains("iifname vmap { \"p1\" : jump osa_p1 }"));
        assert!(t.contains("oifname vmap { \"p1\" : jump ipa_p1 }"));
        assert_eq!(t.matches("add set inet palisade_flowlog f_p1_").count(), 16);
        assert!(t.contains("add rule inet palisade_flowlog osb_p1 meta nfproto ipv4"));
        // A swap rewrites the four hook rules and nothing else.
        let s = swap_text(&ports, Buffer::B);
        assert_eq!(s.matches("add rule").count(), 4);
        assert!(s.contains("iifname vmap { \"p1\" : jump osb_p1 }"));
        assert!(!s.contains("jump osa_"));
        // Ports come and go without a rebuild.
        assert_eq!(port_text("p2").matches("add set").count(), 16);
        assert_eq!(unport_text("p2").matches("delete set").count(), 16);
    }
}
