//! Terraform's semantics over configuration directories: files joined into one module, variable
//! values, locals, instances, and the inputs that must end in an error or an unknown, never a
//! hang or a guess.

use payplat::check::{Inputs, load_inputs};
use serde_json::{Value, json};

fn directory(files: &[(&str, Value)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in files {
        let text = match content {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn load(dir: &tempfile::TempDir, name: Option<&str>) -> Inputs {
    let path = match name {
        Some(name) => dir.path().join(name),
        None => dir.path().to_owned(),
    };
    load_inputs(&[path], false)
}

/// The values of the resource at `address`, in whichever file of the module it is.
fn values(inputs: &Inputs, address: &str) -> Value {
    inputs
        .documents
        .iter()
        .flat_map(|d| &d.resources)
        .find(|r| r.address.as_str() == address)
        .unwrap_or_else(|| panic!("no {address}"))
        .values
        .to_value()
}

fn repository(scan: &str) -> Value {
    json!({"resource": {"aws_ecr_repository": {"app": {
        "name": "app", "image_scanning_configuration": {"scan_on_push": scan}}}}})
}

#[test]
fn variable_values_come_from_defaults_then_tfvars_then_auto_tfvars_in_name_order() {
    let dir = directory(&[
        ("main.tf.json", repository("${var.scan}")),
        (
            "variables.tf.json",
            json!({"variable": {"scan": {"default": "default"}}}),
        ),
    ]);
    let scan = |inputs: &Inputs| {
        values(inputs, "aws_ecr_repository.app")["image_scanning_configuration"]["scan_on_push"]
            .clone()
    };
    assert_eq!(scan(&load(&dir, None)), json!("default"));
    std::fs::write(dir.path().join("terraform.tfvars"), "scan = \"hcl\"\n").unwrap();
    assert_eq!(scan(&load(&dir, None)), json!("hcl"));
    std::fs::write(
        dir.path().join("terraform.tfvars.json"),
        r#"{"scan": "json"}"#,
    )
    .unwrap();
    assert_eq!(scan(&load(&dir, None)), json!("json"));
    std::fs::write(dir.path().join("b.auto.tfvars.json"), r#"{"scan": "b"}"#).unwrap();
    std::fs::write(dir.path().join("a.auto.tfvars"), "scan = \"a\"\n").unwrap();
    assert_eq!(scan(&load(&dir, None)), json!("b"));
    // A file named alone is still read with its directory, as Terraform reads it.
    let alone = load(&dir, Some("main.tf.json"));
    assert_eq!(scan(&alone), json!("b"));
    assert_eq!(alone.named().len(), 1, "only the named file is checked");
    assert_eq!(alone.documents.len(), 2, "its sibling is read as context");
}

#[test]
fn a_broken_variable_file_is_an_error_naming_it() {
    let dir = directory(&[
        ("main.tf.json", repository("${var.scan}")),
        ("terraform.tfvars.json", json!("{\"scan\": ")),
    ]);
    let inputs = load(&dir, None);
    assert_eq!(inputs.errors.len(), 1);
    let error = inputs.errors[0].to_string();
    assert!(
        error.contains("terraform.tfvars.json") && error.contains("variable values"),
        "{error}"
    );
    assert_eq!(inputs.named().len(), 1, "the module is still checked");
}

#[test]
fn files_that_declare_the_same_thing_twice_are_checked_alone_with_a_note() {
    let dir = directory(&[
        ("a.tf.json", repository("true")),
        ("b.tf.json", repository("false")),
    ]);
    let inputs = load(&dir, None);
    assert_eq!(inputs.modules, vec![vec![0], vec![1]]);
    assert!(
        inputs
            .notes
            .iter()
            .any(|n| n.contains("`aws_ecr_repository.app` more than once")),
        "{:?}",
        inputs.notes
    );
}

#[test]
fn locals_that_refer_to_themselves_or_nest_without_end_stay_unevaluated() {
    let mut locals = serde_json::Map::new();
    locals.insert("a".into(), json!("${local.b}"));
    locals.insert("b".into(), json!("${local.a}"));
    for i in 0..1000 {
        locals.insert(
            format!("chain{i}"),
            json!(format!("${{local.chain{}}}", i + 1)),
        );
    }
    locals.insert("chain1000".into(), json!(true));
    let dir = directory(&[(
        "main.tf.json",
        json!({"locals": locals, "resource": {"aws_ecr_repository": {
            "cycle": {"image_scanning_configuration": {"scan_on_push": "${local.a}"}},
            "chain": {"image_scanning_configuration": {"scan_on_push": "${local.chain0}"}},
            "short": {"image_scanning_configuration": {"scan_on_push": "${local.chain960}"}}}}}),
    )]);
    let inputs = load(&dir, None);
    let scan = |name: &str| {
        values(&inputs, &format!("aws_ecr_repository.{name}"))["image_scanning_configuration"]["scan_on_push"].clone()
    };
    assert_eq!(scan("cycle"), json!("${local.a}"));
    assert_eq!(scan("chain"), json!("${local.chain0}"));
    assert_eq!(scan("short"), json!(true));
}

#[test]
fn known_count_and_for_each_make_instances_with_their_own_values() {
    let dir = directory(&[(
        "main.tf.json",
        json!({
            "variable": {"azs": {"default": ["eu-west-1a", "eu-west-1b"]}},
            "resource": {"aws_subnet": {
                "counted": {"count": "${length(var.azs)}", "availability_zone": "${var.azs[count.index]}",
                            "cidr_block": "${cidrsubnet(\"10.0.0.0/16\", 8, count.index)}"},
                "keyed": {"for_each": "${toset(var.azs)}", "availability_zone": "${each.value}",
                          "tags": {"Name": "private-${each.key}"}},
                "unknown": {"count": "${var.unset}", "availability_zone": "${var.azs[count.index]}"},
                "none": {"count": 0}}}}),
    )]);
    let inputs = load(&dir, None);
    assert_eq!(
        values(&inputs, "aws_subnet.counted[1]"),
        json!({"availability_zone": "eu-west-1b", "cidr_block": "10.0.1.0/24"})
    );
    assert_eq!(
        values(&inputs, "aws_subnet.keyed[\"eu-west-1a\"]")["tags"]["Name"],
        json!("private-eu-west-1a")
    );
    assert_eq!(
        values(&inputs, "aws_subnet.unknown")["count"],
        json!("${var.unset}")
    );
    let addresses: Vec<&str> = inputs.documents[0]
        .resources
        .iter()
        .map(|r| r.address.as_str())
        .collect();
    assert!(
        !addresses.iter().any(|a| a.starts_with("aws_subnet.none")),
        "{addresses:?}"
    );
}

#[test]
fn modules_are_followed_and_circles_through_them_end() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, content: Value| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content.to_string()).unwrap();
    };
    // The root passes the module's own output back into it; the module calls itself.
    write(
        "main.tf.json",
        json!({"module": {"loop": {"source": "./loop", "scan": "${module.loop.scan}", "name": "app"}}}),
    );
    write(
        "loop/main.tf.json",
        json!({
            "variable": {"scan": {}, "name": {}},
            "module": {"again": {"source": "./", "scan": true, "name": "again"}},
            "output": {"scan": {"value": "${var.scan}"}},
            "resource": {"aws_ecr_repository": {"r": {
                "name": "${var.name}", "image_scanning_configuration": {"scan_on_push": "${var.scan}"}}}}}),
    );
    let inputs = load_inputs(&[dir.path().to_owned()], false);
    assert!(inputs.errors.is_empty(), "{:?}", inputs.errors);
    let repository = values(&inputs, "module.loop.aws_ecr_repository.r");
    assert_eq!(
        repository["name"],
        json!("app"),
        "arguments reach the module"
    );
    assert_eq!(
        repository["image_scanning_configuration"]["scan_on_push"],
        json!("${var.scan}"),
        "a value that goes round in a circle stays unevaluated"
    );
    assert!(
        inputs
            .notes
            .iter()
            .any(|n| n.contains("module.loop.module.again") && n.contains("not followed")),
        "{:?}",
        inputs.notes
    );
}

#[test]
fn expressions_that_would_build_without_end_stop() {
    let mut locals = serde_json::Map::new();
    locals.insert(
        "wide".into(),
        json!("${[for i in range(1024) : [for j in range(1024) : [for k in range(1024) : k]]]}"),
    );
    locals.insert("s0".into(), json!("abcdefghijklmnopqrstuvwxyz0123456789"));
    for i in 0..60 {
        locals.insert(
            format!("s{}", i + 1),
            json!(format!("${{local.s{i}}}${{local.s{i}}}")),
        );
    }
    let dir = directory(&[(
        "main.tf.json",
        json!({"locals": locals, "resource": {"aws_ecr_repository": {
            "wide": {"name": "${length(local.wide)}"},
            "long": {"name": "${length(local.s60)}"},
            "fine": {"name": "${length(local.s3)}"}}}}),
    )]);
    // Unbounded, the first would build a thousand million values and the second a string of
    // 36 · 2⁶⁰ bytes.
    let inputs = load(&dir, None);
    assert_eq!(
        values(&inputs, "aws_ecr_repository.wide")["name"],
        json!("${length(local.wide)}")
    );
    assert_eq!(
        values(&inputs, "aws_ecr_repository.long")["name"],
        json!("${length(local.s60)}")
    );
    assert_eq!(
        values(&inputs, "aws_ecr_repository.fine")["name"],
        json!(288)
    );
}

#[test]
fn modules_terraform_init_downloaded_are_read_and_others_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, content: &str| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    };
    write(
        "main.tf",
        r#"
module "logs" {
  source  = "example/logs/aws"
  version = "1.0.0"
  days    = 30
}

module "missing" {
  source = "example/missing/aws"
}
"#,
    );
    write(
        ".terraform/modules/modules.json",
        r#"{"Modules": [{"Key": "", "Source": "", "Dir": "."}, {"Key": "logs", "Source": "registry.terraform.io/example/logs/aws", "Version": "1.0.0", "Dir": ".terraform/modules/logs"}]}"#,
    );
    write(
        ".terraform/modules/logs/main.tf",
        "variable \"days\" {}\nresource \"aws_cloudwatch_log_group\" \"this\" {\n  retention_in_days = var.days\n}\n",
    );
    let inputs = load_inputs(&[dir.path().to_owned()], false);
    assert!(inputs.errors.is_empty(), "{:?}", inputs.errors);
    assert_eq!(
        values(&inputs, "module.logs.aws_cloudwatch_log_group.this")["retention_in_days"],
        json!(30)
    );
    assert!(
        inputs
            .notes
            .iter()
            .any(|n| n.contains("module.missing") && n.contains("terraform init")),
        "{:?}",
        inputs.notes
    );
}

