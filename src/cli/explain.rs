//! `payplat explain`.

use super::rules::{RuleDirs, rule_set};
use super::{Outcome, fail, write_stdout};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// A rule code (PP301) or name (irsa-trust-conditions).
    rule: String,
    #[command(flatten)]
    rules: RuleDirs,
}

pub(super) fn run(args: &Args) -> Outcome {
    let rule_set = rule_set(&args.rules)?;
    let wanted = &args.rule;
    let rule = rule_set.find(wanted).ok_or_else(|| {
        fail(format!(
            "no rule is called `{wanted}`; `payplat rules` lists them"
        ))
    })?;
    let info = &rule.info;
    write_stdout(|out| {
        writeln!(out, "# {} {}: {}\n", info.code, info.name, info.title)?;
        writeln!(out, "Severity: {}", info.severity)?;
        for (framework, requirements) in &info.compliance {
            writeln!(out, "Supports: {framework} {}", requirements.join(", "))?;
        }
        writeln!(out, "Checks: {}", rule.resources.types.join(", "))?;
        for (name, default) in &rule.parameters {
            writeln!(out, "Parameter: {name} (default {default})")?;
        }
        writeln!(out, "\n{}", info.doc.trim_end())?;
        writeln!(out, "\n## How to fix\n{}", info.help)
    })
}
