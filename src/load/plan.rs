//! `terraform show -json` output: plans and states, every `format_version`.
//!
//! A plan's resources are the entries of its `planned_values` module tree (data sources
//! included), joined by address with `resource_changes` for the action, the unknown and the
//! sensitive attributes, and with `configuration` for references. Changes that have no entry in
//! `planned_values` (deletes, objects Terraform forgets) are added from `resource_changes`, with
//! the values they had before. Data sources read while planning come from `prior_state`.
//!
//! One pass finds the resource objects; they are read in parallel, and their values stay text
//! until a rule reads them (see [`crate::model::Values`]).

use super::configuration::ConfigReferences;
use super::tree::true_leaves;
use super::{Problem, Top, parse};
use crate::model::{Action, Address, Index, Mode, Resource};
use crate::pointer;
use ahash::{AHashMap, AHashSet};
use rayon::prelude::*;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The resources and the number of module instances.
pub(super) fn load_plan(top: &Top) -> Result<(Vec<Resource>, usize), Problem> {
    let references = ConfigReferences::from_configuration(top.member("configuration")?.as_ref());
    let mut module_count = 0;
    // Each begins with a pass over its part of the text that one thread makes: both at once.
    let (changes, resources) = rayon::join(
        || Changes::take(top),
        || match top.raw("planned_values") {
            Some(tree) => read_tree(
                top,
                tree,
                "/planned_values",
                &mut module_count,
                &references,
                |_| true,
            ),
            None => Ok(Vec::new()),
        },
    );
    let (mut changes, mut resources) = (changes?, resources?);
    let claimed = changes.claim(&resources);
    resources
        .par_iter_mut()
        .zip(&claimed)
        .for_each(|(resource, &claimed)| {
            let Some(position) = claimed else { return };
            if let Some(change) = changes.change(position) {
                apply(change, position, resource);
            }
        });
    for (position, entry) in changes.unclaimed() {
        resources.push(change_resource(top, position, entry, &references)?);
    }
    add_data_sources_read_while_planning(top, &mut resources, &references)?;
    Ok((resources, module_count))
}

/// Data sources Terraform read while planning are only in `prior_state`, with their values
/// (the zones of existing subnets, a rendered policy document): the rules read them there.
fn add_data_sources_read_while_planning(
    top: &Top,
    resources: &mut Vec<Resource>,
    references: &ConfigReferences,
) -> Result<(), Problem> {
    let Some(values) = top
        .raw("prior_state")
        .and_then(|prior| member(prior, "values"))
    else {
        return Ok(());
    };
    let planned: AHashSet<&str> = resources
        .iter()
        .filter(|r| r.address.mode == Mode::Data)
        .map(|r| r.address.as_str())
        .collect();
    let read = read_tree(
        top,
        values,
        "/prior_state/values",
        &mut 0,
        references,
        |address| address.mode == Mode::Data && !planned.contains(address.as_str()),
    )?;
    resources.extend(read);
    Ok(())
}

pub(super) fn load_state(top: &Top) -> Result<(Vec<Resource>, usize), Problem> {
    let mut module_count = 0;
    let resources = match top.raw("values") {
        Some(tree) => read_tree(
            top,
            tree,
            "/values",
            &mut module_count,
            &ConfigReferences::default(),
            |_| true,
        )?,
        None => Vec::new(),
    };
    Ok((resources, module_count))
}

/// The member `key` of a JSON object, as text; `None` for anything else, and for `null`.
fn member<'t>(object: &'t RawValue, key: &str) -> Option<&'t RawValue> {
    if !object.get().starts_with('{') {
        return None;
    }
    let members: HashMap<std::borrow::Cow<'t, str>, &'t RawValue> =
        serde_json::from_str(object.get()).ok()?;
    members.get(key).copied().filter(|raw| raw.get() != "null")
}

