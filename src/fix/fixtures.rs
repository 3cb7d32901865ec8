//! Rule tests for fixes: a fixture `fail/x.tf` with `fixed/x.tf` beside it is fixed in a copy
//! (unsafe fixes too), and must then equal `fixed/x.tf` byte for byte, pass the rules it
//! failed, and stay as it is when fixed again. A fixture directory's `fixed/` twin holds the
//! whole directory as it should be.

use super::{Options, fix};
use crate::check;
use crate::expect::{Expectations, Expected, TestError};
use std::path::{Path, PathBuf};

/// What testing the fixes found.
#[derive(Debug, Default)]
pub struct Report {
    /// Fixtures with a `fixed/` twin that were tested.
    pub tested: usize,
    /// What did not hold, one line each.
    pub failures: Vec<String>,
}

/// Tests every fixture of `expectations` that has a `fixed/` twin.
pub fn run(rule_dir: Option<&Path>, expectations: &Path) -> Result<Report, TestError> {
    let wanted = Expectations::read(expectations)?;
    let base = expectations.parent().unwrap_or(Path::new("."));
    let mut report = Report::default();
    for (fixture, by_rule) in &wanted.fixtures {
        let Some(twin) = fixed_twin(fixture) else {
            continue;
        };
        let expected = base.join(&twin);
        if !expected.exists() {
            continue;
        }
        report.tested += 1;
        let failing: Vec<String> = by_rule
            .iter()
            .filter(|(_, e)| **e == Expected::Fail)
            .map(|(rule, _)| rule.clone())
            .collect();
        let case = Case {
            rule_dir,
            profile: wanted.profile.clone(),
            rules: failing,
        };
        if let Err(why) = case.test(&base.join(fixture), &expected) {
            report.failures.push(format!("{twin}: {why}"));
        }
    }
    Ok(report)
}

/// `R/fail/x.tf` → `R/fixed/x.tf` (the last `fail` directory on the way).
fn fixed_twin(fixture: &str) -> Option<String> {
    let mut parts: Vec<&str> = fixture.split('/').collect();
    let last = parts.len().checked_sub(1)?;
    let at = parts[..last].iter().rposition(|p| *p == "fail")?;
    parts[at] = "fixed";
    Some(parts.join("/"))
}

struct Case<'a> {
    rule_dir: Option<&'a Path>,
    profile: Option<String>,
    rules: Vec<String>,
}

impl Case<'_> {
    fn test(&self, fixture: &Path, expected: &Path) -> Result<(), String> {
        let scratch = tempfile::tempdir().map_err(|e| format!("no scratch directory: {e}"))?;
        let name = fixture.file_name().ok_or("a fixture without a name")?;
        let copy = scratch.path().join(name);
        copy_tree(fixture, &copy).map_err(|e| format!("cannot copy the fixture: {e}"))?;
        // An empty configuration: the fixture alone decides, not a payplat.toml above it.
        let config = scratch.path().join("payplat.toml");
        std::fs::write(&config, "").map_err(|e| e.to_string())?;
        let options = Options {
            check: check::Options {
                paths: vec![copy.clone()],
                select: self.rules.clone(),
                rule_dirs: self.rule_dir.map(Path::to_owned).into_iter().collect(),
                profile: self.profile.clone(),
                config: Some(config),
                ..check::Options::default()
            },
            unsafe_fixes: true,
            write: true,
        };
        let first = fix(&options).map_err(|e| e.to_string())?;
        if let Some(error) = first.errors.first() {
            return Err(error.clone());
        }
        for (got, want) in pairs(&copy, expected) {
            let got_text = std::fs::read(&got).unwrap_or_default();
            let want_text = std::fs::read(&want).map_err(|e| e.to_string())?;
            if got_text != want_text {
                return Err(format!(
                    "the fixed {} differs from the expected:\n{}",
                    got.strip_prefix(scratch.path()).unwrap_or(&got).display(),
                    similar::TextDiff::from_lines(
                        &String::from_utf8_lossy(&want_text),
                        &String::from_utf8_lossy(&got_text)
                    )
                    .unified_diff()
                    .header("expected", "fixed")
                ));
            }
        }
        if let Some(left) = first.still_failing.first() {
            return Err(format!(
                "still fails after fixing: {} ({})",
                left.finding, left.title
            ));
        }
        let again = fix(&options).map_err(|e| e.to_string())?;
        if !again.applied.is_empty() {
            return Err(format!(
                "a second fix changes it again: {}",
                again.applied[0].title
            ));
        }
        Ok(())
    }
}

/// Each file of the fixed copy with the file it must equal.
fn pairs(copy: &Path, expected: &Path) -> Vec<(PathBuf, PathBuf)> {
    if expected.is_file() {
        return vec![(copy.to_owned(), expected.to_owned())];
    }
    walkdir::WalkDir::new(expected)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let relative = e.path().strip_prefix(expected).ok()?;
            Some((copy.join(relative), e.path().to_owned()))
        })
        .collect()
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    if from.is_file() {
        std::fs::copy(from, to)?;
        return Ok(());
    }
    for entry in walkdir::WalkDir::new(from).into_iter().flatten() {
        let relative = entry.path().strip_prefix(from).unwrap_or(entry.path());
        let target = to.join(relative);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target)?;
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
