//! The files fixes read and edit, each read once, whatever their syntax.

use super::At;
use super::{Span, Written, hcl, json};
use hcl_edit::structure::Body;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// File texts by path; `overlay` texts (an editor's unsaved buffers) win over the disk.
#[derive(Default)]
pub struct Files {
    texts: Mutex<HashMap<PathBuf, Option<Arc<String>>>>,
    /// `.tf` and `.tfvars` files parsed, each once.
    bodies: Mutex<HashMap<PathBuf, Option<Arc<Body>>>>,
}

impl Files {
    /// Files read from disk, except those given here.
    pub fn with(overlay: impl IntoIterator<Item = (PathBuf, String)>) -> Files {
        let texts = overlay
            .into_iter()
            .map(|(path, text)| (path, Some(Arc::new(text))))
            .collect();
        Files {
            texts: Mutex::new(texts),
            bodies: Mutex::default(),
        }
    }

    /// The text of a file.
    pub fn text(&self, path: &Path) -> Option<Arc<String>> {
        if let Some(text) = locked(&self.texts).get(path) {
            return text.clone();
        }
        let text = std::fs::read_to_string(path).ok().map(Arc::new);
        locked(&self.texts)
            .entry(path.to_owned())
            .or_insert(text)
            .clone()
    }

    /// Lets go of the parsed files of these documents.
    pub(super) fn forget_parsed(&self, documents: &[&crate::model::Document]) {
        let mut bodies = locked(&self.bodies);
        for document in documents {
            bodies.remove(&document.path);
        }
    }

    /// A file in Terraform's native syntax, parsed.
    fn body(&self, path: &Path) -> Option<Arc<Body>> {
        if let Some(body) = locked(&self.bodies).get(path) {
            return body.clone();
        }
        let body = self
            .text(path)
            .and_then(|text| hcl::parse(&text))
            .map(Arc::new);
        locked(&self.bodies).insert(path.to_owned(), body.clone());
        body
    }

    /// What is written at a place, when something is.
    pub(super) fn read(&self, at: &At) -> Option<Written> {
        let text = self.text(&at.file)?;
        if is_json(&at.file) {
            return json::written(&text, &at.pointer);
        }
        let body = self.body(&at.file)?;
        match hcl::find(&body, &segments(&at.pointer))? {
            hcl::Node::Attribute(attribute) if attribute.key.as_str() == "depends_on" => {
                Some(hcl::references(&text, &attribute.value))
            }
            hcl::Node::Attribute(attribute) => Some(hcl::written(&attribute.value)),
            // A block is written out; it is not a value to follow.
            _ => Some(Written::Expression),
        }
    }

    /// Whether something is at a place: `Some(None)` one value or block, `Some(Some(n))` a
    /// list of `n` (blocks that repeat).
    pub(super) fn count(&self, at: &At) -> Option<Option<usize>> {
        let text = self.text(&at.file)?;
        if is_json(&at.file) {
            let span = json::value_span(&text, &at.pointer)?;
            return match serde_json::from_str::<Value>(&text[span]).ok()? {
                Value::Array(items) => Some(Some(items.len())),
                _ => Some(None),
            };
        }
        let body = self.body(&at.file)?;
        let segments = segments(&at.pointer);
        if hcl::find(&body, &segments).is_some() {
            return Some(None);
        }
        let (name, parent) = segments.split_last()?;
        match hcl::find(&body, parent)? {
            hcl::Node::Block(block) => Some(block.body.get_blocks(name).count()),
            hcl::Node::Root(root) => Some(root.get_blocks(name).count()),
            hcl::Node::Attribute(_) => None,
        }
        .filter(|n| *n > 1)
        .map(Some)
    }

    /// Whether the object at `at` makes `name` blocks with a `dynamic` block.
    pub(super) fn makes_dynamically(&self, at: &At, name: &str) -> bool {
        let Some(text) = self.text(&at.file) else {
            return false;
        };
        if is_json(&at.file) {
            let dynamic = crate::pointer::join(&crate::pointer::join(&at.pointer, "dynamic"), name);
            return json::value_span(&text, &dynamic).is_some();
        }
        let Some(body) = self.body(&at.file) else {
            return false;
        };
        hcl::find(&body, &segments(&at.pointer)).is_some_and(|n| hcl::makes_dynamically(&n, name))
    }

