//! `payplat test`: a rule directory's fixtures against its expectations file, for the built-in
//! rules and for a team's own.

use assert_cmd::Command;
use std::path::Path;

fn payplat(args: &[&str], dir: &Path) -> (Option<i32>, String, String) {
    let output = Command::cargo_bin("payplat")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_built_in_rules_meet_every_expectation_and_every_fixture_has_one() {
    let mut text = String::new();
    for file in ["expectations.yaml", "expectations-pci-dss.yaml"] {
        let expectations = root().join("fixtures/rules").join(file);
        let (code, stdout, stderr) = payplat(
            &[
                "test",
                "rules",
                "--expectations",
                expectations.to_str().unwrap(),
            ],
            root(),
        );
        assert_eq!(code, Some(0), "{file}: {stdout}{stderr}");
        assert!(stdout.contains(" expectations, 0 not met; "), "{stdout}");
        let fixes: usize = stdout
            .rsplit("; ")
            .next()
            .and_then(|tail| tail.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(stdout.ends_with(" fixes, 0 not as expected\n"), "{stdout}");
        assert!(fixes >= 10, "{file}: only {fixes} fixed fixtures tested");
        text.push_str(&std::fs::read_to_string(&expectations).unwrap());
    }
    // Every fixture of the layout `<rule>/<verdict>/<fixture>` is named, with its verdict.
    let mut fixtures = 0;
    for rule in std::fs::read_dir(root().join("fixtures/rules")).unwrap() {
        let rule = rule.unwrap().path();
        let code = rule.file_name().unwrap().to_string_lossy().into_owned();
        let code = code.split('-').next().unwrap();
        for verdict in ["pass", "fail", "undetermined"] {
            let Ok(entries) = std::fs::read_dir(rule.join(verdict)) else {
                continue;
            };
            for fixture in entries {
                let fixture = fixture.unwrap().path();
                let name = fixture.strip_prefix(root().join("fixtures/rules")).unwrap();
                let line = text
                    .lines()
                    .find(|l| l.trim_start().starts_with(&format!("{}:", name.display())))
                    .unwrap_or_else(|| panic!("{} has no expectation", name.display()));
                // A pass fixture may show where the rule does not apply.
                let allowed = match verdict {
                    "pass" => vec![format!("{code}: pass"), format!("{code}: not-applicable")],
                    _ => vec![format!("{code}: {verdict}")],
                };
                assert!(allowed.iter().any(|a| line.contains(a.as_str())), "{line}");
                fixtures += 1;
            }
        }
    }
    assert!(fixtures >= 290, "only {fixtures} fixtures");
}

const RULE: &str = r#"
code: ORG001
name: log-group-kms
title: Log groups are encrypted with a customer-managed key
severity: low
help: Set `kms_key_id`.
doc: Log groups name a KMS key.
resources:
  types: [aws_cloudwatch_log_group]
check:
  message: the log group is not encrypted with a customer-managed key
  path: $.kms_key_id
  exists: true
"#;

/// A team's rule directory: one rule, two fixtures, and these expectations.
fn user_rules(expectations: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = dir.path().join("fixtures");
    std::fs::create_dir(&fixtures).unwrap();
    std::fs::write(dir.path().join("ORG001-log-group-kms.yaml"), RULE).unwrap();
    std::fs::write(
        fixtures.join("with-key.tf"),
        "resource \"aws_cloudwatch_log_group\" \"audit\" {\n  name              = \"audit\"\n  retention_in_days = 365\n  kms_key_id        = aws_kms_key.logs.arn\n}\n",
    )
    .unwrap();
    std::fs::write(
        fixtures.join("without-key.tf.json"),
        r#"{"resource": {"aws_cloudwatch_log_group": {"audit": {"name": "audit", "retention_in_days": 365}}}}"#,
    )
    .unwrap();
    std::fs::write(fixtures.join("expectations.yaml"), expectations).unwrap();
    dir
}

#[test]
fn a_user_rule_directory_is_tested_the_same_way() {
    let dir = user_rules(
        "fixtures:\n  with-key.tf: {ORG001: pass, PP501: pass}\n  without-key.tf.json: {ORG001: fail, PP101: not-applicable}\n",
    );
    let (code, stdout, stderr) = payplat(&["test"], dir.path());
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(
        stdout,
        "4 expectations, 0 not met; 0 fixes, 0 not as expected\n"
    );
}

#[test]
fn a_user_rule_declares_its_fix_and_its_fixed_fixture_is_checked() {
    let dir = user_rules("fixtures:\n  fail/audit.tf: {ORG001: fail}\n");
    let rule = format!(
        "{RULE}fix:\n  title: encrypt with the logs key\n  set:\n    kms_key_id: alias/logs\n"
    );
    std::fs::write(dir.path().join("ORG001-log-group-kms.yaml"), rule).unwrap();
    let fixtures = dir.path().join("fixtures");
    std::fs::create_dir(fixtures.join("fail")).unwrap();
    std::fs::create_dir(fixtures.join("fixed")).unwrap();
    std::fs::write(
        fixtures.join("fail/audit.tf"),
        "resource \"aws_cloudwatch_log_group\" \"audit\" {\n  name = \"audit\" # the audit trail\n}\n",
    )
    .unwrap();
    let fixed = "resource \"aws_cloudwatch_log_group\" \"audit\" {\n  name       = \"audit\" # the audit trail\n  kms_key_id = \"alias/logs\"\n}\n";
    std::fs::write(fixtures.join("fixed/audit.tf"), fixed).unwrap();
    let (code, stdout, stderr) = payplat(&["test"], dir.path());
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(
        stdout,
        "1 expectations, 0 not met; 1 fixes, 0 not as expected\n"
    );
    // A fixed fixture that is not what the fix writes fails the test, with the difference.
    std::fs::write(
        fixtures.join("fixed/audit.tf"),
        fixed.replace("alias/logs", "alias/other"),
    )
    .unwrap();
    let (code, stdout, _) = payplat(&["test"], dir.path());
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL fixed/audit.tf: the fixed audit.tf differs"),
        "{stdout}"
    );
    assert!(
        stdout.contains("+  kms_key_id = \"alias/logs\""),
        "{stdout}"
    );
}

#[test]
fn a_wrong_expectation_fails_with_what_was_found_and_why() {
    let dir = user_rules(
        "fixtures:\n  with-key.tf: {ORG001: pass}\n  without-key.tf.json: {log-group-kms: pass}\n  missing.tf: {ORG001: pass}\n  with-key.tf: {ORG404: fail}\n",
    );
    let (code, stdout, _) = payplat(&["test"], dir.path());
    assert_eq!(
        code,
        Some(2),
        "a key given twice is a mistake in the file: {stdout}"
    );

    let dir = user_rules(
        "fixtures:\n  with-key.tf: {ORG001: pass, ORG404: fail}\n  without-key.tf.json: {log-group-kms: pass}\n  missing.tf: {ORG001: pass}\n",
    );
    let (code, stdout, _) = payplat(&["test"], dir.path());
    assert_eq!(code, Some(1), "{stdout}");
    insta::assert_snapshot!(stdout.replace(&dir.path().display().to_string(), "[DIR]"));
}

#[test]
fn an_unreadable_expectations_file_is_an_error_naming_it() {
    let dir = user_rules("fixtures: [not, a, map]\n");
    let (code, _, stderr) = payplat(&["test"], dir.path());
    assert_eq!(code, Some(2));
    assert!(stderr.contains("expectations.yaml"), "{stderr}");
    let empty = tempfile::tempdir().unwrap();
    let (code, _, stderr) = payplat(&["test"], empty.path());
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("no expectations file at ./fixtures/expectations.yaml")
            && stderr.contains("--expectations FILE"),
        "{stderr}"
    );
    let named = empty.path().join("gone.yaml");
    let (code, _, stderr) = payplat(
        &["test", "--expectations", named.to_str().unwrap()],
        empty.path(),
    );
    assert_eq!(code, Some(2));
    assert!(stderr.contains("gone.yaml: cannot read"), "{stderr}");
}
