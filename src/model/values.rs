//! A resource's attribute values, read the first time a rule asks for them.
//!
//! A plan or state holds every resource's values, but rules read only the resources of the types
//! they select and those they follow: the values of a plan's resources stay text in the
//! document, and each is parsed once, by whichever thread asks first. A configuration's values
//! are built when the file is read (they need evaluating), and held as they are.

use serde_json::Value;
use std::ops::{Deref, DerefMut, Range};
use std::sync::{Arc, OnceLock};

/// Attribute values: a JSON object, parsed on first use.
#[derive(Clone)]
pub struct Values {
    parsed: OnceLock<Value>,
    /// The document's text and where in it the values are, until they are parsed.
    source: Option<(Arc<String>, Range<usize>)>,
}

impl Values {
    /// Values already built.
    pub fn new(value: Value) -> Values {
        Values {
            parsed: OnceLock::from(value),
            source: None,
        }
    }

    /// The JSON at `range` of `text`, which the loader has checked parses (see [`parses_later`]).
    pub fn in_text(text: Arc<String>, range: Range<usize>) -> Values {
        Values {
            parsed: OnceLock::new(),
            source: Some((text, range)),
        }
    }

    /// A copy of the values to change (as a rule places markers in them): parsed for it, where
    /// they are still text, and not kept, so that what is only checked once does not stay.
    pub fn to_value(&self) -> Value {
        match self.parsed.get() {
            Some(value) => value.clone(),
            None => self.parse(),
        }
    }

    /// Reads the values without keeping them parsed: what one check reads of a resource does
    /// not stay for the rest of the run.
    pub fn read<R>(&self, read: impl FnOnce(&Value) -> R) -> R {
        match self.parsed.get() {
            Some(value) => read(value),
            None => read(&self.parse()),
        }
    }

    /// Where in the document's text the values are, when they are read from it.
    pub fn text_range(&self) -> Option<Range<usize>> {
        self.source.as_ref().map(|(_, range)| range.clone())
    }

    /// Whether the values are parsed already.
    pub fn is_parsed(&self) -> bool {
        self.parsed.get().is_some()
    }

    fn parse(&self) -> Value {
        let Some((text, range)) = &self.source else {
            return Value::Object(serde_json::Map::new());
        };
        match text.get(range.clone()).map(serde_json::from_str) {
            Some(Ok(Value::Null)) => Value::Object(serde_json::Map::new()),
            Some(Ok(value)) => value,
            // The loader parses eagerly what would not parse here: this is never reached.
            _ => Value::Null,
        }
    }
}

impl Deref for Values {
    type Target = Value;

    fn deref(&self) -> &Value {
        self.parsed.get_or_init(|| self.parse())
    }
}

/// Changing values (a configuration's, as they are evaluated) parses them first.
impl DerefMut for Values {
    fn deref_mut(&mut self) -> &mut Value {
        if self.parsed.get().is_none() {
            self.parsed = OnceLock::from(self.parse());
        }
        self.source = None;
        self.parsed.get_mut().expect("parsed just above")
    }
}

impl From<Value> for Values {
    fn from(value: Value) -> Values {
        Values::new(value)
    }
}

impl PartialEq for Values {
    fn eq(&self, other: &Values) -> bool {
        **self == **other
    }
}

impl std::fmt::Debug for Values {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// Nesting that a later parse certainly accepts: serde_json stops at 128 levels.
const MAX_LAZY_DEPTH: usize = 100;

/// Whether `json`, valid JSON, will parse into a [`Value`] later: it nests less than
/// serde_json's limit, and has no number with an exponent or so many digits that it may not fit
/// a float. Anything else is parsed while loading, so that its error names the file.
pub fn parses_later(json: &str) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut digits = 0usize;
    for &byte in json.as_bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_LAZY_DEPTH {
                    return false;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'0'..=b'9' => {
                digits += 1;
                if digits > 300 {
                    return false;
                }
                continue;
            }
            // Outside strings, `e` is in `true`, `false` and exponents; only after a digit is
            // it an exponent.
            b'e' | b'E' if digits > 0 => return false,
            _ => {}
        }
        digits = 0;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_on_first_use_and_null_is_no_values() {
        let text = Arc::new(r#"{"values": {"a": [1, "x"]}, "none": null}"#.to_owned());
        let values = Values::in_text(text.clone(), 11..26);
        assert_eq!(*values, serde_json::json!({"a": [1, "x"]}));
        let none = Values::in_text(text, 36..40);
        assert_eq!(*none, serde_json::json!({}));
    }

    #[test]
    fn values_read_once_are_not_kept_parsed() {
        let text = Arc::new(r#"{"values": {"a": [1, "x"]}}"#.to_owned());
        let values = Values::in_text(text, 11..26);
        assert_eq!(values.read(|v| v["a"][1].clone()), "x");
        assert!(!values.is_parsed());
        let _ = values.get("a");
        assert!(values.is_parsed());
        assert_eq!(values.read(|v| v["a"][0].clone()), 1);
    }

    #[test]
    fn what_may_not_parse_later_is_parsed_while_loading() {
        assert!(parses_later(
            r#"{"a": [1, 2.5, -3], "b": "1e999 {{{{", "t": true}"#
        ));
        assert!(!parses_later(r#"{"a": 1e999}"#));
        assert!(!parses_later(r#"{"a": 2E5}"#));
        assert!(!parses_later(&format!("{{\"a\": {}}}", "9".repeat(400))));
        let deep = format!("{}{}", "[".repeat(101), "]".repeat(101));
        assert!(!parses_later(&deep));
        let shallow = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(parses_later(&shallow));
    }
}
