//! Resource addresses as Terraform writes them: `module.a["k"].data.aws_x.y[0]`.

use super::{Index, Mode};
use std::borrow::Cow;
use std::fmt;

/// Where one resource instance lives: one text, `module.a["k"].data.aws_x.y[0]`, and where its
/// parts are in it. Plans hold an address for every resource; it is kept in a single string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    text: Box<str>,
    /// A managed resource or a data source.
    pub mode: Mode,
    /// The `count` or `for_each` key of this instance.
    pub index: Option<Index>,
    /// Where the module address ends (0 in the root module), the type and the name start, and
    /// the instance key starts.
    module_end: u32,
    type_start: u32,
    name_start: u32,
    base_len: u32,
}

impl Address {
    /// The address of the instance these parts name.
    pub fn new(
        module: Option<String>,
        mode: Mode,
        resource_type: impl AsRef<str>,
        name: impl AsRef<str>,
        index: Option<Index>,
    ) -> Address {
        let mut text = module.unwrap_or_default();
        let module_end = text.len();
        if module_end > 0 {
            text.push('.');
        }
        if mode == Mode::Data {
            text.push_str("data.");
        }
        let type_start = text.len();
        text.push_str(resource_type.as_ref());
        text.push('.');
        let name_start = text.len();
        text.push_str(name.as_ref());
        let base_len = text.len();
        if let Some(index) = &index {
            text.push_str(&index.to_string());
        }
        let offset = |at: usize| u32::try_from(at).expect("an address is shorter than 4 GiB");
        Address {
            text: text.into(),
            mode,
            index,
            module_end: offset(module_end),
            type_start: offset(type_start),
            name_start: offset(name_start),
            base_len: offset(base_len),
        }
    }

    /// Keeps the input's own spelling of the address (a plan's `address`), where it gives one
    /// that ends in this resource and key and differs only in how the module is written.
    pub fn spelled(self, text: Option<&str>) -> Address {
        // Composed from the spelling's module and this resource and key, the text is the
        // spelling itself.
        let declared = &self.text[self.in_module_start()..];
        let Some(module) = text
            .filter(|t| **t != *self.text)
            .and_then(|t| t.strip_suffix(declared))
            .filter(|module| module.is_empty() || module.len() > 1 && module.ends_with('.'))
        else {
            return self;
        };
        Address::new(
            module.strip_suffix('.').map(str::to_owned),
            self.mode,
            self.resource_type(),
            self.name(),
            self.index.clone(),
        )
    }

    /// The address as Terraform writes it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The module instance address (`module.a["k"].module.b`); `None` in the root module.
    pub fn module(&self) -> Option<&str> {
        Some(&self.text[..self.module_end as usize]).filter(|module| !module.is_empty())
    }

    /// The resource type, e.g. `aws_subnet`.
    pub fn resource_type(&self) -> &str {
        &self.text[self.type_start as usize..self.name_start as usize - 1]
    }

    /// The name in the configuration, e.g. `private`.
    pub fn name(&self) -> &str {
        &self.text[self.name_start as usize..self.base_len as usize]
    }

    /// The address of the resource this instance belongs to: `aws_x.y` for `aws_x.y[0]`.
    pub fn base(&self) -> &str {
        &self.text[..self.base_len as usize]
    }

    /// The address within its module, without instance key: what the configuration declares.
    pub fn in_module(&self) -> &str {
        &self.text[self.in_module_start()..self.base_len as usize]
    }

    fn in_module_start(&self) -> usize {
        let data = if self.mode == Mode::Data {
            "data.".len()
        } else {
            0
        };
        self.type_start as usize - data
    }

    /// The module path in the configuration, shared by every instance (`module.a.module.b`
    /// for `module.a["x"].module.b[0]`); empty for the root module.
    pub fn module_path(&self) -> Cow<'_, str> {
        self.module().map_or(Cow::Borrowed(""), strip_instance_keys)
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
pub(crate) fn strip_instance_keys(module_address: &str) -> Cow<'_, str> {
    if !module_address.contains('[') {
        return Cow::Borrowed(module_address);
    }
    let mut out = String::with_capacity(module_address.len());
    let mut rest = module_address;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        match key_end(&rest[open + 1..]) {
            Some(end) => rest = &rest[open + end + 2..],
            None => return Cow::Owned(out),
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
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
    fn an_input_spelling_is_kept_with_its_parts() {
        let composed = || {
            Address::new(
                Some("module.a".into()),
                Mode::Data,
                "aws_x",
                "y",
                Some(Index::Count(0)),
            )
        };
        let address = composed().spelled(Some("module.b.data.aws_x.y[0]"));
        assert_eq!(
            (
                address.as_str(),
                address.base(),
                address.module(),
                address.in_module()
            ),
            (
                "module.b.data.aws_x.y[0]",
                "module.b.data.aws_x.y",
                Some("module.b"),
                "data.aws_x.y"
            )
        );
        assert_eq!((address.resource_type(), address.name()), ("aws_x", "y"));
        let root = composed().spelled(Some("data.aws_x.y[0]"));
        assert_eq!((root.as_str(), root.module()), ("data.aws_x.y[0]", None));
        // A spelling of another resource or key is not this address's.
        for other in [
            "module.a.data.aws_x.z[0]",
            "module.a.data.aws_x.y[1]",
            ".data.aws_x.y[0]",
        ] {
            assert_eq!(composed().spelled(Some(other)), composed(), "{other}");
        }
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
