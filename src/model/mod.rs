//! The resource model: one shape for every input form.
//!
//! Nothing downstream of `load` knows whether a resource came from a plan, a state, a
//! `*.tf.json` or a CDKTF synth. Paths inside a resource (unknown, sensitive and reference
//! locations) are JSON pointers relative to the resource's `values`.

mod address;
mod values;

pub(crate) use address::strip_instance_keys;
pub use address::{Address, Traversal};
use serde::Serialize;
use serde_json::Value;
use std::fmt;
use std::path::PathBuf;
pub use values::{Values, parses_later};

/// Which synthesized form a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// `terraform show -json tfplan`
    Plan,
    /// `terraform show -json` of a state
    State,
    /// Terraform JSON configuration (`*.tf.json`)
    Tfjson,
    /// CDKTF synth output (`cdk.tf.json`)
    Cdktf,
    /// Terraform's native syntax (`.tf`)
    Hcl,
}

impl Kind {
    /// Configuration files declare resources; plans and states hold their instances.
    pub fn is_configuration(self) -> bool {
        matches!(self, Kind::Tfjson | Kind::Cdktf | Kind::Hcl)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Kind::Plan => "plan",
            Kind::State => "state",
            Kind::Tfjson => "tfjson",
            Kind::Cdktf => "cdktf",
            Kind::Hcl => "hcl",
        })
    }
}

/// A managed resource or a data source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// `resource` blocks.
    Managed,
    /// `data` blocks.
    Data,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Mode::Managed => "managed",
            Mode::Data => "data",
        })
    }
}

/// What applying the document would do to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Declared in a configuration file; nothing is planned yet.
    Config,
    /// Present in a state, or unchanged by a plan.
    NoOp,
    /// Created.
    Create,
    /// Changed in place.
    Update,
    /// Destroyed and created again, in either order.
    Replace,
    /// Destroyed: the resource will not exist after apply.
    Delete,
    /// A data source read during apply.
    Read,
    /// Removed from state without being destroyed (Terraform ≥ 1.7 `removed` blocks).
    Forget,
}

impl Action {
    /// Maps a `resource_changes[].change.actions` list.
    pub fn from_plan_actions(actions: &[Value]) -> Option<Action> {
        let names: Vec<&str> = actions.iter().filter_map(Value::as_str).collect();
        Some(match names.as_slice() {
            ["no-op"] => Action::NoOp,
            ["create"] => Action::Create,
            ["update"] => Action::Update,
            ["delete"] => Action::Delete,
            ["read"] => Action::Read,
            ["forget"] => Action::Forget,
            ["delete", "create"] | ["create", "delete"] => Action::Replace,
            // A forgotten object replaced by a new one still exists after apply.
            ["create", "forget"] | ["forget", "create"] => Action::Replace,
            _ => return None,
        })
    }

    /// Whether the resource exists once the plan is applied, so rules check it as live.
    pub fn is_live(self) -> bool {
        !matches!(self, Action::Delete | Action::Forget)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Action::Config => "config",
            Action::NoOp => "no-op",
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::Read => "read",
            Action::Forget => "forget",
        })
    }
}

/// A `count` or `for_each` instance key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Index {
    /// `count.index`.
    Count(u64),
    /// `each.key`.
    Key(String),
}

impl Index {
    /// The key of a plan's `index` member.
    pub fn from_json(value: &Value) -> Option<Index> {
        match value {
            Value::Number(n) => n.as_u64().map(Index::Count),
            Value::String(s) => Some(Index::Key(s.clone())),
            _ => None,
        }
    }
}

impl fmt::Display for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Index::Count(n) => write!(f, "[{n}]"),
            Index::Key(k) => write!(f, "[{}]", Value::String(k.clone())),
        }
    }
}

/// One attribute's reference to another object, e.g. `vpc_config.subnet_ids[0]` → `aws_subnet.a.id`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Reference {
    /// JSON pointer, relative to the resource's values, of the attribute that refers.
    pub attribute: String,
    /// The traversal, relative to the resource's module (`aws_subnet.a.id`, `var.x`), or to
    /// `module` where it was reached through module variables and outputs.
    pub target: String,
    /// The module (configuration path, `module.network`; empty for the root) `target` is
    /// written in, where that is not the resource's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// The variables and module outputs passed through on the way, in order (`var.subnets`,
    /// `module.network.private_subnet_ids`). A plan lists what an expression reads, not how it
    /// combines it: what is reached this way bounds the value from above.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<Hop>,
    /// Whether the attribute only waits for the target (a resource its value passed through:
    /// `time_sleep.this` of `time_sleep.this.triggers["name"]`) and reads no value of it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub waits_only: bool,
}

