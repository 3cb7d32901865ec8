//! Terraform's semantics over configuration files, once, beneath every rule.
//!
//! The `*.tf.json` files of one directory are one module, as Terraform reads them: their
//! resources see each other, and their variables (defaults, then `terraform.tfvars[.json]`, then
//! `*.auto.tfvars[.json]` in name order) and locals are known values. The modules a directory
//! calls are read too ([`tree`]). Every `${…}` template in a resource is evaluated as far as
//! those values allow ([`evaluate`], [`instances`]); what stays unknown stays a reference the
//! rules follow.

mod directory;
mod dynamic;
pub(crate) mod evaluate;
pub mod fetch;
mod functions;
mod instances;
mod overrides;
mod pass_through;
pub use pass_through::{PASS_THROUGH_FILE, PassThrough};
mod scoped;
mod sources;
pub use sources::{downloaded_modules, module_directory, variable_files};
mod tree;
mod types;

use crate::load::{Engine, LoadError};
use crate::model::{Declared, Document, Kind};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use tree::Tree;

/// The documents checked together, by index into the loaded documents: a root module's files
/// with those of the modules it calls, or one plan, state or synth alone.
pub type Modules = Vec<Vec<usize>>;

/// What resolving found.
#[derive(Debug, Default)]
pub struct Resolved {
    /// The documents checked together.
    pub modules: Modules,
    /// Variable files that could not be read.
    pub errors: Vec<LoadError>,
    /// What the user should know: files that could not be joined, modules not followed.
    pub notes: Vec<String>,
    /// The module calls whose code could not be read.
    pub unread: Vec<Unread>,
}

/// A module call whose code could not be read: what it outputs is unknown, and its resources
/// are not checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Unread {
    /// `module.vpc`, `module.eks.module.kms`.
    pub call: String,
    /// Its `source` as written.
    pub source: String,
    /// Why: not downloaded, or what reading it met.
    pub why: String,
}

/// Joins the configuration files of each directory, reads the modules they call, and
/// evaluates their templates in place. The other `*.tf.json` files of a named file's directory
/// are read too, as context (Terraform reads the whole directory); they, and the files of called
/// modules, are added to `documents`, context last ([`Document::context`]). `read` are the inputs
/// already read, loaded or not.
pub fn resolve(documents: &mut Vec<Document>, read: &[&Path]) -> Resolved {
    resolve_reading(documents, read, &Reading::default())
}

/// How the inputs are read, beyond what they say themselves.
#[derive(Debug, Clone, Default)]
pub struct Reading {
    /// Whether module sources that are neither local nor downloaded are fetched.
    pub downloads: fetch::Downloads,
    /// The tool each directory is read for; `None`: the tool its files say
    /// ([`crate::load::engine_of`]).
    pub engine: Option<Engine>,
    /// The resource types that pass values through; `None`: the built-in ones.
    pub pass_through: Option<std::sync::Arc<PassThrough>>,
}

/// [`resolve`], reading as `reading` says.
pub fn resolve_reading(
    documents: &mut Vec<Document>,
    read: &[&Path],
    reading: &Reading,
) -> Resolved {
    let engine = reading.engine;
    let pass_through = reading
        .pass_through
        .clone()
        .unwrap_or_else(|| std::sync::Arc::new(PassThrough::built_in().clone()));
    let mut resolved = Resolved::default();
    add_context(documents, read, &mut resolved.notes);
    directory::read_as_applied(documents, engine, &mut resolved.notes, &mut resolved.errors);
    let groups = group(documents, &mut resolved.notes);
    let called = called_directories(documents, &groups);
    let mut roots = Vec::new();
    for group in groups {
        let first = &documents[group[0]];
        let directory = first.path.parent().map(Path::to_owned).unwrap_or_default();
        if !first.kind.is_configuration() {
            resolved.modules.push(group);
            continue;
        }
        // A directory another module calls is checked as that module, not as a root.
        if is_module_file(first) && called.contains(&normalize(&directory)) {
            for &i in &group {
                documents[i].context = true;
            }
            continue;
        }
        roots.push((group, directory));
    }
    // Each root module is resolved on its own, its files moved out and back.
    let fetcher = fetch::Fetcher::new(reading.downloads).map(std::sync::Arc::new);
    let mut slots: Vec<Option<Document>> = documents.drain(..).map(Some).collect();
    let work: Vec<_> = roots
        .into_iter()
        .map(|(files, directory)| {
            let own = files.iter().filter_map(|&i| slots[i].take()).collect();
            (files, directory, own)
        })
        .collect();
    let done: Vec<Root> = work
        .into_par_iter()
        .map(|(files, directory, own)| {
            let mut tree = Tree::default();
            tree.fetcher = fetcher.clone();
            tree.engine = engine;
            tree.pass_through = pass_through.clone();
            resolve_root(files, directory, own, tree)
        })
        .collect();
    for root in done {
        let mut own = root.documents.into_iter();
        for (&i, document) in root.files.iter().zip(own.by_ref()) {
            slots[i] = Some(document);
        }
        let mut module = root.files;
        for document in own {
            module.push(slots.len());
            slots.push(Some(document));
        }
        resolved.modules.push(module);
        resolved.errors.extend(root.errors);
        resolved.notes.extend(root.notes);
        resolved.unread.extend(root.unread);
    }
    documents.extend(slots.into_iter().flatten());
    context_last(documents, &mut resolved.modules);
    resolved.modules.sort();
    resolved
}

