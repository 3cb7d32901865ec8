//! JUnit XML for CI test views: a test suite per rule, a test case per rule and resource.
//! A failing finding is a failure; an undetermined one is skipped, with the reason; a
//! suppressed or baselined one passes, with why in its output.

use super::{Report, findings_of};
use crate::finding::{Finding, Status, Verdict};
use quick_xml::escape::escape;
use std::io::{self, Write};

pub fn write(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    let failures = report
        .findings
        .iter()
        .filter(|f| f.verdict == Verdict::Fail && f.status == Status::Active)
        .count();
    writeln!(
        out,
        r#"<testsuites name="payplat" tests="{}" failures="{failures}">"#,
        report.checks.len()
    )?;
    let by_check = report.findings_by_check();
    for rule in report.rules.iter().map(|r| &r.info) {
        let checks: Vec<_> = report
            .checks
            .iter()
            .filter(|c| c.rule.code == rule.code)
            .collect();
        let rule_failures = checks
            .iter()
            .filter(|c| {
                findings_of(&by_check, c)
                    .iter()
                    .any(|f| f.verdict == Verdict::Fail && f.status == Status::Active)
            })
            .count();
        let skipped = checks
            .iter()
            .filter(|c| c.verdict == Verdict::Undetermined)
            .count();
        writeln!(
            out,
            r#"  <testsuite name="{} {}" tests="{}" failures="{rule_failures}" skipped="{skipped}">"#,
            escape(&rule.code),
            escape(&rule.name),
            checks.len()
        )?;
        for check in checks {
            let findings = findings_of(&by_check, check);
            write!(
                out,
                r#"    <testcase classname="{}" name="{}" file="{}""#,
                escape(format!("{}.{}", rule.code, rule.name)),
                escape(check.resource.address.as_str()),
                escape(check.document.path.display().to_string())
            )?;
            if findings.is_empty() {
                writeln!(out, "/>")?;
                continue;
            }
            writeln!(out, ">")?;
            let text = |f: &Finding| format!("{}: {}", f.place(), f.message());
            let active: Vec<&&Finding> = findings
                .iter()
                .filter(|f| f.status == Status::Active)
                .collect();
            if active.iter().any(|f| f.verdict == Verdict::Fail) {
                let body: Vec<String> = active.iter().map(|f| text(f)).collect();
                writeln!(
                    out,
                    r#"      <failure message="{}" type="{}">{}</failure>"#,
                    escape(&body[0]),
                    escape(rule.severity.to_string()),
                    escape(body.join("\n"))
                )?;
            } else if let Some(undetermined) = active.first() {
                writeln!(
                    out,
                    r#"      <skipped message="{}"/>"#,
                    escape(text(undetermined))
                )?;
            }
            for finding in findings.iter().filter(|f| f.status != Status::Active) {
                let why = match &finding.status {
                    Status::Suppressed(reason) => format!("suppressed: {reason}"),
                    _ => "in the baseline".to_owned(),
                };
                writeln!(
                    out,
                    "      <system-out>{}</system-out>",
                    escape(format!("{} ({why})", text(finding)))
                )?;
            }
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}
