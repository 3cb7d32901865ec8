//! Sets findings aside on the user's word: suppressions from the configuration (each with a
//! reason, and maybe an expiry date) and a baseline of findings known before. Nothing is
//! dropped: set-aside findings keep their place in every report, marked with why.

use crate::config::Suppression;
use crate::finding::{Finding, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;

/// Marks the findings that a live suppression covers; an expired one no longer does, and the
/// finding says so. Returns what the user should hear about expired suppressions.
pub fn suppress(
    findings: &mut [Finding],
    suppressions: &[Suppression],
    today: &str,
) -> Vec<String> {
    let mut expired = BTreeSet::new();
    for finding in findings.iter_mut() {
        let address = finding.resource.address.as_str();
        // The configuration's word first, then the resource's own comment.
        let (rule, pattern, reason, expires) = match suppressions
            .iter()
            .find(|s| s.covers(finding.rule, address))
        {
            Some(s) => (&s.rule, s.address.as_str(), &s.reason, s.expires_on()),
            None => match finding
                .resource
                .ignored
                .iter()
                .find(|i| finding.rule.is_named(&i.rule))
            {
                Some(i) => (&i.rule, address, &i.reason, i.until.clone()),
                None => continue,
            },
        };
        match expires {
            Some(date) if date.as_str() < today => {
                finding
                    .detail
                    .push_str(&format!(" (its suppression expired on {date}: {reason})"));
                expired.insert(format!(
                    "the suppression of {rule} for `{pattern}` expired on {date}; it no longer applies"
                ));
            }
            _ => finding.status = Status::Suppressed(reason.clone()),
        }
    }
    expired.into_iter().collect()
}

/// A baseline file that cannot be read or written.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum BaselineError {
    /// Cannot be read.
    #[error("{}: cannot read the baseline: {source}", path.display())]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not what `--write-baseline` writes.
    #[error("{}:{line}:{column}: not a payplat baseline: {source}", path.display())]
    Invalid {
        /// The file.
        path: std::path::PathBuf,
        /// 1-based.
        line: usize,
        /// 1-based.
        column: usize,
        /// Why.
        source: serde_json::Error,
    },
    /// Cannot be written.
    #[error("{}: cannot write the baseline: {source}", path.display())]
    Write {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Fingerprints of findings accepted as known.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// The file format's version: 1.
    pub version: u32,
    /// The findings, by fingerprint.
    pub findings: Vec<Entry>,
}

/// One finding of a baseline: its fingerprint, and what it was about for people reading the file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// See [`Finding::fingerprint`].
    pub fingerprint: String,
    /// The rule's code.
    pub rule: String,
    /// The input.
    pub file: String,
    /// The resource's address.
    pub address: String,
    /// The JSON pointer.
    pub pointer: String,
}

impl Baseline {
    /// The active findings of this run.
    pub fn of(findings: &[Finding]) -> Baseline {
        let mut entries: Vec<Entry> = findings
            .iter()
            .filter(|f| f.status == Status::Active)
            .map(|f| Entry {
                fingerprint: f.fingerprint(),
                rule: f.rule.code.clone(),
                file: f.document.path.display().to_string(),
                address: f.resource.address.to_string(),
                pointer: f.pointer.clone(),
            })
            .collect();
        entries.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
        entries.dedup_by(|a, b| a.fingerprint == b.fingerprint);
        Baseline {
            version: 1,
            findings: entries,
        }
    }

    /// Reads a baseline file.
    pub fn read(path: &Path) -> Result<Baseline, BaselineError> {
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
            path: path.to_owned(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| BaselineError::Invalid {
            path: path.to_owned(),
            line: source.line(),
            column: source.column(),
            source,
        })
    }

    /// Writes the baseline file.
    pub fn write(&self, path: &Path) -> Result<(), BaselineError> {
        let text = serde_json::to_string_pretty(self).unwrap_or_default() + "\n";
        std::fs::write(path, text).map_err(|source| BaselineError::Write {
            path: path.to_owned(),
            source,
        })
    }

    /// Marks the active findings the baseline knows.
    pub fn apply(&self, findings: &mut [Finding]) {
        let known: BTreeSet<&str> = self
            .findings
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect();
        for finding in findings.iter_mut().filter(|f| f.status == Status::Active) {
            if known.contains(finding.fingerprint().as_str()) {
                finding.status = Status::Baselined;
            }
        }
    }
}
