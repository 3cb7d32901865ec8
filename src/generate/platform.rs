//! The reference payment platform, construct by construct, as the CDKTF stack declares it.
//!
//! Bodies hold references as CDKTF writes them (`${aws_vpc.<logical id>.id}`), so the same
//! description renders as a synth (`cdktf.rs`) and as a plan (`plan.rs`).

use super::{Options, Violation};
use md5::{Digest, Md5};
use serde_json::{Value, json};

/// The construct under the stack that holds every resource.
const SCOPE: &str = "microservices";
/// The tenants of the platform: one namespace, repository, role, secret and log group each.
pub(super) const NAMESPACES: [&str; 3] = ["payment", "fraud-detection", "reporting"];
pub const ACCOUNT_ID_FOR_PLANS: &str = "123456789012";
pub(super) const OIDC_THUMBPRINT: &str = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280";
pub(super) const LOG_TYPES: [&str; 5] = [
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
];

/// One resource or data source: its type, construct id (below the scope) and body.
pub struct Block {
    pub resource_type: &'static str,
    pub id: String,
    pub body: Value,
}

impl Block {
    pub fn logical_id(&self) -> String {
        logical_id(&self.id)
    }
}

pub struct Output {
    pub id: &'static str,
    pub description: &'static str,
    pub value: Value,
}

pub struct Platform {
    pub stack: String,
    pub resources: Vec<Block>,
    pub data: Vec<Block>,
    pub outputs: Vec<Output>,
    pub provider: Value,
    pub terraform: Value,
}

/// CDKTF's logical id of a construct nested below the stack: its path components joined by `_`,
/// then the first 8 hex digits (upper case) of the MD5 of the components joined by `/`.
pub fn logical_id(id: &str) -> String {
    let digest = Md5::digest(format!("{SCOPE}/{id}").as_bytes());
    let hash: String = digest.iter().take(4).map(|b| format!("{b:02X}")).collect();
    format!("{SCOPE}_{id}_{hash}")
}

/// `type.<logical id>.attribute`
fn traversal(resource_type: &str, id: &str, attribute: &str) -> String {
    format!("{resource_type}.{}.{attribute}", logical_id(id))
}

/// `${type.<logical id>.attribute}`
pub(super) fn reference(resource_type: &str, id: &str, attribute: &str) -> String {
    format!("${{{}}}", traversal(resource_type, id, attribute))
}

fn snake(namespace: &str) -> String {
    namespace.replace('-', "_")
}

/// A JSON document written as Python's `json.dumps` writes it (keys in the order given, `", "`
/// and `": "` separators), with `${…}` tokens placed after encoding, as CDKTF resolves them.
enum Py {
    Str(String),
    Int(i64),
    List(Vec<Py>),
    Dict(Vec<(String, Py)>),
}

fn dumps(value: &Py) -> String {
    fn write(value: &Py, out: &mut String) {
        match value {
            Py::Str(text) => out.push_str(&Value::String(text.clone()).to_string()),
            Py::Int(n) => out.push_str(&n.to_string()),
            Py::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write(item, out);
                }
                out.push(']');
            }
            Py::Dict(members) => {
                out.push('{');
                for (i, (key, member)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&Value::String(key.clone()).to_string());
                    out.push_str(": ");
                    write(member, out);
                }
                out.push('}');
            }
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    // Tokens are substituted into the encoded text: their quotes stay raw.
    let encoded = out.clone();
    for span in crate::expr::template_spans(&encoded) {
        let escaped = &encoded[span];
        let raw = escaped.replace("\\\"", "\"");
        out = out.replace(escaped, &raw);
    }
    out
}

fn s(text: impl Into<String>) -> Py {
    Py::Str(text.into())
}

