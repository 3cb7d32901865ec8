//! `payplat check`.

use super::{Outcome, colour_for, engine, fail, format, print_inputs, severity, write_stdout};
use payplat::check::{self, Options};
use payplat::finding::Severity;
use payplat::report::{self, Format, Report, Summary};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum Color {
    /// When writing to a terminal and `NO_COLOR` is not set.
    Auto,
    Always,
    Never,
}

/// What to check, and with which rules: `check` and `fix` take the same.
#[derive(Debug, clap::Args)]
pub(super) struct Inputs {
    /// Files or directories to check; `-` reads standard input.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Only these rules (codes or names, comma-separated).
    #[arg(long, value_delimiter = ',')]
    select: Vec<String>,
    /// Not these rules (codes or names, comma-separated).
    #[arg(long, value_delimiter = ',')]
    ignore: Vec<String>,
    /// A directory of rule files (*.yaml) to add; a rule with a built-in rule's code replaces it.
    #[arg(long = "rules", value_name = "DIR")]
    rule_dirs: Vec<PathBuf>,
    /// The profile whose rules run: `default` (the platform invariants) or `pci-dss` (default:
    /// the configuration's `profile`, else `default`).
    #[arg(long)]
    profile: Option<String>,
    /// The configuration file (default: the nearest payplat.toml from here up).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Read the modules as this tool applies them (default: the configuration's `engine`, else
    /// OpenTofu for a directory with `.tofu` files, Terraform for the others).
    #[arg(long, value_parser = engine())]
    engine: Option<payplat::load::Engine>,
}

impl Inputs {
    /// The paths as given.
    pub(super) fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    /// The check options these name; the rest as `payplat check` defaults them.
    pub(super) fn options(&self) -> Options {
        Options {
            paths: self.paths.clone(),
            select: self.select.clone(),
            ignore: self.ignore.clone(),
            rule_dirs: self.rule_dirs.clone(),
            profile: self.profile.clone(),
            config: self.config.clone(),
            engine: self.engine,
            ..Options::default()
        }
    }
}

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    inputs: Inputs,
    /// The lowest severity of a failing finding that fails the run.
    #[arg(long, value_parser = severity())]
    fail_on: Option<Severity>,
    /// Fail only on findings this baseline does not hold.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Record the current findings as the baseline (the run then does not fail on them).
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    #[arg(long, value_parser = format(), default_value = "human")]
    format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also write a report in another format to a file, from the same run (repeatable):
    /// `--report sarif=payplat.sarif --report markdown=summary.md`.
    #[arg(long, value_name = "FORMAT=FILE", value_parser = parse_report)]
    report: Vec<(Format, PathBuf)>,
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Exit with status 2 when a module the inputs call cannot be read (not downloaded: run
    /// `terraform init` first), instead of checking without it.
    #[arg(long)]
    require_modules: bool,
    /// Fetch the modules the inputs call that are neither local nor where `terraform init` put
    /// them (registries, git, HTTPS archives) into the cache, as `terraform init` would.
    #[arg(long)]
    download_modules: bool,
    /// Read fetched modules from the cache alone: touch no network.
    #[arg(long)]
    offline: bool,
}

