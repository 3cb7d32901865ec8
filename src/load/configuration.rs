//! A plan's `configuration`, read for what it says of references: what each resource's
//! expressions read, what each module call passes and each output returns. Constant values are
//! skipped while parsing, never built: a plan of many module calls writes an expression for
//! every attribute of every resource, and building them took more memory than the rest of the
//! plan (`bench/run.sh`'s full-shape plan).

use crate::model::{Address, Hop, Reference};
use crate::pointer;
use ahash::{AHashMap, AHashSet};
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::collections::BTreeMap;
use std::sync::Arc;

/// `configuration`, as far as references go.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Configuration {
    root_module: Option<ConfigModule>,
}

#[derive(Debug, Default, Deserialize)]
struct ConfigModule {
    #[serde(default)]
    resources: Vec<ConfigResource>,
    #[serde(default)]
    variables: BTreeMap<String, ConfigVariable>,
    #[serde(default)]
    outputs: BTreeMap<String, ConfigOutput>,
    #[serde(default)]
    module_calls: BTreeMap<String, ConfigCall>,
}

#[derive(Debug, Deserialize)]
struct ConfigResource {
    address: Option<String>,
    expressions: Option<Expressions>,
    #[serde(default, deserialize_with = "strings")]
    depends_on: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ConfigVariable {
    /// Whether it declares a default (whatever its value, `null` too).
    #[serde(default, deserialize_with = "present")]
    default: bool,
}

#[derive(Debug, Deserialize)]
struct ConfigOutput {
    expression: Option<Expression>,
}

#[derive(Debug, Deserialize)]
struct ConfigCall {
    #[serde(default)]
    expressions: BTreeMap<String, Expression>,
    module: Option<Box<ConfigModule>>,
}

/// One expression: the references it reads (a constant reads none).
#[derive(Debug, Default, Deserialize)]
struct Expression {
    #[serde(default, deserialize_with = "strings")]
    references: Vec<String>,
}

/// A resource's expressions: `{"references": [...]}` or `{"constant_value": ...}` for an
/// attribute; nested blocks are objects or arrays of them, mirroring the layout of the values.
#[derive(Debug)]
enum Expressions {
    Leaf(Vec<String>),
    Object(Vec<(String, Expressions)>),
    Array(Vec<Expressions>),
    Other,
}

impl Expressions {
    fn references(&self, attribute: String, out: &mut Vec<Reference>) {
        match self {
            Expressions::Leaf(targets) => out.extend(targets.iter().map(|target| Reference {
                attribute: attribute.clone(),
                target: target.clone(),
                module: None,
                via: Vec::new(),
                waits_only: false,
            })),
            Expressions::Object(members) => {
                for (key, value) in members {
                    value.references(pointer::join(&attribute, key), out);
                }
            }
            Expressions::Array(items) => {
                for (i, value) in items.iter().enumerate() {
                    value.references(pointer::join_index(&attribute, i), out);
                }
            }
            Expressions::Other => {}
        }
    }
}

impl<'de> Deserialize<'de> for Expressions {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Reader;
        impl<'de> Visitor<'de> for Reader {
            type Value = Expressions;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("expressions")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Expressions, A::Error> {
                let (mut leaf, mut references, mut members) = (false, Vec::new(), Vec::new());
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match key.as_ref() {
                        "references" => {
                            leaf = true;
                            references = map.next_value::<Strings>()?.0;
                        }
                        "constant_value" => {
                            leaf = true;
                            map.next_value::<IgnoredAny>()?;
                        }
                        _ => members.push((key.into_owned(), map.next_value()?)),
                    }
                }
                Ok(if leaf {
                    Expressions::Leaf(references)
                } else {
                    Expressions::Object(members)
                })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Expressions, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Expressions::Array(items))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Expressions, E> {
                Ok(Expressions::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Expressions, E> {
                Ok(Expressions::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Expressions, E> {
                Ok(Expressions::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Expressions, E> {
                Ok(Expressions::Other)
            }
            fn visit_str<E>(self, _: &str) -> Result<Expressions, E> {
                Ok(Expressions::Other)
            }
            fn visit_unit<E>(self) -> Result<Expressions, E> {
                Ok(Expressions::Other)
            }
        }
        deserializer.deserialize_any(Reader)
    }
}

/// The strings of a list (anything else in it, or a list that is not one, is no reference).
struct Strings(Vec<String>);

impl<'de> Deserialize<'de> for Strings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Item {
            Text(String),
            Other(IgnoredAny),
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum List {
            Items(Vec<Item>),
            Other(IgnoredAny),
        }
        Ok(Strings(match List::deserialize(deserializer)? {
            List::Items(items) => items
                .into_iter()
                .filter_map(|item| match item {
                    Item::Text(text) => Some(text),
                    Item::Other(_) => None,
                })
                .collect(),
            List::Other(_) => Vec::new(),
        }))
    }
}

fn strings<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    Strings::deserialize(deserializer).map(|s| s.0)
}

fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    IgnoredAny::deserialize(deserializer).map(|_| true)
}

/// A configured resource: its module path (without instance keys) and address within the module.
type Declared = (String, String);

/// References of each configured resource, keyed by module path (without instance keys) and
/// address within the module.
#[derive(Default)]
pub(super) struct ConfigReferences {
    by_resource: AHashMap<Declared, Vec<Reference>>,
    /// What each module call passes to each variable: (calling module path, call name,
    /// variable) → references, relative to the calling module.
    arguments: AHashMap<(String, String, String), Vec<String>>,
    /// What each module output reads: (module path, output) → references within it.
    outputs: AHashMap<(String, String), Vec<String>>,
    /// Variables a module declares with a default: (module path, variable). Where the call
    /// passes nothing, the variable is that constant and refers to nothing.
    defaulted: AHashSet<(String, String)>,
    /// Each configured resource's references, followed through modules once for all its
    /// instances.
    expanded: std::sync::Mutex<AHashMap<Declared, Arc<[Reference]>>>,
}

/// How many variables and outputs a reference is followed through, at most: modules that pass
/// values around in a circle end here.
const MAX_HOPS: usize = 32;

impl ConfigReferences {
    pub(super) fn from_configuration(configuration: Option<&Configuration>) -> Self {
        let mut references = ConfigReferences::default();
        if let Some(root) = configuration.and_then(|c| c.root_module.as_ref()) {
            references.add_module(root, "");
        }
        references
    }

