//! What checking produces, as every reporter reads it: verdicts, findings and what each rule is.
//!
//! This sits below both the rule engine and the reporters, so that neither depends on the other.

use crate::locate::{Position, Span};
use crate::model::{Document, Resource};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// How much a failing rule matters; also the threshold that fails a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; rarely a risk by itself.
    Info,
    /// A weakness with little impact.
    Low,
    /// A weakness an assessor asks about.
    Medium,
    /// A control that does not hold.
    High,
    /// Exposure of the cardholder-data environment.
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The name users write.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(text: &str) -> Result<Severity, String> {
        Severity::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| {
                format!("`{text}` is not a severity: info, low, medium, high or critical")
            })
    }
}

/// Where payplat's documentation lives.
pub const DOCS_BASE: &str = "https://github.com/payplat/payplat";

/// What a rule is, as reports name and explain it; how it checks is the engine's business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    /// Stable code, e.g. `PP101`.
    pub code: String,
    /// Stable kebab-case name, e.g. `ecr-scan-on-push`.
    pub name: String,
    /// One line: what must hold.
    pub title: String,
    /// How much a failure matters.
    pub severity: Severity,
    /// Requirements the rule supports, by framework: `pci-dss-4.0: ["6.3.3"]`.
    pub compliance: BTreeMap<String, Vec<String>>,
    /// How to fix a failure.
    pub help: String,
    /// The rule's documentation (Markdown): what it checks, why it matters, an example, what to use instead.
    pub doc: String,
    /// Where the documentation is on the web, when the rule file says.
    pub help_uri: Option<String>,
}

impl RuleInfo {
    /// Whether users mean this rule by `code_or_name` (codes are case-insensitive).
    pub fn is_named(&self, code_or_name: &str) -> bool {
        self.code.eq_ignore_ascii_case(code_or_name) || self.name == code_or_name
    }

    /// The rule's documentation: its own `help-uri`, or the built-in rule's page of the rules
    /// reference.
    pub fn docs_url(&self) -> String {
        match &self.help_uri {
            Some(uri) => uri.clone(),
            None => format!("{DOCS_BASE}/blob/main/docs/rules/{}.md", self.code),
        }
    }
}

/// The outcome of one rule on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The inputs show that the rule does not hold.
    Fail,
    /// The value is known only after apply, or is an expression payplat cannot evaluate.
    Undetermined,
    /// Everything the rule needs is known, and it holds.
    Pass,
}

impl Verdict {
    /// Whether this verdict, of a rule this severe, fails a run whose threshold is `threshold`.
    pub fn fails_at(self, severity: Severity, threshold: Severity) -> bool {
        self == Verdict::Fail && severity >= threshold
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Verdict::Fail => "fail",
            Verdict::Undetermined => "undetermined",
            Verdict::Pass => "pass",
        })
    }
}

/// Whether a finding counts, or was set aside by the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "status", content = "reason")]
pub enum Status {
    /// Counts.
    Active,
    /// Set aside by a suppression in the configuration, with its reason.
    Suppressed(String),
    /// Recorded in the baseline: known before, not new.
    Baselined,
}

/// A rule that does not hold (or cannot be decided) for one resource, at one place.
#[derive(Debug)]
pub struct Finding<'a> {
    /// The rule.
    pub rule: &'a RuleInfo,
    /// The file the resource is in.
    pub document: &'a Document,
    /// The resource checked.
    pub resource: &'a Resource,
    /// Fail or undetermined (passes make no finding).
    pub verdict: Verdict,
    /// JSON pointer in the file of what the finding is about.
    pub pointer: String,
    /// What the rule says is wrong, where its check gives a message.
    pub summary: Option<String>,
    /// What was found there, and what is required.
    pub detail: String,
    /// Where the pointer's value is in the text (or its closest located ancestor's).
    pub span: Option<Span>,
    /// Line and column of the span's start.
    pub position: Option<Position>,
    /// Whether it counts.
    pub status: Status,
    /// The way the value came, hop by hop: module variables and outputs passed through, the
    /// resources reached.
    pub trace: Vec<Step<'a>>,
    /// The change that makes the rule hold, where `payplat fix` found one.
    pub fix: Option<Fix>,
}

/// How sure a fix is to change only what fails, as ruff grades its fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Safety {
    /// Only the violating value changes: a literal, or a source only failing resources read.
    Safe,
    /// An expression is replaced, or other resources read the value too.
    Unsafe,
}

/// A change to the text of one file: the bytes `start..end` become `text`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Edit {
    /// The file.
    pub file: std::path::PathBuf,
    /// The first byte replaced.
    pub start: usize,
    /// Past the last byte replaced (`start` for an insertion).
    pub end: usize,
    /// What is written there.
    pub text: String,
}

/// What makes a failing rule hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// What it changes and where (`set retention_in_days = 7 in terraform.tfvars`).
    pub title: String,
    /// Whether `payplat fix` applies it without `--unsafe-fixes`.
    pub safety: Safety,
    /// The edits; none where the input is generated (a plan, a CDKTF synth) and only its
    /// source can change.
    pub edits: Vec<Edit>,
    /// Why it is unsafe, or what to change in the source of a generated input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One place on the way to a finding.
#[derive(Debug, Clone)]
pub struct Step<'a> {
    /// What the place is on the way (`through module.network.private_subnet_ids`).
    pub label: String,
    /// The file it is in.
    pub document: &'a Document,
    /// JSON pointer in that file.
    pub pointer: String,
    /// Where the pointer's value is in the text (or its closest located ancestor's).
    pub span: Option<Span>,
    /// Line and column of the span's start.
    pub position: Option<Position>,
}

impl Finding<'_> {
    /// The summary and the detail, as one line.
    pub fn message(&self) -> String {
        match &self.summary {
            Some(summary) => format!("{summary}: {}", self.detail),
            None => self.detail.clone(),
        }
    }

    /// Where the finding is, as people read it: `main.tf:12:23` (the file alone where it has no
    /// position).
    pub fn place(&self) -> String {
        let path = self.document.path.display();
        match self.position {
            Some(p) => format!("{path}:{}:{}", p.line, p.column),
            None => path.to_string(),
        }
    }

    /// Identifies the finding across runs and edits: rule, file, address and place, not lines.
    pub fn fingerprint(&self) -> String {
        let path = self.document.path.to_string_lossy();
        crate::text::sha256_hex(
            [
                self.rule.code.as_bytes(),
                path.as_bytes(),
                self.resource.address.as_str().as_bytes(),
                self.pointer.as_bytes(),
            ],
            16,
        )
    }

    /// Whether the finding fails the run at this severity threshold.
    pub fn fails(&self, threshold: Severity) -> bool {
        self.status == Status::Active && self.verdict.fails_at(self.rule.severity, threshold)
    }
}

/// The verdict of one rule on one resource, failing or not: what evidence reports are made of.
#[derive(Debug)]
pub struct Checked<'a> {
    /// The rule.
    pub rule: &'a RuleInfo,
    /// The file the resource is in.
    pub document: &'a Document,
    /// The resource checked.
    pub resource: &'a Resource,
    /// What the rule found.
    pub verdict: Verdict,
    /// What the rule saw that made it pass (for a pass).
    pub passed_because: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_parse_as_users_write_them_and_order_by_weight() {
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert!(
            "severe"
                .parse::<Severity>()
                .unwrap_err()
                .contains("critical")
        );
        assert!(Severity::Info < Severity::Critical);
    }
}
