//! The reviewed verdict table: every resource of the rules' types in every real document beside
//! the checkout (`../shared/corpus`, `../shared/wild`), checked as a user would check that file
//! alone (a directory of `.tf` files as one module), and in every module directory that
//! `../shared/corpus-hcl/MANIFEST.tsv` lists, with its verdict and why. A change that moves a verdict shows here; review the
//! snapshot (`cargo insta review`) and say why in the commit.

use payplat::check::load_inputs;
use payplat::finding::Verdict;
use payplat::rules::{RuleSet, evaluate};
use std::path::{Path, PathBuf};

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

fn documents_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    if entries
        .iter()
        .any(|p| p.extension().is_some_and(|e| e == "tf"))
    {
        out.push(dir.to_path_buf()); // a module directory: checked whole, its calls followed
        return;
    }
    for path in entries {
        if path.is_dir() {
            documents_under(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// The `.tf` and `.tf.json` files directly in `directory`.
fn module_files(directory: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(directory)
        .unwrap_or_else(|e| panic!("{}: {e}", directory.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.to_string_lossy();
            p.is_file() && (name.ends_with(".tf") || name.ends_with(".tf.json"))
        })
        .collect();
    files.sort();
    files
}

/// One line, short enough to read in a table.
fn line(text: &str) -> String {
    let text = text.replace(['\t', '\n'], " ");
    match text.char_indices().nth(220) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

#[test]
fn every_real_document_gets_its_reviewed_verdicts() {
    let rules = RuleSet::load(&[]).unwrap().rules;
    let mut files = Vec::new();
    for top in ["corpus", "wild"] {
        documents_under(&shared().join(top), &mut files);
    }
    let mut inputs_of: Vec<(PathBuf, Vec<PathBuf>)> =
        files.into_iter().map(|f| (f.clone(), vec![f])).collect();
    // Real `.tf` module directories, each as a user standing in it checks it: its own files and
    // the modules they call, not its subdirectories.
    let manifest = shared().join("corpus-hcl/MANIFEST.tsv");
    if let Ok(text) = std::fs::read_to_string(&manifest) {
        for row in text.lines().skip(1) {
            let directory = shared()
                .join("corpus-hcl")
                .join(row.split('\t').next().unwrap());
            inputs_of.push((directory.clone(), module_files(&directory)));
        }
    }
    let mut table = String::from("file\trule\taddress\tverdict\twhy\n");
    let mut checked = 0;
    for (file, paths) in &inputs_of {
        let inputs = load_inputs(paths, false);
        if inputs.named().is_empty() {
            continue; // not loadable: the loader's tests say why
        }
        let evaluation = evaluate(&rules, &inputs.documents, &inputs.modules);
        let name = file.strip_prefix(shared()).unwrap().display().to_string();
        let mut rows: Vec<(String, String, String, String)> = evaluation
            .checks
            .iter()
            .map(|check| {
                let why = match check.verdict {
                    Verdict::Pass => check.passed_because.clone().unwrap_or_default(),
                    _ => evaluation
                        .findings
                        .iter()
                        .filter(|f| {
                            f.rule.code == check.rule.code
                                && std::ptr::eq(f.resource, check.resource)
                        })
                        .map(|f| f.message())
                        .collect::<Vec<_>>()
                        .join(" | "),
                };
                (
                    check.rule.code.clone(),
                    check.resource.address.to_string(),
                    check.verdict.to_string(),
                    line(&why),
                )
            })
            .collect();
        rows.sort();
        checked += rows.len();
        for (rule, address, verdict, why) in rows {
            table.push_str(&format!("{name}\t{rule}\t{address}\t{verdict}\t{why}\n"));
        }
    }
    assert!(checked > 100, "only {checked} checks on the real documents");
    insta::assert_snapshot!("real_document_verdicts", table);
}
