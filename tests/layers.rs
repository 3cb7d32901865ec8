//! The library's modules import only downward: a module may use its own layer and the layers
//! below it, never one above. The layers, lowest first, are the module map in `src/lib.rs`.

use std::path::{Path, PathBuf};

const LAYERS: &[&[&str]] = &[
    &["pointer", "locate", "expr", "text"],
    &["model"],
    &["load", "generate"],
    &["discover", "inspect"],
    &["resolve"],
    &["finding"],
    &["rules"],
    &["config"],
    &["triage"],
    &["report"],
    &["check", "expect"],
    &["fix"],
    &["lsp"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules a file names through `crate::`, in paths and in `use crate::{a, b}`.
fn crate_modules(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            for item in inner.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.push(name);
            }
        } else {
            found.push(
                rest.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect(),
            );
        }
    }
    found
}

#[test]
fn every_module_has_a_layer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(root.join("lib.rs")).unwrap();
    for line in lib.lines().filter_map(|l| l.strip_prefix("pub mod ")) {
        let module = line.trim_end_matches(';');
        assert!(
            layer(module).is_some(),
            "module `{module}` has no layer in tests/layers.rs"
        );
    }
}

#[test]
fn modules_import_only_from_their_layer_or_below() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut upward = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&root).unwrap();
        let first = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs");
        // The binary's command line is the top layer; lib.rs only declares the modules.
        if matches!(module, "main" | "cli" | "lib") {
            continue;
        }
        let own = layer(module).unwrap_or_else(|| panic!("{module} has no layer"));
        let text = std::fs::read_to_string(&file).unwrap();
        for imported in crate_modules(&text) {
            if let Some(theirs) = layer(&imported).filter(|theirs| *theirs > own) {
                upward.push(format!(
                    "{} ({}, layer {own}) imports crate::{imported} (layer {theirs})",
                    relative.display(),
                    module
                ));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports from a higher layer:\n{}",
        upward.join("\n")
    );
}

#[test]
fn imports_are_read_in_both_forms() {
    assert_eq!(
        crate_modules("use crate::{pointer, text};\nlet x = crate::model::REDACTED;"),
        ["pointer", "text", "model"]
    );
}

/// A file's module path: `src/rules/eval/scope.rs` → `rules::eval::scope`.
fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The module paths a file names, through `crate::` and `super::`, each item of a `{…}` group
/// on its own; `self::` and outside crates are not the file's siblings.
fn named_paths(text: &str, own: &[String]) -> Vec<Vec<String>> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = Vec::new();
    for (root, base) in [
        ("crate::", Vec::new()),
        ("super::", own[..own.len().saturating_sub(1)].to_vec()),
    ] {
        for (at, _) in text.match_indices(root) {
            // `super::` inside `crate::a::super::` does not occur; `self::super::` neither.
            if root == "super::" && text[..at].ends_with("::") {
                continue;
            }
            let mut path = base.clone();
            let mut rest = &text[at + root.len()..];
            loop {
                if let Some(group) = rest.strip_prefix('{') {
                    let inner = &group[..group.find('}').unwrap_or(group.len())];
                    for item in inner.split(',') {
                        let mut item_path = path.clone();
                        item_path
                            .extend(item.trim().split("::").map(ident).filter(|s| !s.is_empty()));
                        found.push(item_path);
                    }
                    break;
                }
                let name = ident(rest);
                if name.is_empty() {
                    found.push(path);
                    break;
                }
                rest = &rest[name.len()..];
                path.push(name);
                match rest.strip_prefix("::") {
                    Some(next) => rest = next,
                    None => {
                        found.push(path);
                        break;
                    }
                }
            }
        }
    }
    found
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let modules: Vec<(Vec<String>, PathBuf)> = files
        .iter()
        .map(|f| (module_of(f.strip_prefix(&root).unwrap()), f.clone()))
        .filter(|(m, _)| !matches!(m.first().map(String::as_str), Some("main" | "cli" | "lib")))
        .collect();
    let known: Vec<&Vec<String>> = modules.iter().map(|(m, _)| m).collect();
    // A parent and its children use each other (declarations, re-exports): those are not circles.
    let related = |a: &[String], b: &[String]| a.starts_with(b) || b.starts_with(a);
    let mut edges: std::collections::BTreeMap<
        Vec<String>,
        std::collections::BTreeSet<Vec<String>>,
    > = Default::default();
    for (module, file) in &modules {
        let text = std::fs::read_to_string(file).unwrap();
        for path in named_paths(&text, module) {
            let target = (1..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|prefix| known.contains(&prefix));
            if let Some(target) = target.filter(|t| !related(t, module)) {
                edges.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    // Depth-first search for a path back to where it started.
    fn back(
        edges: &std::collections::BTreeMap<Vec<String>, std::collections::BTreeSet<Vec<String>>>,
        start: &Vec<String>,
        at: &Vec<String>,
        path: &mut Vec<Vec<String>>,
        seen: &mut std::collections::BTreeSet<Vec<String>>,
    ) -> bool {
        for next in edges.get(at).into_iter().flatten() {
            if next == start {
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if back(edges, start, next, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut circles = Vec::new();
    for start in edges.keys() {
        let mut path = vec![start.clone()];
        if back(&edges, start, start, &mut path, &mut Default::default()) {
            path.push(start.clone());
            circles.push(
                path.iter()
                    .map(|m| m.join("::"))
                    .collect::<Vec<_>>()
                    .join(" → "),
            );
        }
    }
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}
