//! Module instances: the root module of a directory and the modules it calls, each with its
//! variables, locals and outputs, evaluated once, on first use.
//!
//! A call with a local `source` (`./modules/network`) is followed, as is one that
//! `terraform init` downloaded (`.terraform/modules/modules.json` says where). Each value
//! carries the module its unknown parts are written in: a subnet reference passed into
//! `module.eks` as `var.subnet_ids` still names the root's `aws_subnet.private`.

use super::evaluate::{Evaluated, Names, Partial, Stop, evaluate_json_reading};
use super::instances::{InstanceKey, InstanceNames, instance_keys};
use crate::load::{LoadError, Problem};
use crate::model::{Address, Declared, Document, Hop};
use serde_json::{Map, Value};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// How many names one evaluation may pass through (locals, variables, outputs, across
/// modules): each is a level of recursion.
const MAX_CHAIN: usize = 64;
/// The largest file `file()` and `templatefile()` read.
const MAX_FILE: u64 = 1 << 20;
/// How deeply modules may call modules.
const MAX_MODULE_DEPTH: usize = 16;
/// What a module call's body holds besides the module's arguments.
const META_ARGUMENTS: &[&str] = &[
    "source",
    "version",
    "providers",
    "depends_on",
    "count",
    "for_each",
    "//",
];

/// The instances of one module call: the one of a call without `count` or `for_each`, one per
/// key where they are known, or none known.
enum Call {
    One(usize),
    Keyed(Vec<(InstanceKey, usize)>),
    Unknown,
}

/// Every module instance of every root module.
#[derive(Default)]
pub(super) struct Tree {
    pub instances: Vec<Instance>,
    /// Names being evaluated, across modules, to end circles and runaway chains.
    depth: Cell<usize>,
    /// What expressions have built so far (see [`Names::spend`]).
    spent: Cell<usize>,
}

/// One module instance.
pub(super) struct Instance {
    /// `""` for a root module, `module.network`, `module.a.module.b`.
    pub path: String,
    pub directory: PathBuf,
    /// Its files, by index into the documents.
    pub documents: Vec<usize>,
    /// The instance that calls it, and the call's arguments.
    parent: Option<(usize, Map<String, Value>)>,
    /// Which instance of a call with `count` or `for_each` it is.
    key: Option<InstanceKey>,
    /// Whether it stands for the instances of a call whose `count` or `for_each` is not known:
    /// there may be none.
    pub uncertain: bool,
    /// The call's key in `.terraform/modules/modules.json` (`eks.fargate_profile`).
    call_key: String,
    children: HashMap<String, Call>,
    /// `var.x`, `local.y`, `output.z` → the file and pointer of the declaration.
    declared: HashMap<String, (PathBuf, String)>,
    /// Each variable's value without a caller: the variable files' (root), else the default.
    values: HashMap<String, Option<Value>>,
    /// The variable file that sets each variable set by one.
    set_in: HashMap<String, PathBuf>,
    /// Each variable's `type`, where it has one.
    constraints: HashMap<String, String>,
    /// The defaults of variables that take their default where they are given `null`.
    not_null: HashMap<String, Value>,
    locals: HashMap<String, Value>,
    outputs: HashMap<String, Value>,
    evaluated: RefCell<HashMap<String, (Evaluated, Vec<Hop>)>>,
    evaluating: RefCell<BTreeSet<String>>,
    /// `${…}` tokens in this module's values that are written in another module: token →
    /// that module's path.
    pub foreign: RefCell<HashMap<String, String>>,
}

