//! The rule file format: what a rule author writes, validated while it is read so that every
//! mistake is reported with the file, line and column it stands at.
//!
//! A check is a small tree. Each node has exactly one head key:
//!
//! | head | meaning |
//! |---|---|
//! | `path` or `param` + an operator | a test on the nodes a JSONPath selects (or on a parameter) |
//! | `all`, `any`, `not` | combinators |
//! | `each` (+ `where`) + `check` | the check holds for every selected node (arrays are iterated) |
//! | `some` (+ `where`) + `check` | the check holds for at least one selected node |
//! | `decode` (+ `as`) + `check` | the check holds on the JSON document embedded in a string |
//! | `other-resources` + `check` | some other resource of these types in the same file passes the check |
//! | `follow` + `to` + `distinct` + `at-least`/`at-most` | count the distinct values across the resources the selected references name |

use crate::model::Mode;
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use serde_json_path::JsonPath;
use std::collections::BTreeMap;
use std::fmt;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        })
    }
}

/// One rule, as read from its file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Rule {
    /// Stable code, e.g. `PP101`.
    pub code: String,
    /// Stable kebab-case name, e.g. `ecr-scan-on-push`.
    pub name: String,
    /// One line: what must hold.
    pub title: String,
    pub severity: Severity,
    /// Requirements the rule supports, by framework: `pci-dss-4.0: ["6.3.3"]`.
    #[serde(default)]
    pub compliance: BTreeMap<String, Vec<String>>,
    /// How to fix a failure.
    pub help: String,
    /// The rule's documentation (Markdown): what it checks, why it matters, an example, what to use instead.
    pub doc: String,
    /// Where the documentation is on the web (built-in rules: their file in the repository).
    pub help_uri: Option<String>,
    /// Which resources the rule checks.
    pub resources: Selection,
    /// Values the checks refer to with `{param: NAME}`, with their defaults.
    #[serde(default)]
    pub parameters: Map<String, Value>,
    pub check: Check,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    pub types: Vec<String>,
    #[serde(default = "managed")]
    pub mode: Mode,
}

fn managed() -> Mode {
    Mode::Managed
}

/// A JSONPath (RFC 9535), kept with its text for messages.
#[derive(Debug, Clone)]
pub struct Path {
    pub text: String,
    pub query: JsonPath,
}

impl Path {
    fn parse(text: &str) -> Result<Path, String> {
        let query = JsonPath::parse(text).map_err(|e| format!("invalid JSONPath `{text}`: {e}"))?;
        Ok(Path {
            text: text.to_owned(),
            query,
        })
    }

    /// The path as users read attribute names: `$.a..b[*]` → `a.b`.
    pub fn display(&self) -> String {
        self.text
            .trim_start_matches('$')
            .replace("[*]", "")
            .replace("..", ".")
            .trim_start_matches('.')
            .to_owned()
    }
}

/// A number given literally or by parameter name.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Value(Value),
    Param(String),
}

#[derive(Debug, Clone)]
pub enum Op {
    Exists(bool),
    Equals(Value),
    OneOf(Vec<Value>),
    ContainsAll(Vec<Value>),
    AtLeast(Arg),
    AtMost(Arg),
    Matches(Regex),
    /// The selected wildcard pattern (`*` only, as ECR filters) covers the value at this path of
    /// the resource under check.
    GlobCovers(Path),
}

#[derive(Debug, Clone)]
pub enum Source {
    Path(Path),
    Param(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecodeAs {
    /// A JSON document in a string; `${…}` templates inside it are kept as text.
    Json,
    /// An IAM policy: JSON, or a reference to an `aws_iam_policy_document` data source;
    /// `Statement` is always a list.
    IamPolicy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    Every,
    Some,
}

#[derive(Debug, Clone)]
pub enum CheckKind {
    Test {
        source: Source,
        /// Keep only members whose key matches (e.g. `:sub$` among condition keys).
        key_matches: Option<Regex>,
        op: Op,
    },
    All(Vec<Check>),
    Any(Vec<Check>),
    Not(Box<Check>),
    Each {
        quantifier: Quantifier,
        path: Path,
        filter: Option<Box<Check>>,
        check: Box<Check>,
    },
    Decode {
        path: Path,
        format: DecodeAs,
        check: Box<Check>,
    },
    OtherResources {
        types: Vec<String>,
        check: Box<Check>,
    },
    CountDistinct {
        follow: Path,
        to: Vec<String>,
        distinct: Vec<Path>,
        op: Op,
    },
}

/// One node of a check tree, with the message to give when it fails.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawCheck")]
pub struct Check {
    pub kind: CheckKind,
    pub message: Option<String>,
}

/// Every key a check node may have; validation turns it into exactly one [`CheckKind`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawCheck {
    all: Option<Vec<Check>>,
    any: Option<Vec<Check>>,
    not: Option<Box<Check>>,
    each: Option<String>,
    some: Option<String>,
    #[serde(rename = "where")]
    filter: Option<Box<Check>>,
    check: Option<Box<Check>>,
    decode: Option<String>,
    #[serde(rename = "as")]
    format: Option<DecodeAs>,
    other_resources: Option<Vec<String>>,
    follow: Option<String>,
    to: Option<Vec<String>>,
    distinct: Option<Vec<String>>,
    path: Option<String>,
    param: Option<String>,
    key_matches: Option<String>,
    exists: Option<bool>,
    equals: Option<Value>,
    one_of: Option<Vec<Value>>,
    contains_all: Option<Vec<Value>>,
    at_least: Option<Value>,
    at_most: Option<Value>,
    matches: Option<String>,
    glob_covers: Option<String>,
    message: Option<String>,
}

const HEADS: &str =
    "`path`, `param`, `all`, `any`, `not`, `each`, `some`, `decode`, `other-resources` or `follow`";

impl TryFrom<RawCheck> for Check {
    type Error = String;

