//! The string functions.

use super::{arity, index, list, string, to_number};
use serde_json::Value;

pub(super) fn replace(args: &[Value]) -> Result<Value, String> {
    let [text, search, with] = arity(args)?;
    let (text, search, with) = (string(text)?, string(search)?, string(with)?);
    // `/…/` is a regular expression, as Terraform documents.
    if search.len() > 1 && search.starts_with('/') && search.ends_with('/') {
        let pattern = regex::Regex::new(&search[1..search.len() - 1]).map_err(|e| e.to_string())?;
        return Ok(Value::String(
            pattern.replace_all(&text, with.as_str()).into_owned(),
        ));
    }
    Ok(Value::String(text.replace(&search, &with)))
}

pub(super) fn format(args: &[Value]) -> Result<Value, String> {
    let (spec, args) = args
        .split_first()
        .ok_or_else(|| "takes a format".to_owned())?;
    let spec = string(spec)?;
    let mut args = args.iter();
    let mut out = String::new();
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some(verb @ ('s' | 'd' | 'v' | 'q')) => {
                let arg = args.next().ok_or("too few arguments for the format")?;
                match verb {
                    'q' => out.push_str(&Value::String(string(arg)?).to_string()),
                    'd' => out.push_str(&to_number(arg).ok_or("%d expects a number")?.to_string()),
                    _ => out.push_str(&string(arg)?),
                }
            }
            _ => return Err("payplat evaluates the %s, %d, %v and %q verbs only".to_owned()),
        }
    }
    Ok(Value::String(out))
}

pub(super) fn string_map(args: &[Value], f: fn(&str) -> String) -> Result<Value, String> {
    let [text] = arity(args)?;
    Ok(Value::String(f(&string(text)?)))
}

pub(super) fn strings2(args: &[Value], f: fn(&str, &str) -> Value) -> Result<Value, String> {
    let [a, b] = arity(args)?;
    Ok(f(&string(a)?, &string(b)?))
}

pub(super) fn trimprefix(args: &[Value]) -> Result<Value, String> {
    strings2(args, |s, p| {
        Value::String(s.strip_prefix(p).unwrap_or(s).to_owned())
    })
}

pub(super) fn trimsuffix(args: &[Value]) -> Result<Value, String> {
    strings2(args, |s, p| {
        Value::String(s.strip_suffix(p).unwrap_or(s).to_owned())
    })
}

pub(super) fn join(args: &[Value]) -> Result<Value, String> {
    let (separator, lists) = args
        .split_first()
        .ok_or_else(|| "takes a separator".to_owned())?;
    let mut parts = Vec::new();
    for items in lists {
        for item in list(items)? {
            parts.push(string(item)?);
        }
    }
    Ok(Value::String(parts.join(&string(separator)?)))
}

pub(super) fn split(args: &[Value]) -> Result<Value, String> {
    let [separator, text] = arity(args)?;
    let (separator, text) = (string(separator)?, string(text)?);
    Ok(Value::Array(
        text.split(separator.as_str())
            .map(|part| Value::String(part.to_owned()))
            .collect(),
    ))
}

pub(super) fn substr(args: &[Value]) -> Result<Value, String> {
    let [text, offset, length] = arity(args)?;
    let chars: Vec<char> = string(text)?.chars().collect();
    let offset = index(offset)?.min(chars.len());
    let length = match to_number(length) {
        Some(n) if n < 0.0 => chars.len() - offset,
        _ => index(length)?,
    };
    Ok(Value::String(
        chars[offset..(offset + length).min(chars.len())]
            .iter()
            .collect(),
    ))
}
