//! Bytes to text, and what a text that is not the JSON it should be is instead.

use super::{CONFIG_BLOCKS, LoadError, Problem};
use crate::text;
use serde_json::Value;
use std::path::Path;

/// Honours a UTF-8 or UTF-16 byte-order mark; anything else must be UTF-8.
/// On failure, returns the line and column of the bad input where there is one.
pub(super) fn decode(mut bytes: Vec<u8>) -> Result<String, (Option<(usize, usize)>, Problem)> {
    let utf16 = |rest: &[u8], big_endian: bool| {
        if !rest.len().is_multiple_of(2) {
            return Err((None, Problem::InvalidUtf16("odd number of bytes")));
        }
        text::utf16_chars(rest, big_endian)
            .collect::<Result<String, _>>()
            .map_err(|_| (None, Problem::InvalidUtf16("unpaired surrogate")))
    };
    if let Some(rest) = bytes.strip_prefix(b"\xff\xfe") {
        return utf16(rest, false);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xfe\xff") {
        return utf16(rest, true);
    }
    if bytes.starts_with(b"\xef\xbb\xbf") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|error| {
        let bytes = error.as_bytes();
        let at = error.utf8_error().valid_up_to();
        // Everything before the first bad byte is valid UTF-8.
        let before = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
        let position = crate::locate::position(before, at);
        (
            Some((position.line, position.column)),
            Problem::InvalidUtf8 { byte: bytes[at] },
        )
    })
}

pub(super) fn json_error(path: &Path, text: &str, error: &serde_json::Error) -> LoadError {
    use serde_json::error::Category;
    let message = error.to_string();
    // serde_json appends " at line L column C"; the position is reported separately.
    let message = match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    };
    let start = text.trim_start();
    let problem = if start.starts_with("[command]") {
        Problem::WrapperOutput
    } else if looks_like_native_syntax(start) {
        Problem::NativeSyntax
    } else if !start.starts_with(['{', '[']) && error.classify() == Category::Syntax {
        Problem::NotJson(message)
    } else if error.classify() == Category::Eof {
        Problem::Truncated(message.replace("EOF while parsing", "it ends inside"))
    } else if message.contains("recursion limit") {
        Problem::TooDeep("more than 128 levels".to_owned())
    } else {
        // Only words other languages use for JSON values are named: the text of a broken file
        // may be a secret.
        match token_at(text, error.line(), error.column()) {
            Some(token) if NOT_JSON_WORDS.contains(&token) => {
                Problem::Json(format!("{message}, found `{token}`"))
            }
            _ => Problem::Json(message),
        }
    };
    match problem {
        // The whole file is the wrong kind of text; a position would point at nothing useful.
        Problem::WrapperOutput | Problem::NativeSyntax => LoadError::new(path, problem),
        _ => LoadError::at(path, error.line(), error.column(), problem),
    }
}

/// Values of JavaScript, Python, HCL and YAML that are not JSON, as broken documents hold them.
const NOT_JSON_WORDS: &[&str] = &[
    "NaN",
    "Infinity",
    "-Infinity",
    "undefined",
    "True",
    "False",
    "None",
    "nil",
    "yes",
    "no",
];

/// The word at a 1-based line and column (as serde_json counts, in bytes), to show what broke the JSON.
fn token_at(text: &str, line: usize, column: usize) -> Option<&str> {
    let line_text = text.lines().nth(line.checked_sub(1)?)?;
    let from = column.checked_sub(1)?;
    let rest = line_text
        .get(from..)
        .or_else(|| line_text.get(from.checked_sub(1)?..))?;
    let end = rest
        .find(|c: char| c.is_whitespace() || ",:{}[]\"".contains(c))
        .unwrap_or(rest.len())
        .min(24);
    let token = rest.get(..end)?;
    (!token.is_empty()).then_some(token)
}

/// `terraform {`, `resource "aws_x" "y" {`, `variable "v" {`: a block header.
fn looks_like_native_syntax(text: &str) -> bool {
    let first_line = text.lines().next().unwrap_or_default().trim_end();
    let mut words = first_line.split_whitespace();
    let block_type = words.next().unwrap_or_default();
    first_line.ends_with('{')
        && CONFIG_BLOCKS.contains(&block_type)
        && words.all(|w| w == "{" || (w.starts_with('"') && w.ends_with('"')))
}

pub(super) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
