//! Presets: the rules of every use case on the EC2 page "Security group rules for different
//! use cases" (`shared/USE-CASES.md`), built from typed parameters.
//!
//! Each preset returns the [`NewRule`]s a group needs (ingress and egress mixed; callers
//! split by direction). Presets never talk to the world and never read a group: the caller
//! names the peers (a CIDR or a [`GroupRef`]).

use std::fmt;

use ipnet::Ipv4Net;

use crate::error::{Ec2ErrorCode, RuleError};
use crate::ids::GroupId;
use crate::peer::{GroupRef, Peer};
use crate::protocol::{IcmpMatch, PortRange, Traffic};
use crate::rule::{Direction, NewRule};

/// One preset, for listings: its CLI name, the USE-CASES section it implements and a line
/// saying what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresetInfo {
    pub name: &'static str,
    pub section: &'static str,
    pub summary: &'static str,
}

/// Every preset, in USE-CASES order.
pub const ALL: &[PresetInfo] = &[
    PresetInfo {
        name: "web",
        section: "1. Web server",
        summary: "inbound HTTP/HTTPS (tcp 80, 443) from 0.0.0.0/0, and ::/0 with IPv6",
    },
    PresetInfo {
        name: "database",
        section: "2. Database server",
        summary: "inbound tcp to the engine's port (mssql 1433, mysql/aurora 3306, redshift 5439, postgres 5432, oracle 1521) from a CIDR or a group",
    },
    PresetInfo {
        name: "database-egress",
        section: "2. Database server",
        summary: "outbound tcp 80, 443 to 0.0.0.0/0 (and ::/0 with IPv6) for updates; replaces the default all-traffic egress rule, which must be revoked",
    },
    PresetInfo {
        name: "ssh",
        section: "3. Connecting from your computer",
        summary: "inbound tcp 22 from your IPv4 or IPv6 address or range",
    },
    PresetInfo {
        name: "rdp",
        section: "3. Connecting from your computer",
        summary: "inbound tcp 3389 from your IPv4 or IPv6 address or range",
    },
    PresetInfo {
        name: "same-group",
        section: "4. Same security group",
        summary: "inbound all traffic from the group itself, or from the other instances' subnet CIDR",
    },
    PresetInfo {
        name: "ping",
        section: "5. Ping",
        summary: "inbound ICMP echo request (type 8, any code) from an IPv4 address or range",
    },
    PresetInfo {
        name: "ping6",
        section: "5. Ping",
        summary: "inbound ICMPv6 echo request (type 128, code 0) from an IPv6 address or range",
    },
    PresetInfo {
        name: "dns",
        section: "6. DNS server",
        summary: "inbound tcp and udp 53 from a CIDR or a group",
    },
    PresetInfo {
        name: "efs",
        section: "7. Amazon EFS",
        summary: "mount target: inbound tcp 2049 (NFS) from the clients' group",
    },
    PresetInfo {
        name: "efs-client",
        section: "7. Amazon EFS",
        summary: "the mounting instance: inbound tcp 22 (SSH) from your address or range",
    },
    PresetInfo {
        name: "elb",
        section: "8. Elastic Load Balancing",
        summary: "load balancer: inbound listener port from 0.0.0.0/0 (internet-facing) or the VPC CIDR (internal); outbound instance listener and health-check ports to the instances' group",
    },
    PresetInfo {
        name: "elb-instances",
        section: "8. Elastic Load Balancing",
        summary: "instances: inbound instance listener and health-check ports from the load balancer's group",
    },
    PresetInfo {
        name: "peered-group",
        section: "9. VPC peering",
        summary: "a rule whose peer is a security group in a peered VPC (group id, VPC id, peering id)",
    },
];

/// Database engines of USE-CASES §2 and their default ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DbEngine {
    Mssql,
    /// MySQL and Aurora (MySQL-compatible) share 3306.
    Mysql,
    Redshift,
    Postgres,
    Oracle,
}

