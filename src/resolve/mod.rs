//! Terraform's semantics over configuration files, once, beneath every rule.
//!
//! The `*.tf.json` files of one directory are one module, as Terraform reads them: their
//! resources see each other, and their variables (defaults, then `terraform.tfvars[.json]`, then
//! `*.auto.tfvars[.json]` in name order) and locals are known values. Every `${…}` template in a
//! resource is evaluated as far as those values allow (see [`evaluate`]); what stays unknown
//! stays a reference the rules follow.

pub(crate) mod evaluate;
mod functions;

use crate::load::{LoadError, Problem, references_in};
use crate::model::{Address, Declared, Document, Hop, Index, Kind, Resource};
use evaluate::{
    Evaluated, Names, Partial, Stop, evaluate_json, evaluate_json_reading, evaluate_string_reading,
};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// The documents checked together, by index into the loaded documents: the files of one
/// module directory, or one plan, state or synth alone.
pub type Modules = Vec<Vec<usize>>;

/// What resolving found.
#[derive(Debug, Default)]
pub struct Resolved {
    /// The documents checked together.
    pub modules: Modules,
    /// Variable files that could not be read.
    pub errors: Vec<LoadError>,
    /// What the user should know: files that could not be joined.
    pub notes: Vec<String>,
}

/// Joins the configuration files of each directory and evaluates their templates in place.
/// The other `*.tf.json` files of a named file's directory are read too, as context (Terraform
/// reads the whole directory): they are appended to `documents`, marked
/// [`context`](Document::context). `read` are the inputs already read, loaded or not.
pub fn resolve(documents: &mut Vec<Document>, read: &[&Path]) -> Resolved {
    let mut resolved = Resolved::default();
    add_context(documents, read, &mut resolved.notes);
    for module in group(documents, &mut resolved.notes) {
        let directory = documents[module[0]].path.parent().map(Path::to_owned);
        let configuration = documents[module[0]].kind.is_configuration();
        if configuration {
            let assigned = match &directory {
                Some(directory) if documents[module[0]].path != Path::new("<stdin>") => {
                    variable_files(directory, &mut resolved.errors)
                }
                _ => BTreeMap::new(),
            };
            let names = ModuleNames::new(module.iter().map(|&i| &documents[i]), assigned);
            for &i in &module {
                evaluate_resources(&mut documents[i], &names);
            }
        }
        resolved.modules.push(module);
    }
    resolved
}

/// Reads the `*.tf.json` files beside each named one that were not named themselves.
fn add_context(documents: &mut Vec<Document>, read: &[&Path], notes: &mut Vec<String>) {
    let named: BTreeSet<&Path> = read.iter().copied().collect();
    let directories: BTreeSet<PathBuf> = documents
        .iter()
        .filter(|d| d.kind == Kind::Tfjson && d.path != Path::new("<stdin>"))
        .filter_map(|d| d.path.parent().map(Path::to_owned))
        .collect();
    for directory in directories {
        let listed = std::fs::read_dir(readable(&directory));
        let mut siblings: Vec<PathBuf> = listed
            .into_iter()
            .flatten()
            .flatten()
            .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                name.ends_with(".tf.json").then(|| directory.join(name))
            })
            .filter(|path| !named.contains(path.as_path()))
            .collect();
        siblings.sort();
        for path in siblings {
            match crate::load::load_file(&path) {
                Ok(mut document) if document.kind == Kind::Tfjson => {
                    document.context = true;
                    documents.push(document);
                }
                Ok(_) => {}
                Err(error) => notes.push(format!(
                    "{error}: the other files of its directory are checked without it"
                )),
            }
        }
    }
}

/// `read_dir` reads the current directory as `.`, not as the empty path a bare file name has.
fn readable(directory: &Path) -> &Path {
    if directory.as_os_str().is_empty() {
        Path::new(".")
    } else {
        directory
    }
}

/// `*.tf.json` files of one directory form one module; anything else stands alone. Files that
/// declare the same resource, variable or local twice cannot be one module (Terraform would
/// refuse the directory), so each is checked alone.
fn group(documents: &[Document], notes: &mut Vec<String>) -> Vec<Vec<usize>> {
    let mut by_directory: BTreeMap<PathBuf, Vec<usize>> = BTreeMap::new();
    let mut modules = Vec::new();
    for (i, document) in documents.iter().enumerate() {
        match (&document.kind, document.path.parent()) {
            (Kind::Tfjson, Some(directory)) if document.path != Path::new("<stdin>") => {
                by_directory
                    .entry(directory.to_owned())
                    .or_default()
                    .push(i);
            }
            _ => modules.push(vec![i]),
        }
    }
    for (directory, files) in by_directory {
        match twice_declared(documents, &files) {
            Some(name) if files.len() > 1 => {
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
            _ => modules.push(files),
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
                }))
        })
        .find(|name| !seen.insert(name.clone()))
}