impl Instance {
    fn new(
        path: String,
        directory: PathBuf,
        documents: Vec<usize>,
        all: &[Document],
        mut assigned: BTreeMap<String, (Value, PathBuf)>,
    ) -> Instance {
        let mut instance = Instance {
            path,
            directory,
            documents,
            parent: None,
            key: None,
            uncertain: false,
            call_key: String::new(),
            children: HashMap::new(),
            declared: HashMap::new(),
            values: HashMap::new(),
            set_in: HashMap::new(),
            constraints: HashMap::new(),
            not_null: HashMap::new(),
            locals: HashMap::new(),
            outputs: HashMap::new(),
            evaluated: RefCell::default(),
            evaluating: RefCell::default(),
            foreign: RefCell::default(),
        };
        for &i in &instance.documents.clone() {
            for declaration in &all[i].declarations {
                let value = declaration.value.clone();
                let name = declaration.name.clone();
                let key = match declaration.kind {
                    Declared::Variable => {
                        if let (false, Some(default)) = (declaration.nullable, &value) {
                            instance.not_null.insert(name.clone(), default.clone());
                        }
                        if let Some(constraint) = &declaration.constraint {
                            instance
                                .constraints
                                .insert(name.clone(), constraint.clone());
                        }
                        let value = match assigned.remove(&name) {
                            Some((value, file)) => {
                                instance.set_in.insert(name.clone(), file);
                                Some(value)
                            }
                            None => value,
                        };
                        let value = value.map(|v| typed(&instance.constraints, &name, v));
                        instance.values.insert(name.clone(), value);
                        format!("var.{name}")
                    }
                    Declared::Local => {
                        instance
                            .locals
                            .insert(name.clone(), value.unwrap_or(Value::Null));
                        format!("local.{name}")
                    }
                    Declared::Output => {
                        instance
                            .outputs
                            .insert(name.clone(), value.unwrap_or(Value::Null));
                        format!("output.{name}")
                    }
                    Declared::Module => continue,
                };
                instance
                    .declared
                    .insert(key, (all[i].path.clone(), declaration.pointer.clone()));
            }
        }
        instance
    }

    /// The module calls of its files: name and body.
    fn calls<'d>(&self, all: &'d [Document]) -> Vec<(&'d str, &'d Map<String, Value>)> {
        self.documents
            .iter()
            .flat_map(|&i| &all[i].declarations)
            .filter(|d| d.kind == Declared::Module)
            .filter_map(|d| Some((d.name.as_str(), d.value.as_ref()?.as_object()?)))
            .collect()
    }
}

impl Tree {
    /// Adds a root module and, recursively, the modules it calls; their files are appended to
    /// `documents`. Returns the instances added: the root, then the modules under it.
    pub fn add_root(
        &mut self,
        files: Vec<usize>,
        directory: PathBuf,
        documents: &mut Vec<Document>,
        assigned: BTreeMap<String, (Value, PathBuf)>,
        notes: &mut Vec<String>,
    ) -> std::ops::Range<usize> {
        let root = self.instances.len();
        self.instances.push(Instance::new(
            String::new(),
            directory.clone(),
            files,
            documents,
            assigned,
        ));
        let downloaded = downloaded_modules(&directory);
        self.add_children(root, documents, &downloaded, &mut vec![directory], notes);
        root..self.instances.len()
    }