impl DbEngine {
    pub const ALL: &'static [Self] = &[
        Self::Mssql,
        Self::Mysql,
        Self::Redshift,
        Self::Postgres,
        Self::Oracle,
    ];

    /// The engine's default port ("Security group rules for different use cases").
    pub fn port(self) -> u16 {
        match self {
            Self::Mssql => 1433,
            Self::Mysql => 3306,
            Self::Redshift => 5439,
            Self::Postgres => 5432,
            Self::Oracle => 1521,
        }
    }

    /// Accepts `mssql`/`sqlserver`, `mysql`/`aurora`/`mariadb`, `redshift`,
    /// `postgres`/`postgresql`, `oracle` (any case).
    pub fn parse(s: &str) -> Result<Self, RuleError> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "mssql" | "sqlserver" | "sql-server" => Self::Mssql,
            "mysql" | "aurora" | "mariadb" => Self::Mysql,
            "redshift" => Self::Redshift,
            "postgres" | "postgresql" => Self::Postgres,
            "oracle" => Self::Oracle,
            other => {
                return Err(RuleError::new(
                    Ec2ErrorCode::InvalidParameterValue,
                    format!(
                        "unknown database engine '{other}' (mssql, mysql, aurora, redshift, postgres, oracle)"
                    ),
                ));
            }
        })
    }
}

impl fmt::Display for DbEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Mssql => "mssql",
            Self::Mysql => "mysql",
            Self::Redshift => "redshift",
            Self::Postgres => "postgres",
            Self::Oracle => "oracle",
        })
    }
}

/// Where a load balancer's listener is reachable from (USE-CASES §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElbScheme {
    /// From anywhere on the IPv4 internet: `0.0.0.0/0`.
    InternetFacing,
    /// From inside the VPC: its IPv4 CIDR.
    Internal { vpc_cidr: Ipv4Net },
}

/// The load-balancer side of USE-CASES §8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElbParams {
    pub scheme: ElbScheme,
    pub listener_port: u16,
    pub instance_port: u16,
    pub health_check_port: u16,
    /// The instances' group.
    pub instances: GroupId,
}

fn tcp(port: u16) -> Traffic {
    Traffic::Tcp(PortRange::single(port))
}

fn everywhere_v4() -> Peer {
    Peer::Ipv4(Ipv4Net::default())
}

fn everywhere_v6() -> Peer {
    Peer::Ipv6(ipnet::Ipv6Net::default())
}

fn ingress(traffic: Traffic, peer: &Peer, description: &str) -> NewRule {
    NewRule::new(Direction::Ingress, traffic, peer.clone()).with_description(description)
}

fn egress(traffic: Traffic, peer: &Peer, description: &str) -> NewRule {
    NewRule::new(Direction::Egress, traffic, peer.clone()).with_description(description)
}

/// §1 Web server: tcp 80 and 443 from `0.0.0.0/0`, and from `::/0` when the VPC has IPv6.
pub fn web(ipv6: bool) -> Vec<NewRule> {
    let mut peers = vec![everywhere_v4()];
    if ipv6 {
        peers.push(everywhere_v6());
    }
    let mut rules = Vec::new();
    for (port, what) in [(80, "HTTP"), (443, "HTTPS")] {
        for peer in &peers {
            rules.push(ingress(tcp(port), peer, what));
        }
    }
    rules
}

/// §2 Database server: the engine's port from a CIDR of the local network or the clients'
/// group.
pub fn database(engine: DbEngine, source: &Peer) -> Vec<NewRule> {
    vec![ingress(
        tcp(engine.port()),
        source,
        &format!("{engine} clients"),
    )]
}

/// §2 Database egress limited to updates: tcp 80 and 443 to `0.0.0.0/0` (and `::/0` with
/// IPv6). These *replace* the default all-traffic egress rule, which must be revoked first —
/// otherwise they add nothing.
pub fn database_egress_updates(ipv6: bool) -> Vec<NewRule> {
    web(ipv6)
        .into_iter()
        .map(|r| NewRule {
            spec: crate::rule::RuleSpec {
                direction: Direction::Egress,
                ..r.spec
            },
            ..r
        })
        .map(|r| {
            let what = format!(
                "software updates ({})",
                r.description.as_deref().unwrap_or("")
            );
            r.with_description(what)
        })
        .collect()
}

