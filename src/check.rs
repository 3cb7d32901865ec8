//! `payplat check` as a library: configuration, rules, inputs, evaluation, suppressions and
//! baseline. It prints nothing: what the user should hear comes back as notes and warnings,
//! and the caller writes the report.

use crate::config::{self, Config, ConfigError};
use crate::discover::discover;
use crate::finding::{Checked, Finding, Severity};
use crate::load::{Engine, Input, LoadError, load_all};
use crate::model::Document;
use crate::resolve::fetch::Downloads;
use crate::resolve::{Modules, PassThrough, Reading, resolve_reading};
use crate::rules::{Rule, RuleError, RuleSet, evaluate};
use crate::triage::{self, Baseline, BaselineError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Exit status when a rule failed at or above the threshold.
pub const FINDINGS: u8 = 1;
/// Exit status when an input, a rule file or the configuration could not be used.
pub const INPUT_ERROR: u8 = 2;

/// What `payplat check` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Files or directories to check; `-` reads standard input.
    pub paths: Vec<PathBuf>,
    /// Only these rules (codes or names).
    pub select: Vec<String>,
    /// Not these rules (codes or names).
    pub ignore: Vec<String>,
    /// Directories of rule files to add.
    pub rule_dirs: Vec<PathBuf>,
    /// The profile whose rules run (default: the configuration's, else `default`).
    pub profile: Option<String>,
    /// The configuration file (default: the nearest payplat.toml from the working directory up).
    pub config: Option<PathBuf>,
    /// The lowest severity of a failing finding that fails the run.
    pub fail_on: Option<Severity>,
    /// Fail only on findings this baseline does not hold.
    pub baseline: Option<PathBuf>,
    /// Record the current findings as the baseline (the run then does not fail on them).
    pub write_baseline: Option<PathBuf>,
    /// Record the SHA-256 of every input (evidence reports show them).
    pub digest: bool,
    /// A module call whose code cannot be read is an input error (exit status 2).
    pub require_modules: bool,
    /// Whether module sources that are neither local nor downloaded are fetched.
    pub downloads: Downloads,
    /// The tool the modules are read for (default: the configuration's, else what each
    /// directory's files say).
    pub engine: Option<Engine>,
}

/// Why a check could not start.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CheckError {
    /// The configuration cannot be used.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(#[from] ConfigError),
    /// Rule files cannot be used.
    #[error("cannot use the rules:\n  {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  "))]
    Rules(#[related] Vec<RuleError>),
    /// The baseline cannot be read or written.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Baseline(#[from] BaselineError),
    /// A rule directory's `pass-through.yaml` cannot be used.
    #[error("cannot use the pass-through resource types: {0}")]
    PassThrough(String),
    /// `--select`, `--ignore` or a configuration names a rule that does not exist.
    #[error("no rule is called `{0}`; `payplat rules` lists them")]
    UnknownRule(String),
}

/// The inputs, loaded.
#[derive(Debug, Default)]
pub struct Inputs {
    /// Every input that loaded, then the files read as context for them ([`Inputs::named`]).
    pub documents: Vec<Document>,
    /// Which documents are checked together (the files of one module directory).
    pub modules: Modules,
    /// Every input that did not.
    pub errors: Vec<LoadError>,
    /// Things skipped on purpose that the user may want to know about.
    pub notes: Vec<String>,
    /// The module calls whose code could not be read.
    pub unread_modules: Vec<crate::resolve::Unread>,
}

impl Inputs {
    /// The documents named or found under the paths: what is checked and reported, without
    /// the files read only as context for them.
    pub fn named(&self) -> &[Document] {
        let end = self
            .documents
            .iter()
            .position(|d| d.context)
            .unwrap_or(self.documents.len());
        &self.documents[..end]
    }
}

/// Finds and loads every input under `paths`.
pub fn load_inputs(paths: &[PathBuf], digest: bool) -> Inputs {
    load_inputs_reading(paths, digest, &Reading::default())
}

/// [`load_inputs`], reading as `reading` says (fetching modules, for which tool).
pub fn load_inputs_reading(paths: &[PathBuf], digest: bool, reading: &Reading) -> Inputs {
    let discovered = discover(paths, reading.engine);
    let mut inputs = Inputs {
        errors: discovered.errors,
        notes: discovered.notes,
        ..Inputs::default()
    };
    for loaded in load_all(&discovered.inputs, digest) {
        match loaded {
            Ok(document) => inputs.documents.push(document),
            Err(error) => inputs.errors.push(error),
        }
    }
    let read: Vec<&Path> = discovered.inputs.iter().map(Input::path).collect();
    let resolved = resolve_reading(&mut inputs.documents, &read, reading);
    if digest {
        // The files resolving read besides the inputs (module code, a directory's other files).
        for document in inputs.documents.iter_mut().filter(|d| d.sha256.is_none()) {
            document.sha256 = std::fs::read(&document.path)
                .ok()
                .map(|bytes| crate::text::sha256_of(&bytes));
        }
    }
    inputs.modules = resolved.modules;
    inputs.errors.extend(resolved.errors);
    inputs.notes.extend(resolved.notes);
    inputs.unread_modules = resolved.unread;
    inputs
}