    fn add_children(
        &mut self,
        parent: usize,
        documents: &mut Vec<Document>,
        downloaded: &HashMap<String, PathBuf>,
        ancestors: &mut Vec<PathBuf>,
        notes: &mut Vec<String>,
    ) {
        let calls: Vec<(String, Map<String, Value>)> = self.instances[parent]
            .calls(documents)
            .into_iter()
            .map(|(name, body)| (name.to_owned(), body.clone()))
            .collect();
        let parent_path = self.instances[parent].path.clone();
        // Calls with `count` or `for_each` last: what those read may be another call's outputs.
        let (plain, counted): (Vec<_>, Vec<_>) = calls
            .into_iter()
            .partition(|(_, body)| !body.contains_key("count") && !body.contains_key("for_each"));
        for (name, body) in plain.into_iter().chain(counted) {
            let path = if parent_path.is_empty() {
                format!("module.{name}")
            } else {
                format!("{parent_path}.module.{name}")
            };
            let call_key = match self.instances[parent].call_key.as_str() {
                "" => name.clone(),
                outer => format!("{outer}.{name}"),
            };
            let Some(directory) = module_directory(
                &self.instances[parent].directory,
                &body,
                &call_key,
                downloaded,
            ) else {
                let source = body.get("source").and_then(Value::as_str).unwrap_or("?");
                notes.push(format!(
                    "{path} (`{source}`) is not downloaded: run `terraform init` to read it; until then what it outputs is unknown"
                ));
                continue;
            };
            if ancestors.len() > MAX_MODULE_DEPTH
                || ancestors.iter().any(|a| same_directory(a, &directory))
            {
                notes.push(format!(
                    "{path} calls {} again or nests too deeply; it is not followed",
                    directory.display()
                ));
                continue;
            }
            let mut uncertain = false;
            let keys = if body.contains_key("count") || body.contains_key("for_each") {
                let view = self.view(parent);
                let keys = instance_keys(body.get("count"), body.get("for_each"), &view);
                // What was evaluated before every call was added may have missed their outputs.
                self.instances[parent].evaluated.borrow_mut().clear();
                if keys.is_none() {
                    notes.push(format!(
                        "{path} has a `count` or `for_each` these inputs do not decide: its resources are checked once, as ones that may not be made, and what it outputs is unknown"
                    ));
                    uncertain = true;
                }
                keys
            } else {
                None
            };
            let arguments: Map<String, Value> = body
                .into_iter()
                .filter(|(k, _)| !META_ARGUMENTS.contains(&k.as_str()))
                .collect();
            let mut added = Vec::new();
            for key in keys
                .clone()
                .map_or(vec![None], |keys| keys.into_iter().map(Some).collect())
            {
                let path = match &key {
                    Some(key) => format!("{path}{}", key.index()),
                    None => path.clone(),
                };
                let files = match load_module(&directory, &path) {
                    Ok(files) => files,
                    Err(error) => {
                        notes.push(format!("{path} is not followed: {error}"));
                        break;
                    }
                };
                let first = documents.len();
                documents.extend(files);
                let mut child = Instance::new(
                    path,
                    directory.clone(),
                    (first..documents.len()).collect(),
                    documents,
                    BTreeMap::new(),
                );
                child.parent = Some((parent, arguments.clone()));
                child.key = key.clone();
                child.uncertain = uncertain;
                child.call_key = call_key.clone();
                let index = self.instances.len();
                self.instances.push(child);
                added.push((key, index));
                ancestors.push(directory.clone());
                self.add_children(index, documents, downloaded, ancestors, notes);
                ancestors.pop();
            }
            let call = match (keys, added.as_slice()) {
                _ if uncertain => Call::Unknown,
                (None, [(None, index)]) => Call::One(*index),
                (Some(keys), _) if added.len() == keys.len() => Call::Keyed(
                    added
                        .into_iter()
                        .filter_map(|(key, index)| Some((key?, index)))
                        .collect(),
                ),
                _ => Call::Unknown,
            };
            self.instances[parent].children.insert(name, call);
        }
    }

    /// Names as seen from instance `at`.
    pub fn view(&self, at: usize) -> View<'_> {
        View { tree: self, at }
    }

    /// A value evaluated in instance `from`, as instance `into` (its caller) receives it: the
    /// tokens written in `from`, where it is one of several instances of a call, are written out
    /// with its address (`${module.subnet["a"].aws_subnet.this.id}`: each instance writes the
    /// same text); the others are recorded as written where they were.
    fn carried(&self, into: usize, from: usize, mut value: Partial) -> Partial {
        let (source, target) = (&self.instances[from], &self.instances[into]);
        let called = source
            .path
            .strip_prefix(target.path.as_str())
            .map(|p| p.trim_start_matches('.'))
            .filter(|p| p.contains('['));
        let mut qualified = HashSet::new();
        if let (Some(called), true) = (called, value.tokens) {
            let known = source.foreign.borrow();
            crate::pointer::for_each_leaf_at_mut(&mut value.value, &mut |_, leaf| {
                let Value::String(text) = leaf else { return };
                if let Some(rewritten) = qualify(text, called, &known) {
                    let spans = crate::expr::template_spans(&rewritten);
                    qualified.extend(spans.into_iter().map(|s| rewritten[s].to_owned()));
                    *text = rewritten;
                }
            });
        }
        self.adopt(into, from, &value.value, &qualified);
        value
    }

    /// Records that the tokens of `value`, evaluated in instance `from`, are written where they
    /// were in `from`, as seen from instance `into`; but for those in `qualified`, which say
    /// where they are written themselves.
    fn adopt(&self, into: usize, from: usize, value: &Value, qualified: &HashSet<String>) {
        let source = &self.instances[from];
        let target = &self.instances[into];
        let mut foreign = target.foreign.borrow_mut();
        let known = source.foreign.borrow();
        crate::pointer::for_each_leaf(value, |_, leaf| {
            let Value::String(text) = leaf else { return };
            for span in crate::expr::template_spans(text) {
                let token = &text[span];
                if qualified.contains(token) {
                    continue;
                }
                let written = known.get(token).unwrap_or(&source.path);
                if *written != target.path {
                    foreign.insert(token.to_owned(), written.clone());
                }
            }
        });
    }
}

