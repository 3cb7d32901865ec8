//! Every output format on one set of inputs that fails all five rules in tf.json, CDKTF and plan
//! form; SARIF against its schema; configuration, suppressions, baseline and exit codes; and
//! no sensitive value in any of it.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

const FORMATS: [&str; 7] = [
    "human", "json", "sarif", "github", "junit", "markdown", "evidence",
];
const INPUTS: [&str; 3] = [
    "fixtures/report/violations.tf.json",
    "fixtures/report/violations.cdk.tf.json",
    "fixtures/report/violations.plan.json",
];
/// The rules the inputs were written to fail: rules added later do not change the reports.
const RULES: &str = "PP101,PP201,PP301,PP401,PP501";
/// Planted in the fixtures: secret content, and a value the plan marks sensitive where a failing
/// message would quote it.
const CANARIES: [&str; 2] = ["canary-secret-3c1f9a", "canary-sensitive-b72e41"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs payplat in `dir`; returns status, standard output (timing removed) and standard error.
fn payplat_in(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::cargo_bin("payplat")
        .unwrap()
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stdout = match stdout.rfind(" in ") {
        Some(at)
            if stdout.ends_with("s\n")
                && stdout[at + 4..stdout.len() - 2].parse::<f64>().is_ok() =>
        {
            format!("{}\n", &stdout[..at])
        }
        _ => stdout,
    };
    (
        output.status.code(),
        stdout,
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn payplat(args: &[&str]) -> (Option<i32>, String, String) {
    payplat_in(root(), args)
}

fn check(format: &str, extra: &[&str]) -> (Option<i32>, String, String) {
    let args: Vec<&str> = ["check", "--color", "never", "--format", format]
        .iter()
        .chain(if extra.contains(&"--select") {
            &[][..]
        } else {
            &["--select", RULES][..]
        })
        .chain(extra)
        .chain(&INPUTS)
        .copied()
        .collect();
    payplat(&args)
}

#[test]
fn every_format_is_snapshotted() {
    for format in FORMATS {
        let (code, stdout, stderr) = check(format, &[]);
        assert_eq!(code, Some(1), "{format}: {stderr}");
        insta::assert_snapshot!(format!("format_{format}"), stdout);
    }
}

#[test]
fn no_format_prints_a_sensitive_value_or_a_secret() {
    for format in FORMATS {
        let (_, stdout, stderr) = check(format, &[]);
        for canary in CANARIES {
            assert!(
                !stdout.contains(canary) && !stderr.contains(canary),
                "{format} prints {canary}"
            );
        }
    }
    for args in [
        &["inspect", "--values", "fixtures/report"][..],
        &["inspect", "--format", "json", "--values", "fixtures/report"],
    ] {
        let (_, stdout, stderr) = payplat(args);
        for canary in CANARIES {
            assert!(
                !stdout.contains(canary) && !stderr.contains(canary),
                "{args:?} prints {canary}"
            );
        }
    }
    // The sensitive value is where a failing message would quote it: the message says so instead.
    let (_, stdout, _) = check("json", &[]);
    assert!(
        stdout.contains("Principal.Federated` is (sensitive)"),
        "{stdout}"
    );
}

#[test]
fn color_is_used_only_when_asked_or_on_a_terminal() {
    let escape = "\u{1b}[";
    let (_, plain, _) = check("human", &[]);
    assert!(!plain.contains(escape), "colour written to a pipe");
    let args: Vec<&str> = ["check", "--color", "always"]
        .iter()
        .chain(&INPUTS)
        .copied()
        .collect();
    let (_, colored, _) = payplat(&args);
    assert!(colored.contains(escape), "--color always wrote no colour");
}

#[test]
fn long_single_line_plans_are_shown_as_short_excerpts() {
    let plan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root().join(INPUTS[2])).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("plan.json"),
        serde_json::to_string(&plan).unwrap(),
    )
    .unwrap();
    let (code, stdout, _) = payplat_in(
        dir.path(),
        &[
            "check",
            "--color",
            "never",
            "--select",
            "PP501",
            "plan.json",
        ],
    );
    assert_eq!(code, Some(1));
    assert!(stdout.contains("plan.json:1:"), "{stdout}");
    let longest = stdout.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(longest < 200, "a line of {longest} characters");
}

fn sarif_schema() -> PathBuf {
    let path = std::env::var_os("PAYPLAT_SARIF_SCHEMA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            root().join("target/sarif-schema/package/lib/schemas/sarif-2.1.0-rtm.5.json")
        });
    assert!(
        path.is_file(),
        "{} is missing: run scripts/fetch-sarif-schema (it needs npm), as .ci/run does",
        path.display()
    );
    path
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    let mut schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sarif_schema()).unwrap()).unwrap();
    // The published schema's `language` patterns have a stray `]` that ECMAScript reads as a
    // literal and other dialects reject; they mean a language tag such as `en` or `en-US`.
    let repaired = repair_patterns(
        &mut schema,
        "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$",
        "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$",
    );
    assert!(repaired > 0, "the schema changed: review this repair");
    let validator = jsonschema::draft4::new(&schema).expect("the SARIF schema compiles");
    let configured = tempfile::tempdir().unwrap();
    std::fs::write(configured.path().join("payplat.toml"), SUPPRESSING).unwrap();
    let config = configured.path().join("payplat.toml");
    for extra in [&[][..], &["--config", config.to_str().unwrap()]] {
        let (_, stdout, _) = check("sarif", extra);
        let log: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}", errors.join("\n"));
        let mut broken = log.clone();
        broken["runs"][0]["results"][0]["level"] = serde_json::json!("fatal");
        assert!(
            !validator.is_valid(&broken),
            "the validator accepts an invalid level"
        );
        let results = log["runs"][0]["results"].as_array().unwrap();
        assert!(
            results
                .iter()
                .any(|r| r["fixes"][0]["artifactChanges"][0]["replacements"].is_array()),
            "no result carries a fix: the schema check does not cover fixes"
        );
        assert!(
            results
                .iter()
                .all(|r| r["partialFingerprints"]["payplatFinding/v1"].is_string())
        );
        assert!(
            results
                .iter()
                .all(|r| r["locations"][0]["physicalLocation"]["region"]["startLine"].is_u64())
        );
        assert!(results.iter().all(|r| {
            !r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .starts_with('/')
        }));
    }
}

