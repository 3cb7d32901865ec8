//! JSON pointers (RFC 6901), the one way every layer names a place in a document.

use std::borrow::Cow;

/// Escapes one reference token (`~` → `~0`, `/` → `~1`).
pub fn escape(token: &str) -> Cow<'_, str> {
    if token.contains(['~', '/']) {
        Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(token)
    }
}

/// Unescapes one reference token (`~1` → `/`, `~0` → `~`).
pub fn unescape(token: &str) -> Cow<'_, str> {
    if token.contains('~') {
        Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(token)
    }
}

/// `base` extended by one token.
pub fn join(base: &str, token: &str) -> String {
    let token = escape(token);
    let mut out = String::with_capacity(base.len() + 1 + token.len());
    out.push_str(base);
    out.push('/');
    out.push_str(&token);
    out
}

/// `base` extended by an array index.
pub fn join_index(base: &str, index: usize) -> String {
    format!("{base}/{index}")
}

/// Whether `prefix` names `pointer` itself or one of its ancestors.
pub fn is_prefix(prefix: &str, pointer: &str) -> bool {
    match pointer.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// Every proper ancestor of `pointer`, root (`""`) first.
pub fn ancestors(pointer: &str) -> impl Iterator<Item = &str> {
    let root = (!pointer.is_empty()).then_some("");
    root.into_iter().chain(
        pointer
            .match_indices('/')
            .skip(1)
            .map(move |(at, _)| &pointer[..at]),
    )
}

/// Calls `visit` with the pointer of every scalar of `value`, which it may replace.
pub fn for_each_leaf_at_mut(
    value: &mut serde_json::Value,
    visit: &mut impl FnMut(&str, &mut serde_json::Value),
) {
    fn walk(
        value: &mut serde_json::Value,
        path: &mut String,
        visit: &mut impl FnMut(&str, &mut serde_json::Value),
    ) {
        let base = path.len();
        match value {
            serde_json::Value::Object(members) => {
                for (key, member) in members.iter_mut() {
                    path.push('/');
                    path.push_str(&escape(key));
                    walk(member, path, visit);
                    path.truncate(base);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    path.push_str(&format!("/{i}"));
                    walk(item, path, visit);
                    path.truncate(base);
                }
            }
            scalar => visit(path, scalar),
        }
    }
    walk(value, &mut String::new(), visit);
}

/// Calls `visit` with the pointer (relative to `value`) of every scalar inside `value`.
/// One buffer serves the whole walk: nothing is allocated per node.
pub fn for_each_leaf(value: &serde_json::Value, mut visit: impl FnMut(&str, &serde_json::Value)) {
    fn walk(
        value: &serde_json::Value,
        path: &mut String,
        visit: &mut dyn FnMut(&str, &serde_json::Value),
    ) {
        use serde_json::Value;
        let base = path.len();
        match value {
            Value::Object(members) => {
                for (key, member) in members {
                    path.push('/');
                    path.push_str(&escape(key));
                    walk(member, path, visit);
                    path.truncate(base);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    use std::fmt::Write;
                    let _ = write!(path, "/{i}");
                    walk(item, path, visit);
                    path.truncate(base);
                }
            }
            scalar => visit(path, scalar),
        }
    }
    walk(value, &mut String::new(), &mut visit);
}

/// The pointer of every value inside `value`, containers and scalars, itself included.
pub fn every(value: &serde_json::Value) -> Vec<String> {
    fn walk(value: &serde_json::Value, at: String, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(members) => members
                .iter()
                .for_each(|(key, member)| walk(member, join(&at, key), out)),
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .for_each(|(i, item)| walk(item, join_index(&at, i), out)),
            _ => {}
        }
        out.push(at);
    }
    let mut out = Vec::new();
    walk(value, String::new(), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips_through_serde_json() {
        let doc = serde_json::json!({"a/b": {"m~n": [1, 2]}});
        let pointer = join_index(&join(&join("", "a/b"), "m~n"), 1);
        assert_eq!(pointer, "/a~1b/m~0n/1");
        assert_eq!(doc.pointer(&pointer), Some(&serde_json::json!(2)));
    }

    #[test]
    fn leaves_are_visited_with_their_pointers() {
        let mut seen = Vec::new();
        for_each_leaf(
            &serde_json::json!({"a": [1, {"b/c": null}], "d": {}}),
            |p, v| seen.push((p.to_owned(), v.clone())),
        );
        assert_eq!(
            seen,
            [
                ("/a/0".to_owned(), serde_json::json!(1)),
                ("/a/1/b~1c".to_owned(), serde_json::Value::Null)
            ]
        );
    }

    #[test]
    fn prefix_respects_token_boundaries() {
        assert!(is_prefix("", "/a"));
        assert!(is_prefix("/a", "/a"));
        assert!(is_prefix("/a", "/a/b"));
        assert!(!is_prefix("/a", "/ab"));
    }

    #[test]
    fn ancestors_are_listed_root_first() {
        let all: Vec<&str> = ancestors("/a/b/c").collect();
        assert_eq!(all, ["", "/a", "/a/b"]);
        assert_eq!(ancestors("").count(), 0);
    }
}
