//! `palisade audit`: run every check over a snapshot and print the findings as a table,
//! JSON or SARIF 2.1.0.
//!
//! ```text
//! palisade audit -i SNAPSHOT [--format table|json|sarif] [--fail-on SEVERITY|never]
//!     [--disable CHECK_ID …] [--data-store GROUP_ID …] [--max-rules N]
//!     [--max-group-rules N] [--list-checks]
//! ```
//! Exit 1 when a finding at or above `--fail-on` exists (without `--fail-on`: any finding),
//! 0 otherwise, 2 on error. `--format json` prints exactly
//! `{"findings": [{"check", "severity", "resource", "message", "rules", "aliases", "paths"}, …]}`:
//! `aliases` are the Prowler and ScoutSuite ids (`prowler:…`, `scoutsuite:…`) the finding
//! stands for, `paths` each interface's path from the internet
//! (`{"interface", "family", "state": "open"|"latent"|"unknown", …}`). SARIF carries the
//! same as `properties.aliases` and `properties.paths` on each result, and each rule's
//! aliases on its reporting descriptor.
//! The non-canonical-CIDR check reads the raw `CidrIp`/`CidrIpv6` texts of the input files
//! (the model keeps canonical CIDRs only).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use palisade_analysis::{
    AuditConfig, CheckId, Finding, Index, PathState, RawCidr, Severity, audit,
};
use palisade_model::{AddressFamily, Direction, GroupId};
use serde::Serialize;
use serde_json::{Value, json};

use crate::output;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Table,
    Json,
    Sarif,
}

#[derive(Debug, clap::Args)]
pub(crate) struct AuditArgs {
    /// describe-* JSON file, or a directory of them (every *.json); repeatable.
    #[arg(short = 'i', long = "input", required_unless_present = "list_checks")]
    inputs: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Exit 1 only for findings at or above this severity (critical, high, medium, low,
    /// info), or `never`. Default: any finding.
    #[arg(long, value_name = "SEVERITY")]
    fail_on: Option<String>,
    /// Turn a check off by id (repeatable; see --list-checks).
    #[arg(long, value_name = "CHECK_ID")]
    disable: Vec<String>,
    /// Treat this group as a data-store tier (repeatable; groups tagged
    /// `palisade:data-store` or `tier=data|database|db|data-store` count too).
    #[arg(long, value_name = "GROUP_ID")]
    data_store: Vec<String>,
    /// Maximum rules per interface and direction (prefix lists weigh their max entries).
    #[arg(long, default_value_t = 100)]
    max_rules: u32,
    /// Maximum rules per group and direction (Prowler's `max_security_group_rules`).
    #[arg(long, value_name = "N", default_value_t = 50)]
    max_group_rules: u32,
    /// Print the checks (id, severity, title) and exit.
    #[arg(long)]
    list_checks: bool,
}

/// `{"findings": [...]}`, keys in contract order.
#[derive(Debug, Serialize)]
struct JsonFindings {
    findings: Vec<JsonFinding>,
}

#[derive(Debug, Serialize)]
struct JsonFinding {
    check: &'static str,
    severity: &'static str,
    resource: String,
    message: String,
    rules: Vec<JsonRuleRef>,
    aliases: Vec<&'static str>,
    paths: Vec<Value>,
}

#[derive(Debug, Serialize)]
struct JsonRuleRef {
    group_id: String,
    rule_id: String,
}

fn family_name(f: AddressFamily) -> &'static str {
    match f {
        AddressFamily::Ipv4 => "ipv4",
        AddressFamily::Ipv6 => "ipv6",
    }
}

