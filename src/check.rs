//! `payplat check` from start to end: configuration, rules, inputs, evaluation, suppressions
//! and baseline, report, exit status.

use crate::config::{self, Config};
use crate::discover::discover;
use crate::load::{LoadError, load_all};
use crate::model::Document;
use crate::report::{self, Format, Report, Summary};
use crate::rules::engine::evaluate;
use crate::rules::{Rule, RuleSet, Severity};
use crate::triage::{self, Baseline};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

/// Exit status when a rule failed at or above the threshold.
pub const FINDINGS: u8 = 1;
/// Exit status when an input, a rule file or the configuration could not be used.
pub const INPUT_ERROR: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Color {
    /// When writing to a terminal and `NO_COLOR` is not set.
    Auto,
    Always,
    Never,
}

/// What `payplat check` is asked to do.
#[derive(Debug, clap::Args)]
pub struct Options {
    /// Files or directories to check; `-` reads standard input.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Only these rules (codes or names, comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Not these rules (codes or names, comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// A directory of rule files (*.yaml) to add; a rule with a built-in rule's code replaces it.
    #[arg(long = "rules", value_name = "DIR")]
    pub rule_dirs: Vec<PathBuf>,
    /// The configuration file (default: the nearest payplat.toml from here up).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The lowest severity of a failing finding that fails the run.
    #[arg(long, value_enum)]
    pub fail_on: Option<Severity>,
    /// Fail only on findings this baseline does not hold.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings as the baseline (the run then does not fail on them).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write a report in another format to a file, from the same run (repeatable):
    /// `--report sarif=payplat.sarif --report markdown=summary.md`.
    #[arg(long, value_name = "FORMAT=FILE", value_parser = parse_report)]
    pub report: Vec<(Format, PathBuf)>,
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

/// Runs a check; `Err` is a message for a run that could not start (status 2).
pub fn run(options: &Options) -> Result<u8, String> {
    let started = Instant::now();
    let config = Config::find(options.config.as_deref())?;
    let dirs: Vec<PathBuf> = config
        .rule_dirs
        .iter()
        .chain(&options.rule_dirs)
        .cloned()
        .collect();
    let rule_set = load_rules(&dirs)?;
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

    let (documents, errors) = load_inputs(&options.paths, options.format == Format::Evidence);
    let evaluation = evaluate(&rules, &documents);
    let mut findings = evaluation.findings;
    for expired in triage::suppress(&mut findings, &config.suppress, &config::today()) {
        eprintln!("warning: {expired}");
    }
    if let Some(baseline) = &baseline {
        baseline.apply(&mut findings);
    }
    if let Some(path) = &options.write_baseline {
        Baseline::of(&findings).write(path)?;
    }
    let mut summary = Summary::new(
        &documents,
        &findings,
        evaluation.resources_checked,
        errors.len(),
    );
    summary.elapsed = Some(started.elapsed());
    let report = Report {
        findings: &findings,
        checks: &evaluation.checks,
        documents: &documents,
        rules: &rules,
        errors: &errors,
        fail_on,
        summary,
    };
    write_report(&report, options)?;
    Ok(if !errors.is_empty() {
        INPUT_ERROR
    } else if options.write_baseline.is_none() && findings.iter().any(|f| f.fails(fail_on)) {
        FINDINGS
    } else {
        0
    })
}

fn write_report(report: &Report, options: &Options) -> Result<(), String> {
    for (format, path) in &options.report {
        write_file(report, *format, path, false)?;
    }
    match &options.output {
        Some(path) => write_file(report, options.format, path, options.color == Color::Always),
        None => {
            let color = match options.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => {
                    std::io::stdout().is_terminal()
                        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                }
            };
            write_stdout(|out| report::write(options.format, report, out, color))
        }
    }
}

fn write_file(
    report: &Report,
    format: Format,
    path: &std::path::Path,
    color: bool,
) -> Result<(), String> {
    let file =
        std::fs::File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let mut file = std::io::BufWriter::new(file);
    report::write(format, report, &mut file, color)
        .and_then(|()| file.flush())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn parse_report(text: &str) -> Result<(Format, PathBuf), String> {
    use clap::ValueEnum;
    let (format, path) = text
        .split_once('=')
        .ok_or("expected FORMAT=FILE, e.g. sarif=payplat.sarif")?;
    Ok((Format::from_str(format, true)?, PathBuf::from(path)))
}

/// The rules `--select` keeps and `--ignore` leaves out; naming a rule that does not exist is an error.
fn chosen_rules(
    rules: Vec<Rule>,
    select: &[String],
    ignore: &[String],
) -> Result<Vec<Rule>, String> {
    let names = |rule: &Rule, list: &[String]| {
        list.iter()
            .any(|s| s.eq_ignore_ascii_case(&rule.code) || *s == rule.name)
    };
    if let Some(unknown) = select
        .iter()
        .chain(ignore)
        .find(|s| !rules.iter().any(|r| names(r, std::slice::from_ref(s))))
    {
        return Err(format!(
            "no rule is called `{unknown}`; `payplat rules` lists them"
        ));
    }
    Ok(rules
        .into_iter()
        .filter(|rule| select.is_empty() || names(rule, select))
        .filter(|rule| !names(rule, ignore))
        .collect())
}

/// The built-in rules and those of `dirs`; replacements are told on standard error.
pub fn load_rules(dirs: &[PathBuf]) -> Result<RuleSet, String> {
    let rule_set = RuleSet::load(dirs).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        format!("cannot use the rules:\n  {}", lines.join("\n  "))
    })?;
    for replaced in &rule_set.replaced {
        eprintln!("note: {replaced}");
    }
    Ok(rule_set)
}

/// Loads every input; problems are told on standard error as well as returned.
pub fn load_inputs(paths: &[PathBuf], digest: bool) -> (Vec<Document>, Vec<LoadError>) {
    let discovered = discover(paths);
    for note in &discovered.notes {
        eprintln!("note: {note}");
    }
    let mut documents = Vec::new();
    let mut errors = discovered.errors;
    for loaded in load_all(&discovered.inputs, digest) {
        match loaded {
            Ok(document) => documents.push(document),
            Err(error) => errors.push(error),
        }
    }
    for error in &errors {
        eprintln!("error: {error}");
        if let Some(help) = error.help() {
            eprintln!("  help: {help}");
        }
    }
    (documents, errors)
}

/// Writes to standard output; a closed pipe (`| head`) is not an error.
pub fn write_stdout(
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), String> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write the output: {error}"))
        }
        _ => Ok(()),
    }
}
