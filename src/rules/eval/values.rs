//! Values as rules see them: a resource's values with a marker where Terraform knows a value
//! only after apply, and attribute paths named as users read them.

use crate::expr;
use crate::model::Resource;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Stands in the values where Terraform knows a value only after apply, so selectors find it.
pub(crate) const UNKNOWN: &str = "\u{0}payplat:known-after-apply\u{0}";

pub(crate) fn is_unknown(value: &Value) -> bool {
    value.as_str() == Some(UNKNOWN)
}

/// Whether a string holds a `${…}` expression that only Terraform can evaluate.
pub(crate) fn is_expression(text: &str) -> bool {
    !expr::template_spans(text).is_empty()
}

/// Why an expression left in a configuration value has no value here, for a message:
/// `${var.x}` that no input sets, or an expression payplat cannot evaluate.
pub(crate) fn unevaluated(expression: &str) -> String {
    let body = expression
        .strip_prefix("${")
        .and_then(|e| e.strip_suffix('}'))
        .map(str::trim);
    match body {
        Some(variable)
            if variable.starts_with("var.") && expr::references(variable) == [variable] =>
        {
            format!(
                "`{expression}`, and no input sets `{variable}` (a default, terraform.tfvars, *.auto.tfvars); Terraform may be given it on the command line"
            )
        }
        Some(body) if expr::references(body).contains(&"terraform.workspace") => format!(
            "`{expression}`, which differs per workspace, and neither TF_WORKSPACE nor .terraform/environment names one"
        ),
        _ => format!("an expression payplat cannot evaluate: `{expression}`"),
    }
}

/// The resource's values with [`UNKNOWN`] at every attribute known only after apply.
pub(crate) fn with_unknowns(resource: &Resource) -> Cow<'_, Value> {
    if resource.unknown.is_empty() && resource.values.is_parsed() {
        return Cow::Borrowed(&resource.values);
    }
    let mut values = resource.values.to_value();
    for at in resource.unknown.iter() {
        place(&mut values, at, Value::String(UNKNOWN.to_owned()));
    }
    Cow::Owned(values)
}

/// Sets the value at `at`, creating the objects and array slots on the way.
fn place(root: &mut Value, at: &str, value: Value) {
    let mut slot = root;
    for token in at.split('/').skip(1) {
        let token = crate::pointer::unescape(token);
        slot = match token.parse::<usize>() {
            Ok(index) => {
                if !slot.is_array() {
                    *slot = Value::Array(Vec::new());
                }
                let Value::Array(items) = slot else { return };
                if items.len() <= index {
                    items.resize(index + 1, Value::Null);
                }
                &mut items[index]
            }
            Err(_) => {
                if !slot.is_object() {
                    *slot = Value::Object(Map::new());
                }
                let Value::Object(members) = slot else { return };
                members.entry(token.into_owned()).or_insert(Value::Null)
            }
        };
    }
    *slot = value;
}

/// `/vpc_config/0/subnet_ids` → `vpc_config[0].subnet_ids`, as users read attribute paths.
pub(crate) fn attribute_name(at: &str) -> String {
    let mut out = String::new();
    for token in at.split('/').skip(1) {
        let token = crate::pointer::unescape(token);
        if token.parse::<usize>().is_ok() {
            out.push_str(&format!("[{token}]"));
        } else if !token.is_empty()
            && token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&token);
        } else {
            out.push_str(&format!("[{}]", Value::String(token.into_owned())));
        }
    }
    out
}

/// Joins a pointer relative to `base`.
pub(crate) fn under(base: &str, relative: &str) -> String {
    let mut out = String::with_capacity(base.len() + relative.len());
    out.push_str(base);
    out.push_str(relative);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_markers_are_placed_even_where_values_are_missing() {
        let mut values = json!({"vpc_config": [{"endpoint_public_access": true}]});
        place(&mut values, "/vpc_config/0/subnet_ids", json!("?"));
        place(&mut values, "/identity", json!("?"));
        assert_eq!(
            values,
            json!({"vpc_config": [{"endpoint_public_access": true, "subnet_ids": "?"}], "identity": "?"})
        );
    }

    #[test]
    fn attribute_names_read_like_terraform() {
        assert_eq!(
            attribute_name("/vpc_config/0/subnet_ids"),
            "vpc_config[0].subnet_ids"
        );
        assert_eq!(
            attribute_name("/Condition/StringEquals/x:sub"),
            r#"Condition.StringEquals["x:sub"]"#
        );
    }
}
