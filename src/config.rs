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

use crate::finding::Severity;
use crate::rules::Rule;
use miette::{NamedSource, SourceSpan};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The file name looked for.
pub const FILE_NAME: &str = "payplat.toml";

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML, or not a payplat configuration.
    #[error("{}{}: {message}", path.display(), position.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line and column, when known.
        position: Option<(usize, usize)>,
        /// What is wrong.
        message: String,
        /// The file's text, for the diagnostic.
        #[source_code]
        text: Arc<NamedSource<String>>,
        /// Where.
        #[label("here")]
        span: Option<SourceSpan>,
    },
    /// A suppression without a reason.
    #[error("{}: the suppression of {rule} for `{address}` needs a reason", path.display())]
    NoReason {
        /// The file.
        path: PathBuf,
        /// The suppression's rule.
        rule: String,
        /// The suppression's address pattern.
        address: String,
    },
    /// A suppression whose expiry is not a date.
    #[error("{}: `expires` of the suppression of {rule} must be a date (2027-01-31)", path.display())]
    BadExpiry {
        /// The file.
        path: PathBuf,
        /// The suppression's rule.
        rule: String,
    },
    /// `[rules.X]` names no rule.
    #[error("{origin}: [rules.{rule}]: no rule is called `{rule}`")]
    UnknownRule {
        /// The file.
        origin: String,
        /// As written.
        rule: String,
    },
    /// `[rules.X]` sets a parameter the rule does not have.
    #[error("{origin}: [rules.{rule}]: {code} has no parameter `{name}` (it has {known:?})")]
    UnknownParameter {
        /// The file.
        origin: String,
        /// As written.
        rule: String,
        /// The rule's code.
        code: String,
        /// The parameter.
        name: String,
        /// The parameters the rule has.
        known: Vec<String>,
    },
    /// `[rules.X]` sets a parameter to a value of another type than its default.
    #[error("{origin}: [rules.{rule}]: `{name}` must be like its default, {default}")]
    ParameterType {
        /// The file.
        origin: String,
        /// As written.
        rule: String,
        /// The parameter.
        name: String,
        /// Its default.
        default: Value,
    },
}

/// What `payplat.toml` says.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Only these rules, by code or name (default: every rule).
    #[serde(default)]
    pub select: Vec<String>,
    /// Not these rules.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// The lowest severity of a failing finding that fails the run.
    pub fail_on: Option<Severity>,
    /// The profile whose rules run: `default` (the platform invariants) or `pci-dss`.
    pub profile: Option<String>,
    /// More rule directories, relative to the file.
    #[serde(default)]
    pub rule_dirs: Vec<PathBuf>,
    /// Parameters by rule code or name.
    #[serde(default)]
    pub rules: BTreeMap<String, toml::Table>,
    /// Findings set aside.
    #[serde(default)]
    pub suppress: Vec<Suppression>,
    /// Fetch module sources that are neither local nor downloaded (`--download-modules`).
    #[serde(default, alias = "download_modules")]
    pub download_modules: bool,
    /// The tool the modules are read for: `terraform` or `opentofu` (default: OpenTofu for a
    /// directory with `.tofu` files, else Terraform).
    pub engine: Option<crate::load::Engine>,
    /// The file this came from, when there is one.
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

/// Findings of one rule on matching addresses, set aside for a reason.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suppression {
    /// A rule code or name.
    pub rule: String,
    /// A resource address pattern; `*` matches any run of characters.
    pub address: String,
    /// Why; required.
    pub reason: String,
    /// From this date on, the suppression no longer applies.
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

    /// Whether it covers findings of `rule` on `address`.
    pub fn covers(&self, rule: &crate::finding::RuleInfo, address: &str) -> bool {
        rule.is_named(&self.rule) && crate::text::wildcard_matches(&self.address, address)
    }
}

impl Config {
    /// `--config FILE`, else the nearest `payplat.toml` from the working directory up, else none.
    pub fn find(explicit: Option<&Path>) -> Result<Config, ConfigError> {
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

    /// Reads one configuration file.
    pub fn read(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut config: Config = toml::from_str(&text).map_err(|error| {
            let span = error
                .span()
                .map(|s| s.start.min(text.len())..s.end.min(text.len()));
            let readable = span.clone().filter(|s| {
                crate::locate::line_length(&text, s.start) <= crate::locate::EXCERPT_LINE_LIMIT
            });
            let position = span.as_ref().map(|s| {
                let p = crate::locate::position(&text, s.start);
                (p.line, p.column)
            });
            ConfigError::Invalid {
                path: path.to_owned(),
                position,
                message: error.message().to_owned(),
                text: Arc::new(NamedSource::new(path.display().to_string(), text.clone())),
                span: readable.map(SourceSpan::from),
            }
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for dir in &mut config.rule_dirs {
            *dir = base.join(&*dir);
        }
        for suppression in &config.suppress {
            if suppression.reason.trim().is_empty() {
                return Err(ConfigError::NoReason {
                    path: path.to_owned(),
                    rule: suppression.rule.clone(),
                    address: suppression.address.clone(),
                });
            }
            if suppression.expires.is_some() && suppression.expires_on().is_none() {
                return Err(ConfigError::BadExpiry {
                    path: path.to_owned(),
                    rule: suppression.rule.clone(),
                });
            }
        }
        config.path = Some(path.to_owned());
        Ok(config)
    }

    /// Sets the configured parameters on the rules; a parameter a rule does not declare, or of
    /// another type than its default, is an error.
    pub fn apply_parameters(&self, rules: &mut [Rule]) -> Result<(), ConfigError> {
        let origin = self
            .path
            .as_ref()
            .map_or_else(|| FILE_NAME.to_owned(), |p| p.display().to_string());
        for (wanted, table) in &self.rules {
            let rule = rules
                .iter_mut()
                .find(|r| r.info.is_named(wanted))
                .ok_or_else(|| ConfigError::UnknownRule {
                    origin: origin.clone(),
                    rule: wanted.clone(),
                })?;
            for (name, value) in table {
                // TOML values are all representable in JSON (dates become strings).
                let value = serde_json::to_value(value).unwrap_or(Value::Null);
                let declared =
                    rule.parameters
                        .get(name)
                        .ok_or_else(|| ConfigError::UnknownParameter {
                            origin: origin.clone(),
                            rule: wanted.clone(),
                            code: rule.info.code.clone(),
                            name: name.clone(),
                            known: rule.parameters.keys().cloned().collect(),
                        })?;
                if !same_type(declared, &value) {
                    return Err(ConfigError::ParameterType {
                        origin: origin.clone(),
                        rule: wanted.clone(),
                        name: name.clone(),
                        default: declared.clone(),
                    });
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
