//! `payplat fix` end to end: the reference platform with one violation comes back passing with
//! only the violating lines changed; `--diff` writes nothing; generated inputs and downloaded
//! modules are never edited; unsafe fixes wait for `--unsafe-fixes`.

use assert_cmd::Command;
use std::collections::BTreeSet;
use std::path::Path;

fn payplat(args: &[&str], dir: &Path) -> (Option<i32>, String, String) {
    let output = Command::cargo_bin("payplat")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// The files of a directory, by name.
fn files(dir: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// `(file, line number)` of every line that differs between two directories of the same files.
fn changed_lines(a: &Path, b: &Path) -> BTreeSet<(String, usize)> {
    let mut out = BTreeSet::new();
    for ((name, left), (_, right)) in files(a).iter().zip(files(b)) {
        let (left, right): (Vec<&str>, Vec<&str>) =
            (left.lines().collect(), right.lines().collect());
        for i in 0..left.len().max(right.len()) {
            if left.get(i) != right.get(i) {
                out.insert((name.clone(), i + 1));
            }
        }
    }
    out
}

fn generate(dir: &Path, name: &str, extra: &[&str]) -> std::path::PathBuf {
    let out = dir.join(name);
    let mut args = vec!["generate", "--format", "hcl", "-o", out.to_str().unwrap()];
    args.extend(extra);
    let (code, _, stderr) = payplat(&args, dir);
    assert_eq!(code, Some(0), "{stderr}");
    out
}

#[test]
fn a_violation_of_the_reference_platform_is_fixed_on_its_own_lines_only() {
    let scratch = tempfile::tempdir().unwrap();
    let reference = generate(scratch.path(), "reference", &["--fixed"]);
    let cases: [(&str, &[&str], &[&str]); 4] = [
        (
            "eks-control-plane-logging",
            &["--fixed", "--violate", "eks-control-plane-logging"],
            &[],
        ),
        (
            "log-group-retention",
            &["--fixed", "--violate", "log-group-retention"],
            &[],
        ),
        // `each.key != "payment"` is an expression: replacing it is unsafe.
        (
            "ecr-scan-on-push",
            &["--fixed", "--violate", "ecr-scan-on-push"],
            &["--unsafe-fixes"],
        ),
        // The platform as the real synth writes it: CoreDNS does not wait for kube-system.
        ("addons-wait", &[], &[]),
    ];
    for (name, generated, fix_args) in cases {
        let violated = generate(scratch.path(), name, generated);
        let before = generate(scratch.path(), &format!("{name}-before"), generated);
        let mut args = vec!["fix"];
        args.extend(fix_args);
        args.push(violated.to_str().unwrap());
        let (code, stdout, stderr) = payplat(&args, scratch.path());
        assert_eq!(code, Some(0), "{name}: {stdout}{stderr}");
        let (code, stdout, _) = payplat(&["check", violated.to_str().unwrap()], scratch.path());
        assert_eq!(code, Some(0), "{name} still fails:\n{stdout}");
        let violating = changed_lines(&reference, &before);
        let fixed = changed_lines(&before, &violated);
        assert!(!fixed.is_empty(), "{name}: nothing changed");
        assert!(
            fixed.is_subset(&violating),
            "{name}: the fix touched {:?}, the violation only {violating:?}",
            fixed.difference(&violating).collect::<Vec<_>>()
        );
        // Fixed once is fixed: a second run changes nothing.
        let (code, stdout, _) = payplat(
            &["fix", "--diff", violated.to_str().unwrap()],
            scratch.path(),
        );
        assert_eq!((code, stdout.as_str()), (Some(0), ""), "{name}");
    }
    // Where the fix writes what the reference writes, the result is the reference, byte for byte.
    let addons = scratch.path().join("addons-wait");
    assert_eq!(files(&addons), files(&reference));
}

const RETENTION: &str = r#"variable "days" {
  default = 3
}

resource "aws_cloudwatch_log_group" "payment" {
  name              = "payment"
  retention_in_days = var.days
}
"#;

#[test]
fn diff_writes_nothing_and_fails_when_there_is_something_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), RETENTION).unwrap();
    let (code, stdout, stderr) = payplat(&["fix", "--diff", "."], dir.path());
    assert_eq!(code, Some(1), "{stderr}");
    insta::assert_snapshot!("diff", stdout);
    insta::assert_snapshot!("diff_report", stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("main.tf")).unwrap(),
        RETENTION
    );
    let (code, _, stderr) = payplat(&["fix", "."], dir.path());
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        std::fs::read_to_string(dir.path().join("main.tf"))
            .unwrap()
            .contains("default = 7")
    );
    let (code, stdout, _) = payplat(&["fix", "--diff", "."], dir.path());
    assert_eq!((code, stdout.as_str()), (Some(0), ""));
}

