//! The reference platform as a Terraform module people would write by hand: one file per
//! concern, variables for what changes between environments, `for_each` over the namespaces
//! and zones, `jsonencode` for policies. It declares what the synth declares and passes every
//! rule; `--violate` breaks exactly the rule named, as in the other forms.

use super::platform::{LOG_TYPES, NAMESPACES, OIDC_THUMBPRINT};
use super::{Options, Violation};

/// The module's files, by name, in the order they are written.
pub fn module(options: &Options) -> Vec<(&'static str, String)> {
    let violates = |v: Violation| options.violations.contains(&v);
    let zones: Vec<String> = (0..usize::from(options.azs))
        .map(|i| format!("\"{}{}\"", options.region, (b'a' + (i % 26) as u8) as char))
        .collect();
    let namespaces: Vec<String> = NAMESPACES.iter().map(|n| format!("\"{n}\"")).collect();
    let log_types: Vec<String> = LOG_TYPES
        .iter()
        .take(if violates(Violation::EksControlPlaneLogging) {
            3
        } else {
            5
        })
        .map(|t| format!("\"{t}\""))
        .collect();
    let private_zone = if violates(Violation::SubnetsSpanThreeAzs) {
        "var.azs[0]"
    } else {
        "each.key"
    };
    let retention = if violates(Violation::LogGroupRetention) {
        "1"
    } else {
        "var.log_retention_days"
    };
    let scan = if violates(Violation::EcrScanOnPush) {
        "each.key != \"payment\""
    } else {
        "true"
    };
    let trust = if violates(Violation::IrsaTrustConditions) {
        "each.key == \"payment\" ? local.any_web_identity : local.irsa_trust[each.key]"
    } else {
        "local.irsa_trust[each.key]"
    };
    let backend = format!(
        r#"terraform {{
  required_version = ">= 1.5"

  required_providers {{
    aws = {{
      source  = "hashicorp/aws"
      version = "6.25.0"
    }}
  }}

  backend "s3" {{
    bucket  = "{bucket}"
    key     = "{suffix}/payments.tfstate"
    region  = "{bucket_region}"
    encrypt = true
  }}
}}

provider "aws" {{
  region = var.region

  default_tags {{
    tags = {{
      Environment = var.environment_suffix
    }}
  }}
}}
"#,
        bucket = options.state_bucket,
        suffix = options.suffix,
        bucket_region = options.state_bucket_region,
    );
    let variables = format!(
        r#"variable "environment_suffix" {{
  description = "Appended to every name: dev, staging, prod."
  type        = string
  default     = "{suffix}"
}}

variable "region" {{
  description = "The AWS region of the platform."
  type        = string
  default     = "{region}"
}}

variable "azs" {{
  description = "Availability zones, with a public and a private subnet in each."
  type        = list(string)
  default     = [{zones}]
}}

variable "cluster_version" {{
  description = "The EKS version."
  type        = string
  default     = "{version}"
}}

variable "log_retention_days" {{
  description = "How long every log group keeps events."
  type        = number
  default     = {retention}
}}

variable "namespaces" {{
  description = "The tenants: a namespace, repository, role, secret and log group each."
  type        = set(string)
  default     = [{namespaces}]
}}

locals {{
  cluster_name = "eks-payment-cluster-${{var.environment_suffix}}"
  zone_index   = {{ for i, zone in var.azs : zone => i }}
}}
"#,
        suffix = options.suffix,
        region = options.region,
        zones = zones.join(", "),
        version = options.cluster_version,
        retention = options.log_retention_days,
        namespaces = namespaces.join(", "),
    );
    let network = format!(
        r#"resource "aws_vpc" "main" {{
  cidr_block           = "10.0.0.0/16"
  enable_dns_hostnames = true
  enable_dns_support   = true

  tags = {{
    Name = "eks-vpc-${{var.environment_suffix}}"
  }}
}}

