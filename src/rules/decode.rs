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

/// How many policy documents one may merge in through `source_policy_documents` and
/// `override_policy_documents`, one within another.
const MAX_MERGED_DEPTH: usize = 8;

/// An IAM policy from a string attribute: JSON (templates kept as text), or the
/// `aws_iam_policy_document` data source the string refers to. `Statement` is always a list.
pub(crate) fn decode_iam_policy(
    index: &ModuleIndex,
    from: &Resource,
    text: &str,
) -> Result<Value, String> {
    let mut policy = policy(index, from, text, 0)?;
    if let Some(statement) = policy.get_mut("Statement").filter(|s| s.is_object()) {
        *statement = Value::Array(vec![statement.take()]);
    }
    Ok(policy)
}

fn policy(index: &ModuleIndex, from: &Resource, text: &str, depth: usize) -> Result<Value, String> {
    let Some(target) = policy_document_reference(text) else {
        return decode_json(text);
    };
    if depth > MAX_MERGED_DEPTH {
        return Err(format!(
            "merges policy documents more than {MAX_MERGED_DEPTH} deep"
        ));
    }
    // A reference passed in from another module is resolved where it was written.
    let found = match from.references.iter().find(|r| r.target == target) {
        Some(reference) => index.resolve_reference(from, reference),
        None => index.resolve(from, target),
    };
    let [document] = found.as_deref().unwrap_or_default() else {
        return Err(format!(
            "refers to `{target}`, which is not defined in these inputs"
        ));
    };
    match document.values.get("json").and_then(Value::as_str) {
        Some(json) if !json.is_empty() => decode_json(json),
        _ => rendered(index, document, depth),
    }
}

/// `${data.aws_iam_policy_document.NAME.json}` (or `NAME[0]`, or the one of a splat written
/// `join("", data.aws_iam_policy_document.NAME.*.json)` or `one(…[*].json)`) →
/// the reference.
fn policy_document_reference(text: &str) -> Option<&str> {
    let body = text.strip_prefix("${")?.strip_suffix('}')?.trim();
    if expr::template_spans(text).len() != 1 {
        return None;
    }
    let inner = body
        .strip_prefix("join(\"\",")
        .or_else(|| body.strip_prefix("one("))
        .and_then(|call| call.strip_suffix(')'))
        .map_or(body, str::trim);
    match expr::references(inner).as_slice() {
        [only] if *only == inner && inner.starts_with("data.aws_iam_policy_document.") => {
            Some(inner)
        }
        _ => None,
    }
}

/// The IAM JSON an `aws_iam_policy_document` renders, as the AWS provider merges it: the
/// statements of `source_policy_documents`, then the document's own (replacing a source
/// statement of the same `sid`), then those of `override_policy_documents` (replacing any of
/// the same `sid`). What is not known here (blocks a `dynamic` block makes from an unknown
/// `for_each`, a document list that is an expression) leaves the policy unknown.
fn rendered(index: &ModuleIndex, document: &Resource, depth: usize) -> Result<Value, String> {
    let values = &document.values;
    let mut statements = Vec::new();
    for source in documents(
        values.get("source_policy_documents"),
        "source_policy_documents",
    )? {
        let source = policy(index, document, source, depth + 1)?;
        statements.extend(statements_of(&source));
    }
    for statement in blocks(values.get("statement"), "statement")? {
        merge(&mut statements, statement_to_iam(statement)?)?;
    }
    for overriding in documents(
        values.get("override_policy_documents"),
        "override_policy_documents",
    )? {
        let overriding = policy(index, document, overriding, depth + 1)?;
        for statement in statements_of(&overriding) {
            merge(&mut statements, statement)?;
        }
    }
    Ok(serde_json::json!({"Version": "2012-10-17", "Statement": Value::Array(statements)}))
}

/// Adds a statement, replacing one of the same non-empty `Sid`; where a `Sid` is not known,
/// which it replaces cannot be told.
fn merge(statements: &mut Vec<Value>, statement: Value) -> Result<(), String> {
    let sid_of = |statement: &Value| {
        statement
            .get("Sid")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let unknown = std::iter::once(&statement)
        .chain(statements.iter())
        .filter_map(sid_of)
        .find(|sid| !expr::template_spans(sid).is_empty());
    if let (Some(unknown), false) = (unknown, statements.is_empty()) {
        return Err(format!(
            "merges statements by `Sid`, and `{unknown}` is not known here"
        ));
    }
    let sid = sid_of(&statement);
    match sid.and_then(|sid| {
        statements
            .iter()
            .position(|s| sid_of(s).as_ref() == Some(&sid))
    }) {
        Some(at) => statements[at] = statement,
        None => statements.push(statement),
    }
    Ok(())
}

fn statements_of(policy: &Value) -> Vec<Value> {
    match policy.get("Statement") {
        Some(Value::Array(items)) => items.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// A list of policy documents: JSON texts or references to other policy documents.
fn documents<'v>(value: Option<&'v Value>, name: &str) -> Result<Vec<&'v str>, String> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .ok_or_else(|| format!("`{name}` holds something that is not a document"))
            })
            .collect(),
        Some(other) => Err(unknown_blocks(name, other)),
    }
}

/// The blocks of one type: none, one (an object) or several (an array).
fn blocks<'v>(value: Option<&'v Value>, name: &str) -> Result<Vec<&'v Value>, String> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items.iter().collect()),
        Some(object @ Value::Object(_)) => Ok(vec![object]),
        Some(other) => Err(unknown_blocks(name, other)),
    }
}

fn unknown_blocks(name: &str, value: &Value) -> String {
    match value.as_str() {
        Some(expression) => format!(
            "is built from `{name}` blocks that are not known here: they come from `{expression}`"
        ),
        None => format!("is built from `{name}`, which is not a list of blocks"),
    }
}

/// One `statement` block as the IAM JSON statement it renders.
fn statement_to_iam(statement: &Value) -> Result<Value, String> {
    let mut out = Map::new();
    out.insert(
        "Effect".into(),
        statement
            .get("effect")
            .filter(|e| !e.is_null())
            .cloned()
            .unwrap_or_else(|| "Allow".into()),
    );
    for (from, to) in [
        ("sid", "Sid"),
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ] {
        if let Some(value) = statement.get(from).filter(|v| !v.is_null()) {
            out.insert(to.into(), value.clone());
        }
    }
    for (from, to) in [
        ("principals", "Principal"),
        ("not_principals", "NotPrincipal"),
    ] {
        let mut principals = Map::new();
        for principal in blocks(statement.get(from), from)? {
            if let (Some(kind), Some(identifiers)) = (
                principal.get("type").and_then(Value::as_str),
                principal.get("identifiers"),
            ) {
                principals.insert(kind.to_owned(), identifiers.clone());
            }
        }
        // `principals { type = "*" identifiers = ["*"] }` renders as `"Principal": "*"`.
        if principals.contains_key("*") {
            out.insert(to.into(), Value::String("*".into()));
        } else if !principals.is_empty() {
            out.insert(to.into(), Value::Object(principals));
        }
    }
    let mut conditions: Map<String, Value> = Map::new();
    for condition in blocks(statement.get("condition"), "condition")? {
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
    Ok(Value::Object(out))
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
