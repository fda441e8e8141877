//! Exposure along real paths: internet gateway, route table, public or global address, then
//! the groups; latent exposure where a link is missing; and the false-positive cases Prowler's
//! users reported (egress-only groups, identical groups, known providers' ranges).

use palisade_analysis::{
    AuditConfig, CheckId, Finding, Index, MissingLink, PathState, UnknownPath, audit, exposure,
};
use palisade_model::AddressFamily;

use crate::world::{World, eni, igw, rtb, vpc};

const V4: AddressFamily = AddressFamily::Ipv4;
const V6: AddressFamily = AddressFamily::Ipv6;

/// VPC 1 with igw 1 attached, subnet 1, main table 1 routing 0.0.0.0/0 and ::/0 to igw 1,
/// group 1 on interface 1 (10.0.1.10, 2600:1f00::10, public 203.0.113.10).
fn public_world() -> World {
    let mut w = World::new();
    w.igw(1, Some(1))
        .subnet(1, 1)
        .route_table(1, 1, true, &[], &[("0.0.0.0/0", 1), ("::/0", 1)])
        .group(1)
        .eni(1, &["10.0.1.10", "2600:1f00::10"], &[1])
        .in_subnet(1, 1)
        .public_ip(1, "203.0.113.10");
    w
}

fn findings(w: &World) -> Vec<Finding> {
    audit(&Index::new(&w.snap), &AuditConfig::standard())
}

#[track_caller]
fn path(w: &World, n: u32, family: AddressFamily) -> PathState {
    Index::new(&w.snap).path(&eni(n), family).unwrap().clone()
}

#[track_caller]
fn latent(w: &World, n: u32, family: AddressFamily) -> Vec<MissingLink> {
    match path(w, n, family) {
        PathState::Latent(m) => m,
        other => panic!("latent path expected, got {other:?}"),
    }
}

/// (check, severity, resource) of every finding of the given checks.
fn summary(list: &[Finding], checks: &[CheckId]) -> Vec<(String, String, String)> {
    list.iter()
        .filter(|f| checks.contains(&f.check))
        .map(|f| {
            (
                f.check.to_string(),
                f.severity.to_string(),
                f.resource.to_string(),
            )
        })
        .collect()
}

const EXPOSURE: &[CheckId] = &[
    CheckId::AdminPortOpenToInternet,
    CheckId::HighRiskPortOpenToInternet,
    CheckId::AllTrafficOpenToInternet,
    CheckId::ServiceReachableFromInternet,
    CheckId::LatentInternetExposure,
];

#[test]
fn open_path_names_gateway_table_route_and_address() {
    let mut w = public_world();
    w.ingress(1, "tcp", Some((22, 22)), "0.0.0.0/0");
    let PathState::Open(p) = path(&w, 1, V4) else {
        panic!("open path expected");
    };
    assert_eq!(p.gateway, igw(1));
    assert_eq!(p.route_table, rtb(1));
    assert!(p.main);
    assert_eq!(p.routes.len(), 1);
    assert_eq!(p.routes[0].to_string(), "0.0.0.0/0");
    assert_eq!(p.address.to_string(), "203.0.113.10");
    assert_eq!(p.elastic_ip, None);
    let list = findings(&w);
    assert_eq!(
        summary(&list, EXPOSURE),
        [
            (
                "admin-port-open-to-internet".into(),
                "critical".into(),
                "sg-00000001".into()
            ),
            (
                "service-reachable-from-internet".into(),
                "critical".into(),
                "eni-00000001".into()
            ),
        ]
    );
    let svc = list
        .iter()
        .find(|f| f.check == CheckId::ServiceReachableFromInternet)
        .unwrap();
    assert_eq!(
        svc.message,
        "eni-00000001 is reachable from the whole IPv4 internet on tcp/22 (SSH); eni-00000001 (IPv4): igw-00000001 -> rtb-00000001 (main) (0.0.0.0/0) -> 203.0.113.10"
    );
    assert_eq!(
        svc.aliases,
        ["prowler:ec2_instance_port_ssh_exposed_to_internet"]
    );
    assert_eq!(svc.rules.len(), 1);
    let admin = list
        .iter()
        .find(|f| f.check == CheckId::AdminPortOpenToInternet)
        .unwrap();
    assert_eq!(
        admin.aliases,
        [
            "prowler:ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22",
            "scoutsuite:ec2-security-group-opens-known-port-to-all",
        ]
    );
    assert_eq!(admin.paths.len(), 1);
    assert!(matches!(admin.paths[0].state, PathState::Open(_)));
}

