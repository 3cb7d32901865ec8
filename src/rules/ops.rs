//! The cross-resource and decoding steps rules name: following references to the resources
//! they name, decoding embedded documents, and marking values known only after apply.

use crate::expr;
use crate::model::{Document, Mode, Resource};
use crate::pointer;
use ahash::AHashMap;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::sync::OnceLock;

/// Stands in the values where Terraform knows a value only after apply, so selectors find it.
pub const UNKNOWN: &str = "\u{0}payplat:known-after-apply\u{0}";

pub fn is_unknown(value: &Value) -> bool {
    value.as_str() == Some(UNKNOWN)
}

/// Whether a string holds a `${…}` expression that only Terraform can evaluate.
pub fn is_expression(text: &str) -> bool {
    !expr::template_spans(text).is_empty()
}

/// The resource's values with [`UNKNOWN`] at every attribute known only after apply.
pub fn with_unknowns(resource: &Resource) -> Cow<'_, Value> {
    if resource.unknown.is_empty() {
        return Cow::Borrowed(&resource.values);
    }
    let mut values = resource.values.clone();
    for at in &resource.unknown {
        place(&mut values, at, Value::String(UNKNOWN.to_owned()));
    }
    Cow::Owned(values)
}

/// Sets the value at `at`, creating the objects and array slots on the way.
fn place(root: &mut Value, at: &str, value: Value) {
    let mut slot = root;
    for token in at.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
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
                members.entry(token).or_insert(Value::Null)
            }
        };
    }
    *slot = value;
}

/// The resources of one document, by address, type and id: built on first use, since only
/// rules that follow references or look at other resources need it.
pub struct DocumentIndex<'a> {
    pub document: &'a Document,
    maps: OnceLock<Maps<'a>>,
}

#[derive(Default)]
struct Maps<'a> {
    by_address: AHashMap<&'a str, Vec<&'a Resource>>,
    /// Instances by the address of the resource they belong to (`aws_x.y` for `aws_x.y[0]`).
    by_base_address: AHashMap<&'a str, Vec<&'a Resource>>,
    by_type: AHashMap<&'a str, Vec<&'a Resource>>,
    /// By type and `id` value, for plans that name existing objects by id.
    by_id: AHashMap<(&'a str, &'a str), Vec<&'a Resource>>,
}

impl<'a> DocumentIndex<'a> {
    pub fn new(document: &'a Document) -> Self {
        DocumentIndex {
            document,
            maps: OnceLock::new(),
        }
    }

    fn maps(&self) -> &Maps<'a> {
        self.maps.get_or_init(|| {
            let mut maps = Maps::default();
            for resource in self
                .document
                .resources
                .iter()
                .filter(|r| r.action.is_live())
            {
                maps.by_address
                    .entry(&resource.address)
                    .or_default()
                    .push(resource);
                maps.by_base_address
                    .entry(base_address(resource))
                    .or_default()
                    .push(resource);
                maps.by_type
                    .entry(&resource.resource_type)
                    .or_default()
                    .push(resource);
                if let Some(id) = resource.values.get("id").and_then(Value::as_str) {
                    maps.by_id
                        .entry((&resource.resource_type, id))
                        .or_default()
                        .push(resource);
                }
            }
            maps
        })
    }

    /// Live resources of one of `types` whose `id` is `id`.
    pub fn with_id(&self, types: &[String], id: &str) -> Vec<&'a Resource> {
        let by_id = &self.maps().by_id;
        types
            .iter()
            .flat_map(|t| by_id.get(&(t.as_str(), id)).into_iter().flatten().copied())
            .collect()
    }

    /// Live resources of the given types.
    pub fn of_types<'t>(&'t self, types: &'t [String]) -> impl Iterator<Item = &'a Resource> + 't {
        types.iter().flat_map(|t| {
            self.maps()
                .by_type
                .get(t.as_str())
                .into_iter()
                .flatten()
                .copied()
        })
    }

    /// The resources a traversal written in `from`'s module names: `aws_subnet.a.id` names
    /// `aws_subnet.a`; `aws_subnet.private` (a counted resource) names all its instances.
    /// `None` when the traversal names no resource (`var.…`, `module.…` outputs, …).
    pub fn resolve(&self, from: &Resource, target: &str) -> Option<Vec<&'a Resource>> {
        let (mode, rest) = match target.strip_prefix("data.") {
            Some(rest) => (Mode::Data, rest),
            None => (Mode::Managed, target),
        };
        let mut steps = rest.splitn(3, '.');
        let resource_type = steps.next()?;
        let name_and_index = steps.next()?;
        if !resource_type.contains('_') {
            return None;
        }
        let (name, index) = match name_and_index.find('[') {
            Some(at) => (&name_and_index[..at], Some(&name_and_index[at..])),
            None => (name_and_index, None),
        };
        let mut base = String::new();
        if let Some(module) = &from.module {
            base.push_str(module);
            base.push('.');
        }
        if mode == Mode::Data {
            base.push_str("data.");
        }
        base.push_str(resource_type);
        base.push('.');
        base.push_str(name);
        let maps = self.maps();
        let found: Vec<&Resource> = match index.filter(|i| *i != "[*]") {
            // A configuration holds one block for all instances of a counted resource.
            Some(index) => maps
                .by_address
                .get(format!("{base}{index}").as_str())
                .or_else(|| {
                    maps.by_address
                        .get(base.as_str())
                        .filter(|_| self.document.kind.is_configuration())
                })
                .cloned()
                .unwrap_or_default(),
            None => maps
                .by_base_address
                .get(base.as_str())
                .cloned()
                .unwrap_or_default(),
        };
        Some(found)
    }
}