/// A variable, local or module output a reference passes through, and where it is declared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Hop {
    /// As written where it is read: `var.subnets`, `module.network.private_subnet_ids`.
    pub name: String,
    /// JSON pointer of the expression that gives its value.
    pub pointer: String,
    /// The file it is declared in, where that is not the referring resource's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// The variable file that sets its value (`terraform.tfvars`), where one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_in: Option<String>,
    /// Whether the value was evaluated through it, or only known to be read (a plan's module
    /// calls list what an expression reads, not how it combines it).
    pub evaluated: bool,
}

/// What every report shows in place of a value Terraform marks sensitive.
pub const REDACTED: &str = "(sensitive)";

/// One resource instance (plan, state) or resource block (configuration).
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// Where it lives: `module.a["k"].aws_x.y[0]`, `data.aws_iam_policy_document.trust`.
    pub address: Address,
    /// What applying the document does to it.
    pub action: Action,
    /// Attribute values as planned (plan), recorded (state) or written (configuration).
    /// For a deleted resource: its values before the delete.
    pub values: Values,
    /// Attributes whose value is known only after apply. Resources planned alike share a list.
    pub unknown: std::sync::Arc<[String]>,
    /// Attributes Terraform marks sensitive: never print their values.
    pub sensitive: Vec<String>,
    /// File pointers of other copies of the values (a plan repeats them in `resource_changes`),
    /// so that no excerpt of the file shows a sensitive value from a copy either.
    pub copies: Vec<String>,
    /// What each attribute refers to. The instances of a resource in a plan share one list.
    pub references: std::sync::Arc<[Reference]>,
    /// CDKTF construct path (`Stack/construct/id`), where the synth records one.
    pub construct_path: Option<String>,
    /// JSON pointer of the resource object in its file.
    pub pointer: String,
    /// Where the values are in the resource object: `/values` in a plan's module tree,
    /// `/change/after` in a change, empty where the object holds them itself.
    pub values_at: &'static str,
    /// What its own source says to ignore (`# payplat:ignore …` above a `.tf` block).
    pub ignored: Vec<Ignore>,
}

/// A `# payplat:ignore RULE reason="…" until=YYYY-MM-DD` comment on a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    /// A rule code or name.
    pub rule: String,
    /// Why; required.
    pub reason: String,
    /// From this date on (`YYYY-MM-DD`), it no longer applies.
    pub until: Option<String>,
}

impl Resource {
    /// The JSON pointer in the file of the attribute at `at`, a pointer into the values.
    pub fn pointer_to(&self, at: &str) -> String {
        [&self.pointer, self.values_at, at].concat()
    }

    /// Whether this block's `count` or `for_each` was left unevaluated, or its OpenTofu
    /// `lifecycle { enabled }`: it may make no instance at all.
    pub fn may_not_exist(&self) -> bool {
        self.existence_unknown().is_some()
    }

    /// What leaves it open whether the block makes an instance: "`count` or `for_each`", or
    /// "`lifecycle.enabled`".
    pub fn existence_unknown(&self) -> Option<&'static str> {
        if self.action != Action::Config {
            return None;
        }
        if self.values.get("count").is_some() || self.values.get("for_each").is_some() {
            return Some("`count` or `for_each`");
        }
        match self.lifecycle_enabled() {
            Some(Value::Bool(_)) | None => None,
            Some(_) => Some("`lifecycle.enabled`"),
        }
    }

    /// OpenTofu's `lifecycle { enabled = … }`, as written or evaluated (a block is an object in
    /// `.tf`, an object or a list of one in JSON).
    pub fn lifecycle_enabled(&self) -> Option<&Value> {
        let lifecycle = self.values.get("lifecycle")?;
        lifecycle
            .get("enabled")
            .or_else(|| lifecycle.get(0)?.get("enabled"))
    }

    /// Whether the attribute at this pointer (or one containing it) is sensitive.
    pub fn is_sensitive(&self, attribute_pointer: &str) -> bool {
        self.sensitive
            .iter()
            .any(|s| crate::pointer::is_prefix(s, attribute_pointer))
    }
}

impl Document {
    /// Whether `resource` is one of this document's own.
    pub fn holds(&self, resource: &Resource) -> bool {
        self.resources
            .as_ptr_range()
            .contains(&std::ptr::from_ref(resource))
    }

    /// Every place in the text that holds a sensitive value.
    pub fn sensitive_spans(&self) -> Vec<crate::locate::Span> {
        let pointers: Vec<String> =
            self.resources
                .iter()
                .flat_map(|r| {
                    let copies = r.copies.iter().flat_map(move |copy| {
                        r.sensitive.iter().map(move |s| format!("{copy}{s}"))
                    });
                    r.sensitive.iter().map(|s| r.pointer_to(s)).chain(copies)
                })
                .collect();
        self.locate_all(pointers.iter().map(String::as_str))
            .into_values()
            .collect()
    }

