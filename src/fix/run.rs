//! `payplat fix` end to end: check, fix, write, check again, until nothing more applies.

use super::{Files, apply, attach};
use crate::check::{self, CheckError};
use crate::finding::{Finding, Safety};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Rounds of fixing: a fix whose edits overlap another's waits for the next round, and the
/// real fixes of this pack settle in two.
const MAX_ROUNDS: usize = 8;

/// What `payplat fix` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// What to check, as `payplat check` takes it.
    pub check: check::Options,
    /// Apply unsafe fixes too.
    pub unsafe_fixes: bool,
    /// Write the files (otherwise only say what would change).
    pub write: bool,
}

/// One fix, as the report names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Named {
    /// `PP501 aws_cloudwatch_log_group.app`.
    pub finding: String,
    /// Where the finding is: `main.tf:12:23`.
    pub place: String,
    /// What the fix does, or (generated inputs) what to change in their source.
    pub title: String,
}

/// What fixing did.
#[derive(Debug, Default)]
pub struct Fixed {
    /// Each changed file: its text before the first fix and after the last.
    pub files: BTreeMap<PathBuf, (String, String)>,
    /// The fixes applied (or, without `write`, that would be).
    pub applied: Vec<Named>,
    /// Unsafe fixes not applied, for want of `--unsafe-fixes`.
    pub unsafe_left: Vec<Named>,
    /// Findings on generated inputs: what to change in their source.
    pub in_source: Vec<Named>,
    /// Failing findings after fixing (without `write`: before).
    pub still_failing: Vec<Named>,
    /// Load errors and notes of the last check.
    pub errors: Vec<String>,
}

/// Checks, fixes and checks again, until no fix applies; without `write`, one round that only
/// says what would change.
pub fn fix(options: &Options) -> Result<Fixed, CheckError> {
    let mut fixed = Fixed::default();
    for _ in 0..MAX_ROUNDS {
        let prepared = check::prepare(&options.check)?;
        let mut ran = prepared.run()?;
        let files = Files::default();
        attach(&mut ran.findings, &prepared.rules, &prepared.inputs, &files);
        let applies = |f: &&Finding| {
            f.fix.as_ref().is_some_and(|fix| {
                !fix.edits.is_empty() && (options.unsafe_fixes || fix.safety == Safety::Safe)
            })
        };
        let candidates: Vec<&Finding> = ran.findings.iter().filter(applies).collect();
        let applied = apply(candidates.iter().filter_map(|f| f.fix.as_ref()), &files);
        let chosen: Vec<&Finding> = applied.applied.iter().map(|&i| candidates[i]).collect();
        if applied.files.is_empty() || !options.write {
            fixed.applied.extend(
                chosen
                    .iter()
                    .filter(|_| !options.write)
                    .map(|f| named(f, true)),
            );
            if !options.write {
                fixed.files = applied.files;
            }
            let pending = if options.write { &[][..] } else { &chosen[..] };
            describe(&mut fixed, &ran.findings, &prepared, options, pending);
            break;
        }
        fixed.applied.extend(chosen.iter().map(|f| named(f, true)));
        for (path, (before, after)) in applied.files {
            if let Err(error) = write(&path, &after) {
                fixed
                    .errors
                    .push(format!("{} was not fixed: {error}", path.display()));
                return Ok(fixed);
            }
            fixed
                .files
                .entry(path)
                .and_modify(|(_, now)| now.clone_from(&after))
                .or_insert((before, after));
        }
    }
    for list in [
        &mut fixed.applied,
        &mut fixed.unsafe_left,
        &mut fixed.in_source,
        &mut fixed.still_failing,
    ] {
        let mut seen = std::collections::HashSet::new();
        list.retain(|named| seen.insert(named.clone()));
    }
    Ok(fixed)
}

/// What is left after the last round: unsafe fixes, generated inputs, failures.
fn describe(
    fixed: &mut Fixed,
    findings: &[Finding],
    prepared: &check::Prepared,
    options: &Options,
    pending: &[&Finding],
) {
    let failing = findings
        .iter()
        .filter(|f| f.fails(prepared.fail_on) && !pending.iter().any(|p| std::ptr::eq(*p, *f)));
    for finding in failing {
        match &finding.fix {
            Some(fix) if fix.edits.is_empty() => fixed.in_source.push(named(finding, true)),
            Some(fix) if fix.safety == Safety::Unsafe && !options.unsafe_fixes => {
                fixed.unsafe_left.push(named(finding, true));
            }
            _ => {}
        }
        fixed.still_failing.push(named(finding, false));
    }
    fixed
        .errors
        .extend(prepared.inputs.errors.iter().map(ToString::to_string));
}

/// A finding as the report names it, with its fix's title (or note, for generated inputs).
fn named(finding: &Finding, with_fix: bool) -> Named {
    let fix = finding.fix.as_ref().filter(|_| with_fix);
    let title = match fix {
        Some(fix) if fix.edits.is_empty() => fix.note.clone().unwrap_or_else(|| fix.title.clone()),
        Some(fix) => fix.title.clone(),
        None => finding.message(),
    };
    Named {
        finding: format!("{} {}", finding.rule.code, finding.resource.address),
        place: finding.place(),
        title,
    }
}

/// Replaces a file's text whole or not at all (a new file renamed over it, with its
/// permissions); a symbolic link is not followed out of the inputs: it is refused.
fn write(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let metadata = std::fs::symlink_metadata(path)?;
    if metadata.file_type().is_symlink() {
        return Err(std::io::Error::other(
            "it is a symbolic link; name the file it points to to fix that one",
        ));
    }
    let directory = path.parent().filter(|p| !p.as_os_str().is_empty());
    let mut file = tempfile::NamedTempFile::new_in(directory.unwrap_or(std::path::Path::new(".")))?;
    file.write_all(text.as_bytes())?;
    file.as_file().set_permissions(metadata.permissions())?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}