/// The address of a resource object from the fields every one carries, in trees and in
/// `resource_changes` alike; the object's own `address` spelling is kept.
fn read_address(
    object: &Map<String, Value>,
    module: Option<String>,
    pointer: &str,
) -> Result<Address, Problem> {
    let text = |key: &str| match object.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(Problem::malformed(
            pointer,
            format!("a resource needs a string `{key}`"),
        )),
    };
    let mode = match object.get("mode").and_then(Value::as_str) {
        None | Some("managed") => Mode::Managed,
        Some("data") => Mode::Data,
        Some(other) => {
            return Err(Problem::malformed(
                pointer,
                format!("unknown resource mode `{other}`"),
            ));
        }
    };
    let index = object.get("index").and_then(Index::from_json);
    Ok(
        Address::new(module, mode, text("type")?, text("name")?, index)
            .spelled(object.get("address").and_then(Value::as_str)),
    )
}

/// What a change says of its resource, joined to it: the action, the unknown attributes, and
/// the sensitive ones before and after.
fn apply(change: &Change, position: usize, resource: &mut Resource) {
    resource.action = change.action.unwrap_or(Action::NoOp);
    resource.unknown = change.unknown.clone();
    resource.sensitive.extend_from_slice(&change.sensitive);
    resource.sensitive.sort();
    resource.sensitive.dedup();
    // Which copies of its values to keep out of excerpts depends on what is secret.
    super::mark_secret_content(resource);
    resource.copies = copies(position, &resource.sensitive);
}

/// The unknown attributes of each distinct `after_unknown` mask, read once: resources of a type
/// are mostly planned alike (`id`, `arn`, `tags_all` unknown until they exist), and a large
/// plan would otherwise hold the same list many times over.
#[derive(Default)]
struct UnknownLists<'t>(AHashMap<&'t str, Arc<[String]>>);

impl<'t> UnknownLists<'t> {
    fn of(
        &mut self,
        mask: Option<&'t RawValue>,
        position: usize,
    ) -> Result<Arc<[String]>, Problem> {
        let Some(mask) = mask else {
            return Ok(Arc::default());
        };
        if let Some(known) = self.0.get(mask.get()) {
            return Ok(known.clone());
        }
        let pointer = format!("/resource_changes/{position}/change/after_unknown");
        let mut unknown = Vec::new();
        true_leaves(&parse::<Value>(mask.get(), &pointer)?, &mut unknown);
        let unknown: Arc<[String]> = unknown.into();
        self.0.insert(mask.get(), unknown.clone());
        Ok(unknown)
    }
}

/// A resource object found in a module tree, not read yet.
struct Found<'t> {
    object: &'t RawValue,
    pointer: String,
    module: Option<String>,
}

/// A module tree (`{"root_module": {"resources": [...], "child_modules": [...]}}`), found in
/// one pass with each resource object kept as text.
#[derive(serde::Deserialize)]
struct Tree<'t> {
    #[serde(borrow)]
    root_module: Option<Module<'t>>,
}

#[derive(serde::Deserialize)]
struct Module<'t> {
    #[serde(borrow, default)]
    resources: Option<Vec<&'t RawValue>>,
    #[serde(borrow, default)]
    child_modules: Option<Vec<Module<'t>>>,
    #[serde(default)]
    address: Option<Value>,
}

/// Reads the resources of a module tree that `keep` keeps, in parallel, and counts the child
/// modules.
fn read_tree<'t>(
    top: &Top<'t>,
    tree: &'t RawValue,
    pointer: &str,
    module_count: &mut usize,
    references: &ConfigReferences,
    keep: impl Fn(&Address) -> bool + Sync,
) -> Result<Vec<Resource>, Problem> {
    if !tree.get().starts_with('{') {
        return Ok(Vec::new());
    }
    let tree: Tree = parse(tree.get(), pointer)?;
    let mut found = Vec::new();
    if let Some(root) = tree.root_module {
        find_resources(
            root,
            &pointer::join(pointer, "root_module"),
            module_count,
            &mut found,
        );
    }
    let read: Vec<Result<Option<Resource>, Problem>> = found
        .into_par_iter()
        .map(|found| read_resource(top, found, references, &keep))
        .collect();
    read.into_iter().filter_map(Result::transpose).collect()
}

