//! A Markdown table of the findings, for `$GITHUB_STEP_SUMMARY` or a pull-request comment.

use super::Report;
use crate::finding::{Status, Verdict};
use crate::text::plural;
use std::io::{self, Write};

pub fn write(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    let summary = &report.summary;
    let verdict = if report.findings.iter().any(|f| f.fails(report.fail_on)) {
        "❌ failing"
    } else {
        "✅ passing"
    };
    writeln!(out, "## payplat: {verdict}\n")?;
    writeln!(
        out,
        "{} in {} checked by {}: **{} failing**, {} undetermined, {} suppressed, {} in the baseline.\n",
        plural(summary.checked, "resource"),
        plural(summary.files, "file"),
        plural(report.rules.len(), "rule"),
        summary.failures,
        summary.undetermined,
        summary.suppressed,
        summary.baselined
    )?;
    if report.findings.is_empty() {
        return Ok(());
    }
    writeln!(out, "| | Rule | Severity | Resource | Location | Finding |")?;
    writeln!(out, "|---|---|---|---|---|---|")?;
    for finding in report.findings {
        let icon = match (&finding.status, finding.verdict) {
            (Status::Active, Verdict::Fail) => "❌",
            (Status::Active, _) => "❔",
            _ => "💤",
        };
        let location = finding.place();
        let mut message = finding.message();
        match &finding.status {
            Status::Suppressed(reason) => message.push_str(&format!(" — suppressed: {reason}")),
            Status::Baselined => message.push_str(" — in the baseline"),
            Status::Active => {}
        }
        writeln!(
            out,
            "| {icon} | `{}` {} | {} | `{}` | `{}` | {} |",
            finding.rule.code,
            finding.rule.name,
            finding.rule.severity,
            finding.resource.address,
            location,
            cell(&message)
        )?;
    }
    Ok(())
}

/// Table cells hold one line, and `|` would end them.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