fn dict<const N: usize>(members: [(&str, Py); N]) -> Py {
    Py::Dict(
        members
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

fn strings(items: &[&str]) -> Py {
    Py::List(items.iter().map(|i| s(*i)).collect())
}

fn statement(sid: Option<&str>, actions: &[&str], resource: Py) -> Py {
    let mut members = Vec::new();
    if let Some(sid) = sid {
        members.push(("Sid".to_owned(), s(sid)));
    }
    members.push(("Effect".to_owned(), s("Allow")));
    members.push(("Action".to_owned(), strings(actions)));
    members.push(("Resource".to_owned(), resource));
    Py::Dict(members)
}

fn policy(statements: Vec<Py>) -> String {
    dumps(&dict([
        ("Version", s("2012-10-17")),
        ("Statement", Py::List(statements)),
    ]))
}

pub(super) fn service_trust(service: &str) -> String {
    policy(vec![dict([
        ("Effect", s("Allow")),
        ("Principal", dict([("Service", s(service))])),
        ("Action", s("sts:AssumeRole")),
    ])])
}

pub fn platform(options: &Options) -> Platform {
    let suffix = options.suffix.as_str();
    let region = options.region.as_str();
    let cluster_name = format!("eks-payment-cluster-{suffix}");
    let violates = |v: Violation| options.violations.contains(&v);
    let mut resources = Vec::new();
    let mut add = |resource_type: &'static str, id: String, body: Value| {
        resources.push(Block {
            resource_type,
            id,
            body,
        })
    };

    // Network: one public and one private subnet per zone.
    add(
        "aws_vpc",
        "vpc".into(),
        json!({"cidr_block": "10.0.0.0/16", "enable_dns_hostnames": true, "enable_dns_support": true, "tags": {"Name": format!("eks-vpc-{suffix}")}}),
    );
    let vpc_id = reference("aws_vpc", "vpc", "id");
    let zones: Vec<String> = (0..usize::from(options.azs))
        .map(|i| format!("{region}{}", zone_letter(i)))
        .collect();
    for (tier, public) in [("public", true), ("private", false)] {
        for (i, zone) in zones.iter().enumerate() {
            let zone = match (violates(Violation::SubnetsSpanThreeAzs), public) {
                // Every private subnet in the first zone: Fargate pods lose the zone redundancy.
                (true, false) => zones[0].clone(),
                _ => zone.clone(),
            };
            let (cidr, role) = if public {
                (format!("10.0.{i}.0/24"), "kubernetes.io/role/elb")
            } else {
                (
                    format!("10.0.{}.0/24", 10 + i),
                    "kubernetes.io/role/internal-elb",
                )
            };
            add(
                "aws_subnet",
                format!("{tier}_subnet_{i}"),
                json!({
                    "availability_zone": zone, "cidr_block": cidr, "map_public_ip_on_launch": public,
                    "tags": {"Name": format!("eks-{tier}-subnet-{i}-{suffix}"), format!("kubernetes.io/cluster/{cluster_name}"): "shared", role: "1"},
                    "vpc_id": vpc_id,
                }),
            );
        }
    }
    add(
        "aws_internet_gateway",
        "igw".into(),
        json!({"tags": {"Name": format!("eks-igw-{suffix}")}, "vpc_id": vpc_id}),
    );
    for tier in ["public", "private"] {
        add(
            "aws_route_table",
            format!("{tier}_route_table"),
            json!({"tags": {"Name": format!("eks-{tier}-rt-{suffix}")}, "vpc_id": vpc_id}),
        );
    }
    add(
        "aws_route",
        "public_internet_route".into(),
        json!({
            "destination_cidr_block": "0.0.0.0/0",
            "gateway_id": reference("aws_internet_gateway", "igw", "id"),
            "route_table_id": reference("aws_route_table", "public_route_table", "id"),
        }),
    );
    for tier in ["public", "private"] {
        for i in 0..options.azs {
            add(
                "aws_route_table_association",
                format!("{tier}_rt_assoc_{i}"),
                json!({
                    "route_table_id": reference("aws_route_table", &format!("{tier}_route_table"), "id"),
                    "subnet_id": reference("aws_subnet", &format!("{tier}_subnet_{i}"), "id"),
                }),
            );
        }
    }
    let subnet_ids = |tiers: &[&str]| -> Vec<String> {
        tiers
            .iter()
            .flat_map(|tier| {
                (0..usize::from(options.azs))
                    .map(move |i| reference("aws_subnet", &format!("{tier}_subnet_{i}"), "id"))
            })
            .collect()
    };
    let rule = |cidr: &str, description: &str, port: i64, protocol: &str| {
        json!({
            "cidr_blocks": [cidr], "description": description, "from_port": port, "ipv6_cidr_blocks": null,
            "prefix_list_ids": null, "protocol": protocol, "security_groups": null, "self": null, "to_port": port,
        })
    };
    add(
        "aws_security_group",
        "cluster_sg".into(),
        json!({
            "description": "Security group for EKS cluster control plane",
            "egress": [rule("0.0.0.0/0", "Allow all outbound traffic", 0, "-1")],
            "ingress": [rule("10.0.0.0/16", "Allow pods to communicate with cluster API", 443, "tcp")],
            "name": format!("eks-cluster-sg-{suffix}"), "tags": {"Name": format!("eks-cluster-sg-{suffix}")}, "vpc_id": vpc_id,
        }),
    );

    // The cluster, its roles and logs.
    add(
        "aws_iam_role",
        "eks_cluster_role".into(),
        json!({"assume_role_policy": service_trust("eks.amazonaws.com"), "name": format!("eks-cluster-role-{suffix}"), "tags": {"Name": format!("eks-cluster-role-{suffix}")}}),
    );
    for (id, policy_name) in [
        ("eks_cluster_policy", "AmazonEKSClusterPolicy"),
        (
            "eks_vpc_resource_controller_policy",
            "AmazonEKSVPCResourceController",
        ),
    ] {
        add(
            "aws_iam_role_policy_attachment",
            id.into(),
            json!({"policy_arn": format!("arn:aws:iam::aws:policy/{policy_name}"), "role": reference("aws_iam_role", "eks_cluster_role", "name")}),
        );
    }
    let retention = |default: u32| {
        if violates(Violation::LogGroupRetention) {
            1
        } else {
            default
        }
    };
    add(
        "aws_cloudwatch_log_group",
        "cluster_log_group".into(),
        json!({"name": format!("/aws/eks/{cluster_name}/cluster"), "retention_in_days": retention(options.log_retention_days), "tags": {"Name": format!("eks-cluster-logs-{suffix}")}}),
    );
    let log_types: Vec<&str> = if violates(Violation::EksControlPlaneLogging) {
        LOG_TYPES[..3].to_vec()
    } else {
        LOG_TYPES.to_vec()
    };
    add(
        "aws_eks_cluster",
        "eks_cluster".into(),
        json!({
            "depends_on": [
                format!("aws_iam_role_policy_attachment.{}", logical_id("eks_cluster_policy")),
                format!("aws_iam_role_policy_attachment.{}", logical_id("eks_vpc_resource_controller_policy")),
                format!("aws_cloudwatch_log_group.{}", logical_id("cluster_log_group")),
            ],
            "enabled_cluster_log_types": log_types,
            "name": cluster_name, "role_arn": reference("aws_iam_role", "eks_cluster_role", "arn"),
            "tags": {"Name": cluster_name}, "version": options.cluster_version,
            "vpc_config": {
                "endpoint_private_access": true, "endpoint_public_access": true,
                "security_group_ids": [reference("aws_security_group", "cluster_sg", "id")],
                "subnet_ids": subnet_ids(&["private", "public"]),
            },
        }),
    );
    let cluster_ref = |attribute: &str| reference("aws_eks_cluster", "eks_cluster", attribute);
    add(
        "aws_iam_openid_connect_provider",
        "eks_oidc_provider".into(),
        json!({
            "client_id_list": ["sts.amazonaws.com"], "tags": {"Name": format!("eks-oidc-provider-{suffix}")},
            "thumbprint_list": [OIDC_THUMBPRINT], "url": cluster_ref("identity[0].oidc[0].issuer"),
        }),
    );

    // Fargate: one profile per namespace, in the private subnets.
    add(
        "aws_iam_role",
        "fargate_pod_execution_role".into(),
        json!({"assume_role_policy": service_trust("eks-fargate-pods.amazonaws.com"), "name": format!("eks-fargate-pod-execution-role-{suffix}"), "tags": {"Name": format!("eks-fargate-pod-execution-role-{suffix}")}}),
    );
    add(
        "aws_iam_role_policy_attachment",
        "fargate_pod_execution_policy".into(),
        json!({"policy_arn": "arn:aws:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy", "role": reference("aws_iam_role", "fargate_pod_execution_role", "name")}),
    );
    for namespace in NAMESPACES.iter().chain(&["kube-system"]) {
        add(
            "aws_eks_fargate_profile",
            format!("{}_fargate_profile", snake(namespace)),
            json!({
                "cluster_name": cluster_ref("name"), "fargate_profile_name": format!("{namespace}-profile-{suffix}"),
                "pod_execution_role_arn": reference("aws_iam_role", "fargate_pod_execution_role", "arn"),
                "selector": [{"namespace": namespace}], "subnet_ids": subnet_ids(&["private"]),
                "tags": {"Name": format!("{namespace}-profile-{suffix}")},
            }),
        );
    }

    // Images.
    let lifecycle = dumps(&dict([(
        "rules",
        Py::List(vec![dict([
            ("rulePriority", Py::Int(1)),
            ("description", s("Keep last 10 images")),
            (
                "selection",
                dict([
                    ("tagStatus", s("any")),
                    ("countType", s("imageCountMoreThan")),
                    ("countNumber", Py::Int(10)),
                ]),
            ),
            ("action", dict([("type", s("expire"))])),
        ])]),
    )]));
    for (i, namespace) in NAMESPACES.iter().enumerate() {
        let repo = format!("{}_ecr_repo", snake(namespace));
        let name = format!("{namespace}-service-{suffix}");
        let scan = !(violates(Violation::EcrScanOnPush) && i == 0);
        add(
            "aws_ecr_repository",
            repo.clone(),
            json!({"force_delete": true, "image_scanning_configuration": {"scan_on_push": scan}, "image_tag_mutability": "MUTABLE", "name": name, "tags": {"Name": name}}),
        );
        add(
            "aws_ecr_lifecycle_policy",
            format!("{}_ecr_lifecycle", snake(namespace)),
            json!({"policy": lifecycle, "repository": reference("aws_ecr_repository", &repo, "name")}),
        );
    }

    // Identity: IRSA roles trusting one service account each, with least-privilege policies.
    let account = format!(
        "${{data.aws_caller_identity.{}.account_id}}",
        logical_id("current")
    );
    let issuer = format!(
        "${{replace({}, \"https://\", \"\")}}",
        traversal(
            "aws_eks_cluster",
            "eks_cluster",
            "identity[0].oidc[0].issuer"
        )
    );
    let irsa_trust = |namespace: &str, service_account: &str, violated: bool| {
        if violated {
            // Any web identity, any service account: what the rule exists to stop.
            return policy(vec![dict([
                ("Effect", s("Allow")),
                ("Principal", dict([("Federated", s("*"))])),
                ("Action", s("sts:AssumeRoleWithWebIdentity")),
            ])]);
        }
        policy(vec![dict([
            ("Effect", s("Allow")),
            (
                "Principal",
                dict([(
                    "Federated",
                    s(format!("arn:aws:iam::{account}:oidc-provider/{issuer}")),
                )]),
            ),
            ("Action", s("sts:AssumeRoleWithWebIdentity")),
            (
                "Condition",
                dict([(
                    "StringEquals",
                    Py::Dict(vec![
                        (
                            format!("{issuer}:sub"),
                            s(format!(
                                "system:serviceaccount:{namespace}:{service_account}"
                            )),
                        ),
                        (format!("{issuer}:aud"), s("sts.amazonaws.com")),
                    ]),
                )]),
            ),
        ])])
    };
    let arn = |service: &str, resource: &str| {
        s(format!("arn:aws:{service}:{region}:{account}:{resource}"))
    };
    let secret_access = |namespace: &str| {
        statement(
            Some("SecretsManagerAccess"),
            &[
                "secretsmanager:GetSecretValue",
                "secretsmanager:DescribeSecret",
            ],
            s(reference(
                "aws_secretsmanager_secret",
                &format!("{}_secret", snake(namespace)),
                "arn",
            )),
        )
    };
    for (i, namespace) in NAMESPACES.iter().enumerate() {
        let ns = snake(namespace);
        let statements = match *namespace {
            "payment" => vec![
                statement(
                    Some("DynamoDBAccess"),
                    &[
                        "dynamodb:GetItem",
                        "dynamodb:PutItem",
                        "dynamodb:UpdateItem",
                        "dynamodb:DeleteItem",
                        "dynamodb:Query",
                        "dynamodb:Scan",
                    ],
                    arn("dynamodb", "table/payment-*"),
                ),
                statement(
                    Some("SQSAccess"),
                    &[
                        "sqs:SendMessage",
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:GetQueueAttributes",
                    ],
                    arn("sqs", "payment-*"),
                ),
                statement(Some("SNSAccess"), &["sns:Publish"], arn("sns", "payment-*")),
                secret_access(namespace),
            ],
            "fraud-detection" => vec![
                statement(
                    Some("SageMakerAccess"),
                    &["sagemaker:InvokeEndpoint"],
                    arn("sagemaker", "endpoint/fraud-detection-*"),
                ),
                statement(
                    Some("S3ModelAccess"),
                    &["s3:GetObject", "s3:ListBucket"],
                    strings(&[
                        &format!("arn:aws:s3:::fraud-detection-models-{suffix}"),
                        &format!("arn:aws:s3:::fraud-detection-models-{suffix}/*"),
                    ]),
                ),
                secret_access(namespace),
            ],
            _ => vec![
                statement(
                    Some("AthenaAccess"),
                    &[
                        "athena:StartQueryExecution",
                        "athena:GetQueryExecution",
                        "athena:GetQueryResults",
                        "athena:StopQueryExecution",
                    ],
                    arn("athena", "workgroup/reporting-*"),
                ),
                statement(
                    Some("S3ReportsAccess"),
                    &["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                    strings(&[
                        &format!("arn:aws:s3:::reporting-data-{suffix}"),
                        &format!("arn:aws:s3:::reporting-data-{suffix}/*"),
                    ]),
                ),
                secret_access(namespace),
            ],
        };
        add(
            "aws_iam_policy",
            format!("{ns}_irsa_policy"),
            json!({"description": format!("Least-privilege policy for the {namespace} namespace"), "name": format!("eks-{namespace}-irsa-policy-{suffix}"), "policy": policy(statements)}),
        );
        let violated = violates(Violation::IrsaTrustConditions) && i == 0;
        add(
            "aws_iam_role",
            format!("{ns}_irsa_role"),
            json!({"assume_role_policy": irsa_trust(namespace, &format!("{namespace}-sa"), violated), "name": format!("eks-{namespace}-irsa-role-{suffix}"), "tags": {"Name": format!("eks-{namespace}-irsa-role-{suffix}"), "Namespace": namespace}}),
        );
        add(
            "aws_iam_role_policy_attachment",
            format!("{ns}_irsa_policy_attachment"),
            json!({"policy_arn": reference("aws_iam_policy", &format!("{ns}_irsa_policy"), "arn"), "role": reference("aws_iam_role", &format!("{ns}_irsa_role"), "name")}),
        );
        add(
            "aws_secretsmanager_secret",
            format!("{ns}_secret"),
            json!({"description": format!("Application configuration for the {namespace} namespace"), "name": format!("{namespace}/app-config-{suffix}"), "recovery_window_in_days": 0, "tags": {"Name": format!("{namespace}-app-config-{suffix}"), "Namespace": namespace}}),
        );
        let placeholders = dumps(&dict([
            ("database_url", s("PLACEHOLDER_DATABASE_URL")),
            ("api_key", s("PLACEHOLDER_API_KEY")),
            ("encryption_key", s("PLACEHOLDER_ENCRYPTION_KEY")),
        ]));
        add(
            "aws_secretsmanager_secret_version",
            format!("{ns}_secret_version"),
            json!({"secret_id": reference("aws_secretsmanager_secret", &format!("{ns}_secret"), "id"), "secret_string": placeholders}),
        );
        add(
            "aws_cloudwatch_log_group",
            format!("{ns}_log_group"),
            json!({"name": format!("/aws/eks/{cluster_name}/{namespace}"), "retention_in_days": retention(options.log_retention_days), "tags": {"Name": format!("eks-{namespace}-logs-{suffix}"), "Namespace": namespace}}),
        );
    }
    let alb_policy = policy(vec![
        statement(
            None,
            &[
                "ec2:DescribeAccountAttributes",
                "ec2:DescribeAddresses",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeVpcs",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeInstances",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeTags",
                "ec2:CreateSecurityGroup",
                "ec2:CreateTags",
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:DeleteSecurityGroup",
            ],
            s("*"),
        ),
        statement(
            None,
            &[
                "elasticloadbalancing:CreateLoadBalancer",
                "elasticloadbalancing:CreateTargetGroup",
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:DeleteRule",
                "elasticloadbalancing:Describe*",
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:RegisterTargets",
                "elasticloadbalancing:DeregisterTargets",
                "elasticloadbalancing:AddTags",
                "elasticloadbalancing:RemoveTags",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
            ],
            s("*"),
        ),
        statement(
            None,
            &[
                "acm:ListCertificates",
                "acm:DescribeCertificate",
                "iam:CreateServiceLinkedRole",
                "wafv2:GetWebACLForResource",
                "shield:GetSubscriptionState",
            ],
            s("*"),
        ),
    ]);
    add(
        "aws_iam_policy",
        "alb_controller_policy".into(),
        json!({"description": "Policy for the AWS Load Balancer Controller", "name": format!("eks-alb-controller-policy-{suffix}"), "policy": alb_policy}),
    );
    add(
        "aws_iam_role",
        "alb_controller_role".into(),
        json!({"assume_role_policy": irsa_trust("kube-system", "aws-load-balancer-controller", false), "name": format!("eks-alb-controller-role-{suffix}"), "tags": {"Name": format!("eks-alb-controller-role-{suffix}")}}),
    );
    add(
        "aws_iam_role_policy_attachment",
        "alb_controller_policy_attachment".into(),
        json!({"policy_arn": reference("aws_iam_policy", "alb_controller_policy", "arn"), "role": reference("aws_iam_role", "alb_controller_role", "name")}),
    );

    // Observability: Container Insights log groups.
    for kind in ["application", "performance"] {
        add(
            "aws_cloudwatch_log_group",
            format!("container_insights_{kind}_log_group"),
            json!({"name": format!("/aws/containerinsights/{cluster_name}/{kind}"), "retention_in_days": retention(options.log_retention_days), "tags": {"Name": format!("eks-container-insights-{kind}-{suffix}")}}),
        );
    }

    // Add-ons: no version, so AWS picks the one that fits the cluster.
    for (id, addon) in [
        ("vpc_cni_addon", "vpc-cni"),
        ("coredns_addon", "coredns"),
        ("kube_proxy_addon", "kube-proxy"),
    ] {
        let mut body = json!({"addon_name": addon, "cluster_name": cluster_ref("name"), "resolve_conflicts_on_create": "OVERWRITE", "resolve_conflicts_on_update": "OVERWRITE", "tags": {"Name": format!("{addon}-addon-{suffix}")}});
        // The seed's `add_dependency` reaches no synth; the `depends_on` argument does.
        if options.fixed && addon == "coredns" {
            let profile = logical_id("kube_system_fargate_profile");
            body["depends_on"] = json!([format!("aws_eks_fargate_profile.{profile}")]);
        }
        add("aws_eks_addon", id.into(), body);
    }

    let repository_url = |namespace: &str| {
        reference(
            "aws_ecr_repository",
            &format!("{}_ecr_repo", snake(namespace)),
            "repository_url",
        )
    };
    let outputs = vec![
        Output {
            id: "vpc_id",
            description: "VPC identifier",
            value: json!(vpc_id),
        },
        Output {
            id: "cluster_name",
            description: "EKS cluster name",
            value: json!(cluster_ref("name")),
        },
        Output {
            id: "cluster_endpoint",
            description: "EKS cluster API endpoint",
            value: json!(cluster_ref("endpoint")),
        },
        Output {
            id: "oidc_provider_arn",
            description: "OIDC provider ARN for IRSA",
            value: json!(reference(
                "aws_iam_openid_connect_provider",
                "eks_oidc_provider",
                "arn"
            )),
        },
        Output {
            id: "cluster_security_group_id",
            description: "Security group ID for cluster",
            value: json!(reference("aws_security_group", "cluster_sg", "id")),
        },
        Output {
            id: "ecr_repository_urls",
            description: "Map of ECR repository names to URLs",
            value: json!({
                "payment-service": repository_url("payment"), "fraud-detection-service": repository_url("fraud-detection"), "reporting-service": repository_url("reporting"),
            }),
        },
        Output {
            id: "irsa_role_arn_payment",
            description: "IAM role ARN for payment namespace",
            value: json!(reference("aws_iam_role", "payment_irsa_role", "arn")),
        },
        Output {
            id: "irsa_role_arn_fraud_detection",
            description: "IAM role ARN for fraud-detection namespace",
            value: json!(reference(
                "aws_iam_role",
                "fraud_detection_irsa_role",
                "arn"
            )),
        },
        Output {
            id: "irsa_role_arn_reporting",
            description: "IAM role ARN for reporting namespace",
            value: json!(reference("aws_iam_role", "reporting_irsa_role", "arn")),
        },
        Output {
            id: "alb_controller_role_arn",
            description: "IAM role ARN for ALB controller",
            value: json!(reference("aws_iam_role", "alb_controller_role", "arn")),
        },
    ];
    let stack = format!("TapStack{suffix}");
    Platform {
        provider: json!({"aws": [{"default_tags": [{"tags": {"Author": "unknown", "Environment": suffix, "Repository": "unknown"}}], "region": region}]}),
        terraform: json!({
            "backend": {"s3": {"bucket": options.state_bucket, "encrypt": true, "key": format!("{suffix}/{stack}.tfstate"), "region": options.state_bucket_region}},
            "required_providers": {"aws": {"source": "aws", "version": "6.25.0"}},
        }),
        stack,
        resources,
        data: vec![Block {
            resource_type: "aws_caller_identity",
            id: "current".into(),
            body: json!({}),
        }],
        outputs,
    }
}

fn zone_letter(i: usize) -> char {
    (b'a' + (i % 26) as u8) as char
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_ids_match_cdktf() {
        assert_eq!(
            logical_id("eks_cluster"),
            "microservices_eks_cluster_A3E3BE71"
        );
        assert_eq!(
            logical_id("cluster_name"),
            "microservices_cluster_name_F27AAE71"
        );
    }

    #[test]
    fn documents_are_encoded_like_json_dumps_with_raw_tokens() {
        let token = r#"${replace(aws_eks_cluster.c.identity[0].oidc[0].issuer, "https://", "")}"#;
        let text = dumps(&dict([
            ("k", s(format!("{token}:sub"))),
            ("n", Py::Int(10)),
            ("l", strings(&["a", "b"])),
        ]));
        assert_eq!(
            text,
            format!(r#"{{"k": "{token}:sub", "n": 10, "l": ["a", "b"]}}"#)
        );
    }
}