/// One root module, resolved: its files then those of the modules it calls.
struct Root {
    /// Where its own files were in the documents.
    files: Vec<usize>,
    documents: Vec<Document>,
    errors: Vec<LoadError>,
    notes: Vec<String>,
    unread: Vec<Unread>,
}

/// Reads the modules a root module calls and evaluates the templates of every instance.
fn resolve_root(
    files: Vec<usize>,
    directory: PathBuf,
    mut documents: Vec<Document>,
    mut tree: Tree,
) -> Root {
    let mut errors = Vec::new();
    let mut notes = Vec::new();
    let assigned = if documents[0].path == Path::new("<stdin>") {
        BTreeMap::new()
    } else {
        sources::variable_files(&directory, &mut errors)
    };
    let own = (0..documents.len()).collect();
    tree.add_root(own, directory, &mut documents, assigned, &mut notes);
    for (at, instance) in tree.instances.iter().enumerate() {
        let names = tree.view(at);
        for &i in &instance.documents {
            if instance.uncertain {
                instances::may_not_be_made(&mut documents[i]);
            }
            instances::evaluate_resources(
                &mut documents[i],
                &names,
                &instance.path,
                &instance.foreign,
            );
        }
    }
    Root {
        files,
        documents,
        errors,
        notes,
        unread: tree.unread,
    }
}

/// A file that is part of its directory's module: `*.tf`, `*.tf.json` and OpenTofu's `*.tofu`,
/// `*.tofu.json` (CDKTF's `cdk.tf.json` is a whole stack).
fn is_module_file(document: &Document) -> bool {
    matches!(document.kind, Kind::Tfjson | Kind::Hcl) && document.path != Path::new("<stdin>")
}

/// The directories that some configuration's module calls name as a local `source`.
fn called_directories(documents: &[Document], groups: &[Vec<usize>]) -> BTreeSet<PathBuf> {
    let mut called = BTreeSet::new();
    for group in groups {
        for &i in group {
            let document = &documents[i];
            let Some(directory) = document.path.parent() else {
                continue;
            };
            for declaration in document
                .declarations
                .iter()
                .filter(|d| d.kind == Declared::Module)
            {
                let source = declaration
                    .value
                    .as_ref()
                    .and_then(|body| body.get("source"))
                    .and_then(|source| source.as_str())
                    .and_then(|source| early_value(documents, group, source));
                if let Some(source) = source.filter(|s| s.starts_with("./") || s.starts_with("../"))
                {
                    called.insert(normalize(&directory.join(source)));
                }
            }
        }
    }
    called
}

/// A module's `source` as written, or where it names a variable or local (OpenTofu's early
/// evaluation, Terraform's `const` variables), that name's literal default or value in the
/// module's files (`group`). The tree evaluates it fully; this only tells which directories are
/// called, before the tree is built.
fn early_value<'d>(documents: &'d [Document], group: &[usize], source: &'d str) -> Option<&'d str> {
    let Some(name) = source.strip_prefix("${").and_then(|s| s.strip_suffix('}')) else {
        return Some(source);
    };
    let (kind, name) = match name.trim().split_once('.') {
        Some(("var", name)) => (Declared::Variable, name),
        Some(("local", name)) => (Declared::Local, name),
        _ => return None,
    };
    group
        .iter()
        .flat_map(|&i| &documents[i].declarations)
        .find(|d| d.kind == kind && d.name == name)
        .and_then(|d| d.value.as_ref()?.as_str())
}

