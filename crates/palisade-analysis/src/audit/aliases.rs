//! Other tools' ids for our checks, so users can map findings: Prowler's 23
//! `ec2_securitygroup_*` and 17 `ec2_instance_port_*_exposed_to_internet` checks
//! (prowler-cloud/prowler@3e000fa) and ScoutSuite's `ec2-*` security-group findings.
//!
//! A check's full list is [`check_aliases`]; a finding carries only the ids whose
//! condition it meets (an SSH finding names Prowler's port-22 checks, not its MySQL ones).
//! Ids are spelled `prowler:<id>` and `scoutsuite:<id>`.

use palisade_model::Protocol;

use super::CheckId;
use crate::space::TrafficSet;

/// A service Prowler checks by its TCP ports: a finding that opens any of them carries the
/// ids (the group check by group, the instance check by interface).
struct Service {
    ports: &'static [u16],
    group: Option<&'static str>,
    instance: Option<&'static str>,
}

const fn svc(
    ports: &'static [u16],
    group: Option<&'static str>,
    instance: Option<&'static str>,
) -> Service {
    Service {
        ports,
        group,
        instance,
    }
}

/// Prowler's per-service checks. The group and instance checks of Cassandra and Oracle
/// test different port lists, so they are separate rows.
const SERVICES: &[Service] = &[
    svc(
        &[22],
        Some("prowler:ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22"),
        Some("prowler:ec2_instance_port_ssh_exposed_to_internet"),
    ),
    svc(
        &[3389],
        Some("prowler:ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389"),
        Some("prowler:ec2_instance_port_rdp_exposed_to_internet"),
    ),
    svc(
        &[23],
        Some("prowler:ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_telnet_23"),
        Some("prowler:ec2_instance_port_telnet_exposed_to_internet"),
    ),
    svc(
        &[20, 21],
        Some("prowler:ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_ftp_20_21"),
        Some("prowler:ec2_instance_port_ftp_exposed_to_internet"),
    ),
    svc(
        &[3306],
        Some("prowler:ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_mysql_3306"),
        Some("prowler:ec2_instance_port_mysql_exposed_to_internet"),
    ),
    svc(
        &[5432],
        Some("prowler:ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_postgres_5432"),
        Some("prowler:ec2_instance_port_postgresql_exposed_to_internet"),
    ),
    svc(
        &[6379],
        Some("prowler:ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_redis_6379"),
        Some("prowler:ec2_instance_port_redis_exposed_to_internet"),
    ),
    svc(
        &[11211],
        Some("prowler:ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_memcached_11211"),
        Some("prowler:ec2_instance_port_memcached_exposed_to_internet"),
    ),
    svc(
        &[9092],
        Some("prowler:ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_kafka_9092"),
        Some("prowler:ec2_instance_port_kafka_exposed_to_internet"),
    ),
    svc(
        &[27017, 27018],
        Some(
            "prowler:ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_mongodb_27017_27018",
        ),
        Some("prowler:ec2_instance_port_mongodb_exposed_to_internet"),
    ),
    svc(
        &[1433, 1434],
        Some(
            "prowler:ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_sql_server_1433_1434",
        ),
        Some("prowler:ec2_instance_port_sqlserver_exposed_to_internet"),
    ),
    svc(
        &[9200, 9300, 5601],
        Some(
            "prowler:ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_elasticsearch_kibana_9200_9300_5601",
        ),
        Some("prowler:ec2_instance_port_elasticsearch_kibana_exposed_to_internet"),
    ),
    svc(
        &[1521, 2483],
        Some("prowler:ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_oracle_1521_2483"),
        None,
    ),
    svc(
        &[1521, 2483, 2484],
        None,
        Some("prowler:ec2_instance_port_oracle_exposed_to_internet"),
    ),
    svc(
        &[7199, 9160, 8888],
        Some(
            "prowler:ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_cassandra_7199_9160_8888",
        ),
        None,
    ),
    svc(
        &[7000, 7001, 7199, 9042, 9160],
        None,
        Some("prowler:ec2_instance_port_cassandra_exposed_to_internet"),
    ),
    svc(
        &[139, 445],
        None,
        Some("prowler:ec2_instance_port_cifs_exposed_to_internet"),
    ),
    svc(
        &[88, 464, 749, 750],
        None,
        Some("prowler:ec2_instance_port_kerberos_exposed_to_internet"),
    ),
    svc(
        &[389, 636],
        None,
        Some("prowler:ec2_instance_port_ldap_exposed_to_internet"),
    ),
    // Prowler's `ec2_high_risk_ports` default.
    svc(
        &[25, 110, 135, 143, 445, 3000, 4333, 5000, 5500, 8080, 8088],
        Some("prowler:ec2_securitygroup_allow_ingress_from_internet_to_high_risk_tcp_ports"),
        None,
    ),
];

/// ScoutSuite's known ports (`ec2-security-group-opens-known-port-to-all`).
const SCOUT_KNOWN: &[(u8, u16)] = &[
    (Protocol::TCP, 22),
    (Protocol::TCP, 25),
    (Protocol::TCP, 1433),
    (Protocol::TCP, 1521),
    (Protocol::TCP, 2049),
    (Protocol::TCP, 3306),
    (Protocol::TCP, 3389),
    (Protocol::TCP, 5432),
    (Protocol::TCP, 27017),
    (Protocol::UDP, 53),
];
const SCOUT_KNOWN_ID: &str = "scoutsuite:ec2-security-group-opens-known-port-to-all";
/// ScoutSuite's plaintext ports (`ec2-security-group-opens-plaintext-port`): FTP, Telnet.
const SCOUT_PLAINTEXT: &[u16] = &[21, 23];
const SCOUT_PLAINTEXT_ID: &str = "scoutsuite:ec2-security-group-opens-plaintext-port";

