//! Which files of a directory are its configuration, as the tool that applies it reads them.
//!
//! Terraform reads `*.tf` and `*.tf.json`. OpenTofu reads `*.tofu` and `*.tofu.json` too, and a
//! `.tofu` file shadows the `.tf` file of the same base name (`ecr.tofu` is read, `ecr.tf` is not;
//! `ecr.tofu.json` shadows `ecr.tf.json`). Override files (`override.tf`, `*_override.tf` and their
//! other forms) are configuration, merged after the others when a directory is resolved. Test files
//! (`*.tftest.hcl`, `*.tofutest.hcl`), query files (`*.tfquery.hcl`) and Stacks files are not
//! configuration.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The tool a directory is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// HashiCorp Terraform: `.tofu` files are not read.
    Terraform,
    /// OpenTofu: `.tofu` files are read, and shadow the `.tf` file of the same base name.
    #[serde(alias = "tofu")]
    Opentofu,
}

impl Engine {
    /// Each engine by the name users give it, with what it reads.
    pub const ALL: [(&'static str, &'static str); 2] = [
        ("terraform", "*.tf and *.tf.json; .tofu files are not read"),
        (
            "opentofu",
            "also *.tofu and *.tofu.json, each in place of the .tf file of its base name",
        ),
    ];
}

impl std::str::FromStr for Engine {
    type Err = String;

    fn from_str(name: &str) -> Result<Engine, String> {
        match name {
            "terraform" => Ok(Engine::Terraform),
            "opentofu" | "tofu" => Ok(Engine::Opentofu),
            other => Err(format!("`{other}` is no engine: `terraform` or `opentofu`")),
        }
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            Engine::Terraform => "Terraform",
            Engine::Opentofu => "OpenTofu",
        })
    }
}

/// The extensions of configuration files, each with whether it is native syntax and whether
/// only OpenTofu reads it. Longest first, so that `.tf.json` is not taken for `.json`.
const EXTENSIONS: &[(&str, Syntax, bool)] = &[
    (".tofu.json", Syntax::Json, true),
    (".tf.json", Syntax::Json, false),
    (".tofu", Syntax::Native, true),
    (".tf", Syntax::Native, false),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Syntax {
    Native,
    Json,
}

/// `ecr.tofu` → (`ecr`, native, OpenTofu's); `None` for a file that is not configuration.
fn split(path: &Path) -> Option<(&str, Syntax, bool)> {
    let name = path.file_name()?.to_str()?;
    EXTENSIONS.iter().find_map(|(extension, syntax, tofu)| {
        let base = name.strip_suffix(extension)?;
        (!base.is_empty()).then_some((base, *syntax, *tofu))
    })
}

/// Whether a path names a configuration file of either tool (`main.tf`, `main.tofu.json`).
pub fn is_configuration(path: &Path) -> bool {
    split(path).is_some()
}

/// Whether a path names a file of the native syntax (`main.tf`, `main.tofu`), not JSON.
pub fn is_native(path: &Path) -> bool {
    split(path).is_some_and(|(_, syntax, _)| syntax == Syntax::Native)
}

/// Whether a path names a file only OpenTofu reads.
pub fn is_tofu(path: &Path) -> bool {
    split(path).is_some_and(|(_, _, tofu)| tofu)
}

/// Whether a path names an override file: `override.tf`, `eks_override.tofu.json`, …
pub fn is_override(path: &Path) -> bool {
    split(path).is_some_and(|(base, _, _)| base == "override" || base.ends_with("_override"))
}

/// The OpenTofu file that would shadow a `.tf` or `.tf.json` file (`ecr.tofu` for `ecr.tf`).
pub fn shadowed_by(path: &Path) -> Option<PathBuf> {
    let (base, syntax, false) = split(path)? else {
        return None;
    };
    let extension = match syntax {
        Syntax::Json => ".tofu.json",
        Syntax::Native => ".tofu",
    };
    Some(path.with_file_name(format!("{base}{extension}")))
}

/// What choosing a directory's files decided.
#[derive(Debug, Default)]
pub struct Chosen {
    /// The configuration files read, in the order given.
    pub files: Vec<PathBuf>,
    /// Files not read, each with why.
    pub left: Vec<(PathBuf, String)>,
}

/// The engine a directory is read for: `chosen`, else OpenTofu where `.tofu` files are among
/// `files` (the configuration files of one directory), else Terraform.
pub fn engine_of<'p>(files: impl IntoIterator<Item = &'p Path>, chosen: Option<Engine>) -> Engine {
    chosen.unwrap_or_else(|| {
        if files.into_iter().any(is_tofu) {
            Engine::Opentofu
        } else {
            Engine::Terraform
        }
    })
}