fn find_resources<'t>(
    module: Module<'t>,
    pointer: &str,
    module_count: &mut usize,
    found: &mut Vec<Found<'t>>,
) {
    let address = module
        .address
        .as_ref()
        .and_then(Value::as_str)
        .map(str::to_owned);
    let resources = pointer::join(pointer, "resources");
    for (i, object) in module.resources.into_iter().flatten().enumerate() {
        found.push(Found {
            object,
            pointer: pointer::join_index(&resources, i),
            module: address.clone(),
        });
    }
    let children = pointer::join(pointer, "child_modules");
    for (i, child) in module.child_modules.into_iter().flatten().enumerate() {
        *module_count += 1;
        find_resources(
            child,
            &pointer::join_index(&children, i),
            module_count,
            found,
        );
    }
}

fn read_resource<'t>(
    top: &Top<'t>,
    found: Found<'t>,
    references: &ConfigReferences,
    keep: &impl Fn(&Address) -> bool,
) -> Result<Option<Resource>, Problem> {
    let Found {
        object,
        pointer,
        module,
    } = found;
    if !object.get().starts_with('{') {
        return Err(Problem::malformed(&pointer, "a resource must be an object"));
    }
    let object: Members = parse(object.get(), &pointer)?;
    let address = read_address(&object.fields, module, &pointer)?;
    if !keep(&address) {
        return Ok(None);
    }
    let mut sensitive = Vec::new();
    if let Some(mask) = object.fields.get("sensitive_values") {
        true_leaves(mask, &mut sensitive);
    }
    sensitive.sort();
    sensitive.dedup();
    let values_at = "/values";
    let resource = Resource {
        references: references.of(&address),
        address,
        action: Action::NoOp,
        values: top.values(object.raw("values"), &[&pointer, values_at].concat())?,
        unknown: Arc::default(),
        sensitive,
        copies: Vec::new(),
        construct_path: None,
        ignored: Vec::new(),
        values_at,
        pointer,
    };
    Ok(Some(resource))
}

/// `resource_changes`, by address.
struct Changes<'t> {
    entries: Vec<ChangeEntry<'t>>,
    by_address: AHashMap<String, usize>,
    /// Which entries a resource of `planned_values` has claimed.
    claimed: Vec<bool>,
}

impl<'t> Changes<'t> {
    fn take(top: &Top<'t>) -> Result<Changes<'t>, Problem> {
        let raws: Vec<&RawValue> = match top.raw("resource_changes") {
            Some(raw) if raw.get() != "null" => parse(raw.get(), "/resource_changes")?,
            _ => Vec::new(),
        };
        let read: Vec<Result<_, Problem>> = raws
            .into_par_iter()
            .enumerate()
            .map(|(i, raw)| {
                parse(raw.get(), &format!("/resource_changes/{i}"))
                    .map(|entry| ChangeEntry::read(raw, entry))
            })
            .collect();
        let mut entries = Vec::with_capacity(read.len());
        let mut by_address = AHashMap::with_capacity(read.len());
        let mut unknown_lists = UnknownLists::default();
        for (i, read) in read.into_iter().enumerate() {
            let (key, mut entry, unknown) = read?;
            if let Some(change) = &mut entry.change {
                change.unknown = unknown_lists.of(unknown, i)?;
            }
            if let Some(key) = key {
                by_address.insert(key, i);
            }
            entries.push(entry);
        }
        Ok(Changes {
            claimed: vec![false; entries.len()],
            entries,
            by_address,
        })
    }

    /// The position of the entry each resource joins, where there is one: where addresses
    /// repeat, the first resource claims it.
    fn claim(&mut self, resources: &[Resource]) -> Vec<Option<usize>> {
        let mut positions: Vec<Option<usize>> = resources
            .par_iter()
            .map(|resource| self.by_address.get(resource.address.as_str()).copied())
            .collect();
        for position in &mut positions {
            if let Some(at) = *position
                && std::mem::replace(&mut self.claimed[at], true)
            {
                *position = None;
            }
        }
        positions
    }

    fn change(&self, position: usize) -> Option<&Change<'t>> {
        self.entries.get(position)?.change.as_ref()
    }

