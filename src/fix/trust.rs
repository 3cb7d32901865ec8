//! The IRSA trust fix (a rule's `fix: pin-web-identity`): in each statement that trusts a web
//! identity, `StringLike` on `<issuer>:sub` with one value and no wildcard becomes
//! `StringEquals`, and a missing `<issuer>:aud` condition is added, the issuer taken from the
//! `:sub` condition. Written where the policy is: an `aws_iam_policy_document`'s blocks, or a
//! policy written out as JSON text. Anything else (a wildcard, two service accounts, no `:sub`)
//! needs a person: no fix.

use super::At;
use super::files::{Files, is_json};
use super::{Span, Written};
use crate::model::{Document, Resource};
use serde_json::{Map, Value};

/// Edits, each list with the file it is in, and what they do.
type Pinned = (Vec<(At, Vec<Span>)>, Vec<String>);

/// The edits, each with the file it is in, and what they do.
pub(super) fn pin(
    files: &Files,
    group: &[&Document],
    document: &Document,
    resource: &Resource,
    audience: &str,
) -> Option<Pinned> {
    let policy = At {
        file: document.path.clone(),
        pointer: crate::pointer::join(&resource.pointer, "assume_role_policy"),
    };
    if let Some(Written::Literal(Value::String(json))) = files.read(&policy) {
        let (fixed, said) = pin_json(&json, audience)?;
        let spans = files.replace(&policy, &Value::String(fixed))?;
        return Some((vec![(policy, spans)], said));
    }
    if let Some((spans, said)) = files.with_expression(&policy, |text, expression| {
        pin_jsonencode(text, expression, audience)
    }) {
        return Some((vec![(policy, spans)], said));
    }
    let source = files.source(&policy)?;
    let name = policy_document_named(&source)?;
    let wanted = format!("data.aws_iam_policy_document.{name}");
    let module = resource.address.module_path();
    let (holder, data) = group.iter().find_map(|d| {
        let r = d
            .resources
            .iter()
            .find(|r| r.address.module_path() == module && r.address.in_module() == wanted)?;
        Some((*d, r))
    })?;
    let block = At {
        file: holder.path.clone(),
        pointer: data.pointer.clone(),
    };
    pin_document(files, &block, audience)
}

/// `x` in `data.aws_iam_policy_document.x.json` (also `[0].json` and `.*.json`).
fn policy_document_named(source: &str) -> Option<&str> {
    let after = source.split("data.aws_iam_policy_document.").nth(1)?;
    let name: &str = &after[..after
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(after.len())];
    let rest = &after[name.len()..];
    let json = ["[0].json", ".*.json", ".json"]
        .iter()
        .any(|suffix| rest.starts_with(suffix));
    (json && !name.is_empty()).then_some(name)
}

/// The edits to a policy document's statement and condition blocks.
fn pin_document(files: &Files, block: &At, audience: &str) -> Option<Pinned> {
    if files.makes_dynamically(block, "statement") {
        return None;
    }
    let mut edits = Vec::new();
    let mut said = Vec::new();
    for statement in blocks(files, block, "statement") {
        if files.makes_dynamically(&statement, "condition") {
            return None;
        }
        let mut subject = None;
        let mut has_audience = false;
        for condition in blocks(files, &statement, "condition") {
            let member = |name: &str| At {
                file: condition.file.clone(),
                pointer: crate::pointer::join(&condition.pointer, name),
            };
            let variable = files.source(&member("variable"))?;
            let test = match files.read(&member("test")) {
                Some(Written::Literal(Value::String(test))) => test,
                _ => continue,
            };
            if variable.trim_end_matches('"').ends_with(":aud") {
                has_audience = true;
            }
            if !variable.trim_end_matches('"').ends_with(":sub") {
                continue;
            }
            let one_exact = matches!(files.read(&member("values")),
                Some(Written::Literal(Value::Array(values)))
                    if values.len() == 1 && values[0].as_str().is_some_and(|v| !v.contains(['*', '?'])));
            if test == "StringLike" && one_exact {
                edits.push((
                    member("test"),
                    files.replace(&member("test"), &Value::from("StringEquals"))?,
                ));
                said.push("`StringLike` on `:sub` becomes `StringEquals`".to_owned());
            }
            subject = Some(variable);
        }
        if has_audience {
            continue;
        }
        // The issuer is the `:sub` condition's: its variable, `:aud` for `:sub`.
        let subject = subject?;
        let at = subject.rfind(":sub")?;
        let variable = format!("{}:aud{}", &subject[..at], &subject[at + 4..]);
        let written = |value: &Value| match is_json(&statement.file) {
            true => super::json::value_text(value, ""),
            false => super::hcl::value_text(value),
        };
        let variable = match is_json(&statement.file) {
            true => written(&Value::String(variable)),
            false => variable,
        };
        let members = [
            ("test", written(&Value::from("StringEquals"))),
            ("variable", variable),
            (
                "values",
                written(&Value::Array(vec![Value::from(audience)])),
            ),
        ];
        edits.push((
            statement.clone(),
            files.add_block(&statement, "condition", &members)?,
        ));
        said.push(format!(
            "add the `StringEquals` condition `:aud` = `{audience}`"
        ));
    }
    (!edits.is_empty()).then_some((edits, said))
}

