//! `palisade preset`: prints the rules of a USE-CASES preset as AWS `IpPermissions` JSON,
//! usable as is with
//! `aws ec2 authorize-security-group-ingress --group-id sg-… --ip-permissions file://rules.json`
//! (or `authorize-security-group-egress` for the egress part).
//!
//! One direction is printed at a time, because each AWS call takes one: ingress by default,
//! or egress for presets that only have egress rules (`database-egress`); `--direction
//! egress` prints the egress part of `elb` (and of `peered-group --direction egress`).

use std::process::ExitCode;

use anyhow::Context;
use palisade_model::presets::{self, DbEngine, ElbParams, ElbScheme};
use palisade_model::{Direction, GroupId, GroupRef, NewRule, Peer, Traffic};

use crate::output;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  palisade preset web --ipv6 > web.json
  aws ec2 authorize-security-group-ingress --group-id sg-… --ip-permissions file://web.json
  palisade preset database --engine postgres --source sg-0a1b2c3d4e5f60718
  palisade preset database-egress --ipv6        # egress; revoke the default egress rule first
  palisade preset elb --scheme internal --vpc-cidr 10.0.0.0/16 --listener-port 443 \\
      --instance-port 8080 --health-check-port 8081 --instances sg-… --direction egress
  palisade preset --list")]
pub(crate) struct PresetArgs {
    /// The preset (see --list).
    #[arg(required_unless_present = "list")]
    name: Option<String>,
    /// List the presets and the USE-CASES section each implements.
    #[arg(long)]
    list: bool,
    /// Which part to print: ingress (default) or egress.
    #[arg(long)]
    direction: Option<Direction>,
    /// web, database-egress: add the `::/0` rules of a VPC with IPv6.
    #[arg(long)]
    ipv6: bool,
    /// database: mssql, mysql, aurora, redshift, postgres or oracle.
    #[arg(long)]
    engine: Option<String>,
    /// The peer: an IPv4/IPv6 CIDR, or (database, dns) a group id `sg-…`.
    #[arg(long)]
    source: Option<String>,
    /// same-group: the group's own id; efs: the clients' group; peered-group: the peer group.
    #[arg(long)]
    group: Option<String>,
    /// same-group: the CIDR of the other instances' subnet (instead of --group).
    #[arg(long)]
    subnet: Option<String>,
    /// elb: internet-facing (listener open to 0.0.0.0/0) or internal (the VPC's CIDR).
    #[arg(long, default_value = "internet-facing")]
    scheme: String,
    /// elb with --scheme internal: the VPC's IPv4 CIDR.
    #[arg(long)]
    vpc_cidr: Option<String>,
    /// elb: the load balancer's listener port.
    #[arg(long)]
    listener_port: Option<u16>,
    /// elb, elb-instances: the instances' listener port.
    #[arg(long)]
    instance_port: Option<u16>,
    /// elb, elb-instances: the health-check port (defaults to the instance port).
    #[arg(long)]
    health_check_port: Option<u16>,
    /// elb: the instances' group.
    #[arg(long)]
    instances: Option<String>,
    /// elb-instances: the load balancer's group.
    #[arg(long)]
    load_balancer: Option<String>,
    /// peered-group: the peer group's VPC.
    #[arg(long)]
    vpc: Option<String>,
    /// peered-group: the VPC peering connection.
    #[arg(long)]
    peering: Option<String>,
    /// peered-group: the peer group's account (12 digits).
    #[arg(long)]
    owner: Option<String>,
    /// peered-group: the protocol (`-1`, tcp, udp, icmp, icmpv6 or a number).
    #[arg(long, default_value = "-1")]
    protocol: String,
    /// peered-group: the port (tcp/udp) or ICMP type.
    #[arg(long)]
    port: Option<i64>,
    /// peered-group: the last port of a range (defaults to --port) or the ICMP code.
    #[arg(long)]
    to_port: Option<i64>,
}

