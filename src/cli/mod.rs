//! The command line: the only place that parses arguments and prints. Each command is a
//! module; the library does the work and returns what to say.

mod check;
mod explain;
mod fix;
mod generate;
mod inspect;
mod lsp;
mod rules;
mod test;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand};
use payplat::check::INPUT_ERROR;
use std::io::Write;
use std::process::ExitCode;
use std::str::FromStr;

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
    /// Check Terraform (.tf, *.tf.json), CDKTF synths (cdk.tf.json), plans and states against the rules.
    Check(check::Args),
    /// Fix failing findings where their values are set (.tf, *.tf.json, *.tfvars), then check again.
    Fix(fix::Args),
    /// List the rules in force.
    Rules(rules::Args),
    /// Print a rule's documentation.
    Explain(explain::Args),
    /// Check a rule directory's fixtures against the verdicts its expectations file promises.
    Test(test::Args),
    /// Write the reference payment platform: what compliant looks like.
    Generate(generate::Args),
    /// Print a shell completion script (e.g. `payplat completions bash > /etc/bash_completion.d/payplat`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `payplat man > payplat.1`.
    Man,
    /// Serve diagnostics, quick fixes and hovers to an editor (Language Server Protocol over stdio).
    Lsp,
    /// Print the resources payplat reads from .tf, *.tf.json, cdk.tf.json, plans and states.
    Inspect(inspect::Args),
}

/// A command ends with an exit status, or an error that ends it with status 2.
type Outcome = Result<ExitCode, Box<dyn miette::Diagnostic + Send + Sync>>;

/// Parses the command line and runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(jobs) = cli.jobs {
        // Only fails if a pool exists already, and none does before this point.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(jobs))
            .build_global();
    }
    let outcome = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Fix(args) => fix::run(args),
        Command::Rules(args) => rules::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Generate(args) => generate::run(args),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            write_stdout(|out| {
                clap_complete::generate(shell, &mut command, "payplat", out);
                Ok(())
            })
        }
        Command::Man => {
            let page = clap_mangen::Man::new(<Cli as clap::CommandFactory>::command());
            write_stdout(|out| page.render(out))
        }
        Command::Inspect(args) => inspect::run(&args),
        Command::Lsp => lsp::run(),
    };
    outcome.unwrap_or_else(|error| {
        print_error(error.as_ref());
        ExitCode::from(INPUT_ERROR)
    })
}

/// `error: …` on one line, as scripts read it; then, for each mistake in a file payplat has the
/// text of (a rule file, the configuration), the lines around it with the place marked.
fn print_error(error: &dyn miette::Diagnostic) {
    eprintln!("error: {error}");
    let related: Vec<&dyn miette::Diagnostic> = error.related().into_iter().flatten().collect();
    let handler = if colour_for(std::io::IsTerminal::is_terminal(&std::io::stderr())) {
        miette::GraphicalReportHandler::new()
    } else {
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
    };
    for diagnostic in std::iter::once(error).chain(related) {
        if diagnostic.source_code().is_none() || diagnostic.labels().is_none() {
            continue;
        }
        let mut excerpt = String::new();
        if handler.render_report(&mut excerpt, diagnostic).is_ok() {
            eprint!("{excerpt}");
        }
    }
}

/// Colour on a terminal unless `NO_COLOR` is set to something (no-color.org).
fn colour_for(terminal: bool) -> bool {
    terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// A message that ends a command with status 2.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{0}")]
struct Message(String);

fn fail(message: impl Into<String>) -> Box<dyn miette::Diagnostic + Send + Sync> {
    Box::new(Message(message.into()))
}

/// Writes to standard output; a closed pipe (`| head`) is not an error.
fn write_stdout(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Outcome {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(fail(format!("cannot write the output: {error}")))
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// A clap parser for a library type that lists its values, so the library needs no clap types.
fn choice<T>(
    values: impl IntoIterator<Item = (&'static str, &'static str)>,
) -> impl TypedValueParser<Value = T>
where
    T: FromStr<Err = String> + Clone + Send + Sync + 'static,
{
    let values = values.into_iter().map(|(name, help)| match help {
        "" => PossibleValue::new(name),
        help => PossibleValue::new(name).help(help),
    });
    PossibleValuesParser::new(values).try_map(|name| name.parse::<T>())
}

/// The severities, for clap.
fn severity() -> impl TypedValueParser<Value = payplat::finding::Severity> {
    choice(payplat::finding::Severity::ALL.map(|s| (s.as_str(), "")))
}

/// The tools a configuration is read for, for clap.
fn engine() -> impl TypedValueParser<Value = payplat::load::Engine> {
    choice(payplat::load::Engine::ALL)
}

/// The report formats, for clap.
fn format() -> impl TypedValueParser<Value = payplat::report::Format> {
    choice(payplat::report::Format::ALL.map(|(_, name, help)| (name, help)))
}

/// Prints what loading found wrong, and notes, on standard error.
fn print_inputs(inputs: &payplat::check::Inputs) {
    for note in &inputs.notes {
        eprintln!("note: {note}");
    }
    for error in &inputs.errors {
        eprintln!("error: {error}");
        if let Some(help) = error.help() {
            eprintln!("  help: {help}");
        }
    }
}
