//! Hostile and broken inputs: each gets a clear error naming the file, never a panic; the other
//! inputs are still read; the exit status is 2.

use assert_cmd::Command;
use std::path::Path;

/// Runs `payplat inspect` in `dir` and returns (exit code, stdout, stderr).
fn inspect_in(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::cargo_bin("payplat")
        .unwrap()
        .current_dir(dir)
        .arg("inspect")
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

const GOOD: &str = r#"{"resource": {"aws_ecr_repository": {"app": {"name": "app"}}}}"#;

fn with_files(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

/// One broken file beside a good one: the error, and the good file still listed.
fn error_for(name: &str, content: &[u8]) -> String {
    let dir = with_files(&[(name, content), ("good.tf.json", GOOD.as_bytes())]);
    let (code, stdout, stderr) = inspect_in(dir.path(), &[name, "good.tf.json"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stdout.contains("aws_ecr_repository.app"),
        "the good file was not read: {stdout}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.starts_with(&format!("error: {name}")),
        "the error does not name the file: {stderr}"
    );
    stderr
}

#[test]
fn empty_file() {
    insta::assert_snapshot!(error_for("empty.tf.json", b""));
}

#[test]
fn truncated_json() {
    insta::assert_snapshot!(error_for(
        "plan.json",
        br#"{"format_version": "1.2", "planned_values": {"root_module": {"#
    ));
}

#[test]
fn invalid_utf8() {
    insta::assert_snapshot!(error_for(
        "latin1.tf.json",
        b"{\n  \"resource\": {\"x\": \"caf\xe9\"}\n}"
    ));
}

#[test]
fn nan_is_not_json() {
    insta::assert_snapshot!(error_for(
        "nan.tf.json",
        br#"{"resource": {"aws_x": {"y": {"n": NaN}}}}"#
    ));
}

#[test]
fn json_that_is_not_an_object() {
    insta::assert_snapshot!(error_for("list.tf.json", b"[1, 2, 3]"));
}

#[test]
fn json_that_is_not_terraform() {
    insta::assert_snapshot!(error_for(
        "package.json",
        br#"{"name": "app", "version": "1.0.0"}"#
    ));
}

#[test]
fn structure_that_is_not_terraform() {
    insta::assert_snapshot!(error_for(
        "plan.json",
        br#"{"format_version": "1.2", "planned_values": {"root_module": {"resources": [{"name": "x"}]}}}"#
    ));
}

#[test]
fn ten_thousand_deep_nesting() {
    let deep = format!(
        "{{\"resource\": {}{}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    insta::assert_snapshot!(error_for("deep.tf.json", deep.as_bytes()));
}

#[test]
fn utf16_with_a_byte_order_mark_loads() {
    let mut bytes = vec![0xff, 0xfe];
    bytes.extend(
        GOOD.replace("app", "utf16")
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    let dir = with_files(&[("windows.tf.json", &bytes)]);
    let (code, stdout, stderr) = inspect_in(dir.path(), &["windows.tf.json"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("aws_ecr_repository.utf16"), "{stdout}");
}

#[test]
fn a_directory_with_one_broken_file_among_good_ones() {
    let dir = with_files(&[
        ("stack/a.tf.json", GOOD.as_bytes()),
        ("stack/b.tf.json", b"{\"resource\": "),
        ("stack/c.tf.json", GOOD.replace("app", "other").as_bytes()),
        (
            "stack/package.json",
            br#"{"name": "not terraform, not named: skipped"}"#,
        ),
        ("stack/.terraform/modules/m.tf.json", b"not even json"),
    ]);
    let (code, stdout, stderr) = inspect_in(dir.path(), &["stack"]);
    assert_eq!(code, Some(2));
    assert!(
        stdout.contains("stack/a.tf.json") && stdout.contains("stack/c.tf.json"),
        "{stdout}"
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn a_missing_path() {
    let dir = with_files(&[("good.tf.json", GOOD.as_bytes())]);
    let (code, stdout, stderr) = inspect_in(dir.path(), &["missing.json", "good.tf.json"]);
    assert_eq!(code, Some(2));
    assert!(stdout.contains("aws_ecr_repository.app"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn a_directory_without_terraform_inputs_is_an_error_not_a_pass() {
    let dir = with_files(&[("notes.json", b"{\"a\": 1}"), ("main.tf.bak", b"# HCL")]);
    let output = Command::cargo_bin("payplat")
        .unwrap()
        .current_dir(dir.path())
        .args(["check", "."])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("error: .: no Terraform inputs under this directory"),
        "{stderr}"
    );
}

#[test]
fn an_unreadable_file() {
    // Reading this regular file fails with EIO even for root, who ignores file modes.
    let (code, _, stderr) = inspect_in(Path::new("/"), &["/proc/self/mem"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.starts_with("error: /proc/self/mem: cannot read:"),
        "{stderr}"
    );
}

#[test]
fn a_file_without_read_permission() {
    use std::os::unix::fs::PermissionsExt;
    let dir = with_files(&[("secret.tf.json", GOOD.as_bytes())]);
    let path = dir.path().join("secret.tf.json");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    let (code, _, stderr) = inspect_in(dir.path(), &["secret.tf.json"]);
    if std::fs::read(&path).is_ok() {
        // Running as root: modes do not stop reading, so the file loads like any other.
        assert_eq!(code, Some(0), "{stderr}");
    } else {
        assert_eq!(code, Some(2));
        assert!(
            stderr.starts_with("error: secret.tf.json: cannot read: Permission denied"),
            "{stderr}"
        );
    }
}

#[test]
fn a_directory_given_where_a_file_is_expected_is_walked_and_a_fifo_is_refused() {
    let dir = with_files(&[]);
    let fifo = dir.path().join("plan.json");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let (code, _, stderr) = inspect_in(dir.path(), &["plan.json"]);
    assert_eq!(code, Some(2));
    assert_eq!(stderr.trim(), "error: plan.json: not a regular file");
}

#[test]
fn a_symlink_loop_is_not_followed_forever() {
    let dir = with_files(&[("stack/main.tf.json", GOOD.as_bytes())]);
    std::os::unix::fs::symlink("..", dir.path().join("stack/up")).unwrap();
    let (code, stdout, stderr) = inspect_in(dir.path(), &["stack"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout.matches("aws_ecr_repository.app").count(),
        1,
        "{stdout}"
    );
    assert!(stderr.contains("symbolic link loop"), "{stderr}");
}
