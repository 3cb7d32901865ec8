//! Rules are data: one YAML file per rule. The built-in pack (`rules/*.yaml`) is embedded at
//! build time; users add directories of their own, whose rules replace built-in ones with the
//! same code.

pub mod engine;
pub mod ops;
pub mod schema;

pub use schema::{Rule, Severity};
use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// Where payplat's documentation lives.
pub const DOCS_BASE: &str = "https://github.com/payplat/payplat";

/// A rule's documentation: its own `help-uri`, or the built-in rule's file.
pub fn docs_url(rule: &Rule) -> String {
    match &rule.help_uri {
        Some(uri) => uri.clone(),
        None => format!(
            "{DOCS_BASE}/blob/main/rules/{}-{}.yaml",
            rule.code, rule.name
        ),
    }
}

/// A rule file that cannot be used, with where and why.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {reason}", file.display(), position.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
pub struct RuleError {
    pub file: PathBuf,
    pub position: Option<(u64, u64)>,
    pub reason: String,
}

/// The rules in force, sorted by code.
#[derive(Debug)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    /// Built-in rules that user rules replaced, as messages for the user.
    pub replaced: Vec<String>,
}

/// Reads one rule file's text.
pub fn parse_rule(file: &Path, text: &str) -> Result<Rule, RuleError> {
    let rule: Rule = serde_saphyr::from_str(text).map_err(|error| {
        let position = error.location().map(|l| (l.line(), l.column()));
        let rendered = error.without_snippet().to_string();
        // The message repeats the position ("… at line L, column C"); it is given separately.
        let reason = match rendered.rfind(" at line ") {
            Some(at) if position.is_some() => rendered[..at].to_owned(),
            _ => rendered,
        };
        RuleError {
            file: file.to_owned(),
            position,
            reason,
        }
    })?;
    rule.validate().map_err(|reason| RuleError {
        file: file.to_owned(),
        position: None,
        reason,
    })?;
    Ok(rule)
}

/// The built-in pack.
pub fn builtin() -> Result<Vec<Rule>, RuleError> {
    BUILTIN_RULES
        .iter()
        .map(|(name, text)| parse_rule(&Path::new("rules").join(name), text))
        .collect()
}

/// Every `*.yaml` / `*.yml` file directly in `dir`, in name order.
pub fn load_dir(dir: &Path) -> Result<Vec<Rule>, Vec<RuleError>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        vec![RuleError {
            file: dir.to_owned(),
            position: None,
            reason: format!("cannot read the rule directory: {e}"),
        }]
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
        })
        .collect();
    files.sort();
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        let parsed = std::fs::read_to_string(&file)
            .map_err(|e| RuleError {
                file: file.clone(),
                position: None,
                reason: format!("cannot read: {e}"),
            })
            .and_then(|text| parse_rule(&file, &text));
        match parsed {
            Ok(rule) => rules.push(rule),
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

impl RuleSet {
    /// The built-in rules with the user's directories on top.
    pub fn load(user_dirs: &[PathBuf]) -> Result<RuleSet, Vec<RuleError>> {
        let mut rules = builtin().map_err(|e| vec![e])?;
        let mut replaced = Vec::new();
        let mut errors = Vec::new();
        let mut user_codes: Vec<(String, PathBuf)> = Vec::new();
        for dir in user_dirs {
            match load_dir(dir) {
                Ok(user_rules) => {
                    for rule in user_rules {
                        if let Some((_, first)) =
                            user_codes.iter().find(|(code, _)| *code == rule.code)
                        {
                            errors.push(RuleError {
                                file: dir.clone(),
                                position: None,
                                reason: format!(
                                    "rule {} is defined twice (also in {})",
                                    rule.code,
                                    first.display()
                                ),
                            });
                            continue;
                        }
                        user_codes.push((rule.code.clone(), dir.clone()));
                        if let Some(at) = rules.iter().position(|r| r.code == rule.code) {
                            replaced.push(format!(
                                "rule {} ({}) from {} replaces the built-in rule",
                                rule.code,
                                rule.name,
                                dir.display()
                            ));
                            rules[at] = rule;
                        } else {
                            rules.push(rule);
                        }
                    }
                }
                Err(dir_errors) => errors.extend(dir_errors),
            }
        }
        if let Some(clash) = name_clash(&rules) {
            errors.push(clash);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        rules.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(RuleSet { rules, replaced })
    }

    /// The rule with this code or name.
    pub fn find(&self, code_or_name: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.code.eq_ignore_ascii_case(code_or_name) || r.name == code_or_name)
    }
}

fn name_clash(rules: &[Rule]) -> Option<RuleError> {
    rules.iter().enumerate().find_map(|(i, rule)| {
        rules[i + 1..]
            .iter()
            .find(|other| other.name == rule.name)
            .map(|other| RuleError {
                file: PathBuf::from(&other.code),
                position: None,
                reason: format!(
                    "rules {} and {} share the name `{}`",
                    rule.code, other.code, rule.name
                ),
            })
    })
}
