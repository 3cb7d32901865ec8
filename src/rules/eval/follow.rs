//! Checks that look beyond the resource under check: other resources of a type, and the
//! resources its references name, counted by a distinct value.

use super::outcome::Outcome;
use super::scope::{Here, Scope, flatten, select};
use super::values::{is_expression, is_unknown, with_unknowns};
use crate::model::{Resource, Traversal};
use crate::rules::schema::{Bound, Check, Path};
use serde_json::Value;
use std::collections::BTreeSet;

impl<'a> Scope<'_, 'a> {
    pub(super) fn other_resources(
        &self,
        types: &[String],
        check: &Check,
        here: &Here<'_, 'a>,
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
            let values = with_unknowns(other);
            self.check(check, &Here::top(&values, other))
        }))
    }

    pub(super) fn count_distinct(
        &self,
        follow: &Path,
        to: &[String],
        distinct: &[Path],
        bound: &Bound,
        here: &Here<'_, 'a>,
    ) -> Outcome<'a> {
        let nodes = select(follow, here.value);
        let Some((first_at, first_value)) = nodes.first().cloned() else {
            return here.absent(follow, format!("`{}` is not set", follow.display()));
        };
        let holder = here.at(first_value, &first_at);
        let counted = distinct[0].display();
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
                    targets.extend(found.into_iter().map(|r| (r.address.to_string(), r)));
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
                                    .filter(|r| to.contains(&r.address.resource_type))
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
            let values = with_unknowns(target);
            let value = distinct.iter().find_map(|path| {
                select(path, &values)
                    .into_iter()
                    .map(|(_, v)| v.clone())
                    .find(|v| !v.is_null())
            });
            match value {
                Some(value) if is_unknown(&value) => unresolved.push(format!(
                    "the {counted} of {instance} is known only after apply"
                )),
                Some(Value::String(text))
                    if is_expression(&text)
                        && (text.contains("count.index") || text.contains("each.")) =>
                {
                    unresolved.push(format!(
                        "the {counted} of {instance} depends on the instance"
                    ))
                }
                Some(Value::String(text)) => {
                    keys.insert(text);
                }
                _ => unresolved.push(format!("{instance} sets no {counted}")),
            }
        }
        let count = keys.len() as f64;
        let open = unresolved.len() as f64;
        let (holds, could_hold) = match (bound, self.bound(bound)) {
            (Bound::AtLeast(_), min) => {
                let min = min.unwrap_or(f64::INFINITY);
                (count >= min, unbounded || count + open >= min)
            }
            (Bound::AtMost(_), max) => {
                let max = max.unwrap_or(f64::NEG_INFINITY);
                (!unbounded && count + open <= max, count <= max)
            }
        };
        let mut found = format!(
            "`{}` leads to {} with {} distinct `{counted}`",
            holder.name(),
            crate::text::plural(targets.len(), to.join("/").as_str()),
            keys.len(),
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
                holder.note(format!("{found}; expected {}", self.bound_words(bound))),
            ])
        }
    }
}

/// The instance a reference names: `aws_subnet.private[1].id` names instance `[1]` of a counted
/// resource even where the configuration holds one block for all of them.
fn instance_address(resource: &Resource, reference: &str) -> String {
    let key = Traversal::parse(None, reference)
        .and_then(|t| t.key)
        .filter(|_| resource.address.index.is_none());
    format!("{}{}", resource.address, key.unwrap_or_default())
}
