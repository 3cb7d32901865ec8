//! Documents embedded in string attributes, as rules read them: JSON with `${…}` templates
//! kept as text, and IAM policies from JSON or `aws_iam_policy_document` data sources.

use super::index::ModuleIndex;
use crate::expr;
use crate::model::Resource;
use serde_json::{Map, Value};

/// Decodes a JSON document held in a string. `${…}` templates are replaced by placeholders
/// before parsing (their HCL string literals may hold raw quotes) and restored after, in keys
/// and values alike, so rules see the text the author wrote.
pub(crate) fn decode_json(text: &str) -> Result<Value, String> {
    let spans = expr::template_spans(text);
    if spans.is_empty() {
        return serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"));
    }
    let mut masked = String::with_capacity(text.len());
    let mut last = 0;
    for (i, span) in spans.iter().enumerate() {
        masked.push_str(&text[last..span.start]);
        masked.push_str(&placeholder(i));
        last = span.end;
    }
    masked.push_str(&text[last..]);
    let mut decoded: Value = serde_json::from_str(&masked).map_err(|e| {
        if text.trim_start().starts_with("${") {
            "an expression payplat cannot evaluate".to_owned()
        } else {
            format!("not JSON: {e}")
        }
    })?;
    let originals: Vec<&str> = spans.iter().map(|s| &text[s.clone()]).collect();
    restore(&mut decoded, &originals);
    Ok(decoded)
}

fn placeholder(i: usize) -> String {
    format!("\u{e000}{i}\u{e001}")
}

fn restore(value: &mut Value, originals: &[&str]) {
    let unmask = |text: &str| -> String {
        let mut out = text.to_owned();
        for (i, original) in originals.iter().enumerate().rev() {
            out = out.replace(&placeholder(i), original);
        }
        out
    };
    match value {
        Value::String(text) if text.contains('\u{e000}') => *text = unmask(text),
        Value::Array(items) => items.iter_mut().for_each(|item| restore(item, originals)),
        Value::Object(members) => {
            let old = std::mem::take(members);
            for (key, mut member) in old {
                restore(&mut member, originals);
                let key = if key.contains('\u{e000}') {
                    unmask(&key)
                } else {
                    key
                };
                members.insert(key, member);
            }
        }
        _ => {}
    }
}

/// An IAM policy from a string attribute: JSON (templates kept as text), or the
/// `aws_iam_policy_document` data source the string refers to. `Statement` is always a list.
pub(crate) fn decode_iam_policy(
    index: &ModuleIndex,
    from: &Resource,
    text: &str,
) -> Result<Value, String> {
    let mut policy = match policy_document_reference(text) {
        Some(target) => {
            let documents = index
                .resolve(from, target)
                .filter(|found| found.len() == 1)
                .ok_or_else(|| {
                    format!("refers to `{target}`, which is not defined in these inputs")
                })?;
            let document = documents[0];
            match document.values.get("json").and_then(Value::as_str) {
                Some(json) if !json.is_empty() => decode_json(json)?,
                _ => policy_document_to_iam(&document.values),
            }
        }
        None => decode_json(text)?,
    };
    if let Some(statement) = policy.get_mut("Statement").filter(|s| s.is_object()) {
        *statement = Value::Array(vec![statement.take()]);
    }
    Ok(policy)
}

/// `${data.aws_iam_policy_document.NAME.json}` → `data.aws_iam_policy_document.NAME.json`.
fn policy_document_reference(text: &str) -> Option<&str> {
    let spans = expr::template_spans(text);
    let [span] = spans.as_slice() else {
        return None;
    };
    if span.start != 0 || span.end != text.len() {
        return None;
    }
    let body = text[2..text.len() - 1].trim();
    let references = expr::references(body);
    match references.as_slice() {
        [only] if *only == body && body.starts_with("data.aws_iam_policy_document.") => Some(body),
        _ => None,
    }
}

/// The IAM JSON an `aws_iam_policy_document` renders, from its blocks.
fn policy_document_to_iam(values: &Value) -> Value {
    let blocks = |value: Option<&Value>| -> Vec<Value> {
        match value {
            Some(Value::Array(items)) => items.clone(),
            Some(object @ Value::Object(_)) => vec![object.clone()],
            _ => Vec::new(),
        }
    };
    let statements = blocks(values.get("statement"))
        .into_iter()
        .map(|statement| {
            let mut out = Map::new();
            out.insert(
                "Effect".into(),
                statement
                    .get("effect")
                    .cloned()
                    .unwrap_or_else(|| "Allow".into()),
            );
            for (from, to) in [
                ("sid", "Sid"),
                ("actions", "Action"),
                ("not_actions", "NotAction"),
                ("resources", "Resource"),
            ] {
                if let Some(value) = statement.get(from) {
                    out.insert(to.into(), value.clone());
                }
            }
            let mut principals = Map::new();
            for principal in blocks(statement.get("principals")) {
                if let (Some(kind), Some(identifiers)) = (
                    principal.get("type").and_then(Value::as_str),
                    principal.get("identifiers"),
                ) {
                    principals.insert(kind.to_owned(), identifiers.clone());
                }
            }
            // `principals { type = "*" identifiers = ["*"] }` renders as `"Principal": "*"`.
            if principals.contains_key("*") {
                out.insert("Principal".into(), Value::String("*".into()));
            } else if !principals.is_empty() {
                out.insert("Principal".into(), Value::Object(principals));
            }
            let mut conditions: Map<String, Value> = Map::new();
            for condition in blocks(statement.get("condition")) {
                if let (Some(test), Some(variable)) = (
                    condition.get("test").and_then(Value::as_str),
                    condition.get("variable").and_then(Value::as_str),
                ) {
                    let by_variable = conditions
                        .entry(test.to_owned())
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(by_variable) = by_variable {
                        by_variable.insert(
                            variable.to_owned(),
                            condition.get("values").cloned().unwrap_or(Value::Null),
                        );
                    }
                }
            }
            if !conditions.is_empty() {
                out.insert("Condition".into(), Value::Object(conditions));
            }
            Value::Object(out)
        })
        .collect();
    serde_json::json!({"Version": "2012-10-17", "Statement": Value::Array(statements)})
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn policies_with_raw_quotes_in_templates_decode() {
        let text = r#"{"Statement": [{"Condition": {"StringEquals": {"${replace(aws_eks_cluster.c.identity[0].oidc[0].issuer, "https://", "")}:sub": "system:serviceaccount:a:b"}}}]}"#;
        let decoded = decode_json(text).unwrap();
        let key = r#"${replace(aws_eks_cluster.c.identity[0].oidc[0].issuer, "https://", "")}:sub"#;
        assert_eq!(
            decoded["Statement"][0]["Condition"]["StringEquals"][key],
            json!("system:serviceaccount:a:b")
        );
    }

    #[test]
    fn expressions_that_are_not_json_are_reported() {
        assert!(
            decode_json(r#"${jsonencode({"a" = 1})}"#)
                .unwrap_err()
                .contains("expression")
        );
        assert!(decode_json("{nope").unwrap_err().starts_with("not JSON"));
    }
}
