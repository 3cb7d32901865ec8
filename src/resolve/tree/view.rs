//! The names of one module instance, as its expressions read them: variables (what the caller
//! passes, else the variable files or the default), locals, module outputs, `path`, files.

use super::{Binding, Call, Instance, InstanceKey, MAX_CHAIN, MAX_FILE, Scoped, Tree, typed};
use crate::model::Hop;
use crate::resolve::evaluate::{Evaluated, Names, Partial, Stop, evaluate_json_reading};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::HashSet;

/// The names of one module instance.
pub(in crate::resolve) struct View<'t> {
    pub(super) tree: &'t Tree,
    pub(super) at: usize,
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

/// What the expressions of one root module and the modules it calls may build, in
/// [`Names::spend`] units: real configurations build a few thousand values.
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
                        let caller = Scoped {
                            outer: &caller,
                            binding: Binding::Instance(key.clone()),
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

    /// As Terraform chooses it: `TF_WORKSPACE`, else the root's `.terraform/environment`
    /// (`terraform workspace select` writes it); with neither, the run may select any.
    fn workspace(&self) -> Evaluated {
        let root = &self.tree.instances[self.root()].directory;
        let chosen = std::env::var("TF_WORKSPACE").ok().or_else(|| {
            std::fs::read_to_string(crate::resolve::readable(root).join(".terraform/environment"))
                .ok()
        });
        match chosen.map(|name| name.trim().to_owned()) {
            Some(name) if !name.is_empty() => Ok(Partial::known(Value::String(name))),
            _ => Err(Stop::Unknown),
        }
    }

    fn combined(&self, token: &str, inlined: &[String]) {
        let mut foreign = self.instance().foreign.borrow_mut();
        let mut written = inlined.iter().map(|t| foreign.get(t).cloned());
        let Some(Some(first)) = written.next() else {
            return;
        };
        if written.all(|module| module.as_ref() == Some(&first)) {
            foreign.insert(token.to_owned(), first);
        }
    }

    fn passes(&self, resource_type: &str) -> bool {
        self.tree.pass_through.passes(resource_type)
    }

    fn echoed(&self, resource: &str, attribute: &str) -> Evaluated {
        let key = format!("{resource}.{attribute}");
        let Some(expression) = self.instance().echoes.get(&key) else {
            return Err(Stop::Unknown);
        };
        self.cached(&key, |read| evaluate_json_reading(expression, self, read))
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