const ALL_PORTS: &[&str] = &[
    "prowler:ec2_securitygroup_allow_ingress_from_internet_to_all_ports",
    "scoutsuite:ec2-security-group-opens-all-ports-to-all",
];
const ANY_PORT: &[&str] = &[
    "prowler:ec2_securitygroup_allow_ingress_from_internet_to_any_port",
    "scoutsuite:ec2-security-group-opens-port-to-all",
];
const ICMP_ID: &str = "scoutsuite:ec2-security-group-opens-icmp-to-all";

fn key(proto: u8, port: u16) -> u32 {
    u32::from(proto) << 16 | u32::from(port)
}

fn tcp_open(open: &TrafficSet, ports: &[u16]) -> bool {
    ports.iter().any(|p| open.contains(key(Protocol::TCP, *p)))
}

fn service_ids(open: &TrafficSet, group: bool, instance: bool, out: &mut Vec<&'static str>) {
    for s in SERVICES.iter().filter(|s| tcp_open(open, s.ports)) {
        out.extend(s.group.filter(|_| group));
        out.extend(s.instance.filter(|_| instance));
    }
}

/// The ids a finding of `check` carries, given the traffic it found open to the whole
/// internet (`open`; empty for checks that are not about traffic). For the latent check,
/// `underlying` is the check the exposure would be.
pub(super) fn finding_aliases(
    check: CheckId,
    underlying: Option<CheckId>,
    open: &TrafficSet,
) -> Vec<&'static str> {
    let mut out = Vec::new();
    match (check, underlying) {
        (CheckId::AllTrafficOpenToInternet, _) => out.extend(ALL_PORTS),
        (CheckId::AdminPortOpenToInternet | CheckId::HighRiskPortOpenToInternet, _) => {
            service_ids(open, true, false, &mut out);
            scout_ports(open, &mut out);
        }
        (CheckId::InternetIngress, _) => {
            out.extend(ANY_PORT);
            if open.intersects_range(key(Protocol::ICMP, 0), key(Protocol::ICMP, 0xFFFF))
                || open.intersects_range(key(Protocol::ICMPV6, 0), key(Protocol::ICMPV6, 0xFFFF))
            {
                out.push(ICMP_ID);
            }
        }
        (CheckId::ServiceReachableFromInternet, _) => service_ids(open, false, true, &mut out),
        (CheckId::LatentInternetExposure, Some(u)) => {
            if u == CheckId::AllTrafficOpenToInternet {
                out.extend(ALL_PORTS);
            }
            service_ids(open, true, true, &mut out);
        }
        _ => out.extend(check_aliases(check)),
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn scout_ports(open: &TrafficSet, out: &mut Vec<&'static str>) {
    if SCOUT_KNOWN.iter().any(|(p, n)| open.contains(key(*p, *n))) {
        out.push(SCOUT_KNOWN_ID);
    }
    if tcp_open(open, SCOUT_PLAINTEXT) {
        out.push(SCOUT_PLAINTEXT_ID);
    }
}

/// Every id a check stands for (the README's table).
pub fn check_aliases(check: CheckId) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = match check {
        CheckId::AllTrafficOpenToInternet => ALL_PORTS.to_vec(),
        CheckId::AdminPortOpenToInternet => vec![
            "prowler:ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22",
            "prowler:ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389",
            SCOUT_KNOWN_ID,
        ],
        CheckId::HighRiskPortOpenToInternet => {
            let mut v: Vec<&'static str> = SERVICES
                .iter()
                .filter_map(|s| s.group)
                .filter(|id| !id.ends_with("_22") && !id.ends_with("_3389"))
                .collect();
            v.extend([SCOUT_KNOWN_ID, SCOUT_PLAINTEXT_ID]);
            v
        }
        CheckId::InternetIngress => {
            let mut v = ANY_PORT.to_vec();
            v.push(ICMP_ID);
            v
        }
        CheckId::PublicSourceIngress => {
            vec!["prowler:ec2_securitygroup_allow_ingress_from_internet_to_any_port_from_ip"]
        }
        CheckId::BroadCidr => vec!["prowler:ec2_securitygroup_allow_wide_open_public_ipv4"],
        CheckId::DefaultGroupHasRules => vec![
            "prowler:ec2_securitygroup_default_restrict_traffic",
            "scoutsuite:ec2-default-security-group-with-rules",
        ],
        CheckId::UnusedGroup => vec![
            "prowler:ec2_securitygroup_not_used",
            "scoutsuite:ec2-unused-security-group",
        ],
        CheckId::GroupTooManyRules => {
            vec!["prowler:ec2_securitygroup_with_many_ingress_egress_rules"]
        }
        CheckId::LaunchWizardGroup => vec!["prowler:ec2_securitygroup_from_launch_wizard"],
        CheckId::ServiceReachableFromInternet => {
            SERVICES.iter().filter_map(|s| s.instance).collect()
        }
        CheckId::LatentInternetExposure => {
            let mut v: Vec<&'static str> = SERVICES
                .iter()
                .flat_map(|s| s.group.into_iter().chain(s.instance))
                .collect();
            v.push(ALL_PORTS[0]);
            v
        }
        CheckId::InterfaceTooManyRules
        | CheckId::RedundantRule
        | CheckId::NonCanonicalCidr
        | CheckId::StaleReference
        | CheckId::DataStoreEgressOpen => Vec::new(),
    };
    out.sort_unstable();
    out.dedup();
    out
}
