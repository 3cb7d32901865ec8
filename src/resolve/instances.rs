//! A module's resources, evaluated: a block whose `count` or `for_each` is known becomes its
//! instances, as in a plan (`aws_subnet.private["a"]`), each evaluated with its own
//! `count.index` or `each.key` and `each.value`; every template is replaced by its value where
//! that is known, in whole or in part, and the references are read again from what results.

use super::evaluate::{Names, evaluate_json, evaluate_string_reading};
use super::scoped::{Binding, InstanceKey, Scoped};
use super::{dynamic, functions};
use crate::model::{Address, Document, Hop, Reference, Resource};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::HashMap;

/// Evaluates the resources of `document`, a file of the module whose names are `names`, whose
/// path is `module` and whose tokens written elsewhere are `foreign` (filled in as values are
/// passed in and out of modules).
pub(super) fn evaluate_resources(
    document: &mut Document,
    names: &dyn Names,
    module: &str,
    foreign: &RefCell<HashMap<String, String>>,
) {
    let blocks = std::mem::take(&mut document.resources);
    let mut made = Vec::new();
    for block in blocks {
        match instance_keys(
            block.values.get("count"),
            block.values.get("for_each"),
            names,
        ) {
            Some(keys) => {
                let mut block = block;
                if let Value::Object(members) = &mut *block.values {
                    members.remove("count");
                    members.remove("for_each");
                }
                let base = block.address.clone();
                let last = keys.len().saturating_sub(1);
                // Kept only where instances can share it: one instance would only copy into it.
                let mut alike = Evaluations::new();
                let several = last > 0;
                let mut block = Some(block);
                for (i, key) in keys.into_iter().enumerate() {
                    // The last instance is the block itself: one copy fewer.
                    let copy = if i == last {
                        block.take()
                    } else {
                        block.clone()
                    };
                    let Some(mut instance) = copy else { break };
                    instance.address = Address::new(
                        base.module().map(str::to_owned),
                        base.mode,
                        base.resource_type(),
                        base.name(),
                        Some(key.index()),
                    );
                    let names = Scoped {
                        outer: names,
                        binding: Binding::Instance(key),
                    };
                    evaluate_values(
                        &mut instance,
                        &names,
                        module,
                        foreign,
                        &mut made,
                        several.then_some(&mut alike),
                    );
                    document.resources.push(instance);
                }
            }
            None => {
                let mut block = block;
                evaluate_values(&mut block, names, module, foreign, &mut made, None);
                document.resources.push(block);
            }
        }
    }
    // OpenTofu's `lifecycle { enabled = false }` makes no instance, as `count = 0`.
    document
        .resources
        .retain(|r| r.lifecycle_enabled() != Some(&Value::Bool(false)));
    made.sort();
    made.dedup();
    document.made = made;
}

/// Marks the resources of a module instance that may not be made (its call's `count` or
/// `for_each` is not known) as ones whose own count is not known.
pub(super) fn may_not_be_made(document: &mut Document) {
    for resource in &mut document.resources {
        if let Value::Object(members) = &mut *resource.values {
            members.remove("for_each");
            members.insert(
                "count".to_owned(),
                Value::String("${count.of_the_module_call}".to_owned()),
            );
        }
    }
}

/// The most instances one block or module call makes here: more are not a configuration but an
/// input built to exhaust memory, and are read as instances not known.
const MAX_INSTANCES: usize = 10_000;

/// The instances of a resource or module call whose `count` or `for_each` these inputs know.
pub(super) fn instance_keys(
    count: Option<&Value>,
    for_each: Option<&Value>,
    names: &dyn Names,
) -> Option<Vec<InstanceKey>> {
    if let Some(count) = count {
        let count = evaluate_json(count, names).ok().filter(|v| !v.tokens)?;
        let count = functions::to_number(&count.value)?;
        return (count >= 0.0 && count.fract() == 0.0 && count <= MAX_INSTANCES as f64)
            .then(|| (0..count as u64).map(InstanceKey::Count).collect());
    }
    // The keys must be known; the values they carry may hold what is known only after apply.
    let is_expression = |key: &str| !crate::expr::template_spans(key).is_empty();
    let keys: Vec<InstanceKey> = match evaluate_json(for_each?, names).ok()?.value {
        Value::Object(members) if !members.keys().any(|k| is_expression(k)) => Some(
            members
                .into_iter()
                .map(|(key, value)| InstanceKey::Each(key, value))
                .collect(),
        ),
        // A set of strings: each key is its value.
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item.as_str() {
                Some(key) if !is_expression(key) => Some(InstanceKey::Each(key.to_owned(), item)),
                _ => None,
            })
            .collect(),
        _ => None,
    }?;
    (keys.len() <= MAX_INSTANCES).then_some(keys)
}

/// The templates of one block evaluated so far, by text, with what they read (`None`: left as
/// written). One that reads neither `each` nor `count` gives every instance the same value.
type Evaluations = HashMap<String, Option<(Value, Vec<Hop>)>>;

