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
    let wanted = &args.rule;
    // Without `--profile`, the rule may be of any profile.
    let rule_set = match &args.rules.profile {
        Some(_) => rule_set(&args.rules)?,
        None => payplat::rules::RuleSet::load_every_profile(&args.rules.dirs)
            .map_err(payplat::check::CheckError::Rules)?,
    };
    let rule = rule_set.find(wanted).ok_or_else(|| {
        fail(format!(
            "no rule is called `{wanted}`; `payplat rules --profile pci-dss` lists them all"
        ))
    })?;
    let info = &rule.info;
    write_stdout(|out| {
        writeln!(out, "# {} {}: {}\n", info.code, info.name, info.title)?;
        writeln!(out, "Severity: {}", info.severity)?;
        writeln!(out, "Profile: {}", rule.profile)?;
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