/// The places of the blocks `name` in a block: one, each of a list, or none.
fn blocks(files: &Files, block: &At, name: &str) -> Vec<At> {
    let at = At {
        file: block.file.clone(),
        pointer: crate::pointer::join(&block.pointer, name),
    };
    match files.count(&at) {
        None => Vec::new(),
        Some(None) => vec![at],
        Some(Some(n)) => (0..n)
            .map(|i| At {
                file: at.file.clone(),
                pointer: crate::pointer::join_index(&at.pointer, i),
            })
            .collect(),
    }
}

/// The same fixes on a policy written as JSON text, edited as text: its order and spacing kept.
fn pin_json(json: &str, audience: &str) -> Option<(String, Vec<String>)> {
    let policy: Value = serde_json::from_str(json).ok()?;
    let statements: Vec<String> = match policy.get("Statement")? {
        Value::Array(items) => (0..items.len())
            .map(|i| format!("/Statement/{i}"))
            .collect(),
        _ => vec!["/Statement".to_owned()],
    };
    let mut spans: Vec<Span> = Vec::new();
    let mut said = Vec::new();
    for at in statements {
        let Some(conditions) = policy
            .pointer(&format!("{at}/Condition"))
            .and_then(Value::as_object)
        else {
            continue;
        };
        let conditions_at = format!("{at}/Condition");
        let keys: Vec<&String> = conditions
            .values()
            .filter_map(Value::as_object)
            .flat_map(|c| c.keys())
            .collect();
        let mut added: Vec<(String, String)> = Vec::new();
        let mut renamed = false;
        if let Some(like) = conditions.get("StringLike").and_then(Value::as_object)
            && let [(key, value)] = like.iter().collect::<Vec<_>>().as_slice()
            && key.ends_with(":sub")
            && exact(value)
        {
            let like_at = format!("{conditions_at}/StringLike");
            if conditions.contains_key("StringEquals") {
                spans.push(remove_member(
                    json,
                    &conditions_at,
                    conditions,
                    "StringLike",
                )?);
                added.push(((*key).clone(), super::json::value_text(value, "")));
            } else {
                let span = crate::locate::locate(json, &like_at)?;
                let key_start = span.key_start?;
                let key_end = key_start + json[key_start..].find(':')?;
                spans.push((key_start..key_end, "\"StringEquals\"".to_owned()));
                renamed = true;
            }
            said.push("`StringLike` on `:sub` becomes `StringEquals`".to_owned());
        }
        if !keys.iter().any(|k| k.ends_with(":aud")) {
            let subject = keys.iter().find(|k| k.ends_with(":sub"))?;
            let issuer = &subject[..subject.len() - ":sub".len()];
            added.push((format!("{issuer}:aud"), Value::from(audience).to_string()));
            said.push(format!(
                "add the `StringEquals` condition `:aud` = `{audience}`"
            ));
        }
        if added.is_empty() {
            continue;
        }
        let equals_at = format!("{conditions_at}/StringEquals");
        if conditions.contains_key("StringEquals") {
            for (key, value) in added {
                spans.extend(super::json::insert_member(json, &equals_at, &key, |_| {
                    value.clone()
                })?);
            }
        } else if renamed {
            // The renamed `StringLike` is the `StringEquals`: the audience joins it.
            let like_at = format!("{conditions_at}/StringLike");
            for (key, value) in added {
                spans.extend(super::json::insert_member(json, &like_at, &key, |_| {
                    value.clone()
                })?);
            }
        } else {
            let members: Vec<(&str, String)> =
                added.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            let object = super::json::object_text(&members);
            spans.extend(super::json::insert_member(
                json,
                &conditions_at,
                "StringEquals",
                |_| object.clone(),
            )?);
        }
    }
    if spans.is_empty() {
        return None;
    }
    spans.sort_by_key(|(range, _)| range.start);
    let mut out = String::with_capacity(json.len() + 128);
    let mut at = 0;
    for (range, text) in spans {
        out.push_str(json.get(at..range.start)?);
        out.push_str(&text);
        at = range.end;
    }
    out.push_str(&json[at..]);
    Some((out, said))
}

/// The span that removes member `name` of the object at `at`, with the comma that joins it.
fn remove_member(json: &str, at: &str, object: &Map<String, Value>, name: &str) -> Option<Span> {
    let pointers: Vec<String> = object.keys().map(|k| crate::pointer::join(at, k)).collect();
    let spans = crate::locate::locate_all(json, pointers.iter().map(String::as_str));
    let mut ordered: Vec<(&str, crate::locate::Span)> = spans.into_iter().collect();
    ordered.sort_by_key(|(_, s)| s.start);
    let index = ordered
        .iter()
        .position(|(p, _)| p.ends_with(&format!("/{name}")))?;
    let this = ordered[index].1;
    match (
        ordered.get(index + 1),
        index.checked_sub(1).map(|i| ordered[i].1),
    ) {
        (Some((_, next)), _) => Some((this.key_start?..next.key_start?, String::new())),
        (None, Some(previous)) => Some((previous.end..this.end, String::new())),
        (None, None) => None,
    }
}

