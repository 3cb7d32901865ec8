//! `jsonencode` and `jsondecode`: JSON text whose `${…}` tokens stay readable.

use super::{arity, string};
use serde_json::Value;

/// Compact JSON with object keys sorted, as Terraform encodes. A `${…}` token inside a string
/// is written as is, the way CDKTF writes references into JSON documents, so that it is still
/// read as the reference it is.
pub(super) fn jsonencode(args: &[Value]) -> Result<Value, String> {
    let [value] = arity(args)?;
    let mut out = String::new();
    encode(value, &mut out);
    Ok(Value::String(out))
}

/// Writes `value` as JSON with its `${…}` tokens raw: also an HCL expression for the value.
pub(crate) fn encode(value: &Value, out: &mut String) {
    encode_with(value, out, false);
}

/// [`encode`], but a string that is one `${…}` token is written as its expression, as the
/// expression that made the value would: `[aws_subnet.a.id]`, not `["${aws_subnet.a.id}"]`.
pub(crate) fn encode_expression(value: &Value, out: &mut String) {
    encode_with(value, out, true);
}

fn encode_with(value: &Value, out: &mut String, bare_tokens: bool) {
    match value {
        Value::String(text) if bare_tokens && crate::resolve::evaluate::is_token(text) => {
            out.push('(');
            out.push_str(&text[2..text.len() - 1]);
            out.push(')');
        }
        Value::String(text) => encode_string(text, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                encode_with(item, out, bare_tokens);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (i, (key, member)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                encode_string(key, out);
                out.push(':');
                encode_with(member, out, bare_tokens);
            }
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

fn encode_string(text: &str, out: &mut String) {
    out.push('"');
    let mut at = 0;
    for span in crate::expr::template_spans(text) {
        push_escaped(&text[at..span.start], out);
        out.push_str(&text[span.clone()]);
        at = span.end;
    }
    push_escaped(&text[at..], out);
    out.push('"');
}

/// `text` as inside a JSON string, escaped as serde_json escapes it.
fn push_escaped(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
}

pub(super) fn jsondecode(args: &[Value]) -> Result<Value, String> {
    let [text] = arity(args)?;
    serde_json::from_str(&string(text)?).map_err(|e| format!("not JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jsonencode_sorts_keys_and_keeps_tokens_readable() {
        let encoded =
            jsonencode(&[json!({"b": 1, "a": "${replace(x.url, \"https://\", \"\")}:sub"})]);
        assert_eq!(
            encoded,
            Ok(json!(
                r#"{"a":"${replace(x.url, "https://", "")}:sub","b":1}"#
            ))
        );
    }

    #[test]
    fn jsonencode_escapes_strings_as_serde_json_does() {
        let text: String = (0u32..0x80)
            .filter_map(char::from_u32)
            .chain("é\u{2028}😀".chars())
            .collect();
        let mut out = String::new();
        push_escaped(&text, &mut out);
        assert_eq!(format!("\"{out}\""), Value::String(text).to_string());
    }
}
