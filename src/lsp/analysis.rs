//! One module directory checked as `payplat check` checks it, editor buffers over the files,
//! turned into what an editor shows: diagnostics per file, quick fixes, hovers.

// lsp-types keys a workspace edit's changes by `Uri`, whose parsed-parts cache clippy takes for
// interior mutability; the keys are never changed.
#![allow(clippy::mutable_key_type)]

use super::text::{position, range, uri_of};
use crate::check::{self, Options};
use crate::finding::{Finding, Safety, Severity, Verdict};
use crate::fix::{self, Files};
use lsp_types::{
    CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location,
    NumberOrString, Range, TextEdit, Uri,
};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What the editor shows for one module directory.
#[derive(Debug, Default)]
pub struct Analysis {
    /// Every file's diagnostics (files with none are absent).
    pub diagnostics: BTreeMap<PathBuf, Vec<Diagnostic>>,
    /// Quick fixes and suppressions, each for a diagnostic.
    pub actions: Vec<Action>,
    /// What hovering over a resource block shows.
    pub hovers: Vec<Hover>,
}

/// A code action: edits, maybe in other files.
#[derive(Debug, Clone)]
pub struct Action {
    /// The file of the diagnostic it answers.
    pub file: PathBuf,
    /// The diagnostic.
    pub diagnostic: Diagnostic,
    /// What it does.
    pub title: String,
    /// A safe fix: the editor may apply it on its own.
    pub preferred: bool,
    /// The edits, by file.
    pub changes: HashMap<Uri, Vec<TextEdit>>,
}

/// The rules that checked a resource, shown over its block.
#[derive(Debug, Clone)]
pub struct Hover {
    /// The file.
    pub file: PathBuf,
    /// The resource block.
    pub range: Range,
    /// Markdown: the resource and each rule's verdict.
    pub markdown: String,
}

/// Checks the module in `directory` with `buffers` in place of the files they name.
pub fn analyze(
    directory: &Path,
    buffers: &HashMap<PathBuf, Arc<String>>,
) -> Result<Analysis, String> {
    crate::load::set_overlay(buffers.clone());
    let options = Options {
        paths: vec![directory.to_owned()],
        config: nearest_config(directory),
        ..Options::default()
    };
    let prepared = check::prepare(&options).map_err(|e| e.to_string())?;
    let mut ran = prepared.run().map_err(|e| e.to_string())?;
    let files = Files::with(buffers.iter().map(|(p, t)| (p.clone(), t.to_string())));
    fix::attach(&mut ran.findings, &prepared.rules, &prepared.inputs, &files);
    let mut analysis = Analysis::default();
    for error in &prepared.inputs.errors {
        let at = error
            .position
            .map_or(lsp_types::Position::new(0, 0), |(l, c)| {
                lsp_types::Position::new(l.saturating_sub(1) as u32, c.saturating_sub(1) as u32)
            });
        let diagnostic = Diagnostic {
            range: Range::new(at, at),
            severity: Some(DiagnosticSeverity::ERROR),
            source: Some("payplat".into()),
            message: error.problem.to_string(),
            ..Diagnostic::default()
        };
        analysis
            .diagnostics
            .entry(error.path.clone())
            .or_default()
            .push(diagnostic);
    }
    for finding in ran
        .findings
        .iter()
        .filter(|f| f.status == crate::finding::Status::Active)
    {
        let diagnostic = diagnostic(finding);
        let file = finding.document.path.clone();
        if let Some(action) = fix_action(finding, &diagnostic, &files) {
            analysis.actions.push(action);
        }
        if let Some(action) = suppression(finding, &diagnostic) {
            analysis.actions.push(action);
        }
        analysis
            .diagnostics
            .entry(file)
            .or_default()
            .push(diagnostic);
    }
    analysis.hovers = hovers(&ran.checks);
    Ok(analysis)
}

/// The nearest `payplat.toml` from the directory up: the configuration of its files.
fn nearest_config(directory: &Path) -> Option<PathBuf> {
    directory
        .ancestors()
        .map(|d| d.join(crate::config::FILE_NAME))
        .find(|p| p.is_file())
}

