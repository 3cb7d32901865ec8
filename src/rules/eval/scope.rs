//! Where a check stands while it runs, and the checks that move it: `each`/`some`, `decode`.

use super::outcome::{Note, Outcome};
use super::select::{Node, select};
use super::values::{attribute_name, is_unknown, under, unevaluated};
use crate::model::{REDACTED, Resource};
use crate::rules::decode;
use crate::rules::index::ModuleIndex;
use crate::rules::schema::{Arg, Check, CheckKind, DecodeAs, Path, Quantifier};
use serde_json::{Map, Value};

/// What a rule sees while it checks one resource.
pub(crate) struct Scope<'s, 'a> {
    pub index: &'s ModuleIndex<'a>,
    /// The resource under check.
    pub subject: &'a Resource,
    pub params: &'s Map<String, Value>,
}

/// Where `$` is: a value inside a resource's values, or inside a document embedded in one of
/// its string attributes (then `at` names the attribute and `inner` the place in the document).
#[derive(Clone)]
pub(crate) struct Here<'v, 'a> {
    pub value: &'v Value,
    pub resource: &'a Resource,
    pub at: String,
    pub inner: Option<String>,
}

impl<'v, 'a> Here<'v, 'a> {
    /// The top of a resource's values.
    pub fn top(value: &'v Value, resource: &'a Resource) -> Here<'v, 'a> {
        Here {
            value,
            resource,
            at: String::new(),
            inner: None,
        }
    }

    /// `$` moved to a node selected at `relative` (a pointer from the current `$`).
    pub fn at(&self, value: &'v Value, relative: &str) -> Here<'v, 'a> {
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

    pub fn name(&self) -> String {
        match &self.inner {
            Some(inner) if !inner.is_empty() => {
                format!("{} → {}", attribute_name(&self.at), attribute_name(inner))
            }
            _ => attribute_name(&self.at),
        }
    }

    /// A value as a message may show it: never a sensitive one.
    pub fn show(&self, value: &Value) -> String {
        if self.resource.is_sensitive(&self.at) {
            return REDACTED.to_owned();
        }
        if is_unknown(value) {
            return "(known after apply)".to_owned();
        }
        crate::text::elide(&value.to_string(), 80)
    }

    pub fn note(&self, message: String) -> Note<'a> {
        Note {
            resource: self.resource,
            summary: None,
            at: self.at.clone(),
            message,
            trace: Vec::new(),
        }
    }

    /// Whether something at or below `relative` is known only after apply, so that its absence
    /// from the values proves nothing.
    pub fn unknown_below(&self, relative: &str) -> bool {
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
    pub fn nearest(&self, relative: &str) -> Here<'v, 'a> {
        let mut best = String::new();
        for candidate in crate::pointer::ancestors(relative).chain(std::iter::once(relative)) {
            if self.value.pointer(candidate).is_some() {
                best = candidate.to_owned();
            }
        }
        let value = self.value.pointer(&best).unwrap_or(self.value);
        self.at(value, &best)
    }

    /// What a path that selects nothing (or only `null`) means where absence fails:
    /// undetermined when Terraform knows something there only after apply, else `missing`.
    pub fn absent(&self, path: &Path, missing: String) -> Outcome<'a> {
        let prefix = path.static_prefix();
        if self.unknown_below(&prefix) {
            Outcome::Undetermined(vec![self.note(format!(
                "`{}` is known only after apply",
                self.qualified(path.display())
            ))])
        } else if let Some((at, expression)) =
            super::hidden::expression_on_the_way(self.value, path)
        {
            let hidden = self.at(self.value.pointer(&at).unwrap_or(self.value), &at);
            Outcome::Undetermined(vec![hidden.note(format!(
                "`{}` cannot be told: {}",
                self.qualified(path.display()),
                unevaluated(&expression)
            ))])
        } else {
            Outcome::Fail(vec![self.nearest(&prefix).note(missing)])
        }
    }

    /// An attribute path relative to here, as users read it.
    pub fn qualified(&self, path: &str) -> String {
        match self.name() {
            context if context.is_empty() => path.to_owned(),
            context => format!("{context}.{path}"),
        }
    }
}

