//! Planning a fix: each attribute it changes, found on the resource and followed to where its
//! value is set.

use super::At;
use super::files::Files;
use super::place::{self, Origin};
use crate::finding::Finding;
use crate::model::{Document, Resource};
use crate::rules::fix::{FixSpec, resolve_value};
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

/// What a fix makes true of one attribute of the failing resource.
pub(super) enum Change {
    Set(Value),
    Contain(Vec<Value>),
}

/// One attribute to change, followed to where its value is set.
pub(super) struct Planned {
    /// The attribute on the resource (or the object that lacks it, with the path to add).
    pub on_resource: At,
    pub missing: Vec<String>,
    pub origin: Option<Origin>,
    pub change: Change,
    pub shown: String,
}

/// Follows each attribute the fix changes to where its value is set.
pub(super) fn plan(
    files: &Files,
    group: &[&Document],
    finding: &Finding,
    spec: &FixSpec,
    parameters: &Map<String, Value>,
) -> Result<Vec<Planned>, String> {
    let document = finding.document;
    let resource = finding.resource;
    let root = group
        .first()
        .map(|d| place::directory_of(&d.path))
        .unwrap_or_default();
    let levels = place::levels(group, &root, &resource.address.module_path())
        .filter(|l| {
            l.last()
                .is_some_and(|l| l.directory == place::directory_of(&document.path))
        })
        .ok_or("the module call that makes this resource is not in these inputs")?;
    let base = At {
        file: document.path.clone(),
        pointer: resource.pointer.clone(),
    };
    let mut changes: Vec<(String, Change)> = Vec::new();
    for (path, value) in &spec.set {
        changes.push((path.clone(), Change::Set(resolve_value(value, parameters))));
    }
    for (path, value) in &spec.add_to_list {
        let items = resolve_value(value, parameters)
            .as_array()
            .cloned()
            .unwrap_or_default();
        changes.push((path.clone(), Change::Contain(items)));
    }
    if let Some(depends) = &spec.depends_on {
        let target = waited_for(
            group,
            resource,
            &depends.resource_type,
            &depends.matching,
            parameters,
        )
        .ok_or_else(|| format!("no `{}` in this module to wait for", depends.resource_type))?;
        changes.push((
            "depends_on".into(),
            Change::Contain(vec![Value::String(target)]),
        ));
    }
    let mut planned = Vec::new();
    for (path, change) in changes {
        let names: Vec<String> = path.split('.').map(str::to_owned).collect();
        for (at, missing) in targets(files, &base, &names)? {
            let origin = missing.is_empty().then(|| {
                place::follow(
                    files,
                    group,
                    &levels,
                    levels.len() - 1,
                    at.clone(),
                    format!("`{path}`"),
                )
            });
            planned.push(Planned {
                on_resource: at,
                missing,
                origin,
                shown: path.clone(),
                change: match &change {
                    Change::Set(v) => Change::Set(v.clone()),
                    Change::Contain(v) => Change::Contain(v.clone()),
                },
            });
        }
    }
    Ok(planned)
}

/// The places a dotted path names on the resource: each existing attribute, or the object
/// to add the rest of the path to. Blocks that repeat are each a place.
fn targets(files: &Files, base: &At, names: &[String]) -> Result<Vec<(At, Vec<String>)>, String> {
    let mut out = Vec::new();
    let mut frontier = vec![base.clone()];
    for (depth, name) in names.iter().enumerate() {
        let mut next = Vec::new();
        for at in frontier {
            if files.makes_dynamically(&at, name) {
                return Err(format!("`{name}` blocks are made by a `dynamic` block"));
            }
            let child = At {
                file: at.file.clone(),
                pointer: crate::pointer::join(&at.pointer, name),
            };
            let last = depth + 1 == names.len();
            match files.count(&child) {
                None => out.push((at, names[depth..].to_vec())),
                Some(None) => next.push(child),
                Some(Some(_)) if last => next.push(child),
                Some(Some(n)) => next.extend((0..n).map(|i| At {
                    file: child.file.clone(),
                    pointer: crate::pointer::join_index(&child.pointer, i),
                })),
            }
        }
        frontier = next;
    }
    out.extend(frontier.into_iter().map(|at| (at, Vec::new())));
    Ok(out)
}

/// The address (in the module) of the resource of `resource_type` beside `resource` whose
/// values match.
fn waited_for(
    group: &[&Document],
    resource: &Resource,
    resource_type: &str,
    matching: &Map<String, Value>,
    parameters: &Map<String, Value>,
) -> Option<String> {
    let module = resource.address.module_path();
    let candidates = group.iter().flat_map(|d| &d.resources).filter(|r| {
        r.address.resource_type() == resource_type && r.address.module_path() == module
    });
    let mut found: Vec<&str> = candidates
        .filter(|r| {
            matching.iter().all(|(path, wanted)| {
                let wanted = resolve_value(wanted, parameters);
                values_at(&r.values.to_value(), path).contains(&&wanted)
            })
        })
        .map(|r| {
            let address = r.address.as_str();
            match r.address.module() {
                Some(module) => &address[module.len() + 1..],
                None => address,
            }
        })
        .collect();
    found.sort();
    found.dedup();
    found.first().map(|s| (*s).to_owned())
}

/// The values a dotted path reaches, through lists of blocks.
fn values_at<'v>(value: &'v Value, path: &str) -> Vec<&'v Value> {
    let mut at = vec![value];
    for name in path.split('.') {
        at = at
            .into_iter()
            .flat_map(|v| match v {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            })
            .filter_map(|v| v.get(name))
            .collect();
    }
    at.into_iter()
        .flat_map(|v| match v {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        })
        .collect()
}

/// For each name passed on the way, the attributes whose fixes pass through it.
pub(super) fn users<'p>(
    planned: impl Iterator<Item = &'p Planned>,
) -> HashMap<(PathBuf, String), BTreeSet<At>> {
    let mut users: HashMap<(PathBuf, String), BTreeSet<At>> = HashMap::new();
    for planned in planned {
        for name in planned.origin.iter().flat_map(|o| &o.through) {
            users
                .entry(name.clone())
                .or_default()
                .insert(planned.on_resource.clone());
        }
    }
    users
}
