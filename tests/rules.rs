//! The built-in rules against their fixtures, the reference platform and the corpus.
//!
//! `fixtures/rules/<CODE>-<name>/{pass,fail,undetermined}/` hold inputs in tf.json, CDKTF and
//! plan form. A pass fixture yields no finding at all; a fail (undetermined) fixture yields only
//! findings of its own rule, all failing (undetermined). The findings are snapshotted.

use payplat::check::load_inputs;
use payplat::finding::{Finding, Verdict};
use payplat::load::load_file;
use payplat::model::Document;
use payplat::resolve::{Modules, resolve};
use payplat::rules::RuleSet;
use payplat::rules::{Evaluation, evaluate};
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn builtin() -> RuleSet {
    RuleSet::load(&[]).expect("the built-in rules load")
}

/// Every built-in rule: the `pci-dss` profile extends the default one.
fn every_builtin() -> RuleSet {
    RuleSet::load_profile(&[], "pci-dss").expect("the pci-dss profile loads")
}

/// The default profile's rules, and the rule `code` where it belongs to another profile: its
/// fixtures need hold only for the platform invariants and their own rule.
fn rules_for(code: &str) -> RuleSet {
    let mut rules = builtin();
    if rules.find(code).is_none()
        && let Some(rule) = every_builtin().find(code)
    {
        rules.rules.push(rule.clone());
    }
    rules
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

/// One line per finding, as stable as the findings themselves.
fn listing(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            let position = f
                .position
                .map(|p| format!("{}:{}", p.line, p.column))
                .unwrap_or_else(|| "-".into());
            format!(
                "{} {:?} {} {} {}\n  {}\n",
                f.rule.code,
                f.verdict,
                position,
                f.resource.address,
                f.pointer,
                f.message()
            )
        })
        .collect()
}

/// A fixture file, alone: the unrelated fixtures beside it are no module of it. A fixture
/// directory is one module of several files, with its variable files.
fn load_fixture(path: &Path) -> (Vec<Document>, Modules) {
    if path.is_dir() {
        let inputs = load_inputs(&[path.to_owned()], false);
        assert!(inputs.errors.is_empty(), "{}", inputs.errors[0]);
        return (inputs.documents, inputs.modules);
    }
    let mut documents = vec![load_file(path).unwrap_or_else(|e| panic!("{e}"))];
    let beside = files_in(path.parent().unwrap());
    let beside: Vec<&Path> = beside.iter().map(PathBuf::as_path).collect();
    let resolved = resolve(&mut documents, &beside);
    (documents, resolved.modules)
}

fn check(documents: &[Document], rules: &RuleSet) -> String {
    let Evaluation { findings, .. } = evaluate(&rules.rules, documents, &[vec![0]]);
    listing(&findings)
}

#[test]
fn every_rule_has_fixtures_that_pass_fail_and_stay_undetermined_in_every_form() {
    let rules = every_builtin();
    for rule in &rules.rules {
        let dir = root()
            .join("fixtures/rules")
            .join(format!("{}-{}", rule.info.code, rule.info.name));
        for verdict in ["pass", "fail", "undetermined"] {
            let files = files_in(&dir.join(verdict));
            for form in [".plan.json", ".cdk.tf.json"] {
                assert!(
                    files.iter().any(|f| f.to_string_lossy().ends_with(form)),
                    "{} has no {verdict} fixture in {form} form",
                    rule.info.code
                );
            }
            assert!(
                files.iter().any(|f| {
                    let n = f.to_string_lossy();
                    n.ends_with(".tf.json") && !n.ends_with(".cdk.tf.json")
                }),
                "{} has no {verdict} fixture in tf.json form",
                rule.info.code
            );
        }
    }
}

