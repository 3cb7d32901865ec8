//! Where a configuration's files are: the files of a called module's directory, where
//! `terraform init` put the modules it downloaded, and the variable files of a root module.

use crate::load::{LoadError, Problem};
use crate::model::{Address, Document};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The files of a called module's directory, as `engine` reads them, their resources addressed
/// in the module and its override files merged.
pub(super) fn load_module(
    directory: &Path,
    path: &str,
    engine: Option<crate::load::Engine>,
) -> Result<Vec<Document>, String> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(directory)
        .map_err(|e| format!("cannot read {}: {e}", directory.display()))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|p| p.is_file() && crate::load::is_configuration(p))
        .collect();
    names.sort();
    let names = crate::load::choose(names, engine).files;
    let mut files = Vec::new();
    for name in names {
        let mut document = crate::load::load_file(&name).map_err(|e| e.to_string())?;
        for resource in &mut document.resources {
            let address = &resource.address;
            resource.address = Address::new(
                Some(path.to_owned()),
                address.mode,
                address.resource_type(),
                address.name(),
                None,
            );
        }
        files.push(document);
    }
    let all: Vec<usize> = (0..files.len()).collect();
    let errors = super::overrides::merge(&mut files, &all);
    if let Some(error) = errors.first() {
        return Err(error.to_string());
    }
    Ok(files)
}

/// Where a module call's code is: a local `source` beside the caller, or the directory
/// `terraform init` downloaded it to. Anything else is not in these inputs.
pub fn module_directory(
    caller: &Path,
    body: &Map<String, Value>,
    key: &str,
    downloaded: &HashMap<String, PathBuf>,
) -> Option<PathBuf> {
    let source = body.get("source")?.as_str()?;
    if source.starts_with("./") || source.starts_with("../") {
        return Some(super::normalize(&caller.join(source)));
    }
    downloaded.get(key).cloned()
}

/// `.terraform/modules/modules.json`: module keys (`network`, `eks.node_group`) → directories.
pub fn downloaded_modules(root: &Path) -> HashMap<String, PathBuf> {
    #[derive(serde::Deserialize)]
    struct Manifest {
        #[serde(rename = "Modules", default)]
        modules: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(rename = "Key")]
        key: String,
        #[serde(rename = "Dir")]
        dir: String,
    }
    let manifest = root.join(".terraform/modules/modules.json");
    let Ok(text) = std::fs::read_to_string(manifest) else {
        return HashMap::new();
    };
    serde_json::from_str::<Manifest>(&text)
        .map(|m| {
            m.modules
                .into_iter()
                .filter(|e| !e.key.is_empty())
                .map(|e| (e.key, root.join(e.dir)))
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn same_directory(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Variable values from the directory's variable files, later files winning, as Terraform
/// reads them: `terraform.tfvars`, `terraform.tfvars.json`, then `*.auto.tfvars[.json]` by name.
pub fn variable_files(
    directory: &Path,
    errors: &mut Vec<LoadError>,
) -> BTreeMap<String, (Value, PathBuf)> {
    let mut auto: Vec<PathBuf> = std::fs::read_dir(super::readable(directory))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|n| n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json"))
        .map(|name| directory.join(name))
        .collect();
    auto.sort();
    let mut files = vec![
        directory.join("terraform.tfvars"),
        directory.join("terraform.tfvars.json"),
    ];
    files.extend(auto);
    let mut values = BTreeMap::new();
    for path in files.into_iter().filter(|path| path.is_file()) {
        match read_variables(&path) {
            Ok(read) => values.extend(
                read.into_iter()
                    .map(|(name, value)| (name, (value, path.clone()))),
            ),
            Err(problem) => errors.push(LoadError::new(&path, problem)),
        }
    }
    values
}

fn read_variables(path: &Path) -> Result<Map<String, Value>, Problem> {
    let text = match crate::load::overlaid(path) {
        Some(text) => text.to_string(),
        None => std::fs::read_to_string(path).map_err(Problem::Read)?,
    };
    let parsed: Result<Value, String> = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).map_err(|e| e.to_string())
    } else {
        hcl::from_str(&text).map_err(|e| e.to_string())
    };
    match parsed {
        Ok(Value::Object(values)) => Ok(values),
        Ok(_) => Err(Problem::Variables(
            "variable values must be an object".to_owned(),
        )),
        Err(message) => Err(Problem::Variables(message)),
    }
}
