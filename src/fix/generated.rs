//! Plans and CDKTF synths are generated: their fix is what to set in their source.

use crate::finding::{Finding, Fix, Safety};
use crate::model::{Document, Kind};
use crate::rules::fix::{FixSpec, resolve_value};
use serde_json::{Map, Value};

/// A plan or a CDKTF synth is generated: what to change is in its source.
pub(super) fn is_generated(document: &Document) -> bool {
    !document.kind.is_configuration() || document.kind == Kind::Cdktf
}

/// The fix of a generated input: what to set in its source, no edit. A CDKTF construct takes
/// the attribute as its constructor argument, in camelCase.
pub(super) fn in_source(finding: &Finding, spec: &FixSpec, parameters: &Map<String, Value>) -> Fix {
    let construct = finding.resource.construct_path.as_deref();
    let name = |path: &str| match construct {
        Some(_) => path.split('.').map(camel_case).collect::<Vec<_>>(),
        None => path.split('.').map(str::to_owned).collect(),
    };
    let shown = |path: &str, value: &Value| {
        let names = name(path);
        let (last, outer) = names.split_last().expect("a path has a name");
        let text = super::json::value_text(value, "");
        let inner = match construct {
            Some(_) => format!("{last}: {text}"),
            None => format!("{last} = {text}"),
        };
        outer
            .iter()
            .rev()
            .fold(inner, |inner, block| match construct {
                Some(_) => format!("{block}: {{ {inner} }}"),
                None => format!("{block} {{ {inner} }}"),
            })
    };
    let mut changes: Vec<String> = spec
        .set
        .iter()
        .map(|(path, v)| format!("`{}`", shown(path, &resolve_value(v, parameters))))
        .chain(
            spec.add_to_list
                .iter()
                .map(|(path, v)| format!("`{}`", shown(path, &resolve_value(v, parameters)))),
        )
        .collect();
    if let Some(depends) = &spec.depends_on {
        let key = name("depends_on").concat();
        changes.push(format!(
            "`{key}` on the `{}` it needs",
            depends.resource_type
        ));
    }
    let note = match construct {
        Some(construct) => format!(
            "in the source: set {} on the CDKTF construct `{construct}`, then synth again",
            changes.join(" and ")
        ),
        None => format!(
            "in the source: set {} on `{}` in the configuration, then plan again",
            changes.join(" and "),
            finding.resource.address
        ),
    };
    Fix {
        title: spec.title.clone(),
        safety: Safety::Unsafe,
        edits: Vec::new(),
        note: Some(note),
    }
}

/// `scan_on_push` → `scanOnPush`.
fn camel_case(name: &str) -> String {
    let mut words = name.split('_');
    let first = words.next().unwrap_or_default().to_owned();
    words.fold(first, |mut out, word| {
        let mut chars = word.chars();
        if let Some(c) = chars.next() {
            out.extend(c.to_uppercase());
            out.push_str(chars.as_str());
        }
        out
    })
}
