//! `payplat fix` as a library: a failing finding's declared fix (its rule's `fix:`) becomes edits
//! at the place the value is set: the literal on the resource, the local, the variable's
//! `terraform.tfvars` line or default, the argument of the module call. Where that place feeds
//! resources that do not fail, or the value is an expression no single edit makes right, the
//! compliant value replaces the expression on the resource instead, and the fix is unsafe.
//!
//! A layer on top of [`crate::check`]: it reads findings and never decides a verdict.

mod apply;
mod files;
pub mod fixtures;
mod generated;
mod hcl;
mod json;
mod place;
mod plan;
mod run;
mod trust;

pub use apply::{Applied, apply};
pub use files::Files;
pub use run::{Fixed, Named, Options, fix};

use crate::check::Inputs;
use crate::finding::{Edit, Finding, Fix, Safety, Status, Verdict};
use crate::model::{Document, Resource};
use crate::rules::Rule;
use generated::{in_source, is_generated};
use plan::{Change, Planned, plan, users};
use rayon::prelude::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::path::PathBuf;

/// A place a value is written, or would be.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct At {
    pub file: PathBuf,
    /// The value's JSON-twin pointer.
    pub pointer: String,
}

/// A change within one file: the bytes of the range become the text.
type Span = (Range<usize>, String);

/// What an expression is, for following it to where its value is set.
#[derive(Debug, Clone, PartialEq)]
enum Written {
    /// A literal: its value.
    Literal(Value),
    /// A plain name that holds the value elsewhere: `var.x`, `local.x`.
    Name(String),
    /// Anything else.
    Expression,
}

/// Puts on every failing finding whose rule declares a fix the edits that make it hold.
pub fn attach(findings: &mut [Finding], rules: &[Rule], inputs: &Inputs, files: &Files) {
    let fixable = |finding: &Finding| {
        if finding.verdict != Verdict::Fail || finding.status != Status::Active {
            return None;
        }
        rules
            .iter()
            .filter(|r| r.info.code == finding.rule.code)
            .find_map(|r| Some((r, r.fix.as_ref()?)))
    };
    let groups = Groups::new(inputs);
    let mut by_group: BTreeMap<usize, Vec<(usize, &Rule)>> = BTreeMap::new();
    for (index, finding) in findings.iter_mut().enumerate() {
        let Some((rule, spec)) = fixable(finding) else {
            continue;
        };
        if is_generated(finding.document) {
            finding.fix = Some(in_source(finding, spec, &rule.parameters));
        } else if let Some(group) = groups.of(finding.document) {
            by_group.entry(group).or_default().push((index, rule));
        }
    }
    // Group by group, each file parsed once; a large check holds one group's parsed files per
    // thread.
    let fixes: Vec<(usize, Option<Fix>)> = by_group
        .into_par_iter()
        .flat_map_iter(|(group, fixing)| {
            let documents = groups.documents(group);
            let plans: Vec<_> = fixing
                .into_iter()
                .filter_map(|(index, rule)| {
                    let spec = rule.fix.as_ref()?;
                    let planned =
                        plan(files, &documents, &findings[index], spec, &rule.parameters).ok()?;
                    Some((index, spec, planned))
                })
                .collect();
            // A name is the fixes' alone when only the attributes fixed here read it.
            let users = users(plans.iter().flat_map(|(_, _, planned)| planned));
            let mut readers = HashMap::new();
            let fixes: Vec<_> = plans
                .into_iter()
                .map(|(index, spec, planned)| {
                    let finding = &findings[index];
                    let mut fix = edits(
                        files,
                        &documents,
                        finding.resource,
                        &spec.title,
                        planned,
                        &users,
                        &mut readers,
                    );
                    if let Some(pin) = &spec.pin_web_identity {
                        fix =
                            with_trust(fix, files, &documents, finding, &spec.title, &pin.audience);
                    }
                    (index, fix)
                })
                .collect();
            files.forget_parsed(&documents);
            fixes
        })
        .collect();
    for (index, fix) in fixes {
        findings[index].fix = fix;
    }
}

