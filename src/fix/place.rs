//! Where a value is set: from the attribute on the resource back through locals, variables
//! (their `terraform.tfvars` line or their default) and module call arguments, as far as each
//! is a plain name (`var.x`, `local.x`). The files are read as written, not as evaluated.

use super::files::Files;
use super::{At, Written};
use crate::model::{Declared, Document};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where following a value ended.
#[derive(Debug, Clone)]
pub(super) struct Origin {
    /// The place of the value; when `missing`, the place it would be (its object exists).
    pub at: At,
    pub missing: bool,
    pub written: Option<Written>,
    /// The names passed on the way (`var.retention` in its module directory): other readers
    /// of one of them would see the edit too.
    pub through: Vec<(PathBuf, String)>,
    /// What the place is, for the report (`the default of var.retention`).
    pub described: String,
}

/// A module instance's directory and the call that made it, root first.
pub(super) struct Level {
    pub directory: PathBuf,
    /// The `module` block in the caller: its file and pointer.
    pub call: Option<At>,
}

/// The modules from the root to the one at `module_path` (`module.a.module.b`).
pub(super) fn levels(
    documents: &[&Document],
    root: &Path,
    module_path: &str,
) -> Option<Vec<Level>> {
    let downloaded = crate::resolve::downloaded_modules(root);
    let mut levels = vec![Level {
        directory: root.to_owned(),
        call: None,
    }];
    let calls: Vec<&str> = module_path
        .strip_prefix("module.")
        .map(|p| p.split(".module.").collect())
        .unwrap_or_default();
    for (depth, call) in calls.iter().enumerate() {
        let caller = &levels.last()?.directory;
        let (document, declaration) = documents
            .iter()
            .filter(|d| directory_of(&d.path) == *caller)
            .find_map(|d| {
                d.declarations
                    .iter()
                    .find(|x| x.kind == Declared::Module && x.name == *call)
                    .map(|x| (d, x))
            })?;
        let body = declaration.value.as_ref()?.as_object()?;
        let key = calls[..=depth].join(".");
        let directory = crate::resolve::module_directory(caller, body, &key, &downloaded)?;
        levels.push(Level {
            directory,
            call: Some(At {
                file: document.path.clone(),
                pointer: declaration.pointer.clone(),
            }),
        });
    }
    Some(levels)
}

/// The directory a file is in, as the resolver names module directories.
pub(super) fn directory_of(path: &Path) -> PathBuf {
    crate::resolve::normalize(path.parent().unwrap_or(Path::new(".")))
}

/// Follows the value at `at` (in the module of `levels[depth]`) to where it is set.
pub(super) fn follow(
    files: &Files,
    documents: &[&Document],
    levels: &[Level],
    mut depth: usize,
    at: At,
    described: String,
) -> Origin {
    let mut origin = Origin {
        at,
        missing: false,
        written: None,
        through: Vec::new(),
        described,
    };
    // Guards against a local that reads itself through another.
    for _ in 0..32 {
        let Some(written) = files.read(&origin.at) else {
            origin.missing = true;
            return origin;
        };
        let Written::Name(name) = written else {
            origin.written = Some(written);
            return origin;
        };
        let directory = &levels[depth].directory;
        origin.through.push((directory.clone(), name.clone()));
        let next = match name.split_once('.') {
            Some(("local", local)) => declared(documents, directory, Declared::Local, local)
                .map(|at| (at, format!("local `{local}`"))),
            Some(("var", variable)) => variable_source(documents, levels, depth, variable),
            _ => None,
        };
        let Some((at, described)) = next else {
            origin.written = Some(Written::Expression);
            return origin;
        };
        // A module's variable is set by the call's argument: names there are the caller's.
        if name.starts_with("var.") && levels[depth].call.is_some() {
            depth -= 1;
        }
        origin.at = at;
        origin.described = described;
    }
    origin.written = Some(Written::Expression);
    origin
}

/// Where variable `name` of the module at `depth` gets its value: the module call's argument,
/// else (in the root) the last variable file that sets it, else its default.
fn variable_source(
    documents: &[&Document],
    levels: &[Level],
    depth: usize,
    name: &str,
) -> Option<(At, String)> {
    if let Some(call) = &levels[depth].call {
        return Some((
            At {
                file: call.file.clone(),
                pointer: crate::pointer::join(&call.pointer, name),
            },
            format!("the argument `{name}` of the module call"),
        ));
    }
    let directory = &levels[depth].directory;
    let mut ignored = Vec::new();
    if let Some((_, file)) = crate::resolve::variable_files(directory, &mut ignored).remove(name) {
        let shown = file.file_name().map(|f| f.to_string_lossy().into_owned());
        return Some((
            At {
                file,
                pointer: crate::pointer::join("", name),
            },
            format!("`{name}` in {}", shown.unwrap_or_default()),
        ));
    }
    let at = declared(documents, directory, Declared::Variable, name)?;
    Some((
        At {
            pointer: crate::pointer::join(&at.pointer, "default"),
            file: at.file,
        },
        format!("the default of variable `{name}`"),
    ))
}

fn declared(documents: &[&Document], directory: &Path, kind: Declared, name: &str) -> Option<At> {
    documents
        .iter()
        .filter(|d| directory_of(&d.path) == directory)
        .find_map(|d| {
            let declaration = d
                .declarations
                .iter()
                .find(|x| x.kind == kind && x.name == name)?;
            Some(At {
                file: d.path.clone(),
                pointer: declaration.pointer.clone(),
            })
        })
}

/// How many places in a module directory read `name` (`var.x`, `local.x`).
pub(super) fn readers(
    documents: &[&Document],
    cache: &mut HashMap<(PathBuf, String), usize>,
    directory: &Path,
    name: &str,
) -> usize {
    *cache
        .entry((directory.to_owned(), name.to_owned()))
        .or_insert_with(|| {
            documents
                .iter()
                .filter(|d| directory_of(&d.path) == directory)
                .map(|d| occurrences(&d.text, name))
                .sum()
        })
}

fn occurrences(text: &str, name: &str) -> usize {
    let bytes = text.as_bytes();
    let part_of_name = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    text.match_indices(name)
        .filter(|(at, _)| {
            let before = at.checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(at + name.len()).copied();
            !before.is_some_and(|b| part_of_name(b) || b == b'.')
                && !after.is_some_and(part_of_name)
        })
        .count()
}
