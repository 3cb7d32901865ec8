//! Turns findings into what users read: a plain listing for people, JSON for tools.

pub mod human;
pub mod json;

use crate::load::LoadError;
use crate::model::Document;
use crate::rules::engine::{Evaluation, Verdict};
use serde::Serialize;

/// What one `check` run covered and found.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub files: usize,
    pub resources: usize,
    /// Resources at least one rule applied to.
    pub checked: usize,
    pub failures: usize,
    pub undetermined: usize,
    /// Inputs that could not be loaded.
    pub errors: usize,
}

impl Summary {
    pub fn new(documents: &[Document], evaluation: &Evaluation, errors: &[&LoadError]) -> Summary {
        let count = |verdict| {
            evaluation
                .findings
                .iter()
                .filter(|f| f.verdict == verdict)
                .count()
        };
        Summary {
            files: documents.len(),
            resources: documents.iter().map(|d| d.resources.len()).sum(),
            checked: evaluation.resources_checked,
            failures: count(Verdict::Fail),
            undetermined: count(Verdict::Undetermined),
            errors: errors.len(),
        }
    }
}
