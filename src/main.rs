//! The command line: parses arguments and wires the library's steps together.

use clap::{Parser, Subcommand, ValueEnum};
use payplat::discover::discover;
use payplat::inspect;
use payplat::load::{LoadError, load_all};
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

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

/// Exit status when an input could not be loaded or the command line is wrong.
const INPUT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Inspect {
            paths,
            format,
            values,
        } => run_inspect(&paths, format, values),
    }
}

fn run_inspect(paths: &[PathBuf], format: Format, with_values: bool) -> ExitCode {
    let discovered = discover(paths);
    for note in &discovered.notes {
        eprintln!("note: {note}");
    }
    let (documents, load_errors): (Vec<_>, Vec<_>) = load_all(&discovered.inputs)
        .into_iter()
        .partition(Result::is_ok);
    let documents: Vec<_> = documents.into_iter().flatten().collect();
    let load_errors: Vec<LoadError> = load_errors.into_iter().filter_map(Result::err).collect();
    let errors: Vec<&LoadError> = discovered.errors.iter().chain(&load_errors).collect();
    for error in &errors {
        print_error(error);
    }
    let report = inspect::report(&documents, &errors, with_values);
    let mut out = std::io::stdout().lock();
    let written = match format {
        Format::Human => inspect::write_human(&mut out, &report),
        Format::Json => inspect::write_json(&mut out, &report),
    };
    match written.and_then(|()| out.flush()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("error: cannot write the output: {error}");
            return ExitCode::from(INPUT_ERROR);
        }
        _ => {}
    }
    if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(INPUT_ERROR)
    }
}

fn print_error(error: &LoadError) {
    eprintln!("error: {error}");
    if let Some(help) = error.help() {
        eprintln!("  help: {help}");
    }
}