/// The documents checked together, found by any of them.
struct Groups<'i> {
    inputs: &'i Inputs,
    /// A document's group, by the document's address.
    group_of: HashMap<usize, usize>,
}

impl<'i> Groups<'i> {
    fn new(inputs: &'i Inputs) -> Groups<'i> {
        let group_of = inputs
            .modules
            .iter()
            .enumerate()
            .flat_map(|(g, group)| {
                group
                    .iter()
                    .map(move |&d| (address(&inputs.documents[d]), g))
            })
            .collect();
        Groups { inputs, group_of }
    }

    /// The group a document is checked in.
    fn of(&self, document: &Document) -> Option<usize> {
        self.group_of.get(&address(document)).copied()
    }

    /// The documents of a group.
    fn documents(&self, group: usize) -> Vec<&'i Document> {
        self.inputs.modules[group]
            .iter()
            .map(|&i| &self.inputs.documents[i])
            .collect()
    }
}

/// A value as the file it goes in writes it: `depends_on = [aws_x.y]` in a `.tf`, JSON in a
/// `.tf.json` or a variable file in JSON.
fn written_as(at: &At, key: &str, value: &Value) -> String {
    if files::is_json(&at.file) {
        value.to_string()
    } else {
        hcl::attribute_text(key, value)
    }
}

/// A document's identity: where it is in memory.
fn address(document: &Document) -> usize {
    std::ptr::from_ref(document) as usize
}

/// The edits of one finding's fix, at each value's origin where only failing attributes read it,
/// else on the resource.
fn edits(
    files: &Files,
    group: &[&Document],
    resource: &Resource,
    title: &str,
    planned: Vec<Planned>,
    users: &HashMap<(PathBuf, String), BTreeSet<At>>,
    readers: &mut HashMap<(PathBuf, String), usize>,
) -> Option<Fix> {
    let mut edits: Vec<Edit> = Vec::new();
    let mut safety = Safety::Safe;
    let mut said: Vec<String> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    for planned in planned {
        let Some(origin) = &planned.origin else {
            let value = match &planned.change {
                Change::Set(value) => value.clone(),
                Change::Contain(items) => Value::Array(items.clone()),
            };
            said.push(format!(
                "add `{} = {}`",
                planned.shown,
                written_as(&planned.on_resource, &planned.shown, &value)
            ));
            edits.extend(place_edits(
                &planned.on_resource,
                files.insert(&planned.on_resource, &planned.missing, &value)?,
            )?);
            continue;
        };
        let shared = origin.through.iter().find(|name| {
            let read = place::readers(group, readers, &name.0, &name.1);
            read > users.get(*name).map_or(0, BTreeSet::len)
        });
        let expression = matches!(origin.written, Some(Written::Expression));
        if shared.is_some() || expression {
            // One edit at the resource: its value, whatever feeds the others.
            safety = Safety::Unsafe;
            notes.push(match shared {
                Some((_, name)) => format!("`{name}` also sets what other attributes get: the value is written on the resource instead"),
                None => format!("replaces the expression of `{}`", planned.shown),
            });
            let relative = planned
                .on_resource
                .pointer
                .strip_prefix(&resource.pointer)
                .unwrap_or_default();
            let value = match planned.change {
                Change::Set(value) => value,
                Change::Contain(items) => {
                    let current = resource.values.to_value().pointer(relative).cloned();
                    let Some(Value::Array(mut all)) =
                        current.filter(|list| !crate::resolve::evaluate::contains_token(list))
                    else {
                        return None;
                    };
                    all.extend(
                        items
                            .into_iter()
                            .filter(|i| !all.contains(i))
                            .collect::<Vec<_>>(),
                    );
                    Value::Array(all)
                }
            };
            said.push(format!(
                "set `{} = {}` on the resource",
                planned.shown,
                written_as(&planned.on_resource, &planned.shown, &value)
            ));
            edits.extend(place_edits(
                &planned.on_resource,
                files.replace(&planned.on_resource, &value)?,
            )?);
            continue;
        }
        let elsewhere = origin.at != planned.on_resource;
        let spans = match (&planned.change, &origin.written) {
            _ if origin.missing => {
                let (object, name) = parent(&origin.at)?;
                let value = match &planned.change {
                    Change::Set(value) => value.clone(),
                    Change::Contain(items) => Value::Array(items.clone()),
                };
                files.insert(&object, &[name], &value)?
            }
            (Change::Set(value), Some(Written::Literal(current))) if current == value => continue,
            (Change::Set(value), _) => files.replace(&origin.at, value)?,
            (Change::Contain(items), Some(Written::Literal(Value::Array(current)))) => {
                let absent: Vec<Value> = items
                    .iter()
                    .filter(|i| !current.contains(i))
                    .cloned()
                    .collect();
                if absent.is_empty() {
                    continue;
                }
                files.append(&origin.at, &absent)?
            }
            (Change::Contain(_), _) => return None,
        };
        let what = match &planned.change {
            Change::Set(value) => format!(
                "set `{} = {}`",
                planned.shown,
                written_as(&origin.at, &planned.shown, value)
            ),
            Change::Contain(items) => format!(
                "make `{}` hold {}",
                planned.shown,
                written_as(&origin.at, &planned.shown, &Value::Array(items.clone()))
            ),
        };
        said.push(match elsewhere {
            true => format!(
                "{what} at {} ({})",
                origin.described,
                file_name(&origin.at.file)
            ),
            false => what,
        });
        edits.extend(place_edits(&origin.at, spans)?);
    }
    if edits.is_empty() {
        return None;
    }
    edits.sort();
    edits.dedup();
    Some(Fix {
        title: format!("{title}: {}", said.join(", ")),
        safety,
        edits,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    })
}