#[test]
fn fixtures_yield_exactly_their_verdicts() {
    for rule_dir in files_in(&root().join("fixtures/rules"))
        .iter()
        .filter(|d| d.is_dir())
    {
        let code = rule_dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .split('-')
            .next()
            .unwrap()
            .to_owned();
        let rules = rules_for(&code);
        for (verdict, expected) in [
            ("pass", None),
            ("fail", Some(Verdict::Fail)),
            ("undetermined", Some(Verdict::Undetermined)),
        ] {
            for file in files_in(&rule_dir.join(verdict)) {
                let (documents, modules) = load_fixture(&file);
                let evaluation = evaluate(&rules.rules, &documents, &modules);
                let name = file.strip_prefix(root()).unwrap().display().to_string();
                match expected {
                    None => assert!(
                        evaluation.findings.is_empty(),
                        "{name} should pass:\n{}",
                        listing(&evaluation.findings)
                    ),
                    Some(expected) => {
                        assert!(!evaluation.findings.is_empty(), "{name} yields no finding");
                        for finding in &evaluation.findings {
                            assert_eq!(
                                finding.rule.code,
                                code,
                                "{name}: another rule fired:\n{}",
                                listing(&evaluation.findings)
                            );
                            assert_eq!(
                                finding.verdict,
                                expected,
                                "{name}:\n{}",
                                listing(&evaluation.findings)
                            );
                            assert!(
                                finding.position.is_some(),
                                "{name}: {} is not located",
                                finding.pointer
                            );
                        }
                        // Beside the rule's fixtures: a new rule touches only rules/ and fixtures/.
                        let mut settings = insta::Settings::clone_current();
                        settings.set_snapshot_path(rule_dir.join("snapshots"));
                        settings.set_prepend_module_to_snapshot(false);
                        let file_name = file.file_name().unwrap().to_string_lossy();
                        settings.bind(|| {
                            insta::assert_snapshot!(
                                format!("{verdict}__{file_name}"),
                                listing(&evaluation.findings)
                            )
                        });
                    }
                }
            }
        }
    }
}

#[test]
fn the_reference_platform_fails_only_where_coredns_does_not_wait_for_its_fargate_profile() {
    let document = load_file(&root().join("../shared/reference/cdktf-synth/cdk.tf.json")).unwrap();
    let documents = [document];
    let rules = builtin();
    assert_eq!(
        verdicts(&documents, &vec![vec![0]], &rules),
        ["PP601 aws_eks_addon.microservices_coredns_addon_0C57B268 Fail"]
    );
    let evaluation = evaluate(&rules.rules, &documents, &[vec![0]]);
    let selected = documents[0]
        .resources
        .iter()
        .filter(|r| {
            rules.rules.iter().any(|rule| {
                rule.resources.mode == r.address.mode
                    && rule
                        .resources
                        .types
                        .iter()
                        .any(|ty| ty == r.address.resource_type())
            })
        })
        .count();
    // 3 repositories, 1 cluster, 6 roles, 4 Fargate profiles, 6 log groups, 3 add-ons, of which
    // PP601 leaves vpc-cni and kube-proxy alone: Fargate runs no DaemonSet.
    assert!(selected >= 23, "only {selected} resources selected");
    assert_eq!(evaluation.resources_checked, selected - 2);
}