/// Variable values from the directory's variable files, later files winning, as Terraform
/// reads them: `terraform.tfvars`, `terraform.tfvars.json`, then `*.auto.tfvars[.json]` by name.
fn variable_files(
    directory: &Path,
    errors: &mut Vec<LoadError>,
) -> BTreeMap<String, (Value, PathBuf)> {
    let listed = |dir: &Path| -> Vec<PathBuf> {
        let mut auto: Vec<PathBuf> = std::fs::read_dir(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        })
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json"))
        })
        .map(|path| dir.join(path.file_name().unwrap_or_default()))
        .collect();
        auto.sort();
        let mut files = vec![
            dir.join("terraform.tfvars"),
            dir.join("terraform.tfvars.json"),
        ];
        files.extend(auto);
        files.retain(|path| path.is_file());
        files
    };
    let mut values = BTreeMap::new();
    for path in listed(directory) {
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

fn read_variables(path: &Path) -> Result<serde_json::Map<String, Value>, Problem> {
    let text = std::fs::read_to_string(path).map_err(Problem::Read)?;
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

/// How many locals one local may pass through: each is a level of recursion.
const MAX_LOCAL_CHAIN: usize = 256;

/// The variables and locals of one module, with locals evaluated once, on first use.
struct ModuleNames {
    /// Where each `var.NAME` and `local.NAME` is declared.
    declared: HashMap<String, (PathBuf, String)>,
    /// The variable file that sets each variable set by one.
    set_in: HashMap<String, PathBuf>,
    variables: HashMap<String, Option<Value>>,
    locals: HashMap<String, Value>,
    evaluated: RefCell<HashMap<String, Evaluated>>,
    evaluating: RefCell<BTreeSet<String>>,
    /// What each evaluated local was read through.
    read_by_locals: RefCell<HashMap<String, Vec<String>>>,
}

impl ModuleNames {
    fn new<'d>(
        documents: impl Iterator<Item = &'d Document>,
        mut assigned: BTreeMap<String, (Value, PathBuf)>,
    ) -> Self {
        let mut variables = HashMap::new();
        let mut locals = HashMap::new();
        let mut declared = HashMap::new();
        let mut set_in = HashMap::new();
        for (document, declaration) in
            documents.flat_map(|d| d.declarations.iter().map(move |e| (d, e)))
        {
            let name = match declaration.kind {
                Declared::Variable => format!("var.{}", declaration.name),
                Declared::Local => format!("local.{}", declaration.name),
            };
            declared.insert(name, (document.path.clone(), declaration.pointer.clone()));
            match declaration.kind {
                Declared::Variable => {
                    let value = match assigned.remove(&declaration.name) {
                        Some((value, file)) => {
                            set_in.insert(declaration.name.clone(), file);
                            Some(value)
                        }
                        None => declaration.value.clone(),
                    };
                    variables.insert(declaration.name.clone(), value);
                }
                Declared::Local => {
                    let value = declaration.value.clone().unwrap_or(Value::Null);
                    locals.insert(declaration.name.clone(), value);
                }
            }
        }
        ModuleNames {
            declared,
            set_in,
            variables,
            locals,
            evaluated: RefCell::default(),
            evaluating: RefCell::default(),
            read_by_locals: RefCell::default(),
        }
    }
}

impl ModuleNames {
    /// `var.NAME` or `local.NAME` as a hop of a reference, at its declaration.
    fn hop(&self, name: &str) -> Option<Hop> {
        let (file, pointer) = self.declared.get(name)?;
        let set_in = name
            .strip_prefix("var.")
            .and_then(|variable| self.set_in.get(variable));
        Some(Hop {
            name: name.to_owned(),
            set_in: set_in
                .and_then(|path| path.file_name())
                .map(|file| file.to_string_lossy().into_owned()),
            pointer: pointer.clone(),
            file: Some(file.clone()),
            evaluated: true,
        })
    }
}

impl Names for ModuleNames {
    fn variable(&self, name: &str) -> Evaluated {
        match self.variables.get(name) {
            Some(Some(value)) => Ok(Partial::known(value.clone())),
            // Set on the command line or in the environment, or declared in a file payplat
            // does not read: Terraform knows it, these inputs do not.
            _ => Err(Stop::Unknown),
        }
    }

    fn read_by_local(&self, name: &str) -> Vec<String> {
        self.read_by_locals
            .borrow()
            .get(name)
            .cloned()
            .unwrap_or_default()
    }

    fn local(&self, name: &str) -> Evaluated {
        if let Some(done) = self.evaluated.borrow().get(name) {
            return done.clone();
        }
        let Some(expression) = self.locals.get(name) else {
            return Err(Stop::Unknown);
        };
        if !self.evaluating.borrow_mut().insert(name.to_owned()) {
            return Err(Stop::Invalid(format!("local.{name} refers to itself")));
        }
        if self.evaluating.borrow().len() > MAX_LOCAL_CHAIN {
            self.evaluating.borrow_mut().remove(name);
            return Err(Stop::Invalid(format!(
                "locals refer to locals more than {MAX_LOCAL_CHAIN} deep"
            )));
        }
        let read = RefCell::default();
        let value = evaluate_json_reading(expression, self, &read);
        self.read_by_locals
            .borrow_mut()
            .insert(name.to_owned(), read.into_inner());
        self.evaluating.borrow_mut().remove(name);
        self.evaluated
            .borrow_mut()
            .insert(name.to_owned(), value.clone());
        value
    }
}

/// Replaces each template in the document's resources with its value where that is known, in
/// whole or in part, and reads the references again from what results. A block whose `count`
/// or `for_each` is known becomes its instances, as in a plan: `aws_subnet.private["a"]`, each
/// evaluated with its own `count.index` or `each.key` and `each.value`.
fn evaluate_resources(document: &mut Document, names: &ModuleNames) {
    let blocks = std::mem::take(&mut document.resources);
    for block in blocks {
        match instance_keys(&block, names) {
            Some(keys) => document.resources.extend(keys.into_iter().map(|key| {
                let mut instance = block.clone();
                if let Value::Object(members) = &mut instance.values {
                    members.remove("count");
                    members.remove("for_each");
                }
                let address = &block.address;
                instance.address = Address::new(
                    address.module.clone(),
                    address.mode,
                    address.resource_type.as_str(),
                    address.name.as_str(),
                    Some(key.index()),
                );
                evaluate_values(&mut instance, &InstanceNames { module: names, key }, names);
                instance
            })),
            None => {
                let mut block = block;
                evaluate_values(&mut block, names, names);
                document.resources.push(block);
            }
        }
    }
}

/// The instances of a block whose `count` or `for_each` these inputs know.
fn instance_keys(block: &Resource, names: &ModuleNames) -> Option<Vec<InstanceKey>> {
    let known = |value: &Value| {
        evaluate_json(value, names)
            .ok()
            .filter(|v| !v.tokens)
            .map(|v| v.value)
    };
    if let Some(count) = block.values.get("count") {
        let count = functions::to_number(&known(count)?)?;
        return (count >= 0.0 && count.fract() == 0.0)
            .then(|| (0..count as u64).map(InstanceKey::Count).collect());
    }
    match known(block.values.get("for_each")?)? {
        Value::Object(members) => Some(
            members
                .into_iter()
                .map(|(key, value)| InstanceKey::Each(key, value))
                .collect(),
        ),
        // A set of strings: each key is its value.
        Value::Array(items) => items
            .into_iter()
            .map(|item| Some(InstanceKey::Each(item.as_str()?.to_owned(), item)))
            .collect(),
        _ => None,
    }
}

enum InstanceKey {
    Count(u64),
    Each(String, Value),
}

impl InstanceKey {
    fn index(&self) -> Index {
        match self {
            InstanceKey::Count(i) => Index::Count(*i),
            InstanceKey::Each(key, _) => Index::Key(key.clone()),
        }
    }
}

/// A module's names, and the instance a block is being evaluated for.
struct InstanceNames<'m> {
    module: &'m ModuleNames,
    key: InstanceKey,
}