    /// Where a pointer's value is written: the same pointer, or, inside a block a `dynamic` block
    /// made, the same place in its `content`.
    pub fn written_at<'p>(&self, pointer: &'p str) -> std::borrow::Cow<'p, str> {
        let made = self
            .made
            .iter()
            .filter(|(block, _)| crate::pointer::is_prefix(block, pointer))
            .max_by_key(|(block, _)| block.len());
        match made {
            Some((block, content)) => format!("{content}{}", &pointer[block.len()..]).into(),
            None => pointer.into(),
        }
    }

    /// The override file and pointer where a value at `pointer` of this document is written, when
    /// an override file replaced it.
    pub fn overridden_at(&self, pointer: &str) -> Option<(&std::path::Path, String)> {
        self.overridden
            .iter()
            .filter(|o| crate::pointer::is_prefix(&o.at, pointer))
            .max_by_key(|o| o.at.len())
            .map(|o| {
                (
                    o.file.as_path(),
                    format!("{}{}", o.pointer, &pointer[o.at.len()..]),
                )
            })
    }

    /// The spans of every pointer that names a value in the document.
    pub fn locate_all<'p>(
        &self,
        pointers: impl IntoIterator<Item = &'p str>,
    ) -> std::collections::HashMap<&'p str, crate::locate::Span> {
        match &self.spans {
            Some(spans) => pointers
                .into_iter()
                .filter_map(|p| Some((p, *spans.get(p)?)))
                .collect(),
            None => crate::locate::locate_all(&self.text, pointers),
        }
    }
}

/// One loaded input file, normalized.
#[derive(Debug)]
pub struct Document {
    /// The path as the user named it (`<stdin>` for standard input).
    pub path: PathBuf,
    /// Which form it is.
    pub kind: Kind,
    /// `format_version` of a plan or state.
    pub format_version: Option<String>,
    /// `terraform_version` of a plan or state, the CDKTF version of a synth.
    pub tool_version: Option<String>,
    /// Module instances (plan/state) or module calls (configuration).
    pub module_count: usize,
    /// Every resource, in the document's order.
    pub resources: Vec<Resource>,
    /// The decoded text, kept so diagnostics can be located lazily; a plan's resources read
    /// their values from it.
    pub text: std::sync::Arc<String>,
    /// SHA-256 of the bytes read, when the caller asked for it (evidence reports).
    pub sha256: Option<String>,
    /// A configuration file's `variable`, `locals`, `module` and `output` blocks (none for plans
    /// and states).
    pub declarations: Vec<Declaration>,
    /// Read only because a file of the same module directory was named: its resources and
    /// values inform the checks of the others; none of its own is checked or reported.
    pub context: bool,
    /// Where each pointer's source is, for a form that is not JSON (`.tf`): known when it was
    /// read. A JSON document is located on demand, by scanning its text.
    pub spans: Option<ahash::AHashMap<String, crate::locate::Span>>,
    /// Blocks a `dynamic` block made, each with where its `content` is written: a pointer into
    /// a made block is located at the content it was made from.
    pub made: Vec<(String, String)>,
    /// Values an override file replaced (`override.tf`): a pointer into this document is written
    /// in that file instead.
    pub overridden: Vec<Overridden>,
}

/// A value of a configuration file that an override file of its directory replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overridden {
    /// The value's pointer in the document it was merged into.
    pub at: String,
    /// The override file.
    pub file: PathBuf,
    /// Where the override file writes the value.
    pub pointer: String,
}

/// A named value a configuration file declares for its module.
#[derive(Debug, Clone, PartialEq)]
pub struct Declaration {
    /// `var.NAME` or `local.NAME`.
    pub kind: Declared,
    /// The name after `var.`, `local.` or `module.`, or the output's.
    pub name: String,
    /// A variable's `default`, a local's or an output's expression, a module call's body (JSON
    /// whose strings are templates).
    pub value: Option<Value>,
    /// JSON pointer of the declaration in its file.
    pub pointer: String,
    /// A variable's `type` constraint as written (`map(object({a = optional(string)}))`).
    pub constraint: Option<String>,
    /// Whether a variable takes `null` as given (`nullable = false`: its default instead).
    pub nullable: bool,
}

/// What kind of named value a [`Declaration`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Declared {
    /// An input variable, `var.NAME`.
    Variable,
    /// A local value, `local.NAME`.
    Local,
    /// A module call, `module.NAME`: its value is the call's body (`source` and arguments).
    Module,
    /// An output, read by the calling module as `module.CALL.NAME`: its value is the expression.
    Output,
}
