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