/// One path as JSON: `{"interface", "family", "state", …}` with the gateway, route table,
/// routes and address of an open path, the missing links of a latent one, the reason of an
/// unknown one.
pub(crate) fn path_json(eni: &str, family: AddressFamily, state: &PathState) -> Value {
    let mut v = json!({ "interface": eni, "family": family_name(family) });
    match state {
        PathState::Open(p) => {
            v["state"] = json!("open");
            v["gateway"] = json!(p.gateway.to_string());
            v["route_table"] = json!(p.route_table.to_string());
            v["main_route_table"] = json!(p.main);
            v["routes"] = json!(p.routes.iter().map(ToString::to_string).collect::<Vec<_>>());
            v["address"] = json!(p.address.to_string());
            if let Some(a) = &p.elastic_ip {
                v["elastic_ip"] = json!(a.to_string());
            }
        }
        PathState::Latent(missing) => {
            v["state"] = json!("latent");
            v["missing"] = json!(missing.iter().map(ToString::to_string).collect::<Vec<_>>());
        }
        PathState::Unknown(why) => {
            v["state"] = json!("unknown");
            v["why"] = json!(why.to_string());
        }
    }
    v
}

fn finding_paths(f: &Finding) -> Vec<Value> {
    f.paths
        .iter()
        .map(|p| path_json(p.eni.as_str(), p.family, &p.state))
        .collect()
}

pub(crate) fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    if args.list_checks {
        for c in CheckId::ALL {
            output::line(&format!(
                "{:<34} {:<8} {}",
                c.as_str(),
                c.severity().as_str(),
                c.title()
            ));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let fail_on = match args.fail_on.as_deref() {
        None => Some(Severity::Info),
        Some(s) if s.eq_ignore_ascii_case("never") => None,
        Some(s) => Some(Severity::parse(s).with_context(|| {
            format!("--fail-on {s}: expected critical, high, medium, low, info or never")
        })?),
    };
    let mut disabled = Vec::new();
    for d in &args.disable {
        let c = CheckId::parse(d)
            .with_context(|| format!("--disable {d}: unknown check id (see --list-checks)"))?;
        disabled.push(c);
    }
    let mut data_store_groups = Vec::new();
    for g in &args.data_store {
        data_store_groups.push(
            g.parse::<GroupId>()
                .with_context(|| format!("--data-store {g}"))?,
        );
    }
    let snapshot = crate::input::load_snapshot(&args.inputs)?;
    let config = AuditConfig {
        disabled,
        data_store_groups,
        max_rules_per_interface: args.max_rules,
        max_rules_per_group: args.max_group_rules,
        raw_cidrs: raw_cidrs(&args.inputs),
    };
    let findings = audit(&Index::new(&snapshot), &config);
    match args.format {
        Format::Table => print_table(&findings),
        Format::Json => {
            let list: Vec<JsonFinding> = findings
                .iter()
                .map(|f| JsonFinding {
                    check: f.check.as_str(),
                    severity: f.severity.as_str(),
                    resource: f.resource.to_string(),
                    message: f.message.clone(),
                    rules: f
                        .rules
                        .iter()
                        .map(|m| JsonRuleRef {
                            group_id: m.group_id.to_string(),
                            rule_id: m.rule_id.to_string(),
                        })
                        .collect(),
                    aliases: f.aliases.clone(),
                    paths: finding_paths(f),
                })
                .collect();
            let doc = JsonFindings { findings: list };
            output::line(&serde_json::to_string_pretty(&doc).context("encoding findings")?);
        }
        Format::Sarif => {
            // The first input file: code-scanning UIs attach results to a file.
            let uri = json_files(&args.inputs)
                .first()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            output::line(
                &serde_json::to_string_pretty(&sarif(&findings, &uri)).context("encoding SARIF")?,
            );
        }
    }
    let failing = fail_on.is_some_and(|min| findings.iter().any(|f| f.severity >= min));
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_table(findings: &[Finding]) {
    if findings.is_empty() {
        output::line("no findings");
        return;
    }
    let w_check = findings
        .iter()
        .map(|f| f.check.as_str().len())
        .max()
        .unwrap_or(5)
        .max(5);
    let w_res = findings
        .iter()
        .map(|f| f.resource.to_string().len())
        .max()
        .unwrap_or(8)
        .max(8);
    output::line(&format!(
        "{:<8}  {:<w_check$}  {:<w_res$}  MESSAGE",
        "SEVERITY", "CHECK", "RESOURCE"
    ));
    for f in findings {
        output::line(&format!(
            "{:<8}  {:<w_check$}  {:<w_res$}  {}",
            f.severity.as_str(),
            f.check.as_str(),
            f.resource.to_string(),
            f.message
        ));
    }
    let counts: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .map(|s| (s, findings.iter().filter(|f| f.severity == *s).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    output::line(&format!(
        "\n{} finding(s): {}",
        findings.len(),
        counts.join(", ")
    ));
    output::line("\nremediation:");
    let mut seen = Vec::new();
    for f in findings {
        if !seen.contains(&f.check) {
            seen.push(f.check);
            output::line(&format!("  {}: {}", f.check, f.check.remediation()));
        }
    }
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning reads `security-severity` (a CVSS-like score) to rank alerts.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.5",
    }
}

/// A SARIF 2.1.0 log (OASIS SARIF v2.1.0): one run, one reporting descriptor per check,
/// one result per finding, located at the input file and the resource id.
pub(crate) fn sarif(findings: &[Finding], uri: &str) -> Value {
    let rules: Vec<Value> = CheckId::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.as_str(),
                "name": c.as_str(),
                "shortDescription": { "text": c.title() },
                "fullDescription": { "text": c.title() },
                "help": { "text": c.remediation() },
                "defaultConfiguration": { "level": sarif_level(c.severity()) },
                "properties": {
                    "tags": ["security", "network"],
                    "security-severity": security_severity(c.severity()),
                    "severity": c.severity().as_str(),
                    "aliases": c.aliases(),
                },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let rule_index = CheckId::ALL.iter().position(|c| *c == f.check).unwrap_or(0);
            let kind = match f.resource {
                palisade_analysis::Resource::Group(_) => "securityGroup",
                palisade_analysis::Resource::Interface(_) => "networkInterface",
            };
            let mut location = json!({
                "logicalLocations": [{
                    "name": f.resource.to_string(),
                    "fullyQualifiedName": f.resource.to_string(),
                    "kind": kind,
                }],
            });
            if !uri.is_empty() {
                location["physicalLocation"] = json!({ "artifactLocation": { "uri": uri } });
            }
            let rule_ids: Vec<String> = f.rules.iter().map(|m| m.rule_id.to_string()).collect();
            json!({
                "ruleId": f.check.as_str(),
                "ruleIndex": rule_index,
                "level": sarif_level(f.severity),
                "message": { "text": f.message },
                "locations": [location],
                "partialFingerprints": {
                    "palisadeFinding/v1": format!("{}:{}:{}", f.check, f.resource, rule_ids.join(",")),
                },
                "properties": {
                    "severity": f.severity.as_str(),
                    "resource": f.resource.to_string(),
                    "rules": rule_ids,
                    "aliases": f.aliases,
                    "paths": finding_paths(f),
                },
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "palisade",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/palisade/palisade",
                    "rules": rules,
                },
            },
            "results": results,
        }],
    })
}

