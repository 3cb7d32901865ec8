//! The command line: parses arguments and wires the library's steps together.

use clap::{Parser, Subcommand, ValueEnum};
use payplat::check::{self, INPUT_ERROR, load_inputs, load_rules, write_stdout};
use payplat::generate;
use payplat::inspect;
use payplat::load::LoadError;
use std::path::PathBuf;
use std::process::ExitCode;

// Loading a plan makes millions of small allocations; mimalloc serves them in about half the
// time the system allocator takes (see bench/run.sh).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "payplat",
    version,
    about = "Policy and compliance checks for synthesized Terraform plans"
)]
struct Cli {
    /// Threads to load and check with (default: one per core).
    #[arg(long, short = 'j', global = true, value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check plans, states, *.tf.json and cdk.tf.json files against the rules.
    Check(check::Options),
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
        #[command(flatten)]
        options: generate::Options,
        #[arg(long, value_enum, default_value_t = GenerateFormat::TfJson)]
        format: GenerateFormat,
        /// Write to this file instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Print a shell completion script (e.g. `payplat completions bash > /etc/bash_completion.d/payplat`).
    Completions { shell: clap_complete::Shell },
    /// Print the manual page (roff), e.g. `payplat man > payplat.1`.
    Man,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(jobs) = cli.jobs {
        // Only fails if a pool exists already, and none does before this point.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(jobs))
            .build_global();
    }
    let result = match cli.command {
        Command::Check(options) => check::run(&options).map(ExitCode::from),
        Command::Rules { rules, format } => run_rules(&rules.dirs, format),
        Command::Explain { rule, rules } => run_explain(&rule, &rules.dirs),
        Command::Generate {
            options,
            format,
            output,
        } => run_generate(&options, format, output.as_deref()),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            write_stdout(|out| {
                clap_complete::generate(shell, &mut command, "payplat", out);
                Ok(())
            })
            .map(|()| ExitCode::SUCCESS)
        }
        Command::Man => {
            let page = clap_mangen::Man::new(<Cli as clap::CommandFactory>::command());
            write_stdout(|out| page.render(out)).map(|()| ExitCode::SUCCESS)
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
    let text = match format {
        GenerateFormat::TfJson if options.copies > 1 => {
            return Err("--copies makes plans: add --format plan-json".into());
        }
        // As `cdktf synth` writes it: two-space indentation, sorted keys, no final newline.
        GenerateFormat::TfJson => serde_json::to_string_pretty(&generate::cdktf(options)),
        // As `terraform show -json` writes it: one line.
        GenerateFormat::PlanJson => {
            serde_json::to_string(&generate::plan_json(options)).map(|line| line + "\n")
        }
    }
    .map_err(|e| e.to_string())?;
    match output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => write_stdout(|out| out.write_all(text.as_bytes()))?,
    }
    Ok(ExitCode::SUCCESS)
}

fn run_inspect(paths: &[PathBuf], format: Format, with_values: bool) -> Outcome {
    let (documents, errors) = load_inputs(paths, false);
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
