//! `payplat.toml`: which rules run, what fails the run, rule parameters, extra rule
//! directories and suppressions. Found by walking up from the working directory, or named with
//! `--config`.
//!
//! ```toml
//! select = ["PP101", "irsa-trust-conditions"]   # default: every rule
//! ignore = []
//! fail-on = "high"                              # the lowest severity that fails the run
//! rule-dirs = ["policies"]                      # relative to this file
//!
//! [rules.log-group-retention]                   # a rule's code or name
//! min_days = 365
//!
//! [[suppress]]
//! rule = "PP501"
//! address = "aws_cloudwatch_log_group.debug_*"  # `*` matches any run of characters
//! reason = "debug logs are deleted with the sandbox"
//! expires = 2027-01-31                          # optional
//! ```

use crate::rules::{Rule, Severity};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "payplat.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    #[serde(default)]
    pub select: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<String>,
    pub fail_on: Option<Severity>,
    #[serde(default)]
    pub rule_dirs: Vec<PathBuf>,
    /// Parameters by rule code or name.
    #[serde(default)]
    pub rules: BTreeMap<String, toml::Table>,
    #[serde(default)]
    pub suppress: Vec<Suppression>,
    /// The file this came from, when there is one.
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suppression {
    /// A rule code or name.
    pub rule: String,
    /// A resource address pattern; `*` matches any run of characters.
    pub address: String,
    pub reason: String,
    pub expires: Option<toml::value::Datetime>,
}

impl Suppression {
    /// The expiry date as `YYYY-MM-DD`, which orders like the date.
    pub fn expires_on(&self) -> Option<String> {
        self.expires
            .as_ref()
            .and_then(|e| e.date)
            .map(|d| d.to_string())
    }

    pub fn covers(&self, rule: &Rule, address: &str) -> bool {
        (self.rule.eq_ignore_ascii_case(&rule.code) || self.rule == rule.name)
            && crate::rules::ops::wildcard_matches(&self.address, address)
    }
}

impl Config {
    /// `--config FILE`, else the nearest `payplat.toml` from the working directory up, else none.
    pub fn find(explicit: Option<&Path>) -> Result<Config, String> {
        let path = match explicit {
            Some(path) => Some(path.to_owned()),
            None => std::env::current_dir().ok().and_then(|dir| {
                dir.ancestors()
                    .map(|d| d.join(FILE_NAME))
                    .find(|p| p.is_file())
            }),
        };
        match path {
            Some(path) => Config::read(&path),
            None => Ok(Config::default()),
        }
    }

    pub fn read(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let mut config: Config = toml::from_str(&text).map_err(|error| {
            let position = error.span().map(|span| {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                format!(":{line}:{column}")
            });
            format!(
                "{}{}: {}",
                path.display(),
                position.unwrap_or_default(),
                error.message()
            )
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for dir in &mut config.rule_dirs {
            *dir = base.join(&*dir);
        }
        for suppression in &config.suppress {
            if suppression.reason.trim().is_empty() {
                return Err(format!(
                    "{}: the suppression of {} for `{}` needs a reason",
                    path.display(),
                    suppression.rule,
                    suppression.address
                ));
            }
            if suppression.expires.is_some() && suppression.expires_on().is_none() {
                return Err(format!(
                    "{}: `expires` of the suppression of {} must be a date (2027-01-31)",
                    path.display(),
                    suppression.rule
                ));
            }
        }
        config.path = Some(path.to_owned());
        Ok(config)
    }

    /// Sets the configured parameters on the rules; a parameter a rule does not declare, or of
    /// another type than its default, is an error.
    pub fn apply_parameters(&self, rules: &mut [Rule]) -> Result<(), String> {
        let origin = self
            .path
            .as_ref()
            .map_or_else(|| FILE_NAME.to_owned(), |p| p.display().to_string());
        for (wanted, table) in &self.rules {
            let rule = rules
                .iter_mut()
                .find(|r| r.code.eq_ignore_ascii_case(wanted) || r.name == *wanted)
                .ok_or_else(|| {
                    format!("{origin}: [rules.{wanted}]: no rule is called `{wanted}`")
                })?;
            for (name, value) in table {
                let value = serde_json::to_value(value).map_err(|e| e.to_string())?;
                let declared = rule.parameters.get(name).ok_or_else(|| {
                    let known: Vec<&String> = rule.parameters.keys().collect();
                    format!("{origin}: [rules.{wanted}]: {} has no parameter `{name}` (it has {known:?})", rule.code)
                })?;
                if !same_type(declared, &value) {
                    return Err(format!(
                        "{origin}: [rules.{wanted}]: `{name}` must be like its default, {declared}"
                    ));
                }
                rule.parameters.insert(name.clone(), value);
            }
        }
        Ok(())
    }
}

fn same_type(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// Today's date as `YYYY-MM-DD` (UTC), for suppression expiry.
pub fn today() -> String {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}
