//! Evaluates rules against the model: every live resource of every document, in parallel, with
//! three verdicts. Findings come out sorted by file, position and rule, whatever the threads did.

use super::ops::{self, DocumentIndex, attribute_name, is_expression, is_unknown, under};
use super::schema::{Arg, Check, CheckKind, DecodeAs, Op, Path, Quantifier, Rule, Source};
use crate::locate::{Position, Span, locate_all, positions};
use crate::model::{Document, Resource};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Fail,
    /// The value is known only after apply, or is an expression payplat cannot evaluate.
    Undetermined,
    Pass,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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
    Active,
    /// Set aside by a suppression in the configuration, with its reason.
    Suppressed(String),
    /// Recorded in the baseline: known before, not new.
    Baselined,
}

/// A rule that does not hold (or cannot be decided) for one resource, at one place.
#[derive(Debug)]
pub struct Finding<'a> {
    pub rule: &'a Rule,
    pub document: &'a Document,
    pub resource: &'a Resource,
    pub verdict: Verdict,
    /// JSON pointer in the file of what the finding is about.
    pub pointer: String,
    /// What the rule says is wrong, where its check gives a message.
    pub summary: Option<String>,
    /// What was found there, and what is required.
    pub detail: String,
    /// Where the pointer's value is in the text (or its closest located ancestor's).
    pub span: Option<Span>,
    pub position: Option<Position>,
    pub status: Status,
}

impl Finding<'_> {
    pub fn message(&self) -> String {
        match &self.summary {
            Some(summary) => format!("{summary}: {}", self.detail),
            None => self.detail.clone(),
        }
    }

    /// Identifies the finding across runs and edits: rule, file, address and place, not lines.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        for part in [
            self.rule.code.as_str(),
            &self.document.path.to_string_lossy(),
            &self.resource.address,
            &self.pointer,
        ] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        hasher
            .finalize()
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Whether the finding fails the run at this severity threshold.
    pub fn fails(&self, threshold: crate::rules::Severity) -> bool {
        self.verdict == Verdict::Fail
            && self.status == Status::Active
            && self.rule.severity >= threshold
    }
}

/// The verdict of one rule on one resource, failing or not: what evidence reports are made of.
#[derive(Debug)]
pub struct Checked<'a> {
    pub rule: &'a Rule,
    pub document: &'a Document,
    pub resource: &'a Resource,
    pub verdict: Verdict,
}

/// What checking found, with how much was checked.
pub struct Evaluation<'a> {
    pub findings: Vec<Finding<'a>>,
    /// Every rule × resource pair evaluated, in the order of the findings' sort.
    pub checks: Vec<Checked<'a>>,
    /// Resources at least one rule applied to.
    pub resources_checked: usize,
}