    /// The edits that write `value` in place of what is at `at`.
    pub(super) fn replace(&self, at: &At, value: &Value) -> Option<Vec<Span>> {
        let text = self.text(&at.file)?;
        if is_json(&at.file) {
            return Some(vec![(
                json::value_span(&text, &at.pointer)?,
                json::value_text(value, ""),
            )]);
        }
        let body = self.body(&at.file)?;
        let hcl::Node::Attribute(attribute) = hcl::find(&body, &segments(&at.pointer))? else {
            return None;
        };
        Some(vec![(hcl::value_span(attribute)?, hcl::value_text(value))])
    }

    /// The edits that add `path` (a member, and the blocks on the way) to the object at `at`.
    pub(super) fn insert(&self, at: &At, path: &[String], value: &Value) -> Option<Vec<Span>> {
        let text = self.text(&at.file)?;
        if is_json(&at.file) {
            return json::insert(&text, &at.pointer, path, value);
        }
        let body = self.body(&at.file)?;
        let node = hcl::find(&body, &segments(&at.pointer))?;
        hcl::insert(&text, &node, path, value)
    }

    /// The edits that append items to the list at `at`.
    pub(super) fn append(&self, at: &At, items: &[Value]) -> Option<Vec<Span>> {
        let text = self.text(&at.file)?;
        if is_json(&at.file) {
            return json::append(&text, &at.pointer, items);
        }
        let body = self.body(&at.file)?;
        let hcl::Node::Attribute(attribute) = hcl::find(&body, &segments(&at.pointer))? else {
            return None;
        };
        hcl::append(&text, attribute, items)
    }
    /// Reads the HCL expression at `at` with its file's text.
    pub(super) fn with_expression<R>(
        &self,
        at: &At,
        read: impl FnOnce(&str, &hcl_edit::expr::Expression) -> Option<R>,
    ) -> Option<R> {
        if is_json(&at.file) {
            return None;
        }
        let text = self.text(&at.file)?;
        let body = self.body(&at.file)?;
        let hcl::Node::Attribute(attribute) = hcl::find(&body, &segments(&at.pointer))? else {
            return None;
        };
        read(&text, &attribute.value)
    }

    /// The source text of the value at `at`: an HCL expression as written, a JSON string's
    /// content (its template), other JSON as written.
    pub(super) fn source(&self, at: &At) -> Option<String> {
        let text = self.text(&at.file)?;
        if is_json(&at.file) {
            let span = json::value_span(&text, &at.pointer)?;
            return Some(
                match serde_json::from_str::<Value>(&text[span.clone()]).ok()? {
                    Value::String(s) => s,
                    _ => text[span].to_owned(),
                },
            );
        }
        let body = self.body(&at.file)?;
        let hcl::Node::Attribute(attribute) = hcl::find(&body, &segments(&at.pointer))? else {
            return None;
        };
        Some(text[hcl::value_span(attribute)?].to_owned())
    }

    /// The edits that add a nested block (HCL) or member (JSON) `name` holding `members`, each
    /// written as the syntax writes an expression (`raw`: as given), to the block at `at`; a
    /// block of that name already there becomes a list of both (JSON).
    pub(super) fn add_block(
        &self,
        at: &At,
        name: &str,
        members: &[(&str, String)],
    ) -> Option<Vec<Span>> {
        let text = self.text(&at.file)?;
        if !is_json(&at.file) {
            let body = self.body(&at.file)?;
            let node = hcl::find(&body, &segments(&at.pointer))?;
            return hcl::add_block(&text, &node, name, members);
        }
        let object = json::object_text(members);
        let existing = At {
            file: at.file.clone(),
            pointer: crate::pointer::join(&at.pointer, name),
        };
        match self.count(&existing) {
            None => json::insert_member(&text, &at.pointer, name, |_| object.clone()),
            Some(Some(_)) => json::append_items(&text, &existing.pointer, &[object]),
            Some(None) => {
                // One block written as an object: the list of it and the new one.
                let span = json::value_span(&text, &existing.pointer)?;
                Some(vec![
                    (span.start..span.start, "[".to_owned()),
                    (span.end..span.end, format!(", {object}]")),
                ])
            }
        }
    }
}

/// A cache, locked: what it holds stays whole whatever a thread that panicked was doing.
fn locked<T>(cache: &Mutex<T>) -> MutexGuard<'_, T> {
    cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether a file is written in Terraform's JSON syntax.
pub(super) fn is_json(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "json")
}

fn segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| crate::pointer::unescape(s).into_owned())
        .collect()
}