/// Every `CidrIp`/`CidrIpv6` text in the inputs, with its group and direction, for the
/// non-canonical-CIDR check. Unreadable files are skipped: the import already read them.
fn raw_cidrs(inputs: &[PathBuf]) -> Vec<RawCidr> {
    let mut out = Vec::new();
    for file in json_files(inputs) {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let Ok(value) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        walk(&value, &mut out);
    }
    out
}

fn json_files(inputs: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for input in inputs {
        if !input.is_dir() {
            files.push(input.clone());
            continue;
        }
        let Ok(dir) = std::fs::read_dir(input) else {
            continue;
        };
        let mut found: Vec<PathBuf> = dir
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
            .collect();
        found.sort();
        files.extend(found);
    }
    files
}

fn walk(v: &Value, out: &mut Vec<RawCidr>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
        Value::Object(map) => {
            let group = map
                .get("GroupId")
                .and_then(Value::as_str)
                .and_then(|g| g.parse::<GroupId>().ok());
            if let Some(group) = &group {
                for (key, direction) in [
                    ("IpPermissions", Direction::Ingress),
                    ("IpPermissionsEgress", Direction::Egress),
                ] {
                    for perm in map.get(key).and_then(Value::as_array).into_iter().flatten() {
                        permission_cidrs(perm, group, direction, out);
                    }
                }
                // describe-security-group-rules shape.
                let egress = map.get("IsEgress").and_then(Value::as_bool);
                for field in ["CidrIpv4", "CidrIpv6"] {
                    if let (Some(text), Some(egress)) =
                        (map.get(field).and_then(Value::as_str), egress)
                    {
                        out.push(RawCidr {
                            group_id: group.clone(),
                            direction: if egress {
                                Direction::Egress
                            } else {
                                Direction::Ingress
                            },
                            rule_id: map
                                .get("SecurityGroupRuleId")
                                .and_then(Value::as_str)
                                .and_then(|r| r.parse().ok()),
                            text: text.to_owned(),
                        });
                    }
                }
            }
            map.values().for_each(|i| walk(i, out));
        }
        _ => {}
    }
}

