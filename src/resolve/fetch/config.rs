//! Terraform's CLI configuration, as far as module downloads read it: `host` blocks that set a
//! hostname's services (how companies point at a private registry, and how tests point at
//! loopback), `credentials` blocks, and `TF_TOKEN_<host>` variables (which win). A token is sent
//! to its host only, and never printed.

use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;

#[derive(Debug, Default)]
pub(crate) struct CliConfig {
    /// Hostname → its `modules.v1` URL.
    services: HashMap<String, String>,
    /// Hostname → bearer token.
    tokens: HashMap<String, String>,
}

impl CliConfig {
    /// `TF_CLI_CONFIG_FILE`, else `~/.terraformrc`, and the `TF_TOKEN_…` variables. A file that
    /// cannot be read is an error naming it; none at all is no configuration.
    pub(crate) fn from_environment() -> Result<CliConfig, String> {
        let file = std::env::var_os("TF_CLI_CONFIG_FILE")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".terraformrc"))
            })
            .filter(|path| path.exists());
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    format!(
                        "cannot read the Terraform CLI configuration {}: {e}",
                        path.display()
                    )
                })?;
                CliConfig::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => CliConfig::default(),
        };
        for (name, value) in std::env::vars() {
            if let Some(host) = name.strip_prefix("TF_TOKEN_") {
                // `TF_TOKEN_app_terraform_io`; a dash in the name is written `__`.
                let host = host
                    .replace("__", "\u{0}")
                    .replace('_', ".")
                    .replace('\u{0}', "-");
                config.tokens.insert(host.to_lowercase(), value);
            }
        }
        Ok(config)
    }

    pub(crate) fn parse(text: &str) -> Result<CliConfig, String> {
        let parsed: Value =
            hcl::from_str(text).map_err(|e| format!("not a Terraform CLI configuration: {e}"))?;
        let mut config = CliConfig::default();
        let blocks = |name: &str| {
            parsed
                .get(name)
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(host, body)| (host.to_lowercase(), body))
        };
        for (host, body) in blocks("host") {
            if let Some(modules) = body.pointer("/services/modules.v1").and_then(Value::as_str) {
                config.services.insert(host, modules.to_owned());
            }
        }
        for (host, body) in blocks("credentials") {
            if let Some(token) = body.get("token").and_then(Value::as_str) {
                config
                    .tokens
                    .entry(host)
                    .or_insert_with(|| token.to_owned());
            }
        }
        Ok(config)
    }

    /// The `modules.v1` URL a `host` block sets for `hostname`.
    pub(crate) fn modules_service(&self, hostname: &str) -> Option<&str> {
        self.services
            .get(&hostname.to_lowercase())
            .map(String::as_str)
    }

    /// The token to send to `hostname`, if there is one.
    pub(crate) fn token(&self, hostname: &str) -> Option<&str> {
        self.tokens
            .get(&hostname.to_lowercase())
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_blocks_and_credentials_are_read() {
        let config = CliConfig::parse(
            r#"
host "registry.example.com" {
  services = {
    "modules.v1" = "http://127.0.0.1:8080/v1/modules/"
  }
}
credentials "registry.example.com" {
  token = "secret-token"
}
"#,
        )
        .unwrap();
        assert_eq!(
            config.modules_service("Registry.Example.com"),
            Some("http://127.0.0.1:8080/v1/modules/")
        );
        assert_eq!(config.token("registry.example.com"), Some("secret-token"));
        assert_eq!(config.token("other.example.com"), None);
        assert!(CliConfig::parse("host {").is_err());
    }
}
