//! Applying fixes: their edits merged per file, a fix whose edits overlap one already taken
//! left for the next round.

use super::Files;
use crate::finding::{Edit, Fix};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// New texts of the files the fixes change.
#[derive(Debug, Default)]
pub struct Applied {
    /// Each changed file: its text before and after.
    pub files: BTreeMap<PathBuf, (String, String)>,
    /// The fixes applied, by their place in the order given; the others overlap one applied
    /// and wait for the next round.
    pub applied: Vec<usize>,
}

/// The texts after applying `fixes`, in order; the same edit made by two fixes is made once.
pub fn apply<'f>(fixes: impl IntoIterator<Item = &'f Fix>, files: &Files) -> Applied {
    let mut taken: BTreeMap<PathBuf, Vec<Edit>> = BTreeMap::new();
    let mut applied = Applied::default();
    for (index, fix) in fixes.into_iter().enumerate() {
        let clashes = fix.edits.iter().any(|edit| {
            taken.get(&edit.file).is_some_and(|edits| {
                edits
                    .iter()
                    .any(|other| other != edit && overlaps(other, edit))
            })
        });
        if clashes {
            continue;
        }
        for edit in &fix.edits {
            let edits = taken.entry(edit.file.clone()).or_default();
            if !edits.contains(edit) {
                edits.push(edit.clone());
            }
        }
        applied.applied.push(index);
    }
    for (file, mut edits) in taken {
        let Some(before) = files.text(&file) else {
            continue;
        };
        edits.sort_by_key(|e| (e.start, e.end));
        let mut after = String::with_capacity(before.len());
        let mut at = 0;
        for edit in &edits {
            after.push_str(&before[at..edit.start]);
            after.push_str(&edit.text);
            at = edit.end;
        }
        after.push_str(&before[at..]);
        if after != *before {
            applied.files.insert(file, (before.to_string(), after));
        }
    }
    applied
}

/// Whether two edits touch the same bytes (two insertions at one place do: their order matters).
fn overlaps(a: &Edit, b: &Edit) -> bool {
    if a.start == a.end || b.start == b.end {
        return a.start.max(b.start) <= a.end.min(b.end);
    }
    a.start < b.end && b.start < a.end
}
