//! A check as written (every key optional) and its reading into a [`Check`], with the reason
//! for each mistake.

use super::*;

/// Every key a check node may have; validation turns it into exactly one [`CheckKind`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawCheck {
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