fn permission_cidrs(perm: &Value, group: &GroupId, direction: Direction, out: &mut Vec<RawCidr>) {
    for (list, field) in [("IpRanges", "CidrIp"), ("Ipv6Ranges", "CidrIpv6")] {
        for r in perm
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(text) = r.get(field).and_then(Value::as_str) {
                out.push(RawCidr {
                    group_id: group.clone(),
                    direction,
                    rule_id: None,
                    text: text.to_owned(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use palisade_analysis::{AuditConfig, Index, audit};
    use palisade_engine::RuleMatch;
    use palisade_model::{
        AccountId, GroupId, NewRule, Peer, SecurityGroup, SeqIdGen, Snapshot, Traffic,
    };

    use std::path::Path;

    use super::*;

    /// The OASIS SARIF 2.1.0 schema (the `sarif-2.1.0-rtm.5` JSON schema as shipped in npm
    /// `@microsoft/jest-sarif` 1.0.0-beta.0, MIT).
    const SCHEMA: &str =
        include_str!("../../../palisade-analysis/test_data/sarif-2.1.0-rtm.5.json");

    fn findings() -> Vec<Finding> {
        let mut snap = Snapshot::default();
        let owner: AccountId = "111122223333".parse().unwrap();
        let gid: GroupId = "sg-00000001".parse().unwrap();
        let mut ids = SeqIdGen::default();
        let mut g = SecurityGroup::new(
            gid.clone(),
            "web".into(),
            "d".into(),
            "vpc-00000001".parse().unwrap(),
            owner,
            false,
            &mut ids,
        );
        let quotas = palisade_model::Quotas::default();
        let ctx = palisade_model::AuthorizeCtx {
            quotas: &quotas,
            prefix_list_weight: &|_| None,
        };
        let rule = NewRule::new(
            Direction::Ingress,
            Traffic::All,
            Peer::parse_cidr("0.0.0.0/0").unwrap(),
        );
        g.authorize(vec![rule], &ctx, &mut ids).unwrap();
        snap.groups.insert(gid, g);
        let mut out = audit(&Index::new(&snap), &AuditConfig::standard());
        out.push(Finding::new(
            CheckId::AllTrafficOpenToInternet,
            palisade_analysis::Resource::Interface("eni-00000001".parse().unwrap()),
            "synthetic \"quoted\" message".into(),
            vec![RuleMatch {
                group_id: "sg-00000001".parse().unwrap(),
                rule_id: "sgr-00000001".parse().unwrap(),
            }],
        ));
        out
    }

    #[test]
    fn sarif_validates_against_the_2_1_0_schema() {
        // The published schema's `run.language` pattern ends in an unescaped `]`, a literal
        // under ECMA-262 Annex B but rejected by the Rust regex engine; escape it, same meaning.
        let schema_text = SCHEMA.replace(r#"[a-zA-Z]{2}]?$"#, r#"[a-zA-Z]{2}\\]?$"#);
        assert_ne!(
            schema_text, SCHEMA,
            "the language pattern was found and escaped"
        );
        let schema: Value = serde_json::from_str(&schema_text).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let list = findings();
        assert!(list.len() >= 2, "{list:#?}");
        for uri in ["input.json", ""] {
            let log = sarif(&list, uri);
            let errors: Vec<String> = validator
                .iter_errors(&log)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{errors:#?}");
            assert_eq!(
                log["runs"][0]["results"].as_array().unwrap().len(),
                list.len()
            );
        }
        // The validator does reject a broken log (the test can fail).
        let mut broken = sarif(&list, "x");
        broken["runs"][0]["results"][0]["level"] = json!("fatal");
        assert!(!validator.is_valid(&broken));
        let mut broken = sarif(&list, "x");
        broken.as_object_mut().unwrap().remove("version");
        assert!(!validator.is_valid(&broken));
    }

    #[test]
    fn raw_cidrs_are_found_in_both_shapes() {
        let doc = json!({
            "SecurityGroups": [{
                "GroupId": "sg-00000001",
                "IpPermissions": [{ "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                    "IpRanges": [{ "CidrIp": "10.0.0.1/24" }], "Ipv6Ranges": [{ "CidrIpv6": "::/0" }] }],
                "IpPermissionsEgress": [],
            }],
            "SecurityGroupRules": [{ "GroupId": "sg-00000002", "IsEgress": true, "CidrIpv4": "1.2.3.4/8",
                "SecurityGroupRuleId": "sgr-00000001" }],
        });
        let mut out = Vec::new();
        walk(&doc, &mut out);
        let mut texts: Vec<(&str, &str)> = out
            .iter()
            .map(|r| (r.group_id.as_str(), r.text.as_str()))
            .collect();
        texts.sort_unstable();
        assert_eq!(
            texts,
            [
                ("sg-00000001", "10.0.0.1/24"),
                ("sg-00000001", "::/0"),
                ("sg-00000002", "1.2.3.4/8")
            ]
        );
        let egress: Vec<&str> = out
            .iter()
            .filter(|r| r.direction == Direction::Egress)
            .map(|r| r.text.as_str())
            .collect();
        assert_eq!(egress, ["1.2.3.4/8"]);
    }

    const TIERS: &str = include_str!("../../../palisade-analysis/test_data/tiers.json");

    fn audit_args(input: PathBuf, fail_on: Option<&str>, disable: &[&str]) -> AuditArgs {
        AuditArgs {
            inputs: vec![input],
            format: Format::Json,
            fail_on: fail_on.map(Into::into),
            disable: disable.iter().map(|s| (*s).to_owned()).collect(),
            data_store: Vec::new(),
            max_rules: 100,
            max_group_rules: 50,
            list_checks: false,
        }
    }

    #[test]
    fn fail_on_sets_the_exit_code() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("snap.json");
        std::fs::write(&file, TIERS).unwrap();
        // tiers.json has high, medium and low findings but nothing critical.
        assert_eq!(
            run(audit_args(file.clone(), None, &[])).unwrap(),
            ExitCode::from(1)
        );
        assert_eq!(
            run(audit_args(file.clone(), Some("high"), &[])).unwrap(),
            ExitCode::from(1)
        );
        assert_eq!(
            run(audit_args(file.clone(), Some("critical"), &[])).unwrap(),
            ExitCode::SUCCESS
        );
        assert_eq!(
            run(audit_args(file.clone(), Some("never"), &[])).unwrap(),
            ExitCode::SUCCESS
        );
        let highs = ["default-group-has-rules", "data-store-egress-open"];
        assert_eq!(
            run(audit_args(file.clone(), Some("high"), &highs)).unwrap(),
            ExitCode::SUCCESS
        );
        assert!(run(audit_args(file.clone(), Some("severe"), &[])).is_err());
        assert!(run(audit_args(file, None, &["no-such-check"])).is_err());
    }

    #[test]
    fn non_canonical_cidr_is_read_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("snap.json"), TIERS).unwrap();
        let raw = raw_cidrs(&[dir.path().to_path_buf()]);
        assert!(
            raw.iter()
                .any(|r| r.text == "203.0.113.7/24" && r.group_id.as_str() == "sg-00000001"),
            "{raw:#?}"
        );
    }

    #[test]
    fn json_files_of_a_missing_path_is_the_path() {
        let p = Path::new("/nonexistent/x.json").to_path_buf();
        assert_eq!(json_files(std::slice::from_ref(&p)), vec![p]);
    }
}
