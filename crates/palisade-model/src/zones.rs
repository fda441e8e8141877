//! The availability zones of each region: a fixed table (DescribeAvailabilityZones, the
//! default subnets, CreateSubnet's zone check). Zone names map to account-independent zone
//! ids as EC2's "AZ IDs for your AWS resources" describes; us-east-1 uses its real six zones,
//! every other region three zones `a`–`c` numbered `az1`–`az3`.

/// One availability zone of a region.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Zone {
    /// `us-east-1a`.
    pub name: String,
    /// `use1-az6`.
    pub id: String,
    pub region: String,
}

/// us-east-1's zone letters and zone-id numbers (one real account's mapping).
const US_EAST_1: &[(char, u8)] = &[('a', 6), ('b', 1), ('c', 2), ('d', 4), ('e', 3), ('f', 5)];
const OTHER: &[(char, u8)] = &[('a', 1), ('b', 2), ('c', 3)];

/// The zones of `region`, in name order.
pub fn zones(region: &str) -> Vec<Zone> {
    let table = if region == "us-east-1" {
        US_EAST_1
    } else {
        OTHER
    };
    let prefix = zone_id_prefix(region);
    table
        .iter()
        .map(|(letter, n)| Zone {
            name: format!("{region}{letter}"),
            id: format!("{prefix}-az{n}"),
            region: region.to_owned(),
        })
        .collect()
}

/// The zone named (`us-east-1a`) or identified (`use1-az6`) by `name_or_id` in `region`.
pub fn zone(region: &str, name_or_id: &str) -> Option<Zone> {
    zones(region)
        .into_iter()
        .find(|z| z.name == name_or_id || z.id == name_or_id)
}

/// `us-east-1` → `use1`, `ap-southeast-2` → `apse2`, `eu-central-1` → `euc1`.
fn zone_id_prefix(region: &str) -> String {
    region
        .split('-')
        .enumerate()
        .map(|(idx, part)| {
            if idx == 0 || part.chars().all(|c| c.is_ascii_digit()) {
                return part.to_owned();
            }
            ["north", "south", "east", "west", "central"]
                .iter()
                .fold(part.to_owned(), |acc, word| acc.replace(word, &word[..1]))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_ids_follow_ec2s_region_codes() {
        let z = zones("us-east-1");
        assert_eq!(z.len(), 6);
        assert_eq!(
            (z[0].name.as_str(), z[0].id.as_str()),
            ("us-east-1a", "use1-az6")
        );
        assert_eq!(zones("ap-southeast-2")[1].id, "apse2-az2");
        assert_eq!(zones("eu-central-1")[0].id, "euc1-az1");
        assert_eq!(
            zone("us-east-1", "use1-az1").map(|z| z.name),
            Some("us-east-1b".into())
        );
        assert_eq!(zone("us-east-1", "us-east-1z"), None);
    }
}
