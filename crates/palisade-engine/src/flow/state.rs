//! Per-protocol connection states, their transitions and idle timeouts.
//!
//! TCP follows Linux conntrack (`net/netfilter/nf_conntrack_proto_tcp.c`, `tcp_conntracks`),
//! simplified to the flags a trace carries and without window tracking:
//!
//! | state | entered on | idle timeout (Linux `nf_conntrack_tcp_timeout_*`) |
//! |---|---|---|
//! | `SynSent` | SYN from the initiator | 120 s |
//! | `SynRecv` | SYN-ACK (or SYN) from the responder | 60 s |
//! | `Established` | ACK from the initiator after SYN-ACK, or mid-stream pick-up | the interface's `TcpEstablishedTimeout` (EC2: 60–432,000 s, default 432,000) |
//! | `FinWait` | FIN in `Established` | 120 s |
//! | `CloseWait` | ACK in `FinWait` | 60 s |
//! | `LastAck` | FIN in `FinWait`/`CloseWait` | 30 s |
//! | `TimeWait` | ACK in `LastAck` | 120 s |
//! | `Close` | RST in any state | 10 s |
//!
//! As in Linux, a lone ACK with no connection is picked up as `Established`
//! (`nf_conntrack_tcp_loose` = 1, the default), and a SYN in `TimeWait`/`Close` reopens the
//! tuple. SYN-ACK, FIN or RST with no connection start nothing (Linux: invalid).
//!
//! UDP follows EC2's words ("Security group connection tracking", idle timeouts): a flow in
//! "one direction or a single request-response transaction" times out after `UdpTimeout`
//! (30–60 s, default 30), one with "more than one request-response transaction" after
//! `UdpStreamTimeout` (60–180 s, default 180). A transaction is a packet from the initiator
//! answered by a packet from the responder; the second answered request makes a stream.
//!
//! ICMP echo: Linux's `nf_conntrack_icmp_timeout`, 30 s. Other protocols: EC2's 600 s
//! ("return traffic … from the host is accepted for 600 seconds").

use palisade_model::ConntrackConfig;

use crate::flow::packet::TcpFlags;

/// Linux `nf_conntrack_tcp_timeout_syn_sent`.
pub const TCP_SYN_SENT_SECS: u32 = 120;
/// Linux `nf_conntrack_tcp_timeout_syn_recv`.
pub const TCP_SYN_RECV_SECS: u32 = 60;
/// Linux `nf_conntrack_tcp_timeout_fin_wait`.
pub const TCP_FIN_WAIT_SECS: u32 = 120;
/// Linux `nf_conntrack_tcp_timeout_close_wait`.
pub const TCP_CLOSE_WAIT_SECS: u32 = 60;
/// Linux `nf_conntrack_tcp_timeout_last_ack`.
pub const TCP_LAST_ACK_SECS: u32 = 30;
/// Linux `nf_conntrack_tcp_timeout_time_wait`.
pub const TCP_TIME_WAIT_SECS: u32 = 120;
/// Linux `nf_conntrack_tcp_timeout_close`.
pub const TCP_CLOSE_SECS: u32 = 10;
/// Linux `nf_conntrack_icmp_timeout` / `nf_conntrack_icmpv6_timeout`.
pub const ICMP_SECS: u32 = 30;
/// EC2 UG: other protocols' return traffic is accepted for 600 s.
pub const OTHER_SECS: u32 = 600;

/// The state of one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    TcpSynSent,
    TcpSynRecv,
    TcpEstablished,
    TcpFinWait,
    TcpCloseWait,
    TcpLastAck,
    TcpTimeWait,
    TcpClose,
    /// Only the initiator has spoken.
    UdpUnreplied,
    /// One request answered.
    UdpReplied,
    /// A second request after an answer, not yet answered.
    UdpRequestAgain,
    /// More than one request-response transaction.
    UdpStream,
    IcmpEcho,
    Other,
}

