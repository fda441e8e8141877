//! A synthesised catalogue of instance types and images: EC2 has thousands of each and
//! Palisade models none of their behaviour, but clients (Terraform's `aws_instance`) read
//! them back. Every well-formed name is answered with plausible values; nothing here
//! affects security groups.

use super::ops::InstanceTypeInfo;

/// The type's sizes as EC2 reports them for the general-purpose families; other families
/// share the vCPU counts and scale memory by their ratio.
pub fn instance_type_info(name: &str) -> Option<InstanceTypeInfo> {
    let (family, size) = name.split_once('.')?;
    if family.is_empty()
        || !family
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return None;
    }
    let (vcpus, base_mib, max_interfaces, ipv4): (u32, u64, u32, u32) = match size {
        "nano" => (2, 512, 2, 2),
        "micro" => (2, 1024, 2, 2),
        "small" => (2, 2048, 3, 4),
        "medium" => (2, 4096, 3, 6),
        "large" => (2, 8192, 3, 12),
        "xlarge" => (4, 16384, 4, 15),
        "2xlarge" => (8, 32768, 4, 15),
        "4xlarge" => (16, 65536, 8, 30),
        "8xlarge" => (32, 131_072, 8, 30),
        _ => return None,
    };
    let burstable = family.starts_with('t');
    let memory_mib = match family.as_bytes().first() {
        Some(b'c') => base_mib / 2,
        Some(b'r' | b'x') => base_mib * 2,
        _ => base_mib,
    };
    let threads_per_core = 2;
    Some(InstanceTypeInfo {
        name: name.to_owned(),
        vcpus,
        cores: vcpus / threads_per_core,
        threads_per_core,
        memory_mib,
        burstable,
        max_interfaces,
        ipv4_per_interface: ipv4,
        ipv6_per_interface: ipv4,
    })
}

/// The CPU credit option a burstable type launches with: `standard` for T2, `unlimited`
/// for later T families ("Unlimited mode", EC2 UG "Burstable performance instances").
pub fn default_cpu_credits(instance_type: &str) -> &'static str {
    if instance_type.starts_with("t2.") {
        "standard"
    } else {
        "unlimited"
    }
}
