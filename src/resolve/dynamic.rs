//! `dynamic` blocks, as Terraform expands them: each element of a known `for_each` makes one
//! block from `content`, evaluated with the iterator (the block's name, or `iterator = NAME`)
//! bound to the element's `key` and `value`; nested `dynamic` blocks expand inside, with every
//! iterator of the blocks around them in scope. The blocks made follow the static blocks of the
//! same name. Where `for_each` is not known, neither is how many blocks there are: the whole
//! list of blocks of that name is then the unknown expression, never an empty list.
//!
//! Both syntaxes write them alike (`"dynamic": {"statement": {"for_each": …, "content": {…}}}`
//! in JSON; the `.tf` loader reads `dynamic "statement" {…}` into that form).

use super::evaluate::{Names, Partial, evaluate_json_reading, evaluate_string_reading};
use super::scoped::{Binding, Scoped};
use crate::model::Hop;
use crate::pointer;
use serde_json::{Map, Value};
use std::cell::RefCell;

/// Where the blocks expanded in one body came from: each made block's pointer, with the pointer
/// of the `content` it was made from (so a finding in it points at the source).
pub(super) type Made = Vec<(String, String)>;

/// Whether any block of `body`, at any depth, is dynamic.
pub(super) fn has_dynamic(body: &Value) -> bool {
    match body {
        Value::Object(members) => {
            members.get("dynamic").is_some_and(is_dynamic) || members.values().any(has_dynamic)
        }
        Value::Array(items) => items.iter().any(has_dynamic),
        _ => false,
    }
}

/// A `dynamic` member that is blocks (`{NAME: {content: …}}`), not an attribute of that name.
fn is_dynamic(member: &Value) -> bool {
    let spec = |spec: &Value| spec.get("content").is_some_and(Value::is_object);
    member.as_object().is_some_and(|names| {
        !names.is_empty()
            && names.values().all(|specs| match specs {
                Value::Array(each) => each.iter().all(spec),
                one => spec(one),
            })
    })
}

/// Expands every dynamic block of `body` (at `at`, written at `source`), in place, at any
/// depth; the body's own attributes are left to the caller.
pub(super) fn expand(
    body: &mut Value,
    names: &dyn Names,
    read: &RefCell<Vec<Hop>>,
    (at, source): (&str, &str),
    made: &mut Made,
) {
    match body {
        Value::Object(members) => {
            let dynamic = members
                .get("dynamic")
                .is_some_and(is_dynamic)
                .then(|| members.remove("dynamic"))
                .flatten();
            for (key, member) in members.iter_mut() {
                let (at, source) = (pointer::join(at, key), pointer::join(source, key));
                expand(member, names, read, (&at, &source), made);
            }
            let Some(Value::Object(dynamic)) = dynamic else {
                return;
            };
            for (name, specs) in dynamic {
                let specs_at = pointer::join(&pointer::join(source, "dynamic"), &name);
                let specs: Vec<(String, Value)> = match specs {
                    Value::Array(each) => each
                        .into_iter()
                        .enumerate()
                        .map(|(i, spec)| (pointer::join_index(&specs_at, i), spec))
                        .collect(),
                    one => vec![(specs_at, one)],
                };
                let blocks_at = pointer::join(at, &name);
                let mut blocks = match members.remove(&name) {
                    None => Some(Vec::new()),
                    Some(Value::Array(items)) => Some(items),
                    Some(Value::Object(one)) => {
                        // The one static block becomes the first of a list.
                        let first = pointer::join_index(&blocks_at, 0);
                        made.push((first, pointer::join(source, &name)));
                        Some(vec![Value::Object(one)])
                    }
                    Some(_) => None,
                };
                let mut unknown = None;
                for (spec_at, spec) in specs {
                    match made_blocks(
                        &spec,
                        &name,
                        names,
                        read,
                        (&blocks_at, &spec_at),
                        blocks.as_ref().map_or(0, Vec::len),
                        made,
                    ) {
                        Ok(more) => {
                            if let Some(blocks) = &mut blocks {
                                blocks.extend(more);
                            }
                        }
                        Err(expression) => unknown = unknown.or(Some(expression)),
                    }
                }
                let value = match (unknown, blocks) {
                    (None, Some(blocks)) => Value::Array(blocks),
                    (Some(expression), _) => Value::String(expression),
                    (None, None) => Value::String(format!("${{dynamic.{name}}}")),
                };
                members.insert(name, value);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                let (at, source) = (pointer::join_index(at, i), pointer::join_index(source, i));
                expand(item, names, read, (&at, &source), made);
            }
        }
        _ => {}
    }
}

/// The blocks one dynamic block makes, numbered on from `first`; or, where its `for_each` is
/// not known, the expression that stands for them.
fn made_blocks(
    spec: &Value,
    name: &str,
    names: &dyn Names,
    read: &RefCell<Vec<Hop>>,
    (blocks_at, spec_at): (&str, &str),
    first: usize,
    made: &mut Made,
) -> Result<Vec<Value>, String> {
    let for_each = spec.get("for_each").cloned().unwrap_or(Value::Null);
    let elements: Vec<(Value, Value)> = match evaluate_json_reading(&for_each, names, read) {
        Ok(Partial {
            value: Value::Array(items),
            ..
        }) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| (Value::from(i), item))
            .collect(),
        Ok(Partial {
            value: Value::Object(members),
            ..
        }) => members
            .into_iter()
            .map(|(key, value)| (Value::String(key), value))
            .collect(),
        Ok(Partial {
            value: Value::String(expression),
            tokens: true,
        }) => return Err(expression),
        _ => {
            return Err(match for_each {
                Value::String(expression) if super::evaluate::is_token(&expression) => expression,
                _ => format!("${{dynamic.{name}}}"),
            });
        }
    };
    let iterator = spec.get("iterator").and_then(Value::as_str).unwrap_or(name);
    let content = spec
        .get("content")
        .cloned()
        .unwrap_or(Value::Object(Map::new()));
    let content_at = pointer::join(spec_at, "content");
    let mut blocks = Vec::with_capacity(elements.len());
    for (i, (key, value)) in elements.into_iter().enumerate() {
        let at = pointer::join_index(blocks_at, first + i);
        let bound = Scoped {
            outer: names,
            binding: Binding::Iterator {
                name: iterator,
                key,
                value,
            },
        };
        let mut block = content.clone();
        evaluate_attributes(&mut block, &bound, read);
        expand(&mut block, &bound, read, (&at, &content_at), made);
        made.push((at, content_at.clone()));
        blocks.push(block);
    }
    Ok(blocks)
}

/// Evaluates every string of a block body but those of its own dynamic blocks, which their
/// expansion evaluates with their iterators bound. What cannot be evaluated stays as written.
fn evaluate_attributes(body: &mut Value, names: &dyn Names, read: &RefCell<Vec<Hop>>) {
    match body {
        Value::String(text) => {
            if let Ok(value) = evaluate_string_reading(text, names, read) {
                *body = value.value;
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| evaluate_attributes(item, names, read)),
        Value::Object(members) => {
            for (key, member) in members.iter_mut() {
                if key != "dynamic" || !is_dynamic(member) {
                    evaluate_attributes(member, names, read);
                }
            }
        }
        _ => {}
    }
}
