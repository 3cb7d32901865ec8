//! `payplat check`, `rules` and `explain` as users run them.

use assert_cmd::Command;

fn payplat(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::cargo_bin("payplat")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code(),
        without_timing(&String::from_utf8(output.stdout).unwrap()),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// The summary line ends with how long the run took; snapshots cannot hold that.
fn without_timing(text: &str) -> String {
    text.lines()
        .map(|line| match line.rfind(" in ") {
            Some(at)
                if line[at..].ends_with('s')
                    && line[at + 4..line.len() - 1].parse::<f64>().is_ok() =>
            {
                &line[..at]
            }
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
        + if text.ends_with('\n') { "\n" } else { "" }
}

/// The built-in rules, as the library loads them: what the command line must show.
fn builtin() -> Vec<payplat::rules::Rule> {
    payplat::rules::RuleSet::load(&[]).unwrap().rules
}

/// Resources of `path` that some built-in rule selects.
fn selected_resources(path: &str) -> usize {
    let document = payplat::load::load_file(std::path::Path::new(path)).unwrap();
    let rules = builtin();
    document
        .resources
        .iter()
        .filter(|r| {
            rules.iter().any(|rule| {
                rule.resources.mode == r.address.mode
                    && rule
                        .resources
                        .types
                        .iter()
                        .any(|ty| ty == r.address.resource_type())
            })
        })
        .count()
}

const REFERENCE: &str = "../shared/reference/cdktf-synth/cdk.tf.json";
const FAILING: &str = "fixtures/rules/PP501-log-group-retention/fail/three-days.cdk.tf.json";
const UNDETERMINED: &str =
    "fixtures/rules/PP301-irsa-trust-conditions/undetermined/policy-unknown.plan.json";

#[test]
fn the_reference_platform_fails_only_on_its_coredns_addon() {
    let (code, stdout, stderr) = payplat(&["check", "--format", "json", REFERENCE]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let findings: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {} {}", f["rule"], f["address"], f["verdict"]))
        .collect();
    assert_eq!(
        findings,
        [r#""PP601" "aws_eks_addon.microservices_coredns_addon_0C57B268" "fail""#]
    );
}

#[test]
fn the_fixed_platform_passes_with_status_0() {
    let dir = tempfile::tempdir().unwrap();
    let fixed = dir.path().join("cdk.tf.json");
    let fixed = fixed.to_str().unwrap();
    let (code, _, stderr) = payplat(&["generate", "--fixed", "-o", fixed]);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stdout, stderr) = payplat(&["check", fixed]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(
        stdout,
        format!(
            "63 resources in 1 file, {} checked: 0 failing, 0 undetermined\n",
            // PP601 leaves the vpc-cni and kube-proxy add-ons alone: Fargate runs no DaemonSet.
            selected_resources(fixed) - 2
        )
    );
}

#[test]
fn failing_findings_give_status_1() {
    let (code, stdout, _) = payplat(&["check", FAILING, REFERENCE]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(stdout);
}

#[test]
fn undetermined_findings_are_reported_but_do_not_fail() {
    let (code, stdout, _) = payplat(&["check", UNDETERMINED]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("PP301 irsa-trust-conditions (critical) undetermined"),
        "{stdout}"
    );
}

#[test]
fn an_input_that_cannot_be_loaded_gives_status_2_and_the_rest_is_checked() {
    let (code, stdout, stderr) = payplat(&["check", FAILING, "missing.json"]);
    assert_eq!(code, Some(2));
    assert!(
        stdout.contains("PP501 log-group-retention (medium)"),
        "{stdout}"
    );
    assert!(
        stderr.starts_with("error: missing.json: cannot read"),
        "{stderr}"
    );
}

#[test]
fn json_output() {
    let (code, stdout, _) = payplat(&["check", "--format", "json", FAILING, UNDETERMINED]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(stdout);
}

#[test]
fn select_and_ignore_take_codes_or_names() {
    let (code, stdout, _) = payplat(&[
        "check",
        "--select",
        "PP101,eks-control-plane-logging",
        FAILING,
    ]);
    assert_eq!(code, Some(0), "{stdout}");
    let (code, _, _) = payplat(&["check", "--ignore", "log-group-retention", FAILING]);
    assert_eq!(code, Some(0));
    let (code, _, _) = payplat(&["check", "--select", "pp501", FAILING]);
    assert_eq!(code, Some(1));
}

#[test]
fn naming_a_rule_that_does_not_exist_is_a_usage_error() {
    let (code, _, stderr) = payplat(&["check", "--select", "no-such-rule", FAILING]);
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        "error: no rule is called `no-such-rule`; `payplat rules` lists them\n"
    );
}

#[test]
fn rules_are_listed() {
    let (code, stdout, _) = payplat(&["rules"]);
    assert_eq!(code, Some(0));
    // One aligned line per rule, in code order: `PP101  ecr-scan-on-push  high  ECR …`.
    let rules = builtin();
    let width = rules.iter().map(|r| r.info.name.len()).max().unwrap();
    let expected: Vec<String> = rules
        .iter()
        .map(|r| {
            format!(
                "{}  {:<width$} {:<9} {}",
                r.info.code, r.info.name, r.info.severity, r.info.title
            )
        })
        .collect();
    assert_eq!(stdout.lines().collect::<Vec<_>>(), expected);
    let (_, json, _) = payplat(&["rules", "--format", "json"]);
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    let codes: Vec<&str> = parsed["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    let builtin = builtin();
    let expected: Vec<&str> = builtin.iter().map(|r| r.info.code.as_str()).collect();
    assert_eq!(codes, expected);
    let retention = &parsed["rules"][codes.iter().position(|c| *c == "PP501").unwrap()];
    assert_eq!(retention["parameters"]["min_days"], 7);
}

#[test]
fn every_rule_explains_itself() {
    // Every profile's rules, found without `--profile`.
    for rule in payplat::rules::RuleSet::load_profile(&[], "pci-dss")
        .unwrap()
        .rules
    {
        let rule = rule.info.code.as_str();
        let (code, stdout, _) = payplat(&["explain", rule]);
        assert_eq!(code, Some(0));
        for section in [
            "## What it checks",
            "## Why it matters",
            "## Example",
            "## Use instead",
            "## How to fix",
        ] {
            assert!(stdout.contains(section), "{rule} lacks {section}");
        }
    }
    let (_, stdout, _) = payplat(&["explain", "irsa-trust-conditions"]);
    insta::assert_snapshot!(stdout);
    let (code, _, _) = payplat(&["explain", "PP000"]);
    assert_eq!(code, Some(2));
}

#[test]
fn a_broken_user_rule_stops_the_run_with_status_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.yaml"), "code: X1\nname: x\n").unwrap();
    let (code, stdout, stderr) =
        payplat(&["check", "--rules", dir.path().to_str().unwrap(), REFERENCE]);
    assert_eq!(code, Some(2));
    assert!(stdout.is_empty());
    assert!(stderr.contains("broken.yaml"), "{stderr}");
}

#[test]
fn shell_completions_load_in_bash_and_the_man_page_is_roff() {
    let (code, script, _) = payplat(&["completions", "bash"]);
    assert_eq!(code, Some(0));
    let output = std::process::Command::new("bash")
        .args([
            "--noprofile",
            "--norc",
            "-c",
            "source /dev/stdin; complete -p payplat",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut bash| {
            use std::io::Write;
            bash.stdin.take().unwrap().write_all(script.as_bytes())?;
            bash.wait_with_output()
        })
        .unwrap();
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("payplat"),
        "bash did not register the completion"
    );
    let (code, page, _) = payplat(&["man"]);
    assert_eq!(code, Some(0));
    assert!(
        page.contains(".TH payplat 1") && page.contains("check"),
        "{page}"
    );
}

#[test]
fn modules_that_could_not_be_read_are_said_in_words_and_fail_a_gate_that_requires_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "module \"vpc\" {\n  source  = \"terraform-aws-modules/vpc/aws\"\n  version = \"~> 5.0\"\n}\n",
    )
    .unwrap();
    let path = dir.path().to_str().unwrap();
    let (status, stdout, stderr) = payplat(&["check", path]);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(stdout.contains("0 checked"), "{stdout}");
    assert!(
        stderr.contains("warning: nothing was checked: 1 module the inputs call could not be read: module.vpc (`terraform-aws-modules/vpc/aws`: not downloaded)"),
        "{stderr}"
    );
    assert!(stderr.contains("--require-modules"), "{stderr}");
    let (status, _, stderr) = payplat(&["check", "--require-modules", path]);
    assert_eq!(status, Some(2), "{stderr}");
    assert!(stderr.contains("error: nothing was checked"), "{stderr}");
}

#[test]
fn evidence_on_a_module_directory_lists_every_file_read_once_with_its_digest() {
    let dir = "../shared/corpus-hcl/terraform-aws-modules__terraform-aws-iam/examples/iam-role-for-service-accounts";
    let (_, stdout, stderr) = payplat(&["check", "--format", "evidence", dir]);
    let evidence: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stderr}"));
    let inputs = evidence["inputs"].as_array().unwrap();
    let files: Vec<&str> = inputs.iter().map(|i| i["file"].as_str().unwrap()).collect();
    let mut once = files.clone();
    once.sort();
    once.dedup();
    assert_eq!(once.len(), files.len(), "listed twice: {files:#?}");
    // The called module's files are read too.
    assert!(
        files
            .iter()
            .any(|f| f.contains("modules/iam-role-for-service-accounts/main.tf")),
        "{files:#?}"
    );
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for input in inputs {
        let bytes = std::fs::read(root.join(input["file"].as_str().unwrap())).unwrap();
        assert_eq!(
            input["sha256"].as_str(),
            Some(payplat::text::sha256_of(&bytes).as_str()),
            "{input}"
        );
    }
}

#[test]
fn root_modules_checked_at_once_report_what_one_at_a_time_does() {
    let corpus = "../shared/corpus-hcl";
    if !std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(corpus)
        .is_dir()
    {
        eprintln!("skipped: no {corpus} beside the checkout");
        return;
    }
    let run = |jobs: &str| payplat(&["--jobs", jobs, "check", "--format", "json", corpus]);
    let (status, one, notes) = run("1");
    let report: serde_json::Value =
        serde_json::from_str(&one).unwrap_or_else(|_| panic!("{notes}"));
    assert!(
        report["summary"]["checked"].as_u64() > Some(100),
        "{report}"
    );
    assert!(notes.contains("is not read"), "{notes}");
    assert_eq!(run("4"), (status, one, notes));
}