impl Names for InstanceNames<'_> {
    fn variable(&self, name: &str) -> Evaluated {
        self.module.variable(name)
    }

    fn local(&self, name: &str) -> Evaluated {
        self.module.local(name)
    }

    fn read_by_local(&self, name: &str) -> Vec<String> {
        self.module.read_by_local(name)
    }

    fn instance(&self, root: &str, name: &str) -> Evaluated {
        let value = match (&self.key, root, name) {
            (InstanceKey::Count(i), "count", "index") => Value::from(*i),
            (InstanceKey::Each(key, _), "each", "key") => Value::String(key.clone()),
            (InstanceKey::Each(_, value), "each", "value") => value.clone(),
            _ => return Err(Stop::Invalid(format!("`{root}.{name}` is not set here"))),
        };
        Ok(Partial::known(value))
    }
}

fn evaluate_values(resource: &mut Resource, names: &dyn Names, module: &ModuleNames) {
    let mut read_at: Vec<(String, Vec<String>)> = Vec::new();
    crate::pointer::for_each_leaf_at_mut(&mut resource.values, &mut |at, leaf| {
        let Value::String(text) = leaf else { return };
        if !worth_evaluating(text) {
            return;
        }
        let read = RefCell::default();
        if let Ok(evaluated) = evaluate_string_reading(text, names, &read)
            && evaluated.value != *leaf
        {
            *leaf = evaluated.value;
            read_at.push((at.to_owned(), read.into_inner()));
        }
    });
    if read_at.is_empty() {
        return;
    }
    resource.references = references_in(&resource.values);
    for reference in &mut resource.references {
        let read = read_at
            .iter()
            .filter(|(at, _)| crate::pointer::is_prefix(at, &reference.attribute))
            .flat_map(|(_, read)| read);
        reference.via = read.filter_map(|name| module.hop(name)).collect();
    }
}

/// Whether a string holds more than references to other objects, which evaluate to themselves.
fn worth_evaluating(text: &str) -> bool {
    crate::expr::template_spans(text).iter().any(|span| {
        let body = text[span.start + 2..span.end - 1].trim();
        match crate::expr::references(body).as_slice() {
            [only] if *only == body => {
                ["var.", "local.", "count.", "each."]
                    .iter()
                    .any(|root| only.starts_with(root))
                    || only.contains("count.")
                    || only.contains("each.")
            }
            _ => true,
        }
    })
}
