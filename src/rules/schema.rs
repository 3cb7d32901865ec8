//! The rule file format: what a rule author writes, validated while it is read so that every
//! mistake is reported with the file, line and column it stands at.
//!
//! A check is a small tree. Each node has exactly one head key:
//!
//! | head | meaning |
//! |---|---|
//! | `path` or `param` + an operator | a test on the nodes a JSONPath selects (or on a parameter); operators in [`Op`] |
//! | `all`, `any`, `not` | combinators (`all` and `any` need at least one check) |
//! | `each` (+ `where`) + `check` | the check holds for every selected node (arrays are iterated) |
//! | `some` (+ `where`) + `check` | the check holds for at least one selected node |
//! | `decode` (+ `as`) + `check` | the check holds on the JSON document embedded in a string |
//! | `other-resources` + `check` | some other resource of these types in the same file passes the check |
//! | `follow` + `to` + `distinct` + `at-least`/`at-most` | count the distinct values across the resources the selected references name |

use crate::finding::{RuleInfo, Severity};
use crate::model::Mode;
use crate::text::elide;
use jsonpath_rust::parser::model::{JpQuery, Segment, Selector};
use regex::Regex;
use serde::Deserialize;
use serde_json::{Map, Value};
use serde_saphyr::{Location, Spanned};
use std::collections::BTreeMap;

/// One rule, as read from its file.
#[derive(Debug, Clone)]
pub struct Rule {
    /// What the rule is, as reports show it.
    pub info: RuleInfo,
    /// Which resources the rule checks.
    pub resources: Selection,
    /// The smallest profile the rule belongs to (`default`, `pci-dss`).
    pub profile: String,
    /// Values the checks refer to with `{param: NAME}`, with their defaults.
    pub parameters: Map<String, Value>,
    /// What must hold of a selected resource for the rule to apply to it.
    pub when: Option<Check>,
    /// What must hold for each selected resource.
    pub check: Check,
    /// What `payplat fix` writes on a failing resource, where the rule says.
    pub fix: Option<super::fix::FixSpec>,
}

/// A mistake in a rule file, at the place it stands when that is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// 1-based line and column.
    pub position: Option<(u64, u64)>,
    /// What is wrong.
    pub reason: String,
}

impl Invalid {
    fn at(location: &Location, reason: String) -> Invalid {
        let position = (location.line() > 0).then(|| (location.line(), location.column()));
        Invalid { position, reason }
    }
}

/// Every key a rule file may have.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawRule {
    code: Spanned<String>,
    name: Spanned<String>,
    title: String,
    severity: Severity,
    #[serde(default)]
    compliance: BTreeMap<String, Vec<String>>,
    help: String,
    doc: String,
    help_uri: Option<String>,
    resources: Spanned<Selection>,
    profile: Option<Spanned<String>>,
    #[serde(default)]
    parameters: Map<String, Value>,
    when: Option<Check>,
    check: Check,
    fix: Option<super::fix::FixSpec>,
}