#[test]
fn no_public_address_is_latent() {
    let mut w = public_world();
    w.snap.enis.get_mut(&eni(1)).unwrap().public_ipv4 = None;
    w.ingress(1, "tcp", Some((22, 22)), "0.0.0.0/0");
    assert_eq!(latent(&w, 1, V4), [MissingLink::NoPublicAddress]);
    let list = findings(&w);
    assert_eq!(
        summary(&list, EXPOSURE),
        [(
            "latent-internet-exposure".into(),
            "medium".into(),
            "sg-00000001".into()
        )]
    );
    let f = list
        .iter()
        .find(|f| f.check == CheckId::LatentInternetExposure)
        .unwrap();
    assert_eq!(
        f.message,
        "sg-00000001 would open tcp/22 (SSH) to the whole IPv4 internet (admin-port-open-to-internet), latent: no path carries it; eni-00000001 (IPv4): latent: no public IPv4 or Elastic IP address"
    );
    assert!(
        f.aliases
            .contains(&"prowler:ec2_instance_port_ssh_exposed_to_internet")
    );
    // An Elastic IP address makes it real, and the path names the allocation.
    w.elastic_ip(1, 1, "198.51.100.7");
    let PathState::Open(p) = path(&w, 1, V4) else {
        panic!("open path expected");
    };
    assert_eq!(p.address.to_string(), "198.51.100.7");
    assert_eq!(p.elastic_ip.unwrap().to_string(), "eipalloc-00000001");
    assert!(
        findings(&w)
            .iter()
            .any(|f| f.check == CheckId::ServiceReachableFromInternet)
    );
}

#[test]
fn gateway_and_route_are_links() {
    // No gateway attached: also names the missing address.
    let mut w = public_world();
    w.snap.internet_gateways.clear();
    w.snap.enis.get_mut(&eni(1)).unwrap().public_ipv4 = None;
    assert_eq!(
        latent(&w, 1, V4),
        [MissingLink::NoPublicAddress, MissingLink::NoGateway(vpc(1))]
    );
    // The gateway attached to another VPC: the route is a blackhole.
    let mut w = public_world();
    w.vpc(2, "10.1.0.0/16", "2600:1f01::/56")
        .igw(1, Some(2))
        .igw(2, Some(1));
    assert_eq!(
        latent(&w, 1, V4),
        [MissingLink::NoRoute {
            route_table: Some(rtb(1)),
            gateway: igw(2)
        }]
    );
    // An explicit association wins over the main table.
    let mut w = public_world();
    w.route_table(2, 1, false, &[1], &[]);
    assert_eq!(
        latent(&w, 1, V6),
        [MissingLink::NoRoute {
            route_table: Some(rtb(2)),
            gateway: igw(1)
        }]
    );
    // A route covering the internet in two halves is a route.
    let mut w = public_world();
    w.route_table(1, 1, true, &[], &[("0.0.0.0/1", 1), ("128.0.0.0/1", 1)]);
    assert!(matches!(path(&w, 1, V4), PathState::Open(_)));
    // A private subnet: the internet routes go to a NAT gateway and an egress-only gateway,
    // which carry connections out only, so nothing comes in.
    let mut w = public_world();
    let t = w.snap.route_tables.get_mut(&rtb(1)).unwrap();
    for (r, id) in t
        .routes
        .iter_mut()
        .zip(["nat-0a1b2c3d4e5f60718", "eigw-0123456789abcdef0"])
    {
        r.target =
            palisade_model::RouteTarget::Other(palisade_model::OtherTarget::parse(id).unwrap());
    }
    for family in [V4, V6] {
        assert_eq!(
            latent(&w, 1, family),
            [MissingLink::NoRoute {
                route_table: Some(rtb(1)),
                gateway: igw(1)
            }],
            "{family:?}"
        );
    }
}

