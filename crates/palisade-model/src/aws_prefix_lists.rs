//! The AWS-managed prefix lists every region has ("AWS-managed prefix lists", VPC UG):
//! owner `AWS`, state `create-complete`, ids stable per region (us-east-1 uses the real ids;
//! other regions get ids derived from the region's name). Entries are a plausible sample of
//! the published ranges (`ip-ranges.json`), the same in every region; they are data, never
//! stored, and cannot be modified or deleted.

use ipnet::IpNet;

use crate::ids::AccountId;
use crate::network::{AddressFamily, PrefixList, PrefixListEntry};

/// (name with `REGION` for the region, family, max entries, us-east-1 id, entries).
type Template = (
    &'static str,
    AddressFamily,
    u32,
    &'static str,
    &'static [&'static str],
);

const LISTS: &[Template] = &[
    (
        "com.amazonaws.REGION.s3",
        AddressFamily::Ipv4,
        7,
        "pl-63a5400a",
        &[
            "3.5.0.0/19",
            "16.15.192.0/18",
            "18.34.0.0/19",
            "44.192.134.240/28",
            "44.192.140.64/28",
            "52.216.0.0/15",
            "54.231.0.0/16",
        ],
    ),
    (
        "com.amazonaws.REGION.dynamodb",
        AddressFamily::Ipv4,
        4,
        "pl-02cd2c6b",
        &[
            "3.218.180.0/23",
            "3.218.182.0/24",
            "52.94.0.0/22",
            "52.119.224.0/20",
        ],
    ),
    (
        "com.amazonaws.global.cloudfront.origin-facing",
        AddressFamily::Ipv4,
        55,
        "pl-3b927c52",
        &[
            "3.172.0.0/18",
            "13.32.0.0/15",
            "13.224.0.0/14",
            "15.158.0.0/16",
            "18.64.0.0/14",
            "18.154.0.0/15",
            "18.160.0.0/15",
            "18.164.0.0/15",
            "18.172.0.0/15",
            "18.238.0.0/15",
            "18.244.0.0/15",
            "52.46.0.0/18",
            "52.82.128.0/19",
            "52.84.0.0/15",
            "54.182.0.0/16",
            "54.192.0.0/16",
            "54.230.0.0/17",
            "54.239.128.0/18",
            "54.240.128.0/18",
            "64.252.64.0/18",
            "70.132.0.0/18",
            "99.84.0.0/16",
            "99.86.0.0/16",
            "108.138.0.0/15",
            "108.156.0.0/14",
            "116.129.226.0/25",
            "120.52.22.96/27",
            "130.176.0.0/17",
            "143.204.0.0/16",
            "144.220.0.0/16",
            "204.246.164.0/22",
            "204.246.168.0/22",
            "205.251.192.0/19",
            "216.137.32.0/19",
        ],
    ),
    (
        "com.amazonaws.REGION.ec2-instance-connect",
        AddressFamily::Ipv4,
        1,
        "pl-0e4bcff02b13bef1e",
        &["18.206.107.24/29"],
    ),
    (
        "com.amazonaws.REGION.ipv6.ec2-instance-connect",
        AddressFamily::Ipv6,
        1,
        "pl-0d3e6a2e9d9a1c8b4",
        &["2600:1f18:6fe3:8c00::/59"],
    ),
    (
        "com.amazonaws.REGION.vpc-lattice",
        AddressFamily::Ipv4,
        1,
        "pl-0f7e2fd5b1f4e2a8c",
        &["169.254.171.0/24"],
    ),
];

/// The AWS-managed lists of `region`, in id order.
pub fn in_region(region: &str) -> Vec<PrefixList> {
    let owner: AccountId = AccountId::AWS_MANAGED
        .parse()
        .expect("AWS is a valid owner id");
    let mut out: Vec<PrefixList> = LISTS
        .iter()
        .enumerate()
        .map(|(idx, (name, family, max_entries, east_id, entries))| {
            let id = if region == "us-east-1" {
                (*east_id).to_owned()
            } else {
                derived_id(region, idx)
            };
            PrefixList {
                id: id.parse().expect("built-in prefix list ids are valid"),
                name: name.replace("REGION", region),
                owner: owner.clone(),
                family: *family,
                max_entries: *max_entries,
                version: 1,
                entries: entries
                    .iter()
                    .map(|c| PrefixListEntry {
                        cidr: c.parse::<IpNet>().expect("built-in CIDRs are valid"),
                        description: None,
                    })
                    .collect(),
                tags: Vec::new(),
                change: Default::default(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// `pl-` and 8 hex digits from an FNV-1a hash of the region and the list's index: the same
/// in every run and on every server.
fn derived_id(region: &str, idx: usize) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for b in region.bytes().chain(idx.to_le_bytes()) {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    format!("pl-{hash:08x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_region_has_stable_distinct_lists() {
        let east = in_region("us-east-1");
        assert!(
            east.iter()
                .any(|l| l.name == "com.amazonaws.us-east-1.s3" && l.id.as_str() == "pl-63a5400a")
        );
        let west = in_region("eu-west-1");
        assert_eq!(west, in_region("eu-west-1"));
        assert!(west.iter().all(|w| east.iter().all(|e| e.id != w.id)));
        assert!(
            west.iter()
                .all(|l| l.entries.len() <= l.max_entries as usize)
        );
    }
}