/// Runs every rule on every live resource it selects.
pub fn evaluate<'a>(rules: &'a [Rule], documents: &'a [Document]) -> Evaluation<'a> {
    let per_document: Vec<(Vec<Finding>, Vec<Checked>, usize)> = documents
        .par_iter()
        .map(|document| {
            let index = DocumentIndex::new(document);
            let results: Vec<(Vec<Finding>, Vec<Checked>)> = document
                .resources
                .par_iter()
                .filter(|resource| resource.action.is_live())
                .map(|resource| {
                    let mut findings = Vec::new();
                    let mut checks = Vec::new();
                    for rule in rules.iter().filter(|rule| applies(rule, resource)) {
                        let found = check_resource(rule, &index, resource);
                        let verdict = found.first().map_or(Verdict::Pass, |f| f.verdict);
                        checks.push(Checked {
                            rule,
                            document,
                            resource,
                            verdict,
                        });
                        findings.extend(found);
                    }
                    (findings, checks)
                })
                .collect();
            let resources_checked = results
                .iter()
                .filter(|(_, checks)| !checks.is_empty())
                .count();
            let (findings, checks): (Vec<_>, Vec<_>) = results.into_iter().unzip();
            let mut findings: Vec<Finding> = findings.into_iter().flatten().collect();
            locate_findings(document, &mut findings);
            (
                findings,
                checks.into_iter().flatten().collect(),
                resources_checked,
            )
        })
        .collect();
    let resources_checked = per_document.iter().map(|(_, _, n)| n).sum();
    let mut findings = Vec::new();
    let mut checks = Vec::new();
    for (document_findings, document_checks, _) in per_document {
        findings.extend(document_findings);
        checks.extend(document_checks);
    }
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

fn applies(rule: &Rule, resource: &Resource) -> bool {
    resource.mode == rule.resources.mode && rule.resources.types.contains(&resource.resource_type)
}

fn locate_findings(document: &Document, findings: &mut [Finding]) {
    if findings.is_empty() {
        return;
    }
    // A value known only after apply is not in the file: the closest ancestor that is stands in.
    let candidates: Vec<String> = findings
        .iter()
        .flat_map(|f| {
            crate::pointer::ancestors(&f.pointer).chain(std::iter::once(f.pointer.as_str()))
        })
        .map(str::to_owned)
        .collect();
    let spans = locate_all(&document.text, candidates.iter().map(String::as_str));
    for finding in findings.iter_mut() {
        let mut closest = std::iter::once(finding.pointer.as_str()).chain(
            crate::pointer::ancestors(&finding.pointer)
                .collect::<Vec<_>>()
                .into_iter()
                .rev(),
        );
        finding.span = closest.find_map(|p| spans.get(p).copied());
    }
    let starts: Vec<usize> = findings
        .iter()
        .filter_map(|f| f.span.map(|s| s.start))
        .collect();
    let mut found = positions(&document.text, &starts).into_iter();
    for finding in findings.iter_mut().filter(|f| f.span.is_some()) {
        finding.position = found.next();
    }
}

fn check_resource<'a>(
    rule: &'a Rule,
    index: &DocumentIndex<'a>,
    resource: &'a Resource,
) -> Vec<Finding<'a>> {
    let scope = Scope {
        index,
        subject: resource,
        params: &rule.parameters,
    };
    let values = ops::with_unknowns(resource);
    let here = Here {
        value: &values,
        resource,
        at: String::new(),
        inner: None,
    };
    let (verdict, notes) = match scope.check(&rule.check, &here) {
        Outcome::Pass(_) => return Vec::new(),
        Outcome::Fail(notes) => (Verdict::Fail, notes),
        Outcome::Undetermined(notes) => (Verdict::Undetermined, notes),
    };
    let mut seen = BTreeSet::new();
    notes
        .into_iter()
        .filter(|note| {
            seen.insert((
                note.resource.pointer.clone(),
                note.at.clone(),
                note.message.clone(),
                note.summary.clone(),
            ))
        })
        .map(|note| Finding {
            rule,
            document: index.document,
            resource,
            verdict,
            pointer: under(&note.resource.values_pointer, &note.at),
            summary: note.summary,
            detail: note.message,
            span: None,
            position: None,
            status: Status::Active,
        })
        .collect()
}

/// What a rule sees while it checks one resource.
struct Scope<'s, 'a> {
    index: &'s DocumentIndex<'a>,
    /// The resource under check.
    subject: &'a Resource,
    params: &'s Map<String, Value>,
}

/// Where `$` is: a value inside a resource's values, or inside a document embedded in one of
/// its string attributes (then `at` names the attribute and `inner` the place in the document).
#[derive(Clone)]
struct Here<'v, 'a> {
    value: &'v Value,
    resource: &'a Resource,
    at: String,
    inner: Option<String>,
}

impl<'v, 'a> Here<'v, 'a> {
    /// `$` moved to a node selected at `relative` (a pointer from the current `$`).
    fn at(&self, value: &'v Value, relative: &str) -> Here<'v, 'a> {
        match &self.inner {
            Some(inner) => Here {
                value,
                resource: self.resource,
                at: self.at.clone(),
                inner: Some(under(inner, relative)),
            },
            None => Here {
                value,
                resource: self.resource,
                at: under(&self.at, relative),
                inner: None,
            },
        }
    }

