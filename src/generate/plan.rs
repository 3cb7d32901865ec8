//! The platform as `terraform show -json` writes its plan from empty state (format 1.2): every
//! resource created; values known at plan time in `planned_values` and `change.after`; ids,
//! ARNs, the OIDC issuer and everything built from them in `after_unknown`; expressions and
//! references in `configuration`.

use super::platform::{ACCOUNT_ID_FOR_PLANS, Block, Platform};
use crate::expr;
use crate::model::Mode;
use serde_json::{Map, Value, json};

const PROVIDER: &str = "registry.terraform.io/hashicorp/aws";

/// Attributes the configuration writes as a single nested block, which plans write as a list.
const NESTED_BLOCKS: &[&str] = &["image_scanning_configuration", "vpc_config"];

/// Attributes the provider computes, known only after apply, beyond `id`.
fn computed(resource_type: &str) -> &'static [&'static str] {
    match resource_type {
        "aws_eks_cluster" => &[
            "arn",
            "endpoint",
            "identity",
            "certificate_authority",
            "platform_version",
            "status",
            "cluster_id",
            "created_at",
            "tags_all",
        ],
        "aws_ecr_repository" => &["arn", "registry_id", "repository_url", "tags_all"],
        "aws_ecr_lifecycle_policy" => &["registry_id"],
        "aws_iam_role" => &["arn", "unique_id", "create_date", "tags_all"],
        "aws_iam_policy" => &["arn", "policy_id", "tags_all"],
        "aws_iam_openid_connect_provider" => &["arn", "tags_all"],
        "aws_secretsmanager_secret_version" => &["arn", "version_id", "version_stages"],
        "aws_route_table_association" | "aws_route" | "aws_iam_role_policy_attachment" => &[],
        _ => &["arn", "owner_id", "tags_all"],
    }
}

/// Attributes the provider marks sensitive.
fn sensitive(resource_type: &str) -> &'static [&'static str] {
    match resource_type {
        "aws_secretsmanager_secret_version" => &["secret_string", "secret_binary"],
        _ => &[],
    }
}

/// The plan; with `copies` above 1, that many instances of the platform as a counted child
/// module (`module.platform[N]`), to make plans of any size.
pub fn render(platform: &Platform, copies: usize, full: bool) -> Value {
    let evaluator = Evaluator { platform };
    let mut planned = Vec::new();
    let mut changes = Vec::new();
    let mut configured = Vec::new();
    for (block, mode) in platform.blocks() {
        let address = address(block, mode);
        let (values, unknown) = evaluator.values(block);
        let mut sensitive_mask = Map::new();
        for attribute in sensitive(block.resource_type) {
            if values.get(*attribute).is_some() {
                sensitive_mask.insert((*attribute).to_owned(), json!(true));
            }
        }
        planned.push(json!({
            "address": address, "mode": mode, "type": block.resource_type, "name": block.logical_id(),
            "provider_name": PROVIDER, "schema_version": 0, "values": values, "sensitive_values": sensitive_mask,
        }));
        // Data sources are read while planning: they have values and no change.
        if mode == Mode::Managed {
            changes.push(json!({
                "address": address, "mode": mode, "type": block.resource_type, "name": block.logical_id(),
                "provider_name": PROVIDER,
                "change": {
                    "actions": ["create"], "before": null, "after": values, "after_unknown": unknown,
                    "before_sensitive": false, "after_sensitive": sensitive_mask,
                },
            }));
        }
        let mut config = json!({
            "address": address, "mode": mode, "type": block.resource_type, "name": block.logical_id(),
            "provider_config_key": "aws", "expressions": expressions(&block.body), "schema_version": 0,
        });
        if let Some(depends_on) = block.body.get("depends_on") {
            config["depends_on"] = depends_on.clone();
        }
        configured.push(config);
    }
    let mut output_values = Map::new();
    let mut output_changes = Map::new();
    let mut output_config = Map::new();
    for output in &platform.outputs {
        let name = super::logical_id(output.id);
        output_values.insert(name.clone(), json!({"sensitive": false}));
        output_changes.insert(name.clone(), json!({
            "actions": ["create"], "before": null, "after_unknown": true, "before_sensitive": false, "after_sensitive": false,
        }));
        output_config.insert(
            name,
            json!({"expression": expression(&output.value), "description": output.description}),
        );
    }
    let mut plan = json!({
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {"outputs": output_values, "root_module": {"resources": planned}},
        "resource_changes": changes,
        "output_changes": output_changes,
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "full_name": PROVIDER, "version_constraint": "6.25.0",
                "expressions": {"region": {"constant_value": platform.provider["aws"][0]["region"]}}}},
            "root_module": {"outputs": output_config, "resources": configured},
        },
        "timestamp": "2026-01-01T00:00:00Z",
        "applyable": true,
        "complete": true,
        "errored": false,
    });
    if full {
        into_module_calls(&mut plan, copies);
    } else if copies > 1 {
        into_module_copies(&mut plan, copies);
    }
    plan
}

