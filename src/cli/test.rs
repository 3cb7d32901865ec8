//! `payplat test`.

use super::{Outcome, write_stdout};
use payplat::expect::{self, EXPECTATIONS_FILE};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The rule directory to test (its rules join the built-in ones).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// The expectations file (default: DIR/fixtures/expectations.yaml); fixtures are named
    /// relative to it.
    #[arg(long, value_name = "FILE")]
    expectations: Option<PathBuf>,
}

pub(super) fn run(args: &Args) -> Outcome {
    let expectations = args
        .expectations
        .clone()
        .unwrap_or_else(|| args.dir.join("fixtures").join(EXPECTATIONS_FILE));
    if args.expectations.is_none() && !expectations.is_file() {
        return Err(super::fail(format!(
            "no expectations file at {}: write one there, or name it with --expectations FILE \
             (the built-in rules' are fixtures/rules/expectations.yaml and expectations-pci-dss.yaml)",
            expectations.display()
        )));
    }
    let report = expect::run(Some(&args.dir), &expectations)?;
    let fixes = payplat::fix::fixtures::run(Some(&args.dir), &expectations)?;
    write_stdout(|out| {
        for mismatch in &report.mismatches {
            writeln!(out, "FAIL {mismatch}")?;
        }
        for failure in &fixes.failures {
            writeln!(out, "FAIL {failure}")?;
        }
        writeln!(
            out,
            "{} expectations, {} not met; {} fixes, {} not as expected",
            report.tested,
            report.mismatches.len(),
            fixes.tested,
            fixes.failures.len()
        )
    })?;
    Ok(
        if report.mismatches.is_empty() && fixes.failures.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        },
    )
}
