//! A rule's fix, as its file declares it: what to write on a failing resource. `payplat fix`
//! (the `fix` layer) finds where each value is set and turns this into edits.
//!
//! ```yaml
//! fix:
//!   title: scan every image on push
//!   set:
//!     image_scanning_configuration.scan_on_push: true      # blocks are added when missing
//!   add-to-list:
//!     enabled_cluster_log_types: [api, audit]               # the missing ones, order kept
//!   depends-on:                                             # a resource of the same module
//!     type: aws_eks_fargate_profile
//!     where: {selector.namespace: {param: namespace}}
//!   pin-web-identity: {audience: sts.amazonaws.com}         # IRSA trust conditions
//! ```
//!
//! Values may be `{param: NAME}`: the rule's parameter, as configured.

use serde::Deserialize;
use serde_json::{Map, Value};

/// What a rule's fix writes on a failing resource.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FixSpec {
    /// What the fix does, in a few words (`scan every image on push`).
    pub title: String,
    /// Attributes set to a value, by dotted path in the resource (`a.b`: attribute `b` of block `a`).
    #[serde(default)]
    pub set: Map<String, Value>,
    /// Lists that must hold these values: the missing ones are appended.
    #[serde(default)]
    pub add_to_list: Map<String, Value>,
    /// A resource of the same module to add to `depends_on`.
    pub depends_on: Option<DependsOn>,
    /// In an IRSA trust policy (`assume_role_policy`): `StringLike` on one exact `:sub`
    /// becomes `StringEquals`; a missing `:aud` condition is added with this audience.
    pub pin_web_identity: Option<PinWebIdentity>,
}

/// The audience an IRSA trust policy pins.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinWebIdentity {
    /// `sts.amazonaws.com`.
    pub audience: String,
}

/// The resource a fix makes the failing one wait for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DependsOn {
    /// Its type.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Values it must have, by dotted path (lists of blocks: any of them).
    #[serde(default, rename = "where")]
    pub matching: Map<String, Value>,
}

impl FixSpec {
    /// Checks what the format cannot: something to do, paths well formed, parameters declared.
    pub(crate) fn validate(&self, parameters: &Map<String, Value>) -> Result<(), String> {
        let nothing = self.set.is_empty()
            && self.add_to_list.is_empty()
            && self.depends_on.is_none()
            && self.pin_web_identity.is_none();
        if nothing {
            return Err("`fix` says nothing to do: give `set`, `add-to-list`, `depends-on` or `pin-web-identity`".into());
        }
        let matching = self.depends_on.iter().flat_map(|d| &d.matching);
        for (path, value) in self.set.iter().chain(&self.add_to_list).chain(matching) {
            if !is_dotted_path(path) {
                return Err(format!(
                    "`{path}` in `fix` is not a dotted path of attribute names (`block.attribute`)"
                ));
            }
            if let Some(name) = param_name(value).filter(|n| !parameters.contains_key(*n)) {
                return Err(format!(
                    "`fix` uses parameter `{name}`, which `parameters` does not declare"
                ));
            }
        }
        if let Some(value) = self.add_to_list.values().find(|v| {
            let listed = param_name(v).map_or(*v, |n| &parameters[n]);
            !listed.is_array()
        }) {
            return Err(format!("`add-to-list` values must be lists, found {value}"));
        }
        Ok(())
    }
}

/// `value`, or the parameter it names (`{param: NAME}`).
pub fn resolve_value(value: &Value, parameters: &Map<String, Value>) -> Value {
    param_name(value)
        .and_then(|name| parameters.get(name))
        .unwrap_or(value)
        .clone()
}

fn param_name(value: &Value) -> Option<&str> {
    match value {
        Value::Object(map) if map.len() == 1 => map.get("param")?.as_str(),
        _ => None,
    }
}

fn is_dotted_path(path: &str) -> bool {
    path.split('.').all(|name| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    })
}
