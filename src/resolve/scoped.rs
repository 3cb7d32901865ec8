//! Names with one more binding in scope: the instance a block or module call is evaluated for,
//! or a dynamic block's iterator. Resources, module calls and dynamic blocks all bind this way.

use super::evaluate::{Evaluated, Names, Partial, Stop};
use super::functions;
use crate::model::{Hop, Index};
use serde_json::Value;

/// Which instance of a resource or module call: `count.index`, or `each.key` and `each.value`.
#[derive(Clone)]
pub(super) enum InstanceKey {
    Count(u64),
    Each(String, Value),
}

impl InstanceKey {
    /// Whether `key` (`0`, `"a"`) names this instance.
    pub(super) fn matches(&self, key: &Value) -> bool {
        match (self, key) {
            (InstanceKey::Count(i), key) => functions::to_number(key) == Some(*i as f64),
            (InstanceKey::Each(name, _), Value::String(key)) => name == key,
            _ => false,
        }
    }

    pub(super) fn index(&self) -> Index {
        match self {
            InstanceKey::Count(i) => Index::Count(*i),
            InstanceKey::Each(key, _) => Index::Key(key.clone()),
        }
    }
}

/// Names with one more binding in scope: the instance a block or module call is evaluated for
/// (`count.index`, `each.key`, `each.value`), or a dynamic block's iterator (`statement.value`).
pub(super) struct Scoped<'m> {
    pub outer: &'m dyn Names,
    pub binding: Binding<'m>,
}

pub(super) enum Binding<'m> {
    Instance(InstanceKey),
    Iterator {
        name: &'m str,
        key: Value,
        value: Value,
    },
}

impl Names for Scoped<'_> {
    fn variable(&self, name: &str) -> Evaluated {
        self.outer.variable(name)
    }

    fn local(&self, name: &str) -> Evaluated {
        self.outer.local(name)
    }

    fn module_output(&self, call: &str, key: Option<&Value>, output: &str) -> Evaluated {
        self.outer.module_output(call, key, output)
    }

    fn module_call(&self, call: &str) -> Evaluated {
        self.outer.module_call(call)
    }

    fn through(&self, name: &str) -> Vec<Hop> {
        self.outer.through(name)
    }

    fn path(&self, name: &str) -> Evaluated {
        self.outer.path(name)
    }

    fn echoed(&self, resource: &str, attribute: &str) -> Evaluated {
        self.outer.echoed(resource, attribute)
    }

    fn passes(&self, resource_type: &str) -> bool {
        self.outer.passes(resource_type)
    }

    fn workspace(&self) -> Evaluated {
        self.outer.workspace()
    }

    fn combined(&self, token: &str, inlined: &[String]) {
        self.outer.combined(token, inlined)
    }

    fn file(&self, path: &str) -> Evaluated {
        self.outer.file(path)
    }

    fn spend(&self, cost: usize) -> Result<(), Stop> {
        self.outer.spend(cost)
    }

    fn bound(&self, root: &str) -> bool {
        matches!(&self.binding, Binding::Iterator { name, .. } if *name == root)
            || self.outer.bound(root)
    }

    fn instance(&self, root: &str, name: &str) -> Evaluated {
        let value = match (&self.binding, root, name) {
            (Binding::Instance(InstanceKey::Count(i)), "count", "index") => Value::from(*i),
            (Binding::Instance(InstanceKey::Each(key, _)), "each", "key") => {
                Value::String(key.clone())
            }
            (Binding::Instance(InstanceKey::Each(_, value)), "each", "value") => value.clone(),
            (Binding::Instance(_), "count" | "each", _) => {
                return Err(Stop::Invalid(format!("`{root}.{name}` is not set here")));
            }
            (
                Binding::Iterator {
                    name: bound, key, ..
                },
                _,
                "key",
            ) if root == *bound => key.clone(),
            (
                Binding::Iterator {
                    name: bound, value, ..
                },
                _,
                "value",
            ) if root == *bound => value.clone(),
            (Binding::Iterator { name: bound, .. }, _, _) if root == *bound => {
                return Err(Stop::Invalid(format!(
                    "`{root}.{name}` is not set here: a dynamic block's iterator has `key` and `value`"
                )));
            }
            _ => return self.outer.instance(root, name),
        };
        let tokens = super::evaluate::contains_token(&value);
        Ok(Partial { value, tokens })
    }
}
