//! describe-* JSON into a snapshot, collecting every problem with its document, item and
//! field. Rules keep the ids `describe-security-group-rules` gives them; rules known only
//! from `describe-security-groups` get ids hashed from (group, direction, rule), so the same
//! input always yields the same ids.

mod network;
mod routing;
mod rules;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use palisade_model::{
    AccountId, Ec2ErrorCode, GroupId, IdError, Quotas, RuleId, RuleSpec, Snapshot, Tag, VpcId,
};
use serde::de::DeserializeOwned;
use serde_json::Value;
use thiserror::Error;

use super::wire::{
    NetworkInterfaceWire, PeeringWire, PrefixListWire, SecurityGroupRuleWire, SecurityGroupWire,
    SubnetWire, TagWire, VpcWire,
};
use crate::permission::PermissionError;
// --- routing ---
use super::routing_wire::{AddressWire, InternetGatewayWire, NetworkAclWire, RouteTableWire};

/// One describe-* document: a name for messages (usually the file path) and its JSON.
#[derive(Debug, Clone, Copy)]
pub struct Document<'a> {
    pub name: &'a str,
    pub json: &'a Value,
}

/// A problem in the input, located by document, item and field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub struct ImportError {
    document: String,
    item: String,
    field: String,
    code: Option<Ec2ErrorCode>,
    message: String,
}