    fn name(&self) -> String {
        match &self.inner {
            Some(inner) if !inner.is_empty() => {
                format!("{} → {}", attribute_name(&self.at), attribute_name(inner))
            }
            _ => attribute_name(&self.at),
        }
    }

    /// A value as a message may show it: never a sensitive one.
    fn show(&self, value: &Value) -> String {
        if self.resource.is_sensitive(&self.at) {
            return crate::inspect::REDACTED.to_owned();
        }
        if is_unknown(value) {
            return "(known after apply)".to_owned();
        }
        let text = value.to_string();
        match text.char_indices().nth(80) {
            Some((cut, _)) => format!("{}…", &text[..cut]),
            None => text,
        }
    }

    fn note(&self, message: String) -> Note<'a> {
        Note {
            resource: self.resource,
            summary: None,
            at: self.at.clone(),
            message,
        }
    }

    /// Whether something at or below `relative` is known only after apply, so that its absence
    /// from the values proves nothing.
    fn unknown_below(&self, relative: &str) -> bool {
        if self.inner.is_some() {
            return false;
        }
        let at = under(&self.at, relative);
        self.resource
            .unknown
            .iter()
            .any(|u| crate::pointer::is_prefix(u, &at) || crate::pointer::is_prefix(&at, u))
    }

    /// The deepest existing value on the way to `relative`, where a missing attribute is reported.
    fn nearest(&self, relative: &str) -> Here<'v, 'a> {
        let mut best = String::new();
        for candidate in crate::pointer::ancestors(relative).chain(std::iter::once(relative)) {
            if self.value.pointer(candidate).is_some() {
                best = candidate.to_owned();
            }
        }
        let value = self.value.pointer(&best).unwrap_or(self.value);
        self.at(value, &best)
    }
}

/// One place and what was found there.
struct Note<'a> {
    resource: &'a Resource,
    /// The message of the innermost check that gives one.
    summary: Option<String>,
    /// Pointer relative to the resource's values.
    at: String,
    message: String,
}

enum Outcome<'a> {
    /// Holds; the notes say what matched (for `not`).
    Pass(Vec<Note<'a>>),
    Fail(Vec<Note<'a>>),
    Undetermined(Vec<Note<'a>>),
}

impl<'a> Outcome<'a> {
    /// Every outcome must hold: failures first, then the undetermined.
    fn all(outcomes: impl IntoIterator<Item = Outcome<'a>>) -> Outcome<'a> {
        let (mut passed, mut failed, mut undetermined) = (Vec::new(), Vec::new(), Vec::new());
        for outcome in outcomes {
            match outcome {
                Outcome::Pass(notes) => passed.extend(notes),
                Outcome::Fail(notes) => failed.extend(notes),
                Outcome::Undetermined(notes) => undetermined.extend(notes),
            }
        }
        if !failed.is_empty() {
            Outcome::Fail(failed)
        } else if !undetermined.is_empty() {
            Outcome::Undetermined(undetermined)
        } else {
            Outcome::Pass(passed)
        }
    }

    /// One outcome must hold; a failure reports the first alternative's.
    fn any(outcomes: impl IntoIterator<Item = Outcome<'a>>) -> Outcome<'a> {
        let (mut first_failure, mut undetermined) = (None, Vec::new());
        for outcome in outcomes {
            match outcome {
                pass @ Outcome::Pass(_) => return pass,
                Outcome::Fail(notes) => {
                    first_failure.get_or_insert(notes);
                }
                Outcome::Undetermined(notes) => undetermined.extend(notes),
            }
        }
        if !undetermined.is_empty() {
            Outcome::Undetermined(undetermined)
        } else {
            Outcome::Fail(first_failure.unwrap_or_default())
        }
    }
}

/// A selected node: its pointer relative to `$`, and its value.
type Node<'v> = (String, &'v Value);

fn select<'v>(path: &Path, value: &'v Value) -> Vec<Node<'v>> {
    path.query
        .query_located(value)
        .into_iter()
        .map(|node| (node.location().to_json_pointer(), node.node()))
        .collect()
}

/// Arrays stand for their elements: `scan_on_push` may be under a block written as an object
/// (configuration) or a one-element array (plan), and lists are compared element by element.
fn flatten<'v>(nodes: Vec<Node<'v>>) -> Vec<Node<'v>> {
    let mut out = Vec::with_capacity(nodes.len());
    for (at, value) in nodes {
        match value {
            Value::Array(items) => out.extend(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| (format!("{at}/{i}"), item)),
            ),
            _ => out.push((at, value)),
        }
    }
    out
}