/// `a/./b/../c` → `a/c`, without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Moves the context documents after all the others, keeping `modules` pointing at the same
/// documents.
fn context_last(documents: &mut Vec<Document>, modules: &mut Modules) {
    let mut order: Vec<usize> = (0..documents.len()).collect();
    order.sort_by_key(|&i| documents[i].context);
    let mut moved_to = vec![0; documents.len()];
    for (new, &old) in order.iter().enumerate() {
        moved_to[old] = new;
    }
    let mut slots: Vec<Option<Document>> = documents.drain(..).map(Some).collect();
    documents.extend(order.iter().filter_map(|&old| slots[old].take()));
    for module in modules.iter_mut() {
        for i in module.iter_mut() {
            *i = moved_to[*i];
        }
    }
}

/// Reads the configuration files beside each named one that were not named themselves.
fn add_context(documents: &mut Vec<Document>, read: &[&Path], notes: &mut Vec<String>) {
    let named: BTreeSet<&Path> = read.iter().copied().collect();
    let directories: BTreeSet<PathBuf> = documents
        .iter()
        .filter(|d| is_module_file(d))
        .filter_map(|d| d.path.parent().map(Path::to_owned))
        .collect();
    // Directories are listed and read at once; what they add keeps the directories' order.
    let added: Vec<Vec<Result<Document, String>>> = directories
        .into_par_iter()
        .map(|directory| {
            let listed = std::fs::read_dir(readable(&directory));
            let mut siblings: Vec<PathBuf> = listed
                .into_iter()
                .flatten()
                .flatten()
                .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
                .map(|entry| directory.join(entry.file_name()))
                .filter(|path| crate::load::is_configuration(path))
                .filter(|path| !named.contains(path.as_path()))
                .collect();
            siblings.sort();
            siblings
                .into_iter()
                .filter_map(|path| match crate::load::load_file(&path) {
                    Ok(mut document) if is_module_file(&document) => {
                        document.context = true;
                        Some(Ok(document))
                    }
                    Ok(_) => None,
                    Err(error) => Some(Err(format!(
                        "{error}: the other files of its directory are checked without it"
                    ))),
                })
                .collect()
        })
        .collect();
    for result in added.into_iter().flatten() {
        match result {
            Ok(document) => documents.push(document),
            Err(note) => notes.push(note),
        }
    }
}

/// `read_dir` reads the current directory as `.`, not as the empty path a bare file name has.
pub(crate) fn readable(directory: &Path) -> &Path {
    if directory.as_os_str().is_empty() {
        Path::new(".")
    } else {
        directory
    }
}

/// The configuration files of one directory form one module; anything else stands alone. Files that
/// declare the same resource, variable or local twice cannot be one module (Terraform would
/// refuse the directory), so each is checked alone.
fn group(documents: &[Document], notes: &mut Vec<String>) -> Vec<Vec<usize>> {
    let mut by_directory: BTreeMap<PathBuf, Vec<usize>> = BTreeMap::new();
    let mut modules = Vec::new();
    for (i, document) in documents.iter().enumerate() {
        match document.path.parent() {
            Some(directory) if is_module_file(document) => {
                by_directory
                    .entry(directory.to_owned())
                    .or_default()
                    .push(i);
            }
            _ => modules.push(vec![i]),
        }
    }
    // Each directory's names are gathered at once: a large run has thousands.
    let checked: Vec<(PathBuf, Vec<usize>, Option<String>)> = by_directory
        .into_par_iter()
        .map(|(directory, files)| {
            let twice = twice_declared(documents, &files).filter(|_| files.len() > 1);
            (directory, files, twice)
        })
        .collect();
    for (directory, files, twice) in checked {
        match twice {
            Some(name) => {
                notes.push(format!(
                    "{} declare `{name}` more than once, so they are not one Terraform module; each file is checked alone",
                    if directory.as_os_str().is_empty() { "the files of the current directory".to_owned() } else { format!("the files in {}", directory.display()) },
                ));
                modules.extend(
                    files
                        .into_iter()
                        .filter(|&i| !documents[i].context)
                        .map(|i| vec![i]),
                );
            }
            None => modules.push(files),
        }
    }
    modules.sort();
    modules
}

fn twice_declared(documents: &[Document], files: &[usize]) -> Option<String> {
    let mut seen = BTreeSet::new();
    files
        .iter()
        .flat_map(|&i| {
            let document = &documents[i];
            document
                .resources
                .iter()
                .map(|r| r.address.to_string())
                .chain(document.declarations.iter().map(|d| match d.kind {
                    Declared::Variable => format!("var.{}", d.name),
                    Declared::Local => format!("local.{}", d.name),
                    Declared::Module => format!("module.{}", d.name),
                    Declared::Output => format!("output.{}", d.name),
                }))
        })
        .find(|name| !seen.insert(name.clone()))
}