/// The built-in rules and those of `dirs`, of `profile` and the profiles it extends.
pub fn load_rules(dirs: &[PathBuf], profile: &str) -> Result<RuleSet, CheckError> {
    RuleSet::load_profile(dirs, profile).map_err(CheckError::Rules)
}

/// Everything a check needs, read and validated: what [`Prepared::run`] evaluates.
pub struct Prepared {
    /// The rules in force, with the configuration's parameters.
    pub rules: Vec<Rule>,
    /// The inputs.
    pub inputs: Inputs,
    /// Notes for the user: rules replaced by user rules.
    pub notes: Vec<String>,
    /// The lowest severity that fails the run.
    pub fail_on: Severity,
    config: Config,
    baseline: Option<Baseline>,
    write_baseline: Option<PathBuf>,
    require_modules: bool,
    started: Instant,
}

/// What a check found.
pub struct Ran<'a> {
    /// Every finding, suppressed and baselined ones marked.
    pub findings: Vec<Finding<'a>>,
    /// Every rule × resource pair evaluated.
    pub checks: Vec<Checked<'a>>,
    /// Resources at least one rule applied to.
    pub resources_checked: usize,
    /// Expired suppressions and the like: what the user should hear.
    pub warnings: Vec<String>,
    /// How long the run took, from [`prepare`].
    pub elapsed: Duration,
    /// The exit status: 0, [`FINDINGS`] or [`INPUT_ERROR`].
    pub status: u8,
}

/// Reads the configuration, the rules and the inputs.
pub fn prepare(options: &Options) -> Result<Prepared, CheckError> {
    let started = Instant::now();
    let config = Config::find(options.config.as_deref())?;
    let dirs: Vec<PathBuf> = config
        .rule_dirs
        .iter()
        .chain(&options.rule_dirs)
        .cloned()
        .collect();
    let profile = options
        .profile
        .as_deref()
        .or(config.profile.as_deref())
        .unwrap_or(crate::rules::DEFAULT_PROFILE);
    let rule_set = load_rules(&dirs, profile)?;
    let mut rules = rule_set.rules;
    config.apply_parameters(&mut rules)?;
    let select = if options.select.is_empty() {
        &config.select
    } else {
        &options.select
    };
    let ignore: Vec<String> = config
        .ignore
        .iter()
        .chain(&options.ignore)
        .cloned()
        .collect();
    let rules = chosen_rules(rules, select, &ignore)?;
    let fail_on = options.fail_on.or(config.fail_on).unwrap_or(Severity::Info);
    let baseline = options
        .baseline
        .as_deref()
        .map(Baseline::read)
        .transpose()?;
    let downloads = match options.downloads {
        Downloads::Off if config.download_modules => Downloads::On,
        chosen => chosen,
    };
    let pass_through = PassThrough::with_directories(&dirs).map_err(CheckError::PassThrough)?;
    let reading = Reading {
        downloads,
        engine: options.engine.or(config.engine),
        pass_through: Some(std::sync::Arc::new(pass_through)),
    };
    let inputs = load_inputs_reading(&options.paths, options.digest, &reading);
    Ok(Prepared {
        rules,
        inputs,
        notes: rule_set.replaced,
        fail_on,
        config,
        baseline,
        write_baseline: options.write_baseline.clone(),
        require_modules: options.require_modules,
        started,
    })
}

impl Prepared {
    /// Evaluates the rules, then applies suppressions and the baseline (and writes a new one
    /// when asked).
    pub fn run(&self) -> Result<Ran<'_>, CheckError> {
        let evaluation = evaluate(&self.rules, &self.inputs.documents, &self.inputs.modules);
        let mut findings = evaluation.findings;
        let warnings = triage::suppress(&mut findings, &self.config.suppress, &config::today());
        if let Some(baseline) = &self.baseline {
            baseline.apply(&mut findings);
        }
        if let Some(path) = &self.write_baseline {
            Baseline::of(&findings).write(path)?;
        }
        let status = if !self.inputs.errors.is_empty()
            || (self.require_modules && !self.inputs.unread_modules.is_empty())
        {
            INPUT_ERROR
        } else if self.write_baseline.is_none() && findings.iter().any(|f| f.fails(self.fail_on)) {
            FINDINGS
        } else {
            0
        };
        Ok(Ran {
            findings,
            checks: evaluation.checks,
            resources_checked: evaluation.resources_checked,
            warnings,
            elapsed: self.started.elapsed(),
            status,
        })
    }
}

/// The rules `select` keeps and `ignore` leaves out; naming a rule that does not exist is an error.
fn chosen_rules(
    rules: Vec<Rule>,
    select: &[String],
    ignore: &[String],
) -> Result<Vec<Rule>, CheckError> {
    let named = |rule: &Rule, list: &[String]| list.iter().any(|s| rule.info.is_named(s));
    if let Some(unknown) = select
        .iter()
        .chain(ignore)
        .find(|s| !rules.iter().any(|r| r.info.is_named(s)))
    {
        return Err(CheckError::UnknownRule(unknown.clone()));
    }
    Ok(rules
        .into_iter()
        .filter(|rule| select.is_empty() || named(rule, select))
        .filter(|rule| !named(rule, ignore))
        .collect())
}
