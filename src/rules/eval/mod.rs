//! Evaluates rules against the model: every live resource of every document, in parallel, with
//! three verdicts. Findings come out sorted by file, position and rule, whatever the threads did.
//!
//! The interpreter is split by concern: [`outcome`] joins three-valued outcomes, `scope` holds
//! where a check stands and moves it (`each`, `decode`), `compare` applies operators, `follow`
//! looks at other resources and counts across references, `values` marks unknown values.

mod compare;
mod connect;
mod follow;
mod hidden;
pub(crate) mod outcome;
mod schedule;
mod scope;
mod select;
mod values;

use super::index::ModuleIndex;
use super::schema::Rule;
use crate::finding::{Checked, Finding, Status, Step, Verdict};
use crate::locate::{Position, Span, positions};
use crate::model::{Document, Resource};
use outcome::{Note, Outcome};
use rayon::prelude::*;
use scope::{Here, Scope};
use std::collections::BTreeSet;

/// What checking found, with how much was checked.
pub struct Evaluation<'a> {
    /// Failing and undetermined findings, sorted.
    pub findings: Vec<Finding<'a>>,
    /// Every rule × resource pair evaluated, in the order of the findings' sort.
    pub checks: Vec<Checked<'a>>,
    /// Resources at least one rule applied to.
    pub resources_checked: usize,
}

/// Runs every rule on every live resource it selects. `modules` says which documents are
/// checked together (see [`crate::resolve`]): a resource sees the resources of its module.
pub fn evaluate<'a>(
    rules: &'a [Rule],
    documents: &'a [Document],
    modules: &[Vec<usize>],
) -> Evaluation<'a> {
    let per_document: Vec<Gathered> = modules
        .par_iter()
        .flat_map(|module| {
            let index = ModuleIndex::new(module.iter().map(|&i| &documents[i]).collect());
            module
                .par_iter()
                .filter(|&&i| !documents[i].context)
                .map(|&i| check_document(rules, &index, &documents[i]))
                .collect::<Vec<_>>()
        })
        .collect();
    let Gathered {
        mut findings,
        checks,
        resources_checked,
    } = per_document
        .into_iter()
        .fold(Gathered::default(), Gathered::append);
    locate_trace(&mut findings);
    // Keys borrow from the findings: sorting clones nothing.
    findings.sort_by(|a, b| {
        let position = |f: &Finding| f.position.map(|p| (p.line, p.column));
        (
            &a.document.path,
            position(a),
            &a.rule.code,
            &a.pointer,
            &a.detail,
        )
            .cmp(&(
                &b.document.path,
                position(b),
                &b.rule.code,
                &b.pointer,
                &b.detail,
            ))
    });
    Evaluation {
        findings,
        checks,
        resources_checked,
    }
}

fn check_document<'a>(
    rules: &'a [Rule],
    index: &ModuleIndex<'a>,
    document: &'a Document,
) -> Gathered<'a> {
    // Gathered a thread's run of resources at a time: a list per resource would cost more than
    // the resource's own record in a large plan.
    let mut gathered = document
        .resources
        .par_iter()
        .filter(|resource| resource.action.is_live())
        .fold(Gathered::default, |mut gathered, resource| {
            let before = gathered.checks.len();
            for rule in rules.iter().filter(|rule| applies(rule, resource)) {
                let Some((found, passed_because)) = check_resource(rule, index, document, resource)
                else {
                    continue; // its `when` does not hold: the rule does not apply
                };
                let verdict = found.first().map_or(Verdict::Pass, |f| f.verdict);
                gathered.checks.push(Checked {
                    rule: &rule.info,
                    document,
                    resource,
                    verdict,
                    passed_because,
                });
                gathered.findings.extend(found);
            }
            gathered.resources_checked += usize::from(gathered.checks.len() > before);
            gathered
        })
        .reduce(Gathered::default, Gathered::append);
    locate_findings(document, &mut gathered.findings);
    gathered
}

/// The findings and checks of a run of resources, in their order.
#[derive(Default)]
struct Gathered<'a> {
    findings: Vec<Finding<'a>>,
    checks: Vec<Checked<'a>>,
    resources_checked: usize,
}

impl Gathered<'_> {
    fn append(mut self, mut next: Self) -> Self {
        self.findings.append(&mut next.findings);
        self.checks.append(&mut next.checks);
        self.resources_checked += next.resources_checked;
        self
    }
}

fn applies(rule: &Rule, resource: &Resource) -> bool {
    resource.address.mode == rule.resources.mode
        && rule
            .resources
            .types
            .iter()
            .any(|ty| ty == resource.address.resource_type())
}