impl RawRule {
    /// Checks what the file format cannot: codes, names and types well formed, parameters
    /// declared, profile known; puts the named predicates of the rule's directory in place.
    pub(crate) fn validate(
        mut self,
        predicates: &Predicates,
        profiles: &[&str],
    ) -> Result<Rule, Invalid> {
        let code_ok = self.code.value.len() >= 2
            && self
                .code
                .value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !code_ok {
            return Err(Invalid::at(
                &self.code.referenced,
                format!(
                    "code `{}` must be letters, digits, `-` or `_`",
                    self.code.value
                ),
            ));
        }
        let name_ok = !self.name.value.is_empty()
            && self
                .name
                .value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !name_ok {
            return Err(Invalid::at(
                &self.name.referenced,
                format!("name `{}` must be kebab-case", self.name.value),
            ));
        }
        if self.resources.value.types.is_empty() {
            return Err(Invalid::at(
                &self.resources.referenced,
                "`resources.types` names no resource type".into(),
            ));
        }
        let profile = match self.profile {
            None => DEFAULT_PROFILE.to_owned(),
            Some(p) if profiles.contains(&p.value.as_str()) => p.value,
            Some(p) => {
                return Err(Invalid::at(
                    &p.referenced,
                    format!(
                        "unknown profile `{}`; the profiles are {}",
                        p.value,
                        profiles.join(", ")
                    ),
                ));
            }
        };
        predicates.expand(&mut self.check)?;
        if let Some(when) = &mut self.when {
            predicates.expand(when)?;
        }
        let mut undeclared = None;
        let mut visit = |name: &str, at: &Location| {
            if !self.parameters.contains_key(name) && undeclared.is_none() {
                undeclared = Some(Invalid::at(
                    at,
                    format!(
                        "the check uses parameter `{name}`, which `parameters` does not declare"
                    ),
                ));
            }
        };
        self.check.params(&mut visit);
        if let Some(when) = &self.when {
            when.params(&mut visit);
        }
        if let Some(invalid) = undeclared {
            return Err(invalid);
        }
        let placeholders = self
            .check
            .messages()
            .chain(self.when.iter().flat_map(Check::messages));
        for message in placeholders {
            if let Some(name) = placeholders_in(message).find(|n| !self.parameters.contains_key(*n))
            {
                return Err(Invalid {
                    position: None,
                    reason: format!(
                        "the message `{}` names `{{{name}}}`, which `parameters` does not declare",
                        elide(message, 60)
                    ),
                });
            }
        }
        if let Some(fix) = &self.fix {
            fix.validate(&self.parameters).map_err(|reason| Invalid {
                position: None,
                reason,
            })?;
        }
        Ok(Rule {
            info: RuleInfo {
                code: self.code.value,
                name: self.name.value,
                title: self.title,
                severity: self.severity,
                compliance: self.compliance,
                help: self.help,
                doc: self.doc,
                help_uri: self.help_uri,
            },
            resources: self.resources.value,
            profile,
            parameters: self.parameters,
            when: self.when,
            check: self.check,
            fix: self.fix,
        })
    }
}

/// The profile of a rule that names none: the platform invariants.
pub const DEFAULT_PROFILE: &str = "default";

/// The names in `{…}` placeholders of a message: `at least {min_days} days`.
pub fn placeholders_in(message: &str) -> impl Iterator<Item = &str> {
    message.split('{').skip(1).filter_map(|part| {
        let name = &part[..part.find('}')?];
        let plain = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        plain.then_some(name)
    })
}

/// Checks with names, written once in a directory's `predicates.yaml` and used by its rules as
/// `{predicate: NAME}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Predicates {
    predicates: BTreeMap<String, Check>,
}

impl Predicates {
    /// Puts each `{predicate: NAME}` of `check` in place; a predicate may use another, not itself.
    pub(crate) fn expand(&self, check: &mut Check) -> Result<(), Invalid> {
        self.expand_within(check, &mut Vec::new())
    }

    fn expand_within(&self, check: &mut Check, using: &mut Vec<String>) -> Result<(), Invalid> {
        if let CheckKind::Predicate { name, at } = &check.kind {
            let Some(found) = self.predicates.get(name) else {
                let known: Vec<&str> = self.predicates.keys().map(String::as_str).collect();
                return Err(Invalid::at(
                    at,
                    match known.as_slice() {
                        [] => format!(
                            "unknown predicate `{name}`: this directory's predicates.yaml declares none"
                        ),
                        _ => format!(
                            "unknown predicate `{name}`; the predicates are {}",
                            known.join(", ")
                        ),
                    },
                ));
            };
            if using.contains(name) {
                return Err(Invalid::at(
                    at,
                    format!(
                        "predicate `{name}` uses itself ({} → {name})",
                        using.join(" → ")
                    ),
                ));
            }
            using.push(name.clone());
            let mut inner = found.clone();
            self.expand_within(&mut inner, using)?;
            using.pop();
            check.kind = inner.kind;
            if check.message.is_none() {
                check.message = inner.message;
            }
            return Ok(());
        }
        for child in check.children_mut() {
            self.expand_within(child, using)?;
        }
        Ok(())
    }
}

