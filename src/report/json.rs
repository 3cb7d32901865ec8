//! The JSON report. Its shape is versioned: within a `version`, fields are only added.

use super::Report;
use crate::finding::Severity;
use crate::finding::{Status, Verdict};
use crate::inspect::ErrorView;
use rayon::prelude::*;
use serde::Serialize;
use std::io::{self, Write};

/// The report format's version.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Json<'a> {
    version: u32,
    payplat: &'static str,
    fail_on: Severity,
    findings: Vec<FindingView<'a>>,
    errors: Vec<ErrorView>,
    summary: &'a super::Summary,
}

#[derive(Serialize)]
struct FindingView<'a> {
    rule: &'a str,
    name: &'a str,
    severity: Severity,
    verdict: Verdict,
    #[serde(flatten)]
    status: &'a Status,
    file: String,
    line: Option<usize>,
    column: Option<usize>,
    pointer: &'a str,
    address: &'a str,
    construct_path: Option<&'a str>,
    message: String,
    help: &'a str,
    fingerprint: String,
    /// The way the value came, hop by hop.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    trace: Vec<StepView<'a>>,
    /// The change `payplat fix` makes, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<&'a crate::finding::Fix>,
}

#[derive(Serialize)]
struct StepView<'a> {
    label: &'a str,
    file: String,
    line: Option<usize>,
    column: Option<usize>,
    pointer: &'a str,
}

pub fn write(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    let json = Json {
        version: VERSION,
        payplat: env!("CARGO_PKG_VERSION"),
        fail_on: report.fail_on,
        // Views (messages, fingerprints) are made on every thread; writing them, on one.
        findings: report
            .findings
            .par_iter()
            .map(|f| FindingView {
                rule: &f.rule.code,
                name: &f.rule.name,
                severity: f.rule.severity,
                verdict: f.verdict,
                status: &f.status,
                file: f.document.path.display().to_string(),
                line: f.position.map(|p| p.line),
                column: f.position.map(|p| p.column),
                pointer: &f.pointer,
                address: f.resource.address.as_str(),
                construct_path: f.resource.construct_path.as_deref(),
                message: f.message(),
                help: &f.rule.help,
                fingerprint: f.fingerprint(),
                fix: f.fix.as_ref(),
                trace: f
                    .trace
                    .iter()
                    .map(|step| StepView {
                        label: &step.label,
                        file: step.document.path.display().to_string(),
                        line: step.position.map(|p| p.line),
                        column: step.position.map(|p| p.column),
                        pointer: &step.pointer,
                    })
                    .collect(),
            })
            .collect(),
        errors: report.errors.iter().map(ErrorView::from).collect(),
        summary: &report.summary,
    };
    serde_json::to_writer_pretty(&mut *out, &json)?;
    writeln!(out)
}
