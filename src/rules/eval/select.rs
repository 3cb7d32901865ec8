//! The nodes a rule's JSONPath selects, each with its JSON pointer.

use crate::rules::schema::Path;
use jsonpath_rust::parser::model::{JpQuery, Segment, Selector};
use serde_json::Value;

/// A selected node: its pointer relative to `$`, and its value.
pub(crate) type Node<'v> = (String, &'v Value);

/// The nodes a JSONPath selects, with their pointers.
pub(crate) fn select<'v>(path: &Path, value: &'v Value) -> Vec<Node<'v>> {
    if let Some(nodes) = plain(&path.query, value) {
        return nodes;
    }
    jsonpath_rust::query::js_path_process(&path.query, value)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|found| Some((pointer_of(&found.path)?, found.val)))
        .collect()
}

/// The JSON pointer of an RFC 9535 normalized path: `$['a'][0]` → `/a/0`.
fn pointer_of(normalized: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = normalized.strip_prefix('$')?.chars();
    while let Some(open) = chars.next() {
        if open != '[' {
            return None;
        }
        match chars.next()? {
            '\'' => {
                let mut name = String::new();
                loop {
                    match chars.next()? {
                        '\'' => break,
                        '\\' => name.push(match chars.next()? {
                            'b' => '\u{8}',
                            'f' => '\u{c}',
                            'n' => '\n',
                            'r' => '\r',
                            't' => '\t',
                            'u' => {
                                let hex: String = chars.by_ref().take(4).collect();
                                char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
                            }
                            escaped => escaped,
                        }),
                        c => name.push(c),
                    }
                }
                out = crate::pointer::join(&out, &name);
                if chars.next()? != ']' {
                    return None;
                }
            }
            digit => {
                let mut index = String::from(digit);
                loop {
                    match chars.next()? {
                        ']' => break,
                        c => index.push(c),
                    }
                }
                out = crate::pointer::join_index(&out, index.parse().ok()?);
            }
        }
    }
    Some(out)
}

/// The nodes of a query made of names, wildcards and indexes, each maybe after `..` (what rules
/// write), found as the general engine finds them, in its order, but without writing each
/// node's normalized path to read it back. `None` for any other query.
fn plain<'v>(query: &JpQuery, value: &'v Value) -> Option<Vec<Node<'v>>> {
    let mut nodes: Vec<Node<'v>> = vec![(String::new(), value)];
    for segment in &query.segments {
        let (selector, descendants) = match segment {
            Segment::Selector(selector) => (selector, false),
            Segment::Descendant(inner) => match inner.as_ref() {
                Segment::Selector(selector) => (selector, true),
                _ => return None,
            },
            Segment::Selectors(_) => return None,
        };
        if !matches!(
            selector,
            Selector::Name(_) | Selector::Wildcard | Selector::Index(_)
        ) {
            return None;
        }
        if descendants {
            let mut all = Vec::new();
            for (at, node) in nodes {
                preorder(at, node, &mut all);
            }
            nodes = all;
        }
        let mut next = Vec::new();
        for (at, node) in &nodes {
            children(selector, at, node, &mut next);
        }
        nodes = next;
    }
    Some(nodes)
}

/// A node and every node under it, each before its children.
fn preorder<'v>(at: String, value: &'v Value, out: &mut Vec<Node<'v>>) {
    out.push((at.clone(), value));
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                preorder(crate::pointer::join_index(&at, i), item, out);
            }
        }
        Value::Object(members) => {
            for (key, member) in members {
                preorder(crate::pointer::join(&at, key), member, out);
            }
        }
        _ => {}
    }
}

/// What `selector` selects of one node.
fn children<'v>(selector: &Selector, at: &str, value: &'v Value, out: &mut Vec<Node<'v>>) {
    match (selector, value) {
        (Selector::Name(name), Value::Object(members)) => {
            if let Some(member) = members.get(name) {
                out.push((crate::pointer::join(at, name), member));
            }
        }
        (Selector::Wildcard, Value::Object(members)) => out.extend(
            members
                .iter()
                .map(|(key, member)| (crate::pointer::join(at, key), member)),
        ),
        (Selector::Wildcard, Value::Array(items)) => out.extend(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| (crate::pointer::join_index(at, i), item)),
        ),
        (Selector::Index(index), Value::Array(items)) => {
            let from_end = usize::try_from(index.unsigned_abs()).unwrap_or(usize::MAX);
            let i = if *index >= 0 {
                Some(from_end)
            } else {
                items.len().checked_sub(from_end)
            };
            if let Some((i, item)) = i.and_then(|i| Some((i, items.get(i)?))) {
                out.push((crate::pointer::join_index(at, i), item));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalized_paths_become_pointers() {
        assert_eq!(pointer_of("$").as_deref(), Some(""));
        assert_eq!(
            pointer_of(r"$['a'][0]['b\'c']['x/y~']").as_deref(),
            Some("/a/0/b'c/x~1y~0")
        );
        assert_eq!(pointer_of(r"$['\u000a']").as_deref(), Some("/\n"));
        assert_eq!(pointer_of("$['open"), None);
    }

    #[test]
    fn selections_carry_their_pointers() {
        let path = Path::parse("$..scan_on_push").unwrap();
        let value = serde_json::json!({"image_scanning_configuration": [{"scan_on_push": true}]});
        let nodes = select(&path, &value);
        assert_eq!(
            nodes,
            vec![(
                "/image_scanning_configuration/0/scan_on_push".to_owned(),
                &Value::Bool(true)
            )]
        );
    }

    fn general<'v>(path: &Path, value: &'v Value) -> Vec<Node<'v>> {
        jsonpath_rust::query::js_path_process(&path.query, value)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|found| Some((pointer_of(&found.path)?, found.val)))
            .collect()
    }

    fn json() -> impl Strategy<Value = Value> {
        let key = prop::sample::select(vec!["a", "b", "x/y", "t~", "é", "\u{1}"]);
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (0..3i64).prop_map(Value::from),
            key.clone().prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 40, 4, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(key.clone().prop_map(str::to_owned), inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn query() -> impl Strategy<Value = String> {
        let step = prop::sample::select(vec![
            ".a", ".b", "['x/y']", "['t~']", "['é']", "[*]", ".*", "[0]", "[1]", "[-1]", "[-3]",
            "..a", "..b", "..*", "..[0]", "..[-1]", "[0,1]", "[?@.a]", "[0:2]",
        ]);
        prop::collection::vec(step, 0..4).prop_map(|steps| format!("${}", steps.concat()))
    }

    proptest! {
        #[test]
        fn plain_queries_select_what_the_general_engine_selects(value in json(), query in query()) {
            let path = Path::parse(&query).unwrap();
            prop_assert_eq!(select(&path, &value), general(&path, &value));
        }
    }
}
