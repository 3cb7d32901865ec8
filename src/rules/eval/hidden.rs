//! Where an expression payplat cannot evaluate hides what a path looks for: then that the path
//! selects nothing proves nothing.

use super::values::is_expression;
use crate::resolve::evaluate::is_token;
use crate::rules::schema::Path;
use serde_json::Value;

/// An expression payplat cannot evaluate that may hide what `path` selects: the value of
/// something on the way to its fixed part, or a key of an object on the way that is all
/// expression (and so may be the one missing); past the fixed part, a member of the value
/// there that is one where the path selects among its members, or, where it searches
/// descendants by name, a descendant of that name that is one.
pub(super) fn expression_on_the_way(top: &Value, path: &Path) -> Option<(String, String)> {
    let hiding = |value: &Value| -> Option<String> {
        match value {
            Value::String(text) if is_expression(text) => Some(text.clone()),
            // A key that is all expression may be any key; one with text around its
            // expression (`${…}:sub`) is told apart by that text.
            Value::Object(members) => members.keys().find(|k| is_token(k)).cloned(),
            _ => None,
        }
    };
    let mut value = top;
    let mut at = String::new();
    for token in path.static_prefix().split('/').skip(1) {
        if let Some(expression) = hiding(value) {
            return Some((at, expression));
        }
        let token = crate::pointer::unescape(token);
        let next = match value {
            Value::Object(members) => members.get(token.as_ref()),
            Value::Array(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        let next = next?;
        at = crate::pointer::join(&at, &token);
        value = next;
    }
    if let Some(found) = hiding(value) {
        return Some((at, found));
    }
    if let Some(name) = path.descendant_past_prefix() {
        return descendant_expression(value, name).map(|expression| (at, expression));
    }
    if !path.selects_members_past_prefix() {
        return None;
    }
    let mut members: Box<dyn Iterator<Item = &Value>> = match value {
        Value::Object(members) => Box::new(members.values()),
        Value::Array(items) => Box::new(items.iter()),
        _ => Box::new(std::iter::empty()),
    };
    members
        .find_map(|member| member.as_str().filter(|t| is_expression(t)))
        .map(|expression| (at, expression.to_owned()))
}

/// A member named `name` at any depth of `value` that is an expression, or an object key on the
/// way that is all expression.
fn descendant_expression(value: &Value, name: &str) -> Option<String> {
    match value {
        Value::Object(members) => members.iter().find_map(|(key, member)| match member {
            _ if is_token(key) => Some(key.clone()),
            Value::String(text) if key == name && is_expression(text) => Some(text.clone()),
            other => descendant_expression(other, name),
        }),
        Value::Array(items) => items
            .iter()
            .find_map(|item| descendant_expression(item, name)),
        _ => None,
    }
}