/// The address of the resource an instance belongs to: `module.m[0].aws_x.y` for
/// `module.m[0].aws_x.y["k"]`.
fn base_address(resource: &Resource) -> &str {
    match &resource.index {
        Some(index) => resource
            .address
            .strip_suffix(index.to_string().as_str())
            .unwrap_or(&resource.address),
        None => &resource.address,
    }
}

/// Decodes a JSON document held in a string. `${…}` templates are replaced by placeholders
/// before parsing (their HCL string literals may hold raw quotes) and restored after, in keys
/// and values alike, so rules see the text the author wrote.
pub fn decode_json(text: &str) -> Result<Value, String> {
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
pub fn decode_iam_policy(
    index: &DocumentIndex,
    from: &Resource,
    text: &str,
) -> Result<Value, String> {
    let mut policy = match policy_document_reference(text) {
        Some(target) => {
            let documents = index
                .resolve(from, target)
                .filter(|found| found.len() == 1)
                .ok_or_else(|| format!("refers to `{target}`, which is not in this file"))?;
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
            if !principals.is_empty() {
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

/// Whether a `*` wildcard pattern (the only wildcard ECR filters have) matches `text` whole.
pub fn wildcard_matches(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// `/vpc_config/0/subnet_ids` → `vpc_config[0].subnet_ids`, as users read attribute paths.
pub fn attribute_name(at: &str) -> String {
    let mut out = String::new();
    for token in at.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
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
            out.push_str(&format!("[{}]", Value::String(token)));
        }
    }
    out
}

/// Joins a pointer relative to `base`.
pub fn under(base: &str, relative: &str) -> String {
    let mut out = String::with_capacity(base.len() + relative.len());
    out.push_str(base);
    out.push_str(relative);
    out
}

/// The pointer a JSONPath's leading `.name` / `['name']` / `[0]` steps name, up to its first
/// step that selects more than one node (`*`, `..`, filters, slices).
pub fn static_prefix(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path.strip_prefix('$').unwrap_or(path);
    loop {
        if let Some(after) = rest.strip_prefix('.') {
            if after.starts_with('.') || after.starts_with('*') {
                break;
            }
            let end = after.find(['.', '[']).unwrap_or(after.len());
            out = pointer::join(&out, &after[..end]);
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let Some(close) = after.find(']') else { break };
            let inner = after[..close].trim();
            if let Ok(index) = inner.parse::<usize>() {
                out = pointer::join_index(&out, index);
            } else if inner.len() >= 2
                && (inner.starts_with('\'') && inner.ends_with('\'')
                    || inner.starts_with('"') && inner.ends_with('"'))
            {
                out = pointer::join(&out, &inner[1..inner.len() - 1]);
            } else {
                break;
            }
            rest = &after[close + 1..];
        } else {
            break;
        }
    }
    out
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
    fn wildcards_match_whole_names() {
        assert!(wildcard_matches("*", "payment-service"));
        assert!(wildcard_matches("payment-*", "payment-service"));
        assert!(wildcard_matches("*-service", "payment-service"));
        assert!(!wildcard_matches("fraud-*", "payment-service"));
        assert!(wildcard_matches("payment-service", "payment-service"));
        assert!(!wildcard_matches("a*a", "a"));
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

    #[test]
    fn static_prefixes_stop_at_the_first_wildcard() {
        assert_eq!(static_prefix("$.retention_in_days"), "/retention_in_days");
        assert_eq!(
            static_prefix("$.vpc_config[0]['subnet_ids'][*]"),
            "/vpc_config/0/subnet_ids"
        );
        assert_eq!(
            static_prefix("$.image_scanning_configuration..scan_on_push"),
            "/image_scanning_configuration"
        );
        assert_eq!(static_prefix("$..subnet_ids"), "");
    }
}