    fn try_from(mut raw: RawCheck) -> Result<Check, String> {
        let message = raw.message.take();
        let heads = [
            raw.path.is_some(),
            raw.param.is_some(),
            raw.all.is_some(),
            raw.any.is_some(),
            raw.not.is_some(),
            raw.each.is_some(),
            raw.some.is_some(),
            raw.decode.is_some(),
            raw.other_resources.is_some(),
            raw.follow.is_some(),
        ];
        match heads.iter().filter(|h| **h).count() {
            1 => {}
            0 => return Err(format!("a check needs one of {HEADS}")),
            _ => return Err(format!("a check has exactly one of {HEADS}")),
        }
        let kind = if let Some(checks) = raw.all.take() {
            raw.only("all")?;
            CheckKind::All(checks)
        } else if let Some(checks) = raw.any.take() {
            raw.only("any")?;
            CheckKind::Any(checks)
        } else if let Some(check) = raw.not.take() {
            raw.only("not")?;
            CheckKind::Not(check)
        } else if let Some((quantifier, head, path)) = raw
            .each
            .take()
            .map(|p| (Quantifier::Every, "each", p))
            .or_else(|| raw.some.take().map(|p| (Quantifier::Some, "some", p)))
        {
            let filter = raw.filter.take();
            let check = raw
                .check
                .take()
                .ok_or_else(|| format!("`{head}` needs a `check`"))?;
            raw.only(head)?;
            CheckKind::Each {
                quantifier,
                path: Path::parse(&path)?,
                filter,
                check,
            }
        } else if let Some(path) = raw.decode.take() {
            let format = raw.format.take().unwrap_or(DecodeAs::Json);
            let check = raw.check.take().ok_or("`decode` needs a `check`")?;
            raw.only("decode")?;
            CheckKind::Decode {
                path: Path::parse(&path)?,
                format,
                check,
            }
        } else if let Some(types) = raw.other_resources.take() {
            let check = raw
                .check
                .take()
                .ok_or("`other-resources` needs a `check`")?;
            raw.only("other-resources")?;
            CheckKind::OtherResources { types, check }
        } else if let Some(follow) = raw.follow.take() {
            let to = raw
                .to
                .take()
                .ok_or("`follow` needs `to`: the resource types its references name")?;
            let distinct = raw
                .distinct
                .take()
                .ok_or("`follow` needs `distinct`: the JSONPaths of the value to count")?
                .iter()
                .map(|p| Path::parse(p))
                .collect::<Result<_, _>>()?;
            let op = raw.op()?;
            if !matches!(op, Op::AtLeast(_) | Op::AtMost(_)) {
                return Err("`follow` compares its count with `at-least` or `at-most`".into());
            }
            raw.only("follow")?;
            CheckKind::CountDistinct {
                follow: Path::parse(&follow)?,
                to,
                distinct,
                op,
            }
        } else {
            let source = match (raw.path.take(), raw.param.take()) {
                (Some(path), None) => Source::Path(Path::parse(&path)?),
                (None, Some(param)) => Source::Param(param),
                _ => unreachable!("exactly one head was checked above"),
            };
            let key_matches = raw.key_matches.take().map(|re| regex(&re)).transpose()?;
            let op = raw.op()?;
            raw.only("path")?;
            CheckKind::Test {
                source,
                key_matches,
                op,
            }
        };
        Ok(Check { kind, message })
    }
}

impl RawCheck {
    /// Takes the one operator of a test.
    fn op(&mut self) -> Result<Op, String> {
        let mut ops = Vec::new();
        if let Some(v) = self.exists.take() {
            ops.push(Op::Exists(v));
        }
        if let Some(v) = self.equals.take() {
            ops.push(Op::Equals(v));
        }
        if let Some(v) = self.one_of.take() {
            ops.push(Op::OneOf(v));
        }
        if let Some(v) = self.contains_all.take() {
            ops.push(Op::ContainsAll(v));
        }
        if let Some(v) = self.at_least.take() {
            ops.push(Op::AtLeast(arg(v)?));
        }
        if let Some(v) = self.at_most.take() {
            ops.push(Op::AtMost(arg(v)?));
        }
        if let Some(v) = self.matches.take() {
            ops.push(Op::Matches(regex(&v)?));
        }
        if let Some(v) = self.glob_covers.take() {
            ops.push(Op::GlobCovers(Path::parse(&v)?));
        }
        match ops.len() {
            1 => Ok(ops.remove(0)),
            0 => Err("a test needs one operator: `exists`, `equals`, `one-of`, `contains-all`, `at-least`, `at-most`, `matches` or `glob-covers`".into()),
            _ => Err("a test has exactly one operator".into()),
        }
    }