resource "aws_subnet" "public" {{
  for_each = local.zone_index

  vpc_id                  = aws_vpc.main.id
  availability_zone       = each.key
  cidr_block              = cidrsubnet(aws_vpc.main.cidr_block, 8, each.value)
  map_public_ip_on_launch = true

  tags = {{
    Name                                          = "eks-public-subnet-${{each.value}}-${{var.environment_suffix}}"
    "kubernetes.io/cluster/${{local.cluster_name}}" = "shared"
    "kubernetes.io/role/elb"                      = "1"
  }}
}}

resource "aws_subnet" "private" {{
  for_each = local.zone_index

  vpc_id            = aws_vpc.main.id
  availability_zone = {private_zone}
  cidr_block        = cidrsubnet(aws_vpc.main.cidr_block, 8, 10 + each.value)

  tags = {{
    Name                                          = "eks-private-subnet-${{each.value}}-${{var.environment_suffix}}"
    "kubernetes.io/cluster/${{local.cluster_name}}" = "shared"
    "kubernetes.io/role/internal-elb"             = "1"
  }}
}}

resource "aws_internet_gateway" "main" {{
  vpc_id = aws_vpc.main.id

  tags = {{
    Name = "eks-igw-${{var.environment_suffix}}"
  }}
}}

resource "aws_route_table" "public" {{
  vpc_id = aws_vpc.main.id

  route {{
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.main.id
  }}

  tags = {{
    Name = "eks-public-rt-${{var.environment_suffix}}"
  }}
}}

resource "aws_route_table" "private" {{
  vpc_id = aws_vpc.main.id

  tags = {{
    Name = "eks-private-rt-${{var.environment_suffix}}"
  }}
}}

resource "aws_route_table_association" "public" {{
  for_each = aws_subnet.public

  subnet_id      = each.value.id
  route_table_id = aws_route_table.public.id
}}

resource "aws_route_table_association" "private" {{
  for_each = aws_subnet.private

  subnet_id      = each.value.id
  route_table_id = aws_route_table.private.id
}}

resource "aws_security_group" "cluster" {{
  name        = "eks-cluster-sg-${{var.environment_suffix}}"
  description = "Security group for EKS cluster control plane"
  vpc_id      = aws_vpc.main.id

  ingress {{
    description = "Allow pods to communicate with cluster API"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [aws_vpc.main.cidr_block]
  }}

  egress {{
    description = "Allow all outbound traffic"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }}
}}
"#
    );
    let eks = format!(
        r#"resource "aws_iam_role" "cluster" {{
  name = "eks-cluster-role-${{var.environment_suffix}}"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Principal = {{ Service = "eks.amazonaws.com" }}, Action = "sts:AssumeRole" }}]
  }})
}}

resource "aws_iam_role_policy_attachment" "cluster" {{
  for_each = toset(["AmazonEKSClusterPolicy", "AmazonEKSVPCResourceController"])

  role       = aws_iam_role.cluster.name
  policy_arn = "arn:aws:iam::aws:policy/${{each.key}}"
}}

resource "aws_cloudwatch_log_group" "cluster" {{
  name              = "/aws/eks/${{local.cluster_name}}/cluster"
  retention_in_days = {retention}
}}

resource "aws_eks_cluster" "main" {{
  name                      = local.cluster_name
  version                   = var.cluster_version
  role_arn                  = aws_iam_role.cluster.arn
  enabled_cluster_log_types = [{log_types}]

  vpc_config {{
    subnet_ids              = concat(values(aws_subnet.private)[*].id, values(aws_subnet.public)[*].id)
    security_group_ids      = [aws_security_group.cluster.id]
    endpoint_private_access = true
    endpoint_public_access  = true
  }}

  depends_on = [aws_iam_role_policy_attachment.cluster, aws_cloudwatch_log_group.cluster]
}}

resource "aws_iam_openid_connect_provider" "eks" {{
  url             = aws_eks_cluster.main.identity[0].oidc[0].issuer
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["{thumbprint}"]
}}

