//! The packet flags `eval` and `reach` share (`--protocol`, `--port`, `--icmp-type`,
//! `--icmp-code`), turned into the engine's `Payload` with one set of consistency checks.

use anyhow::Context;
use palisade_engine::Payload;
use palisade_model::Protocol;

/// The payload the flags describe: ports only for tcp/udp, an ICMP type (code 0 unless
/// given) only for icmp/icmpv6, nothing for other protocol numbers; `-1` is refused because
/// it is a rule wildcard, not a packet's protocol.
pub(crate) fn payload(
    protocol: &str,
    port: Option<u16>,
    icmp_type: Option<u8>,
    icmp_code: Option<u8>,
) -> anyhow::Result<Payload> {
    let parsed = Protocol::parse(protocol).with_context(|| format!("--protocol {protocol}"))?;
    let icmp = |name: &str| -> anyhow::Result<(u8, u8)> {
        anyhow::ensure!(port.is_none(), "--port applies to tcp and udp, not {name}");
        let t = icmp_type.with_context(|| format!("{name} needs --icmp-type"))?;
        Ok((t, icmp_code.unwrap_or(0)))
    };
    let dst_port = |name: &str| -> anyhow::Result<u16> {
        anyhow::ensure!(
            icmp_type.is_none(),
            "--icmp-type applies to icmp and icmpv6, not {name}"
        );
        port.with_context(|| format!("{name} needs --port"))
    };
    Ok(match parsed {
        Protocol::All => anyhow::bail!("--protocol -1 is a rule wildcard, not a packet's protocol"),
        Protocol::Tcp => Payload::Tcp {
            dst_port: dst_port("tcp")?,
        },
        Protocol::Udp => Payload::Udp {
            dst_port: dst_port("udp")?,
        },
        Protocol::Icmp => {
            let (icmp_type, code) = icmp("icmp")?;
            Payload::Icmp { icmp_type, code }
        }
        Protocol::Icmpv6 => {
            let (icmp_type, code) = icmp("icmpv6")?;
            Payload::Icmpv6 { icmp_type, code }
        }
        Protocol::Number(n) => {
            anyhow::ensure!(
                port.is_none() && icmp_type.is_none(),
                "protocol {n} has no ports or ICMP types"
            );
            Payload::Other(n)
        }
    })
}