/// `text` with the references of each token written in the module (those not in `foreign`)
/// prefixed with `called` (`module.subnet["a"]`); `None` where nothing changes.
fn qualify(text: &str, called: &str, foreign: &HashMap<String, String>) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut changed = false;
    for span in crate::expr::template_spans(text) {
        let token = &text[span.clone()];
        out.push_str(&text[at..span.start]);
        at = span.end;
        if foreign.contains_key(token) {
            out.push_str(token);
            continue;
        }
        let body = &text[span.start + 2..span.end - 1];
        let mut last = 0;
        out.push_str("${");
        for reference in crate::expr::references(body) {
            let root = reference.split(['.', '[']).next().unwrap_or_default();
            if !(root == "data" || root == "module" || root.contains('_')) {
                continue;
            }
            // `references` gives slices of `body`: where each starts in it.
            let start = reference.as_ptr() as usize - body.as_ptr() as usize;
            out.push_str(&body[last..start]);
            out.push_str(called);
            out.push('.');
            out.push_str(reference);
            last = start + reference.len();
            changed = true;
        }
        out.push_str(&body[last..]);
        out.push('}');
    }
    out.push_str(&text[at..]);
    changed.then_some(out)
}

/// A value given to variable `name`, with the defaults of its type filled in.
fn typed(constraints: &HashMap<String, String>, name: &str, value: Value) -> Value {
    match constraints.get(name) {
        Some(constraint) => super::types::with_defaults(value, constraint),
        None => value,
    }
}

/// The files of a called module directory, their resources addressed in the module.
fn load_module(directory: &Path, path: &str) -> Result<Vec<Document>, String> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(directory)
        .map_err(|e| format!("cannot read {}: {e}", directory.display()))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|p| {
            let name = p.to_string_lossy();
            p.is_file() && (name.ends_with(".tf.json") || name.ends_with(".tf"))
        })
        .collect();
    names.sort();
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
    Ok(files)
}