const ALL_STATES: [State; 14] = [
    State::TcpSynSent,
    State::TcpSynRecv,
    State::TcpEstablished,
    State::TcpFinWait,
    State::TcpCloseWait,
    State::TcpLastAck,
    State::TcpTimeWait,
    State::TcpClose,
    State::UdpUnreplied,
    State::UdpReplied,
    State::UdpRequestAgain,
    State::UdpStream,
    State::IcmpEcho,
    State::Other,
];

impl State {
    pub(crate) fn to_u8(self) -> u8 {
        self as u8
    }

    pub(crate) fn from_u8(n: u8) -> Self {
        ALL_STATES[usize::from(n)]
    }

    /// The idle timeout of this state on an interface, in seconds.
    pub fn timeout_secs(self, config: &ConntrackConfig) -> u32 {
        match self {
            Self::TcpSynSent => TCP_SYN_SENT_SECS,
            Self::TcpSynRecv => TCP_SYN_RECV_SECS,
            Self::TcpEstablished => config.tcp_established(),
            Self::TcpFinWait => TCP_FIN_WAIT_SECS,
            Self::TcpCloseWait => TCP_CLOSE_WAIT_SECS,
            Self::TcpLastAck => TCP_LAST_ACK_SECS,
            Self::TcpTimeWait => TCP_TIME_WAIT_SECS,
            Self::TcpClose => TCP_CLOSE_SECS,
            Self::UdpUnreplied | Self::UdpReplied | Self::UdpRequestAgain => config.udp(),
            Self::UdpStream => config.udp_stream(),
            Self::IcmpEcho => ICMP_SECS,
            Self::Other => OTHER_SECS,
        }
    }

    /// The state a TCP packet with no connection starts, if any.
    pub(crate) fn tcp_new(flags: TcpFlags) -> Option<Self> {
        if flags.contains(TcpFlags::RST) || flags.contains(TcpFlags::FIN) {
            return None;
        }
        match (flags.contains(TcpFlags::SYN), flags.contains(TcpFlags::ACK)) {
            (true, false) => Some(Self::TcpSynSent),
            (false, true) => Some(Self::TcpEstablished),
            _ => None,
        }
    }

    /// The state after a packet of this connection; `original` is true for packets from
    /// the initiator. (Linux `tcp_conntracks`, see the module docs.)
    pub(crate) fn on_tcp(self, flags: TcpFlags, original: bool) -> Self {
        use State::*;
        if flags.contains(TcpFlags::RST) {
            return TcpClose;
        }
        let syn = flags.contains(TcpFlags::SYN);
        let ack = flags.contains(TcpFlags::ACK);
        let fin = flags.contains(TcpFlags::FIN);
        match (self, syn, ack, fin, original) {
            // A new SYN on a closing or closed tuple reopens it.
            (TcpTimeWait | TcpClose, true, false, _, true) => TcpSynSent,
            // SYN-ACK (or a simultaneous-open SYN) from the responder.
            (TcpSynSent, true, _, _, false) => TcpSynRecv,
            // The initiator's ACK completes the handshake.
            (TcpSynRecv, false, true, false, true) => TcpEstablished,
            (TcpEstablished, _, _, true, _) => TcpFinWait,
            (TcpFinWait | TcpCloseWait, _, _, true, _) => TcpLastAck,
            (TcpFinWait, false, true, false, _) => TcpCloseWait,
            (TcpLastAck, false, true, false, _) => TcpTimeWait,
            (state, ..) => state,
        }
    }

    /// The state after a UDP packet of this connection.
    pub(crate) fn on_udp(self, original: bool) -> Self {
        use State::*;
        match (self, original) {
            (UdpUnreplied, false) => UdpReplied,
            (UdpReplied, true) => UdpRequestAgain,
            (UdpRequestAgain, false) => UdpStream,
            (state, _) => state,
        }
    }

    /// True for TCP states that count as an established connection.
    pub fn is_tcp(self) -> bool {
        matches!(
            self,
            Self::TcpSynSent
                | Self::TcpSynRecv
                | Self::TcpEstablished
                | Self::TcpFinWait
                | Self::TcpCloseWait
                | Self::TcpLastAck
                | Self::TcpTimeWait
                | Self::TcpClose
        )
    }
}