pub(super) fn run(args: Args) -> Outcome {
    let options = Options {
        fail_on: args.fail_on,
        baseline: args.baseline.clone(),
        write_baseline: args.write_baseline.clone(),
        digest: args.format == Format::Evidence
            || args.report.iter().any(|(f, _)| *f == Format::Evidence),
        require_modules: args.require_modules,
        downloads: match (args.offline, args.download_modules) {
            (true, _) => payplat::resolve::fetch::Downloads::Offline,
            (false, true) => payplat::resolve::fetch::Downloads::On,
            (false, false) => payplat::resolve::fetch::Downloads::Off,
        },
        ..args.inputs.options()
    };
    let progress = std::io::stderr().is_terminal()
        && options.downloads != payplat::resolve::fetch::Downloads::Off;
    if progress {
        payplat::resolve::fetch::on_progress(|step| eprint!("\r\x1b[2K{step}…"));
    }
    let prepared = check::prepare(&options);
    if progress {
        // The progress line, if there was one, gives way to what follows.
        eprint!("\r\x1b[2K");
    }
    let prepared = prepared?;
    for note in &prepared.notes {
        eprintln!("note: {note}");
    }
    print_inputs(&prepared.inputs);
    let mut ran = prepared.run()?;
    payplat::fix::attach(
        &mut ran.findings,
        &prepared.rules,
        &prepared.inputs,
        &payplat::fix::Files::default(),
    );
    for warning in &ran.warnings {
        eprintln!("warning: {warning}");
    }
    let documents = prepared.inputs.named();
    let errors = &prepared.inputs.errors;
    let mut summary = Summary::new(
        documents,
        &ran.findings,
        ran.resources_checked,
        errors.len(),
    );
    summary.elapsed = Some(ran.elapsed);
    let report = Report {
        findings: &ran.findings,
        checks: &ran.checks,
        documents,
        rules: &prepared.rules,
        errors,
        fail_on: prepared.fail_on,
        summary,
    };
    for (format, path) in &args.report {
        write_file(&report, *format, path, false)?;
    }
    match &args.output {
        Some(path) => write_file(&report, args.format, path, args.color == Color::Always)?,
        None => {
            let color = match args.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => colour_for(std::io::stdout().is_terminal()),
            };
            write_stdout(|out| report::write(args.format, &report, out, color))?;
        }
    }
    say_unread_modules(
        &prepared.inputs,
        ran.resources_checked,
        args.require_modules,
        args.download_modules || args.offline,
    );
    let status = ran.status;
    // The process ends here: the operating system takes back a large plan's model at once,
    // where dropping it would free it piece by piece (a tenth of a 100k-resource run).
    std::mem::forget(ran);
    std::mem::forget(prepared);
    Ok(ExitCode::from(status))
}

/// Modules the inputs call but payplat could not read, said in words: a gate that checked
/// nothing must not look like one that passed.
fn say_unread_modules(inputs: &check::Inputs, checked: usize, required: bool, fetched: bool) {
    let unread = &inputs.unread_modules;
    if unread.is_empty() || (checked > 0 && !required) {
        return;
    }
    let listed: Vec<String> = unread
        .iter()
        .take(5)
        .map(|m| format!("{} (`{}`: {})", m.call, m.source, m.why))
        .collect();
    let more = match unread.len() {
        n if n > 5 => format!(" and {} more", n - 5),
        _ => String::new(),
    };
    let what = if checked == 0 {
        "nothing was checked: "
    } else {
        ""
    };
    let verdict = if required { "error" } else { "warning" };
    eprintln!(
        "{verdict}: {what}{} the inputs call could not be read: {}{more}",
        payplat::text::plural(unread.len(), "module"),
        listed.join(", ")
    );
    let how = if fetched {
        "each says why it could not be fetched; or run `terraform init` where the root module is (payplat reads .terraform/modules)"
    } else {
        "check with --download-modules to fetch them, or run `terraform init` where the root module is (payplat reads .terraform/modules)"
    };
    let gate = if required {
        ""
    } else {
        "; `--require-modules` makes this an error (exit status 2) for gates"
    };
    eprintln!("  help: {how}{gate}");
}

fn write_file(
    report: &Report,
    format: Format,
    path: &Path,
    color: bool,
) -> Result<(), Box<dyn miette::Diagnostic + Send + Sync>> {
    let cannot = |e: std::io::Error| fail(format!("cannot write {}: {e}", path.display()));
    let file = std::fs::File::create(path).map_err(cannot)?;
    let mut file = std::io::BufWriter::new(file);
    report::write(format, report, &mut file, color)
        .and_then(|()| file.flush())
        .map_err(cannot)
}

fn parse_report(text: &str) -> Result<(Format, PathBuf), String> {
    let (format, path) = text
        .split_once('=')
        .ok_or("expected FORMAT=FILE, e.g. sarif=payplat.sarif")?;
    Ok((format.parse()?, PathBuf::from(path)))
}
