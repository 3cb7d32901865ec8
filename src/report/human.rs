//! A plain listing: one block per finding, then a summary line.

use super::Summary;
use crate::rules::engine::{Finding, Verdict};
use std::io::{self, Write};

pub fn write(out: &mut impl Write, findings: &[Finding], summary: &Summary) -> io::Result<()> {
    for finding in findings {
        let position = finding
            .position
            .map(|p| format!(":{}:{}", p.line, p.column))
            .unwrap_or_default();
        let verdict = match finding.verdict {
            Verdict::Fail => "fail",
            Verdict::Undetermined => "undetermined",
        };
        writeln!(
            out,
            "{}{position}: {verdict} {} {} ({})",
            finding.document.path.display(),
            finding.rule.code,
            finding.rule.name,
            finding.rule.severity
        )?;
        write!(out, "    {}", finding.resource.address)?;
        if let Some(path) = &finding.resource.construct_path {
            write!(out, "  [{path}]")?;
        }
        writeln!(out)?;
        writeln!(out, "    {}", finding.message)?;
        if finding.verdict == Verdict::Fail {
            writeln!(out, "    help: {}", finding.rule.help)?;
        }
    }
    writeln!(
        out,
        "{} checked in {}, {} checked by a rule: {} failing, {} undetermined{}",
        plural(summary.resources, "resource"),
        plural(summary.files, "file"),
        summary.checked,
        summary.failures,
        summary.undetermined,
        if summary.errors > 0 {
            format!(", {} not loaded", plural(summary.errors, "input"))
        } else {
            String::new()
        }
    )
}

pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
