//! Rules are data: one YAML file per rule. The built-in pack (`rules/*.yaml`) is embedded at
//! build time; users add directories of their own, whose rules replace built-in ones with the
//! same code.

mod decode;
pub mod eval;
pub mod fix;
mod index;
pub mod profile;
pub mod schema;

pub use eval::{Evaluation, evaluate};
use miette::{NamedSource, SourceSpan};
pub use profile::Profiles;
use schema::Predicates;
pub use schema::{DEFAULT_PROFILE, Rule};
use std::path::{Path, PathBuf};
use std::sync::Arc;

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// The file of a rule directory that holds its named predicates.
pub const PREDICATES_FILE: &str = "predicates.yaml";
/// The built-in pack's file of profiles.
const PROFILES_FILE: &str = "profiles.yaml";
/// The file of a rule directory that names the resource types that pass values through, which
/// resolving reads ([`crate::resolve::PassThrough`]).
pub const PASS_THROUGH_FILE: &str = crate::resolve::PASS_THROUGH_FILE;

/// A rule file that cannot be used, with where and why.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{}{}: {reason}", file.display(), position.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
pub struct RuleError {
    /// The rule file (or directory).
    pub file: PathBuf,
    /// 1-based line and column of the mistake, when known.
    pub position: Option<(u64, u64)>,
    /// What is wrong.
    pub reason: String,
    #[source_code]
    text: Option<Arc<NamedSource<String>>>,
    #[label("here")]
    span: Option<SourceSpan>,
}

impl RuleError {
    fn new(file: &Path, reason: String) -> RuleError {
        RuleError {
            file: file.to_owned(),
            position: None,
            reason,
            text: None,
            span: None,
        }
    }

    /// The mistake at a line and column of the file's text, which diagnostics then show.
    fn at(file: &Path, text: &str, invalid: schema::Invalid) -> RuleError {
        let offset = invalid
            .position
            .map(|(line, column)| crate::locate::offset(text, line as usize, column as usize));
        let readable = offset.filter(|&at| {
            crate::locate::line_length(text, at) <= crate::locate::EXCERPT_LINE_LIMIT
        });
        RuleError {
            file: file.to_owned(),
            position: invalid.position,
            reason: invalid.reason,
            text: readable.map(|_| {
                Arc::new(NamedSource::new(
                    file.display().to_string(),
                    text.to_owned(),
                ))
            }),
            span: readable.map(|at| SourceSpan::from(at..at)),
        }
    }
}

/// The rules in force, sorted by code.
#[derive(Debug)]
pub struct RuleSet {
    /// The rules.
    pub rules: Vec<Rule>,
    /// Built-in rules that user rules replaced, as messages for the user.
    pub replaced: Vec<String>,
}

/// Reads a YAML file of the rule pack, with the mistake's line and column.
fn read_yaml<T: serde::de::DeserializeOwned>(file: &Path, text: &str) -> Result<T, RuleError> {
    serde_saphyr::from_str(text).map_err(|error| {
        let position = error.location().map(|l| (l.line(), l.column()));
        let rendered = error.without_snippet().to_string();
        // The message repeats the position ("… at line L, column C"); it is given separately.
        let reason = match rendered.rfind(" at line ") {
            Some(at) if position.is_some() => rendered[..at].to_owned(),
            _ => rendered,
        };
        RuleError::at(file, text, schema::Invalid { position, reason })
    })
}

/// Reads one rule file's text on its own: no predicates, the built-in profiles.
pub fn parse_rule(file: &Path, text: &str) -> Result<Rule, RuleError> {
    parse_rule_with(file, text, &Predicates::default(), &builtin_profiles()?)
}

/// Reads one rule file's text, with the predicates of its directory.
fn parse_rule_with(
    file: &Path,
    text: &str,
    predicates: &Predicates,
    profiles: &Profiles,
) -> Result<Rule, RuleError> {
    let raw: schema::RawRule = read_yaml(file, text)?;
    raw.validate(predicates, &profiles.names())
        .map_err(|invalid| RuleError::at(file, text, invalid))
}

/// The built-in pack's profiles.
pub fn builtin_profiles() -> Result<Profiles, RuleError> {
    let text = builtin_file(PROFILES_FILE).unwrap_or_default();
    read_yaml(&Path::new("rules").join(PROFILES_FILE), text)
}

fn builtin_file(name: &str) -> Option<&'static str> {
    BUILTIN_FILES
        .iter()
        .find(|(file, _)| *file == name)
        .map(|(_, text)| *text)
}

/// The built-in rules of every profile.
pub fn builtin(profiles: &Profiles) -> Result<Vec<Rule>, RuleError> {
    let predicates = match builtin_file(PREDICATES_FILE) {
        Some(text) => read_yaml(&Path::new("rules").join(PREDICATES_FILE), text)?,
        None => Predicates::default(),
    };
    BUILTIN_FILES
        .iter()
        .filter(|(name, _)| ![PREDICATES_FILE, PROFILES_FILE, PASS_THROUGH_FILE].contains(name))
        .map(|(name, text)| {
            parse_rule_with(&Path::new("rules").join(name), text, &predicates, profiles)
        })
        .collect()
}