#[test]
fn longest_prefix_decides_which_sources_reach() {
    let mut w = public_world();
    w.eni(2, &["10.0.1.20"], &[1]).in_subnet(2, 1);
    w.route_to_eni(1, "52.0.0.0/8", 2);
    w.ingress(1, "tcp", Some((22, 22)), "0.0.0.0/0");
    let exp = exposure(&Index::new(&w.snap));
    let e1 = exp.iter().find(|e| e.eni == eni(1)).unwrap();
    let v4: Vec<_> = e1.runs.iter().filter(|r| r.family == V4).collect();
    assert_eq!(v4.len(), 1);
    assert!(!v4[0].world_open);
    assert!(!v4[0].sources.contains("52.1.2.3".parse().unwrap()));
    assert!(v4[0].sources.contains("53.1.2.3".parse().unwrap()));
    // The rules open the port to everyone (a group finding), but no interface is reachable
    // from the whole internet; eni 2 (no public address) is latent.
    let list = findings(&w);
    assert!(
        !list
            .iter()
            .any(|f| f.check == CheckId::ServiceReachableFromInternet)
    );
    assert!(
        list.iter()
            .any(|f| f.check == CheckId::AdminPortOpenToInternet)
    );
    let e2 = exp.iter().find(|e| e.eni == eni(2)).unwrap();
    assert!(e2.runs.is_empty() && !e2.latent.is_empty());
    assert_eq!(exp.last().unwrap().eni, eni(2), "latent-only last");
}

#[test]
fn ipv6_rule_on_an_interface_without_ipv6_is_latent() {
    let mut w = World::new();
    w.group(1).eni(1, &["10.0.0.10"], &[1]);
    w.ingress(1, "tcp", Some((22, 22)), "::/0");
    // Known without routing state: there is no IPv6 address.
    assert_eq!(latent(&w, 1, V6), [MissingLink::NoAddress(V6)]);
    assert_eq!(
        path(&w, 1, V4),
        PathState::Unknown(UnknownPath::NoRoutingState(vpc(1)))
    );
    assert_eq!(
        summary(&findings(&w), EXPOSURE),
        [(
            "latent-internet-exposure".into(),
            "medium".into(),
            "sg-00000001".into()
        )]
    );
    // One AssignIpv6Addresses later it is real (routing still unknown: rule-only).
    w.snap
        .enis
        .get_mut(&eni(1))
        .unwrap()
        .ipv6
        .push("2600:1f00::10".parse().unwrap());
    assert_eq!(
        summary(&findings(&w), EXPOSURE),
        [(
            "admin-port-open-to-internet".into(),
            "critical".into(),
            "sg-00000001".into()
        )]
    );
    // A unique-local address only is no global address.
    let mut w = public_world();
    w.snap.enis.get_mut(&eni(1)).unwrap().ipv6 = vec!["fd00::10".parse().unwrap()];
    assert_eq!(latent(&w, 1, V6), [MissingLink::NoGlobalAddress]);
}

#[test]
fn unknown_routing_keeps_the_rule_only_judgement() {
    let mut w = World::new();
    w.group(1).eni(1, &["10.0.0.10"], &[1]);
    w.ingress(1, "tcp", Some((22, 22)), "0.0.0.0/0");
    let list = findings(&w);
    assert_eq!(
        summary(&list, EXPOSURE),
        [(
            "admin-port-open-to-internet".into(),
            "critical".into(),
            "sg-00000001".into()
        )]
    );
    assert!(list[0].message.ends_with(
        "; eni-00000001 (IPv4): path unknown: no route tables for vpc-00000001 in the input"
    ));
    // Routing state known, but the interface's subnet is not in the input.
    w.route_table(1, 1, true, &[], &[]);
    assert_eq!(path(&w, 1, V4), PathState::Unknown(UnknownPath::NoSubnet));
    let exp = exposure(&Index::new(&w.snap));
    assert_eq!(exp.len(), 1);
    assert!(exp[0].runs[0].world_open);
}

#[test]
fn unattached_group_is_latent() {
    let mut w = World::new();
    w.group(1);
    w.ingress(1, "-1", None, "0.0.0.0/0");
    let list = findings(&w);
    let lat: Vec<&Finding> = list
        .iter()
        .filter(|f| f.check == CheckId::LatentInternetExposure)
        .collect();
    assert!(
        lat.iter()
            .all(|f| f.message.ends_with("latent: attached to no interface"))
    );
    assert!(lat.iter().any(|f| {
        f.message.contains("(all-traffic-open-to-internet)")
            && f.aliases
                .contains(&"prowler:ec2_securitygroup_allow_ingress_from_internet_to_all_ports")
    }));
    assert!(list.iter().any(|f| f.check == CheckId::UnusedGroup));
    assert!(
        !list
            .iter()
            .any(|f| f.check == CheckId::AllTrafficOpenToInternet)
    );
}

