//! `payplat inspect` as users run it: what it shows, and what it never shows.

use assert_cmd::Command;
use std::path::Path;

fn payplat() -> Command {
    let mut command = Command::cargo_bin("payplat").unwrap();
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

fn stdout_of(args: &[&str]) -> String {
    let output = payplat().args(args).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn human_view_of_every_form() {
    insta::assert_snapshot!(stdout_of(&["inspect", "fixtures/inspect"]));
}

#[test]
fn json_view_of_a_plan() {
    insta::assert_snapshot!(stdout_of(&[
        "inspect",
        "--format",
        "json",
        "fixtures/inspect/plan.json"
    ]));
}

#[test]
fn json_view_of_a_cdktf_synth_names_construct_paths_and_references() {
    insta::assert_snapshot!(stdout_of(&[
        "inspect",
        "--format",
        "json",
        "fixtures/inspect/cdktf.out/stacks/payments/cdk.tf.json"
    ]));
}

#[test]
fn the_reference_synth_shows_every_construct_path() {
    let reference =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/cdktf-synth/cdk.tf.json");
    let out = stdout_of(&["inspect", reference.to_str().unwrap()]);
    let listed: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(listed.len(), 63);
    assert!(
        listed
            .iter()
            .all(|line| line.contains("(TapStackref01/microservices/")),
        "{out}"
    );
}

#[test]
fn standard_input_is_read_for_a_dash() {
    let plan =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/inspect/plan.json"))
            .unwrap();
    let output = payplat()
        .args(["inspect", "-"])
        .write_stdin(plan)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let out = String::from_utf8(output.stdout).unwrap();
    assert!(
        out.starts_with("<stdin>: plan (format 1.2), 8 resources, 1 data source, 2 modules"),
        "{out}"
    );
}

#[test]
fn values_are_shown_with_secrets_redacted_in_every_format() {
    for format in ["human", "json"] {
        let out = stdout_of(&[
            "inspect",
            "--values",
            "--format",
            format,
            "fixtures/inspect",
        ]);
        assert!(
            out.contains("payment-service"),
            "values are missing from {format}"
        );
        assert!(
            out.contains("(sensitive)"),
            "no redaction marker in {format}"
        );
        for canary in ["canary-plan-secret-7f3a", "canary-cdktf-secret-91c2"] {
            assert!(
                !out.contains(canary),
                "{format} output prints the secret {canary}"
            );
        }
    }
}