/// Most findings lie in a resource's values, which a plan keeps as a slice of its text: those
/// are found in their slice, in parallel; the others in one pass over the document.
fn locate_findings(document: &Document, findings: &mut [Finding]) {
    let (mut here, elsewhere): (Vec<&mut Finding>, Vec<&mut Finding>) = findings
        .iter_mut()
        .partition(|f| std::ptr::eq(f.document, document));
    // Written in another file (an override file): located there.
    for finding in elsewhere {
        let place = locate_places(finding.document, &[finding.pointer.as_str()]).pop();
        (finding.span, finding.position) = place.unwrap_or_default();
    }
    let findings = here.as_mut_slice();
    let mut spans: Vec<Option<Option<Span>>> = findings
        .par_iter()
        .map(|f| span_in_values(document, f.resource, &f.pointer))
        .collect();
    let elsewhere: Vec<usize> = (0..findings.len())
        .filter(|&i| spans[i].is_none())
        .collect();
    let pointers: Vec<&str> = elsewhere
        .iter()
        .map(|&i| findings[i].pointer.as_str())
        .collect();
    for (i, span) in elsewhere.into_iter().zip(spans_of(document, &pointers)) {
        spans[i] = Some(span);
    }
    let spans: Vec<Option<Span>> = spans.into_iter().map(Option::flatten).collect();
    let places = with_positions(document, spans);
    for (finding, (span, position)) in findings.iter_mut().zip(places) {
        finding.span = span;
        finding.position = position;
    }
}

/// The span of `pointer` found in `resource`'s values alone; `None` where they are not a slice
/// of the document's text, or the pointer is not inside them.
fn span_in_values(document: &Document, resource: &Resource, pointer: &str) -> Option<Option<Span>> {
    let range = resource.values.text_range()?;
    let inner = pointer
        .strip_prefix(resource.pointer.as_str())?
        .strip_prefix(resource.values_at)?;
    if !(inner.is_empty() || inner.starts_with('/')) {
        return None;
    }
    let text = document.text.get(range.clone())?;
    let candidates: Vec<&str> = crate::pointer::ancestors(inner)
        .chain(std::iter::once(inner))
        .collect();
    let spans = crate::locate::locate_all(text, candidates.iter().copied());
    let nearest = closest(inner, &spans)?;
    Some(Some(Span {
        start: nearest.start + range.start,
        end: nearest.end + range.start,
        key_start: nearest.key_start.map(|k| k + range.start),
    }))
}

/// The span of `pointer`, or of its closest ancestor that `spans` holds.
fn closest(pointer: &str, spans: &std::collections::HashMap<&str, Span>) -> Option<Span> {
    std::iter::once(pointer)
        .chain(
            crate::pointer::ancestors(pointer)
                .collect::<Vec<_>>()
                .into_iter()
                .rev(),
        )
        .find_map(|p| spans.get(p).copied())
}

/// Locates the trace steps of every finding, one pass over each file they are in.
fn locate_trace(findings: &mut [Finding]) {
    let mut by_document: Vec<(&Document, Vec<&mut Step>)> = Vec::new();
    for step in findings.iter_mut().flat_map(|f| f.trace.iter_mut()) {
        match by_document
            .iter_mut()
            .find(|(d, _)| std::ptr::eq(*d, step.document))
        {
            Some((_, steps)) => steps.push(step),
            None => by_document.push((step.document, vec![step])),
        }
    }
    for (document, mut steps) in by_document {
        let pointers: Vec<&str> = steps.iter().map(|s| s.pointer.as_str()).collect();
        let places = locate_places(document, &pointers);
        for (step, (span, position)) in steps.iter_mut().zip(places) {
            step.span = span;
            step.position = position;
        }
    }
}

/// The span and position of each pointer in the document.
fn locate_places(document: &Document, pointers: &[&str]) -> Vec<(Option<Span>, Option<Position>)> {
    with_positions(document, spans_of(document, pointers))
}

/// The span of each pointer in the document; a value known only after apply is not in the
/// file, so the closest ancestor that is stands in.
fn spans_of(document: &Document, pointers: &[&str]) -> Vec<Option<Span>> {
    if pointers.is_empty() {
        return Vec::new();
    }
    let written: Vec<std::borrow::Cow<str>> =
        pointers.iter().map(|p| document.written_at(p)).collect();
    let candidates: Vec<&str> = written
        .iter()
        .flat_map(|p| crate::pointer::ancestors(p).chain(std::iter::once(p.as_ref())))
        .collect();
    let spans = document.locate_all(candidates.iter().copied());
    written
        .iter()
        .map(|pointer| closest(pointer, &spans))
        .collect()
}

