//! The command line: parses arguments and wires the library's steps together.

use clap::{Parser, Subcommand, ValueEnum};
use payplat::discover::discover;
use payplat::generate::{self, Violation};
use payplat::inspect::{self, ErrorView};
use payplat::load::{LoadError, load_all};
use payplat::model::Document;
use payplat::report::{self, Summary};
use payplat::rules::engine::{Verdict, evaluate};
use payplat::rules::{Rule, RuleError, RuleSet};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "payplat",
    version,
    about = "Policy and compliance checks for synthesized Terraform plans"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check plans, states, *.tf.json and cdk.tf.json files against the rules.
    Check {
        /// Files or directories to check; `-` reads standard input.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Only these rules (codes or names, comma-separated).
        #[arg(long, value_delimiter = ',')]
        select: Vec<String>,
        /// Not these rules (codes or names, comma-separated).
        #[arg(long, value_delimiter = ',')]
        ignore: Vec<String>,
        #[command(flatten)]
        rules: RuleDirs,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// List the rules in force.
    Rules {
        #[command(flatten)]
        rules: RuleDirs,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Print a rule's documentation.
    Explain {
        /// A rule code (PP301) or name (irsa-trust-conditions).
        rule: String,
        #[command(flatten)]
        rules: RuleDirs,
    },
    /// Write the reference payment platform: what compliant looks like.
    Generate {
        #[arg(long, default_value = "dev")]
        environment_suffix: String,
        #[arg(long, default_value = "us-east-1")]
        region: String,
        /// The S3 bucket of the Terraform state.
        #[arg(long, default_value = "iac-state")]
        state_bucket: String,
        #[arg(long, default_value = "us-east-1")]
        state_bucket_region: String,
        #[arg(long, default_value = "1.29")]
        cluster_version: String,
        #[arg(long, default_value_t = 7)]
        log_retention_days: u32,
        /// Availability zones, with a public and a private subnet in each.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=26))]
        azs: u8,
        #[arg(long, value_enum, default_value_t = GenerateFormat::TfJson)]
        format: GenerateFormat,
        /// Inject one violation of this rule (repeatable).
        #[arg(long = "violate", value_enum, value_name = "RULE")]
        violations: Vec<Violation>,
        /// Write to this file instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Print the resources payplat reads from plans, states, *.tf.json and cdk.tf.json files.
    Inspect {
        /// Files or directories to read; `-` reads standard input.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Also print each resource's values (sensitive values are redacted).
        #[arg(long)]
        values: bool,
    },
}

#[derive(clap::Args)]
struct RuleDirs {
    /// A directory of rule files (*.yaml) to add; a rule with a built-in rule's code replaces it.
    #[arg(long = "rules", value_name = "DIR")]
    dirs: Vec<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum GenerateFormat {
    /// Terraform JSON, as `cdktf synth` writes `cdk.tf.json`.
    TfJson,
    /// A `terraform show -json` plan from empty state.
    PlanJson,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

/// Exit status when a rule failed.
const FINDINGS: u8 = 1;
/// Exit status when an input or rule could not be loaded, or the command line is wrong.
const INPUT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check {
            paths,
            select,
            ignore,
            rules,
            format,
        } => run_check(&paths, &select, &ignore, &rules.dirs, format),
        Command::Rules { rules, format } => run_rules(&rules.dirs, format),
        Command::Explain { rule, rules } => run_explain(&rule, &rules.dirs),
        Command::Generate {
            environment_suffix,
            region,
            state_bucket,
            state_bucket_region,
            cluster_version,
            log_retention_days,
            azs,
            format,
            violations,
            output,
        } => {
            let options = generate::Options {
                suffix: environment_suffix,
                region,
                state_bucket,
                state_bucket_region,
                cluster_version,
                log_retention_days,
                azs: usize::from(azs),
                violations,
            };
            run_generate(&options, format, output.as_deref())
        }
        Command::Inspect {
            paths,
            format,
            values,
        } => run_inspect(&paths, format, values),
    };
    result.unwrap_or_else(|message| {
        eprintln!("error: {message}");
        ExitCode::from(INPUT_ERROR)
    })
}

/// A run ends with an exit code, or a message that ends it with status 2.
type Outcome = Result<ExitCode, String>;

fn run_check(
    paths: &[PathBuf],
    select: &[String],
    ignore: &[String],
    dirs: &[PathBuf],
    format: Format,
) -> Outcome {
    let rule_set = load_rules(dirs)?;
    let rules = chosen_rules(rule_set.rules, select, ignore)?;
    let (documents, errors) = load_inputs(paths);
    let errors: Vec<&LoadError> = errors.iter().collect();
    let evaluation = evaluate(&rules, &documents);
    let summary = Summary::new(&documents, &evaluation, &errors);
    write_stdout(|out| match format {
        Format::Human => report::human::write(out, &evaluation.findings, &summary),
        Format::Json => report::json::write(
            out,
            &evaluation.findings,
            errors.iter().map(|e| ErrorView::from(*e)).collect(),
            &summary,
        ),
    })?;
    Ok(if !errors.is_empty() {
        ExitCode::from(INPUT_ERROR)
    } else if evaluation
        .findings
        .iter()
        .any(|f| f.verdict == Verdict::Fail)
    {
        ExitCode::from(FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
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

fn run_rules(dirs: &[PathBuf], format: Format) -> Outcome {
    let rule_set = load_rules(dirs)?;
    write_stdout(|out| match format {
        Format::Human => {
            for rule in &rule_set.rules {
                writeln!(
                    out,
                    "{}  {:<28} {:<9} {}",
                    rule.code, rule.name, rule.severity, rule.title
                )?;
            }
            Ok(())
        }
        Format::Json => {
            let rules: Vec<serde_json::Value> = rule_set
                .rules
                .iter()
                .map(|rule| {
                    serde_json::json!({
                        "code": rule.code, "name": rule.name, "title": rule.title, "severity": rule.severity,
                        "compliance": rule.compliance, "resource_types": rule.resources.types,
                        "parameters": rule.parameters, "help": rule.help,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &serde_json::json!({ "rules": rules }))?;
            writeln!(out)
        }
    })?;
    Ok(ExitCode::SUCCESS)
}

fn run_explain(wanted: &str, dirs: &[PathBuf]) -> Outcome {
    let rule_set = load_rules(dirs)?;
    let rule = rule_set
        .find(wanted)
        .ok_or_else(|| format!("no rule is called `{wanted}`; `payplat rules` lists them"))?;
    write_stdout(|out| {
        writeln!(out, "# {} {}: {}\n", rule.code, rule.name, rule.title)?;
        writeln!(out, "Severity: {}", rule.severity)?;
        for (framework, requirements) in &rule.compliance {
            writeln!(out, "Supports: {framework} {}", requirements.join(", "))?;
        }
        writeln!(out, "Checks: {}", rule.resources.types.join(", "))?;
        for (name, default) in &rule.parameters {
            writeln!(out, "Parameter: {name} (default {default})")?;
        }
        writeln!(out, "\n{}", rule.doc.trim_end())?;
        writeln!(out, "\n## How to fix\n{}", rule.help)
    })?;
    Ok(ExitCode::SUCCESS)
}

fn run_generate(
    options: &generate::Options,
    format: GenerateFormat,
    output: Option<&std::path::Path>,
) -> Outcome {
    let document = match format {
        GenerateFormat::TfJson => generate::cdktf(options),
        GenerateFormat::PlanJson => generate::plan_json(options),
    };
    // As `cdktf synth` writes it: two-space indentation, sorted keys, no final newline.
    let text = serde_json::to_string_pretty(&document).map_err(|e| e.to_string())?;
    match output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => write_stdout(|out| out.write_all(text.as_bytes()))?,
    }
    Ok(ExitCode::SUCCESS)
}

fn run_inspect(paths: &[PathBuf], format: Format, with_values: bool) -> Outcome {
    let (documents, errors) = load_inputs(paths);
    let errors: Vec<&LoadError> = errors.iter().collect();
    let report = inspect::report(&documents, &errors, with_values);
    write_stdout(|out| match format {
        Format::Human => inspect::write_human(out, &report),
        Format::Json => inspect::write_json(out, &report),
    })?;
    Ok(if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(INPUT_ERROR)
    })
}

fn load_rules(dirs: &[PathBuf]) -> Result<RuleSet, String> {
    let rule_set = RuleSet::load(dirs).map_err(|errors: Vec<RuleError>| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        format!("cannot use the rules:\n  {}", lines.join("\n  "))
    })?;
    for replaced in &rule_set.replaced {
        eprintln!("note: {replaced}");
    }
    Ok(rule_set)
}

/// Loads every input; problems are printed to standard error as they are returned.
fn load_inputs(paths: &[PathBuf]) -> (Vec<Document>, Vec<LoadError>) {
    let discovered = discover(paths);
    for note in &discovered.notes {
        eprintln!("note: {note}");
    }
    let mut documents = Vec::new();
    let mut errors = discovered.errors;
    for loaded in load_all(&discovered.inputs) {
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
fn write_stdout(
    write: impl FnOnce(&mut std::io::StdoutLock) -> std::io::Result<()>,
) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match write(&mut out).and_then(|()| out.flush()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write the output: {error}"))
        }
        _ => Ok(()),
    }
}