impl<'a> Scope<'_, 'a> {
    fn check<'v>(&self, check: &Check, here: &Here<'v, 'a>) -> Outcome<'a> {
        let outcome = match &check.kind {
            CheckKind::Test {
                source,
                key_matches,
                op,
            } => self.test(source, key_matches.as_ref(), op, here),
            CheckKind::All(checks) => Outcome::all(checks.iter().map(|c| self.check(c, here))),
            CheckKind::Any(checks) => Outcome::any(checks.iter().map(|c| self.check(c, here))),
            CheckKind::Not(inner) => match self.check(inner, here) {
                Outcome::Pass(notes) if notes.is_empty() => {
                    Outcome::Fail(vec![here.note("a check that must not hold holds".into())])
                }
                Outcome::Pass(notes) => Outcome::Fail(notes),
                Outcome::Fail(notes) => Outcome::Pass(notes),
                undetermined => undetermined,
            },
            CheckKind::Each {
                quantifier,
                path,
                filter,
                check,
            } => self.each(*quantifier, path, filter.as_deref(), check, here),
            CheckKind::Decode {
                path,
                format,
                check,
            } => self.decode(path, *format, check, here),
            CheckKind::OtherResources { types, check } => self.other_resources(types, check, here),
            CheckKind::CountDistinct {
                follow,
                to,
                distinct,
                op,
            } => self.count_distinct(follow, to, distinct, op, here),
        };
        match (outcome, &check.message) {
            (Outcome::Fail(notes), Some(message)) => Outcome::Fail(
                notes
                    .into_iter()
                    .map(|mut note| {
                        note.summary.get_or_insert_with(|| message.clone());
                        note
                    })
                    .collect(),
            ),
            (outcome, _) => outcome,
        }
    }

    fn test<'v>(
        &self,
        source: &Source,
        key_matches: Option<&regex::Regex>,
        op: &Op,
        here: &Here<'v, 'a>,
    ) -> Outcome<'a> {
        let path = match source {
            Source::Param(name) => {
                let value = self.params.get(name).unwrap_or(&Value::Null);
                let param_here = Here {
                    value,
                    ..here.clone()
                };
                return self.compare(
                    op,
                    &[(String::new(), value)],
                    &param_here,
                    &format!("parameter `{name}`"),
                );
            }
            Source::Path(path) => path,
        };
        let mut nodes = select(path, here.value);
        if let Some(key_matches) = key_matches {
            nodes.retain(|(at, _)| {
                at.rsplit('/').next().is_some_and(|key| {
                    key_matches.is_match(&key.replace("~1", "/").replace("~0", "~"))
                })
            });
        }
        let present: Vec<Node> = nodes
            .iter()
            .filter(|(_, v)| !v.is_null())
            .cloned()
            .collect();
        if present.is_empty() {
            let prefix = ops::static_prefix(&path.text);
            let context = here.name();
            let named = |path: &str| {
                if context.is_empty() {
                    path.to_owned()
                } else {
                    format!("{context}.{path}")
                }
            };
            let absent = match key_matches {
                Some(re) => format!(
                    "`{}` has no key matching `{}`",
                    named(path.display().trim_end_matches(".*")),
                    re.as_str()
                ),
                None => format!("`{}` is not set", named(&path.display())),
            };
            return match op {
                Op::Exists(false) => Outcome::Pass(Vec::new()),
                _ if here.unknown_below(&prefix) => Outcome::Undetermined(vec![here.note(
                    format!("`{}` is known only after apply", named(&path.display())),
                )]),
                _ => Outcome::Fail(vec![
                    here.nearest(&prefix)
                        .note(format!("{absent}; expected {}", self.expectation(op))),
                ]),
            };
        }
        self.compare(op, &present, here, &path.display())
    }

    /// Applies an operator to present nodes.
    fn compare<'v>(
        &self,
        op: &Op,
        nodes: &[Node<'v>],
        here: &Here<'v, 'a>,
        name: &str,
    ) -> Outcome<'a> {
        let expected = self.expectation(op);
        match op {
            Op::Exists(expect) => {
                let notes: Vec<Note> = nodes
                    .iter()
                    .map(|(at, v)| {
                        here.at(v, at)
                            .note(format!("`{}` is set", here.at(v, at).name()))
                    })
                    .collect();
                if nodes.iter().any(|(_, v)| is_unknown(v)) {
                    Outcome::Undetermined(vec![
                        here.note(format!("`{name}` is known only after apply")),
                    ])
                } else if *expect {
                    Outcome::Pass(notes)
                } else {
                    Outcome::Fail(notes)
                }
            }
            Op::ContainsAll(required) => {
                let elements = flatten(nodes.to_vec());
                let holder = here.at(nodes[0].1, &nodes[0].0);
                let missing: Vec<&Value> = required
                    .iter()
                    .filter(|r| !elements.iter().any(|(_, v)| v == r))
                    .collect();
                let unknown = elements.iter().any(|(_, v)| is_unknown(v));
                let expression = elements
                    .iter()
                    .find_map(|(_, v)| v.as_str().filter(|s| is_expression(s)));
                if missing.is_empty() {
                    Outcome::Pass(vec![
                        holder.note(format!("`{}` holds {expected}", holder.name())),
                    ])
                } else if unknown {
                    Outcome::Undetermined(vec![
                        holder.note(format!("`{}` is known only after apply", holder.name())),
                    ])
                } else if let Some(expression) = expression {
                    Outcome::Undetermined(vec![holder.note(format!(
                        "`{}` holds an expression payplat cannot evaluate: `{expression}`",
                        holder.name()
                    ))])
                } else {
                    let missing: Vec<String> = missing.iter().map(|v| plain(v)).collect();
                    Outcome::Fail(vec![holder.note(format!(
                        "`{}` lacks {}; expected {expected}",
                        holder.name(),
                        missing.join(", ")
                    ))])
                }
            }
            _ => {
                let elements = match op {
                    Op::Equals(Value::Array(_) | Value::Object(_)) => nodes.to_vec(),
                    _ => flatten(nodes.to_vec()),
                };
                Outcome::all(elements.iter().map(|(at, value)| {
                    let node = here.at(value, at);
                    self.compare_one(op, &node, &expected)
                }))
            }
        }
    }

    fn compare_one(&self, op: &Op, node: &Here<'_, 'a>, expected: &str) -> Outcome<'a> {
        let value = node.value;
        let name = node.name();
        if is_unknown(value) {
            return Outcome::Undetermined(vec![
                node.note(format!("`{name}` is known only after apply")),
            ]);
        }
        let expression = value.as_str().filter(|s| is_expression(s));
        let holds = match op {
            Op::Equals(expected) => value == expected,
            Op::OneOf(options) => options.contains(value),
            Op::AtLeast(arg) | Op::AtMost(arg) => match (number(value), self.number(arg)) {
                (Some(actual), Some(bound)) if matches!(op, Op::AtLeast(_)) => actual >= bound,
                (Some(actual), Some(bound)) => actual <= bound,
                _ => false,
            },
            Op::Matches(re) => value.as_str().is_some_and(|s| re.is_match(s)),
            Op::GlobCovers(path) => {
                let pattern = value.as_str().unwrap_or_default();
                let covered = select(path, &self.subject.values);
                match covered.first().and_then(|(_, v)| v.as_str()) {
                    _ if pattern == "*" => true,
                    Some(name) if !is_expression(name) => ops::wildcard_matches(pattern, name),
                    _ => {
                        return Outcome::Undetermined(vec![node.note(format!(
                            "cannot tell whether `{name}` covers `{}`, which is not known",
                            path.display()
                        ))]);
                    }
                }
            }
            Op::Exists(_) | Op::ContainsAll(_) => unreachable!("compared as a whole"),
        };
        match (holds, expression) {
            (true, _) => {
                Outcome::Pass(vec![node.note(format!("`{name}` is {}", node.show(value)))])
            }
            (false, Some(expression)) => Outcome::Undetermined(vec![node.note(format!(
                "`{name}` is an expression payplat cannot evaluate: `{expression}`"
            ))]),
            (false, None) => Outcome::Fail(vec![node.note(format!(
                "`{name}` is {}; expected {expected}",
                node.show(value)
            ))]),
        }
    }

    fn number(&self, arg: &Arg) -> Option<f64> {
        match arg {
            Arg::Value(value) => number(value),
            Arg::Param(name) => self.params.get(name).and_then(number),
        }
    }

    /// What an operator wants, for messages.
    fn expectation(&self, op: &Op) -> String {
        let list = |values: &[Value]| values.iter().map(plain).collect::<Vec<_>>().join(", ");
        let bound = |arg: &Arg| {
            self.number(arg)
                .map_or_else(|| "?".to_owned(), |n| n.to_string())
        };
        match op {
            Op::Exists(true) => "it to be set".into(),
            Op::Exists(false) => "it not to be set".into(),
            Op::Equals(value) => plain(value),
            Op::OneOf(values) => format!("one of {}", list(values)),
            Op::ContainsAll(values) => format!("all of {}", list(values)),
            Op::AtLeast(arg) => format!("at least {}", bound(arg)),
            Op::AtMost(arg) => format!("at most {}", bound(arg)),
            Op::Matches(re) => format!("a match for `{}`", re.as_str()),
            Op::GlobCovers(path) => format!("a pattern covering `{}`", path.display()),
        }
    }

    fn each<'v>(
        &self,
        quantifier: Quantifier,
        path: &Path,
        filter: Option<&Check>,
        check: &Check,
        here: &Here<'v, 'a>,
    ) -> Outcome<'a> {
        let nodes = flatten(select(path, here.value));
        if nodes.is_empty() && here.unknown_below(&ops::static_prefix(&path.text)) {
            return Outcome::Undetermined(vec![
                here.note(format!("`{}` is known only after apply", path.display())),
            ]);
        }
        let outcomes: Vec<Outcome> = nodes
            .iter()
            .filter_map(|(at, value)| {
                let node = here.at(value, at);
                if is_unknown(value) {
                    return Some(Outcome::Undetermined(vec![node.note(format!("`{}` is known only after apply", node.name()))]));
                }
                let applies = match filter.map(|f| self.check(f, &node)) {
                    None | Some(Outcome::Pass(_)) => Some(true),
                    Some(Outcome::Fail(_)) => Some(false),
                    Some(Outcome::Undetermined(_)) => None,
                };
                match (applies, self.check(check, &node)) {
                    (Some(false), _) => None,
                    (None, Outcome::Fail(_)) => Some(Outcome::Undetermined(vec![node.note(format!(
                        "cannot tell whether the check applies to `{}`: part of it is known only after apply or is an expression",
                        node.name()
                    ))])),
                    (_, outcome) => Some(outcome),
                }
            })
            .collect();
        match quantifier {
            Quantifier::Every => Outcome::all(outcomes),
            Quantifier::Some if outcomes.is_empty() => Outcome::Fail(vec![
                here.note(format!("no `{}` qualifies", path.display())),
            ]),
            Quantifier::Some => Outcome::any(outcomes),
        }
    }

    fn decode<'v>(
        &self,
        path: &Path,
        format: DecodeAs,
        check: &Check,
        here: &Here<'v, 'a>,
    ) -> Outcome<'a> {
        let nodes = select(path, here.value);
        let Some((at, value)) = nodes.into_iter().find(|(_, v)| !v.is_null()) else {
            return if here.unknown_below(&ops::static_prefix(&path.text)) {
                Outcome::Undetermined(vec![
                    here.note(format!("`{}` is known only after apply", path.display())),
                ])
            } else {
                // No document, nothing it could allow.
                Outcome::Pass(Vec::new())
            };
        };
        let node = here.at(value, &at);
        let decoded = match value {
            _ if is_unknown(value) => Err("is known only after apply".to_owned()),
            Value::String(text) => match format {
                DecodeAs::Json => ops::decode_json(text),
                DecodeAs::IamPolicy => ops::decode_iam_policy(self.index, here.resource, text),
            },
            Value::Object(_) => Ok(value.clone()),
            other => Err(format!("is {}, not a document", node.show(other))),
        };
        match decoded {
            Ok(document) => {
                let inside = Here {
                    value: &document,
                    resource: node.resource,
                    at: node.at.clone(),
                    inner: Some(String::new()),
                };
                self.check(check, &inside)
            }
            Err(reason) => {
                Outcome::Undetermined(vec![node.note(format!("`{}` {reason}", node.name()))])
            }
        }
    }

    fn other_resources<'v>(
        &self,
        types: &[String],
        check: &Check,
        here: &Here<'v, 'a>,
    ) -> Outcome<'a> {
        let others: Vec<&Resource> = self
            .index
            .of_types(types)
            .filter(|r| !std::ptr::eq(*r, self.subject))
            .collect();
        if others.is_empty() {
            return Outcome::Fail(vec![
                here.note(format!("no {} in this file", types.join(" or "))),
            ]);
        }
        Outcome::any(others.into_iter().map(|other| {
            let values = ops::with_unknowns(other);
            let there = Here {
                value: &values,
                resource: other,
                at: String::new(),
                inner: None,
            };
            self.check(check, &there)
        }))
    }

    fn count_distinct<'v>(
        &self,
        follow: &Path,
        to: &[String],
        distinct: &[Path],
        op: &Op,
        here: &Here<'v, 'a>,
    ) -> Outcome<'a> {
        let nodes = select(follow, here.value);
        let Some((first_at, first_value)) = nodes.first().cloned() else {
            let prefix = ops::static_prefix(&follow.text);
            return Outcome::Fail(vec![
                here.nearest(&prefix)
                    .note(format!("`{}` is not set", follow.display())),
            ]);
        };
        let holder = here.at(first_value, &first_at);
        // Each target with the address of the instance it stands for.
        let mut targets: Vec<(String, &Resource)> = Vec::new();
        let mut unresolved: Vec<String> = Vec::new();
        let mut unbounded = false;
        for (at, value) in flatten(nodes) {
            let node = here.at(value, &at);
            match value.as_str() {
                Some(id) if !is_unknown(value) && !is_expression(id) => {
                    let found = self.index.with_id(to, id);
                    if found.is_empty() {
                        unresolved.push(format!("{id} is not in this file"));
                    }
                    targets.extend(found.into_iter().map(|r| (r.address.clone(), r)));
                }
                _ => {
                    let references: Vec<&str> = self
                        .subject
                        .references
                        .iter()
                        .filter(|r| crate::pointer::is_prefix(&node.at, &r.attribute))
                        .map(|r| r.target.as_str())
                        .collect();
                    let mut resolved = Vec::new();
                    for target in &references {
                        match self.index.resolve(self.subject, target) {
                            Some(found) => resolved.extend(
                                found
                                    .into_iter()
                                    .filter(|r| to.contains(&r.resource_type))
                                    .map(|r| (instance_address(r, target), r)),
                            ),
                            // A module output or a variable may stand for any number of resources.
                            None => {
                                unbounded = true;
                                unresolved.push(format!(
                                    "`{target}` is not a resource payplat can follow"
                                ));
                            }
                        }
                    }
                    if references.is_empty() {
                        unresolved.push(format!("`{}` names no resource", node.name()));
                    } else if resolved.is_empty() && !unbounded {
                        unresolved.push(format!("{} is not in this file", references.join(", ")));
                    }
                    targets.extend(resolved);
                }
            }
        }
        targets.sort_by(|a, b| a.0.cmp(&b.0));
        targets.dedup_by(|a, b| a.0 == b.0);
        let mut keys = BTreeSet::new();
        for (instance, target) in &targets {
            let values = ops::with_unknowns(target);
            let value = distinct.iter().find_map(|path| {
                select(path, &values)
                    .into_iter()
                    .map(|(_, v)| v.clone())
                    .find(|v| !v.is_null())
            });
            match value {
                Some(Value::String(text)) if is_unknown(&Value::String(text.clone())) => unresolved
                    .push(format!(
                        "the {} of {instance} is known only after apply",
                        distinct[0].display()
                    )),
                Some(Value::String(text))
                    if is_expression(&text)
                        && (text.contains("count.index") || text.contains("each.")) =>
                {
                    unresolved.push(format!(
                        "the {} of {instance} depends on the instance",
                        distinct[0].display()
                    ))
                }
                Some(Value::String(text)) => {
                    keys.insert(text);
                }
                _ => unresolved.push(format!("{instance} sets no {}", distinct[0].display())),
            }
        }
        let count = keys.len() as f64;
        let open = unresolved.len() as f64;
        let (holds, could_hold) = match op {
            Op::AtLeast(arg) => {
                let min = self.number(arg).unwrap_or(f64::INFINITY);
                (count >= min, unbounded || count + open >= min)
            }
            Op::AtMost(arg) => {
                let max = self.number(arg).unwrap_or(f64::NEG_INFINITY);
                (!unbounded && count + open <= max, count <= max)
            }
            _ => unreachable!("validated: follow compares with at-least or at-most"),
        };
        let mut found = format!(
            "`{}` leads to {} with {} distinct `{}`",
            holder.name(),
            crate::report::plural(targets.len(), to.join("/").as_str()),
            keys.len(),
            distinct[0].display(),
        );
        if !keys.is_empty() {
            found.push_str(&format!(
                " ({})",
                keys.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        if !unresolved.is_empty() {
            found.push_str(&format!("; {}", unresolved.join("; ")));
        }
        if holds {
            Outcome::Pass(vec![holder.note(found)])
        } else if could_hold {
            Outcome::Undetermined(vec![holder.note(found)])
        } else {
            Outcome::Fail(vec![
                holder.note(format!("{found}; expected {}", self.expectation(op))),
            ])
        }
    }
}

/// The instance a reference names: `aws_subnet.private[1].id` names instance `[1]` of a counted
/// resource even where the configuration holds one block for all of them.
fn instance_address(resource: &Resource, target: &str) -> String {
    let rest = target.strip_prefix("data.").unwrap_or(target);
    let after_type = rest.find('.').map_or(rest.len(), |dot| dot + 1);
    let name_end = rest[after_type..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .map_or(rest.len(), |end| after_type + end);
    let key = rest[name_end..]
        .strip_prefix('[')
        .filter(|_| resource.index.is_none())
        .and_then(|key| {
            key.find(']')
                .map(|close| &rest[name_end..name_end + close + 2])
        })
        .filter(|key| *key != "[*]");
    match key {
        Some(key) => format!("{}{key}", resource.address),
        None => resource.address.clone(),
    }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A value in a message: strings without quotes.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
