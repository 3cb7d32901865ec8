//! Turns an evaluation into what people and tools read. Every format gets the same [`Report`];
//! none re-reads an input or prints a value Terraform marks sensitive (messages are built
//! redacted by the engine, and reporters add no values of their own).

mod evidence;
mod github;
mod human;
mod json;
mod junit;
mod markdown;
mod sarif;

use crate::finding::{Checked, Finding, RuleInfo, Severity, Status, Verdict};
use crate::load::LoadError;
use crate::model::Document;
use crate::rules::Rule;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

impl Format {
    /// Every format with its name and what it is for, as the command line lists them.
    pub const ALL: [(Format, &'static str, &'static str); 7] = [
        (
            Format::Human,
            "human",
            "Diagnostics with the offending input underlined",
        ),
        (Format::Json, "json", "The versioned JSON report"),
        (
            Format::Sarif,
            "sarif",
            "SARIF 2.1.0, for GitHub code scanning and other SARIF viewers",
        ),
        (
            Format::Github,
            "github",
            "GitHub Actions workflow annotations",
        ),
        (
            Format::Junit,
            "junit",
            "JUnit XML: one test case per rule and resource",
        ),
        (
            Format::Markdown,
            "markdown",
            "A Markdown table, for a job summary or a pull-request comment",
        ),
        (
            Format::Evidence,
            "evidence",
            "PCI DSS evidence: every resource checked per requirement, with input digests",
        ),
    ];
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> Result<Format, String> {
        crate::text::choose(&Format::ALL, text, "a format")
    }
}

/// Everything a reporter may show.
pub struct Report<'a> {
    /// Every finding, sorted.
    pub findings: &'a [Finding<'a>],
    /// Every rule × resource pair evaluated.
    pub checks: &'a [Checked<'a>],
    /// The inputs that loaded.
    pub documents: &'a [Document],
    /// The rules in force.
    pub rules: &'a [Rule],
    /// The inputs that did not load.
    pub errors: &'a [LoadError],
    /// The lowest severity of a failing finding that fails the run.
    pub fail_on: Severity,
    /// Counts.
    pub summary: Summary,
}

/// What one `check` run covered and found.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// Inputs loaded.
    pub files: usize,
    /// Resources in them.
    pub resources: usize,
    /// Resources at least one rule applied to.
    pub checked: usize,
    /// Active failing findings.
    pub failures: usize,
    /// Active undetermined findings.
    pub undetermined: usize,
    /// Findings a suppression set aside.
    pub suppressed: usize,
    /// Findings the baseline knew.
    pub baselined: usize,
    /// Active failing findings by severity.
    pub by_severity: BTreeMap<Severity, usize>,
    /// Inputs that could not be loaded.
    pub errors: usize,
    /// How long the run took, when it should be shown.
    #[serde(skip)]
    pub elapsed: Option<Duration>,
}

impl Summary {
    /// Counts what a run covered and found.
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
    rule: &'r RuleInfo,
    path: &'r Path,
    resource: &'r crate::model::Resource,
) -> (&'r str, &'r Path, &'r str) {
    (&rule.code, path, resource.address.as_str())
}

/// Writes the report in one format.
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

/// A path as tools want it: relative to the working directory where it lies below it, with `/`.
pub fn relative_path(path: &Path) -> String {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    let text = relative.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").map(str::to_owned).unwrap_or(text)
}