#[test]
fn every_valid_corpus_file_is_checked() {
    let rules = builtin();
    let mut checked = 0;
    for kind in ["plan", "state", "tfjson", "cdktf"] {
        for file in files_in(&root().join("../shared/corpus").join(kind)) {
            // The invalid files are the loader's business (tests/corpus.rs); here only what loads.
            if let Ok(document) = load_file(&file) {
                let documents = [document];
                let evaluation = evaluate(&rules.rules, &documents, &[vec![0]]);
                checked += evaluation.resources_checked;
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} corpus resources were checked by a rule"
    );
}

fn rule_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

const KMS_RULE: &str = r#"
code: ORG001
name: log-group-kms
title: Log groups are encrypted with a customer-managed key
severity: low
help: Set `kms_key_id`.
doc: Log groups name a KMS key.
resources:
  types: [aws_cloudwatch_log_group]
check:
  path: $.kms_key_id
  exists: true
"#;

#[test]
fn a_user_rule_works_without_code_changes() {
    let dir = rule_dir(&[("log-group-kms.yaml", KMS_RULE)]);
    let rules = RuleSet::load(&[dir.path().to_owned()]).unwrap();
    assert_eq!(rules.rules.len(), builtin().rules.len() + 1);
    let with_key =
        load_file(&root().join("fixtures/rules/PP501-log-group-retention/pass/seven-days.tf.json"))
            .unwrap();
    let listing = check(&[with_key], &rules);
    assert!(listing.starts_with("ORG001 Fail"), "{listing}");
    assert!(listing.contains("`kms_key_id` is not set"), "{listing}");
}

#[test]
fn a_user_rule_replaces_the_built_in_rule_with_its_code() {
    let never_expire = include_str!("../rules/PP501-log-group-retention.yaml")
        .replace("allow_never_expire: false", "allow_never_expire: true");
    let dir = rule_dir(&[("retention.yaml", &never_expire)]);
    let rules = RuleSet::load(&[dir.path().to_owned()]).unwrap();
    assert_eq!(rules.replaced.len(), 1, "{:?}", rules.replaced);
    assert!(rules.replaced[0].contains("PP501"));
    let never = load_file(
        &root().join("fixtures/rules/PP501-log-group-retention/fail/never-expire.plan.json"),
    )
    .unwrap();
    let unset =
        load_file(&root().join("fixtures/rules/PP501-log-group-retention/fail/unset.tf.json"))
            .unwrap();
    let short = load_file(
        &root().join("fixtures/rules/PP501-log-group-retention/fail/three-days.cdk.tf.json"),
    )
    .unwrap();
    assert_eq!(check(&[never, unset], &rules), "");
    assert!(check(&[short], &rules).contains("is 3; expected at least 7"));
}

#[test]
fn rule_files_with_errors_are_rejected_with_file_line_and_reason() {
    let cases = [
        (
            "unknown-key.yaml",
            KMS_RULE.replace("severity: low", "severity: low\nseverity_level: 3"),
            "unknown field `severity_level`",
        ),
        (
            "bad-path.yaml",
            KMS_RULE.replace("$.kms_key_id", "$.[kms"),
            "invalid JSONPath",
        ),
        (
            "two-operators.yaml",
            KMS_RULE.replace("exists: true", "exists: true\n  equals: 1"),
            "exactly one operator",
        ),
        (
            "unknown-operator.yaml",
            KMS_RULE.replace("exists: true", "resembles: 1"),
            "unknown field `resembles`",
        ),
        (
            "bad-regex.yaml",
            KMS_RULE.replace("exists: true", "matches: '(unclosed'"),
            "invalid regular expression",
        ),
        (
            "undeclared-param.yaml",
            KMS_RULE.replace("exists: true", "at-least: {param: min_keys}"),
            "does not declare",
        ),
        ("not-yaml.yaml", "code: [".to_owned(), ""),
    ];
    for (name, text, reason) in cases {
        let dir = rule_dir(&[(name, &text)]);
        let errors = RuleSet::load(&[dir.path().to_owned()]).unwrap_err();
        let message = errors[0].to_string();
        assert!(
            message.starts_with(&dir.path().join(name).display().to_string()),
            "{message}"
        );
        assert!(message.contains(reason), "{name}: {message}");
        if name != "undeclared-param.yaml" {
            assert!(
                errors[0].position.is_some(),
                "{name}: no line and column in {message}"
            );
        }
    }
}

/// Each finding as rule, address and verdict: what must not depend on the input's language.
fn verdicts(documents: &[Document], modules: &Modules, rules: &RuleSet) -> Vec<String> {
    let evaluation = evaluate(&rules.rules, documents, modules);
    let mut found: Vec<String> = evaluation
        .findings
        .iter()
        .map(|f| format!("{} {} {:?}", f.rule.code, f.resource.address, f.verdict))
        .collect();
    found.sort();
    found.dedup();
    found
}

#[test]
fn every_tf_json_fixture_has_an_hcl_twin_with_the_same_verdicts() {
    let rules = every_builtin();
    let mut twins = 0;
    for rule_dir in files_in(&root().join("fixtures/rules")) {
        for verdict in ["pass", "fail", "undetermined"] {
            for fixture in files_in(&rule_dir.join(verdict)) {
                let name = fixture.to_string_lossy().into_owned();
                let twin = if fixture.is_dir() && !name.ends_with("-hcl") {
                    PathBuf::from(format!("{name}-hcl"))
                } else if name.ends_with(".tf.json") && !name.ends_with(".cdk.tf.json") {
                    PathBuf::from(name.replace(".tf.json", ".tf"))
                } else {
                    continue;
                };
                assert!(twin.exists(), "{name} has no HCL twin {}", twin.display());
                let (json_documents, json_modules) = load_fixture(&fixture);
                let (hcl_documents, hcl_modules) = load_fixture(&twin);
                assert_eq!(
                    verdicts(&hcl_documents, &hcl_modules, &rules),
                    verdicts(&json_documents, &json_modules, &rules),
                    "{} and {name} differ",
                    twin.display()
                );
                let evaluation = evaluate(&rules.rules, &hcl_documents, &hcl_modules);
                for finding in &evaluation.findings {
                    assert!(
                        payplat::load::is_native(&finding.document.path)
                            && finding.position.is_some(),
                        "{}: a finding of {} is not located in a .tf or .tofu file",
                        twin.display(),
                        finding.resource.address
                    );
                }
                twins += 1;
            }
        }
    }
    assert!(twins >= 50, "only {twins} twins");
}