/// Moves the root module's resources into `copies` module calls `module.platform_N`, each with
/// its own configuration, as a plan that updates them writes it: `before` values and
/// `prior_state`, `relevant_attributes` and `checks`.
fn into_module_calls(plan: &mut Value, copies: usize) {
    let planned = plan["planned_values"]["root_module"]["resources"].take();
    let changes = plan["resource_changes"].take();
    let configured = plan["configuration"]["root_module"]["resources"].take();
    let prefixed = |resources: &Value, instance: &str| -> Vec<Value> {
        let mut resources = resources.as_array().cloned().unwrap_or_default();
        for resource in &mut resources {
            resource["address"] = json!(format!(
                "{instance}.{}",
                resource["address"].as_str().unwrap_or_default()
            ));
        }
        resources
    };
    let mut modules = Vec::new();
    let mut all_changes = Vec::new();
    let mut calls = Map::new();
    let mut relevant = Vec::new();
    let mut checks = Vec::new();
    for i in 0..copies {
        let instance = format!("module.platform_{i}");
        modules.push(json!({"address": instance, "resources": prefixed(&planned, &instance)}));
        for mut change in prefixed(&changes, &instance) {
            change["module_address"] = json!(instance);
            let after = change["change"]["after"].clone();
            change["change"]["actions"] = json!(["update"]);
            change["change"]["before"] = after;
            change["change"]["before_sensitive"] = change["change"]["after_sensitive"].clone();
            relevant.push(json!({"resource": change["address"], "attribute": ["tags"]}));
            if change["type"] == "aws_cloudwatch_log_group" {
                checks.push(json!({
                    "address": {"kind": "resource", "mode": "managed", "module": instance, "to_display": change["address"], "type": change["type"], "name": change["name"]},
                    "status": "pass",
                    "instances": [{"address": {"module": instance, "to_display": change["address"]}, "status": "pass"}],
                }));
            }
            all_changes.push(change);
        }
        calls.insert(
            format!("platform_{i}"),
            json!({"source": "./platform", "module": {"resources": configured.clone()}}),
        );
    }
    plan["planned_values"]["root_module"] = json!({"child_modules": modules});
    plan["prior_state"] = json!({
        "format_version": "1.0",
        "terraform_version": plan["terraform_version"],
        "values": {"root_module": {"child_modules": modules}},
    });
    plan["resource_changes"] = json!(all_changes);
    plan["output_changes"] = json!({});
    plan["relevant_attributes"] = json!(relevant);
    plan["checks"] = json!(checks);
    plan["configuration"]["root_module"] = json!({"module_calls": calls});
}