    fn unclaimed(self) -> impl Iterator<Item = (usize, ChangeEntry<'t>)> {
        self.entries
            .into_iter()
            .zip(self.claimed)
            .enumerate()
            .filter_map(|(i, (entry, claimed))| (!claimed).then_some((i, entry)))
    }
}

/// A `resource_changes` entry, read: what joins it to its resource in `planned_values`, and
/// what builds the resource where there is none.
struct ChangeEntry<'t> {
    /// The entry as written, read again only where it has no resource in `planned_values`.
    text: &'t RawValue,
    change: Option<Change<'t>>,
}

/// What a change says of its resource. `before` and `after` stay text: they repeat what
/// `planned_values` holds, and only changes missing from it (deletes) read them.
struct Change<'t> {
    action: Option<Action>,
    unknown: Arc<[String]>,
    sensitive: Vec<String>,
    after: Option<&'t RawValue>,
    before: Option<&'t RawValue>,
}

impl<'t> ChangeEntry<'t> {
    /// The entry, the address it joins by (none for a deposed object, which shares its address
    /// with the current one and is never in `planned_values`), and its `after_unknown` mask.
    fn read(
        text: &'t RawValue,
        entry: RawChangeEntry<'t>,
    ) -> (Option<String>, ChangeEntry<'t>, Option<&'t RawValue>) {
        let key = match (
            entry.fields.contains_key("deposed"),
            entry.fields.get("address").and_then(Value::as_str),
        ) {
            (false, Some(address)) => Some(address.to_owned()),
            _ => None,
        };
        let unknown = entry
            .change
            .as_ref()
            .and_then(|parts| parts.raw("after_unknown"));
        let change = entry.change.map(|parts| {
            let mut sensitive = Vec::new();
            for mask in ["after_sensitive", "before_sensitive"] {
                if let Some(mask) = parts.fields.get(mask) {
                    true_leaves(mask, &mut sensitive);
                }
            }
            Change {
                action: actions_of(&parts.fields),
                unknown: Arc::default(),
                sensitive,
                after: parts.raw("after"),
                before: parts.raw("before"),
            }
        });
        (key, ChangeEntry { text, change }, unknown)
    }
}

fn actions_of(change: &Map<String, Value>) -> Option<Action> {
    Action::from_plan_actions(change.get("actions")?.as_array()?)
}

/// A `resource_changes` entry as written, its change's `before` and `after` kept as text.
struct RawChangeEntry<'t> {
    fields: Map<String, Value>,
    change: Option<Members<'t>>,
}

/// An object's members, those that hold values (a resource's `values`, a change's `before` and
/// `after`) or are read once for many (`after_unknown`) kept as text, the others parsed.
struct Members<'t> {
    fields: Map<String, Value>,
    kept: Vec<(&'static str, &'t RawValue)>,
}

impl<'t> Members<'t> {
    const KEPT: [&'static str; 4] = ["values", "after", "before", "after_unknown"];

    fn raw(&self, key: &str) -> Option<&'t RawValue> {
        self.kept
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, raw)| *raw)
    }
}