fn evaluate_values(
    resource: &mut Resource,
    names: &dyn Names,
    module: &str,
    foreign: &RefCell<HashMap<String, String>>,
    expanded: &mut dynamic::Made,
    mut alike: Option<&mut Evaluations>,
) {
    let mut read_at: Vec<(String, Vec<Hop>)> = Vec::new();
    if dynamic::has_dynamic(&resource.values) {
        let read = RefCell::default();
        let at = resource.pointer_to("");
        let mut made = Vec::new();
        dynamic::expand(&mut resource.values, names, &read, (&at, &at), &mut made);
        let read = read.into_inner();
        // What the blocks made read (not a static block that only moved into their list).
        for (block, _) in made
            .iter()
            .filter(|(_, source)| source.contains("/dynamic/"))
        {
            let relative = block.strip_prefix(at.as_str()).unwrap_or_default();
            read_at.push((relative.to_owned(), read.clone()));
        }
        // The values moved: their references are read again.
        if read_at.is_empty() {
            read_at.push((String::new(), read));
        }
        expanded.extend(made);
    }
    crate::pointer::for_each_leaf_at_mut(&mut resource.values, &mut |at, leaf| {
        let Value::String(text) = leaf else { return };
        // `depends_on` names what to wait for (`module.x`): it is not a value.
        if !worth_evaluating(text, names) || crate::pointer::is_prefix("/depends_on", at) {
            return;
        }
        let same_for_every_instance =
            alike.is_some() && !text.contains("each") && !text.contains("count");
        let known = alike
            .as_ref()
            .filter(|_| same_for_every_instance)
            .and_then(|alike| alike.get(text.as_str()).cloned());
        let evaluated = match known {
            Some(done) => done,
            None => {
                let read = RefCell::default();
                let done = evaluate_string_reading(text, names, &read)
                    .ok()
                    .filter(|evaluated| evaluated.value.as_str() != Some(text.as_str()))
                    .map(|evaluated| (evaluated.value, read.into_inner()));
                if let Some(alike) = alike.as_mut().filter(|_| same_for_every_instance) {
                    alike.insert(text.clone(), done.clone());
                }
                done
            }
        };
        if let Some((value, read)) = evaluated {
            *leaf = value;
            read_at.push((at.to_owned(), read));
        }
    });
    if read_at.is_empty() {
        return;
    }
    let mut references = references_in(&resource.values, module, &foreign.borrow());
    for reference in &mut references {
        reference.via = read_at
            .iter()
            .filter(|(at, _)| crate::pointer::is_prefix(at, &reference.attribute))
            .flat_map(|(_, read)| read.iter().cloned())
            .collect();
    }
    // A value passed through a resource still waits for it, as Terraform orders it.
    for (at, read) in &read_at {
        for hop in read {
            if let Some((written_in, target)) = passed_through(&hop.name, module, names) {
                references.push(Reference {
                    attribute: at.clone(),
                    target,
                    module: written_in,
                    via: Vec::new(),
                    waits_only: true,
                });
            }
        }
    }
    references.sort();
    references.dedup();
    resource.references = references.into();
}

/// What each attribute refers to, with the module each token is written in where that is not
/// `module` (a value passed in from the caller, or out of a module called).
fn references_in(
    values: &Value,
    module: &str,
    foreign: &HashMap<String, String>,
) -> Vec<Reference> {
    let mut out = Vec::new();
    crate::pointer::for_each_leaf(values, |attribute, leaf| {
        let Value::String(text) = leaf else { return };
        for span in crate::expr::template_spans(text) {
            let written = foreign.get(&text[span.clone()]).filter(|m| *m != module);
            let body = &text[span.start + 2..span.end - 1];
            for target in crate::expr::references(body) {
                out.push(Reference {
                    attribute: attribute.to_owned(),
                    target: target.to_owned(),
                    module: written.cloned(),
                    via: Vec::new(),
                    waits_only: false,
                });
            }
        }
    });
    out.sort();
    out.dedup();
    out
}

/// The resource a hop passed through (`time_sleep.this` of `module.eks.time_sleep.this.triggers`),
/// with the module it is in where that is not `module`.
fn passed_through(hop: &str, module: &str, names: &dyn Names) -> Option<(Option<String>, String)> {
    let parts: Vec<&str> = hop.split('.').collect();
    let at = parts.len().checked_sub(3)?;
    if !names.passes(parts[at]) {
        return None;
    }
    let written_in = parts[..at].join(".");
    let written_in = (!written_in.is_empty() && written_in != module).then_some(written_in);
    Some((written_in, parts[at..at + 2].join(".")))
}

/// Whether a string holds more than references to other resources, which evaluate to themselves
/// (but for those that pass a value through).
fn worth_evaluating(text: &str, names: &dyn Names) -> bool {
    crate::expr::template_spans(text).iter().any(|span| {
        let body = text[span.start + 2..span.end - 1].trim();
        match crate::expr::references(body).as_slice() {
            [only] if *only == body => {
                ["var.", "local.", "count.", "each.", "module.", "path."]
                    .iter()
                    .any(|root| only.starts_with(root))
                    || only.contains("count.")
                    || only.contains("each.")
                    || names.passes(only.split('.').next().unwrap_or_default())
            }
            _ => true,
        }
    })
}