/// Which resources a rule checks.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    /// Resource types, e.g. `aws_ecr_repository`.
    pub types: Vec<String>,
    /// Managed resources (the default) or data sources.
    #[serde(default = "managed")]
    pub mode: Mode,
}

fn managed() -> Mode {
    Mode::Managed
}

/// A JSONPath (RFC 9535), kept with its text for messages.
#[derive(Debug, Clone)]
pub struct Path {
    /// As the rule wrote it.
    pub text: String,
    /// Parsed.
    pub query: JpQuery,
}

impl Path {
    pub(crate) fn parse(text: &str) -> Result<Path, String> {
        let query = jsonpath_rust::parser::parse_json_path(text).map_err(|e| {
            let (shown, reason) = (elide(text, 60), elide(&e.to_string(), 200));
            format!("invalid JSONPath `{shown}`: {reason}")
        })?;
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

    /// The name the step right after the fixed part searches descendants for (`..subnet_ids`).
    pub fn descendant_past_prefix(&self) -> Option<&str> {
        let fixed = |segment: &&Segment| {
            matches!(segment, Segment::Selector(Selector::Name(_)))
                || matches!(segment, Segment::Selector(Selector::Index(i)) if *i >= 0)
        };
        match self.query.segments.iter().find(|s| !fixed(s)) {
            Some(Segment::Descendant(inner)) => match inner.as_ref() {
                Segment::Selector(Selector::Name(name)) => Some(name.as_str()),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether the step right after the fixed part selects among the members of the value
    /// there (`*`, `[*]`, a filter, a slice), rather than nothing more or its descendants.
    pub fn selects_members_past_prefix(&self) -> bool {
        let fixed = |segment: &&Segment| {
            matches!(segment, Segment::Selector(Selector::Name(_)))
                || matches!(segment, Segment::Selector(Selector::Index(i)) if *i >= 0)
        };
        matches!(
            self.query.segments.iter().find(|s| !fixed(s)),
            Some(Segment::Selector(_) | Segment::Selectors(_))
        )
    }

    /// The JSON pointer named by the path's leading steps that select one member or element,
    /// up to its first step that may select more (`*`, `..`, filters, slices): where to look
    /// for a value known only after apply when the path selects nothing.
    pub fn static_prefix(&self) -> String {
        let mut out = String::new();
        for segment in &self.query.segments {
            match segment {
                Segment::Selector(Selector::Name(name)) => out = crate::pointer::join(&out, name),
                Segment::Selector(Selector::Index(index)) if *index >= 0 => {
                    out = crate::pointer::join_index(&out, *index as usize)
                }
                _ => break,
            }
        }
        out
    }
}

/// A value given literally or by parameter name (`{param: NAME}`).
#[derive(Debug, Clone)]
pub enum Arg {
    /// Written in the rule.
    Value(Value),
    /// A parameter of the rule, overridable from the configuration.
    Param {
        /// The parameter's name.
        name: String,
        /// Where the rule names it.
        at: Location,
    },
}

impl Arg {
    fn read(value: Spanned<Value>) -> Arg {
        match value.value {
            Value::Object(map)
                if map.len() == 1 && map.get("param").is_some_and(Value::is_string) =>
            {
                Arg::Param {
                    name: map["param"].as_str().unwrap_or_default().to_owned(),
                    at: value.referenced,
                }
            }
            other => Arg::Value(other),
        }
    }

    /// A value of one kind (`expected` names it), or a parameter.
    fn kind(value: Spanned<Value>, is: fn(&Value) -> bool, expected: &str) -> Result<Arg, String> {
        match Arg::read(value) {
            Arg::Value(value) if !is(&value) => Err(format!(
                "expected {expected} or `{{param: NAME}}`, found {value}"
            )),
            arg => Ok(arg),
        }
    }

    fn number(value: Spanned<Value>) -> Result<Arg, String> {
        Arg::kind(value, Value::is_number, "a number")
    }

    fn text(value: Spanned<Value>) -> Result<Arg, String> {
        Arg::kind(value, Value::is_string, "a string")
    }

    fn list(value: Spanned<Value>) -> Result<Arg, String> {
        Arg::kind(value, Value::is_array, "a list")
    }
}

/// An operator of a test.
#[derive(Debug, Clone)]
pub enum Op {
    /// The path selects something (`true`) or nothing (`false`).
    Exists(bool),
    /// The selected list holds every one of these values.
    ContainsAll(Arg),
    /// The number of selected values (arrays count their elements) is within the bound;
    /// nothing selected counts as none.
    Count(Bound),
    /// Every selected value (lists stand for their elements) passes this comparison.
    Compare(Comparison),
}

/// A comparison of one value.
#[derive(Debug, Clone)]
pub enum Comparison {
    /// Equal to the value, after Terraform's conversion of a string to the bool or number
    /// expected (`"true"` is `true`, `"7"` is `7`).
    Equals(Arg),
    /// Equal to one of the listed values.
    OneOf(Arg),
    /// A number within a bound.
    Bound(Bound),
    /// A string that matches the regular expression.
    Matches(Regex),
    /// A schedule expression (`rate(6 hours)`, `cron(…)`) that runs at least every so many days.
    PeriodAtMost(Arg),
    /// A string whose text as written, `${…}` expressions included, matches the regular
    /// expression: a test of how the configuration writes a value, decided even where the
    /// value itself is not known.
    TextMatches(Regex),
    /// The selected ECR repository filter covers the value at this path of the resource under
    /// check: `*` matches any run of characters, and a filter without `*` every name containing it.
    GlobCovers(Path),
    /// The selected IAM pattern (`*` any run, `?` any one character, any case) matches this text,
    /// as an `Action` pattern matches an action name.
    Covers(Arg),
}

/// A numeric bound.
#[derive(Debug, Clone)]
pub enum Bound {
    /// Greater than or equal to.
    AtLeast(Arg),
    /// Less than or equal to.
    AtMost(Arg),
}

/// What a test looks at.
#[derive(Debug, Clone)]
pub enum Source {
    /// The nodes a JSONPath selects.
    Path(Path),
    /// A rule parameter.
    Param {
        /// The parameter's name.
        name: String,
        /// Where the rule names it.
        at: Location,
    },
}

/// How `decode` reads the string it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecodeAs {
    /// A JSON document in a string; `${…}` templates inside it are kept as text.
    Json,
    /// An IAM policy: JSON, or a reference to an `aws_iam_policy_document` data source;
    /// `Statement` is always a list.
    IamPolicy,
}

/// Which way a connection between resources goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Resources this one references.
    Out,
    /// Resources that reference this one.
    In,
}

/// `each` or `some`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    /// Every selected node.
    Every,
    /// At least one selected node.
    Some,
}

/// One kind of check node.
#[derive(Debug, Clone)]
pub enum CheckKind {
    /// A test on selected nodes or a parameter.
    Test {
        /// What is tested.
        source: Source,
        /// Keep only members whose key matches (e.g. `:sub$` among condition keys).
        key_matches: Option<Regex>,
        /// How.
        op: Op,
    },
    /// Every check holds.
    All(Vec<Check>),
    /// At least one check holds.
    Any(Vec<Check>),
    /// The check does not hold.
    Not(Box<Check>),
    /// A check on every (or some) selected node.
    Each {
        /// Every or some.
        quantifier: Quantifier,
        /// The nodes.
        path: Path,
        /// Only nodes this check holds for are considered.
        filter: Option<Box<Check>>,
        /// What must hold.
        check: Box<Check>,
    },
    /// A check on a document embedded in a string.
    Decode {
        /// The string.
        path: Path,
        /// How to read it.
        format: DecodeAs,
        /// What must hold of the document.
        check: Box<Check>,
    },
    /// A check some other resource of these types passes.
    OtherResources {
        /// The resource types.
        types: Vec<String>,
        /// What must hold of one of them.
        check: Box<Check>,
    },
    /// Some resource of these types this one references (`Out`) or that references this one
    /// (`In`) passes the check (or exists, without one).
    Related {
        /// Which way the references go.
        direction: Direction,
        /// The resource types at the other end.
        types: Vec<String>,
        /// Only references made at this path (of this resource for `Out`, of the other for `In`).
        via: Option<Path>,
        /// `Out` only: also through what the resources it references reference, and so on.
        transitive: bool,
        /// What must hold of the other resource.
        check: Option<Box<Check>>,
    },
    /// A named predicate; replaced by its check when the rule loads.
    Predicate {
        /// The predicate's name.
        name: String,
        /// Where the rule names it.
        at: Location,
    },
    /// Distinct values across the resources the selected references name, counted.
    CountDistinct {
        /// The references.
        follow: Path,
        /// The resource types they may name.
        to: Vec<String>,
        /// Where each named resource keeps the value counted; the first path it has is used.
        distinct: Vec<Path>,
        /// The count's bound.
        bound: Bound,
    },
}

/// One node of a check tree, with the message to give when it fails.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawCheck")]
pub struct Check {
    /// What the node checks.
    pub kind: CheckKind,
    /// What a failure means, in the rule's words.
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
    references: Option<Vec<String>>,
    referenced_by: Option<Vec<String>>,
    via: Option<String>,
    transitive: Option<bool>,
    predicate: Option<Spanned<String>>,
    to: Option<Vec<String>>,
    distinct: Option<Vec<String>>,
    path: Option<String>,
    param: Option<Spanned<String>>,
    key_matches: Option<String>,
    exists: Option<bool>,
    equals: Option<Spanned<Value>>,
    one_of: Option<Spanned<Value>>,
    contains_all: Option<Spanned<Value>>,
    at_least: Option<Spanned<Value>>,
    at_most: Option<Spanned<Value>>,
    matches: Option<String>,
    text_matches: Option<String>,
    period_at_most: Option<Spanned<Value>>,
    glob_covers: Option<String>,
    covers: Option<Spanned<Value>>,
    count_at_least: Option<Spanned<Value>>,
    count_at_most: Option<Spanned<Value>>,
    message: Option<String>,
}

const HEADS: &str = "`path`, `param`, `all`, `any`, `not`, `each`, `some`, `decode`, `other-resources`, `references`, `referenced-by`, `predicate` or `follow`";

const OPERATORS: &str = "`exists`, `equals`, `one-of`, `contains-all`, `at-least`, `at-most`, `period-at-most`, `matches`, `text-matches`, `glob-covers`, `covers`, `count-at-least` or `count-at-most`";

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
            raw.references.is_some(),
            raw.referenced_by.is_some(),
            raw.predicate.is_some(),
        ];
        match heads.iter().filter(|h| **h).count() {
            1 => {}
            0 => return Err(format!("a check needs one of {HEADS}")),
            _ => return Err(format!("a check has exactly one of {HEADS}")),
        }
        let kind = if let Some(checks) = raw.all.take() {
            raw.only("all")?;
            CheckKind::All(at_least_one(checks, "all")?)
        } else if let Some(checks) = raw.any.take() {
            raw.only("any")?;
            CheckKind::Any(at_least_one(checks, "any")?)
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
        } else if let Some((direction, head, types)) = raw
            .references
            .take()
            .map(|t| (Direction::Out, "references", t))
            .or_else(|| {
                raw.referenced_by
                    .take()
                    .map(|t| (Direction::In, "referenced-by", t))
            })
        {
            if types.is_empty() {
                return Err(format!("`{head}` names no resource type"));
            }
            let transitive = raw.transitive.take().unwrap_or(false);
            if transitive && direction == Direction::In {
                return Err("`transitive` belongs with `references`, not `referenced-by`".into());
            }
            let via = raw.via.take().map(|p| Path::parse(&p)).transpose()?;
            let check = raw.check.take();
            raw.only(head)?;
            CheckKind::Related {
                direction,
                types,
                via,
                transitive,
                check,
            }
        } else if let Some(name) = raw.predicate.take() {
            raw.only("predicate")?;
            CheckKind::Predicate {
                name: name.value,
                at: name.referenced,
            }
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
                .collect::<Result<Vec<_>, _>>()?;
            if distinct.is_empty() {
                return Err("`distinct` needs at least one JSONPath".into());
            }
            let bound = match raw.op()? {
                Op::Compare(Comparison::Bound(bound)) => bound,
                _ => return Err("`follow` compares its count with `at-least` or `at-most`".into()),
            };
            raw.only("follow")?;
            CheckKind::CountDistinct {
                follow: Path::parse(&follow)?,
                to,
                distinct,
                bound,
            }
        } else {
            let source = match (raw.path.take(), raw.param.take()) {
                (Some(path), None) => Source::Path(Path::parse(&path)?),
                (None, Some(param)) => Source::Param {
                    name: param.value,
                    at: param.referenced,
                },
                _ => return Err(format!("a check has exactly one of {HEADS}")),
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

/// An empty `all` would hold and an empty `any` would fail whatever the input: both are mistakes.
fn at_least_one(checks: Vec<Check>, head: &str) -> Result<Vec<Check>, String> {
    if checks.is_empty() {
        return Err(format!("`{head}` needs at least one check"));
    }
    Ok(checks)
}

impl RawCheck {
    /// Takes the one operator of a test.
    fn op(&mut self) -> Result<Op, String> {
        let mut ops = Vec::new();
        if let Some(v) = self.exists.take() {
            ops.push(Op::Exists(v));
        }
        if let Some(v) = self.contains_all.take() {
            ops.push(Op::ContainsAll(Arg::list(v)?));
        }
        if let Some(v) = self.equals.take() {
            ops.push(Op::Compare(Comparison::Equals(Arg::read(v))));
        }
        if let Some(v) = self.one_of.take() {
            ops.push(Op::Compare(Comparison::OneOf(Arg::list(v)?)));
        }
        if let Some(v) = self.at_least.take() {
            ops.push(Op::Compare(Comparison::Bound(Bound::AtLeast(Arg::number(
                v,
            )?))));
        }
        if let Some(v) = self.at_most.take() {
            ops.push(Op::Compare(Comparison::Bound(Bound::AtMost(Arg::number(
                v,
            )?))));
        }
        if let Some(v) = self.matches.take() {
            ops.push(Op::Compare(Comparison::Matches(regex(&v)?)));
        }
        if let Some(v) = self.period_at_most.take() {
            ops.push(Op::Compare(Comparison::PeriodAtMost(Arg::number(v)?)));
        }
        if let Some(v) = self.text_matches.take() {
            ops.push(Op::Compare(Comparison::TextMatches(regex(&v)?)));
        }
        if let Some(v) = self.glob_covers.take() {
            ops.push(Op::Compare(Comparison::GlobCovers(Path::parse(&v)?)));
        }
        if let Some(v) = self.covers.take() {
            ops.push(Op::Compare(Comparison::Covers(Arg::text(v)?)));
        }
        if let Some(v) = self.count_at_least.take() {
            ops.push(Op::Count(Bound::AtLeast(Arg::number(v)?)));
        }
        if let Some(v) = self.count_at_most.take() {
            ops.push(Op::Count(Bound::AtMost(Arg::number(v)?)));
        }
        match ops.len() {
            1 => Ok(ops.remove(0)),
            0 => Err(format!("a test needs one operator: {OPERATORS}")),
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
            ("via", self.via.is_some()),
            ("transitive", self.transitive.is_some()),
            ("distinct", self.distinct.is_some()),
            ("key-matches", self.key_matches.is_some()),
            ("exists", self.exists.is_some()),
            ("equals", self.equals.is_some()),
            ("one-of", self.one_of.is_some()),
            ("contains-all", self.contains_all.is_some()),
            ("at-least", self.at_least.is_some()),
            ("at-most", self.at_most.is_some()),
            ("matches", self.matches.is_some()),
            ("text-matches", self.text_matches.is_some()),
            ("period-at-most", self.period_at_most.is_some()),
            ("glob-covers", self.glob_covers.is_some()),
            ("covers", self.covers.is_some()),
            ("count-at-least", self.count_at_least.is_some()),
            ("count-at-most", self.count_at_most.is_some()),
        ];
        match leftovers.iter().find(|(_, present)| *present) {
            Some((key, _)) => Err(format!("`{key}` does not belong with `{head}`")),
            None => Ok(()),
        }
    }
}

/// Compiles a pattern; the regex crate runs in linear time, so no pattern can hang a check.
fn regex(pattern: &str) -> Result<Regex, String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| format!("invalid regular expression `{pattern}`: {e}"))
}

