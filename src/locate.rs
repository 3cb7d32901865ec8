//! Turns JSON pointers into byte spans and line/column positions of the original text.
//!
//! Only findings (and `inspect`) need positions, so the text is not indexed while loading.
//! One pass over the text resolves any number of pointers: the scanner descends only into
//! values that lie on the way to a wanted pointer and skips everything else, so the cost is
//! linear in the file whatever the number of pointers.

use crate::pointer;
use memchr::{memchr_iter, memchr2};
use std::collections::{HashMap, HashSet};

/// Byte range of one JSON value in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The first byte.
    pub start: usize,
    /// Past the last byte.
    pub end: usize,
    /// Where the member's key starts, when the value belongs to an object: the place a
    /// reader looks for `"name": {…}`.
    pub key_start: Option<usize>,
}

impl Span {
    /// The start of the key where there is one, else of the value.
    pub fn label_start(&self) -> usize {
        self.key_start.unwrap_or(self.start)
    }
}

/// 1-based line and column (in characters) of a byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
}

/// The span of the value at `pointer`, if the text has one there.
pub fn locate(text: &str, pointer: &str) -> Option<Span> {
    locate_all(text, [pointer]).remove(pointer)
}

/// The spans of every pointer that names a value in the text. Where an object repeats a key,
/// the last occurrence wins, as it does for the parsed value.
pub fn locate_all<'p>(
    text: &str,
    pointers: impl IntoIterator<Item = &'p str>,
) -> HashMap<&'p str, Span> {
    let wanted: HashSet<&str> = pointers.into_iter().collect();
    let on_the_way: HashSet<&str> = wanted.iter().flat_map(|p| pointer::ancestors(p)).collect();
    let mut found = HashMap::with_capacity(wanted.len());
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        pos: 0,
    };
    let mut path = String::new();
    // A text that is not the JSON it was parsed from yields fewer spans, never a panic.
    let _ = scanner.walk(&mut path, None, &wanted, &on_the_way, &mut found);
    found
}

/// Line and column of byte offsets, for many offsets at once: one pass over the text in
/// offset order, so a plan written on one line of many megabytes costs one pass, not one per
/// finding.
pub fn positions(text: &str, offsets: &[usize]) -> Vec<Position> {
    let mut order: Vec<usize> = (0..offsets.len()).collect();
    order.sort_by_key(|&i| offsets[i]);
    let mut out = vec![Position { line: 1, column: 1 }; offsets.len()];
    let (mut line, mut at, mut column) = (1, 0, 1);
    for i in order {
        let offset = floor_boundary(text, offsets[i].min(text.len()));
        if offset < at {
            // Repeated offsets share the position already found.
            out[i] = Position { line, column };
            continue;
        }
        let newlines = memchr_iter(b'\n', &text.as_bytes()[at..offset]).count();
        if newlines > 0 {
            line += newlines;
            column = 1;
            at += memchr::memrchr(b'\n', &text.as_bytes()[at..offset]).map_or(0, |n| n + 1);
        }
        column += text[at..offset].chars().count();
        at = offset;
        out[i] = Position { line, column };
    }
    out
}

/// The position of one offset.
pub fn position(text: &str, offset: usize) -> Position {
    positions(text, &[offset])[0]
}

/// The length in bytes of the line that holds byte `at`.
pub fn line_length(text: &str, at: usize) -> usize {
    let at = floor_boundary(text, at.min(text.len()));
    let start = text[..at].rfind('\n').map_or(0, |n| n + 1);
    let end = text[at..].find('\n').map_or(text.len(), |n| at + n);
    end - start
}

/// Lines longer than this are not shown as excerpts: a generated file's one line would bury the message.
pub const EXCERPT_LINE_LIMIT: usize = 400;