fn repair_patterns(value: &mut serde_json::Value, broken: &str, meant: &str) -> usize {
    match value {
        serde_json::Value::Object(members) => members
            .iter_mut()
            .map(|(key, member)| match member {
                serde_json::Value::String(pattern) if key == "pattern" && pattern == broken => {
                    *pattern = meant.to_owned();
                    1
                }
                _ => repair_patterns(member, broken, meant),
            })
            .sum(),
        serde_json::Value::Array(items) => items
            .iter_mut()
            .map(|item| repair_patterns(item, broken, meant))
            .sum(),
        _ => 0,
    }
}

const SUPPRESSING: &str = r#"
[[suppress]]
rule = "log-group-retention"
address = "aws_cloudwatch_log_group.*"
reason = "demo log groups are deleted with the sandbox"
expires = 2999-12-31
"#;

fn with_config(config: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("payplat.toml");
    std::fs::write(&path, config).unwrap();
    (dir, path)
}

#[test]
fn suppressed_findings_stay_in_the_report_and_do_not_fail() {
    let (_dir, config) = with_config(SUPPRESSING);
    let config = config.to_str().unwrap();
    let (code, stdout, _) = payplat(&[
        "check", "--format", "json", "--config", config, "--select", "PP501", INPUTS[0],
    ]);
    assert_eq!(code, Some(0), "{stdout}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    assert!(findings.iter().all(|f| f["status"] == "suppressed"
        && f["reason"] == "demo log groups are deleted with the sandbox"));
    assert_eq!(report["summary"]["suppressed"], findings.len());
}

#[test]
fn an_expired_suppression_stops_suppressing_and_says_so() {
    let (_dir, config) = with_config(&SUPPRESSING.replace("2999-12-31", "2000-01-01"));
    let (code, stdout, stderr) = payplat(&[
        "check",
        "--format",
        "json",
        "--config",
        config.to_str().unwrap(),
        "--select",
        "PP501",
        INPUTS[0],
    ]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("expired on 2000-01-01"), "{stderr}");
    assert!(
        stdout.contains("its suppression expired on 2000-01-01"),
        "{stdout}"
    );
}

#[test]
fn a_suppression_without_a_reason_is_an_error() {
    let (_dir, config) =
        with_config(&SUPPRESSING.replace("demo log groups are deleted with the sandbox", " "));
    let (code, _, stderr) = payplat(&["check", "--config", config.to_str().unwrap(), INPUTS[0]]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("needs a reason"), "{stderr}");
}

#[test]
fn fail_on_sets_the_threshold() {
    // PP401 and PP501 are medium: with the threshold at high they are reported but pass.
    let only_medium = ["--select", "PP401,PP501"];
    assert_eq!(check("json", &only_medium).0, Some(1));
    assert_eq!(
        check("json", &[&only_medium[..], &["--fail-on", "high"]].concat()).0,
        Some(0)
    );
    let (_dir, config) = with_config("fail-on = \"critical\"\n");
    assert_eq!(
        check(
            "json",
            &["--config", config.to_str().unwrap(), "--select", "PP101"]
        )
        .0,
        Some(0)
    );
    assert_eq!(
        check(
            "json",
            &["--config", config.to_str().unwrap(), "--select", "PP301"]
        )
        .0,
        Some(1)
    );
}

