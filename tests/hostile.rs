//! Inputs built to hurt: huge, long, deep, wide, duplicated, not files at all, and rules that
//! try to take time. Each gets a clear error or a correct result, in bounded time (a process
//! timeout, not a speed assertion), never a panic; the other inputs are still checked.

use assert_cmd::Command;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// Generous: these runs take about a second; a hang or a quadratic blow-up does not finish.
const LIMIT: Duration = Duration::from_secs(120);

fn payplat_in(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::cargo_bin("payplat")
        .unwrap()
        .current_dir(dir)
        .timeout(LIMIT)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        stderr,
    )
}

const GOOD: &str = r#"{"resource": {"aws_cloudwatch_log_group": {"app": {"name": "app", "retention_in_days": 30}}}}"#;

#[test]
fn a_one_gigabyte_string_is_an_error_beside_a_good_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut file =
        std::io::BufWriter::new(std::fs::File::create(dir.path().join("huge.tf.json")).unwrap());
    file.write_all(b"{\"resource\": \"").unwrap();
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..1024 {
        file.write_all(&chunk).unwrap();
    }
    file.write_all(b"\"}").unwrap();
    file.flush().unwrap();
    drop(file);
    std::fs::write(dir.path().join("good.tf.json"), GOOD).unwrap();
    let (code, stdout, stderr) = payplat_in(dir.path(), &["check", "huge.tf.json", "good.tf.json"]);
    assert_eq!(code, Some(2), "{stdout}");
    assert!(
        stderr.contains("huge.tf.json: /resource: a block must be an object"),
        "{stderr}"
    );
    assert!(
        stdout.contains("1 resource in 1 file"),
        "the good file was not checked: {stdout}"
    );
}

#[test]
fn ten_million_elements_are_an_error_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let elements = vec!["0"; 10_000_000].join(",");
    std::fs::write(dir.path().join("plan.json"), format!(r#"{{"format_version": "1.2", "planned_values": {{"root_module": {{"resources": [{elements}]}}}}}}"#)).unwrap();
    let (code, _, stderr) = payplat_in(dir.path(), &["check", "plan.json"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("/planned_values/root_module/resources/0: a resource must be an object"),
        "{stderr}"
    );
}

#[test]
fn a_hundred_thousand_levels_of_nesting_do_not_overflow_the_stack() {
    let dir = tempfile::tempdir().unwrap();
    let depth = 100_000;
    std::fs::write(
        dir.path().join("deep.tf.json"),
        format!(
            "{{\"resource\": {}{}}}",
            "[".repeat(depth),
            "]".repeat(depth)
        ),
    )
    .unwrap();
    let (code, _, stderr) = payplat_in(dir.path(), &["check", "deep.tf.json"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("nests too deeply"), "{stderr}");
}

#[test]
fn duplicate_keys_resolve_to_the_last_as_json_parsers_do() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"{"resource": {"aws_cloudwatch_log_group": {"app": {"retention_in_days": 30, "retention_in_days": 1}}}}"#;
    std::fs::write(dir.path().join("dup.tf.json"), text).unwrap();
    let (code, stdout, _) = payplat_in(dir.path(), &["check", "--color", "never", "dup.tf.json"]);
    assert_eq!(code, Some(1));
    // The value checked and the column shown are the second key's.
    assert!(
        stdout.contains("`retention_in_days` is 1") && stdout.contains("dup.tf.json:1:98"),
        "{stdout}"
    );
}

#[test]
fn devices_are_not_read() {
    let (code, _, stderr) = payplat_in(Path::new("/"), &["check", "/dev/zero"]);
    assert_eq!(code, Some(2));
    assert_eq!(stderr.trim(), "error: /dev/zero: not a regular file");
}

#[test]
fn a_directory_of_ten_thousand_files_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..10_000 {
        std::fs::write(
            dir.path().join(format!("stack-{i:05}.tf.json")),
            GOOD.replace("\"app\"", &format!("\"app{i}\"")),
        )
        .unwrap();
    }
    let (code, stdout, stderr) = payplat_in(dir.path(), &["check", "."]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.starts_with("10000 resources in 10000 files, 10000 checked: 0 failing"),
        "{stdout}"
    );
}

#[test]
fn a_jsonpath_nested_a_hundred_thousand_deep_is_an_error_not_a_stack_overflow() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    let path = format!("${}@.a{}", "[?(".repeat(100_000), ")]".repeat(100_000));
    std::fs::write(
        dir.path().join("rules/deep.yaml"),
        format!("code: ORG003\nname: deep\ntitle: t\nseverity: low\nhelp: h\ndoc: d\nresources:\n  types: [aws_x]\ncheck:\n  path: \"{path}\"\n  exists: true\n"),
    )
    .unwrap();
    let (code, _, stderr) = payplat_in(dir.path(), &["rules", "--rules", "rules"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("deep.yaml:10:3: invalid JSONPath"),
        "{}",
        &stderr[..stderr.len().min(500)]
    );
    assert!(stderr.len() < 2_000, "the error quotes the whole path");
}

#[test]
fn a_catastrophic_regular_expression_runs_in_linear_time() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(
        dir.path().join("rules/backtrack.yaml"),
        "code: ORG002\nname: backtrack\ntitle: t\nseverity: low\nhelp: h\ndoc: d\nresources:\n  types: [aws_cloudwatch_log_group]\ncheck:\n  path: $.name\n  matches: '^(a+)+$'\n",
    )
    .unwrap();
    let name = format!("{}b", "a".repeat(100_000));
    std::fs::write(
        dir.path().join("main.tf.json"),
        GOOD.replace("\"name\": \"app\"", &format!("\"name\": \"{name}\"")),
    )
    .unwrap();
    let (code, stdout, _) = payplat_in(
        dir.path(),
        &[
            "check",
            "--rules",
            "rules",
            "--select",
            "ORG002",
            "--format",
            "json",
            "main.tf.json",
        ],
    );
    assert_eq!(code, Some(1));
    assert!(stdout.contains("\"rule\": \"ORG002\""), "{stdout}");
}

