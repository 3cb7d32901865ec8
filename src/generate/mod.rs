//! `payplat generate`: the reference payment platform, known to be compliant, as CDKTF
//! synthesizes it (`cdk.tf.json`) or as `terraform show -json` plans it from empty state,
//! optionally with one violation per named rule for demos and rule tests.

mod plan;
mod platform;

pub use platform::logical_id;
use platform::{Platform, platform};
use serde_json::{Map, Value, json};

/// What the platform is made for.
#[derive(Debug, Clone, clap::Parser)]
pub struct Options {
    #[arg(long = "environment-suffix", default_value = "dev")]
    pub suffix: String,
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// The S3 bucket of the Terraform state.
    #[arg(long, default_value = "iac-state")]
    pub state_bucket: String,
    #[arg(long, default_value = "us-east-1")]
    pub state_bucket_region: String,
    #[arg(long, default_value = "1.29")]
    pub cluster_version: String,
    #[arg(long, default_value_t = 7)]
    pub log_retention_days: u32,
    /// Availability zones, with a public and a private subnet in each.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=26))]
    pub azs: u8,
    /// With `--format plan-json`: this many instances of the platform (`module.platform[N]`),
    /// 63 resources each, for large plans.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub copies: u32,
    /// Inject one violation of this rule (repeatable).
    #[arg(long = "violate", value_enum, value_name = "RULE")]
    pub violations: Vec<Violation>,
}

impl Default for Options {
    /// The defaults of the command line.
    fn default() -> Self {
        <Options as clap::Parser>::parse_from(["generate"])
    }
}

/// One violation of a built-in rule, named as the rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
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
    plan::render(&platform(options), options.copies as usize)
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