#[test]
fn rule_parameters_come_from_the_configuration() {
    let file = "fixtures/rules/PP501-log-group-retention/pass/thirty-days.cdk.tf.json";
    assert_eq!(payplat(&["check", file]).0, Some(0));
    let (_dir, config) = with_config("[rules.log-group-retention]\nmin_days = 365\n");
    let (code, stdout, _) = payplat(&[
        "check",
        "--color",
        "never",
        "--config",
        config.to_str().unwrap(),
        file,
    ]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("`retention_in_days` is 30; expected at least 365"),
        "{stdout}"
    );
}

#[test]
fn configuration_errors_name_the_file_line_and_problem() {
    for (text, problem) in [
        (
            "[rules.log-group-retention]\nmin_dayz = 365\n",
            "has no parameter `min_dayz`",
        ),
        (
            "[rules.log-group-retention]\nmin_days = \"a year\"\n",
            "must be like its default",
        ),
        (
            "[rules.no-such-rule]\nx = 1\n",
            "no rule is called `no-such-rule`",
        ),
        ("fail-on = \"severe\"\n", ":1:11: unknown variant `severe`"),
        ("selec = []\n", ":1:1: unknown field `selec`"),
    ] {
        let (_dir, config) = with_config(text);
        let (code, _, stderr) =
            payplat(&["check", "--config", config.to_str().unwrap(), INPUTS[0]]);
        assert_eq!(code, Some(2), "{text}");
        assert!(
            stderr.contains(&config.display().to_string()) && stderr.contains(problem),
            "{text}: {stderr}"
        );
    }
}

#[test]
fn the_configuration_is_found_from_the_working_directory_up() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("payplat.toml"), "ignore = [\"PP501\"]\n").unwrap();
    std::fs::create_dir(dir.path().join("stack")).unwrap();
    let input = root().join("fixtures/rules/PP501-log-group-retention/fail/unset.tf.json");
    let (code, _, _) = payplat_in(
        &dir.path().join("stack"),
        &["check", input.to_str().unwrap()],
    );
    assert_eq!(code, Some(0));
}

#[test]
fn a_baseline_fails_only_on_new_findings() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    let baseline = baseline.to_str().unwrap();
    let (code, _, _) = check("json", &["--write-baseline", baseline]);
    assert_eq!(code, Some(0), "writing the baseline accepts what is there");
    let (code, stdout, _) = check("json", &["--baseline", baseline]);
    assert_eq!(code, Some(0), "{stdout}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["status"] == "baselined" || f["verdict"] == "undetermined")
    );
    // A finding the baseline does not hold fails the run.
    let new = "fixtures/rules/PP101-ecr-scan-on-push/fail/no-scanning-block.tf.json";
    let args: Vec<&str> = ["check", "--baseline", baseline]
        .iter()
        .chain(&INPUTS)
        .chain(&[new])
        .copied()
        .collect();
    assert_eq!(payplat(&args).0, Some(1));
}

#[test]
fn exit_status_2_wins_over_findings() {
    let (code, _, stderr) = payplat(&["check", INPUTS[0], "no-such-file.json"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("no-such-file.json"), "{stderr}");
}

#[test]
fn a_payplat_ignore_comment_in_hcl_suppresses_until_it_expires_and_needs_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        r#"# Archived by the SIEM export, which keeps a year.
# payplat:ignore PP501 reason="archived by the SIEM export" until=2999-01-01
resource "aws_cloudwatch_log_group" "archive" {
  for_each          = toset(["a", "b"])
  retention_in_days = 1
}

// payplat:ignore log-group-retention reason="a past exception" until=2000-01-01
resource "aws_cloudwatch_log_group" "old" {
  retention_in_days = 1
}

# payplat:ignore PP101 reason="another rule's exception"
resource "aws_cloudwatch_log_group" "other_rule" {
  retention_in_days = 1
}
"#,
    )
    .unwrap();
    let path = dir.path().join("main.tf");
    let (code, stdout, stderr) = payplat(&["check", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stderr.contains("expired on 2000-01-01"), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let status: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["address"].as_str().unwrap().to_owned(),
                f["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        status,
        [
            (
                "aws_cloudwatch_log_group.archive[\"a\"]".to_owned(),
                "suppressed".to_owned()
            ),
            (
                "aws_cloudwatch_log_group.archive[\"b\"]".to_owned(),
                "suppressed".to_owned()
            ),
            (
                "aws_cloudwatch_log_group.old".to_owned(),
                "active".to_owned()
            ),
            (
                "aws_cloudwatch_log_group.other_rule".to_owned(),
                "active".to_owned()
            ),
        ]
    );
    std::fs::write(
        &path,
        "# payplat:ignore PP501\nresource \"aws_cloudwatch_log_group\" \"x\" {}\n",
    )
    .unwrap();
    let (code, _, stderr) = payplat(&["check", path.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("main.tf:1:1: a `payplat:ignore` comment needs a reason"),
        "{stderr}"
    );
}