#[test]
fn a_broken_file_never_quotes_its_content_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("leak.tf.json"),
        r#"{"resource": {"aws_x": {"y": {"secret_string": canary-in-a-broken-file}}}}"#,
    )
    .unwrap();
    let (code, _, stderr) = payplat_in(dir.path(), &["check", "leak.tf.json"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("leak.tf.json:1:48: invalid JSON"),
        "{stderr}"
    );
    assert!(!stderr.contains("canary"), "{stderr}");
}

#[test]
fn broken_and_hostile_hcl_is_an_error_naming_file_and_line_beside_a_good_file() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, content: &[u8]| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    };
    let depth = 100_000;
    write("heredoc/main.tf", b"resource \"aws_iam_role\" \"r\" {\n  assume_role_policy = <<EOT\n{\"Version\": \"2012-10-17\"}\n");
    write(
        "brackets/main.tf",
        format!(
            "locals {{\n  deep = {}{}\n}}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        )
        .as_bytes(),
    );
    write(
        "blocks/main.tf",
        format!("{}{}", "a {\n".repeat(depth), "}\n".repeat(depth)).as_bytes(),
    );
    write(
        "templates/main.tf",
        format!(
            "locals {{\n  deep = \"{}x{}\"\n}}\n",
            "${\"".repeat(depth),
            "\"}".repeat(depth)
        )
        .as_bytes(),
    );
    write("utf8/main.tf", b"locals {\n  a = \"\xff\"\n}\n");
    write(
        "good/main.tf",
        b"resource \"aws_cloudwatch_log_group\" \"app\" {\n  retention_in_days = 30\n}\n",
    );
    let (code, stdout, stderr) = payplat_in(dir.path(), &["check", "."]);
    assert_eq!(code, Some(2), "{stdout}");
    for (file, line) in [
        ("heredoc/main.tf", ":3:"),
        ("brackets/main.tf", ":2:"),
        ("blocks/main.tf", ":65:"),
        ("templates/main.tf", ":2:"),
        ("utf8/main.tf", ":2:"),
    ] {
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with(&format!("error: ./{file}{line}"))),
            "{file}{line}: {stderr}"
        );
    }
    assert!(
        !stderr.contains("EOT\n{"),
        "an error quotes the file: {stderr}"
    );
    assert!(
        stdout.contains("1 resource in 1 file"),
        "the good file was not checked: {stdout}"
    );
}

/// A plan whose log group's values are `values`: read only when a rule reads them.
fn plan_with_log_group_values(values: &str) -> String {
    format!(
        r#"{{"format_version": "1.2", "planned_values": {{"root_module": {{"resources": [
          {{"address": "aws_cloudwatch_log_group.app", "mode": "managed", "type": "aws_cloudwatch_log_group", "name": "app", "values": {values}}}
        ]}}}}}}"#
    )
}

#[test]
fn values_a_later_parse_would_refuse_are_errors_of_their_file_while_loading() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good.tf.json"), GOOD).unwrap();
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    for (name, values, expected) in [
        (
            "deep.json",
            format!(r#"{{"retention_in_days": 30, "tags": {deep}}}"#),
            "nests too deeply: more than 128 levels in `/planned_values/root_module/resources/0/values`",
        ),
        (
            "huge-number.json",
            r#"{"retention_in_days": 1e999}"#.to_owned(),
            "/planned_values/root_module/resources/0/values: number out of range",
        ),
    ] {
        std::fs::write(dir.path().join(name), plan_with_log_group_values(&values)).unwrap();
        let (code, _, stderr) = payplat_in(dir.path(), &["check", name, "good.tf.json"]);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stderr.contains(&format!("{name}: ")), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!stderr.contains("good.tf.json"), "{stderr}");
    }
    // The same values, shallow and in range, are read when the rule asks.
    let shallow = plan_with_log_group_values(r#"{"retention_in_days": 3, "tags": [[["a"]]]}"#);
    std::fs::write(dir.path().join("shallow.json"), shallow).unwrap();
    let (code, stdout, stderr) = payplat_in(
        dir.path(),
        &["check", "--format", "json", "shallow.json", "good.tf.json"],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stdout.contains("`retention_in_days` is 3"), "{stdout}");
}