resource "aws_iam_role" "fargate" {{
  name = "eks-fargate-pod-execution-role-${{var.environment_suffix}}"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Principal = {{ Service = "eks-fargate-pods.amazonaws.com" }}, Action = "sts:AssumeRole" }}]
  }})
}}

resource "aws_iam_role_policy_attachment" "fargate" {{
  role       = aws_iam_role.fargate.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy"
}}

resource "aws_eks_fargate_profile" "namespace" {{
  for_each = setunion(var.namespaces, ["kube-system"])

  cluster_name           = aws_eks_cluster.main.name
  fargate_profile_name   = "${{each.key}}-profile-${{var.environment_suffix}}"
  pod_execution_role_arn = aws_iam_role.fargate.arn
  subnet_ids             = values(aws_subnet.private)[*].id

  selector {{
    namespace = each.key
  }}
}}

resource "aws_eks_addon" "addon" {{
  for_each = toset(["vpc-cni", "coredns", "kube-proxy"])

  cluster_name                = aws_eks_cluster.main.name
  addon_name                  = each.key
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"{addon_dependency}
}}
"#,
        log_types = log_types.join(", "),
        thumbprint = OIDC_THUMBPRINT,
        addon_dependency = if options.fixed {
            "\n\n  depends_on = [aws_eks_fargate_profile.namespace[\"kube-system\"]]"
        } else {
            ""
        },
    );
    let ecr = format!(
        r#"resource "aws_ecr_repository" "service" {{
  for_each = var.namespaces

  name                 = "${{each.key}}-service-${{var.environment_suffix}}"
  image_tag_mutability = "MUTABLE"
  force_delete         = true

  image_scanning_configuration {{
    scan_on_push = {scan}
  }}
}}

resource "aws_ecr_lifecycle_policy" "service" {{
  for_each = aws_ecr_repository.service

  repository = each.value.name
  policy = jsonencode({{
    rules = [{{
      rulePriority = 1
      description  = "Keep last 10 images"
      selection    = {{ tagStatus = "any", countType = "imageCountMoreThan", countNumber = 10 }}
      action       = {{ type = "expire" }}
    }}]
  }})
}}
"#
    );
    let iam = format!(
        r#"data "aws_caller_identity" "current" {{}}

locals {{
  issuer = replace(aws_iam_openid_connect_provider.eks.url, "https://", "")

  # Each role trusts one service account of the cluster's OIDC provider.
  service_accounts = merge(
    {{ for namespace in var.namespaces : namespace => "system:serviceaccount:${{namespace}}:${{namespace}}-sa" }},
    {{ alb-controller = "system:serviceaccount:kube-system:aws-load-balancer-controller" }},
  )
  irsa_trust = {{
    for name, subject in local.service_accounts : name => jsonencode({{
      Version = "2012-10-17"
      Statement = [{{
        Effect    = "Allow"
        Principal = {{ Federated = aws_iam_openid_connect_provider.eks.arn }}
        Action    = "sts:AssumeRoleWithWebIdentity"
        Condition = {{
          StringEquals = {{
            "${{local.issuer}}:sub" = subject
            "${{local.issuer}}:aud" = "sts.amazonaws.com"
          }}
        }}
      }}]
    }})
  }}
  any_web_identity = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Principal = {{ Federated = "*" }}, Action = "sts:AssumeRoleWithWebIdentity" }}]
  }})
}}

resource "aws_iam_role" "irsa" {{
  for_each = local.service_accounts

  name               = "eks-${{each.key}}-irsa-role-${{var.environment_suffix}}"
  assume_role_policy = {trust}
}}

resource "aws_iam_policy" "secrets" {{
  for_each = var.namespaces

  name = "eks-${{each.key}}-secrets-${{var.environment_suffix}}"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Sid      = "SecretsManagerAccess"
      Effect   = "Allow"
      Action   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
      Resource = aws_secretsmanager_secret.app_config[each.key].arn
    }}]
  }})
}}

