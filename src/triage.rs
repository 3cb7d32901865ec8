//! Sets findings aside on the user's word: suppressions from the configuration (each with a
//! reason, and maybe an expiry date) and a baseline of findings known before. Nothing is
//! dropped: set-aside findings keep their place in every report, marked with why.

use crate::config::Suppression;
use crate::rules::engine::{Finding, Status};
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
        let Some(suppression) = suppressions
            .iter()
            .find(|s| s.covers(finding.rule, &finding.resource.address))
        else {
            continue;
        };
        match suppression.expires_on() {
            Some(date) if date.as_str() < today => {
                finding.detail.push_str(&format!(
                    " (its suppression expired on {date}: {})",
                    suppression.reason
                ));
                expired.insert(format!(
                    "the suppression of {} for `{}` expired on {date}; it no longer applies",
                    suppression.rule, suppression.address
                ));
            }
            _ => finding.status = Status::Suppressed(suppression.reason.clone()),
        }
    }
    expired.into_iter().collect()
}

/// Fingerprints of findings accepted as known.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub fingerprint: String,
    pub rule: String,
    pub file: String,
    pub address: String,
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
                address: f.resource.address.clone(),
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

    pub fn read(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read the baseline: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}:{}:{}: not a payplat baseline: {e}",
                path.display(),
                e.line(),
                e.column()
            )
        })
    }

    pub fn write(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())? + "\n";
        std::fs::write(path, text)
            .map_err(|e| format!("{}: cannot write the baseline: {e}", path.display()))
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
