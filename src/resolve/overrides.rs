//! Override files (`override.tf`, `*_override.tf.json`, their `.tofu` forms), merged into the
//! other files of their directory as Terraform and OpenTofu document it: after every other file,
//! in lexicographic order; each top-level block merges into the one it names, which must exist.
//!
//! - resources and data sources: each argument replaces the original's; a nested block replaces
//!   every block of its type, `dynamic` ones too; `lifecycle` merges argument by argument;
//! - `locals`: each value replaces the original's, whichever block held it;
//! - `variable` and `output`: each argument replaces the original's (the default, the value,
//!   the type);
//! - `module`: each argument replaces the original's.
//!
//! A replaced value is recorded on the document it was merged into ([`Overridden`]), so that a
//! finding on it points at the override file, where it is written.

use crate::load::{LoadError, Problem};
use crate::model::{Declaration, Declared, Document, Overridden, Resource, Values};
use serde_json::{Map, Value};
use std::path::Path;

/// Merges the override files among `files` (one directory's documents, by index) into the
/// others. Each override file keeps nothing of its own: what it declares now lives in the
/// documents it merged into, or, where it replaced a whole declaration, stays where it is
/// written. What names nothing to override is an error of the override file.
pub(super) fn merge(documents: &mut [Document], files: &[usize]) -> Vec<LoadError> {
    let (mut overrides, originals): (Vec<usize>, Vec<usize>) = files
        .iter()
        .partition(|&&i| crate::load::is_override(&documents[i].path));
    overrides.sort_by(|&a, &b| {
        documents[a]
            .path
            .file_name()
            .cmp(&documents[b].path.file_name())
    });
    let mut errors = Vec::new();
    // Where declarations are looked up: the other files, then the overrides merged so far.
    let mut merged_into = originals.clone();
    for at in overrides {
        let file = documents[at].path.clone();
        let resources = std::mem::take(&mut documents[at].resources);
        for resource in resources {
            let Some(original) = originals
                .iter()
                .find_map(|&i| Some((i, find_resource(&documents[i], &resource)?)))
            else {
                errors.push(missing(
                    &file,
                    &resource.pointer,
                    &resource.address.to_string(),
                ));
                continue;
            };
            let (i, r) = original;
            let replaced = merge_resource(&mut documents[i].resources[r], resource);
            documents[i]
                .overridden
                .extend(replaced.into_iter().map(|(at, pointer)| Overridden {
                    at,
                    file: file.clone(),
                    pointer,
                }));
        }
        let declarations = std::mem::take(&mut documents[at].declarations);
        for declaration in declarations {
            let original = merged_into.iter().find_map(|&i| {
                let d = documents[i]
                    .declarations
                    .iter()
                    .position(|d| d.kind == declaration.kind && d.name == declaration.name)?;
                Some((i, d))
            });
            let Some((i, d)) = original else {
                errors.push(missing(
                    &file,
                    &declaration.pointer,
                    &declared_name(&declaration),
                ));
                continue;
            };
            let original = &mut documents[i].declarations[d];
            if let Some(merged) = merge_declaration(original, declaration) {
                // The override's declaration replaces the original's where it gives its value.
                documents[i].declarations.remove(d);
                documents[at].declarations.push(merged);
            }
        }
        merged_into.push(at);
    }
    errors
}

fn missing(file: &Path, pointer: &str, name: &str) -> LoadError {
    LoadError::new(
        file,
        Problem::malformed(
            pointer,
            format!(
                "overrides `{name}`, which no other file of the directory declares (Terraform and \
                 OpenTofu refuse the directory: an override file only changes what is declared elsewhere)"
            ),
        ),
    )
}

fn declared_name(declaration: &Declaration) -> String {
    let prefix = match declaration.kind {
        Declared::Variable => "var",
        Declared::Local => "local",
        Declared::Module => "module",
        Declared::Output => "output",
    };
    format!("{prefix}.{}", declaration.name)
}

fn find_resource(document: &Document, like: &Resource) -> Option<usize> {
    document.resources.iter().position(|r| {
        r.address.mode == like.address.mode
            && r.address.resource_type() == like.address.resource_type()
            && r.address.name() == like.address.name()
    })
}

