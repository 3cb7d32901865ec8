//! Every real document of `../shared/corpus` loads as its MANIFEST row says, and every span the
//! locator gives slices back to exactly the value at its pointer.

use payplat::load::load_file;
use payplat::locate::locate_all;
use payplat::model::{Document, Kind};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

struct Row {
    file: String,
    kind: String,
    format_version: String,
    resources: String,
    modules: String,
    valid_json: bool,
}

fn manifest() -> Vec<Row> {
    let path = shared().join("corpus/MANIFEST.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the corpus lives in ../shared beside the checkout)",
            path.display()
        )
    });
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (file, kind, fv, res, modules, valid) = (
        column("file"),
        column("kind"),
        column("format_version"),
        column("resources"),
        column("modules"),
        column("valid_json"),
    );
    lines
        .filter(|l| !l.is_empty())
        .map(|line| {
            let cells: Vec<&str> = line.split('\t').collect();
            Row {
                file: cells[file].to_owned(),
                kind: cells[kind].to_owned(),
                format_version: cells[fv].to_owned(),
                resources: cells[res].to_owned(),
                modules: cells[modules].to_owned(),
                valid_json: cells[valid] == "yes",
            }
        })
        .collect()
}

/// The MANIFEST counts a plan's `planned_values` entries and a configuration's managed resources.
fn manifest_resource_count(document: &Document) -> usize {
    document
        .resources
        .iter()
        .filter(|r| match document.kind {
            Kind::Plan => r.pointer.starts_with("/planned_values/"),
            Kind::State => true,
            Kind::Tfjson | Kind::Cdktf | Kind::Hcl => {
                r.address.mode == payplat::model::Mode::Managed
            }
        })
        .count()
}

#[test]
fn every_corpus_file_loads_as_its_manifest_row_says() {
    let rows = manifest();
    assert!(rows.len() > 150, "the corpus shrank to {} rows", rows.len());
    let mut mismatches = Vec::new();
    for row in &rows {
        let path = shared().join("corpus").join(&row.file);
        match (load_file(&path), row.valid_json) {
            (Ok(document), true) => {
                let got = (
                    document.kind.to_string(),
                    document
                        .format_version
                        .clone()
                        .unwrap_or_else(|| "-".into()),
                    manifest_resource_count(&document).to_string(),
                    document.module_count.to_string(),
                );
                let want = (
                    row.kind.clone(),
                    row.format_version.clone(),
                    row.resources.clone(),
                    row.modules.clone(),
                );
                if got != want {
                    mismatches.push(format!("{}: got {got:?}, manifest {want:?}", row.file));
                }
            }
            (Err(error), true) => {
                mismatches.push(format!("{}: valid file failed: {error}", row.file))
            }
            (Ok(_), false) => mismatches.push(format!("{}: invalid file loaded", row.file)),
            (Err(error), false) => {
                let message = error.to_string();
                assert!(
                    message.starts_with(&path.display().to_string()),
                    "error does not name the file: {message}"
                );
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn the_reference_synth_loads_with_construct_paths() {
    let document = load_file(&shared().join("reference/cdktf-synth/cdk.tf.json")).unwrap();
    assert_eq!(document.kind, Kind::Cdktf);
    assert_eq!(document.tool_version.as_deref(), Some("0.21.0"));
    assert_eq!(document.resources.len(), 63);
    for resource in &document.resources {
        let path = resource.construct_path.as_deref().unwrap_or_default();
        assert!(
            path.starts_with("TapStackref01/microservices/"),
            "{}: {path:?}",
            resource.address
        );
        assert!(
            resource.values.get("//").is_none(),
            "metadata left in values of {}",
            resource.address
        );
    }
}

/// Decodes a corpus file the way the loader does (BOMs honoured).
fn corpus_text(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    if let Some(rest) = bytes.strip_prefix(b"\xff\xfe") {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]))
            .collect();
        return String::from_utf16(&units).ok();
    }
    String::from_utf8(
        bytes
            .strip_prefix(b"\xef\xbb\xbf")
            .unwrap_or(&bytes)
            .to_vec(),
    )
    .ok()
}

#[test]
fn every_located_span_parses_to_the_value_at_its_pointer() {
    let mut files = vec![shared().join("reference/cdktf-synth/cdk.tf.json")];
    files.extend(
        manifest()
            .iter()
            .filter(|r| r.valid_json)
            .map(|r| shared().join("corpus").join(&r.file)),
    );
    let mut checked = 0;
    for path in files {
        let text = corpus_text(&path).unwrap();
        let root: Value = serde_json::from_str(&text).unwrap();
        let pointers = payplat::pointer::every(&root);
        let spans = locate_all(&text, pointers.iter().map(String::as_str));
        for pointer in &pointers {
            let span = spans
                .get(pointer.as_str())
                .unwrap_or_else(|| panic!("{}: no span for {pointer:?}", path.display()));
            let sliced: Value =
                serde_json::from_str(&text[span.start..span.end]).unwrap_or_else(|e| {
                    panic!("{}: span of {pointer:?} is not JSON: {e}", path.display())
                });
            assert_eq!(
                Some(&sliced),
                root.pointer(pointer),
                "{}: {pointer}",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 100_000, "only {checked} values checked");
}
