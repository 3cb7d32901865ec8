//! Embeds the built-in rule pack: every `rules/*.yaml` (rules, `predicates.yaml`,
//! `profiles.yaml`), so a new rule is a new file.

use std::fmt::Write;

fn main() {
    println!("cargo::rerun-if-changed=rules");
    let mut files: Vec<String> = std::fs::read_dir("rules")
        .expect("the rules/ directory")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".yaml"))
        .collect();
    files.sort();
    let mut out = String::from(
        "/// `(file name, content)` of each file of the built-in rule pack.\npub const BUILTIN_FILES: &[(&str, &str)] = &[\n",
    );
    for name in files {
        writeln!(out, "    ({name:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/rules/{name}\"))),").unwrap();
    }
    out.push_str("];\n");
    let path = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("builtin_rules.rs");
    std::fs::write(path, out).unwrap();
}