/// prowler#4936: a group with only egress rules (here 60 GitHub-style public ranges) was
/// flagged for wide-open ingress.
#[test]
fn egress_only_group_is_not_exposed() {
    let mut w = public_world();
    w.snap.groups.get_mut(&crate::world::sg(1)).unwrap();
    for i in 0..60u32 {
        w.egress(
            1,
            "tcp",
            Some((22, 22)),
            &format!("{}.{}.0.0/16", 20 + i / 200, i % 200),
        );
    }
    let list = findings(&w);
    let checks: Vec<CheckId> = list.iter().map(|f| f.check).collect();
    assert_eq!(checks, [CheckId::GroupTooManyRules], "{list:#?}");
}

/// prowler#5172: two identical groups got different results. Ours depend on what the rules
/// allow and on the path, nothing else: identical groups in the same situation, and a group
/// spelling the same set differently, get the same findings.
#[test]
fn identical_groups_are_judged_identically() {
    let mut w = public_world();
    w.group(2).group(3);
    for (g, e, ip) in [(2, 2, "203.0.113.20"), (3, 3, "203.0.113.30")] {
        w.eni(e, &["10.0.1.99"], &[g])
            .in_subnet(e, 1)
            .public_ip(e, ip);
        w.snap.enis.get_mut(&eni(e)).unwrap().private_ipv4 =
            vec![format!("10.0.1.{}", 10 * e).parse().unwrap()];
    }
    w.ingress(1, "tcp", Some((80, 80)), "0.0.0.0/0");
    w.ingress(1, "tcp", Some((22, 22)), "0.0.0.0/0");
    w.ingress(2, "tcp", Some((80, 80)), "0.0.0.0/0");
    w.ingress(2, "tcp", Some((22, 22)), "0.0.0.0/0");
    w.ingress(3, "tcp", Some((80, 80)), "0.0.0.0/1");
    w.ingress(3, "tcp", Some((80, 80)), "128.0.0.0/1");
    w.ingress(3, "tcp", Some((22, 22)), "0.0.0.0/1");
    w.ingress(3, "tcp", Some((22, 22)), "128.0.0.0/1");
    let list = findings(&w);
    let of = |n: u32| -> Vec<(CheckId, String, Vec<&str>)> {
        let (sg, en) = (format!("sg-{n:08x}"), format!("eni-{n:08x}"));
        list.iter()
            .filter(|f| f.resource.to_string() == sg || f.resource.to_string() == en)
            .map(|f| (f.check, f.severity.to_string(), f.aliases.clone()))
            .collect()
    };
    assert!(!of(1).is_empty());
    assert_eq!(of(1), of(2));
    assert_eq!(of(1), of(3));
}

/// prowler#6780: Cloudflare's published IPv4 ranges were flagged as wide open. Broad means a
/// /8 of public IPv4 (a /16 of IPv6) or more, counted over the group's sources together.
#[test]
fn known_provider_ranges_are_not_broad() {
    const CLOUDFLARE: &[&str] = &[
        "173.245.48.0/20",
        "103.21.244.0/22",
        "103.22.200.0/22",
        "103.31.4.0/22",
        "141.101.64.0/18",
        "108.162.192.0/18",
        "190.93.240.0/20",
        "188.114.96.0/20",
        "197.234.240.0/22",
        "198.41.128.0/17",
        "162.158.0.0/15",
        "104.16.0.0/13",
        "104.24.0.0/14",
        "172.64.0.0/13",
        "131.0.72.0/22",
    ];
    let mut w = public_world();
    for c in CLOUDFLARE {
        w.ingress(1, "tcp", Some((443, 443)), c);
    }
    let list = findings(&w);
    assert!(
        !list.iter().any(|f| f.check == CheckId::BroadCidr),
        "{list:#?}"
    );
    let public: Vec<&Finding> = list
        .iter()
        .filter(|f| f.check == CheckId::PublicSourceIngress)
        .collect();
    assert_eq!(public.len(), 1);
    assert_eq!(public[0].severity.to_string(), "info");
    assert_eq!(public[0].rules.len(), CLOUDFLARE.len());
    // The same list as a prefix list: the same answer.
    let mut w = public_world();
    w.prefix_list(1, CLOUDFLARE);
    w.ingress(1, "tcp", Some((443, 443)), "pl-00000001");
    assert!(!findings(&w).iter().any(|f| f.check == CheckId::BroadCidr));
    // Two /9s add up to a /8.
    let mut w = public_world();
    w.ingress(1, "tcp", Some((443, 443)), "52.0.0.0/9");
    w.ingress(1, "tcp", Some((8443, 8443)), "52.128.0.0/9");
    let broad: Vec<Finding> = findings(&w)
        .into_iter()
        .filter(|f| f.check == CheckId::BroadCidr)
        .collect();
    assert_eq!(broad.len(), 1);
    assert_eq!(broad[0].rules.len(), 2);
}