impl Check {
    /// The checks directly below this one.
    fn children_mut(&mut self) -> Vec<&mut Check> {
        match &mut self.kind {
            CheckKind::All(checks) | CheckKind::Any(checks) => checks.iter_mut().collect(),
            CheckKind::Not(check)
            | CheckKind::Decode { check, .. }
            | CheckKind::OtherResources { check, .. } => vec![check],
            CheckKind::Related { check, .. } => check.iter_mut().map(|c| &mut **c).collect(),
            CheckKind::Each { filter, check, .. } => {
                let mut out: Vec<&mut Check> = vec![check];
                out.extend(filter.iter_mut().map(|c| &mut **c));
                out
            }
            CheckKind::Test { .. }
            | CheckKind::Predicate { .. }
            | CheckKind::CountDistinct { .. } => Vec::new(),
        }
    }

    /// The checks directly below this one.
    fn children(&self) -> Vec<&Check> {
        match &self.kind {
            CheckKind::All(checks) | CheckKind::Any(checks) => checks.iter().collect(),
            CheckKind::Not(check)
            | CheckKind::Decode { check, .. }
            | CheckKind::OtherResources { check, .. } => vec![check],
            CheckKind::Related { check, .. } => check.iter().map(|c| &**c).collect(),
            CheckKind::Each { filter, check, .. } => {
                std::iter::once(&**check).chain(filter.as_deref()).collect()
            }
            CheckKind::Test { .. }
            | CheckKind::Predicate { .. }
            | CheckKind::CountDistinct { .. } => Vec::new(),
        }
    }

