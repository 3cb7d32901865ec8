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
