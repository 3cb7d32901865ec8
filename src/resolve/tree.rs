//! Module instances: the root module of a directory and the modules it calls, each with its
//! variables, locals and outputs, evaluated once, on first use.
//!
//! A call with a local `source` (`./modules/network`) is followed, as is one that
//! `terraform init` downloaded (`.terraform/modules/modules.json` says where). Each value
//! carries the module its unknown parts are written in: a subnet reference passed into
//! `module.eks` as `var.subnet_ids` still names the root's `aws_subnet.private`.

use super::evaluate::{Evaluated, Partial};
use super::instances::instance_keys;
use super::scoped::{Binding, InstanceKey, Scoped};
use super::sources::{downloaded_modules, load_module, module_directory, same_directory};
use crate::model::{Declared, Document, Hop};
use serde_json::{Map, Value};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

mod view;
pub(super) use view::View;

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
    /// The module calls whose code could not be read.
    pub unread: Vec<super::Unread>,
    /// Where sources that are neither local nor downloaded come from, if they are fetched.
    pub fetcher: Option<std::sync::Arc<super::fetch::Fetcher>>,
    /// The tool each module directory is read for; `None`: the tool its files say.
    pub engine: Option<crate::load::Engine>,
    /// The resource types that pass values through.
    pub pass_through: std::sync::Arc<super::PassThrough>,
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
    /// `time_sleep.this.triggers` → the argument it echoes, as written.
    echoes: HashMap<String, Value>,
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
        pass_through: &super::PassThrough,
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
            echoes: HashMap::new(),
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
            for resource in &all[i].resources {
                let address = &resource.address;
                let Some(echoes) = pass_through.echoes(address.resource_type()) else {
                    continue;
                };
                if address.mode != crate::model::Mode::Managed {
                    continue;
                }
                for (attribute, argument) in echoes {
                    let Some(expression) = resource.values.get(argument) else {
                        continue;
                    };
                    let key = format!("{}.{}.{attribute}", address.resource_type(), address.name());
                    let at = resource.pointer_to(&crate::pointer::join("", argument));
                    instance
                        .declared
                        .insert(key.clone(), (all[i].path.clone(), at));
                    instance.echoes.insert(key, expression.clone());
                }
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
    /// `documents`.
    pub fn add_root(
        &mut self,
        files: Vec<usize>,
        directory: PathBuf,
        documents: &mut Vec<Document>,
        assigned: BTreeMap<String, (Value, PathBuf)>,
        notes: &mut Vec<String>,
    ) {
        let root = self.instances.len();
        self.instances.push(Instance::new(
            String::new(),
            directory.clone(),
            files,
            documents,
            assigned,
            &self.pass_through,
        ));
        let downloaded = downloaded_modules(&directory);
        self.add_children(root, documents, &downloaded, &mut vec![directory], notes);
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
        for (name, mut body) in plain.into_iter().chain(counted) {
            self.evaluate_early(parent, &mut body);
            let path = if parent_path.is_empty() {
                format!("module.{name}")
            } else {
                format!("{parent_path}.module.{name}")
            };
            let call_key = match self.instances[parent].call_key.as_str() {
                "" => name.clone(),
                outer => format!("{outer}.{name}"),
            };
            let found = module_directory(
                &self.instances[parent].directory,
                &body,
                &call_key,
                downloaded,
            );
            let directory = match (found, self.fetcher.as_deref()) {
                (Some(directory), _) => directory,
                (None, fetcher) => {
                    let source = body.get("source").and_then(Value::as_str).unwrap_or("?");
                    let version = body.get("version").and_then(Value::as_str);
                    let fetched = match fetcher {
                        Some(fetcher) => fetcher.module(source, version),
                        None => Err("not downloaded".to_owned()),
                    };
                    match fetched {
                        Ok(directory) => directory,
                        Err(why) => {
                            let help = match fetcher {
                                Some(_) => "",
                                None => " (run `terraform init`, or check with --download-modules)",
                            };
                            notes.push(format!(
                                "{path} (`{source}`) is not read: {why}{help}; what it outputs is unknown"
                            ));
                            self.unread.push(super::Unread {
                                call: path,
                                source: source.to_owned(),
                                why,
                            });
                            continue;
                        }
                    }
                }
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
            let source = body
                .get("source")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned();
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
                let files = match load_module(&directory, &path, self.engine) {
                    Ok(files) => files,
                    Err(error) => {
                        notes.push(format!("{path} is not followed: {error}"));
                        self.unread.push(super::Unread {
                            call: path,
                            source: source.clone(),
                            why: error,
                        });
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
                    &self.pass_through,
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

    /// A call's `source` and `version` that read variables or locals, evaluated in the caller
    /// (OpenTofu's early evaluation, Terraform's `const` variables); left as written where the
    /// caller's inputs do not decide them.
    fn evaluate_early(&self, caller: usize, body: &mut Map<String, Value>) {
        for key in ["source", "version"] {
            let Some(Value::String(text)) = body.get(key) else {
                continue;
            };
            if crate::expr::template_spans(text).is_empty() {
                continue;
            }
            let read = RefCell::default();
            let evaluated =
                super::evaluate::evaluate_string_reading(text, &self.view(caller), &read);
            if let Ok(Partial {
                value: value @ Value::String(_),
                tokens: false,
            }) = evaluated
            {
                body.insert(key.to_owned(), value);
            }
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
