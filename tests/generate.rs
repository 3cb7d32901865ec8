//! `payplat generate`: equal to the real synth, compliant, and violating exactly what is asked.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;

fn payplat(args: &[&str], stdin: Option<Vec<u8>>) -> (Option<i32>, Vec<u8>) {
    let mut command = Command::cargo_bin("payplat").unwrap();
    command.current_dir(env!("CARGO_MANIFEST_DIR")).args(args);
    if let Some(stdin) = stdin {
        command.write_stdin(stdin);
    }
    let output = command.output().unwrap();
    assert!(
        output.stderr.is_empty() || output.status.code() != Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), output.stdout)
}

fn generate(args: &[&str]) -> Vec<u8> {
    let (code, out) = payplat(&[&["generate"], args].concat(), None);
    assert_eq!(code, Some(0));
    out
}

/// `(rule, verdict)` pairs of checking a document given on standard input.
fn verdicts(document: Vec<u8>) -> (Option<i32>, BTreeSet<(String, String)>) {
    let (code, out) = payplat(&["check", "--format", "json", "-"], Some(document));
    (code, pairs(&serde_json::from_slice(&out).unwrap()))
}

/// The `(rule, verdict)` pairs of a JSON report.
fn pairs(report: &Value) -> BTreeSet<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

const REFERENCE_ARGS: &[&str] = &[
    "--environment-suffix",
    "ref01",
    "--region",
    "us-east-1",
    "--state-bucket",
    "iac-state-ref",
];

#[test]
fn tf_json_equals_the_real_cdktf_synth() {
    let generated = generate(REFERENCE_ARGS);
    let reference = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/reference/cdktf-synth/cdk.tf.json"
    ))
    .unwrap();
    let as_json = |bytes: &[u8]| serde_json::from_slice::<Value>(bytes).unwrap();
    assert_eq!(as_json(&generated), as_json(&reference));
    // Nothing is ignored: the text is the synth's to the byte (sorted keys, two-space indent).
    assert!(generated == reference, "same JSON, different text");
}

#[test]
fn options_reach_the_output() {
    let generated: Value = serde_json::from_slice(&generate(&[
        "--environment-suffix",
        "prod7",
        "--region",
        "eu-west-1",
        "--cluster-version",
        "1.31",
        "--log-retention-days",
        "365",
        "--azs",
        "4",
    ]))
    .unwrap();
    let resources = &generated["resource"];
    let cluster = &resources["aws_eks_cluster"]["microservices_eks_cluster_A3E3BE71"];
    assert_eq!(cluster["name"], "eks-payment-cluster-prod7");
    assert_eq!(cluster["version"], "1.31");
    assert_eq!(
        cluster["vpc_config"]["subnet_ids"]
            .as_array()
            .unwrap()
            .len(),
        8
    );
    assert_eq!(resources["aws_subnet"].as_object().unwrap().len(), 8);
    let zones: BTreeSet<&str> = resources["aws_subnet"]
        .as_object()
        .unwrap()
        .values()
        .map(|s| s["availability_zone"].as_str().unwrap())
        .collect();
    assert_eq!(
        zones,
        BTreeSet::from(["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"])
    );
    assert!(
        resources["aws_cloudwatch_log_group"]
            .as_object()
            .unwrap()
            .values()
            .all(|g| g["retention_in_days"] == 365)
    );
    assert_eq!(
        generated["terraform"]["backend"]["s3"]["key"],
        "prod7/TapStackprod7.tfstate"
    );
}

#[test]
fn the_generated_platform_passes_in_both_forms() {
    for format in ["tf-json", "plan-json"] {
        let (code, found) = verdicts(generate(&["--fixed", "--format", format]));
        assert_eq!(code, Some(0), "{format}: {found:?}");
        assert!(
            found.iter().all(|(_, verdict)| verdict == "undetermined"),
            "{format}: {found:?}"
        );
    }
    // A synth is fully decidable; a plan from empty state leaves the IRSA trust policies to apply.
    assert!(verdicts(generate(&["--fixed"])).1.is_empty());
}

#[test]
fn without_fixed_the_platform_fails_as_the_real_synth_does() {
    for format in ["tf-json", "plan-json"] {
        let (code, found) = verdicts(generate(&["--format", format]));
        assert_eq!(code, Some(1), "{format}");
        let failing: Vec<&(String, String)> = found.iter().filter(|(_, v)| v == "fail").collect();
        assert_eq!(
            failing,
            [&("PP601".to_owned(), "fail".to_owned())],
            "{format}"
        );
    }
}