/// Every Prowler security-group check (23 group checks, 17 instance checks) has an
/// equivalent: some check carries its id.
#[test]
fn every_prowler_check_has_an_equivalent() {
    let group = [
        "all_ports",
        "any_port",
        "any_port_from_ip",
        "high_risk_tcp_ports",
        "tcp_port_22",
        "tcp_port_3389",
        "tcp_port_cassandra_7199_9160_8888",
        "tcp_port_elasticsearch_kibana_9200_9300_5601",
        "tcp_port_ftp_20_21",
        "tcp_port_kafka_9092",
        "tcp_port_memcached_11211",
        "tcp_port_mongodb_27017_27018",
        "tcp_port_mysql_3306",
        "tcp_port_oracle_1521_2483",
        "tcp_port_postgres_5432",
        "tcp_port_redis_6379",
        "tcp_port_sql_server_1433_1434",
        "tcp_port_telnet_23",
    ]
    .map(|s| format!("prowler:ec2_securitygroup_allow_ingress_from_internet_to_{s}"));
    let other = [
        "allow_wide_open_public_ipv4",
        "default_restrict_traffic",
        "from_launch_wizard",
        "not_used",
        "with_many_ingress_egress_rules",
    ]
    .map(|s| format!("prowler:ec2_securitygroup_{s}"));
    let instance = [
        "cassandra",
        "cifs",
        "elasticsearch_kibana",
        "ftp",
        "kafka",
        "kerberos",
        "ldap",
        "memcached",
        "mongodb",
        "mysql",
        "oracle",
        "postgresql",
        "rdp",
        "redis",
        "sqlserver",
        "ssh",
        "telnet",
    ]
    .map(|s| format!("prowler:ec2_instance_port_{s}_exposed_to_internet"));
    let all: Vec<&str> = CheckId::ALL.iter().flat_map(|c| c.aliases()).collect();
    let wanted: Vec<String> = group.into_iter().chain(other).chain(instance).collect();
    assert_eq!(wanted.len(), 40);
    for id in &wanted {
        assert!(all.contains(&id.as_str()), "{id} has no equivalent");
    }
    let prowler = all.iter().filter(|a| a.starts_with("prowler:"));
    let mut distinct: Vec<&&str> = prowler.collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 40, "{distinct:#?}");
}

/// The instance checks' own ports (Kerberos, LDAP, Cassandra's 9042) fire the per-interface
/// check with the right alias.
#[test]
fn instance_only_ports_map_to_their_instance_check() {
    for (port, alias) in [
        (88, "prowler:ec2_instance_port_kerberos_exposed_to_internet"),
        (636, "prowler:ec2_instance_port_ldap_exposed_to_internet"),
        (
            9042,
            "prowler:ec2_instance_port_cassandra_exposed_to_internet",
        ),
        (2484, "prowler:ec2_instance_port_oracle_exposed_to_internet"),
        (445, "prowler:ec2_instance_port_cifs_exposed_to_internet"),
    ] {
        let mut w = public_world();
        w.ingress(1, "tcp", Some((port, port)), "::/0");
        let list = findings(&w);
        let f = list
            .iter()
            .find(|f| f.check == CheckId::ServiceReachableFromInternet)
            .unwrap_or_else(|| panic!("port {port}: {list:#?}"));
        assert_eq!(f.aliases, [alias], "port {port}");
        assert_eq!(f.paths[0].family, V6);
    }
}