/// The byte offset of a 1-based line and column (in characters); past the end is the end.
pub fn offset(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        memchr_iter(b'\n', text.as_bytes())
            .nth(line - 2)
            .map_or(text.len(), |newline| newline + 1)
    };
    text[line_start..]
        .char_indices()
        .take_while(|(_, c)| *c != '\n')
        .nth(column.saturating_sub(1))
        .map_or_else(
            || {
                line_start
                    + text[line_start..]
                        .find('\n')
                        .unwrap_or(text.len() - line_start)
            },
            |(at, _)| line_start + at,
        )
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

struct Scanner<'t> {
    bytes: &'t [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn walk<'p>(
        &mut self,
        path: &mut String,
        key_start: Option<usize>,
        wanted: &HashSet<&'p str>,
        on_the_way: &HashSet<&str>,
        found: &mut HashMap<&'p str, Span>,
    ) -> Option<()> {
        self.skip_whitespace();
        let start = self.pos;
        match self.peek()? {
            b'{' if on_the_way.contains(path.as_str()) => {
                self.pos += 1;
                self.members(path, |scanner, path, key_start| {
                    scanner.walk(path, Some(key_start), wanted, on_the_way, found)
                })?
            }
            b'[' if on_the_way.contains(path.as_str()) => {
                self.pos += 1;
                self.elements(path, |scanner, path| {
                    scanner.walk(path, None, wanted, on_the_way, found)
                })?
            }
            _ => self.skip_value()?,
        }
        if let Some(&key) = wanted.get(path.as_str()) {
            found.insert(
                key,
                Span {
                    start,
                    end: self.pos,
                    key_start,
                },
            );
        }
        Some(())
    }

    /// Visits each member of an object whose `{` was consumed, with `path` extended by its key
    /// and the offset where the key starts.
    fn members(
        &mut self,
        path: &mut String,
        mut visit: impl FnMut(&mut Self, &mut String, usize) -> Option<()>,
    ) -> Option<()> {
        let base = path.len();
        self.skip_whitespace();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        loop {
            self.skip_whitespace();
            let key_start = self.pos;
            let key = self.string()?;
            path.push('/');
            path.push_str(&pointer::escape(&key));
            self.skip_whitespace();
            self.expect(b':')?;
            visit(self, path, key_start)?;
            path.truncate(base);
            self.skip_whitespace();
            match self.next()? {
                b',' => continue,
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    /// Visits each element of an array whose `[` was consumed, with `path` extended by its index.
    fn elements(
        &mut self,
        path: &mut String,
        mut visit: impl FnMut(&mut Self, &mut String) -> Option<()>,
    ) -> Option<()> {
        let base = path.len();
        self.skip_whitespace();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(());
        }
        for index in 0.. {
            use std::fmt::Write;
            let _ = write!(path, "/{index}");
            visit(self, path)?;
            path.truncate(base);
            self.skip_whitespace();
            match self.next()? {
                b',' => continue,
                b']' => return Some(()),
                _ => return None,
            }
        }
        None
    }

    /// Reads a string literal and returns its decoded content.
    fn string(&mut self) -> Option<String> {
        let start = self.pos;
        self.skip_string()?;
        let raw = std::str::from_utf8(&self.bytes[start..self.pos]).ok()?;
        if raw.contains('\\') {
            serde_json::from_str(raw).ok()
        } else {
            Some(raw[1..raw.len() - 1].to_owned())
        }
    }

    fn skip_string(&mut self) -> Option<()> {
        self.expect(b'"')?;
        loop {
            let at = memchr2(b'"', b'\\', self.bytes.get(self.pos..)?)?;
            self.pos += at + 1;
            if self.bytes[self.pos - 1] == b'"' {
                return Some(());
            }
            self.pos += 1; // the escaped character
        }
    }

    /// Skips one value of any kind without recursion, so nesting depth costs nothing.
    fn skip_value(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            self.skip_whitespace();
            match self.peek()? {
                b'"' => self.skip_string()?,
                b'{' | b'[' => {
                    depth += 1;
                    self.pos += 1;
                }
                b'}' | b']' => {
                    depth = depth.checked_sub(1)?;
                    self.pos += 1;
                }
                b',' | b':' if depth > 0 => self.pos += 1,
                _ => {
                    let len = self.bytes[self.pos..]
                        .iter()
                        .position(|b| {
                            matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                        })
                        .unwrap_or(self.bytes.len() - self.pos);
                    if len == 0 {
                        return None;
                    }
                    self.pos += len;
                }
            }
            if depth == 0 {
                return Some(());
            }
        }
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.pos += 1;
        Some(byte)
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.next()? == byte).then_some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str =
        "{\n  \"a\": [1, {\"b~/c\": \"x\\\"y\"}],\n  \"é\": {\"k\": null},\n  \"a\": [true, []]\n}";

    fn slice(pointer: &str) -> Option<&'static str> {
        locate(TEXT, pointer).map(|span| &TEXT[span.start..span.end])
    }

    #[test]
    fn finds_values_by_pointer() {
        assert_eq!(slice(""), Some(TEXT));
        assert_eq!(slice("/é/k"), Some("null"));
        assert_eq!(slice("/é"), Some("{\"k\": null}"));
    }

    #[test]
    fn repeated_keys_resolve_to_the_last_like_the_parser() {
        assert_eq!(slice("/a"), Some("[true, []]"));
        assert_eq!(slice("/a/1"), Some("[]"));
        let parsed: serde_json::Value = serde_json::from_str(TEXT).unwrap();
        assert_eq!(parsed.pointer("/a/1"), Some(&serde_json::json!([])));
    }

    #[test]
    fn absent_pointers_are_not_found() {
        assert_eq!(slice("/missing"), None);
        assert_eq!(slice("/a/7"), None);
        assert_eq!(slice("/é/k/deeper"), None);
    }

    #[test]
    fn broken_text_yields_no_span_and_no_panic() {
        for text in ["", "{", "{\"a\"", "{\"a\": [1,", "]]]", "{\"a\": \"\\"] {
            assert_eq!(locate(text, "/a/1"), None, "{text:?}");
        }
    }

    #[test]
    fn offsets_invert_positions() {
        let text = "ab\nçd\n";
        for at in [0, 1, 3, 5, 6] {
            let p = position(text, at);
            assert_eq!(offset(text, p.line, p.column), at);
        }
        assert_eq!(offset(text, 9, 1), text.len());
    }

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let span = locate(TEXT, "/é/k").unwrap();
        assert_eq!(
            position(TEXT, span.start),
            Position {
                line: 3,
                column: 14
            }
        );
        assert_eq!(
            position(TEXT, span.label_start()),
            Position { line: 3, column: 9 }
        );
        assert_eq!(position(TEXT, 0), Position { line: 1, column: 1 });
        let many = positions(TEXT, &[span.start, 0, span.start, TEXT.len()]);
        assert_eq!(many[0], many[2]);
        assert_eq!(many[1], Position { line: 1, column: 1 });
        assert_eq!(many[3], Position { line: 5, column: 2 });
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            ".{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(6, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[a-z/~\"\\\\ é]{0,4}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn every_span_slices_back_to_its_value(value in json(), pretty in any::<bool>()) {
            let text = if pretty {
                serde_json::to_string_pretty(&value).unwrap()
            } else {
                serde_json::to_string(&value).unwrap()
            };
            // Compare with the text as parsed: serde_json's float printing does not always round-trip.
            let value: Value = serde_json::from_str(&text).unwrap();
            let all = crate::pointer::every(&value);
            let spans = locate_all(&text, all.iter().map(String::as_str));
            for pointer in &all {
                let span = spans[pointer.as_str()];
                let sliced: Value = serde_json::from_str(&text[span.start..span.end]).unwrap();
                prop_assert_eq!(Some(&sliced), value.pointer(pointer));
            }
        }

        #[test]
        fn any_text_and_pointer_is_answered_without_panic(text in ".{0,64}", pointer in "(/[a-z0-9~]{0,3}){0,4}") {
            if let Some(span) = locate(&text, &pointer) {
                prop_assert!(span.start <= span.end && span.end <= text.len());
            }
        }
    }
}