#[test]
fn each_violation_fails_exactly_its_rule() {
    // Each violation is named as its rule is; the rule set says which code that is.
    let rule_set = payplat::rules::RuleSet::load(&[]).unwrap();
    let rules: Vec<(&str, &str)> = payplat::generate::Violation::ALL
        .iter()
        .map(|(_, name, _)| {
            let rule = rule_set.find(name).expect("every violation names a rule");
            (*name, rule.info.code.as_str())
        })
        .collect();
    for format in ["tf-json", "plan-json"] {
        for &(name, code) in &rules {
            let (status, found) = verdicts(generate(&[
                "--fixed",
                "--format",
                format,
                "--violate",
                name,
            ]));
            assert_eq!(status, Some(1), "{format} --violate {name}");
            let failing: BTreeSet<&str> = found
                .iter()
                .filter(|(_, v)| v == "fail")
                .map(|(r, _)| r.as_str())
                .collect();
            assert_eq!(
                failing,
                BTreeSet::from([code]),
                "{format} --violate {name}: {found:?}"
            );
        }
    }
}

#[test]
fn fewer_zones_than_the_rule_wants_fail_it() {
    let (code, found) = verdicts(generate(&["--fixed", "--azs", "2"]));
    assert_eq!(code, Some(1));
    assert_eq!(
        found,
        BTreeSet::from([("PP401".to_owned(), "fail".to_owned())])
    );
}

#[test]
fn the_plan_has_the_shape_of_terraform_plans() {
    let plan: Value = serde_json::from_slice(&generate(&["--format", "plan-json"])).unwrap();
    // A plan Terraform 1.9.8 wrote (format 1.2): the same keys at every level.
    let corpus = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpus/plan/aquasecurity__trivy-checks__examples-terraform-plan-tfplan.json"
    ))
    .unwrap();
    let corpus: Value = serde_json::from_slice(&corpus).unwrap();
    let keys = |value: &Value| {
        value
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<BTreeSet<_>>()
    };
    for pointer in [
        "/resource_changes/0",
        "/resource_changes/0/change",
        "/configuration/root_module/resources/0",
        "/planned_values/root_module/resources/0",
    ] {
        assert_eq!(
            keys(plan.pointer(pointer).unwrap()),
            keys(corpus.pointer(pointer).unwrap()),
            "{pointer}"
        );
    }
    let mut top = keys(&corpus);
    top.remove("relevant_attributes");
    assert!(top.is_subset(&keys(&plan)), "{top:?}");
    assert_eq!(plan["format_version"], "1.2");
    let changes = plan["resource_changes"].as_array().unwrap();
    assert_eq!(changes.len(), 62);
    assert!(
        changes
            .iter()
            .all(|c| c["change"]["actions"] == serde_json::json!(["create"]))
    );
    let cluster = changes
        .iter()
        .find(|c| c["type"] == "aws_eks_cluster")
        .unwrap();
    assert_eq!(
        cluster["change"]["after"]["vpc_config"][0]["endpoint_private_access"],
        true
    );
    assert_eq!(cluster["change"]["after_unknown"]["identity"], true);
    assert_eq!(
        cluster["change"]["after_unknown"]["vpc_config"][0]["subnet_ids"],
        true
    );
    let role = changes
        .iter()
        .find(|c| c["name"] == "microservices_payment_irsa_role_515E5996")
        .unwrap();
    assert_eq!(
        role["change"]["after_unknown"]["assume_role_policy"], true,
        "the OIDC issuer is known only after apply"
    );
    let secret = changes
        .iter()
        .find(|c| c["type"] == "aws_secretsmanager_secret_version")
        .unwrap();
    assert_eq!(secret["change"]["after_sensitive"]["secret_string"], true);
}

/// Writes the platform as a module of `.tf` files and checks it: `(rule, verdict)` pairs and
/// how many resources were checked.
fn hcl_verdicts(args: &[&str]) -> (tempfile::TempDir, BTreeSet<(String, String)>, u64) {
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("platform");
    let module_arg = module.to_str().unwrap();
    generate(&[&["--fixed", "--format", "hcl", "-o", module_arg], args].concat());
    let (_, out) = payplat(&["check", "--format", "json", module_arg], None);
    let report: Value = serde_json::from_slice(&out).unwrap();
    let checked = report["summary"]["checked"].as_u64().unwrap();
    (dir, pairs(&report), checked)
}