    /// Fails if any key is left that does not belong with `head`.
    fn only(&self, head: &str) -> Result<(), String> {
        let leftovers = [
            ("where", self.filter.is_some()),
            ("check", self.check.is_some()),
            ("as", self.format.is_some()),
            ("to", self.to.is_some()),
            ("distinct", self.distinct.is_some()),
            ("key-matches", self.key_matches.is_some()),
            ("exists", self.exists.is_some()),
            ("equals", self.equals.is_some()),
            ("one-of", self.one_of.is_some()),
            ("contains-all", self.contains_all.is_some()),
            ("at-least", self.at_least.is_some()),
            ("at-most", self.at_most.is_some()),
            ("matches", self.matches.is_some()),
            ("glob-covers", self.glob_covers.is_some()),
        ];
        match leftovers.iter().find(|(_, present)| *present) {
            Some((key, _)) => Err(format!("`{key}` does not belong with `{head}`")),
            None => Ok(()),
        }
    }
}

fn arg(value: Value) -> Result<Arg, String> {
    match value {
        Value::Number(_) => Ok(Arg::Value(value)),
        Value::Object(map) if map.len() == 1 && map.get("param").is_some_and(Value::is_string) => {
            Ok(Arg::Param(
                map["param"].as_str().unwrap_or_default().to_owned(),
            ))
        }
        other => Err(format!(
            "expected a number or `{{param: NAME}}`, found {other}"
        )),
    }
}

/// Compiles a pattern; the regex crate runs in linear time, so no pattern can hang a check.
fn regex(pattern: &str) -> Result<Regex, String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| format!("invalid regular expression `{pattern}`: {e}"))
}

impl Rule {
    /// Checks what the file format cannot: names, codes and parameters that exist.
    pub fn validate(&self) -> Result<(), String> {
        let code_ok = self.code.len() >= 2
            && self
                .code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !code_ok {
            return Err(format!(
                "code `{}` must be letters, digits, `-` or `_`",
                self.code
            ));
        }
        let name_ok = !self.name.is_empty()
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !name_ok {
            return Err(format!("name `{}` must be kebab-case", self.name));
        }
        if self.resources.types.is_empty() {
            return Err("`resources.types` names no resource type".into());
        }
        let mut missing = Vec::new();
        self.check.params(&mut |name| {
            if !self.parameters.contains_key(name) {
                missing.push(name.to_owned());
            }
        });
        match missing.first() {
            Some(name) => Err(format!(
                "the check uses parameter `{name}`, which `parameters` does not declare"
            )),
            None => Ok(()),
        }
    }
}

impl Check {
    /// Calls `visit` with every parameter name the check refers to.
    fn params(&self, visit: &mut dyn FnMut(&str)) {
        let op_param = |op: &Op, visit: &mut dyn FnMut(&str)| {
            if let Op::AtLeast(Arg::Param(name)) | Op::AtMost(Arg::Param(name)) = op {
                visit(name);
            }
        };
        match &self.kind {
            CheckKind::Test { source, op, .. } => {
                if let Source::Param(name) = source {
                    visit(name);
                }
                op_param(op, visit);
            }
            CheckKind::All(checks) | CheckKind::Any(checks) => {
                checks.iter().for_each(|c| c.params(visit))
            }
            CheckKind::Not(check)
            | CheckKind::Decode { check, .. }
            | CheckKind::OtherResources { check, .. } => check.params(visit),
            CheckKind::Each { filter, check, .. } => {
                if let Some(filter) = filter {
                    filter.params(visit);
                }
                check.params(visit);
            }
            CheckKind::CountDistinct { op, .. } => op_param(op, visit),
        }
    }
}