    fn add_module(&mut self, module: &ConfigModule, path: &str) {
        for resource in &module.resources {
            let Some(address) = &resource.address else {
                continue;
            };
            let mut found = Vec::new();
            if let Some(expressions) = &resource.expressions {
                expressions.references(String::new(), &mut found);
            }
            for (i, target) in resource.depends_on.iter().enumerate() {
                found.push(Reference {
                    attribute: format!("/depends_on/{i}"),
                    target: target.clone(),
                    module: None,
                    via: Vec::new(),
                    waits_only: false,
                });
            }
            if !found.is_empty() {
                self.by_resource
                    .insert((path.to_owned(), address.clone()), found);
            }
        }
        for (variable, body) in &module.variables {
            if body.default {
                self.defaulted.insert((path.to_owned(), variable.clone()));
            }
        }
        for (output, body) in &module.outputs {
            let read = body
                .expression
                .as_ref()
                .map(|e| e.references.clone())
                .unwrap_or_default();
            self.outputs.insert((path.to_owned(), output.clone()), read);
        }
        for (name, call) in &module.module_calls {
            for (variable, expression) in &call.expressions {
                self.arguments.insert(
                    (path.to_owned(), name.clone(), variable.clone()),
                    expression.references.clone(),
                );
            }
            if let Some(child) = &call.module {
                self.add_module(child, &child_module(path, name));
            }
        }
    }

