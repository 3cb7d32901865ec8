//! Module directories read as the tool that applies them: OpenTofu's `.tofu` files, override
//! files, resources that pass values through. What users see, snapshotted.

use assert_cmd::Command;
use std::path::Path;

fn payplat(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::cargo_bin("payplat")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap();
    let summary_without_timing = |text: String| {
        text.lines()
            .map(|line| match line.rfind(" in 0.") {
                Some(at) if line.ends_with('s') => &line[..at],
                _ => line,
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    (
        output.status.code(),
        summary_without_timing(String::from_utf8(output.stdout).unwrap()),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

const REPOSITORY: &str =
    "resource \"aws_ecr_repository\" \"payments\" {\n  name = \"payments\"\n}\n";
const SCANNED: &str = "resource \"aws_ecr_repository\" \"payments\" {\n  name = \"payments\"\n\n  image_scanning_configuration {\n    scan_on_push = true\n  }\n}\n";

#[test]
fn a_tofu_file_shadows_the_tf_file_of_its_name_and_the_engine_can_be_chosen() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("ecr.tf", REPOSITORY), ("ecr.tofu", SCANNED)]);
    let (status, stdout, stderr) = payplat(dir.path(), &["check", "--select", "PP101", "."]);
    assert_eq!(status, Some(0), "{stdout}{stderr}");
    insta::assert_snapshot!("tofu_shadows_tf_stderr", stderr);
    // Read for Terraform, the `.tf` file is the configuration, and fails.
    let (status, stdout, stderr) = payplat(
        dir.path(),
        &["check", "--select", "PP101", "--engine", "terraform", "."],
    );
    assert_eq!(status, Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("./ecr.tf:1:1"), "{stdout}");
    assert!(
        stderr.contains("Terraform does not read `.tofu` files"),
        "{stderr}"
    );
    // payplat.toml says it too.
    write(dir.path(), &[("payplat.toml", "engine = \"terraform\"\n")]);
    let (status, _, _) = payplat(dir.path(), &["check", "--select", "PP101", "."]);
    assert_eq!(status, Some(1));
    let (status, _, stderr) = payplat(dir.path(), &["check", "--engine", "pulumi", "."]);
    assert_eq!(status, Some(2), "{stderr}");
}

#[test]
fn a_directory_of_tofu_files_alone_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("main.tofu", REPOSITORY)]);
    let (status, stdout, stderr) = payplat(dir.path(), &["check", "--select", "PP101", "."]);
    assert_eq!(status, Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("./main.tofu:1:1"), "{stdout}");
}

#[test]
fn a_finding_on_an_overridden_value_points_at_the_override_and_shows_what_it_replaced() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "main.tf",
                "resource \"aws_cloudwatch_log_group\" \"payments\" {\n  name              = \"/payments/api\"\n  retention_in_days = 30\n}\n",
            ),
            (
                "override.tf",
                "resource \"aws_cloudwatch_log_group\" \"payments\" {\n  retention_in_days = 3\n}\n",
            ),
        ],
    );
    let (status, stdout, stderr) = payplat(dir.path(), &["check", "."]);
    assert_eq!(status, Some(1), "{stderr}");
    insta::assert_snapshot!("override_finding", stdout);
    // The fix edits the override file, where the value is written.
    let (status, _, stderr) = payplat(dir.path(), &["fix", "."]);
    assert_eq!(status, Some(0), "{stderr}");
    let main = std::fs::read_to_string(dir.path().join("main.tf")).unwrap();
    let over = std::fs::read_to_string(dir.path().join("override.tf")).unwrap();
    assert!(main.contains("retention_in_days = 30"), "{main}");
    assert!(over.contains("retention_in_days = 7"), "{over}");
}

#[test]
fn override_files_merge_by_terraforms_rules() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "main.tf",
                "locals {\n  days = 1\n}\n\nvariable \"keep\" {\n  type    = number\n  default = 1\n}\n\n\
                 resource \"aws_cloudwatch_log_group\" \"a\" {\n  name              = \"a\"\n  retention_in_days = local.days\n}\n\n\
                 resource \"aws_cloudwatch_log_group\" \"b\" {\n  name              = \"b\"\n  retention_in_days = var.keep\n}\n\n\
                 resource \"aws_ecr_repository\" \"c\" {\n  name = \"c\"\n\n  image_scanning_configuration {\n    scan_on_push = false\n  }\n}\n",
            ),
            // Later in lexicographic order: replaces what `a_override.tf` set.
            ("b_override.tf", "locals {\n  days = 14\n}\n"),
            (
                "a_override.tf",
                "locals {\n  days = 2\n}\n\nvariable \"keep\" {\n  default = 30\n}\n",
            ),
            // A nested block replaces every block of its type.
            (
                "override.tf.json",
                "{\"resource\": {\"aws_ecr_repository\": {\"c\": {\"image_scanning_configuration\": {\"scan_on_push\": true}}}}}",
            ),
        ],
    );
    let (status, stdout, stderr) = payplat(dir.path(), &["check", "--select", "PP101,PP501", "."]);
    assert_eq!(status, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("3 checked: 0 failing, 0 undetermined"),
        "{stdout}"
    );
}

