//! Turns an evaluation into what people and tools read. Every format gets the same [`Report`];
//! none re-reads an input or prints a value Terraform marks sensitive (messages are built
//! redacted by the engine, and reporters add no values of their own).

pub mod evidence;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;

use crate::load::LoadError;
use crate::model::Document;
use crate::rules::engine::{Checked, Finding, Status, Verdict};
use crate::rules::{Rule, Severity};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Diagnostics with the offending input underlined.
    Human,
    /// The versioned JSON report.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
    /// JUnit XML: one test case per rule and resource.
    Junit,
    /// A Markdown table, for a job summary or a pull-request comment.
    Markdown,
    /// PCI DSS evidence: every resource checked per requirement, with input digests.
    Evidence,
}

/// Everything a reporter may show.
pub struct Report<'a> {
    pub findings: &'a [Finding<'a>],
    pub checks: &'a [Checked<'a>],
    pub documents: &'a [Document],
    pub rules: &'a [Rule],
    pub errors: &'a [LoadError],
    pub fail_on: Severity,
    pub summary: Summary,
}

/// What one `check` run covered and found.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub files: usize,
    pub resources: usize,
    /// Resources at least one rule applied to.
    pub checked: usize,
    /// Active failing findings.
    pub failures: usize,
    pub undetermined: usize,
    pub suppressed: usize,
    pub baselined: usize,
    /// Active failing findings by severity.
    pub by_severity: BTreeMap<Severity, usize>,
    /// Inputs that could not be loaded.
    pub errors: usize,
    #[serde(skip)]
    pub elapsed: Option<Duration>,
}

impl Summary {
    pub fn new(
        documents: &[Document],
        findings: &[Finding],
        resources_checked: usize,
        errors: usize,
    ) -> Summary {
        let active = |f: &&Finding| f.status == Status::Active;
        let mut by_severity = BTreeMap::new();
        for finding in findings
            .iter()
            .filter(active)
            .filter(|f| f.verdict == Verdict::Fail)
        {
            *by_severity.entry(finding.rule.severity).or_insert(0) += 1;
        }
        Summary {
            files: documents.len(),
            resources: documents.iter().map(|d| d.resources.len()).sum(),
            checked: resources_checked,
            failures: findings
                .iter()
                .filter(active)
                .filter(|f| f.verdict == Verdict::Fail)
                .count(),
            undetermined: findings
                .iter()
                .filter(active)
                .filter(|f| f.verdict == Verdict::Undetermined)
                .count(),
            suppressed: findings
                .iter()
                .filter(|f| matches!(f.status, Status::Suppressed(_)))
                .count(),
            baselined: findings
                .iter()
                .filter(|f| f.status == Status::Baselined)
                .count(),
            by_severity,
            errors,
            elapsed: None,
        }
    }
}

impl<'a> Report<'a> {
    /// The findings of one rule on one resource, as `findings_of` below looks them up.
    pub fn findings_by_check(&self) -> FindingsByCheck<'_> {
        let mut map: FindingsByCheck = HashMap::new();
        for finding in self.findings {
            map.entry(check_key(
                finding.rule,
                &finding.document.path,
                finding.resource,
            ))
            .or_default()
            .push(finding);
        }
        map
    }
}

/// Findings keyed by rule code, file and resource address.
pub type FindingsByCheck<'r> = HashMap<(&'r str, &'r Path, &'r str), Vec<&'r Finding<'r>>>;

/// The findings of the rule × resource pair a [`Checked`] is about.
pub fn findings_of<'m, 'r>(
    map: &'m FindingsByCheck<'r>,
    check: &Checked<'r>,
) -> &'m [&'r Finding<'r>] {
    map.get(&check_key(check.rule, &check.document.path, check.resource))
        .map_or(&[], Vec::as_slice)
}

fn check_key<'r>(
    rule: &'r Rule,
    path: &'r Path,
    resource: &'r crate::model::Resource,
) -> (&'r str, &'r Path, &'r str) {
    (&rule.code, path, &resource.address)
}

pub fn write(format: Format, report: &Report, out: &mut dyn Write, color: bool) -> io::Result<()> {
    match format {
        Format::Human => human::write(out, report, color),
        Format::Json => json::write(out, report),
        Format::Sarif => sarif::write(out, report),
        Format::Github => github::write(out, report),
        Format::Junit => junit::write(out, report),
        Format::Markdown => markdown::write(out, report),
        Format::Evidence => evidence::write(out, report),
    }
}

pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A path as tools want it: relative to the working directory where it lies below it, with `/`.
pub fn relative_path(path: &Path) -> String {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    let text = relative.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").map(str::to_owned).unwrap_or(text)
}