    /// A reference followed through module variables and outputs to what it reads in the end,
    /// each with the module it is written in and the hops on the way; a reference that is not a
    /// module's variable or output, or that leads nowhere, stays as it is.
    fn expand(&self, path: &str, reference: &Reference, out: &mut Vec<Reference>) {
        let mut pending = vec![(path.to_owned(), reference.target.clone(), Vec::new())];
        // Each (module, target) is followed once: outputs that read each other end.
        let mut seen = AHashSet::new();
        while let Some((module, target, via)) = pending.pop() {
            if !seen.insert((module.clone(), target.clone())) {
                continue;
            }
            let next = (via.len() < MAX_HOPS)
                .then(|| self.step(&module, &target))
                .flatten();
            match next {
                Some((next_module, read, pointer)) if !read.is_empty() => {
                    let mut via = via.clone();
                    via.push(Hop {
                        name: target,
                        pointer,
                        file: None,
                        set_in: None,
                        evaluated: false,
                    });
                    pending.extend(
                        read.into_iter()
                            .map(|r| (next_module.clone(), r, via.clone())),
                    );
                }
                // `module.network` alone: Terraform lists it beside the outputs read from it.
                _ if target
                    .strip_prefix("module.")
                    .is_some_and(|m| !m.contains('.')) => {}
                // A variable the call sets to a constant, or does not set (its default): it
                // refers to nothing.
                Some((_, read, _)) if read.is_empty() => {}
                None if self.takes_default(&module, &target) => {}
                _ => out.push(Reference {
                    attribute: reference.attribute.clone(),
                    module: (module != path).then_some(module),
                    target,
                    via,
                    waits_only: false,
                }),
            }
        }
    }

    /// What `target`, written in `module`, reads one step further: a variable's argument in the
    /// calling module, or an output's expression in the called one; with the module it is
    /// written in and the pointer of that expression.
    fn step(&self, module: &str, target: &str) -> Option<(String, Vec<String>, String)> {
        let name = |rest: &str| rest.split(['.', '[']).next().unwrap_or_default().to_owned();
        if let Some(variable) = target.strip_prefix("var.") {
            let (parent, call) = module.rsplit_once("module.")?;
            let parent = parent.strip_suffix('.').unwrap_or(parent).to_owned();
            let variable = name(variable);
            let read = self
                .arguments
                .get(&(parent.clone(), call.to_owned(), variable.clone()))?;
            let pointer = pointer::join(
                &pointer::join(
                    &pointer::join(
                        &pointer::join(&configuration_pointer(&parent), "module_calls"),
                        call,
                    ),
                    "expressions",
                ),
                &variable,
            );
            return Some((parent, read.clone(), pointer));
        }
        let rest = target.strip_prefix("module.")?;
        let call = name(rest);
        let output = name(rest[call.len()..].strip_prefix('.')?);
        let child = child_module(module, &call);
        let pointer = pointer::join(
            &pointer::join(&configuration_pointer(&child), "outputs"),
            &output,
        );
        let read = self.outputs.get(&(child.clone(), output))?;
        Some((child, read.clone(), pointer))
    }

    /// Whether `target` is a variable of the child `module` that its call leaves at its default.
    fn takes_default(&self, module: &str, target: &str) -> bool {
        let Some(variable) = target.strip_prefix("var.") else {
            return false;
        };
        let variable = variable.split(['.', '[']).next().unwrap_or_default();
        let Some((parent, call)) = module.rsplit_once("module.") else {
            return false;
        };
        let parent = parent.strip_suffix('.').unwrap_or(parent);
        self.defaulted
            .contains(&(module.to_owned(), variable.to_owned()))
            && !self.arguments.contains_key(&(
                parent.to_owned(),
                call.to_owned(),
                variable.to_owned(),
            ))
    }

