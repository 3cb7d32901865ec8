//! Turns the paths a user names into the inputs to load.
//!
//! A file named explicitly is always loaded (if it is not Terraform, that is its error). In a
//! directory: every configuration file the tool that applies it reads (`*.tf`, `*.tf.json`, and
//! for OpenTofu `*.tofu`, `*.tofu.json`: see [`crate::load::choose`]; so
//! `cdktf.out/stacks/*/cdk.tf.json`, which is usually git-ignored, is found too) and every other
//! `*.json` that looks like `terraform show -json` output. `.git`, `.terraform` and `node_modules` are not entered; symlinks are followed, and
//! a link back to an ancestor is reported and not followed again.

use crate::load::{Engine, Input, LoadError, Problem};
use std::io::Read;
use std::path::{Path, PathBuf};

/// What the paths hold.
#[derive(Debug, Default)]
pub struct Discovered {
    /// Inputs to load, in the order found.
    pub inputs: Vec<Input>,
    /// Paths that could not be read at all.
    pub errors: Vec<LoadError>,
    /// Things skipped on purpose that the user may want to know about.
    pub notes: Vec<String>,
    /// Every input pushed, so that each is loaded once however often it is named.
    seen: std::collections::HashSet<Input>,
}

const SKIPPED_DIRECTORIES: &[&str] = &[".git", ".terraform", "node_modules"];

/// How far into a `*.json` file to look for the keys of `terraform show -json` output.
const SNIFF_BYTES: u64 = 64 * 1024;

/// The inputs the paths name: files as named, and the Terraform documents under directories,
/// read for `engine` (where `None`, for the tool each directory's files say).
pub fn discover(paths: &[PathBuf], engine: Option<Engine>) -> Discovered {
    let mut found = Discovered::default();
    for path in paths {
        if path.as_os_str() == "-" {
            found.push(Input::Stdin);
            continue;
        }
        match std::fs::metadata(path) {
            Err(error) => found
                .errors
                .push(LoadError::new(path, Problem::Read(error))),
            Ok(metadata) if metadata.is_dir() => {
                let before = found.inputs.len() + found.errors.len();
                walk(path, engine, &mut found);
                if found.inputs.len() + found.errors.len() == before {
                    found.errors.push(LoadError::new(path, Problem::NoInputs));
                }
            }
            Ok(_) => found.push(Input::File(path.clone())),
        }
    }
    found
}

impl Discovered {
    fn push(&mut self, input: Input) {
        if self.seen.insert(input.clone()) {
            self.inputs.push(input);
        }
    }
}

fn walk(root: &Path, engine: Option<Engine>, found: &mut Discovered) {
    let mut candidates = Vec::new();
    let entries = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            entry.depth() == 0
                || !entry.file_type().is_dir()
                || !SKIPPED_DIRECTORIES.contains(&entry.file_name().to_string_lossy().as_ref())
        });
    for entry in entries {
        match entry {
            Ok(entry) if entry.file_type().is_file() && is_candidate(entry.path()) => {
                candidates.push(entry.into_path())
            }
            Ok(entry) if entry.file_type().is_file() && is_stack(entry.path()) => {
                found.notes.push(format!(
                    "{}: not read: payplat does not read Terraform Stacks yet; check the plans of its deployments",
                    entry.path().display()
                ))
            }
            Ok(_) => {}
            Err(error) if error.loop_ancestor().is_some() => found.notes.push(format!(
                "{}: symbolic link loop, not followed",
                error.path().unwrap_or(root).display()
            )),
            Err(error) => {
                let path = error.path().unwrap_or(root).to_owned();
                let io = error
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("cannot walk the directory"));
                found.errors.push(LoadError::new(&path, Problem::Read(io)));
            }
        }
    }
    let configuration = candidates
        .iter()
        .filter(|p| crate::load::is_configuration(p))
        .cloned()
        .collect();
    let left = crate::load::choose(configuration, engine).left;
    for file in candidates {
        match left.iter().find(|(l, _)| *l == file) {
            Some((_, why)) => found
                .notes
                .push(format!("{}: not read: {why}", file.display())),
            None => found.push(Input::File(file)),
        }
    }
}

/// A Terraform Stacks file (`*.tfcomponent.hcl`, `*.tfstack.hcl`, `*.tfdeploy.hcl`).
fn is_stack(path: &Path) -> bool {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    [".tfcomponent.hcl", ".tfstack.hcl", ".tfdeploy.hcl"]
        .iter()
        .any(|extension| name.ends_with(extension))
}

fn is_candidate(path: &Path) -> bool {
    if crate::load::is_configuration(path) {
        return true;
    }
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    name.ends_with(".json") && looks_like_terraform_output(path)
}

/// Terraform writes `format_version` first; plans without it still open with their changes.
/// A file that cannot be read is a candidate, so that loading reports why.
fn looks_like_terraform_output(path: &Path) -> bool {
    let mut head = Vec::new();
    let read = std::fs::File::open(path).and_then(|f| f.take(SNIFF_BYTES).read_to_end(&mut head));
    if read.is_err() {
        return true;
    }
    let utf16 = |rest, big_endian| {
        crate::text::utf16_chars(rest, big_endian)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect()
    };
    let text: String = match head.as_slice() {
        [0xff, 0xfe, rest @ ..] => utf16(rest, false),
        [0xfe, 0xff, rest @ ..] => utf16(rest, true),
        _ => String::from_utf8_lossy(&head).into_owned(),
    };
    [
        "\"format_version\"",
        "\"planned_values\"",
        "\"resource_changes\"",
    ]
    .iter()
    .any(|key| text.contains(key))
}