pub(crate) fn run(args: PresetArgs) -> anyhow::Result<ExitCode> {
    if args.list {
        for p in presets::ALL {
            output::line(&format!("{:<16} {:<34} {}", p.name, p.section, p.summary));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let name = args.name.as_deref().unwrap_or_default();
    let rules = build(name, &args).with_context(|| format!("preset {name}"))?;
    let direction = args.direction.unwrap_or_else(|| {
        let only_egress = rules.iter().all(|r| r.spec.direction == Direction::Egress);
        if only_egress {
            Direction::Egress
        } else {
            Direction::Ingress
        }
    });
    let part: Vec<&NewRule> = rules
        .iter()
        .filter(|r| r.spec.direction == direction)
        .collect();
    if part.is_empty() {
        anyhow::bail!("preset {name} has no {direction} rules");
    }
    if name == "database-egress" {
        output::warn(
            "these rules replace the default egress rule (all traffic to 0.0.0.0/0 and ::/0): revoke it, or they add nothing",
        );
    }
    let other = rules.len() - part.len();
    if other > 0 {
        output::warn(&format!(
            "printing the {direction} part; {other} {} rule(s) more with --direction {}",
            direction.opposite(),
            direction.opposite()
        ));
    }
    let perms = palisade_ec2::rules_to_permissions(part);
    let json = serde_json::to_string_pretty(&perms).context("encoding IpPermissions")?;
    output::line(&json);
    Ok(ExitCode::SUCCESS)
}

fn need<'a>(v: Option<&'a str>, flag: &str) -> anyhow::Result<&'a str> {
    v.with_context(|| format!("missing --{flag}"))
}

fn group_id(s: &str) -> anyhow::Result<GroupId> {
    Ok(s.parse()?)
}

/// A CIDR, or a group id when `groups` allows it.
fn source(args: &PresetArgs, groups: bool) -> anyhow::Result<Peer> {
    let s = need(args.source.as_deref(), "source")?;
    if s.starts_with("sg-") {
        anyhow::ensure!(
            groups,
            "--source must be a CIDR for this preset, not a group"
        );
        return Ok(Peer::Group(GroupRef::same_account(group_id(s)?)));
    }
    Ok(Peer::parse_cidr(s)?)
}

fn build(name: &str, args: &PresetArgs) -> anyhow::Result<Vec<NewRule>> {
    Ok(match name {
        "web" => presets::web(args.ipv6),
        "database" => {
            let engine = DbEngine::parse(need(args.engine.as_deref(), "engine")?)?;
            presets::database(engine, &source(args, true)?)
        }
        "database-egress" => presets::database_egress_updates(args.ipv6),
        "ssh" => presets::ssh(&source(args, false)?),
        "rdp" => presets::rdp(&source(args, false)?),
        "same-group" => match (&args.group, &args.subnet) {
            (Some(g), None) => presets::same_group(&group_id(g)?),
            (None, Some(cidr)) => presets::same_subnet(&Peer::parse_cidr(cidr)?),
            _ => anyhow::bail!("give exactly one of --group (the group's own id) or --subnet CIDR"),
        },
        "ping" => presets::ping(&source(args, false)?)?,
        "ping6" => presets::ping6(&source(args, false)?)?,
        "dns" => presets::dns(&source(args, true)?),
        "efs" => {
            let g = group_id(need(args.group.as_deref(), "group")?)?;
            presets::efs(&GroupRef::same_account(g))
        }
        "efs-client" => presets::efs_client(&source(args, false)?),
        "elb" => {
            let scheme = match args.scheme.as_str() {
                "internet-facing" => ElbScheme::InternetFacing,
                "internal" => {
                    let cidr = need(args.vpc_cidr.as_deref(), "vpc-cidr")?;
                    let vpc_cidr = cidr
                        .parse()
                        .with_context(|| format!("--vpc-cidr {cidr} is not an IPv4 CIDR"))?;
                    ElbScheme::Internal { vpc_cidr }
                }
                other => anyhow::bail!("--scheme {other}: expected internet-facing or internal"),
            };
            let instance_port = args.instance_port.context("missing --instance-port")?;
            presets::elb_load_balancer(&ElbParams {
                scheme,
                listener_port: args.listener_port.context("missing --listener-port")?,
                instance_port,
                health_check_port: args.health_check_port.unwrap_or(instance_port),
                instances: group_id(need(args.instances.as_deref(), "instances")?)?,
            })
        }
        "elb-instances" => {
            let instance_port = args.instance_port.context("missing --instance-port")?;
            let lb = group_id(need(args.load_balancer.as_deref(), "load-balancer")?)?;
            presets::elb_instances(
                instance_port,
                args.health_check_port.unwrap_or(instance_port),
                &lb,
            )
        }
        "peered-group" => {
            let gref = GroupRef {
                group_id: group_id(need(args.group.as_deref(), "group")?)?,
                owner: args.owner.as_deref().map(str::parse).transpose()?,
                vpc_id: Some(need(args.vpc.as_deref(), "vpc")?.parse()?),
                peering_id: Some(need(args.peering.as_deref(), "peering")?.parse()?),
            };
            let traffic = Traffic::parse(&args.protocol, args.port, args.to_port.or(args.port))?;
            presets::peered_group(args.direction.unwrap_or(Direction::Ingress), traffic, &gref)?
        }
        other => anyhow::bail!("unknown preset '{other}' (palisade preset --list)"),
    })
}
