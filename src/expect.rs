//! Rule tests: a directory's fixtures checked against the verdicts an expectations file
//! promises, as the built-in rules are tested, so that a team's own rules get the same harness.
//!
//! `expectations.yaml` beside the fixtures:
//!
//! ```yaml
//! profile: pci-dss            # optional: the profile whose rules run
//! fixtures:
//!   kms-set.tf.json: {ORG001: pass}
//!   kms-missing.tf: {ORG001: fail}
//!   module-dir: {ORG001: undetermined, PP501: not-applicable}
//! ```
//!
//! A rule's verdict on a fixture is its worst on any resource there (fail, then undetermined,
//! then pass); `not-applicable` when it checks no resource of the fixture.

use crate::finding::Verdict;
use crate::load::load_file;
use crate::model::Document;
use crate::resolve::resolve;
use crate::rules::{RuleError, RuleSet, evaluate};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The expectations file's name.
pub const EXPECTATIONS_FILE: &str = "expectations.yaml";

/// What a rule should say of a fixture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expected {
    /// Every resource it checks passes.
    Pass,
    /// Some resource fails.
    Fail,
    /// None fails; some cannot be decided.
    Undetermined,
    /// It checks no resource of the fixture.
    NotApplicable,
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Expected::Pass => "pass",
            Expected::Fail => "fail",
            Expected::Undetermined => "undetermined",
            Expected::NotApplicable => "not-applicable",
        })
    }
}

/// An expectations file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// The profile whose rules run.
    pub profile: Option<String>,
    /// For each fixture (relative to the file), each rule's verdict.
    pub fixtures: BTreeMap<String, BTreeMap<String, Expected>>,
}

impl Expectations {
    /// Reads an expectations file.
    pub fn read(file: &Path) -> Result<Expectations, TestError> {
        let bad = |reason: String| TestError::Expectations {
            file: file.to_owned(),
            reason,
        };
        let text = std::fs::read_to_string(file).map_err(|e| bad(format!("cannot read: {e}")))?;
        serde_saphyr::from_str(&text).map_err(|e| bad(e.to_string()))
    }
}

/// Why the tests could not run.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum TestError {
    /// The expectations file cannot be read or parsed.
    #[error("{}: {reason}", file.display())]
    #[diagnostic(help(
        "write `fixtures:` mapping each fixture (relative to the file) to `{{RULE: pass|fail|undetermined|not-applicable}}`"
    ))]
    Expectations {
        /// The file.
        file: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The rules cannot be used.
    #[error("cannot use the rules")]
    Rules(#[related] Vec<RuleError>),
}

/// One expectation that did not hold, or could not be tested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The fixture, as the expectations file names it.
    pub fixture: String,
    /// The rule, as the expectations file names it.
    pub rule: String,
    /// What was expected.
    pub expected: Expected,
    /// What happened, with the findings' messages.
    pub found: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} expected {}, found {}",
            self.fixture, self.rule, self.expected, self.found
        )
    }
}

/// What a test run found.
#[derive(Debug, Default)]
pub struct Report {
    /// Expectations tested.
    pub tested: usize,
    /// Those that did not hold.
    pub mismatches: Vec<Mismatch>,
}

/// Tests the rules of `rule_dir` (with the built-in ones) against the fixtures `expectations`
/// (an expectations file) names.
pub fn run(rule_dir: Option<&Path>, expectations: &Path) -> Result<Report, TestError> {
    let wanted = Expectations::read(expectations)?;
    let profile = wanted
        .profile
        .as_deref()
        .unwrap_or(crate::rules::DEFAULT_PROFILE);
    let dirs: Vec<PathBuf> = rule_dir.map(Path::to_owned).into_iter().collect();
    let rules = RuleSet::load_profile(&dirs, profile).map_err(TestError::Rules)?;
    let base = expectations.parent().unwrap_or(Path::new("."));
    let mut report = Report::default();
    for (fixture, by_rule) in &wanted.fixtures {
        let mismatch = |rule: &str, expected: Expected, found: String| Mismatch {
            fixture: fixture.clone(),
            rule: rule.to_owned(),
            expected,
            found,
        };
        report.tested += by_rule.len();
        let (documents, modules) = match load_fixture(&base.join(fixture)) {
            Ok(loaded) => loaded,
            Err(reason) => {
                report.mismatches.extend(
                    by_rule
                        .iter()
                        .map(|(rule, expected)| mismatch(rule, *expected, reason.clone())),
                );
                continue;
            }
        };
        let evaluation = evaluate(&rules.rules, &documents, &modules);
        for (name, expected) in by_rule {
            let Some(rule) = rules.find(name) else {
                report.mismatches.push(mismatch(
                    name,
                    *expected,
                    format!("no rule `{name}` in the `{profile}` profile"),
                ));
                continue;
            };
            let code = &rule.info.code;
            let verdict = evaluation
                .checks
                .iter()
                .filter(|c| c.rule.code == *code)
                .map(|c| c.verdict)
                .min(); // fail < undetermined < pass
            let found = match verdict {
                None => Expected::NotApplicable,
                Some(Verdict::Fail) => Expected::Fail,
                Some(Verdict::Undetermined) => Expected::Undetermined,
                Some(Verdict::Pass) => Expected::Pass,
            };
            if found != *expected {
                let messages: Vec<String> = evaluation
                    .findings
                    .iter()
                    .filter(|f| f.rule.code == *code)
                    .map(|f| format!("\n    {}: {}", f.resource.address, f.message()))
                    .collect();
                report.mismatches.push(mismatch(
                    name,
                    *expected,
                    format!("{found}{}", messages.concat()),
                ));
            }
        }
    }
    Ok(report)
}

/// A fixture file alone (the unrelated fixtures beside it are no module of it), or a fixture
/// directory as one module with its variable files.
fn load_fixture(path: &Path) -> Result<(Vec<Document>, Vec<Vec<usize>>), String> {
    if path.is_dir() {
        let inputs = crate::check::load_inputs(&[path.to_owned()], false);
        return match inputs.errors.first() {
            Some(error) => Err(format!("an input error: {error}")),
            None => Ok((inputs.documents, inputs.modules)),
        };
    }
    let document = load_file(path).map_err(|e| format!("an input error: {e}"))?;
    let beside: Vec<PathBuf> = path
        .parent()
        .and_then(|dir| std::fs::read_dir(dir).ok())
        .map(|entries| entries.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    let beside: Vec<&Path> = beside.iter().map(PathBuf::as_path).collect();
    let mut documents = vec![document];
    let resolved = resolve(&mut documents, &beside);
    Ok((documents, resolved.modules))
}
