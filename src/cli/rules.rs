//! `payplat rules`.

use super::{Outcome, write_stdout};
use payplat::check::load_rules;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub(super) struct RuleDirs {
    /// A directory of rule files (*.yaml) to add; a rule with a built-in rule's code replaces it.
    #[arg(long = "rules", value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// The profile whose rules to use: `default` (the platform invariants, when not given) or
    /// `pci-dss`.
    #[arg(long)]
    pub profile: Option<String>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(super) enum ListFormat {
    Human,
    Json,
}

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    rules: RuleDirs,
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    format: ListFormat,
}

/// The rules in force, with the replacements user rules made told on standard error.
pub(super) fn rule_set(
    dirs: &RuleDirs,
) -> Result<payplat::rules::RuleSet, Box<dyn miette::Diagnostic + Send + Sync>> {
    let profile = dirs
        .profile
        .as_deref()
        .unwrap_or(payplat::rules::DEFAULT_PROFILE);
    let rule_set = load_rules(&dirs.dirs, profile)?;
    for replaced in &rule_set.replaced {
        eprintln!("note: {replaced}");
    }
    Ok(rule_set)
}

pub(super) fn run(args: &Args) -> Outcome {
    let rule_set = rule_set(&args.rules)?;
    write_stdout(|out| match args.format {
        ListFormat::Human => {
            let width = rule_set.rules.iter().map(|r| r.info.name.len()).max();
            for rule in rule_set.rules.iter().map(|r| &r.info) {
                writeln!(
                    out,
                    "{}  {:<width$} {:<9} {}",
                    rule.code,
                    rule.name,
                    rule.severity,
                    rule.title,
                    width = width.unwrap_or_default()
                )?;
            }
            Ok(())
        }
        ListFormat::Json => {
            let rules: Vec<serde_json::Value> = rule_set
                .rules
                .iter()
                .map(|rule| {
                    let info = &rule.info;
                    serde_json::json!({
                        "code": info.code, "name": info.name, "title": info.title, "severity": info.severity,
                        "compliance": info.compliance, "profile": rule.profile, "resource_types": rule.resources.types,
                        "parameters": rule.parameters, "help": info.help,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &serde_json::json!({ "rules": rules }))?;
            writeln!(out)
        }
    })
}
