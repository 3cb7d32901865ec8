//! Every `.tf` directory Terraform accepts loads: the HCL fixtures of constructs the parser once
//! refused, and every module directory of the real corpus beside the checkout
//! (`../shared/corpus-hcl`), with what it calls.

use payplat::check::load_inputs;
use std::path::{Path, PathBuf};

fn directories_with_tf(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    if entries
        .iter()
        .any(|p| p.extension().is_some_and(|e| e == "tf"))
    {
        out.push(dir.to_path_buf());
    }
    for path in entries.into_iter().filter(|p| p.is_dir()) {
        directories_with_tf(&path, out);
    }
}

/// The load errors and the notes of modules that could not be read, for each directory.
fn problems(directories: &[PathBuf]) -> Vec<String> {
    let mut problems = Vec::new();
    for directory in directories {
        let inputs = load_inputs(std::slice::from_ref(directory), false);
        problems.extend(inputs.errors.iter().map(|e| e.to_string()));
        problems.extend(
            inputs
                .notes
                .iter()
                .filter(|n| n.contains("is not followed") || n.contains("checked without it"))
                .cloned(),
        );
        assert!(
            !inputs.named().is_empty(),
            "{}: nothing loaded",
            directory.display()
        );
    }
    problems
}

#[test]
fn constructs_the_parser_once_refused_load() {
    let mut directories = Vec::new();
    directories_with_tf(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hcl"),
        &mut directories,
    );
    assert!(!directories.is_empty());
    assert_eq!(problems(&directories), Vec::<String>::new());
}

#[test]
fn every_module_directory_of_the_real_corpus_loads() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus-hcl");
    if !corpus.is_dir() {
        eprintln!("skipped: no {} beside the checkout", corpus.display());
        return;
    }
    let mut directories = Vec::new();
    directories_with_tf(&corpus, &mut directories);
    assert!(directories.len() >= 35, "{} directories", directories.len());
    assert_eq!(problems(&directories), Vec::<String>::new());
}
