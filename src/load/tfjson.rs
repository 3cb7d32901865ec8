//! Terraform JSON configuration (`*.tf.json`) and CDKTF synth output (`cdk.tf.json`).
//!
//! `resource.<type>.<name>` and `data.<type>.<name>`; Terraform allows each level to be an
//! object or an array of objects. CDKTF adds a `"//"` member per resource whose
//! `metadata.path` is the construct path; it becomes the resource's origin, not a value.
//! References are the `${…}` expressions inside string values.

use super::{Problem, Top};
use crate::expr;
use crate::model::{Action, Address, Declaration, Declared, Mode, Reference, Resource};
use crate::pointer;
use serde_json::{Map, Value};

/// The resources (managed and data) and the number of module calls.
pub(super) fn load(top: &Top) -> Result<(Vec<Resource>, usize), Problem> {
    let mut resources = Vec::new();
    for (block, mode) in [("resource", Mode::Managed), ("data", Mode::Data)] {
        if let Some(mut value) = top.member::<Value>(block)? {
            let value = &mut value;
            for (types, types_pointer) in block_items(value, &pointer::join("", block))? {
                for (resource_type, named) in types.iter_mut().filter(|(k, _)| *k != "//") {
                    let named_pointer = pointer::join(&types_pointer, resource_type);
                    for (names, names_pointer) in block_items(named, &named_pointer)? {
                        for (name, body) in names.iter_mut().filter(|(k, _)| *k != "//") {
                            let body = std::mem::take(body);
                            let resource_pointer = pointer::join(&names_pointer, name);
                            resources.push(resource(
                                mode,
                                resource_type,
                                name,
                                body,
                                resource_pointer,
                            ));
                        }
                    }
                }
            }
        }
    }
    let module_count = match top.member::<Value>("module")? {
        Some(mut modules) => block_items(&mut modules, "/module")?
            .iter()
            .map(|(calls, _)| calls.keys().filter(|k| *k != "//").count())
            .sum(),
        None => 0,
    };
    Ok((resources, module_count))
}

fn resource(
    mode: Mode,
    resource_type: &str,
    name: &str,
    mut values: Value,
    pointer: String,
) -> Resource {
    let construct_path = match &mut values {
        Value::Object(body) => body.remove("//").and_then(|meta| {
            meta.pointer("/metadata/path")
                .and_then(Value::as_str)
                .map(str::to_owned)
        }),
        _ => None,
    };
    // `depends_on` names addresses bare, where `.tf` writes traversals: the same references.
    if let Some(Value::Array(entries)) = values.get_mut("depends_on") {
        for entry in entries {
            if let Value::String(address) = entry
                && !address.contains("${")
            {
                *address = format!("${{{address}}}");
            }
        }
    }
    let mut references = references_in(&values);
    // A template may name the same object several times; once per attribute is enough.
    references.sort();
    references.dedup();
    Resource {
        address: Address::new(None, mode, resource_type, name, None),
        action: Action::Config,
        values: values.into(),
        unknown: std::sync::Arc::default(),
        sensitive: Vec::new(),
        copies: Vec::new(),
        references: references.into(),
        construct_path,
        values_at: "",
        pointer,
        ignored: Vec::new(),
    }
}

/// One object of a block, with its pointer.
type BlockItem<'v> = (&'v mut Map<String, Value>, String);

/// A block is an object, or an array of objects; anything else is not Terraform.
fn block_items<'v>(value: &'v mut Value, at: &str) -> Result<Vec<BlockItem<'v>>, Problem> {
    match value {
        Value::Object(members) => Ok(vec![(members, at.to_owned())]),
        Value::Array(items) => items
            .iter_mut()
            .enumerate()
            .map(|(i, item)| {
                let item_pointer = pointer::join_index(at, i);
                match item {
                    Value::Object(members) => Ok((members, item_pointer)),
                    _ => Err(Problem::malformed(
                        &item_pointer,
                        "a block must be an object",
                    )),
                }
            })
            .collect(),
        _ => Err(Problem::malformed(
            at,
            "a block must be an object or an array of objects",
        )),
    }
}

/// The `variable` (with their defaults), `module`, `output` and `locals` blocks of a
/// configuration file.
pub(super) fn declarations(top: &Top) -> Result<Vec<Declaration>, Problem> {
    let mut declared = Vec::new();
    if let Some(mut variables) = top.member::<Value>("variable")? {
        for (items, at) in block_items(&mut variables, "/variable")? {
            for (name, body) in items.iter().filter(|(k, _)| *k != "//") {
                declared.push(Declaration {
                    kind: Declared::Variable,
                    name: name.clone(),
                    value: body.get("default").cloned(),
                    pointer: pointer::join(&at, name),
                    constraint: super::type_constraint(body.get("type")),
                    nullable: body.get("nullable") != Some(&Value::Bool(false)),
                });
            }
        }
    }
    for (block, kind) in [("module", Declared::Module), ("output", Declared::Output)] {
        if let Some(mut blocks) = top.member::<Value>(block)? {
            for (items, at) in block_items(&mut blocks, &pointer::join("", block))? {
                for (name, body) in items.iter_mut().filter(|(k, _)| *k != "//") {
                    let value = match kind {
                        Declared::Output => body.get_mut("value").map(Value::take),
                        _ => Some(body.take()),
                    };
                    declared.push(Declaration {
                        kind,
                        name: name.clone(),
                        value,
                        pointer: pointer::join(&at, name),
                        constraint: None,
                        nullable: true,
                    });
                }
            }
        }
    }
    if let Some(mut locals) = top.member::<Value>("locals")? {
        for (items, at) in block_items(&mut locals, "/locals")? {
            for (name, value) in items.iter_mut().filter(|(k, _)| *k != "//") {
                declared.push(Declaration {
                    kind: Declared::Local,
                    name: name.clone(),
                    value: Some(value.take()),
                    pointer: pointer::join(&at, name),
                    constraint: None,
                    nullable: true,
                });
            }
        }
    }
    Ok(declared)
}

/// What each attribute of configuration `values` refers to, read from its `${…}` templates.
pub(super) fn references_in(values: &Value) -> Vec<Reference> {
    let mut out = Vec::new();
    pointer::for_each_leaf(values, |attribute, leaf| {
        let Value::String(text) = leaf else { return };
        for span in expr::template_spans(text) {
            let body = &text[span.start + 2..span.end - 1];
            for target in expr::references(body) {
                out.push(Reference {
                    attribute: attribute.to_owned(),
                    target: target.to_owned(),
                    module: None,
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
