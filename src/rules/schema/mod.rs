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

mod check;
mod predicates;
mod raw;

pub use check::*;
pub use predicates::Predicates;

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