fn exact(value: &Value) -> bool {
    let one = match value {
        Value::Array(items) if items.len() == 1 => &items[0],
        other => other,
    };
    one.as_str().is_some_and(|v| !v.contains(['*', '?']))
}

/// The same fixes on a policy built with `jsonencode({...})` in HCL, on the object's text: a
/// `StringLike` operator holding one exact `:sub` is renamed `StringEquals` (where there is no
/// `StringEquals` beside it), and a missing `:aud` entry joins the `StringEquals` object.
fn pin_jsonencode(
    text: &str,
    expression: &hcl_edit::expr::Expression,
    audience: &str,
) -> Option<(Vec<Span>, Vec<String>)> {
    use hcl_edit::Span as _;
    use hcl_edit::expr::{Expression, Object};
    let Expression::FuncCall(call) = expression else {
        return None;
    };
    let [Expression::Object(policy)] = call.args.iter().collect::<Vec<_>>().as_slice() else {
        return None;
    };
    if call.name.name.as_str() != "jsonencode" {
        return None;
    }
    let key_text = |key: &hcl_edit::expr::ObjectKey| -> Option<String> {
        Some(text[key.span()?].trim().trim_matches('"').to_owned())
    };
    let member = |object: &Object, name: &str| {
        object
            .iter()
            .find(|(k, _)| key_text(k).as_deref() == Some(name))
            .map(|(k, v)| (k.clone(), v.expr().clone()))
    };
    let statements: Vec<Expression> = match member(policy, "Statement")?.1 {
        Expression::Array(items) => items.iter().cloned().collect(),
        one => vec![one],
    };
    let (mut spans, mut said) = (Vec::new(), Vec::new());
    for statement in &statements {
        let Expression::Object(statement) = statement else {
            continue;
        };
        let Some((_, Expression::Object(conditions))) = member(statement, "Condition") else {
            continue;
        };
        let entries = |object: &Object| -> Vec<(String, String)> {
            object
                .iter()
                .filter_map(|(k, v)| Some((key_text(k)?, text[v.expr().span()?].to_owned())))
                .collect()
        };
        let operators: Vec<(hcl_edit::expr::ObjectKey, Expression)> = conditions
            .iter()
            .map(|(k, v)| (k.clone(), v.expr().clone()))
            .collect();
        let keys: Vec<String> = operators
            .iter()
            .filter_map(|(_, v)| match v {
                Expression::Object(o) => Some(entries(o)),
                _ => None,
            })
            .flatten()
            .map(|(k, _)| k)
            .collect();
        let equals = member(&conditions, "StringEquals");
        let mut target = equals.clone();
        if let Some((like_key, Expression::Object(like))) = member(&conditions, "StringLike")
            && equals.is_none()
            && let [(key, value)] = entries(&like).as_slice()
            && key.ends_with(":sub")
            && !value.contains(['*', '?'])
        {
            spans.push((like_key.span()?, "StringEquals".to_owned()));
            said.push("`StringLike` on `:sub` becomes `StringEquals`".to_owned());
            target = Some((like_key, Expression::Object(like)));
        }
        if keys.iter().any(|k| k.ends_with(":aud")) {
            continue;
        }
        let Some((_, Expression::Object(into))) = target else {
            continue;
        };
        // The issuer as the `:sub` key writes it.
        let subject = into
            .iter()
            .chain(
                operators
                    .iter()
                    .filter_map(|(_, v)| match v {
                        Expression::Object(o) => Some(o),
                        _ => None,
                    })
                    .flat_map(|o| o.iter()),
            )
            .find(|(k, _)| key_text(k).is_some_and(|t| t.ends_with(":sub")))?;
        let subject_text = text[subject.0.span()?].trim().to_owned();
        let at = subject_text.rfind(":sub")?;
        let key = format!("{}:aud{}", &subject_text[..at], &subject_text[at + 4..]);
        let value = super::hcl::value_text(&Value::from(audience));
        let (last_key, last_value) = into.iter().last()?;
        let (key_span, end) = (last_key.span()?, last_value.expr().span()?.end);
        let object_span = into.span()?;
        let multiline = text[object_span.clone()].contains('\n');
        let entry = if multiline {
            let line_start = text[..key_span.start].rfind('\n').map_or(0, |i| i + 1);
            let indent = &text[line_start..key_span.start];
            // Aligned with the `=` of the entry above, as `terraform fmt` aligns them.
            let equals = key_span.end + text[key_span.end..].find('=')?;
            let width = (equals - key_span.start).saturating_sub(1).max(key.len());
            format!("\n{indent}{key:width$} = {value}")
        } else {
            format!(", {key} = {value}")
        };
        spans.push((end..end, entry));
        said.push(format!(
            "add the `StringEquals` condition `:aud` = `{audience}`"
        ));
    }
    (!spans.is_empty()).then_some((spans, said))
}