#[test]
fn file_reads_only_the_configuration_s_own_files() {
    let dir = directory(&[
        ("policy.json", json!("{\"Version\": \"2012-10-17\"}")),
        (
            "main.tf.json",
            json!({"resource": {"aws_iam_role": {
                "own": {"assume_role_policy": "${file(\"${path.module}/policy.json\")}"},
                "plain": {"assume_role_policy": "${file(\"policy.json\")}"},
                "elsewhere": {"assume_role_policy": "${file(\"/etc/passwd\")}"},
                "escaping": {"assume_role_policy": "${file(\"${path.module}/../../etc/passwd\")}"}}}}),
        ),
    ]);
    let inputs = load(&dir, None);
    let policy =
        |name: &str| values(&inputs, &format!("aws_iam_role.{name}"))["assume_role_policy"].clone();
    assert_eq!(policy("own"), json!("{\"Version\": \"2012-10-17\"}"));
    assert_eq!(policy("plain"), json!("{\"Version\": \"2012-10-17\"}"));
    assert_eq!(policy("elsewhere"), json!("${file(\"/etc/passwd\")}"));
    assert!(
        policy("escaping").as_str().unwrap().starts_with("${file("),
        "{}",
        policy("escaping")
    );
}

#[test]
fn module_calls_with_count_or_for_each_are_instances_whose_outputs_are_collections() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, content: Value| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content.to_string()).unwrap();
    };
    write(
        "main.tf.json",
        json!({
            "variable": {"unset": {}},
            "module": {
                "repo": {"source": "./repo", "for_each": {"a": "alpha", "b": "beta"}, "name": "${each.value}"},
                "logs": {"source": "./repo", "count": 2, "name": "log-${count.index}"},
                "maybe": {"source": "./repo", "count": "${var.unset ? 1 : 0}", "name": "maybe"}
            },
            "locals": {"names": "${[for r in values(module.repo) : r.name]}"},
            "resource": {"aws_ecr_repository": {"summary": {
                "name": "${module.repo[\"b\"].name}-${module.logs[1].name}",
                "tags": {"names": "${local.names}"},
                "image_scanning_configuration": {"scan_on_push": true}}}}
        }),
    );
    write(
        "repo/main.tf.json",
        json!({
            "variable": {"name": {}},
            "resource": {"aws_ecr_repository": {"this": {
                "name": "${var.name}", "image_scanning_configuration": {"scan_on_push": true}}}},
            "output": {"name": {"value": "${aws_ecr_repository.this.name}"}}
        }),
    );
    let inputs = load_inputs(&[dir.path().to_owned()], false);
    assert!(inputs.errors.is_empty(), "{:?}", inputs.errors);
    assert_eq!(
        values(&inputs, "module.repo[\"a\"].aws_ecr_repository.this")["name"],
        json!("alpha")
    );
    assert_eq!(
        values(&inputs, "module.logs[1].aws_ecr_repository.this")["name"],
        json!("log-1")
    );
    // An output that reads a resource stays that resource, named in its instance.
    let summary = values(&inputs, "aws_ecr_repository.summary");
    assert_eq!(
        summary["name"],
        json!(
            "${module.repo[\"b\"].aws_ecr_repository.this.name}-${module.logs[1].aws_ecr_repository.this.name}"
        )
    );
    assert_eq!(
        summary["tags"]["names"],
        json!([
            "${module.repo[\"a\"].aws_ecr_repository.this.name}",
            "${module.repo[\"b\"].aws_ecr_repository.this.name}"
        ])
    );
    // Unknown instances: checked once, as a resource that may not be made, with a note.
    let maybe = values(&inputs, "module.maybe.aws_ecr_repository.this");
    assert!(maybe.get("count").is_some(), "{maybe}");
    assert!(
        inputs
            .notes
            .iter()
            .any(|n| n.contains("module.maybe") && n.contains("do not decide")),
        "{:?}",
        inputs.notes
    );
}