/// `fix` with the IRSA trust policy's edits added.
fn with_trust(
    fix: Option<Fix>,
    files: &Files,
    group: &[&Document],
    finding: &Finding,
    title: &str,
    audience: &str,
) -> Option<Fix> {
    let Some((places, said)) =
        trust::pin(files, group, finding.document, finding.resource, audience)
    else {
        return fix;
    };
    let mut edits = Vec::new();
    for (at, spans) in places {
        edits.extend(place_edits(&at, spans)?);
    }
    let mut fix = fix.unwrap_or(Fix {
        title: title.to_owned(),
        safety: Safety::Safe,
        edits: Vec::new(),
        note: None,
    });
    fix.title = format!("{}: {}", fix.title, said.join(", "));
    fix.edits.extend(edits);
    fix.edits.sort();
    fix.edits.dedup();
    Some(fix)
}

/// The edits of one file, refused where the file is not the user's to edit: a module that
/// `terraform init` or payplat downloaded.
fn place_edits(at: &At, spans: Vec<Span>) -> Option<Vec<Edit>> {
    let downloaded = at.file.components().any(|c| c.as_os_str() == ".terraform")
        || crate::resolve::fetch::is_cached(&at.file);
    if downloaded {
        return None;
    }
    Some(
        spans
            .into_iter()
            .map(|(range, text)| Edit {
                file: at.file.clone(),
                start: range.start,
                end: range.end,
                text,
            })
            .collect(),
    )
}

/// The object a place is a member of, and the member's name.
fn parent(at: &At) -> Option<(At, String)> {
    let (object, name) = at.pointer.rsplit_once('/')?;
    Some((
        At {
            file: at.file.clone(),
            pointer: object.to_owned(),
        },
        crate::pointer::unescape(name).into_owned(),
    ))
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |f| f.to_string_lossy().into_owned(),
    )
}
