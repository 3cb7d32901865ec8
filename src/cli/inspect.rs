//! `payplat inspect`.

use super::rules::ListFormat;
use super::{Outcome, print_inputs, write_stdout};
use payplat::check::{INPUT_ERROR, load_inputs};
use payplat::inspect;
use payplat::load::LoadError;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Files or directories to read; `-` reads standard input.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    format: ListFormat,
    /// Also print each resource's values (sensitive values are redacted).
    #[arg(long)]
    values: bool,
}

pub(super) fn run(args: &Args) -> Outcome {
    let inputs = load_inputs(&args.paths, false);
    print_inputs(&inputs);
    let errors: Vec<&LoadError> = inputs.errors.iter().collect();
    let report = inspect::report(inputs.named(), &errors, args.values);
    write_stdout(|out| match args.format {
        ListFormat::Human => inspect::write_human(out, &report),
        ListFormat::Json => inspect::write_json(out, &report),
    })?;
    Ok(if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(INPUT_ERROR)
    })
}
