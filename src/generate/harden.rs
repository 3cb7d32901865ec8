//! The platform hardened for the `pci-dss` profile: what a PCI DSS assessment asks for beyond
//! the platform's invariants, applied to the blocks the seed's platform is made of.

use super::Options;
use super::platform::{Block, logical_id, reference, service_trust};
use serde_json::{Value, json};

/// How often a secret is rotated, in days.
const ROTATION_DAYS: u32 = 30;
/// How long a log group keeps events: PCI DSS 10.5.1 asks for 12 months.
const RETENTION_DAYS: u32 = 365;

pub(super) fn harden(resources: &mut Vec<Block>, options: &Options) {
    let suffix = &options.suffix;
    let key = reference("aws_kms_key", "platform_key", "arn");
    let mut secrets = Vec::new();
    for block in resources.iter_mut() {
        let body = &mut block.body;
        match block.resource_type {
            "aws_eks_cluster" => {
                body["encryption_config"] =
                    json!({"provider": {"key_arn": key}, "resources": ["secrets"]});
                body["vpc_config"]["endpoint_public_access"] = json!(false);
            }
            "aws_ecr_repository" => {
                body["encryption_configuration"] =
                    json!({"encryption_type": "KMS", "kms_key": key});
                body["image_tag_mutability"] = json!("IMMUTABLE");
            }
            "aws_cloudwatch_log_group" => {
                body["kms_key_id"] = json!(key);
                if body["retention_in_days"].as_u64() < Some(RETENTION_DAYS.into()) {
                    body["retention_in_days"] = json!(RETENTION_DAYS);
                }
            }
            "aws_secretsmanager_secret" => {
                body["kms_key_id"] = json!(key);
                body["recovery_window_in_days"] = json!(7);
                secrets.push(block.id.clone());
            }
            _ => {}
        }
    }
    let region = &options.region;
    let account = &format!(
        "${{data.aws_caller_identity.{}.account_id}}",
        logical_id("current")
    );
    let mut add = |resource_type: &'static str, id: &str, body: Value| {
        resources.push(Block {
            resource_type,
            id: id.to_owned(),
            body,
        })
    };
    add(
        "aws_kms_key",
        "platform_key",
        json!({
            "description": format!("Encrypts the payment platform's secrets, images and logs ({suffix})"),
            "enable_key_rotation": true, "deletion_window_in_days": 30,
            "policy": key_policy(region, account),
            "tags": {"Name": format!("payment-platform-key-{suffix}")},
        }),
    );
    for secret in secrets {
        add(
            "aws_secretsmanager_secret_rotation",
            &format!("{secret}_rotation"),
            json!({
                "secret_id": reference("aws_secretsmanager_secret", &secret, "id"),
                "rotation_lambda_arn": format!("arn:aws:lambda:{region}:{account}:function:secrets-rotation-{suffix}"),
                "rotation_rules": {"automatically_after_days": ROTATION_DAYS},
            }),
        );
    }
    let flow_logs = reference("aws_cloudwatch_log_group", "flow_log_group", "arn");
    add(
        "aws_cloudwatch_log_group",
        "flow_log_group",
        json!({"name": format!("/aws/vpc/flow-logs-{suffix}"), "retention_in_days": RETENTION_DAYS, "kms_key_id": key,
               "tags": {"Name": format!("vpc-flow-logs-{suffix}")}}),
    );
    add(
        "aws_iam_role",
        "flow_log_role",
        json!({"assume_role_policy": service_trust("vpc-flow-logs.amazonaws.com"), "name": format!("vpc-flow-logs-role-{suffix}"),
               "tags": {"Name": format!("vpc-flow-logs-role-{suffix}")}}),
    );
    add(
        "aws_iam_role_policy",
        "flow_log_policy",
        json!({
            "name": format!("vpc-flow-logs-{suffix}"),
            "role": reference("aws_iam_role", "flow_log_role", "id"),
            "policy": json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"],
                "Resource": [flow_logs, format!("{flow_logs}:*")]}]}).to_string(),
        }),
    );
    add(
        "aws_flow_log",
        "vpc_flow_log",
        json!({
            "vpc_id": reference("aws_vpc", "vpc", "id"), "traffic_type": "ALL",
            "log_destination": flow_logs, "iam_role_arn": reference("aws_iam_role", "flow_log_role", "arn"),
            "tags": {"Name": format!("vpc-flow-logs-{suffix}")},
        }),
    );
}

/// The account administers the key; CloudWatch Logs of the region may use it for its log groups.
fn key_policy(region: &str, account: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "AccountAdministers", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "CloudWatchLogsEncrypt", "Effect": "Allow", "Principal": {"Service": format!("logs.{region}.amazonaws.com")},
         "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"], "Resource": "*",
         "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": format!("arn:aws:logs:{region}:{account}:*")}}},
    ]})
    .to_string()
}
