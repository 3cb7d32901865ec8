//! Profiles group rules: `default` holds the platform invariants, `pci-dss` adds what a PCI DSS
//! assessment of the platform asks for. A profile may extend another and set rule parameters.

use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One profile, as `rules/profiles.yaml` declares it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// One line: what the profile is for.
    pub title: String,
    /// The profile whose rules this one also runs.
    pub extends: Option<String>,
    /// Parameters this profile sets, by rule code: `PP501: {min_days: 365}`.
    #[serde(default)]
    pub parameters: BTreeMap<String, Map<String, Value>>,
}

/// The profiles by name.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct Profiles(pub BTreeMap<String, Profile>);

impl Profiles {
    /// The profiles' names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }

    /// `name` and every profile it extends, nearest first; `None` for an unknown profile.
    pub fn chain(&self, name: &str) -> Option<Vec<(&str, &Profile)>> {
        let mut chain: Vec<(&str, &Profile)> = Vec::new();
        let mut next = Some(name);
        while let Some(name) = next {
            if chain.iter().any(|(n, _)| *n == name) {
                break; // a circle: what is in the chain already is all there is
            }
            let (name, profile) = self.0.get_key_value(name)?;
            chain.push((name, profile));
            next = profile.extends.as_deref();
        }
        Some(chain)
    }
}
