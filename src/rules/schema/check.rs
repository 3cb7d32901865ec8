//! What a check is, once read: selections, paths, arguments, operators and the check tree.

use super::raw::RawCheck;
use super::*;

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
    /// As users read attribute names (see [`Path::display`]).
    shown: String,
}

impl Path {
    pub(crate) fn parse(text: &str) -> Result<Path, String> {
        let query = jsonpath_rust::parser::parse_json_path(text).map_err(|e| {
            let (shown, reason) = (elide(text, 60), elide(&e.to_string(), 200));
            format!("invalid JSONPath `{shown}`: {reason}")
        })?;
        let shown = text
            .trim_start_matches('$')
            .replace("[*]", "")
            .replace("..", ".")
            .trim_start_matches('.')
            .to_owned();
        Ok(Path {
            text: text.to_owned(),
            query,
            shown,
        })
    }

    /// The path as users read attribute names: `$.a..b[*]` → `a.b`.
    pub fn display(&self) -> &str {
        &self.shown
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
    pub(super) fn read(value: Spanned<Value>) -> Arg {
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
    pub(super) fn kind(
        value: Spanned<Value>,
        is: fn(&Value) -> bool,
        expected: &str,
    ) -> Result<Arg, String> {
        match Arg::read(value) {
            Arg::Value(value) if !is(&value) => Err(format!(
                "expected {expected} or `{{param: NAME}}`, found {value}"
            )),
            arg => Ok(arg),
        }
    }

    pub(super) fn number(value: Spanned<Value>) -> Result<Arg, String> {
        Arg::kind(value, Value::is_number, "a number")
    }

    pub(super) fn text(value: Spanned<Value>) -> Result<Arg, String> {
        Arg::kind(value, Value::is_string, "a string")
    }

    pub(super) fn list(value: Spanned<Value>) -> Result<Arg, String> {
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

impl Check {
    /// The checks directly below this one.
    pub(super) fn children_mut(&mut self) -> Vec<&mut Check> {
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
    pub(super) fn messages(&self) -> Box<dyn Iterator<Item = &String> + '_> {
        Box::new(
            self.message
                .iter()
                .chain(self.children().into_iter().flat_map(Check::messages)),
        )
    }

    /// Calls `visit` with every parameter the check refers to, and where.
    pub(super) fn params(&self, visit: &mut dyn FnMut(&str, &Location)) {
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