impl ImportError {
    fn new(
        document: &str,
        item: &str,
        field: &str,
        code: Option<Ec2ErrorCode>,
        message: String,
    ) -> Self {
        Self {
            document: document.to_owned(),
            item: item.to_owned(),
            field: field.to_owned(),
            code,
            message,
        }
    }
    /// The document's name (file path), or `snapshot` for whole-snapshot inconsistencies.
    pub fn document(&self) -> &str {
        &self.document
    }
    /// The item, e.g. `SecurityGroups[3] (sg-…)`; empty for document-level problems.
    pub fn item(&self) -> &str {
        &self.item
    }
    /// The field inside the item, e.g. `ip_permissions[2].ip_ranges[0].cidr_ip`.
    pub fn field(&self) -> &str {
        &self.field
    }
    /// The EC2 error code of a validation failure; `None` for syntax and consistency problems.
    pub fn code(&self) -> Option<Ec2ErrorCode> {
        self.code
    }
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.document)?;
        if !self.item.is_empty() {
            write!(f, ": {}", self.item)?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Parses each `(name, text)` as JSON and imports them; malformed JSON is reported like any
/// other problem.
pub fn import_texts(texts: &[(&str, &str)], quotas: &Quotas) -> (Snapshot, Vec<ImportError>) {
    let mut errors = Vec::new();
    let mut values = Vec::new();
    for (name, text) in texts {
        match serde_json::from_str::<Value>(text) {
            Ok(v) => values.push((*name, v)),
            Err(e) => errors.push(ImportError::new(
                name,
                "",
                "",
                None,
                format!("malformed JSON: {e}"),
            )),
        }
    }
    let docs: Vec<Document<'_>> = values
        .iter()
        .map(|(name, json)| Document { name, json })
        .collect();
    let (snapshot, more) = import(&docs, quotas);
    errors.extend(more);
    (snapshot, errors)
}

/// Imports documents into one snapshot. The snapshot holds everything that converted; the
/// errors say what did not, and what is inconsistent (including [`Snapshot::check`]).
pub fn import(docs: &[Document<'_>], quotas: &Quotas) -> (Snapshot, Vec<ImportError>) {
    let mut cx = Ctx {
        errors: Vec::new(),
        seen: HashMap::new(),
    };
    let mut raw = Raw::default();
    for doc in docs {
        raw.collect(&mut cx, doc);
    }
    let mut snap = Snapshot::default();
    for (at, w) in &raw.vpcs {
        if let Some(v) = cx.vpc(at, w) {
            snap.vpcs.insert(v.id.clone(), v);
        }
    }
    for (at, w) in &raw.subnets {
        if let Some(s) = cx.subnet(at, w) {
            snap.subnets.insert(s.id.clone(), s);
        }
    }
    for (at, w) in &raw.peerings {
        if let Some(p) = cx.peering(at, w) {
            snap.peerings.insert(p.id.clone(), p);
        }
    }
    for (at, w) in &raw.prefix_lists {
        if let Some(p) = cx.prefix_list(at, w) {
            snap.prefix_lists.insert(p.id.clone(), p);
        }
    }
    let mut rows = cx.rule_rows(&raw.rules);
    // Group names are unique per VPC, case-insensitively (botocore model,
    // `CreateSecurityGroup.GroupName`).
    let mut names: HashMap<(VpcId, String), GroupId> = HashMap::new();
    for (at, w) in &raw.groups {
        if let Some(g) = cx.group(at, w, &mut rows) {
            let key = (g.vpc_id.clone(), g.name.to_ascii_lowercase());
            if let Some(first) = names.get(&key) {
                let msg = format!(
                    "The security group '{}' already exists for VPC '{}' ({first})",
                    g.name, g.vpc_id
                );
                cx.err(
                    at,
                    "GroupName",
                    Some(Ec2ErrorCode::InvalidGroupDuplicate),
                    msg,
                );
            } else {
                names.insert(key, g.id.clone());
            }
            snap.groups.insert(g.id.clone(), g);
        }
    }
    for (group, rows) in rows {
        for row in rows.into_iter().filter(|r| !r.used) {
            let what = if snap.groups.contains_key(&group) {
                format!(
                    "rule {} of {group} is not among the group's IpPermissions",
                    row.id
                )
            } else {
                format!(
                    "rule {} belongs to security group {group}, which is not in the input",
                    row.id
                )
            };
            cx.err(&row.at, "", None, what);
        }
    }
    for (at, w) in &raw.enis {
        if let Some(e) = cx.eni(at, w, quotas) {
            snap.enis.insert(e.id.clone(), e);
        }
    }
    // --- routing ---
    for (at, w) in &raw.route_tables {
        if let Some(t) = cx.route_table(at, w) {
            snap.route_tables.insert(t.id.clone(), t);
        }
    }
    for (at, w) in &raw.internet_gateways {
        if let Some(g) = cx.internet_gateway(at, w) {
            snap.internet_gateways.insert(g.id.clone(), g);
        }
    }
    for (at, w) in &raw.addresses {
        if let Some(a) = cx.address(at, w, &snap) {
            snap.addresses.insert(a.allocation_id.clone(), a);
        }
    }
    for (at, w) in &raw.network_acls {
        if let Some(a) = cx.network_acl(at, w) {
            snap.network_acls.insert(a.id.clone(), a);
        }
    }
    cx.check_references(&snap, &raw);
    for e in snap.check() {
        cx.errors
            .push(ImportError::new("snapshot", "", "", None, e.to_string()));
    }
    (snap, cx.errors)
}

/// Where an item came from.
#[derive(Debug, Clone)]
struct At {
    doc: String,
    item: String,
}

#[derive(Default)]
struct Raw {
    vpcs: Vec<(At, VpcWire)>,
    subnets: Vec<(At, SubnetWire)>,
    peerings: Vec<(At, PeeringWire)>,
    prefix_lists: Vec<(At, PrefixListWire)>,
    groups: Vec<(At, SecurityGroupWire)>,
    rules: Vec<(At, SecurityGroupRuleWire)>,
    enis: Vec<(At, NetworkInterfaceWire)>,
    // --- routing ---
    route_tables: Vec<(At, RouteTableWire)>,
    internet_gateways: Vec<(At, InternetGatewayWire)>,
    addresses: Vec<(At, AddressWire)>,
    network_acls: Vec<(At, NetworkAclWire)>,
}

impl Raw {
    fn collect(&mut self, cx: &mut Ctx, doc: &Document<'_>) {
        let Value::Object(map) = doc.json else {
            let msg = "expected a JSON object with describe-* keys (SecurityGroups, NetworkInterfaces, Vpcs, …)";
            cx.errors
                .push(ImportError::new(doc.name, "", "", None, msg.to_owned()));
            return;
        };
        if !super::KEYS.iter().any(|k| map.contains_key(*k)) {
            let msg = format!(
                "no describe-* key found (expected one of {})",
                super::KEYS.join(", ")
            );
            cx.errors
                .push(ImportError::new(doc.name, "", "", None, msg));
        }
        items(
            cx,
            doc,
            "Vpcs",
            |w: &VpcWire| w.vpc_id.clone(),
            &mut self.vpcs,
        );
        items(
            cx,
            doc,
            "Subnets",
            |w: &SubnetWire| w.subnet_id.clone(),
            &mut self.subnets,
        );
        items(
            cx,
            doc,
            "VpcPeeringConnections",
            |w: &PeeringWire| w.vpc_peering_connection_id.clone(),
            &mut self.peerings,
        );
        items(
            cx,
            doc,
            "PrefixLists",
            |w: &PrefixListWire| w.prefix_list_id.clone(),
            &mut self.prefix_lists,
        );
        items(
            cx,
            doc,
            "SecurityGroups",
            |w: &SecurityGroupWire| w.group_id.clone(),
            &mut self.groups,
        );
        items(
            cx,
            doc,
            "SecurityGroupRules",
            |w: &SecurityGroupRuleWire| w.security_group_rule_id.clone(),
            &mut self.rules,
        );
        items(
            cx,
            doc,
            "NetworkInterfaces",
            |w: &NetworkInterfaceWire| w.network_interface_id.clone(),
            &mut self.enis,
        );
        // --- routing ---
        items(
            cx,
            doc,
            "RouteTables",
            |w: &RouteTableWire| w.route_table_id.clone(),
            &mut self.route_tables,
        );
        items(
            cx,
            doc,
            "InternetGateways",
            |w: &InternetGatewayWire| w.internet_gateway_id.clone(),
            &mut self.internet_gateways,
        );
        items(
            cx,
            doc,
            "Addresses",
            |w: &AddressWire| w.allocation_id.clone(),
            &mut self.addresses,
        );
        items(
            cx,
            doc,
            "NetworkAcls",
            |w: &NetworkAclWire| w.network_acl_id.clone(),
            &mut self.network_acls,
        );
    }
}

fn items<T: DeserializeOwned>(
    cx: &mut Ctx,
    doc: &Document<'_>,
    key: &str,
    id: impl Fn(&T) -> String,
    out: &mut Vec<(At, T)>,
) {
    let Some(value) = doc.json.get(key) else {
        return;
    };
    let Value::Array(list) = value else {
        cx.errors.push(ImportError::new(
            doc.name,
            key,
            "",
            None,
            "expected an array".to_owned(),
        ));
        return;
    };
    for (idx, item) in list.iter().enumerate() {
        match T::deserialize(item) {
            Ok(w) => {
                let item = format!("{key}[{idx}] ({})", id(&w));
                out.push((
                    At {
                        doc: doc.name.to_owned(),
                        item,
                    },
                    w,
                ));
            }
            Err(e) => cx.errors.push(ImportError::new(
                doc.name,
                &format!("{key}[{idx}]"),
                "",
                None,
                e.to_string(),
            )),
        }
    }
}

struct Ctx {
    errors: Vec<ImportError>,
    /// Every id seen so far and where, to report duplicates across documents.
    seen: HashMap<String, At>,
}

/// A `SecurityGroupRules` row, converted, waiting to lend its id to a rule.
struct Row {
    at: At,
    id: RuleId,
    spec: RuleSpec,
    tags: Vec<Tag>,
    used: bool,
}

impl Ctx {
    fn err(&mut self, at: &At, field: &str, code: Option<Ec2ErrorCode>, message: String) {
        self.errors
            .push(ImportError::new(&at.doc, &at.item, field, code, message));
    }

    fn perm_err(&mut self, at: &At, e: &PermissionError) {
        self.err(at, e.path(), Some(e.code()), e.message().to_owned());
    }

    /// Parses an id field, reporting a malformed one.
    fn id<T: FromStr<Err = IdError>>(&mut self, at: &At, field: &str, s: &str) -> Option<T> {
        match s.parse() {
            Ok(id) => Some(id),
            Err(e) => {
                self.err(at, field, Some(e.code()), e.to_string());
                None
            }
        }
    }

    fn required<'a>(&mut self, at: &At, field: &str, v: Option<&'a str>) -> Option<&'a str> {
        if v.is_none() {
            let msg = format!("missing {field}");
            self.err(at, field, Some(Ec2ErrorCode::MissingParameter), msg);
        }
        v
    }

    fn owner(&mut self, at: &At, v: Option<&str>) -> Option<AccountId> {
        let s = self.required(at, "OwnerId", v)?;
        self.id(at, "OwnerId", s)
    }

    /// Records an id; a second occurrence anywhere is an error.
    fn unique(&mut self, at: &At, id: &str) -> bool {
        if let Some(first) = self.seen.get(id) {
            let msg = format!(
                "duplicate id {id} (first seen in {}: {})",
                first.doc, first.item
            );
            self.err(at, "", None, msg);
            return false;
        }
        self.seen.insert(id.to_owned(), at.clone());
        true
    }

    fn tags(&mut self, tags: &[TagWire]) -> Vec<Tag> {
        tags.iter()
            .map(|t| Tag {
                key: t.key.clone(),
                value: t.value.clone(),
            })
            .collect()
    }
}