impl<'de> Deserialize<'de> for RawChangeEntry<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entry;
        impl<'de> Visitor<'de> for Entry {
            type Value = RawChangeEntry<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a resource change object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entry = RawChangeEntry {
                    fields: Map::new(),
                    change: None,
                };
                while let Some(key) = map.next_key::<String>()? {
                    if key == "change" {
                        entry.change = map.next_value()?;
                    } else {
                        entry.fields.insert(key, map.next_value()?);
                    }
                }
                Ok(entry)
            }
        }
        deserializer.deserialize_map(Entry)
    }
}

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Object;
        impl<'de> Visitor<'de> for Object {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Members {
                    fields: Map::new(),
                    kept: Vec::new(),
                };
                while let Some(key) = map.next_key::<String>()? {
                    match Members::KEPT.iter().find(|k| **k == key) {
                        Some(kept) => members.kept.push((kept, map.next_value()?)),
                        None => {
                            members.fields.insert(key, map.next_value()?);
                        }
                    }
                }
                Ok(members)
            }
        }
        deserializer.deserialize_map(Object)
    }
}

/// A resource known only from `resource_changes`.
fn change_resource(
    top: &Top,
    position: usize,
    entry: ChangeEntry,
    references: &ConfigReferences,
) -> Result<Resource, Problem> {
    let entry_pointer = format!("/resource_changes/{position}");
    let fields = parse::<RawChangeEntry>(entry.text.get(), &entry_pointer)?.fields;
    let module = fields
        .get("module_address")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let address = read_address(&fields, module, &entry_pointer)?;
    let Some(change) = entry.change else {
        return Err(Problem::malformed(
            &entry_pointer,
            "a resource change needs a `change` object",
        ));
    };
    let action = change.action.ok_or_else(|| {
        Problem::malformed(
            &format!("{entry_pointer}/change/actions"),
            "unknown or missing actions",
        )
    })?;
    // What exists after apply is what rules see; for a delete, show what is being removed.
    let (values_at, raw) = if action.is_live() {
        ("/change/after", change.after)
    } else {
        ("/change/before", change.before)
    };
    let mut sensitive = change.sensitive;
    sensitive.sort();
    sensitive.dedup();
    let unknown = if action.is_live() {
        change.unknown
    } else {
        Arc::default()
    };
    let mut resource = Resource {
        references: references.of(&address),
        values: top.values(raw, &[&entry_pointer, values_at].concat())?,
        address,
        action,
        unknown,
        sensitive,
        copies: Vec::new(),
        construct_path: None,
        ignored: Vec::new(),
        values_at,
        pointer: entry_pointer,
    };
    super::mark_secret_content(&mut resource);
    resource.copies = copies(position, &resource.sensitive);
    Ok(resource)
}

/// The two sides of a change, each a copy of a resource's values, planned and prior: where its
/// values hold something sensitive, no excerpt may show it from a copy either.
fn copies(position: usize, sensitive: &[String]) -> Vec<String> {
    if sensitive.is_empty() {
        return Vec::new();
    }
    ["after", "before"]
        .map(|side| format!("/resource_changes/{position}/change/{side}"))
        .to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn where_an_address_repeats_the_first_resource_takes_the_change() {
        let resource = json!({"address": "aws_s3_bucket.b", "mode": "managed",
            "type": "aws_s3_bucket", "name": "b", "values": {"bucket": "b"}});
        let plan = json!({
            "format_version": "1.2",
            "planned_values": {"root_module": {"resources": [resource, resource]}},
            "resource_changes": [{"address": "aws_s3_bucket.b", "mode": "managed",
                "type": "aws_s3_bucket", "name": "b",
                "change": {"actions": ["create"], "after": {"bucket": "b"},
                    "after_unknown": {"arn": true, "id": true}}}]
        });
        let document = super::super::load_bytes(
            std::path::Path::new("plan.json"),
            plan.to_string().into_bytes(),
        )
        .unwrap();
        let joined: Vec<(Action, &[String])> = document
            .resources
            .iter()
            .map(|r| (r.action, &*r.unknown))
            .collect();
        let unknown = ["/arn".to_owned(), "/id".to_owned()];
        assert_eq!(
            joined,
            [(Action::Create, &unknown[..]), (Action::NoOp, &[][..])]
        );
    }
}
