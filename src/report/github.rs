//! GitHub Actions workflow commands: one annotation per active finding, shown on the pull
//! request's diff. Failing findings at or above the threshold are errors, others warnings.

use super::{Report, relative_path};
use crate::finding::Status;
use std::io::{self, Write};

pub fn write(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    for finding in report
        .findings
        .iter()
        .filter(|f| f.status == Status::Active)
    {
        let command = match finding.verdict {
            verdict if verdict.fails_at(finding.rule.severity, report.fail_on) => "error",
            _ => "warning",
        };
        let mut properties = format!("file={}", property(&relative_path(&finding.document.path)));
        if let Some(position) = finding.position {
            properties.push_str(&format!(",line={},col={}", position.line, position.column));
        }
        let title = format!(
            "{} {} ({})",
            finding.rule.code, finding.rule.name, finding.rule.severity
        );
        properties.push_str(&format!(",title={}", property(&title)));
        let message = format!(
            "{}: {}\n{}",
            finding.resource.address,
            finding.message(),
            finding.rule.help
        );
        writeln!(out, "::{command} {properties}::{}", data(&message))?;
    }
    Ok(())
}

/// Escapes a workflow command's message.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}