#[test]
fn an_override_of_nothing_is_the_error_terraform_gives() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("main.tf", REPOSITORY),
            (
                "override.tf",
                "resource \"aws_ecr_repository\" \"missing\" {\n  name = \"x\"\n}\n",
            ),
        ],
    );
    let (status, stdout, stderr) = payplat(dir.path(), &["check", "."]);
    assert_eq!(status, Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains(
            "overrides `aws_ecr_repository.missing`, which no other file of the directory declares"
        ),
        "{stderr}"
    );
    // The rest of the directory is still checked.
    assert!(stdout.contains("PP101"), "{stdout}");
}

#[test]
fn the_workspace_is_known_where_the_environment_names_it() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[(
            "main.tf",
            "resource \"aws_cloudwatch_log_group\" \"payments\" {\n  name              = \"/payments/api\"\n  retention_in_days = terraform.workspace == \"prod\" ? 365 : 1\n}\n",
        )],
    );
    let check = |workspace: Option<&str>| {
        let mut command = Command::cargo_bin("payplat").unwrap();
        command.current_dir(dir.path()).env_remove("TF_WORKSPACE");
        if let Some(name) = workspace {
            command.env("TF_WORKSPACE", name);
        }
        let output = command
            .args(["check", "--select", "PP501", "."])
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8(output.stdout).unwrap(),
        )
    };
    let (status, stdout) = check(None);
    assert_eq!(status, Some(0), "{stdout}");
    assert!(stdout.contains("which differs per workspace"), "{stdout}");
    assert_eq!(check(Some("dev")).0, Some(1));
    assert_eq!(check(Some("prod")).0, Some(0));
    // `terraform workspace select` writes the choice beside the modules.
    write(dir.path(), &[(".terraform/environment", "dev\n")]);
    assert_eq!(check(None).0, Some(1));
}

#[test]
fn a_write_only_argument_is_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[(
            "main.tf",
            "resource \"aws_secretsmanager_secret\" \"db\" {\n  name = \"payments/db\"\n}\n\n\
             resource \"aws_secretsmanager_secret_version\" \"db\" {\n  secret_id                = aws_secretsmanager_secret.db.id\n  secret_string_wo         = \"hunter2-do-not-print\"\n  secret_string_wo_version = 1\n}\n",
        )],
    );
    for format in ["human", "json", "sarif", "markdown", "evidence"] {
        let (_, stdout, stderr) = payplat(
            dir.path(),
            &["check", "--profile", "pci-dss", "--format", format, "."],
        );
        assert!(
            !stdout.contains("hunter2") && !stderr.contains("hunter2"),
            "{format}: {stdout}"
        );
    }
    let (_, stdout, _) = payplat(dir.path(), &["inspect", "--values", "."]);
    assert!(!stdout.contains("hunter2"), "{stdout}");
}

/// Subnets in two zones, named to the cluster through a `time_sleep`'s triggers.
const PASSED_THROUGH: &str = r#"resource "aws_subnet" "a" {
  vpc_id            = "vpc-0example"
  cidr_block        = "10.0.0.0/24"
  availability_zone = "eu-west-1a"
}

resource "aws_subnet" "b" {
  vpc_id            = "vpc-0example"
  cidr_block        = "10.0.1.0/24"
  availability_zone = "eu-west-1b"
}

resource "time_sleep" "network" {
  create_duration = "30s"

  triggers = {
    subnets = join(",", [aws_subnet.a.id, aws_subnet.b.id])
  }
}

resource "aws_eks_cluster" "payments" {
  name                      = "payments"
  role_arn                  = "arn:aws:iam::111122223333:role/eks"
  enabled_cluster_log_types = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

  vpc_config {
    subnet_ids = split(",", time_sleep.network.triggers["subnets"])
  }
}
"#;

#[test]
fn a_value_passed_through_a_resource_is_followed_and_shown_in_the_trace() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("main.tf", PASSED_THROUGH)]);
    let (status, stdout, stderr) = payplat(dir.path(), &["check", "--select", "PP401", "."]);
    assert_eq!(status, Some(1), "{stdout}{stderr}");
    insta::assert_snapshot!("pass_through_trace", stdout);
}

#[test]
fn stacks_files_are_named_as_not_read() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("main.tf", SCANNED),
            (
                "components.tfcomponent.hcl",
                "component \"ecr\" {\n  source = \"./ecr\"\n}\n",
            ),
            (
                "deployments.tfdeploy.hcl",
                "deployment \"prod\" {\n  inputs = {}\n}\n",
            ),
            ("main.tftest.hcl", "run \"plan\" {\n  command = plan\n}\n"),
        ],
    );
    let (status, stdout, stderr) = payplat(dir.path(), &["check", "--select", "PP101", "."]);
    assert_eq!(status, Some(0), "{stdout}{stderr}");
    assert!(
        stderr.contains(
            "deployments.tfdeploy.hcl: not read: payplat does not read Terraform Stacks yet"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("components.tfcomponent.hcl: not read"),
        "{stderr}"
    );
    assert!(!stderr.contains("main.tftest.hcl"), "{stderr}");
}
