//! `payplat generate`: the reference payment platform, known to be compliant, as CDKTF
//! synthesizes it (`cdk.tf.json`), as `terraform show -json` plans it from empty state, or as a
//! Terraform module written by hand (`.tf` files), optionally with one violation per named rule
//! for demos and rule tests.

mod harden;
mod hcl;
mod plan;
mod platform;

pub use hcl::{align_equals, module as hcl_module};

use platform::Platform;
pub use platform::logical_id;
use serde_json::{Map, Value, json};

/// What the platform is made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Appended to every name: `dev`, `ref01`.
    pub suffix: String,
    /// The AWS region.
    pub region: String,
    /// The S3 bucket of the Terraform state.
    pub state_bucket: String,
    /// The region of the state bucket.
    pub state_bucket_region: String,
    /// The EKS version.
    pub cluster_version: String,
    /// Retention of every log group.
    pub log_retention_days: u32,
    /// Availability zones (1 to 26), with a public and a private subnet in each.
    pub azs: u8,
    /// For plans: this many instances of the platform (`module.platform[N]`), 63 resources each.
    pub copies: u32,
    /// For plans of copies: written as `terraform show -json` writes a plan that changes existing
    /// resources of many module calls: a configuration entry for every resource, `prior_state`,
    /// `before` values, `relevant_attributes` and `checks`.
    pub full_plan: bool,
    /// Violations to inject, one per named rule.
    pub violations: Vec<Violation>,
    /// Fix what the real synth gets wrong: CoreDNS waits for the kube-system Fargate profile.
    pub fixed: bool,
    /// Harden the platform for the `pci-dss` profile (KMS everywhere, private API endpoint,
    /// immutable tags, rotated secrets, flow logs, a year of logs).
    pub hardened: bool,
}

impl Default for Options {
    /// The reference platform as the seed describes it.
    fn default() -> Self {
        Options {
            suffix: "dev".into(),
            region: "us-east-1".into(),
            state_bucket: "iac-state".into(),
            state_bucket_region: "us-east-1".into(),
            cluster_version: "1.29".into(),
            log_retention_days: 7,
            azs: 3,
            copies: 1,
            full_plan: false,
            violations: Vec::new(),
            fixed: false,
            hardened: false,
        }
    }
}

/// One violation of a built-in rule, named as the rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// The payment repository does not scan on push.
    EcrScanOnPush,
    /// The cluster ships only api, audit and authenticator logs.
    EksControlPlaneLogging,
    /// The payment role trusts any web identity, with no conditions.
    IrsaTrustConditions,
    /// Every private subnet lies in the first zone.
    SubnetsSpanThreeAzs,
    /// Every log group keeps events for one day.
    LogGroupRetention,
}

impl Violation {
    /// Every violation with the name of its rule and what it does.
    pub const ALL: [(Violation, &'static str, &'static str); 5] = [
        (
            Violation::EcrScanOnPush,
            "ecr-scan-on-push",
            "The payment repository does not scan on push",
        ),
        (
            Violation::EksControlPlaneLogging,
            "eks-control-plane-logging",
            "The cluster ships only api, audit and authenticator logs",
        ),
        (
            Violation::IrsaTrustConditions,
            "irsa-trust-conditions",
            "The payment role trusts any web identity, with no conditions",
        ),
        (
            Violation::SubnetsSpanThreeAzs,
            "subnets-span-three-azs",
            "Every private subnet lies in the first zone",
        ),
        (
            Violation::LogGroupRetention,
            "log-group-retention",
            "Every log group keeps events for one day",
        ),
    ];
}

impl std::str::FromStr for Violation {
    type Err = String;

    fn from_str(text: &str) -> Result<Violation, String> {
        crate::text::choose(&Violation::ALL, text, "a rule payplat can violate")
    }
}

/// The platform as `cdktf synth` writes it.
pub fn cdktf(options: &Options) -> Value {
    let platform = platform(options);
    let stack = &platform.stack;
    let blocks = |blocks: &[platform::Block]| {
        let mut by_type: Map<String, Value> = Map::new();
        for block in blocks {
            let mut body = block.body.clone();
            body["//"] = json!({"metadata": {"path": format!("{stack}/microservices/{}", block.id), "uniqueId": block.logical_id()}});
            let named = by_type
                .entry(block.resource_type)
                .or_insert_with(|| json!({}));
            named[block.logical_id()] = body;
        }
        Value::Object(by_type)
    };
    let mut outputs = Map::new();
    let mut output_names = Map::new();
    for output in &platform.outputs {
        let name = logical_id(output.id);
        output_names.insert(output.id.to_owned(), json!(name));
        outputs.insert(
            name,
            json!({"description": output.description, "value": output.value}),
        );
    }
    json!({
        "//": {
            "metadata": {"backend": "s3", "stackName": stack, "version": "0.21.0"},
            "outputs": {stack.as_str(): {"microservices": output_names}},
        },
        "data": blocks(&platform.data),
        "output": outputs,
        "provider": platform.provider,
        "resource": blocks(&platform.resources),
        "terraform": platform.terraform,
    })
}

/// The platform as `terraform show -json` plans it from empty state.
pub fn plan_json(options: &Options) -> Value {
    plan::render(
        &platform(options),
        options.copies as usize,
        options.full_plan,
    )
}

impl Platform {
    /// Every block, resources then data sources, with its mode.
    fn blocks(&self) -> impl Iterator<Item = (&platform::Block, crate::model::Mode)> {
        use crate::model::Mode;
        self.resources
            .iter()
            .map(|b| (b, Mode::Managed))
            .chain(self.data.iter().map(|b| (b, Mode::Data)))
    }
}

/// The platform, hardened for the `pci-dss` profile where the options say.
fn platform(options: &Options) -> Platform {
    let mut platform = platform::platform(options);
    if options.hardened {
        harden::harden(&mut platform.resources, options);
    }
    platform
}
