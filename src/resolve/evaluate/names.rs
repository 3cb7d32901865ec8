//! What evaluating gives, and where the names an expression reads are looked up.

use crate::expr;
use crate::model::Hop;
use serde_json::Value;

/// Why an expression has no value in these inputs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stop {
    /// Known only once Terraform plans or applies: a resource attribute, a data source, a
    /// variable no file sets.
    Unknown,
    /// Terraform would reject it: a missing attribute, a function given the wrong type, a cycle.
    Invalid(String),
}

/// A value that may hold `${…}` tokens where parts of it are unknown.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Partial {
    /// The value, tokens included.
    pub value: Value,
    /// Whether some part of it is a token.
    pub tokens: bool,
}

/// What an evaluation gives.
pub(crate) type Evaluated = Result<Partial, Stop>;

impl Partial {
    pub(crate) fn known(value: Value) -> Partial {
        Partial {
            value,
            tokens: false,
        }
    }

    /// A token standing for an unknown expression, as the configuration would write it.
    pub(super) fn token(expression: &str) -> Partial {
        Partial {
            value: Value::String(format!("${{{expression}}}")),
            tokens: true,
        }
    }

    /// The whole value is one unknown token.
    pub(super) fn is_token(&self) -> bool {
        self.tokens && matches!(&self.value, Value::String(s) if is_token(s))
    }
}

/// A string that is exactly one `${…}` expression.
pub(crate) fn is_token(text: &str) -> bool {
    matches!(expr::template_spans(text).as_slice(), [span] if span.start == 0 && span.end == text.len())
}

/// Where names are looked up: the module's variables and locals.
pub(crate) trait Names {
    /// `var.NAME`: its value, `Unknown` when no input sets it, `Invalid` when undeclared.
    fn variable(&self, name: &str) -> Evaluated;
    /// `local.NAME`, evaluated.
    fn local(&self, name: &str) -> Evaluated;
    /// Takes `cost` from what evaluation may produce in all (values built by `for` and by
    /// functions), so that hostile expressions end instead of exhausting memory.
    fn spend(&self, cost: usize) -> Result<(), Stop> {
        let _ = cost;
        Ok(())
    }
    /// `TYPE.NAME.ATTRIBUTE` of a resource that passes values through (`time_sleep.this.triggers`):
    /// the argument it echoes, evaluated. `resource` is `TYPE.NAME`.
    fn echoed(&self, resource: &str, attribute: &str) -> Evaluated {
        let _ = (resource, attribute);
        Err(Stop::Unknown)
    }
    /// `token` (a residual, in this module) is made of `inlined`, tokens evaluated here: where
    /// those are all written in one other module, it is too.
    fn combined(&self, token: &str, inlined: &[String]) {
        let _ = (token, inlined);
    }
    /// `terraform.workspace`, where the environment names it.
    fn workspace(&self) -> Evaluated {
        Err(Stop::Unknown)
    }
    /// Whether resources of `resource_type` pass values through.
    fn passes(&self, resource_type: &str) -> bool {
        let _ = resource_type;
        false
    }
    /// `path.module`, `path.root`, `path.cwd`.
    fn path(&self, name: &str) -> Evaluated {
        let _ = name;
        Err(Stop::Unknown)
    }
    /// The text of a file the configuration reads (`file`, `templatefile`), if it lies in the
    /// configuration's own directories.
    fn file(&self, path: &str) -> Evaluated {
        let _ = path;
        Err(Stop::Unknown)
    }
    /// `module.CALL.OUTPUT`, or `module.CALL[KEY].OUTPUT` of a call with `count` or
    /// `for_each`, evaluated in the module instance called.
    fn module_output(&self, call: &str, key: Option<&Value>, output: &str) -> Evaluated {
        let _ = (call, key, output);
        Err(Stop::Unknown)
    }
    /// `module.CALL` whole: the object of its outputs, or of a call with `count` or
    /// `for_each`, the list or map of its instances' objects.
    fn module_call(&self, call: &str) -> Evaluated {
        let _ = call;
        Err(Stop::Unknown)
    }
    /// The way to a name read (`var.x`, `local.y`, `module.c.o`): its declaration, then what
    /// its own value was read through.
    fn through(&self, name: &str) -> Vec<Hop> {
        let _ = name;
        Vec::new()
    }
    /// `count.index`, `each.key`, `each.value` of the instance being evaluated, and the `key`
    /// and `value` of the dynamic block iterators in scope.
    fn instance(&self, root: &str, name: &str) -> Evaluated {
        let _ = (root, name);
        Err(Stop::Unknown)
    }
    /// Whether `root` is the iterator of a dynamic block being expanded (`statement.value`).
    fn bound(&self, root: &str) -> bool {
        let _ = root;
        false
    }
}