/// §3 SSH: tcp 22 from an IPv4 or IPv6 address or range.
pub fn ssh(source: &Peer) -> Vec<NewRule> {
    vec![ingress(tcp(22), source, "SSH")]
}

/// §3 RDP: tcp 3389 from an IPv4 or IPv6 address or range.
pub fn rdp(source: &Peer) -> Vec<NewRule> {
    vec![ingress(tcp(3389), source, "RDP")]
}

/// §4 Same group: all traffic from the group itself.
pub fn same_group(own: &GroupId) -> Vec<NewRule> {
    let peer = Peer::Group(GroupRef::same_account(own.clone()));
    vec![ingress(Traffic::All, &peer, "members of this group")]
}

/// §4 Same subnet: all traffic from the CIDR of the subnet holding the other instances
/// (what the middlebox note asks for instead of a group reference).
pub fn same_subnet(subnet: &Peer) -> Vec<NewRule> {
    vec![ingress(Traffic::All, subnet, "instances of the subnet")]
}

/// §5 Ping: ICMP echo request (type 8, any code) from an IPv4 address or range.
pub fn ping(source: &Peer) -> Result<Vec<NewRule>, RuleError> {
    if matches!(source, Peer::Ipv6(_)) {
        return Err(family("ping", "ICMP", "IPv4"));
    }
    let echo = IcmpMatch::new(Some(8), None)?;
    Ok(vec![ingress(
        Traffic::Icmp(echo),
        source,
        "ping (ICMP echo request)",
    )])
}

/// §5 Ping6: ICMPv6 echo request (type 128, code 0) from an IPv6 address or range.
pub fn ping6(source: &Peer) -> Result<Vec<NewRule>, RuleError> {
    if matches!(source, Peer::Ipv4(_)) {
        return Err(family("ping6", "ICMPv6", "IPv6"));
    }
    let echo = IcmpMatch::new(Some(128), Some(0))?;
    Ok(vec![ingress(
        Traffic::Icmpv6(echo),
        source,
        "ping6 (ICMPv6 echo request)",
    )])
}

fn family(preset: &str, proto: &str, fam: &str) -> RuleError {
    RuleError::new(
        Ec2ErrorCode::InvalidParameterValue,
        format!("preset {preset}: {proto} echo requests come from {fam} sources"),
    )
}

/// §6 DNS server: tcp and udp 53 from a CIDR or the clients' group.
pub fn dns(source: &Peer) -> Vec<NewRule> {
    vec![
        ingress(tcp(53), source, "DNS over TCP"),
        ingress(Traffic::Udp(PortRange::single(53)), source, "DNS over UDP"),
    ]
}

/// §7 EFS mount target: tcp 2049 (NFS) from the group whose members may mount.
pub fn efs(clients: &GroupRef) -> Vec<NewRule> {
    vec![ingress(
        tcp(2049),
        &Peer::Group(clients.clone()),
        "NFS from EFS clients",
    )]
}

/// §7 The instance mounting EFS: SSH from your computer or network.
pub fn efs_client(admin: &Peer) -> Vec<NewRule> {
    ssh(admin)
}

/// §8 Load-balancer side: listener from the internet or the VPC, then instance listener
/// and health-check ports to the instances' group (one rule when they are the same port).
pub fn elb_load_balancer(params: &ElbParams) -> Vec<NewRule> {
    let listener_peer = match params.scheme {
        ElbScheme::InternetFacing => everywhere_v4(),
        ElbScheme::Internal { vpc_cidr } => Peer::Ipv4(vpc_cidr.trunc()),
    };
    let instances = Peer::Group(GroupRef::same_account(params.instances.clone()));
    let mut rules = vec![
        ingress(
            tcp(params.listener_port),
            &listener_peer,
            "load balancer listener",
        ),
        egress(tcp(params.instance_port), &instances, "instance listener"),
    ];
    if params.health_check_port != params.instance_port {
        rules.push(egress(
            tcp(params.health_check_port),
            &instances,
            "health check",
        ));
    }
    rules
}