#[test]
fn dynamic_blocks_expand_nested_with_their_iterators_and_stay_unknown_where_for_each_is() {
    let dir = directory(&[(
        "main.tf",
        Value::String(
            r#"
variable "unset" {}

locals {
  rules = { push = ["a-*", "b-*"], continuous = ["c-*"] }
}

resource "aws_ecr_registry_scanning_configuration" "known" {
  scan_type = "ENHANCED"
  rule {
    scan_frequency = "MANUAL"
    repository_filter {
      filter      = "z-*"
      filter_type = "WILDCARD"
    }
  }
  dynamic "rule" {
    for_each = local.rules
    iterator = frequency
    content {
      scan_frequency = upper(frequency.key)
      dynamic "repository_filter" {
        for_each = frequency.value
        content {
          filter      = "${frequency.key}/${repository_filter.value}"
          filter_type = "WILDCARD"
        }
      }
    }
  }
}

resource "aws_ecr_registry_scanning_configuration" "unknown" {
  scan_type = "ENHANCED"
  dynamic "rule" {
    for_each = var.unset
    content {
      scan_frequency = "SCAN_ON_PUSH"
    }
  }
}
"#
            .to_owned(),
        ),
    )]);
    let inputs = load(&dir, None);
    assert!(inputs.errors.is_empty(), "{:?}", inputs.errors);
    let known = values(&inputs, "aws_ecr_registry_scanning_configuration.known");
    assert_eq!(
        known["rule"],
        json!([
            {"scan_frequency": "MANUAL", "repository_filter": {"filter": "z-*", "filter_type": "WILDCARD"}},
            {"scan_frequency": "CONTINUOUS", "repository_filter": [{"filter": "continuous/c-*", "filter_type": "WILDCARD"}]},
            {"scan_frequency": "PUSH", "repository_filter": [
                {"filter": "push/a-*", "filter_type": "WILDCARD"},
                {"filter": "push/b-*", "filter_type": "WILDCARD"}]}
        ])
    );
    assert!(known.get("dynamic").is_none(), "{known}");
    let unknown = values(&inputs, "aws_ecr_registry_scanning_configuration.unknown");
    assert_eq!(unknown["rule"], json!("${var.unset}"), "{unknown}");
}

#[test]
fn a_count_or_for_each_built_to_exhaust_memory_is_read_as_not_known() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("m")).unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "resource \"aws_ecr_repository\" \"x\" {\n  count = 100000000\n  name  = \"x\"\n}\n\nmodule \"m\" {\n  source = \"./m\"\n  count  = 50000000\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("m/main.tf"),
        "resource \"aws_cloudwatch_log_group\" \"l\" {}\n",
    )
    .unwrap();
    let inputs = load_inputs(&[dir.path().to_owned()], false);
    let resources: Vec<String> = inputs
        .documents
        .iter()
        .flat_map(|d| &d.resources)
        .map(|r| r.address.to_string())
        .collect();
    // Each block stays whole: its instances are not known.
    assert!(
        resources.contains(&"aws_ecr_repository.x".to_owned()),
        "{resources:?}"
    );
    assert!(
        resources.contains(&"module.m.aws_cloudwatch_log_group.l".to_owned()),
        "{resources:?}"
    );
    assert!(resources.len() < 5, "{resources:?}");
}