fn diagnostic(finding: &Finding) -> Diagnostic {
    let text = &finding.document.text;
    let span = finding.span.map_or(0..0, |s| s.start..s.end);
    let severity = match (finding.verdict, finding.rule.severity) {
        (Verdict::Fail, Severity::Critical | Severity::High) => DiagnosticSeverity::ERROR,
        (Verdict::Fail, Severity::Medium) => DiagnosticSeverity::WARNING,
        (Verdict::Fail, _) => DiagnosticSeverity::INFORMATION,
        _ => DiagnosticSeverity::INFORMATION,
    };
    let undetermined = if finding.verdict == Verdict::Undetermined {
        "undetermined: "
    } else {
        ""
    };
    let related = finding
        .trace
        .iter()
        .filter_map(|step| {
            let span = step.span.map_or(0..0, |s| s.start..s.end);
            Some(DiagnosticRelatedInformation {
                location: Location::new(
                    uri_of(&absolute(&step.document.path))?,
                    range(&step.document.text, span),
                ),
                message: step.label.clone(),
            })
        })
        .collect::<Vec<_>>();
    Diagnostic {
        range: range(text, span),
        severity: Some(severity),
        code: Some(NumberOrString::String(finding.rule.code.clone())),
        code_description: finding
            .rule
            .docs_url()
            .parse()
            .ok()
            .map(|href| CodeDescription { href }),
        source: Some("payplat".into()),
        message: format!(
            "{undetermined}{}: {}",
            finding.resource.address,
            finding.message()
        ),
        related_information: (!related.is_empty()).then_some(related),
        ..Diagnostic::default()
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

/// The finding's fix as a code action: its edits, in whichever files they are.
fn fix_action(finding: &Finding, diagnostic: &Diagnostic, files: &Files) -> Option<Action> {
    let fix = finding.fix.as_ref().filter(|f| !f.edits.is_empty())?;
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for edit in &fix.edits {
        let text = files.text(&edit.file)?;
        changes
            .entry(uri_of(&absolute(&edit.file))?)
            .or_default()
            .push(TextEdit::new(
                range(&text, edit.start..edit.end),
                edit.text.clone(),
            ));
    }
    let unsafe_note = match fix.safety {
        Safety::Safe => "",
        Safety::Unsafe => {
            " (unsafe: it replaces an expression or changes what other resources get)"
        }
    };
    Some(Action {
        file: finding.document.path.clone(),
        diagnostic: diagnostic.clone(),
        title: format!("Fix {}: {}{unsafe_note}", finding.rule.code, fix.title),
        preferred: fix.safety == Safety::Safe,
        changes,
    })
}

/// "Suppress with a reason": a `# payplat:ignore` comment above the resource block of a `.tf`
/// file, its reason left empty for the user to write (payplat refuses it empty).
fn suppression(finding: &Finding, diagnostic: &Diagnostic) -> Option<Action> {
    let document = finding.document;
    if document.kind != crate::model::Kind::Hcl {
        return None;
    }
    let pointer = finding.resource.pointer.as_str();
    let block = *document.locate_all([pointer]).get(pointer)?;
    let text = &document.text;
    let line_start = text[..block.start].rfind('\n').map_or(0, |i| i + 1);
    let indent: String = text[line_start..]
        .chars()
        .take_while(|c| c.is_whitespace() && *c != '\n')
        .collect();
    let comment = format!(
        "{indent}# payplat:ignore {} reason=\"\"\n",
        finding.rule.code
    );
    let at = position(text, line_start);
    let changes = HashMap::from([(
        uri_of(&absolute(&document.path))?,
        vec![TextEdit::new(Range::new(at, at), comment)],
    )]);
    Some(Action {
        file: document.path.clone(),
        diagnostic: diagnostic.clone(),
        title: format!(
            "Suppress {} on {} with a reason",
            finding.rule.code,
            finding.resource.address.base()
        ),
        preferred: false,
        changes,
    })
}

/// For each resource checked, the rules and their verdicts, over its block.
fn hovers(checks: &[crate::finding::Checked]) -> Vec<Hover> {
    let mut by_resource: BTreeMap<(PathBuf, String), (Range, Vec<String>)> = BTreeMap::new();
    for check in checks {
        let document = check.document;
        let pointer = check.resource.pointer.as_str();
        let key = (document.path.clone(), pointer.to_owned());
        let entry = by_resource.entry(key).or_insert_with(|| {
            let span = document
                .locate_all([pointer])
                .get(pointer)
                .map_or(0..0, |s| s.start..s.end);
            (range(&document.text, span), Vec::new())
        });
        let line = format!(
            "- `{}` {} ({}): **{}** on `{}`",
            check.rule.code,
            check.rule.title,
            check.rule.severity,
            check.verdict,
            check.resource.address
        );
        if !entry.1.contains(&line) {
            entry.1.push(line);
        }
    }
    by_resource
        .into_iter()
        .map(|((file, _), (range, lines))| Hover {
            file,
            range,
            markdown: format!("**payplat**\n\n{}", lines.join("\n")),
        })
        .collect()
}
