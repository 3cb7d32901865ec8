//! Variable type constraints as Terraform applies them to the value a variable is given: an
//! object type's `optional(TYPE)` attribute that the value leaves out is null, and an
//! `optional(TYPE, DEFAULT)` one takes the default, through `map`, `list`, `set`, `tuple` and
//! nested objects. Modules rely on it (`statement.value.principals != null`), so without it
//! their expressions would read attributes that are not there.

use hcl::expr::{Expression, ObjectKey};
use serde_json::Value;
use std::str::FromStr;

/// How deeply a type constraint may nest: real ones nest a few levels.
const MAX_NESTING: usize = 32;

/// `value` with the defaults of `constraint` (a type expression) filled in; a constraint that
/// does not parse leaves it as it is.
pub(super) fn with_defaults(value: Value, constraint: &str) -> Value {
    // A hostile constraint nested without end is not read.
    if crate::expr::nested_deeper_than(constraint, MAX_NESTING).is_some() {
        return value;
    }
    match Expression::from_str(constraint) {
        Ok(constraint) => conform(value, &constraint),
        Err(_) => value,
    }
}

fn conform(value: Value, constraint: &Expression) -> Value {
    let Expression::FuncCall(call) = constraint else {
        return value;
    };
    let element = call.args.first();
    match (call.name.name.as_str(), value, element) {
        ("map", Value::Object(members), Some(element)) => Value::Object(
            members
                .into_iter()
                .map(|(key, member)| (key, conform(member, element)))
                .collect(),
        ),
        ("list" | "set", Value::Array(items), Some(element)) => Value::Array(
            items
                .into_iter()
                .map(|item| conform(item, element))
                .collect(),
        ),
        ("tuple", Value::Array(items), Some(Expression::Array(elements))) => Value::Array(
            items
                .into_iter()
                .zip(elements.iter().map(Some).chain(std::iter::repeat(None)))
                .map(|(item, element)| match element {
                    Some(element) => conform(item, element),
                    None => item,
                })
                .collect(),
        ),
        ("object", Value::Object(mut members), Some(Expression::Object(attributes))) => {
            for (key, attribute) in attributes {
                let name = match key {
                    ObjectKey::Identifier(name) => name.to_string(),
                    ObjectKey::Expression(Expression::String(name)) => name.clone(),
                    _ => continue,
                };
                let (attribute, default) = match attribute {
                    Expression::FuncCall(optional) if optional.name.name.as_str() == "optional" => {
                        let Some(inner) = optional.args.first() else {
                            continue;
                        };
                        let default = optional
                            .args
                            .get(1)
                            .and_then(literal)
                            .unwrap_or(Value::Null);
                        (inner, Some(default))
                    }
                    required => (required, None),
                };
                match (members.remove(&name), default) {
                    (Some(Value::Null), Some(default)) => {
                        members.insert(name, conform(default, attribute));
                    }
                    (Some(member), _) => {
                        members.insert(name, conform(member, attribute));
                    }
                    (None, Some(default)) => {
                        members.insert(name, conform(default, attribute));
                    }
                    // Terraform refuses a value without a required attribute: left as given.
                    (None, None) => {}
                }
            }
            Value::Object(members)
        }
        (_, value, _) => value,
    }
}

/// A default written as a literal value.
fn literal(expression: &Expression) -> Option<Value> {
    match expression {
        Expression::Null => Some(Value::Null),
        Expression::Bool(b) => Some(Value::Bool(*b)),
        Expression::Number(n) => serde_json::to_value(n).ok(),
        Expression::String(s) => Some(Value::String(s.clone())),
        Expression::Array(items) => items
            .iter()
            .map(literal)
            .collect::<Option<Vec<_>>>()
            .map(Value::Array),
        Expression::Object(members) => members
            .iter()
            .map(|(key, value)| {
                let key = match key {
                    ObjectKey::Identifier(name) => name.to_string(),
                    ObjectKey::Expression(Expression::String(name)) => name.clone(),
                    _ => return None,
                };
                Some((key, literal(value)?))
            })
            .collect::<Option<serde_json::Map<_, _>>>()
            .map(Value::Object),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn optional_attributes_are_null_or_their_default() {
        let constraint = r#"map(object({
            sid        = optional(string)
            effect     = optional(string, "Allow")
            principals = optional(list(object({ type = string, identifiers = list(string) })))
            condition  = list(object({ test = string, tags = optional(map(string), {}) }))
        }))"#;
        let value = json!({"a": {"sid": "A", "condition": [{"test": "StringEquals"}]}, "b": {"effect": null, "condition": []}});
        assert_eq!(
            with_defaults(value, constraint),
            json!({
                "a": {"sid": "A", "effect": "Allow", "principals": null, "condition": [{"test": "StringEquals", "tags": {}}]},
                "b": {"sid": null, "effect": "Allow", "principals": null, "condition": []}
            })
        );
    }

    #[test]
    fn values_that_are_not_known_or_constraints_that_do_not_parse_stay() {
        assert_eq!(
            with_defaults(json!("${var.x}"), "map(object({a = optional(string)}))"),
            json!("${var.x}")
        );
        assert_eq!(with_defaults(json!({"a": 1}), "object({"), json!({"a": 1}));
        let deep = format!("{}string{}", "list(".repeat(100_000), ")".repeat(100_000));
        assert_eq!(with_defaults(json!([]), &deep), json!([]));
    }
}