    /// Every message of the check tree.
    fn messages(&self) -> Box<dyn Iterator<Item = &String> + '_> {
        Box::new(
            self.message
                .iter()
                .chain(self.children().into_iter().flat_map(Check::messages)),
        )
    }

    /// Calls `visit` with every parameter the check refers to, and where.
    fn params(&self, visit: &mut dyn FnMut(&str, &Location)) {
        let arg = |arg: &Arg, visit: &mut dyn FnMut(&str, &Location)| {
            if let Arg::Param { name, at } = arg {
                visit(name, at);
            }
        };
        let bound = |bound: &Bound, visit: &mut dyn FnMut(&str, &Location)| match bound {
            Bound::AtLeast(a) | Bound::AtMost(a) => arg(a, visit),
        };
        match &self.kind {
            CheckKind::Test { source, op, .. } => {
                if let Source::Param { name, at } = source {
                    visit(name, at);
                }
                match op {
                    Op::Exists(_) => {}
                    Op::ContainsAll(a)
                    | Op::Compare(Comparison::Equals(a))
                    | Op::Compare(Comparison::OneOf(a))
                    | Op::Compare(Comparison::Covers(a))
                    | Op::Compare(Comparison::PeriodAtMost(a)) => arg(a, visit),
                    Op::Compare(Comparison::Bound(b)) | Op::Count(b) => bound(b, visit),
                    Op::Compare(
                        Comparison::Matches(_)
                        | Comparison::TextMatches(_)
                        | Comparison::GlobCovers(_),
                    ) => {}
                }
            }
            CheckKind::CountDistinct { bound: b, .. } => bound(b, visit),
            _ => {}
        }
        for child in self.children() {
            child.params(visit);
        }
    }
}
