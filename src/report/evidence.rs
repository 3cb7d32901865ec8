//! PCI DSS evidence: for each requirement the rules support, every resource checked, with its
//! verdict and location; the SHA-256 of every input; the payplat version and the rules in force.
//! What an auditor asks for, passes included.

use super::{Report, findings_of};
use crate::finding::{Status, Verdict};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::io::{self, Write};

pub fn write(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    let mut requirements: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let by_check = report.findings_by_check();
    for check in report.checks {
        let findings = findings_of(&by_check, check);
        let first = findings.first();
        let status = match first.map(|f| &f.status) {
            Some(Status::Suppressed(reason)) => json!({"suppressed": reason}),
            Some(Status::Baselined) => json!("baselined"),
            _ => json!("active"),
        };
        let mut entry = json!({
            "rule": check.rule.code,
            "verdict": check.verdict,
            "status": status,
            "file": check.document.path.display().to_string(),
            "address": check.resource.address.as_str(),
            "construct_path": check.resource.construct_path,
        });
        if let Some(position) = first.and_then(|f| f.position) {
            entry["line"] = json!(position.line);
            entry["column"] = json!(position.column);
        }
        if check.verdict != Verdict::Pass {
            entry["findings"] = json!(findings.iter().map(|f| f.message()).collect::<Vec<_>>());
        }
        for (framework, ids) in &check.rule.compliance {
            for id in ids {
                requirements
                    .entry(format!("{framework} {id}"))
                    .or_default()
                    .push(entry.clone());
            }
        }
    }
    // A module called twice is read once: each file is listed once.
    let mut listed = std::collections::HashSet::new();
    let inputs: Vec<Value> = report
        .documents
        .iter()
        .filter(|d| listed.insert(&d.path))
        .map(|d| json!({"file": d.path.display().to_string(), "kind": d.kind, "sha256": d.sha256, "bytes": d.text.len()}))
        .collect();
    let rules: Map<String, Value> = report
        .rules
        .iter()
        .map(|r| (r.info.code.clone(), json!({"name": r.info.name, "title": r.info.title, "severity": r.info.severity, "compliance": r.info.compliance, "parameters": r.parameters})))
        .collect();
    let evidence = json!({
        "payplat": env!("CARGO_PKG_VERSION"),
        "inputs": inputs,
        "rules": rules,
        "requirements": requirements,
        "summary": report.summary,
    });
    serde_json::to_writer_pretty(&mut *out, &evidence)?;
    writeln!(out)
}
