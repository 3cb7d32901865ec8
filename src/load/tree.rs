//! Small helpers shared by the loaders.

use crate::model::{Index, Mode};
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

/// `module.a.aws_x.y[0]`, `data.aws_x.y`, as Terraform writes addresses.
pub fn compose_address(
    module: Option<&str>,
    mode: Mode,
    resource_type: &str,
    name: &str,
    index: Option<&Index>,
) -> String {
    let mut address = String::new();
    if let Some(module) = module {
        address.push_str(module);
        address.push('.');
    }
    if mode == Mode::Data {
        address.push_str("data.");
    }
    address.push_str(resource_type);
    address.push('.');
    address.push_str(name);
    if let Some(index) = index {
        address.push_str(&index.to_string());
    }
    address
}

/// `module.a["x"].module.b[0]` → `module.a.module.b`: the module path in the configuration,
/// shared by every instance.
pub fn strip_instance_keys(module_address: &str) -> String {
    let bytes = module_address.as_bytes();
    let mut out = String::with_capacity(module_address.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] != b'[' {
            let next = module_address[at..]
                .find('[')
                .map_or(bytes.len(), |i| at + i);
            out.push_str(&module_address[at..next]);
            at = next;
            continue;
        }
        // Skip the bracketed key, which may be a quoted string containing `]`.
        at += 1;
        let mut in_string = false;
        while at < bytes.len() {
            match bytes[at] {
                b'\\' if in_string => at += 1,
                b'"' => in_string = !in_string,
                b']' if !in_string => break,
                _ => {}
            }
            at += 1;
        }
        at += 1;
    }
    out
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

    #[test]
    fn module_instance_keys_are_stripped() {
        assert_eq!(
            strip_instance_keys(r#"module.a["x]y"].module.b[0]"#),
            "module.a.module.b"
        );
        assert_eq!(strip_instance_keys("module.a"), "module.a");
    }

    #[test]
    fn addresses_compose_like_terraform() {
        let index = Index::Key("k".into());
        assert_eq!(
            compose_address(Some("module.m"), Mode::Data, "aws_x", "y", Some(&index)),
            r#"module.m.data.aws_x.y["k"]"#
        );
    }
}