/// Moves the root module's resources into `copies` instances of `module.platform`.
fn into_module_copies(plan: &mut Value, copies: usize) {
    const MODULE: &str = "module.platform";
    let planned = plan["planned_values"]["root_module"]["resources"].take();
    let changes = plan["resource_changes"].take();
    let instances: Vec<Value> = (0..copies)
        .map(|i| {
            let instance = format!("{MODULE}[{i}]");
            let mut resources = planned.clone();
            for resource in resources.as_array_mut().into_iter().flatten() {
                resource["address"] = json!(format!(
                    "{instance}.{}",
                    resource["address"].as_str().unwrap_or_default()
                ));
            }
            json!({"address": instance, "resources": resources})
        })
        .collect();
    let changes: Vec<Value> = (0..copies)
        .flat_map(|i| {
            let instance = format!("{MODULE}[{i}]");
            changes
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |mut change| {
                    change["address"] = json!(format!(
                        "{instance}.{}",
                        change["address"].as_str().unwrap_or_default()
                    ));
                    change["module_address"] = json!(instance);
                    change
                })
        })
        .collect();
    plan["planned_values"] = json!({"root_module": {"child_modules": instances}});
    plan["resource_changes"] = json!(changes);
    plan["output_changes"] = json!({});
    let root = &mut plan["configuration"]["root_module"];
    let module = json!({"resources": root["resources"].take()});
    *root = json!({"module_calls": {"platform": {"source": "./platform", "count_expression": {"constant_value": copies}, "module": module}}});
}

fn address(block: &Block, mode: Mode) -> String {
    match mode {
        Mode::Managed => format!("{}.{}", block.resource_type, block.logical_id()),
        Mode::Data => format!("data.{}.{}", block.resource_type, block.logical_id()),
    }
}

/// Decides which values Terraform knows while planning.
struct Evaluator<'p> {
    platform: &'p Platform,
}

