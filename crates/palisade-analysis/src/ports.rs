//! Ports the audit treats as dangerous when open to the internet, with the service behind
//! each. Sources: CIS AWS Foundations 5.2/5.3 (remote administration), Security Hub FSBP
//! EC2.19 (high-risk ports), Prowler's per-service checks, ScoutSuite's known ports.

use palisade_model::Protocol;

/// A well-known port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownPort {
    pub protocol: u8,
    pub port: u16,
    pub service: &'static str,
}

const fn tcp(port: u16, service: &'static str) -> KnownPort {
    KnownPort {
        protocol: Protocol::TCP,
        port,
        service,
    }
}

const fn udp(port: u16, service: &'static str) -> KnownPort {
    KnownPort {
        protocol: Protocol::UDP,
        port,
        service,
    }
}

/// Remote administration (CIS 5.2/5.3, FSBP EC2.13/EC2.14/EC2.53/EC2.54).
pub const ADMIN_PORTS: &[KnownPort] = &[tcp(22, "SSH"), tcp(3389, "RDP"), udp(3389, "RDP")];

/// Databases, caches, directories, plaintext and Windows services (FSBP EC2.19, and every
/// port of Prowler's group and instance checks).
pub const HIGH_RISK_PORTS: &[KnownPort] = &[
    tcp(20, "FTP data"),
    tcp(21, "FTP"),
    tcp(23, "Telnet"),
    tcp(25, "SMTP"),
    tcp(88, "Kerberos"),
    tcp(110, "POP3"),
    tcp(135, "MS RPC"),
    tcp(137, "NetBIOS"),
    udp(137, "NetBIOS"),
    udp(138, "NetBIOS"),
    tcp(139, "NetBIOS/SMB"),
    tcp(143, "IMAP"),
    tcp(389, "LDAP"),
    tcp(445, "SMB"),
    tcp(464, "Kerberos"),
    tcp(636, "LDAPS"),
    tcp(749, "Kerberos admin"),
    tcp(750, "Kerberos"),
    tcp(1433, "SQL Server"),
    tcp(1434, "SQL Server"),
    udp(1434, "SQL Server browser"),
    tcp(1521, "Oracle"),
    tcp(2049, "NFS"),
    udp(2049, "NFS"),
    tcp(2483, "Oracle"),
    tcp(2484, "Oracle"),
    tcp(3000, "dev server"),
    tcp(3306, "MySQL/Aurora"),
    tcp(4333, "mSQL"),
    tcp(5000, "dev server"),
    tcp(5432, "PostgreSQL"),
    tcp(5439, "Redshift"),
    tcp(5500, "VNC"),
    tcp(5601, "Kibana"),
    tcp(6379, "Redis"),
    tcp(7000, "Cassandra"),
    tcp(7001, "Cassandra"),
    tcp(7199, "Cassandra"),
    tcp(8080, "HTTP proxy/admin"),
    tcp(8088, "Hadoop"),
    tcp(8888, "Cassandra/Jupyter"),
    tcp(9042, "Cassandra"),
    tcp(9092, "Kafka"),
    tcp(9160, "Cassandra"),
    tcp(9200, "Elasticsearch"),
    tcp(9300, "Elasticsearch"),
    tcp(11211, "Memcached"),
    udp(11211, "Memcached"),
    tcp(27017, "MongoDB"),
    tcp(27018, "MongoDB"),
];

/// The traffic key of a known port.
pub fn key(p: &KnownPort) -> u32 {
    u32::from(p.protocol) << 16 | u32::from(p.port)
}

/// `tcp/22 (SSH)`.
pub fn label(p: &KnownPort) -> String {
    let name = if p.protocol == Protocol::TCP {
        "tcp"
    } else {
        "udp"
    };
    format!("{name}/{} ({})", p.port, p.service)
}
