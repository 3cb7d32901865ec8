//! SARIF 2.1.0, as GitHub code scanning reads it: rules with help and `security-severity`,
//! results with fingerprints and regions, paths relative to the working directory.
//! Suppressed and baselined findings stay in the log with a `suppressions` entry.

use super::{Report, relative_path};
use crate::finding::{RuleInfo, Severity};
use crate::finding::{Status, Verdict};
use rayon::prelude::*;
use serde_json::{Value, json};
use std::io::{self, Write};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// GitHub's bands: critical above 9, high 7 to 8.9, medium 4 to 6.9, low below 4.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

fn level(verdict: Verdict, severity: Severity, fail_on: Severity) -> &'static str {
    match verdict {
        Verdict::Fail if Verdict::Fail.fails_at(severity, fail_on) => "error",
        Verdict::Fail | Verdict::Undetermined => "warning",
        Verdict::Pass => "none",
    }
}

fn rule_descriptor(rule: &RuleInfo, fail_on: Severity) -> Value {
    let tags: Vec<String> = std::iter::once("security".to_owned())
        .chain(
            rule.compliance
                .iter()
                .flat_map(|(framework, ids)| ids.iter().map(move |id| format!("{framework}/{id}"))),
        )
        .collect();
    json!({
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.title},
        "help": {"text": rule.help, "markdown": rule.doc},
        "helpUri": rule.docs_url(),
        "defaultConfiguration": {"level": level(Verdict::Fail, rule.severity, fail_on)},
        "properties": {"security-severity": security_severity(rule.severity), "tags": tags, "precision": "high"},
    })
}

pub fn write(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    let rules: Vec<Value> = report
        .rules
        .iter()
        .map(|r| rule_descriptor(&r.info, report.fail_on))
        .collect();
    // Results are made on every thread; writing them, on one.
    let results: Vec<Value> = report
        .findings
        .par_iter()
        .map(|finding| {
            let rule_index = report.rules.iter().position(|r| r.info.code == finding.rule.code);
            let mut region = json!({});
            if let Some(position) = finding.position {
                region = json!({"startLine": position.line, "startColumn": position.column});
            }
            let mut result = json!({
                "ruleId": finding.rule.code,
                "level": level(finding.verdict, finding.rule.severity, report.fail_on),
                "message": {"text": format!("{}: {}", finding.resource.address, finding.message())},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": uri(&relative_path(&finding.document.path))}, "region": region},
                    "logicalLocations": [{"fullyQualifiedName": finding.resource.address.as_str(), "kind": "resource"}],
                }],
                "partialFingerprints": {"payplatFinding/v1": finding.fingerprint()},
                "properties": {"verdict": finding.verdict, "pointer": finding.pointer, "constructPath": finding.resource.construct_path},
            });
            if let Some(index) = rule_index {
                result["ruleIndex"] = json!(index);
            }
            if !finding.trace.is_empty() {
                result["relatedLocations"] = finding
                    .trace
                    .iter()
                    .enumerate()
                    .map(|(id, step)| {
                        let region = step.position.map_or(json!({}), |p| {
                            json!({"startLine": p.line, "startColumn": p.column})
                        });
                        json!({
                            "id": id,
                            "message": {"text": step.label},
                            "physicalLocation": {"artifactLocation": {"uri": uri(&relative_path(&step.document.path))}, "region": region},
                        })
                    })
                    .collect();
            }
            if let Some(fix) = finding.fix.as_ref().filter(|f| !f.edits.is_empty()) {
                result["fixes"] = json!([fix_object(fix)]);
            }
            match &finding.status {
                Status::Active => {}
                Status::Suppressed(reason) => result["suppressions"] = json!([{"kind": "external", "justification": reason}]),
                Status::Baselined => result["suppressions"] = json!([{"kind": "external", "justification": "in the baseline"}]),
            }
            result
        })
        .collect();
    let artifacts: Vec<Value> = report
        .documents
        .iter()
        .map(|d| {
            let mut artifact =
                json!({"location": {"uri": uri(&relative_path(&d.path))}, "length": d.text.len()});
            if let Some(digest) = &d.sha256 {
                artifact["hashes"] = json!({"sha-256": digest});
            }
            artifact
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "payplat",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": crate::finding::DOCS_BASE,
                "rules": rules,
            }},
            "artifacts": artifacts,
            "results": results,
            "invocations": [{"executionSuccessful": report.errors.is_empty()}],
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

/// A fix as SARIF writes it: the changes of each file, regions in bytes.
fn fix_object(fix: &crate::finding::Fix) -> Value {
    let mut files: Vec<&std::path::Path> = fix.edits.iter().map(|e| e.file.as_path()).collect();
    files.dedup();
    let changes: Vec<Value> = files
        .into_iter()
        .map(|file| {
            let replacements: Vec<Value> = fix
                .edits
                .iter()
                .filter(|e| e.file == file)
                .map(|e| {
                    json!({
                        "deletedRegion": {"byteOffset": e.start, "byteLength": e.end - e.start},
                        "insertedContent": {"text": e.text},
                    })
                })
                .collect();
            json!({"artifactLocation": {"uri": uri(&relative_path(file))}, "replacements": replacements})
        })
        .collect();
    json!({"description": {"text": fix.title}, "artifactChanges": changes})
}

/// A relative URI reference for a path: unreserved characters and `/` as they are, the rest
/// percent-encoded. Standard input has no path; it is `stdin`.
fn uri(path: &str) -> String {
    if path == "<stdin>" {
        return "stdin".to_owned();
    }
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn uris_escape_what_is_not_a_path_character() {
        assert_eq!(
            super::uri("cdktf.out/stacks/my stack/cdk.tf.json"),
            "cdktf.out/stacks/my%20stack/cdk.tf.json"
        );
        assert_eq!(super::uri("../shared/ü.json"), "../shared/%C3%BC.json");
    }
}
