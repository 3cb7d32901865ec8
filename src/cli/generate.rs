//! `payplat generate`.

use super::{Outcome, choice, fail, write_stdout};
use payplat::generate::{self, Options, Violation};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum GenerateFormat {
    /// Terraform JSON, as `cdktf synth` writes `cdk.tf.json`.
    TfJson,
    /// A `terraform show -json` plan from empty state.
    PlanJson,
    /// A Terraform module in `.tf` files, one per concern, into the directory `-o` names.
    Hcl,
}

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[arg(long = "environment-suffix", default_value_t = Options::default().suffix)]
    suffix: String,
    #[arg(long, default_value_t = Options::default().region)]
    region: String,
    /// The S3 bucket of the Terraform state.
    #[arg(long, default_value_t = Options::default().state_bucket)]
    state_bucket: String,
    #[arg(long, default_value_t = Options::default().state_bucket_region)]
    state_bucket_region: String,
    #[arg(long, default_value_t = Options::default().cluster_version)]
    cluster_version: String,
    #[arg(long, default_value_t = Options::default().log_retention_days)]
    log_retention_days: u32,
    /// Availability zones, with a public and a private subnet in each.
    #[arg(long, default_value_t = Options::default().azs, value_parser = clap::value_parser!(u8).range(1..=26))]
    azs: u8,
    /// With `--format plan-json`: this many instances of the platform (`module.platform[N]`),
    /// 63 resources each, for large plans.
    #[arg(long, default_value_t = Options::default().copies, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    copies: u32,
    /// With `--copies`: the plan as Terraform writes one that changes existing resources of
    /// that many module calls (configuration of every resource, prior state, `before` values,
    /// `relevant_attributes`, `checks`): the shape of real plans, for benchmarks.
    #[arg(long)]
    full_plan: bool,
    /// Inject one violation of this rule (repeatable).
    #[arg(long = "violate", value_name = "RULE", value_parser = choice::<Violation>(Violation::ALL.map(|(_, name, help)| (name, help))))]
    violations: Vec<Violation>,
    /// Fix what the real synth gets wrong (CoreDNS does not wait for the kube-system Fargate
    /// profile, PP601): the platform that passes every rule of the default profile.
    #[arg(long)]
    fixed: bool,
    /// Harden the platform for the `pci-dss` profile: KMS keys for secrets, images and logs, a
    /// private API endpoint, immutable tags, rotated secrets, VPC flow logs, a year of logs.
    #[arg(long)]
    hardened: bool,
    #[arg(long, value_enum, default_value_t = GenerateFormat::TfJson)]
    format: GenerateFormat,
    /// Write to this file instead of standard output (with `--format hcl`: this directory).
    #[arg(short, long)]
    output: Option<PathBuf>,
}

pub(super) fn run(args: Args) -> Outcome {
    let options = Options {
        suffix: args.suffix,
        region: args.region,
        state_bucket: args.state_bucket,
        state_bucket_region: args.state_bucket_region,
        cluster_version: args.cluster_version,
        log_retention_days: args.log_retention_days,
        azs: args.azs,
        copies: args.copies,
        full_plan: args.full_plan,
        violations: args.violations,
        fixed: args.fixed,
        hardened: args.hardened,
    };
    if let GenerateFormat::Hcl = args.format {
        if options.hardened {
            return Err(fail(
                "--hardened writes Terraform JSON or a plan: use --format tf-json or plan-json",
            ));
        }
        let directory = args
            .output
            .ok_or_else(|| fail("--format hcl writes a module directory: add -o DIR"))?;
        std::fs::create_dir_all(&directory)
            .map_err(|e| fail(format!("cannot create {}: {e}", directory.display())))?;
        for (name, text) in generate::hcl_module(&options) {
            let path = directory.join(name);
            std::fs::write(&path, text)
                .map_err(|e| fail(format!("cannot write {}: {e}", path.display())))?;
        }
        return Ok(std::process::ExitCode::SUCCESS);
    }
    let text = match args.format {
        GenerateFormat::TfJson if options.copies > 1 => {
            return Err(fail("--copies makes plans: add --format plan-json"));
        }
        // As `cdktf synth` writes it: two-space indentation, sorted keys, no final newline.
        GenerateFormat::TfJson => serde_json::to_string_pretty(&generate::cdktf(&options)),
        // As `terraform show -json` writes it: one line.
        GenerateFormat::PlanJson => {
            serde_json::to_string(&generate::plan_json(&options)).map(|line| line + "\n")
        }
        GenerateFormat::Hcl => unreachable!("written above"),
    }
    .map_err(|e| fail(e.to_string()))?;
    match args.output {
        Some(path) => std::fs::write(&path, text)
            .map(|()| std::process::ExitCode::SUCCESS)
            .map_err(|e| fail(format!("cannot write {}: {e}", path.display()))),
        None => write_stdout(|out| out.write_all(text.as_bytes())),
    }
}