/// Arrays stand for their elements: `scan_on_push` may be under a block written as an object
/// (configuration) or a one-element array (plan), and lists are compared element by element.
pub(crate) fn flatten<'v>(nodes: Vec<Node<'v>>) -> Vec<Node<'v>> {
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
    /// Runs one check node.
    pub fn check(&self, check: &Check, here: &Here<'_, 'a>) -> Outcome<'a> {
        let outcome = match &check.kind {
            CheckKind::Test {
                source,
                key_matches,
                op,
            } => self.test(source, key_matches.as_ref(), op, here),
            CheckKind::All(checks) => Outcome::all(checks.iter().map(|c| self.check(c, here))),
            CheckKind::Any(checks) => Outcome::any(checks.iter().map(|c| self.check(c, here))),
            CheckKind::Not(inner) => self
                .check(inner, here)
                .not(|| here.note("a check that must not hold holds".into())),
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
                bound,
            } => self.count_distinct(follow, to, distinct, bound, here),
            CheckKind::Related {
                direction,
                types,
                via,
                transitive,
                check,
            } => self.related(
                *direction,
                types,
                via.as_ref(),
                *transitive,
                check.as_deref(),
                here,
            ),
            // Put in place when the rule loaded.
            CheckKind::Predicate { name, .. } => Outcome::Undetermined(vec![
                here.note(format!("predicate `{name}` is not defined")),
            ]),
        };
        match (&outcome, &check.message) {
            (Outcome::Fail(_), Some(message)) => outcome.summarized(Some(&self.fill(message))),
            _ => outcome,
        }
    }

    /// A message with each `{parameter}` replaced by the parameter's value.
    pub fn fill(&self, message: &str) -> String {
        let mut out = message.to_owned();
        for name in crate::rules::schema::placeholders_in(message) {
            let shown = match self.params.get(name) {
                Some(Value::String(text)) => text.clone(),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(", "),
                Some(value) => value.to_string(),
                None => continue,
            };
            out = out.replace(&format!("{{{name}}}"), &shown);
        }
        out
    }

    /// A rule parameter, or a value written in the rule.
    pub fn value<'s>(&'s self, arg: &'s Arg) -> &'s Value {
        match arg {
            Arg::Value(value) => value,
            // Validated when the rule loaded: every parameter used is declared.
            Arg::Param { name, .. } => self.params.get(name).unwrap_or(&Value::Null),
        }
    }

    fn each(
        &self,
        quantifier: Quantifier,
        path: &Path,
        filter: Option<&Check>,
        check: &Check,
        here: &Here<'_, 'a>,
    ) -> Outcome<'a> {
        let nodes = flatten(select(path, here.value));
        if nodes.is_empty() && here.unknown_below(&path.static_prefix()) {
            return Outcome::Undetermined(vec![
                here.note(format!("`{}` is known only after apply", path.display())),
            ]);
        }
        if nodes.is_empty()
            && let Some((_, expression)) = super::hidden::expression_on_the_way(here.value, path)
        {
            return Outcome::Undetermined(vec![here.note(format!(
                "`{}` cannot be told: {}",
                here.qualified(path.display()),
                unevaluated(&expression)
            ))]);
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
                let outcome = self.check(check, &node);
                // An entry that may not qualify decides neither a failing `each` nor a `some`.
                let undecided = matches!(
                    (&outcome, quantifier),
                    (Outcome::Fail(_), _) | (Outcome::Pass(_), Quantifier::Some)
                );
                match (applies, outcome) {
                    (Some(false), _) => None,
                    (None, _) if undecided => Some(Outcome::Undetermined(vec![node.note(format!(
                        "cannot tell whether the check applies to `{}`: part of it is known only after apply or is an expression",
                        node.name()
                    ))])),
                    (_, outcome) => Some(outcome),
                }
            })
            .collect();
        match quantifier {
            // Every one of none holds: nothing selected has nothing to violate.
            Quantifier::Every if outcomes.is_empty() => Outcome::Pass(vec![here.note(format!(
                "no entry of `{}` is one the rule checks",
                here.qualified(path.display())
            ))]),
            Quantifier::Every => Outcome::all(outcomes),
            Quantifier::Some if outcomes.is_empty() => Outcome::Fail(vec![
                here.note(format!("no `{}` qualifies", path.display())),
            ]),
            Quantifier::Some => Outcome::any(outcomes),
        }
    }

    fn decode(
        &self,
        path: &Path,
        format: DecodeAs,
        check: &Check,
        here: &Here<'_, 'a>,
    ) -> Outcome<'a> {
        let nodes = select(path, here.value);
        let Some((at, value)) = nodes.into_iter().find(|(_, v)| !v.is_null()) else {
            let named = here.qualified(path.display());
            return here.absent(path, format!("`{named}` is not set; expected a document"));
        };
        let node = here.at(value, &at);
        let decoded = match value {
            _ if is_unknown(value) => Err("is known only after apply".to_owned()),
            Value::String(text) => match format {
                DecodeAs::Json => decode::decode_json(text),
                DecodeAs::IamPolicy => decode::decode_iam_policy(self.index, here.resource, text),
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
}