/// Where a module call's code is: a local `source` beside the caller, or the directory
/// `terraform init` downloaded it to. Anything else is not in these inputs.
fn module_directory(
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
fn downloaded_modules(root: &Path) -> HashMap<String, PathBuf> {
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

fn same_directory(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The names of one module instance.
pub(super) struct View<'t> {
    tree: &'t Tree,
    at: usize,
}

impl View<'_> {
    fn instance(&self) -> &Instance {
        &self.tree.instances[self.at]
    }

    /// The root module of this instance's tree.
    fn root(&self) -> usize {
        let mut at = self.at;
        while let Some((parent, _)) = &self.tree.instances[at].parent {
            at = *parent;
        }
        at
    }

    /// Evaluates `name` once, with what it was read through.
    fn cached(
        &self,
        name: &str,
        evaluate: impl FnOnce(&RefCell<Vec<Hop>>) -> Evaluated,
    ) -> Evaluated {
        let instance = self.instance();
        if let Some((done, _)) = instance.evaluated.borrow().get(name) {
            return done.clone();
        }
        if !instance.evaluating.borrow_mut().insert(name.to_owned()) {
            return Err(Stop::Invalid(format!("{name} refers to itself")));
        }
        let depth = self.tree.depth.get();
        let value = if depth >= MAX_CHAIN {
            Err(Stop::Invalid(format!(
                "values refer to values more than {MAX_CHAIN} deep"
            )))
        } else {
            self.tree.depth.set(depth + 1);
            let read = RefCell::default();
            let value = evaluate(&read);
            self.tree.depth.set(depth);
            instance
                .evaluated
                .borrow_mut()
                .insert(name.to_owned(), (value.clone(), read.into_inner()));
            value
        };
        instance.evaluating.borrow_mut().remove(name);
        value
    }

    /// Output `output` of instance `child`, evaluated once, its tokens adopted here.
    fn output_of(&self, child: usize, output: &str) -> Evaluated {
        let view = self.tree.view(child);
        let Some(expression) = view.instance().outputs.get(output) else {
            return Err(Stop::Invalid(format!(
                "{} has no output `{output}`",
                view.instance().path
            )));
        };
        let value = view.cached(&format!("output.{output}"), |read| {
            evaluate_json_reading(expression, &view, read)
        });
        value.map(|value| self.tree.carried(self.at, child, value))
    }

    /// The hop of a name declared in this instance.
    fn hop(&self, name: &str) -> Option<Hop> {
        let instance = self.instance();
        let (file, pointer) = instance.declared.get(name)?;
        let set_in = name
            .strip_prefix("var.")
            .and_then(|variable| instance.set_in.get(variable))
            .and_then(|path| path.file_name())
            .map(|file| file.to_string_lossy().into_owned());
        let shown = match name.strip_prefix("output.") {
            Some(output) => format!("{}.{output}", instance.path),
            None if instance.path.is_empty() => name.to_owned(),
            None => format!("{}.{name}", instance.path),
        };
        Some(Hop {
            name: shown,
            pointer: pointer.clone(),
            file: Some(file.clone()),
            set_in,
            evaluated: true,
        })
    }
}

/// What the expressions of all the inputs may build, in [`Names::spend`] units: real
/// configurations build a few thousand values.
const BUDGET: usize = 4_000_000;

impl Names for View<'_> {
    fn spend(&self, cost: usize) -> Result<(), Stop> {
        let spent = self.tree.spent.get().saturating_add(cost);
        self.tree.spent.set(spent);
        if spent > BUDGET {
            return Err(Stop::Invalid(
                "the expressions build more values than any real configuration; payplat stops evaluating them".to_owned(),
            ));
        }
        Ok(())
    }

    fn variable(&self, name: &str) -> Evaluated {
        let instance = self.instance();
        if let Some((parent, arguments)) = &instance.parent
            && let Some(argument) = arguments.get(name)
        {
            let (parent, argument) = (*parent, argument.clone());
            let value = self.cached(&format!("var.{name}"), |read| {
                let caller = self.tree.view(parent);
                let value = match &instance.key {
                    Some(key) => {
                        let caller = InstanceNames {
                            module: &caller,
                            key: key.clone(),
                        };
                        evaluate_json_reading(&argument, &caller, read)
                    }
                    None => evaluate_json_reading(&argument, &caller, read),
                };
                value.map(|given| match (&given.value, instance.not_null.get(name)) {
                    (Value::Null, Some(default)) => Partial::known(default.clone()),
                    _ => Partial {
                        value: typed(&instance.constraints, name, given.value),
                        ..given
                    },
                })
            });
            if let Ok(value) = &value {
                self.tree
                    .adopt(self.at, parent, &value.value, &HashSet::new());
            }
            return value;
        }
        match instance.values.get(name) {
            Some(Some(value)) => Ok(Partial::known(value.clone())),
            // Set on the command line or in the environment, or declared in a file payplat
            // does not read: Terraform knows it, these inputs do not.
            _ => Err(Stop::Unknown),
        }
    }

    fn local(&self, name: &str) -> Evaluated {
        let Some(expression) = self.instance().locals.get(name) else {
            return Err(Stop::Unknown);
        };
        self.cached(&format!("local.{name}"), |read| {
            evaluate_json_reading(expression, self, read)
        })
    }

    fn path(&self, name: &str) -> Evaluated {
        let directory = match name {
            "module" => &self.instance().directory,
            "root" | "cwd" => &self.tree.instances[self.root()].directory,
            _ => return Err(Stop::Invalid(format!("there is no `path.{name}`"))),
        };
        let absolute = directory
            .canonicalize()
            .map_err(|_| Stop::Unknown)?
            .to_string_lossy()
            .into_owned();
        Ok(Partial::known(Value::String(absolute)))
    }

    fn file(&self, path: &str) -> Evaluated {
        let root = &self.tree.instances[self.root()].directory;
        let path = root.join(path).canonicalize().map_err(|_| Stop::Unknown)?;
        // Only the configuration's own files: never what lies elsewhere on this machine.
        let inside = self.tree.instances.iter().any(|instance| {
            instance
                .directory
                .canonicalize()
                .is_ok_and(|directory| path.starts_with(directory))
        });
        let small = path
            .metadata()
            .is_ok_and(|m| m.is_file() && m.len() <= MAX_FILE);
        if !inside || !small {
            return Err(Stop::Unknown);
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|_| Stop::Invalid(format!("{} is not UTF-8 text", path.display())))?;
        Ok(Partial::known(Value::String(text)))
    }

    fn module_output(&self, call: &str, key: Option<&Value>, output: &str) -> Evaluated {
        let child = match (self.instance().children.get(call), key) {
            (Some(Call::One(child)), None) => *child,
            (Some(Call::Keyed(instances)), Some(key)) => instances
                .iter()
                .find(|(instance, _)| instance.matches(key))
                .map(|(_, child)| *child)
                .ok_or_else(|| Stop::Invalid(format!("module.{call} has no instance {key}")))?,
            _ => return Err(Stop::Unknown),
        };
        self.output_of(child, output)
    }

    fn module_call(&self, call: &str) -> Evaluated {
        let whole = |child: usize| -> Evaluated {
            let mut names: Vec<&String> = self.tree.instances[child].outputs.keys().collect();
            names.sort();
            let mut tokens = false;
            let mut object = Map::new();
            for name in names {
                let value = match self.output_of(child, name) {
                    Ok(value) => value,
                    Err(_) => Partial {
                        value: Value::String(format!(
                            "${{{}.{name}}}",
                            self.tree.instances[child].path
                        )),
                        tokens: true,
                    },
                };
                tokens |= value.tokens;
                object.insert(name.clone(), value.value);
            }
            Ok(Partial {
                value: Value::Object(object),
                tokens,
            })
        };
        match self.instance().children.get(call) {
            Some(Call::One(child)) => whole(*child),
            Some(Call::Keyed(instances)) => {
                let mut tokens = false;
                let mut list = Vec::new();
                let mut map = Map::new();
                for (key, child) in instances {
                    let value = whole(*child)?;
                    tokens |= value.tokens;
                    match key {
                        InstanceKey::Count(_) => list.push(value.value),
                        InstanceKey::Each(key, _) => {
                            map.insert(key.clone(), value.value);
                        }
                    }
                }
                let value = match instances.first() {
                    Some((InstanceKey::Each(..), _)) => Value::Object(map),
                    _ => Value::Array(list),
                };
                Ok(Partial { value, tokens })
            }
            _ => Err(Stop::Unknown),
        }
    }

    fn through(&self, name: &str) -> Vec<Hop> {
        let (view, key) = match name.strip_prefix("module.").and_then(|r| r.split_once('.')) {
            Some((call, output)) => match self.instance().children.get(call) {
                Some(Call::One(child)) => (self.tree.view(*child), format!("output.{output}")),
                _ => return Vec::new(),
            },
            None => (self.tree.view(self.at), name.to_owned()),
        };
        let mut hops: Vec<Hop> = view.hop(&key).into_iter().collect();
        if let Some((_, read)) = view.instance().evaluated.borrow().get(&key) {
            hops.extend(read.iter().cloned());
        }
        hops
    }
}

/// Variable values from the directory's variable files, later files winning, as Terraform
/// reads them: `terraform.tfvars`, `terraform.tfvars.json`, then `*.auto.tfvars[.json]` by name.
pub(super) fn variable_files(
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