#[test]
fn the_hcl_module_passes_and_each_violation_fails_exactly_its_rule() {
    let (dir, pairs, checked) = hcl_verdicts(&[]);
    assert_eq!(pairs, BTreeSet::new());
    // 3 repositories, the cluster, 4 Fargate profiles, 6 roles, 6 log groups, the CoreDNS add-on.
    assert_eq!(checked, 21);
    let files: Vec<String> = std::fs::read_dir(dir.path().join("platform"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files.len() >= 8 && files.iter().all(|f| f.ends_with(".tf")),
        "{files:?}"
    );
    for (rule, name) in [
        ("PP101", "ecr-scan-on-push"),
        ("PP201", "eks-control-plane-logging"),
        ("PP301", "irsa-trust-conditions"),
        ("PP401", "subnets-span-three-azs"),
        ("PP501", "log-group-retention"),
    ] {
        let (_dir, pairs, _) = hcl_verdicts(&["--violate", name]);
        assert_eq!(
            pairs,
            BTreeSet::from([(rule.to_owned(), "fail".to_owned())]),
            "{name}"
        );
    }
    let (_dir, pairs, _) = hcl_verdicts(&["--azs", "2"]);
    assert_eq!(
        pairs,
        BTreeSet::from([("PP401".to_owned(), "fail".to_owned())])
    );
}

#[test]
fn the_hcl_module_is_formatted_as_terraform_fmt_aligns_it_and_takes_the_options() {
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("m");
    generate(&[
        "--format",
        "hcl",
        "-o",
        module.to_str().unwrap(),
        "--environment-suffix",
        "qa7",
        "--region",
        "eu-west-1",
        "--state-bucket",
        "tf-state-qa",
    ]);
    let mut all = String::new();
    for entry in std::fs::read_dir(&module).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert_eq!(
            payplat::generate::align_equals(&text),
            text,
            "not aligned as terraform fmt aligns"
        );
        assert!(text.ends_with("}\n") && !text.contains(" \n") && !text.contains('\t'));
        hcl::from_str::<hcl::Body>(&text).unwrap();
        all.push_str(&text);
    }
    for expected in [
        "default     = \"qa7\"",
        "default     = \"eu-west-1\"",
        "bucket  = \"tf-state-qa\"",
        "\"eu-west-1a\", \"eu-west-1b\", \"eu-west-1c\"",
    ] {
        assert!(all.contains(expected), "{expected} is not in the module");
    }
    let (code, _) = payplat(&["generate", "--format", "hcl"], None);
    assert_eq!(code, Some(2), "hcl needs a directory");
}

/// `(rule, address, verdict)` of every finding of the `pci-dss` profile on a document.
fn pci_findings(document: Vec<u8>) -> (Option<i32>, Vec<String>) {
    let (code, out) = payplat(
        &["check", "--profile", "pci-dss", "--format", "json", "-"],
        Some(document),
    );
    let report: Value = serde_json::from_slice(&out).unwrap();
    let findings = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {} {}", f["rule"], f["address"], f["verdict"]).replace('"', ""))
        .collect();
    (code, findings)
}

#[test]
fn the_seed_platform_has_the_findings_a_pci_dss_assessment_lists() {
    let (code, findings) = pci_findings(generate(REFERENCE_ARGS));
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(findings.join("\n"));
}

#[test]
fn the_hardened_platform_passes_the_pci_dss_profile() {
    let (code, findings) = pci_findings(generate(&["--fixed", "--hardened"]));
    assert_eq!(code, Some(0));
    assert!(findings.is_empty(), "{findings:#?}");
    // From empty state, the new KMS key's ARN and the policies built from new ARNs are known
    // only after apply: nothing fails, some checks wait for apply.
    let (code, findings) = pci_findings(generate(&[
        "--fixed",
        "--hardened",
        "--format",
        "plan-json",
    ]));
    assert_eq!(code, Some(0));
    assert!(
        findings.iter().all(|f| f.ends_with(" undetermined")),
        "{findings:#?}"
    );
    let (code, _) = payplat(
        &["generate", "--hardened", "--format", "hcl", "-o", "x"],
        None,
    );
    assert_eq!(code, Some(2));
}

#[test]
fn a_full_shape_plan_is_read_as_its_thin_twin() {
    // The same platform, as Terraform writes a plan that updates resources of three module
    // calls: every resource configured, before values, prior state, relevant attributes, checks.
    let full = generate(&["--format", "plan-json", "--copies", "3", "--full-plan"]);
    let plan: Value = serde_json::from_slice(&full).unwrap();
    let calls = plan["configuration"]["root_module"]["module_calls"]
        .as_object()
        .unwrap();
    assert_eq!(calls.len(), 3);
    assert!(
        calls
            .values()
            .all(|c| c["module"]["resources"].as_array().unwrap().len() > 60)
    );
    assert!(plan["prior_state"]["values"]["root_module"]["child_modules"].is_array());
    assert!(plan["relevant_attributes"].as_array().unwrap().len() > 100);
    assert_eq!(
        plan["resource_changes"][0]["change"]["actions"],
        serde_json::json!(["update"])
    );
    let (code, found) = verdicts(full);
    let (_, thin) = verdicts(generate(&["--format", "plan-json", "--copies", "3"]));
    assert_eq!(code, Some(1));
    assert_eq!(found, thin);
    assert!(
        found.contains(&("PP601".to_owned(), "fail".to_owned())),
        "{found:?}"
    );
}