/// Of configuration files (of any directories), those `engine` reads (per directory, as
/// [`engine_of`] says where it is `None`), in the order given.
pub fn choose(files: Vec<PathBuf>, engine: Option<Engine>) -> Chosen {
    let mut by_directory: BTreeMap<&Path, Vec<&Path>> = BTreeMap::new();
    for file in &files {
        by_directory
            .entry(file.parent().unwrap_or(Path::new("")))
            .or_default()
            .push(file);
    }
    let mut not_read: BTreeMap<PathBuf, String> = BTreeMap::new();
    for (_, same) in by_directory {
        let engine = engine_of(same.iter().copied(), engine);
        let tofu_bases: BTreeSet<(&str, Syntax)> = same
            .iter()
            .filter_map(|p| split(p))
            .filter(|(_, _, tofu)| *tofu)
            .map(|(base, syntax, _)| (base, syntax))
            .collect();
        for file in same {
            let Some((base, syntax, tofu)) = split(file) else {
                continue;
            };
            let why = match engine {
                Engine::Terraform if tofu => {
                    "Terraform does not read `.tofu` files (OpenTofu does: `--engine opentofu`)"
                        .to_owned()
                }
                Engine::Opentofu if !tofu && tofu_bases.contains(&(base, syntax)) => {
                    let instead = shadowed_by(file).unwrap_or_default();
                    let name = instead.file_name().unwrap_or_default().to_string_lossy();
                    format!("OpenTofu reads `{name}` in its place")
                }
                _ => continue,
            };
            not_read.insert(file.to_path_buf(), why);
        }
    }
    let mut chosen = Chosen::default();
    for file in files {
        match not_read.remove(&file) {
            Some(why) => chosen.left.push((file, why)),
            None => chosen.files.push(file),
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(names: &[&str]) -> Vec<PathBuf> {
        names.iter().map(PathBuf::from).collect()
    }

    #[test]
    fn a_tofu_file_shadows_the_tf_file_of_its_base_name_and_syntax() {
        let chosen = choose(
            paths(&[
                "m/ecr.tf",
                "m/ecr.tofu",
                "m/eks.tf.json",
                "m/eks.tofu",
                "m/logs.tf.json",
                "m/logs.tofu.json",
                "m/main.tf",
            ]),
            None,
        );
        assert_eq!(
            chosen.files,
            paths(&[
                "m/ecr.tofu",
                "m/eks.tf.json",
                "m/eks.tofu",
                "m/logs.tofu.json",
                "m/main.tf"
            ])
        );
        assert_eq!(
            chosen.left,
            vec![
                (
                    "m/ecr.tf".into(),
                    "OpenTofu reads `ecr.tofu` in its place".to_owned()
                ),
                (
                    "m/logs.tf.json".into(),
                    "OpenTofu reads `logs.tofu.json` in its place".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn terraform_reads_no_tofu_file_and_each_directory_is_read_for_its_own_tool() {
        let files = paths(&["a/ecr.tf", "a/ecr.tofu", "b/ecr.tf"]);
        let chosen = choose(files.clone(), Some(Engine::Terraform));
        assert_eq!(chosen.files, paths(&["a/ecr.tf", "b/ecr.tf"]));
        assert_eq!(chosen.left.len(), 1);
        let chosen = choose(files, None);
        assert_eq!(chosen.files, paths(&["a/ecr.tofu", "b/ecr.tf"]));
    }

    #[test]
    fn names_are_read_as_both_tools_name_them() {
        for name in [
            "override.tf",
            "override.tofu.json",
            "eks_override.tf",
            "a_override.tofu",
        ] {
            assert!(is_override(Path::new(name)), "{name}");
        }
        for name in [
            "main.tf",
            "overrides.tf",
            "override.tftest.hcl",
            "my-override.tf",
        ] {
            assert!(!is_override(Path::new(name)), "{name}");
        }
        for name in [
            "main.tftest.hcl",
            "main.tofutest.hcl",
            "a.tfquery.hcl",
            ".tf",
            "x.json",
        ] {
            assert!(!is_configuration(Path::new(name)), "{name}");
        }
        assert!(is_native(Path::new("main.tofu")));
        assert!(!is_native(Path::new("main.tofu.json")));
    }
}
