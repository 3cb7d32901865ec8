//! Each module directory read as the tool that applies it reads it: the files it reads
//! ([`crate::load::choose`]: OpenTofu's `.tofu` files shadow `.tf` ones, Terraform reads none),
//! then its override files merged into the others ([`super::overrides`]).

use crate::load::{Engine, LoadError};
use crate::model::Document;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Drops the configuration files the tool does not read and merges override files, directory by
/// directory. A file named on the command line that the tool does not read is said in a note,
/// and the file read in its place is checked instead.
pub(super) fn read_as_applied(
    documents: &mut Vec<Document>,
    engine: Option<Engine>,
    notes: &mut Vec<String>,
    errors: &mut Vec<LoadError>,
) {
    let configuration: Vec<PathBuf> = documents
        .iter()
        .filter(|d| super::is_module_file(d))
        .map(|d| d.path.clone())
        .collect();
    let left = crate::load::choose(configuration, engine).left;
    if !left.is_empty() {
        let mut named_left = Vec::new();
        documents.retain(|d| match left.iter().find(|(path, _)| *path == d.path) {
            Some((path, why)) => {
                if !d.context {
                    notes.push(format!("{}: not read: {why}", path.display()));
                    named_left.extend(crate::load::shadowed_by(path));
                }
                false
            }
            None => true,
        });
        // What the tool reads in a named file's place is checked as if named.
        for document in documents.iter_mut() {
            if named_left.contains(&document.path) {
                document.context = false;
            }
        }
    }
    let mut by_directory: BTreeMap<PathBuf, Vec<usize>> = BTreeMap::new();
    for (i, document) in documents.iter().enumerate() {
        if super::is_module_file(document) {
            let directory = document
                .path
                .parent()
                .map(PathBuf::from)
                .unwrap_or_default();
            by_directory.entry(directory).or_default().push(i);
        }
    }
    for files in by_directory.values() {
        if files
            .iter()
            .any(|&i| crate::load::is_override(&documents[i].path))
        {
            errors.extend(super::overrides::merge(documents, files));
        }
    }
}