/// Merges `with` into `original`; returns each replaced value's pointer in the original's file
/// and in the override's.
fn merge_resource(original: &mut Resource, with: Resource) -> Vec<(String, String)> {
    let mut values = match original.values.to_value() {
        Value::Object(values) => values,
        _ => Map::new(),
    };
    let Value::Object(overriding) = with.values.to_value() else {
        return Vec::new();
    };
    let mut replaced: Vec<String> = Vec::new();
    let mut replaced_static: Vec<String> = Vec::new();
    for (key, value) in overriding {
        match (key.as_str(), value) {
            ("lifecycle", Value::Object(arguments)) => {
                let lifecycle = values
                    .entry("lifecycle")
                    .or_insert_with(|| Value::Object(Map::new()));
                if !lifecycle.is_object() {
                    *lifecycle = Value::Object(Map::new());
                }
                for (argument, value) in arguments {
                    replaced.push(format!("/lifecycle/{}", crate::pointer::escape(&argument)));
                    lifecycle[&argument] = value;
                }
            }
            ("dynamic", Value::Object(blocks)) => {
                let dynamic = values
                    .entry("dynamic")
                    .or_insert_with(|| Value::Object(Map::new()));
                if !dynamic.is_object() {
                    *dynamic = Value::Object(Map::new());
                }
                for (block, spec) in blocks {
                    replaced.push(format!("/dynamic/{}", crate::pointer::escape(&block)));
                    dynamic[&block] = spec;
                    // Dynamic blocks replace the static blocks of their type too.
                    replaced_static.push(block);
                }
            }
            (_, value) => {
                // A block replaces every block of its type, the ones `dynamic` makes too.
                if let Some(Value::Object(dynamic)) = values.get_mut("dynamic") {
                    dynamic.remove(&key);
                }
                replaced.push(format!("/{}", crate::pointer::escape(&key)));
                values.insert(key, value);
            }
        }
    }
    for block in &mut replaced_static {
        values.remove(block.as_str());
        *block = format!("/{}", crate::pointer::escape(block));
    }
    if values
        .get("dynamic")
        .and_then(Value::as_object)
        .is_some_and(Map::is_empty)
    {
        values.remove("dynamic");
    }
    let under_replaced = |pointer: &str| {
        replaced
            .iter()
            .chain(&replaced_static)
            .any(|r| crate::pointer::is_prefix(r, pointer))
    };
    let mut references: Vec<_> = original
        .references
        .iter()
        .filter(|r| !under_replaced(&r.attribute))
        .cloned()
        .collect();
    references.extend(with.references.iter().cloned());
    original.references = references.into();
    original.sensitive.retain(|s| !under_replaced(s));
    original.sensitive.extend(with.sensitive.iter().cloned());
    original.ignored.extend(with.ignored.iter().cloned());
    original.values = Values::new(Value::Object(values));
    replaced
        .into_iter()
        .map(|at| (original.pointer_to(&at), with.pointer_to(&at)))
        .collect()
}

/// Merges `with` into `original`. Where the override gives the value itself (a variable's
/// default, a local's or an output's value, a module call is merged argument by argument), the
/// merged declaration is returned to take the original's place; otherwise the original is
/// changed in place.
fn merge_declaration(original: &mut Declaration, with: Declaration) -> Option<Declaration> {
    match with.kind {
        Declared::Module => {
            if let (Some(Value::Object(body)), Some(Value::Object(arguments))) =
                (original.value.as_mut(), with.value)
            {
                body.extend(arguments);
            }
            None
        }
        Declared::Local => Some(with),
        Declared::Variable | Declared::Output => {
            let constraint = with.constraint.clone().or(original.constraint.take());
            let nullable = original.nullable && with.nullable;
            if with.value.is_some() {
                Some(Declaration {
                    constraint,
                    nullable,
                    ..with
                })
            } else {
                original.constraint = constraint;
                original.nullable = nullable;
                None
            }
        }
    }
}
