//! Resource addresses as Terraform writes them: `module.a["k"].data.aws_x.y[0]`.

use super::{Index, Mode};
use std::fmt;

/// Where one resource instance lives, composed once from its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Module instance address (`module.a["k"].module.b`); `None` for the root module.
    pub module: Option<String>,
    /// A managed resource or a data source.
    pub mode: Mode,
    /// The resource type, e.g. `aws_subnet`.
    pub resource_type: String,
    /// The name in the configuration, e.g. `private`.
    pub name: String,
    /// The `count` or `for_each` key of this instance.
    pub index: Option<Index>,
    text: String,
    /// Length of the text without the instance key.
    base_len: usize,
}

impl Address {
    /// The address of the instance these parts name.
    pub fn new(
        module: Option<String>,
        mode: Mode,
        resource_type: impl Into<String>,
        name: impl Into<String>,
        index: Option<Index>,
    ) -> Address {
        let (resource_type, name) = (resource_type.into(), name.into());
        let mut text = String::new();
        if let Some(module) = &module {
            text.push_str(module);
            text.push('.');
        }
        if mode == Mode::Data {
            text.push_str("data.");
        }
        text.push_str(&resource_type);
        text.push('.');
        text.push_str(&name);
        let base_len = text.len();
        if let Some(index) = &index {
            text.push_str(&index.to_string());
        }
        Address {
            module,
            mode,
            resource_type,
            name,
            index,
            text,
            base_len,
        }
    }

    /// Keeps the input's own spelling of the address (a plan's `address`), where it gives one.
    pub fn spelled(mut self, text: Option<&str>) -> Address {
        if let Some(text) =
            text.filter(|t| *t != self.text && t.ends_with(&self.text[self.base_len..]))
        {
            self.base_len = text.len() - (self.text.len() - self.base_len);
            self.text = text.to_owned();
        }
        self
    }

    /// The address as Terraform writes it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The address of the resource this instance belongs to: `aws_x.y` for `aws_x.y[0]`.
    pub fn base(&self) -> &str {
        &self.text[..self.base_len]
    }

    /// The address within its module, without instance key: what the configuration declares.
    pub fn in_module(&self) -> String {
        Address::new(None, self.mode, &*self.resource_type, &*self.name, None).text
    }

    /// The module path in the configuration, shared by every instance (`module.a.module.b`
    /// for `module.a["x"].module.b[0]`); empty for the root module.
    pub fn module_path(&self) -> String {
        self.module
            .as_deref()
            .map(strip_instance_keys)
            .unwrap_or_default()
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.text)
    }
}

/// What a reference written in a module names: `aws_subnet.a[0].id` names instance `[0]` of
/// `aws_subnet.a`; without a key, or with `[*]`, it names every instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Traversal<'t> {
    /// The resource, in the module the reference is written in, without instance key.
    pub resource: Address,
    /// The instance key as written (`[0]`, `["a"]`, `[count.index]`), if one is named.
    pub key: Option<&'t str>,
}

impl<'t> Traversal<'t> {
    /// Parses a reference such as `data.aws_x.y["k"].attr`; `None` when it names no resource
    /// (`var.…`, `local.…`, `module.…`, `each.…`).
    pub fn parse(module: Option<&str>, reference: &'t str) -> Option<Traversal<'t>> {
        let (mode, rest) = match reference.strip_prefix("data.") {
            Some(rest) => (Mode::Data, rest),
            None => (Mode::Managed, reference),
        };
        let (resource_type, rest) = rest.split_once('.')?;
        if !resource_type.contains('_') {
            return None;
        }
        let name_end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        let name = &rest[..name_end];
        if name.is_empty() {
            return None;
        }
        let key = rest[name_end..]
            .strip_prefix('[')
            .and_then(|key| key_end(key).map(|end| &rest[name_end..name_end + end + 2]))
            .filter(|key| *key != "[*]");
        Some(Traversal {
            resource: Address::new(module.map(str::to_owned), mode, resource_type, name, None),
            key,
        })
    }

    /// The address of the instance named, or of the resource when no key is named.
    pub fn instance(&self) -> String {
        format!("{}{}", self.resource.as_str(), self.key.unwrap_or_default())
    }
}

/// The index of the `]` closing a key that starts after `[`; strings may hold `]`.
fn key_end(key: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (at, c) in key.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            ']' if !in_string => return Some(at),
            _ => {}
        }
    }
    None
}

/// `module.a["x"].module.b[0]` → `module.a.module.b`.
fn strip_instance_keys(module_address: &str) -> String {
    let mut out = String::with_capacity(module_address.len());
    let mut rest = module_address;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        match key_end(&rest[open + 1..]) {
            Some(end) => rest = &rest[open + end + 2..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_compose_like_terraform() {
        let address = Address::new(
            Some("module.m".into()),
            Mode::Data,
            "aws_x",
            "y",
            Some(Index::Key("k".into())),
        );
        assert_eq!(address.as_str(), r#"module.m.data.aws_x.y["k"]"#);
        assert_eq!(address.base(), "module.m.data.aws_x.y");
        assert_eq!(address.in_module(), "data.aws_x.y");
    }

    #[test]
    fn module_instance_keys_are_stripped() {
        let address = Address::new(
            Some(r#"module.a["x]y"].module.b[0]"#.into()),
            Mode::Managed,
            "aws_x",
            "y",
            None,
        );
        assert_eq!(address.module_path(), "module.a.module.b");
        assert_eq!(strip_instance_keys("module.a"), "module.a");
    }

    #[test]
    fn an_input_spelling_is_kept_with_its_base() {
        let address = Address::new(None, Mode::Managed, "aws_x", "y", Some(Index::Count(0)))
            .spelled(Some("aws_x.y[0]"));
        assert_eq!(
            (address.as_str(), address.base()),
            ("aws_x.y[0]", "aws_x.y")
        );
    }

    #[test]
    fn traversals_name_a_resource_and_maybe_an_instance() {
        let t = Traversal::parse(Some("module.m"), r#"aws_subnet.private["a]"].id"#).unwrap();
        assert_eq!(t.resource.as_str(), "module.m.aws_subnet.private");
        assert_eq!(t.key, Some(r#"["a]"]"#));
        assert_eq!(t.instance(), r#"module.m.aws_subnet.private["a]"]"#);
        let all = Traversal::parse(None, "data.aws_subnet.x[*].id").unwrap();
        assert_eq!(
            (all.resource.as_str(), all.key),
            ("data.aws_subnet.x", None)
        );
        assert!(Traversal::parse(None, "var.subnets").is_none());
        assert!(Traversal::parse(None, "module.vpc.private_subnets").is_none());
    }
}
