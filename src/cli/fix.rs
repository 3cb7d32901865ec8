//! `payplat fix`.

use super::check::Inputs;
use super::{Outcome, fail, write_stdout};
use payplat::check::FINDINGS;
use payplat::fix::{self, Fixed, Named};
use std::io::Write;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// What to fix (.tf, *.tf.json, *.tfvars are edited; plans and CDKTF synths get what to
    /// change in their source), and with which rules.
    #[command(flatten)]
    inputs: Inputs,
    /// Print a unified diff of the fixes and write nothing (exit status 1 when there is
    /// something to fix).
    #[arg(long)]
    diff: bool,
    /// Also apply the fixes that replace an expression or change what other resources get.
    #[arg(long)]
    unsafe_fixes: bool,
}

pub(super) fn run(args: Args) -> Outcome {
    let options = fix::Options {
        check: args.inputs.options(),
        unsafe_fixes: args.unsafe_fixes,
        write: !args.diff,
    };
    let fixed = fix::fix(&options).map_err(|e| fail(e.to_string()))?;
    for error in &fixed.errors {
        eprintln!("error: {error}");
    }
    if args.diff {
        write_stdout(|out| diff(&fixed, out))?;
    }
    report(&fixed, &args);
    let status = if !fixed.errors.is_empty() {
        payplat::check::INPUT_ERROR
    } else if (args.diff && !fixed.applied.is_empty()) || !fixed.still_failing.is_empty() {
        FINDINGS
    } else {
        0
    };
    Ok(ExitCode::from(status))
}

fn diff(fixed: &Fixed, out: &mut dyn Write) -> std::io::Result<()> {
    for (path, (before, after)) in &fixed.files {
        let shown = payplat::report::relative_path(path);
        let diff = similar::TextDiff::from_lines(before.as_str(), after.as_str());
        write!(
            out,
            "{}",
            diff.unified_diff()
                .context_radius(3)
                .header(&format!("a/{shown}"), &format!("b/{shown}"))
        )?;
    }
    Ok(())
}

/// What was fixed and what is left, on standard error (the diff owns standard output).
fn report(fixed: &Fixed, args: &Args) {
    let verb = if args.diff { "would fix" } else { "fixed" };
    let list = |heading: &str, items: &[Named]| {
        if !items.is_empty() {
            eprintln!("{heading}");
            for item in items {
                eprintln!("  {} ({}): {}", item.finding, item.place, item.title);
            }
        }
    };
    list(&format!("{verb}:"), &fixed.applied);
    list(
        "unsafe fixes not applied (they replace an expression or change what other resources get):",
        &fixed.unsafe_left,
    );
    if !fixed.unsafe_left.is_empty() {
        let paths: Vec<String> = args
            .inputs
            .paths()
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        eprintln!(
            "  apply them with: payplat fix --unsafe-fixes {}",
            paths.join(" ")
        );
    }
    list("generated inputs: change their source:", &fixed.in_source);
    if !args.diff {
        list("still failing:", &fixed.still_failing);
    }
    eprintln!(
        "{verb} {} in {}; {} still failing",
        payplat::text::plural(fixed.applied.len(), "finding"),
        payplat::text::plural(fixed.files.len(), "file"),
        fixed.still_failing.len()
    );
}
