//! Small helpers shared by the loaders.

use crate::pointer;
use serde_json::Value;

/// Pointers of every `true` leaf of a mask such as `after_unknown`, `after_sensitive` or
/// `sensitive_values`. `false`, and lists of booleans that are all false, mark nothing.
pub fn true_leaves(mask: &Value, out: &mut Vec<String>) {
    pointer::for_each_leaf(mask, |at, leaf| {
        if *leaf == Value::Bool(true) {
            out.push(at.to_owned());
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn true_leaves_ignore_false_and_all_false_lists() {
        let mut out = Vec::new();
        true_leaves(
            &json!({"a": true, "b": [false, true], "c": [false], "d": {"e": false}}),
            &mut out,
        );
        assert_eq!(out, ["/a", "/b/1"]);
        out.clear();
        true_leaves(&json!(true), &mut out);
        assert_eq!(out, [""]);
    }
}