#[test]
fn unsafe_fixes_wait_for_the_flag_and_the_report_says_how() {
    let dir = tempfile::tempdir().unwrap();
    // `var.days` also feeds the audit group, which passes: its default must not change.
    let text = format!(
        "{RETENTION}\nresource \"aws_cloudwatch_log_group\" \"audit\" {{\n  name              = \"audit\"\n  retention_in_days = var.days * 200\n}}\n"
    );
    std::fs::write(dir.path().join("main.tf"), &text).unwrap();
    let (code, _, stderr) = payplat(&["fix", "."], dir.path());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("unsafe fixes not applied"), "{stderr}");
    assert!(stderr.contains("payplat fix --unsafe-fixes ."), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("main.tf")).unwrap(),
        text
    );
    let (code, _, stderr) = payplat(&["fix", "--unsafe-fixes", "."], dir.path());
    assert_eq!(code, Some(0), "{stderr}");
    let fixed = std::fs::read_to_string(dir.path().join("main.tf")).unwrap();
    assert!(fixed.contains("default = 3"), "{fixed}");
    assert!(fixed.contains("retention_in_days = 7\n"), "{fixed}");
}

#[test]
fn generated_inputs_are_not_edited_and_say_what_to_change_in_their_source() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    for fixture in [
        "fixtures/rules/PP501-log-group-retention/fail/three-days.cdk.tf.json",
        "fixtures/rules/PP501-log-group-retention/fail/never-expire.plan.json",
    ] {
        let name = Path::new(fixture).file_name().unwrap();
        let copy = dir.path().join(name);
        std::fs::copy(root.join(fixture), &copy).unwrap();
        let before = std::fs::read(&copy).unwrap();
        let (code, _, stderr) = payplat(
            &["fix", "--select", "PP501", copy.to_str().unwrap()],
            dir.path(),
        );
        assert_eq!(code, Some(1), "{stderr}");
        assert_eq!(
            std::fs::read(&copy).unwrap(),
            before,
            "{fixture} was edited"
        );
        assert!(
            stderr.contains("generated inputs: change their source:"),
            "{stderr}"
        );
        let expected = if fixture.contains(".cdk.") {
            "set `retentionInDays: 7` on the CDKTF construct"
        } else {
            "set `retention_in_days = 7` on `aws_cloudwatch_log_group."
        };
        assert!(stderr.contains(expected), "{stderr}");
    }
}

#[test]
fn a_downloaded_module_is_never_edited_but_the_argument_that_feeds_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join(".terraform/modules/logs");
    std::fs::create_dir_all(&module).unwrap();
    std::fs::write(
        dir.path().join(".terraform/modules/modules.json"),
        r#"{"Modules": [{"Key": "", "Source": "", "Dir": "."}, {"Key": "logs", "Source": "registry.terraform.io/acme/logs/aws", "Dir": ".terraform/modules/logs"}]}"#,
    )
    .unwrap();
    let child = "variable \"days\" {}\n\nresource \"aws_cloudwatch_log_group\" \"fed\" {\n  name              = \"fed\"\n  retention_in_days = var.days\n}\n\nresource \"aws_cloudwatch_log_group\" \"fixed_in_module\" {\n  name              = \"own\"\n  retention_in_days = 1\n}\n";
    std::fs::write(module.join("main.tf"), child).unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "module \"logs\" {\n  source  = \"acme/logs/aws\"\n  version = \"1.0.0\"\n  days    = 3\n}\n",
    )
    .unwrap();
    let (code, _, stderr) = payplat(&["fix", "."], dir.path());
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(module.join("main.tf")).unwrap(),
        child
    );
    let root = std::fs::read_to_string(dir.path().join("main.tf")).unwrap();
    assert!(root.contains("  days    = 7\n"), "{root}");
    assert!(
        stderr.contains(
            "still failing:\n  PP501 module.logs.aws_cloudwatch_log_group.fixed_in_module"
        ),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_is_not_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("logs.tf");
    std::fs::write(&target, RETENTION).unwrap();
    std::os::unix::fs::symlink(&target, dir.path().join("main.tf")).unwrap();
    let (code, _, stderr) = payplat(&["fix", "."], dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), RETENTION);
}

#[test]
fn a_fix_is_described_as_the_file_it_goes_in_writes_it() {
    let scratch = tempfile::tempdir().unwrap();
    let hcl = generate(scratch.path(), "platform", &[]);
    let (_, stdout, stderr) = payplat(
        &[
            "check",
            "--format",
            "json",
            "--select",
            "PP601",
            hcl.to_str().unwrap(),
        ],
        scratch.path(),
    );
    let report: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stderr}"));
    let title = report["findings"][0]["fix"]["title"]
        .as_str()
        .unwrap_or_default();
    // `depends_on` lists references in HCL, not strings.
    assert!(
        title.ends_with(r#"add `depends_on = [aws_eks_fargate_profile.namespace["kube-system"]]`"#),
        "{title}"
    );
}