resource "aws_iam_role_policy_attachment" "secrets" {{
  for_each = var.namespaces

  role       = aws_iam_role.irsa[each.key].name
  policy_arn = aws_iam_policy.secrets[each.key].arn
}}
"#
    );
    let secrets = r#"resource "aws_secretsmanager_secret" "app_config" {
  for_each = var.namespaces

  name                    = "${each.key}/app-config-${var.environment_suffix}"
  description             = "Application configuration for the ${each.key} namespace"
  recovery_window_in_days = 7
}
"#
    .to_owned();
    let logs = format!(
        r#"resource "aws_cloudwatch_log_group" "namespace" {{
  for_each = var.namespaces

  name              = "/aws/eks/${{local.cluster_name}}/${{each.key}}"
  retention_in_days = {retention}
}}

resource "aws_cloudwatch_log_group" "container_insights" {{
  for_each = toset(["application", "performance"])

  name              = "/aws/containerinsights/${{local.cluster_name}}/${{each.key}}"
  retention_in_days = {retention}
}}
"#
    );
    let outputs = r#"output "cluster_name" {
  description = "EKS cluster name"
  value       = aws_eks_cluster.main.name
}

output "oidc_provider_arn" {
  description = "OIDC provider ARN for IRSA"
  value       = aws_iam_openid_connect_provider.eks.arn
}

output "ecr_repository_urls" {
  description = "ECR repository URL of each namespace"
  value       = { for namespace, repository in aws_ecr_repository.service : namespace => repository.repository_url }
}

output "irsa_role_arns" {
  description = "IAM role ARN of each service account"
  value       = { for name, role in aws_iam_role.irsa : name => role.arn }
}
"#
    .to_owned();
    let files = vec![
        ("versions.tf", backend),
        ("variables.tf", variables),
        ("network.tf", network),
        ("eks.tf", eks),
        ("ecr.tf", ecr),
        ("iam.tf", iam),
        ("secrets.tf", secrets),
        ("logs.tf", logs),
        ("outputs.tf", outputs),
    ];
    files
        .into_iter()
        .map(|(name, text)| (name, align_equals(&text)))
        .collect()
}

/// Aligns the `=` of consecutive attribute lines at the same indentation, as `terraform fmt`
/// does: a blank line, a block, a closing brace or a change of indentation ends a run, and so
/// does an attribute whose value goes on over more lines (it joins the run it ends).
pub fn align_equals(text: &str) -> String {
    fn key_of(line: &str) -> Option<(usize, &str)> {
        let indent = line.len() - line.trim_start().len();
        let rest = &line[indent..];
        let key_end = if let Some(quoted) = rest.strip_prefix('"') {
            quoted.find('"')? + 2
        } else {
            rest.find(|c: char| c.is_whitespace() || c == '=')?
        };
        let after = rest[key_end..].trim_start();
        (after.starts_with('=') && !after.starts_with("==") && !rest.starts_with('#'))
            .then(|| (indent, &rest[..key_end]))
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    let mut at = 0;
    while at < lines.len() {
        let Some((indent, _)) = key_of(lines[at]) else {
            at += 1;
            continue;
        };
        let mut end = at;
        while end < lines.len() {
            match key_of(lines[end]) {
                Some((i, _)) if i == indent => {
                    end += 1;
                    let opens = lines[end - 1].trim_end().ends_with(['{', '[', '(']);
                    if opens {
                        break;
                    }
                }
                _ => break,
            }
        }
        let width = (at..end)
            .filter_map(|i| key_of(lines[i]).map(|(_, k)| k.chars().count()))
            .max()
            .unwrap_or(0);
        for i in at..end {
            let Some((_, key)) = key_of(lines[i]) else {
                continue;
            };
            let value = lines[i][indent + key.len()..].trim_start()[1..].trim_start();
            let pad = width - key.chars().count();
            out[i] = format!("{}{key}{} = {value}", " ".repeat(indent), " ".repeat(pad));
        }
        at = end.max(at + 1);
    }
    let mut joined = out.join("\n");
    joined.push('\n');
    joined
}
