//! The JSON report. Its shape is versioned: fields are added, never renamed or removed, without
//! a new `version`.

use super::Summary;
use crate::inspect::ErrorView;
use crate::rules::Severity;
use crate::rules::engine::{Finding, Verdict};
use serde::Serialize;
use std::io::{self, Write};

pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    findings: Vec<FindingView<'a>>,
    errors: Vec<ErrorView>,
    summary: &'a Summary,
}

#[derive(Serialize)]
struct FindingView<'a> {
    rule: &'a str,
    name: &'a str,
    severity: Severity,
    verdict: Verdict,
    file: String,
    line: Option<usize>,
    column: Option<usize>,
    pointer: &'a str,
    address: &'a str,
    construct_path: Option<&'a str>,
    message: &'a str,
    help: &'a str,
}

pub fn write(
    out: &mut impl Write,
    findings: &[Finding],
    errors: Vec<ErrorView>,
    summary: &Summary,
) -> io::Result<()> {
    let report = Report {
        version: VERSION,
        findings: findings
            .iter()
            .map(|f| FindingView {
                rule: &f.rule.code,
                name: &f.rule.name,
                severity: f.rule.severity,
                verdict: f.verdict,
                file: f.document.path.display().to_string(),
                line: f.position.map(|p| p.line),
                column: f.position.map(|p| p.column),
                pointer: &f.pointer,
                address: &f.resource.address,
                construct_path: f.resource.construct_path.as_deref(),
                message: &f.message,
                help: &f.rule.help,
            })
            .collect(),
        errors,
        summary,
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}