/// §8 Instances' side: the instance listener and health-check ports from the load
/// balancer's group.
pub fn elb_instances(
    instance_port: u16,
    health_check_port: u16,
    load_balancer: &GroupId,
) -> Vec<NewRule> {
    let lb = Peer::Group(GroupRef::same_account(load_balancer.clone()));
    let mut rules = vec![ingress(tcp(instance_port), &lb, "from the load balancer")];
    if health_check_port != instance_port {
        rules.push(ingress(
            tcp(health_check_port),
            &lb,
            "health check from the load balancer",
        ));
    }
    rules
}

/// §9 VPC peering: a rule whose peer is a group in a peered VPC. The reference must name
/// the peered VPC and the peering connection ("Update your security groups to reference
/// peer security groups", VPC Peering Guide).
pub fn peered_group(
    direction: Direction,
    traffic: Traffic,
    peer: &GroupRef,
) -> Result<Vec<NewRule>, RuleError> {
    if peer.vpc_id.is_none() || peer.peering_id.is_none() {
        return Err(RuleError::new(
            Ec2ErrorCode::MissingParameter,
            "a peered-VPC group reference needs the peer VPC id and the VPC peering connection id",
        ));
    }
    let p = Peer::Group(peer.clone());
    Ok(vec![
        NewRule::new(direction, traffic, p).with_description("peered VPC group"),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs(rules: &[NewRule]) -> Vec<String> {
        rules.iter().map(|r| r.spec.to_string()).collect()
    }

    #[test]
    fn shapes() {
        assert_eq!(
            specs(&web(false)),
            [
                "ingress tcp/80 from 0.0.0.0/0",
                "ingress tcp/443 from 0.0.0.0/0"
            ]
        );
        assert_eq!(web(true).len(), 4);
        assert_eq!(
            specs(&database_egress_updates(true)),
            [
                "egress tcp/80 to 0.0.0.0/0",
                "egress tcp/80 to ::/0",
                "egress tcp/443 to 0.0.0.0/0",
                "egress tcp/443 to ::/0"
            ]
        );
        let ports: Vec<u16> = DbEngine::ALL.iter().map(|e| e.port()).collect();
        assert_eq!(ports, [1433, 3306, 5439, 5432, 1521]);
        assert_eq!(DbEngine::parse("Aurora").unwrap(), DbEngine::Mysql);
        assert_eq!(
            DbEngine::parse("db2").unwrap_err().code(),
            Ec2ErrorCode::InvalidParameterValue
        );
        let v6 = Peer::parse_cidr("2001:db8::/64").unwrap();
        assert_eq!(
            ping(&v6).unwrap_err().code(),
            Ec2ErrorCode::InvalidParameterValue
        );
        assert_eq!(
            ping6(&Peer::parse_cidr("10.0.0.0/8").unwrap())
                .unwrap_err()
                .code(),
            Ec2ErrorCode::InvalidParameterValue
        );
        let g = GroupRef::same_account("sg-00000000000000001".parse().unwrap());
        let err = peered_group(Direction::Ingress, Traffic::All, &g).unwrap_err();
        assert_eq!(err.code(), Ec2ErrorCode::MissingParameter);
        let lb = ElbParams {
            scheme: ElbScheme::Internal {
                vpc_cidr: "10.0.0.0/16".parse().unwrap(),
            },
            listener_port: 443,
            instance_port: 8080,
            health_check_port: 8080,
            instances: "sg-00000000000000002".parse().unwrap(),
        };
        assert_eq!(
            specs(&elb_load_balancer(&lb)),
            [
                "ingress tcp/443 from 10.0.0.0/16",
                "egress tcp/8080 to sg-00000000000000002"
            ]
        );
    }
}
