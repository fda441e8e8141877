//! A host's view as the feed carries it: the describe-* JSON document of the view
//! (`palisade_ec2::export`), held as sections of items keyed by their resource id, so two
//! views differ by a [`Delta`] of upserted and removed items and a receiver that applies the
//! deltas holds exactly the sender's document.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The fields that name an item, tried in this order (an interface also names its VPC and
/// subnet, an address its interface, so the more specific id comes first).
const ID_FIELDS: &[&str] = &[
    "SecurityGroupRuleId",
    "AllocationId",
    "NetworkInterfaceId",
    "VpcPeeringConnectionId",
    "RouteTableId",
    "NetworkAclId",
    "InternetGatewayId",
    "PrefixListId",
    "GroupId",
    "SubnetId",
    "VpcId",
];

/// A describe-* document as sections (`SecurityGroups`, …) of items by id; empty sections
/// are not kept, so equal documents are equal values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewDoc {
    sections: BTreeMap<String, BTreeMap<String, Value>>,
}

/// What turns one view into the next: items added or changed, and ids removed, by section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delta {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub upsert: BTreeMap<String, Vec<Value>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub remove: BTreeMap<String, Vec<String>>,
}

impl Delta {
    pub fn is_empty(&self) -> bool {
        self.upsert.is_empty() && self.remove.is_empty()
    }

    /// How many items it carries.
    pub fn len(&self) -> usize {
        self.upsert.values().map(Vec::len).sum::<usize>()
            + self.remove.values().map(Vec::len).sum::<usize>()
    }
}

impl ViewDoc {
    /// Every top-level array of a describe-* document; other values are ignored.
    pub fn from_document(doc: &Value) -> Self {
        let mut res = Self::default();
        let Some(map) = doc.as_object() else {
            return res;
        };
        for (section, items) in map {
            let Some(items) = items.as_array() else {
                continue;
            };
            for item in items {
                res.insert(section, item.clone());
            }
        }
        res
    }

    /// The document again, each section's items in id order.
    pub fn to_document(&self) -> Value {
        let map = self
            .sections
            .iter()
            .map(|(section, items)| {
                (
                    section.clone(),
                    Value::Array(items.values().cloned().collect()),
                )
            })
            .collect();
        Value::Object(map)
    }

    /// The items of `next` that are new or differ, and the ids it no longer has.
    pub fn delta_to(&self, next: &Self) -> Delta {
        let mut delta = Delta::default();
        let empty = BTreeMap::new();
        for (section, items) in &next.sections {
            let old = self.sections.get(section).unwrap_or(&empty);
            let changed: Vec<Value> = items
                .iter()
                .filter(|(id, item)| old.get(*id) != Some(*item))
                .map(|(_, item)| item.clone())
                .collect();
            if !changed.is_empty() {
                delta.upsert.insert(section.clone(), changed);
            }
        }
        for (section, items) in &self.sections {
            let new = next.sections.get(section).unwrap_or(&empty);
            let gone: Vec<String> = items
                .keys()
                .filter(|id| !new.contains_key(*id))
                .cloned()
                .collect();
            if !gone.is_empty() {
                delta.remove.insert(section.clone(), gone);
            }
        }
        delta
    }

    /// Applies a delta made by [`ViewDoc::delta_to`]: removals, then upserts.
    pub fn apply(&mut self, delta: &Delta) {
        for (section, ids) in &delta.remove {
            if let Some(items) = self.sections.get_mut(section) {
                for id in ids {
                    items.remove(id);
                }
            }
        }
        for (section, items) in &delta.upsert {
            for item in items {
                self.insert(section, item.clone());
            }
        }
        self.sections.retain(|_, items| !items.is_empty());
    }

    fn insert(&mut self, section: &str, item: Value) {
        let id = item_id(&item);
        self.sections
            .entry(section.to_owned())
            .or_default()
            .insert(id, item);
    }
}

/// The item's id; an item without one is named by its whole text (a change to it is then a
/// removal and an upsert, which applies the same).
fn item_id(item: &Value) -> String {
    ID_FIELDS
        .iter()
        .find_map(|f| item.get(*f).and_then(Value::as_str))
        .map_or_else(|| item.to_string(), ToOwned::to_owned)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn doc(groups: &[(&str, u16)], enis: &[&str]) -> ViewDoc {
        let groups: Vec<Value> = groups
            .iter()
            .map(|(id, port)| json!({"GroupId": id, "VpcId": "vpc-1", "Port": port}))
            .collect();
        let enis: Vec<Value> = enis
            .iter()
            .map(|id| json!({"NetworkInterfaceId": id, "VpcId": "vpc-1", "SubnetId": "subnet-1"}))
            .collect();
        ViewDoc::from_document(
            &json!({"SecurityGroups": groups, "NetworkInterfaces": enis, "Vpcs": []}),
        )
    }

    #[track_caller]
    fn check(old: &ViewDoc, new: &ViewDoc, n_items: usize) {
        let delta = old.delta_to(new);
        assert_eq!(delta.len(), n_items, "{delta:?}");
        let mut applied = old.clone();
        applied.apply(&delta);
        assert_eq!(&applied, new);
        // Through the wire format too.
        let wire: Delta = serde_json::from_str(&serde_json::to_string(&delta).unwrap()).unwrap();
        assert_eq!(wire, delta);
    }

    #[test]
    fn delta_carries_only_changed_items() {
        let old = doc(&[("sg-1", 80), ("sg-2", 22)], &["eni-1", "eni-2"]);
        check(&old, &old, 0);
        check(
            &old,
            &doc(&[("sg-1", 443), ("sg-2", 22)], &["eni-1", "eni-2"]),
            1,
        );
        check(&old, &doc(&[("sg-1", 80)], &["eni-1", "eni-2", "eni-3"]), 2);
        check(&old, &ViewDoc::default(), 4);
        check(&ViewDoc::default(), &old, 4);
    }

    #[test]
    fn items_are_named_by_their_own_id() {
        let d = doc(&[("sg-1", 80)], &["eni-1"]);
        let back = d.to_document();
        assert_eq!(back["NetworkInterfaces"][0]["NetworkInterfaceId"], "eni-1");
        assert_eq!(ViewDoc::from_document(&back), d);
        assert!(back.get("Vpcs").is_none(), "empty sections are not kept");
    }
}
