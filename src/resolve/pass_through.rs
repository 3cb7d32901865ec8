//! Resource types that only pass values through (`time_sleep.triggers`, `terraform_data.output`
//! ← `input`), as data: the built-in `rules/pass-through.yaml` and those of users' rule
//! directories. A reference to such an attribute is the argument's value, and a dependency on
//! the resource.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

/// The file of a rule directory that names pass-through types.
pub const PASS_THROUGH_FILE: &str = "pass-through.yaml";

const BUILT_IN: &str = include_str!("../../rules/pass-through.yaml");

/// Resource type → attribute → the argument it echoes.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassThrough {
    #[serde(rename = "pass-through", default)]
    types: BTreeMap<String, BTreeMap<String, String>>,
}

impl PassThrough {
    /// The built-in table.
    pub fn built_in() -> &'static PassThrough {
        static TABLE: OnceLock<PassThrough> = OnceLock::new();
        TABLE.get_or_init(|| {
            serde_saphyr::from_str(BUILT_IN).expect("rules/pass-through.yaml is valid")
        })
    }

    /// The built-in table with the `pass-through.yaml` of each directory added.
    pub fn with_directories(directories: &[impl AsRef<Path>]) -> Result<PassThrough, String> {
        let mut table = PassThrough::built_in().clone();
        for directory in directories {
            let file = directory.as_ref().join(PASS_THROUGH_FILE);
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let added: PassThrough = serde_saphyr::from_str(&text)
                .map_err(|error| format!("{}: {error}", file.display()))?;
            for (resource_type, attributes) in added.types {
                table
                    .types
                    .entry(resource_type)
                    .or_default()
                    .extend(attributes);
            }
        }
        Ok(table)
    }

    /// The attributes of `resource_type` that echo an argument, each with its argument.
    pub fn echoes(&self, resource_type: &str) -> Option<&BTreeMap<String, String>> {
        self.types.get(resource_type)
    }

    /// Whether `resource_type` passes values through.
    pub fn passes(&self, resource_type: &str) -> bool {
        self.types.contains_key(resource_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_table_reads_and_users_add_to_it() {
        let built_in = PassThrough::built_in();
        assert_eq!(
            built_in
                .echoes("terraform_data")
                .and_then(|a| a.get("output")),
            Some(&"input".to_owned())
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(PASS_THROUGH_FILE),
            "pass-through:\n  my_echo:\n    result: input\n",
        )
        .unwrap();
        let table = PassThrough::with_directories(&[dir.path()]).unwrap();
        assert!(table.passes("my_echo") && table.passes("time_sleep"));
        std::fs::write(dir.path().join(PASS_THROUGH_FILE), "pass-through: [1]\n").unwrap();
        assert!(PassThrough::with_directories(&[dir.path()]).is_err());
    }
}