/// Every rule file (`*.yaml` / `*.yml`) directly in `dir`, in name order, of every profile.
pub fn load_dir(dir: &Path, profiles: &Profiles) -> Result<Vec<Rule>, Vec<RuleError>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        vec![RuleError::new(
            dir,
            format!("cannot read the rule directory: {e}"),
        )]
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
        })
        .collect();
    files.sort();
    let read = |file: &Path| {
        std::fs::read_to_string(file).map_err(|e| RuleError::new(file, format!("cannot read: {e}")))
    };
    let predicates_file = dir.join(PREDICATES_FILE);
    let predicates = if predicates_file.is_file() {
        read(&predicates_file)
            .and_then(|text| read_yaml(&predicates_file, &text))
            .map_err(|e| vec![e])?
    } else {
        Predicates::default()
    };
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    // `profiles.yaml` is the built-in pack's own: beside the rules when `rules/` is tested.
    let profiles_file = dir.join(PROFILES_FILE);
    let pass_through_file = dir.join(PASS_THROUGH_FILE);
    for file in files
        .iter()
        .filter(|f| ![&predicates_file, &profiles_file, &pass_through_file].contains(f))
    {
        match read(file).and_then(|text| parse_rule_with(file, &text, &predicates, profiles)) {
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
    /// The default profile: the built-in platform invariants, with the user's directories on top.
    pub fn load(user_dirs: &[PathBuf]) -> Result<RuleSet, Vec<RuleError>> {
        RuleSet::load_profile(user_dirs, DEFAULT_PROFILE)
    }

    /// The rules of `profile` and of the profiles it extends, built-in and the user's, with the
    /// parameters the profile sets.
    pub fn load_profile(user_dirs: &[PathBuf], profile: &str) -> Result<RuleSet, Vec<RuleError>> {
        let profiles = builtin_profiles().map_err(|e| vec![e])?;
        let Some(chain) = profiles.chain(profile) else {
            return Err(vec![RuleError::new(
                Path::new("--profile"),
                format!(
                    "unknown profile `{profile}`; the profiles are {}",
                    profiles.names().join(", ")
                ),
            )]);
        };
        let (mut rules, replaced, mut errors) = every_rule(user_dirs, &profiles);
        rules.retain(|rule| chain.iter().any(|(name, _)| *name == rule.profile));
        // The farthest profile first, so that the nearest one's parameters win.
        for (name, profile) in chain.iter().rev() {
            for (code, parameters) in &profile.parameters {
                let Some(rule) = rules.iter_mut().find(|r| r.info.code == *code) else {
                    continue; // a user rule may have replaced or the selection dropped it
                };
                for (parameter, value) in parameters {
                    match rule.parameters.get_mut(parameter) {
                        Some(slot) => *slot = value.clone(),
                        None => errors.push(RuleError::new(
                            &Path::new("rules").join(PROFILES_FILE),
                            format!("profile `{name}` sets `{parameter}` of {code}, which has no such parameter"),
                        )),
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        rules.sort_by(|a, b| a.info.code.cmp(&b.info.code));
        Ok(RuleSet { rules, replaced })
    }

    /// The rules of every profile, each with its own parameters' defaults: what `explain`
    /// looks a rule up in.
    pub fn load_every_profile(user_dirs: &[PathBuf]) -> Result<RuleSet, Vec<RuleError>> {
        let profiles = builtin_profiles().map_err(|e| vec![e])?;
        let (mut rules, replaced, errors) = every_rule(user_dirs, &profiles);
        if !errors.is_empty() {
            return Err(errors);
        }
        rules.sort_by(|a, b| a.info.code.cmp(&b.info.code));
        Ok(RuleSet { rules, replaced })
    }

    /// The rule with this code or name.
    pub fn find(&self, code_or_name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.info.is_named(code_or_name))
    }
}

/// The built-in rules of every profile with the user's on top (a user rule replaces the
/// built-in one with its code), the replacements as messages, and the mistakes found.
fn every_rule(
    user_dirs: &[PathBuf],
    profiles: &Profiles,
) -> (Vec<Rule>, Vec<String>, Vec<RuleError>) {
    let mut rules = match builtin(profiles) {
        Ok(rules) => rules,
        Err(error) => return (Vec::new(), Vec::new(), vec![error]),
    };
    let mut replaced = Vec::new();
    let mut errors = Vec::new();
    let mut user_codes: Vec<(String, PathBuf)> = Vec::new();
    for dir in user_dirs {
        match load_dir(dir, profiles) {
            Ok(user_rules) => {
                for rule in user_rules {
                    let code = &rule.info.code;
                    if let Some((_, first)) = user_codes.iter().find(|(c, _)| c == code) {
                        errors.push(RuleError::new(
                            dir,
                            format!("rule {code} is defined twice (also in {})", first.display()),
                        ));
                        continue;
                    }
                    user_codes.push((code.clone(), dir.clone()));
                    if let Some(at) = rules.iter().position(|r| r.info.code == *code) {
                        replaced.push(format!(
                            "rule {code} ({}) from {} replaces the built-in rule",
                            rule.info.name,
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
    (rules, replaced, errors)
}

fn name_clash(rules: &[Rule]) -> Option<RuleError> {
    rules.iter().enumerate().find_map(|(i, rule)| {
        rules[i + 1..]
            .iter()
            .find(|other| other.info.name == rule.info.name)
            .map(|other| {
                RuleError::new(
                    Path::new(&other.info.code),
                    format!(
                        "rules {} and {} share the name `{}`",
                        rule.info.code, other.info.code, rule.info.name
                    ),
                )
            })
    })
}