/// Each span with the line and column where it starts, found in one pass.
fn with_positions(
    document: &Document,
    found: Vec<Option<Span>>,
) -> Vec<(Option<Span>, Option<Position>)> {
    let starts: Vec<usize> = found.iter().flatten().map(|s| s.start).collect();
    let mut located = positions(&document.text, &starts).into_iter();
    found
        .into_iter()
        .map(|span| (span, span.and_then(|_| located.next())))
        .collect()
}

/// The file and pointer where the value at `pointer` of `document` is written: an override
/// file, where one replaced it, else the same.
fn written_in<'a>(
    index: &ModuleIndex<'a>,
    document: &'a Document,
    pointer: String,
) -> (&'a Document, String) {
    match document.overridden_at(&pointer) {
        Some((file, at)) => match index.document_at(file) {
            Some(written) => (written, at),
            None => (document, pointer),
        },
        None => (document, pointer),
    }
}

/// The findings of one rule on one resource, and why it passed; `None` when the rule's `when`
/// does not hold for it.
fn check_resource<'a>(
    rule: &'a Rule,
    index: &ModuleIndex<'a>,
    document: &'a Document,
    resource: &'a Resource,
) -> Option<(Vec<Finding<'a>>, Option<String>)> {
    let scope = Scope {
        index,
        subject: resource,
        params: &rule.parameters,
    };
    let values = values::with_unknowns(resource);
    let top = Here::top(&values, resource);
    let precondition = match rule.when.as_ref().map(|when| scope.check(when, &top)) {
        Some(Outcome::Fail(_)) => return None,
        Some(Outcome::Undetermined(notes)) => Some(notes),
        Some(Outcome::Pass(_)) | None => None,
    };
    let outcome = match (scope.check(&rule.check, &top), precondition) {
        // Failing where the rule may not apply: the inputs do not decide.
        (Outcome::Fail(notes), Some(unsure)) => {
            let why: Vec<String> = unsure.into_iter().map(|n| n.message).collect();
            Outcome::Undetermined(
                notes
                    .into_iter()
                    .map(|note| Note {
                        message: format!(
                            "{}, if the rule applies: {}",
                            note.message,
                            why.join("; ")
                        ),
                        ..note
                    })
                    .collect(),
            )
        }
        // Failing where the resource may not be made at all: the inputs do not decide.
        (Outcome::Fail(notes), None) if resource.may_not_exist() => Outcome::Undetermined(
            notes
                .into_iter()
                .map(|note| Note {
                    message: format!(
                        "{}, if it is made: its {} is not known from these inputs",
                        note.message,
                        resource.existence_unknown().unwrap_or_default(),
                    ),
                    ..note
                })
                .collect(),
        ),
        (outcome, _) => outcome,
    };
    let (verdict, notes) = match outcome {
        Outcome::Pass(notes) => {
            let mut because: Vec<String> = Vec::new();
            for note in notes {
                if !because.contains(&note.message) {
                    because.push(note.message);
                }
            }
            return Some((Vec::new(), Some(because.join("; "))));
        }
        Outcome::Fail(notes) => (Verdict::Fail, notes),
        Outcome::Undetermined(notes) => (Verdict::Undetermined, notes),
    };
    let mut seen = BTreeSet::new();
    let findings = notes
        .into_iter()
        .filter(|note| {
            seen.insert((
                note.resource.pointer.clone(),
                note.at.clone(),
                note.message.clone(),
                note.summary.clone(),
            ))
        })
        .map(|note| {
            // A note about a resource in another file of the module points at the subject.
            let pointer = if document.holds(note.resource) {
                note.resource.pointer_to(&note.at)
            } else {
                resource.pointer.clone()
            };
            let mut trace: Vec<Step> = note
                .trace
                .into_iter()
                .filter_map(|step| {
                    let document = match step.file {
                        Some(path) => index.document_at(path)?,
                        None => index.document_of(step.resource).unwrap_or(document),
                    };
                    let (document, pointer) = written_in(index, document, step.pointer);
                    Some(Step {
                        label: step.label,
                        document,
                        pointer,
                        span: None,
                        position: None,
                    })
                })
                .collect();
            let (written, at) = written_in(index, document, pointer.clone());
            if !std::ptr::eq(written, document) {
                trace.insert(
                    0,
                    Step {
                        label: format!("replaces what {} writes here", document.path.display()),
                        document,
                        pointer,
                        span: None,
                        position: None,
                    },
                );
            }
            Finding {
                trace,
                rule: &rule.info,
                document: written,
                resource,
                verdict,
                pointer: at,
                summary: note.summary,
                detail: note.message,
                span: None,
                position: None,
                status: Status::Active,
                fix: None,
            }
        })
        .collect();
    Some((findings, None))
}
