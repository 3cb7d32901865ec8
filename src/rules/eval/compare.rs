//! Tests: an operator applied to the nodes a path selects, or to a parameter.
//!
//! A new comparison is a variant of [`Comparison`] (read in `schema.rs`), its case in
//! [`Scope::compare_one`] and its words in [`Scope::expectation`].

use super::outcome::Outcome;
use super::schedule::Period;
use super::scope::{Here, Scope, flatten};
use super::select::{Node, select};
use super::values::{is_expression, is_unknown, unevaluated};
use crate::rules::schema::{Arg, Bound, Comparison, Op, Source};
use serde_json::Value;

impl<'a> Scope<'_, 'a> {
    pub(super) fn test(
        &self,
        source: &Source,
        key_matches: Option<&regex::Regex>,
        op: &Op,
        here: &Here<'_, 'a>,
    ) -> Outcome<'a> {
        let path = match source {
            Source::Param { name, .. } => {
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
                at.rsplit('/')
                    .next()
                    .is_some_and(|key| key_matches.is_match(&crate::pointer::unescape(key)))
            });
        }
        let present: Vec<Node> = nodes.into_iter().filter(|(_, v)| !v.is_null()).collect();
        if present.is_empty() {
            match op {
                Op::Exists(false) => return Outcome::Pass(Vec::new()),
                Op::Count(bound) if !here.unknown_below(&path.static_prefix()) => {
                    return self.count(bound, &[], here, path.display());
                }
                _ => {}
            }
            let missing = match key_matches {
                Some(re) => format!(
                    "`{}` has no key matching `{}`",
                    here.qualified(path.display().trim_end_matches(".*")),
                    re.as_str()
                ),
                None => format!("`{}` is not set", here.qualified(path.display())),
            };
            return here.absent(
                path,
                format!("{missing}; expected {}", self.expectation(op)),
            );
        }
        self.compare(op, &present, here, path.display())
    }

    /// Applies an operator to present nodes.
    fn compare(&self, op: &Op, nodes: &[Node<'_>], here: &Here<'_, 'a>, name: &str) -> Outcome<'a> {
        let expected = self.expectation(op);
        match op {
            Op::Exists(expect) => {
                let notes = nodes
                    .iter()
                    .map(|(at, v)| {
                        let node = here.at(v, at);
                        node.note(format!("`{}` is set", node.name()))
                    })
                    .collect();
                if nodes.iter().any(|(_, v)| is_unknown(v)) {
                    Outcome::Undetermined(vec![
                        here.note(format!("`{name}` is known only after apply")),
                    ])
                } else if let Some(text) = nodes.iter().find_map(|(_, v)| may_be_null(v)) {
                    Outcome::Undetermined(vec![here.note(format!(
                        "`{name}` is `{text}`, which may be null: Terraform then leaves it unset"
                    ))])
                } else if *expect {
                    Outcome::Pass(notes)
                } else {
                    Outcome::Fail(notes)
                }
            }
            Op::ContainsAll(required) => {
                let elements = flatten(nodes.to_vec());
                let holder = here.at(nodes[0].1, &nodes[0].0);
                let required = self
                    .value(required)
                    .as_array()
                    .map_or(&[][..], Vec::as_slice);
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
                        "`{}` holds {}",
                        holder.name(),
                        unevaluated(expression)
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
            Op::Count(bound) => self.count(bound, nodes, here, name),
            Op::Compare(comparison) => {
                let whole = matches!(comparison, Comparison::Equals(arg)
                    if matches!(self.value(arg), Value::Array(_) | Value::Object(_)));
                let elements = if whole {
                    nodes.to_vec()
                } else {
                    flatten(nodes.to_vec())
                };
                Outcome::all(elements.iter().map(|(at, value)| {
                    self.compare_one(comparison, &here.at(value, at), &expected)
                }))
            }
        }
    }

    fn compare_one(
        &self,
        comparison: &Comparison,
        node: &Here<'_, 'a>,
        expected: &str,
    ) -> Outcome<'a> {
        let value = node.value;
        let name = node.name();
        if is_unknown(value) {
            return Outcome::Undetermined(vec![
                node.note(format!("`{name}` is known only after apply")),
            ]);
        }
        let expression = value.as_str().filter(|s| is_expression(s));
        let holds = match comparison {
            Comparison::Equals(arg) => converts_to(value, self.value(arg)),
            Comparison::OneOf(arg) => self
                .value(arg)
                .as_array()
                .is_some_and(|options| options.iter().any(|o| converts_to(value, o))),
            Comparison::Covers(arg) => match (value.as_str(), self.value(arg).as_str()) {
                (Some(pattern), Some(text)) => crate::text::iam_pattern_matches(pattern, text),
                _ => false,
            },
            Comparison::Bound(bound) => match (number(value), self.bound(bound)) {
                (Some(actual), Some(limit)) if matches!(bound, Bound::AtLeast(_)) => {
                    actual >= limit
                }
                (Some(actual), Some(limit)) => actual <= limit,
                _ => false,
            },
            Comparison::Matches(re) => value.as_str().is_some_and(|s| re.is_match(s)),
            Comparison::PeriodAtMost(days) => match value.as_str().map(super::schedule::period) {
                Some(Period::AtMost(period)) => {
                    number(self.value(days)).is_some_and(|days| period <= days)
                }
                Some(Period::Unbounded(why)) if expression.is_none() => {
                    return Outcome::Undetermined(vec![
                        node.note(format!("cannot tell how often `{name}` runs: {why}")),
                    ]);
                }
                _ => false,
            },
            Comparison::TextMatches(re) => {
                let holds = value.as_str().is_some_and(|s| re.is_match(s));
                return match holds {
                    true => {
                        Outcome::Pass(vec![node.note(format!("`{name}` is {}", node.show(value)))])
                    }
                    false => Outcome::Fail(vec![node.note(format!(
                        "`{name}` is {}; expected {expected}",
                        node.show(value)
                    ))]),
                };
            }
            Comparison::GlobCovers(path) => {
                let pattern = value.as_str().unwrap_or_default();
                let covered = self.subject.values.read(|values| {
                    let covered = select(path, values);
                    covered
                        .first()
                        .and_then(|(_, v)| v.as_str())
                        .map(str::to_owned)
                });
                match covered.as_deref() {
                    _ if pattern == "*" => true,
                    Some(name) if !is_expression(name) => {
                        crate::text::ecr_filter_covers(pattern, name)
                    }
                    _ => {
                        return Outcome::Undetermined(vec![node.note(format!(
                            "cannot tell whether `{name}` covers `{}`, which is not known",
                            path.display()
                        ))]);
                    }
                }
            }
        };
        match (holds, expression) {
            (true, _) => {
                Outcome::Pass(vec![node.note(format!("`{name}` is {}", node.show(value)))])
            }
            (false, Some(expression)) => Outcome::Undetermined(vec![
                node.note(format!("`{name}` is {}", unevaluated(expression))),
            ]),
            (false, None) => Outcome::Fail(vec![node.note(format!(
                "`{name}` is {}; expected {expected}",
                node.show(value)
            ))]),
        }
    }

    /// How many values there are, against a bound; a value known only after apply leaves the
    /// count open.
    fn count(
        &self,
        bound: &Bound,
        nodes: &[Node<'_>],
        here: &Here<'_, 'a>,
        name: &str,
    ) -> Outcome<'a> {
        let (holder, name) = match nodes {
            [(at, value)] => {
                let holder = here.at(value, at);
                let name = holder.name();
                (holder, name)
            }
            _ => (here.clone(), name.to_owned()),
        };
        let elements = flatten(nodes.to_vec());
        if elements.iter().any(|(_, v)| is_unknown(v)) {
            return Outcome::Undetermined(vec![
                holder.note(format!("`{name}` is known only after apply")),
            ]);
        }
        let count = elements.len() as f64;
        let holds = match (bound, self.bound(bound)) {
            (Bound::AtLeast(_), Some(min)) => count >= min,
            (Bound::AtMost(_), Some(max)) => count <= max,
            (_, None) => false,
        };
        let found = format!(
            "`{name}` holds {}",
            crate::text::plural(elements.len(), "value")
        );
        if holds {
            Outcome::Pass(vec![holder.note(found)])
        } else {
            let values: Vec<String> = elements.iter().map(|(_, v)| holder.show(v)).collect();
            Outcome::Fail(vec![holder.note(format!(
                "{found} ({}); expected {}",
                values.join(", "),
                self.bound_words(bound)
            ))])
        }
    }

    /// A bound's number: written in the rule, or the parameter's value.
    pub(super) fn bound(&self, bound: &Bound) -> Option<f64> {
        match bound {
            Bound::AtLeast(arg) | Bound::AtMost(arg) => number(self.value(arg)),
        }
    }

    /// What an operator wants, for messages.
    pub(super) fn expectation(&self, op: &Op) -> String {
        let list = |arg: &Arg| match self.value(arg) {
            Value::Array(values) => values.iter().map(plain).collect::<Vec<_>>().join(", "),
            other => plain(other),
        };
        match op {
            Op::Exists(true) => "it to be set".into(),
            Op::Exists(false) => "it not to be set".into(),
            Op::ContainsAll(values) => format!("all of {}", list(values)),
            Op::Count(bound) => self.bound_words(bound),
            Op::Compare(Comparison::Equals(value)) => plain(self.value(value)),
            Op::Compare(Comparison::OneOf(values)) => format!("one of {}", list(values)),
            Op::Compare(Comparison::Bound(bound)) => self.bound_words(bound),
            Op::Compare(Comparison::Matches(re)) => format!("a match for `{}`", re.as_str()),
            Op::Compare(Comparison::PeriodAtMost(days)) => {
                format!(
                    "a schedule that runs at least every {} days",
                    plain(self.value(days))
                )
            }
            Op::Compare(Comparison::TextMatches(re)) => {
                format!("text written to match `{}`", re.as_str())
            }
            Op::Compare(Comparison::GlobCovers(path)) => {
                format!("a pattern covering `{}`", path.display())
            }
            Op::Compare(Comparison::Covers(text)) => {
                format!("a pattern covering {}", plain(self.value(text)))
            }
        }
    }

    /// `at least 3`, `at most 7`.
    pub(super) fn bound_words(&self, bound: &Bound) -> String {
        let limit = self
            .bound(bound)
            .map_or_else(|| "?".to_owned(), |n| n.to_string());
        match bound {
            Bound::AtLeast(_) => format!("at least {limit}"),
            Bound::AtMost(_) => format!("at most {limit}"),
        }
    }
}

/// Whether `actual` is `expected` once Terraform has converted it to the expected type: the
/// strings `"true"` and `"false"` to bools, a string that holds a number to that number.
fn converts_to(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::String(text), Value::Bool(b)) => text == if *b { "true" } else { "false" },
        (Value::String(_), Value::Number(n)) => {
            number(actual).is_some_and(|a| Some(a) == n.as_f64())
        }
        _ => actual == expected,
    }
}

/// A number, or a string that holds one (as Terraform converts it).
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

/// An expression payplat could not evaluate that may give `null` (`var.on ? key : null`,
/// `lookup(m, k, null)`): whether the attribute is set depends on it.
fn may_be_null(value: &Value) -> Option<&str> {
    let text = value.as_str()?;
    let body = text.strip_prefix("${")?.strip_suffix('}')?;
    let null = body
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|word| word == "null");
    (null && crate::expr::template_spans(text).len() == 1).then_some(text)
}