impl Evaluator<'_> {
    /// The planned values and the `after_unknown` mask of a block.
    fn values(&self, block: &Block) -> (Value, Value) {
        let mut values = Map::new();
        let mut unknown = Map::new();
        if block.resource_type == "aws_caller_identity" {
            let account = ACCOUNT_ID_FOR_PLANS;
            let values = json!({"account_id": account, "arn": format!("arn:aws:iam::{account}:user/platform"), "id": account, "user_id": "AIDAPLATFORM"});
            return (values, json!({}));
        }
        let Value::Object(body) = &block.body else {
            return (json!({}), json!({}));
        };
        for (key, value) in body.iter().filter(|(k, _)| *k != "depends_on") {
            let value = match (NESTED_BLOCKS.contains(&key.as_str()), value) {
                (true, Value::Object(_)) => Value::Array(vec![value.clone()]),
                _ => value.clone(),
            };
            match self.evaluate(&value) {
                Some((known, mask)) => {
                    values.insert(key.clone(), known);
                    if mask != Value::Bool(false) {
                        unknown.insert(key.clone(), mask);
                    }
                }
                None => {
                    unknown.insert(key.clone(), json!(true));
                }
            }
        }
        for attribute in std::iter::once(&"id").chain(computed(block.resource_type)) {
            if !values.contains_key(*attribute) {
                unknown.insert((*attribute).to_owned(), json!(true));
            }
        }
        (Value::Object(values), Value::Object(unknown))
    }

    /// The value as planned and its unknown mask (`false` when fully known), or `None` when the
    /// value as a whole is known only after apply. A set or list with an unknown element is
    /// unknown as a whole, as Terraform plans sets.
    fn evaluate(&self, value: &Value) -> Option<(Value, Value)> {
        match value {
            Value::String(text) => self
                .evaluate_string(text)
                .map(|s| (Value::String(s), json!(false))),
            Value::Array(items) if items.iter().all(|i| !i.is_object()) => {
                let known: Option<Vec<Value>> = items
                    .iter()
                    .map(|i| self.evaluate(i).map(|(v, _)| v))
                    .collect();
                known.map(|items| (Value::Array(items), json!(false)))
            }
            Value::Array(items) => {
                let (known, masks): (Vec<Value>, Vec<Value>) = items
                    .iter()
                    .map(|i| self.evaluate(i).unwrap_or((json!({}), json!(true))))
                    .unzip();
                let all_known = masks.iter().all(|m| *m == json!({}) || *m == json!(false));
                Some((
                    Value::Array(known),
                    if all_known {
                        json!(masks.iter().map(|_| json!({})).collect::<Vec<_>>())
                    } else {
                        Value::Array(masks)
                    },
                ))
            }
            Value::Object(members) => {
                let mut known = Map::new();
                let mut mask = Map::new();
                for (key, member) in members {
                    match self.evaluate(member) {
                        Some((value, member_mask)) => {
                            known.insert(key.clone(), value);
                            if member_mask != json!(false) {
                                mask.insert(key.clone(), member_mask);
                            }
                        }
                        None => {
                            mask.insert(key.clone(), json!(true));
                        }
                    }
                }
                Some((Value::Object(known), Value::Object(mask)))
            }
            other => Some((other.clone(), json!(false))),
        }
    }

    /// A string with its `${…}` expressions replaced by their values, if all are known.
    fn evaluate_string(&self, text: &str) -> Option<String> {
        let spans = expr::template_spans(text);
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for span in spans {
            out.push_str(&text[last..span.start]);
            out.push_str(&self.evaluate_reference(&text[span.start + 2..span.end - 1])?);
            last = span.end;
        }
        out.push_str(&text[last..]);
        Some(out)
    }

    /// `type.name.attribute` where the attribute is a literal of the configuration; the caller's
    /// account (read while planning). Anything else (computed attributes, function calls) is
    /// known only after apply.
    fn evaluate_reference(&self, expression: &str) -> Option<String> {
        if expression.starts_with("data.aws_caller_identity.")
            && expression.ends_with(".account_id")
        {
            return Some(ACCOUNT_ID_FOR_PLANS.to_owned());
        }
        let mut steps = expression.splitn(3, '.');
        let (resource_type, name, attribute) = (steps.next()?, steps.next()?, steps.next()?);
        let target = self
            .platform
            .resources
            .iter()
            .find(|b| b.resource_type == resource_type && b.logical_id() == name)?;
        match target.body.get(attribute)? {
            Value::String(literal) if !literal.contains("${") => Some(literal.clone()),
            _ => None,
        }
    }
}

/// The configuration's expression for a value: constants, references, nested blocks.
fn expressions(body: &Value) -> Value {
    let Value::Object(members) = body else {
        return json!({});
    };
    let mut out = Map::new();
    for (key, value) in members.iter().filter(|(k, _)| *k != "depends_on") {
        let expression = match value {
            Value::Object(block) if NESTED_BLOCKS.contains(&key.as_str()) => {
                json!([expressions(&Value::Object(block.clone()))])
            }
            _ => expression(value),
        };
        out.insert(key.clone(), expression);
    }
    Value::Object(out)
}

fn expression(value: &Value) -> Value {
    let mut references = Vec::new();
    collect_references(value, &mut references);
    if references.is_empty() {
        json!({"constant_value": value})
    } else {
        json!({"references": references})
    }
}

/// Terraform lists each traversal and the object it starts from: `aws_vpc.x.id`, `aws_vpc.x`.
fn collect_references(value: &Value, out: &mut Vec<String>) {
    crate::pointer::for_each_leaf(value, |_, leaf| {
        let Some(text) = leaf.as_str() else { return };
        for span in expr::template_spans(text) {
            for traversal in expr::references(&text[span.start + 2..span.end - 1]) {
                let object_steps = if traversal.starts_with("data.") { 3 } else { 2 };
                let object: Vec<&str> = traversal
                    .splitn(object_steps + 1, '.')
                    .take(object_steps)
                    .collect();
                for reference in [traversal.to_owned(), object.join(".")] {
                    if !out.contains(&reference) {
                        out.push(reference);
                    }
                }
            }
        }
    });
}
