//! Edits to Terraform's JSON syntax (`.tf.json`, `.tfvars.json`): members appended after the
//! last one, in its indentation; key order and everything else kept.

use super::{Span, Written};
use crate::locate::locate_all;
use crate::pointer;
use crate::resolve::evaluate::contains_token;
use serde_json::Value;

/// What the value at `at` is.
pub(super) fn written(text: &str, at: &str) -> Option<Written> {
    let span = crate::locate::locate(text, at)?;
    let value: Value = serde_json::from_str(&text[span.start..span.end]).ok()?;
    Some(match &value {
        Value::String(s) if s.contains("${") => {
            name_in(s).map_or(Written::Expression, Written::Name)
        }
        v if contains_token(v) => Written::Expression,
        _ => Written::Literal(value),
    })
}

/// `var.x` or `local.x`, where the template is exactly `${var.x}`.
fn name_in(template: &str) -> Option<String> {
    let inner = template.strip_prefix("${")?.strip_suffix('}')?.trim();
    let (root, name) = inner.split_once('.')?;
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    (matches!(root, "var" | "local") && plain).then(|| inner.to_owned())
}

/// A value as JSON, nested lines indented from `indent`.
pub(super) fn value_text(value: &Value, indent: &str) -> String {
    match value {
        Value::Object(_) => serde_json::to_string_pretty(value)
            .unwrap_or_default()
            .replace('\n', &format!("\n{indent}")),
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| value_text(i, indent))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => value.to_string(),
    }
}

/// The edits that add member `path` (and the objects on the way) to the object at `at`.
pub(super) fn insert(text: &str, at: &str, path: &[String], value: &Value) -> Option<Vec<Span>> {
    let (name, deeper) = path.split_first()?;
    let mut nested = value.clone();
    for key in deeper.iter().rev() {
        nested = serde_json::json!({ key.as_str(): nested });
    }
    insert_member(text, at, name, |indent| value_text(&nested, indent))
}

/// The edits that add member `name`, written by `render` for its indentation, to the object
/// at `at`: after its last member, on a line of its own where the members are.
pub(super) fn insert_member(
    text: &str,
    at: &str,
    name: &str,
    render: impl Fn(&str) -> String,
) -> Option<Vec<Span>> {
    let object = crate::locate::locate(text, at)?;
    let members: Value = serde_json::from_str(&text[object.start..object.end]).ok()?;
    let keys: Vec<String> = members
        .as_object()?
        .keys()
        .map(|k| pointer::join(at, k))
        .collect();
    let spans = locate_all(text, keys.iter().map(String::as_str));
    let key = serde_json::to_string(name).ok()?;
    let last = spans.values().max_by_key(|s| s.end);
    Some(vec![match last {
        None => {
            let indent = format!("{}  ", line_indent(text, object.start));
            let close = line_indent(text, object.start);
            (
                object.start + 1..object.end - 1,
                format!("\n{indent}{key}: {}\n{close}", render(&indent)),
            )
        }
        Some(last) => {
            let label = last.label_start();
            let member = if text[object.start..label].contains('\n') {
                let indent = line_indent(text, label);
                format!(",\n{indent}{key}: {}", render(&indent))
            } else {
                format!(", {key}: {}", render(""))
            };
            (last.end..last.end, member)
        }
    }])
}

/// The edits that append `values` to the array at `at`.
pub(super) fn append(text: &str, at: &str, values: &[Value]) -> Option<Vec<Span>> {
    let items: Vec<String> = values.iter().map(|v| value_text(v, "")).collect();
    append_items(text, at, &items)
}

/// The edits that append items, written out, to the array at `at`.
pub(super) fn append_items(text: &str, at: &str, items: &[String]) -> Option<Vec<Span>> {
    let array = crate::locate::locate(text, at)?;
    let count = serde_json::from_str::<Value>(&text[array.start..array.end])
        .ok()?
        .as_array()?
        .len();
    let Some(last) = count
        .checked_sub(1)
        .and_then(|i| crate::locate::locate(text, &pointer::join_index(at, i)))
    else {
        return Some(vec![(array.start + 1..array.end - 1, items.join(", "))]);
    };
    let separator = if text[array.start..last.start].contains('\n') {
        format!(",\n{}", line_indent(text, last.start))
    } else {
        ", ".to_owned()
    };
    let added: String = items
        .iter()
        .map(|item| format!("{separator}{item}"))
        .collect();
    Some(vec![(last.end..last.end, added)])
}

/// An object on one line, its members in the order given, each value written out.
pub(super) fn object_text(members: &[(&str, String)]) -> String {
    let inner: Vec<String> = members
        .iter()
        .map(|(key, value)| format!("{}: {value}", Value::from(*key)))
        .collect();
    format!("{{{}}}", inner.join(", "))
}

/// The span of the value at `at`.
pub(super) fn value_span(text: &str, at: &str) -> Option<std::ops::Range<usize>> {
    crate::locate::locate(text, at).map(|s| s.start..s.end)
}

fn line_indent(text: &str, at: usize) -> String {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    text[start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}