    pub(super) fn of(&self, address: &Address) -> Arc<[Reference]> {
        if self.by_resource.is_empty() {
            return Arc::new([]);
        }
        let key = (
            address.module_path().into_owned(),
            address.in_module().to_owned(),
        );
        let Some(written) = self.by_resource.get(&key) else {
            return Arc::new([]);
        };
        let mut expanded = self.expanded.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = expanded.get(&key) {
            return found.clone();
        }
        let mut out = Vec::with_capacity(written.len());
        for reference in written {
            self.expand(&key.0, reference, &mut out);
        }
        // A template may name the same object several times; once per attribute is enough.
        out.sort();
        out.dedup();
        let out: Arc<[Reference]> = out.into();
        expanded.insert(key, out.clone());
        out
    }
}

/// Where a module's configuration is in a plan: `module.a.module.b` →
/// `/configuration/root_module/module_calls/a/module/module_calls/b/module`.
fn configuration_pointer(module: &str) -> String {
    let mut at = "/configuration/root_module".to_owned();
    for call in module
        .split("module.")
        .map(|c| c.trim_end_matches('.'))
        .filter(|c| !c.is_empty())
    {
        at = pointer::join(
            &pointer::join(&pointer::join(&at, "module_calls"), call),
            "module",
        );
    }
    at
}

/// `module.a` + `b` → `module.a.module.b`.
fn child_module(path: &str, call: &str) -> String {
    if path.is_empty() {
        format!("module.{call}")
    } else {
        format!("{path}.module.{call}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Mode;
    use serde_json::json;

    fn read(configuration: serde_json::Value) -> Configuration {
        serde_json::from_value(configuration).unwrap()
    }

    #[test]
    fn module_variables_and_outputs_that_read_each_other_end() {
        let configuration = json!({"root_module": {"module_calls": {"a": {
            "expressions": {"x": {"references": ["module.a.out"]}},
            "module": {
                "outputs": {"out": {"expression": {"references": ["var.x", "aws_subnet.s"]}}},
                "resources": [{"address": "aws_eks_cluster.c", "expressions": {"subnet_ids": {"references": ["var.x"]}}}]
            }
        }}}});
        let references = ConfigReferences::from_configuration(Some(&read(configuration)));
        let cluster = Address::new(
            Some("module.a".into()),
            Mode::Managed,
            "aws_eks_cluster",
            "c",
            None,
        );
        let found = references.of(&cluster);
        let targets: Vec<&str> = found.iter().map(|r| r.target.as_str()).collect();
        assert_eq!(targets, ["aws_subnet.s"]);
        let via: Vec<(&str, &str)> = found[0]
            .via
            .iter()
            .map(|hop| (hop.name.as_str(), hop.pointer.as_str()))
            .collect();
        assert_eq!(
            via,
            [
                (
                    "var.x",
                    "/configuration/root_module/module_calls/a/expressions/x"
                ),
                (
                    "module.a.out",
                    "/configuration/root_module/module_calls/a/module/outputs/out"
                )
            ]
        );
        assert_eq!(
            found[0].module, None,
            "the subnet is in the cluster's own module"
        );
    }

    #[test]
    fn variables_left_at_their_default_or_set_to_a_constant_refer_to_nothing() {
        let configuration = json!({"root_module": {"module_calls": {"eks": {
            "expressions": {
                "subnet_ids": {"references": ["aws_subnet.private"]},
                "extra_subnet_ids": {"constant_value": []}
            },
            "module": {
                "variables": {"control_plane_subnet_ids": {"default": []}, "subnet_ids": {}},
                "resources": [{"address": "aws_eks_cluster.this", "expressions": {"vpc_config": [{"subnet_ids": {"references": [
                    "var.control_plane_subnet_ids", "var.subnet_ids", "var.extra_subnet_ids", "var.undeclared"]}}]}}]
            }
        }}}});
        let references = ConfigReferences::from_configuration(Some(&read(configuration)));
        let cluster = Address::new(
            Some("module.eks".into()),
            Mode::Managed,
            "aws_eks_cluster",
            "this",
            None,
        );
        let targets: Vec<String> = references
            .of(&cluster)
            .iter()
            .map(|r| r.target.clone())
            .collect();
        assert_eq!(targets, ["aws_subnet.private", "var.undeclared"]);
    }
}
