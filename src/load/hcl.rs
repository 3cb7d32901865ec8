//! Terraform's native syntax (`.tf`), read with hcl-edit, which keeps the byte span of every
//! block, attribute and expression.
//!
//! A `.tf` file becomes the same model as its `.tf.json` twin: each block body becomes the JSON
//! object Terraform's JSON syntax would write for it. A literal is its JSON value; a quoted
//! template is its text (`"private-${each.key}"`); any other expression is the `${…}` template of
//! its source text (`"${aws_subnet.a.id}"`), which the resolver evaluates as it evaluates a
//! `.tf.json`. Pointers are those of the JSON twin (`/resource/aws_subnet/a/cidr_block`), and
//! each has the span of its source, so a finding points at the line and column in the `.tf`.

use super::Problem;
use crate::expr;
use crate::locate::Span;
use crate::model::{Action, Address, Declaration, Declared, Ignore, Mode, Resource};
use crate::pointer;
use ahash::AHashMap;
use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Block, Body, Structure};
use serde_json::{Map, Value};

/// What a `.tf` file declares.
pub(super) struct Parsed {
    pub resources: Vec<Resource>,
    pub declarations: Vec<Declaration>,
    pub module_count: usize,
    /// The span of every pointer the model uses.
    pub spans: AHashMap<String, Span>,
}

/// How deeply blocks and expressions may nest: real configurations nest a few levels, and the
/// parser recurses per level.
const MAX_NESTING: usize = 64;

/// Reads a `.tf` file; an error comes with the byte offset where the text breaks.
pub(super) fn load(text: &str) -> Result<Parsed, (usize, Problem)> {
    if let Some(at) = expr::nested_deeper_than(text, MAX_NESTING) {
        return Err((
            at,
            Problem::Hcl(format!(
                "blocks or expressions nest more than {MAX_NESTING} levels deep"
            )),
        ));
    }
    // The parser's message only: its copy of the line could hold a secret.
    let body = hcl_edit::parser::parse_body(text).map_err(|error| {
        (
            error.location().offset(),
            Problem::Hcl(error.message().to_owned()),
        )
    })?;
    let mut reader = Reader {
        text,
        spans: AHashMap::new(),
    };
    let mut parsed = Parsed {
        resources: Vec::new(),
        declarations: Vec::new(),
        module_count: 0,
        spans: AHashMap::new(),
    };
    for block in body.blocks() {
        let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
        match (block.ident.as_str(), labels.as_slice()) {
            ("resource", [resource_type, name]) | ("data", [resource_type, name]) => {
                let mode = if block.ident.as_str() == "data" {
                    Mode::Data
                } else {
                    Mode::Managed
                };
                let at = pointer::join(
                    &pointer::join(&pointer::join("", block.ident.as_str()), resource_type),
                    name,
                );
                let values = reader.body(&block.body, &at);
                reader.place(&at, block.span());
                let mut resource = resource(mode, resource_type, name, values, at);
                if let Some(range) = block.span() {
                    resource.ignored = ignores_above(text, range.start)?;
                }
                parsed.resources.push(resource);
            }
            ("variable", [name]) => {
                let at = pointer::join(&pointer::join("", "variable"), name);
                let body = reader.body(&block.body, &at);
                reader.place(&at, block.span());
                parsed.declarations.push(Declaration {
                    kind: Declared::Variable,
                    name: (*name).to_owned(),
                    value: body.get("default").cloned(),
                    pointer: at,
                    constraint: super::type_constraint(body.get("type")),
                    nullable: body.get("nullable") != Some(&Value::Bool(false)),
                });
            }
            ("module", [name]) => {
                let at = pointer::join(&pointer::join("", "module"), name);
                let body = reader.body(&block.body, &at);
                reader.place(&at, block.span());
                parsed.module_count += 1;
                parsed.declarations.push(Declaration {
                    kind: Declared::Module,
                    name: (*name).to_owned(),
                    value: Some(Value::Object(body)),
                    pointer: at,
                    constraint: None,
                    nullable: true,
                });
            }
            ("output", [name]) => {
                let at = pointer::join(&pointer::join("", "output"), name);
                let body = reader.body(&block.body, &at);
                reader.place(&at, block.span());
                parsed.declarations.push(Declaration {
                    kind: Declared::Output,
                    name: (*name).to_owned(),
                    value: body.get("value").cloned(),
                    pointer: pointer::join(&at, "value"),
                    constraint: None,
                    nullable: true,
                });
            }
            ("locals", []) => {
                let at = pointer::join("", "locals");
                for (name, value) in reader.body(&block.body, &at) {
                    parsed.declarations.push(Declaration {
                        kind: Declared::Local,
                        pointer: pointer::join(&at, &name),
                        name,
                        value: Some(value),
                        constraint: None,
                        nullable: true,
                    });
                }
            }
            // `terraform`, `provider`, `moved`, `import`, `check`, …: nothing the rules read.
            _ => {}
        }
    }
    parsed.spans = reader.spans;
    Ok(parsed)
}

/// The `# payplat:ignore RULE reason="…" until=YYYY-MM-DD` comments on the lines right above
/// a block (`//` comments too). The reason is required and the date must be one, as in
/// `payplat.toml`.
fn ignores_above(text: &str, block_start: usize) -> Result<Vec<Ignore>, (usize, Problem)> {
    let mut ignores = Vec::new();
    let mut end = text[..block_start].rfind('\n').map_or(0, |at| at);
    while end > 0 {
        let start = text[..end].rfind('\n').map_or(0, |at| at + 1);
        let line = text[start..end].trim();
        let Some(comment) = line.strip_prefix('#').or_else(|| line.strip_prefix("//")) else {
            break;
        };
        if let Some(directive) = comment.trim().strip_prefix("payplat:ignore") {
            ignores.push(
                ignore(directive).map_err(|message| (start, Problem::IgnoreComment(message)))?,
            );
        }
        end = start.saturating_sub(1);
    }
    ignores.reverse();
    Ok(ignores)
}

fn ignore(directive: &str) -> Result<Ignore, String> {
    static FIELDS: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"^\s+([\w-]+)((?:\s+(?:reason="(?:[^"\\]|\\.)*"|until=\S+))*)\s*$"#)
            .expect("a valid pattern")
    });
    static FIELD: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"reason="((?:[^"\\]|\\.)*)"|until=(\S+)"#).expect("a valid pattern")
    });
    let usage = "write `# payplat:ignore RULE reason=\"why\" until=YYYY-MM-DD` (until is optional)";
    let fields = FIELDS
        .captures(directive)
        .ok_or_else(|| format!("a `payplat:ignore` comment it cannot read: {usage}"))?;
    let (mut reason, mut until) = (None, None);
    for field in FIELD.captures_iter(&fields[2]) {
        if let Some(text) = field.get(1) {
            reason = Some(text.as_str().replace("\\\"", "\""));
        }
        if let Some(date) = field.get(2) {
            let date = date.as_str();
            date.parse::<jiff::civil::Date>().map_err(|_| {
                format!("`until={date}` in a `payplat:ignore` comment is not a date: {usage}")
            })?;
            until = Some(date.to_owned());
        }
    }
    let reason = reason
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| format!("a `payplat:ignore` comment needs a reason: {usage}"))?;
    Ok(Ignore {
        rule: fields[1].to_owned(),
        reason,
        until,
    })
}

fn resource(
    mode: Mode,
    resource_type: &str,
    name: &str,
    values: Map<String, Value>,
    at: String,
) -> Resource {
    let values = Value::Object(values);
    Resource {
        address: Address::new(None, mode, resource_type, name, None),
        action: Action::Config,
        references: super::tfjson::references_in(&values).into(),
        values: values.into(),
        unknown: std::sync::Arc::default(),
        sensitive: Vec::new(),
        copies: Vec::new(),
        construct_path: None,
        values_at: "",
        pointer: at,
        ignored: Vec::new(),
    }
}

/// Turns bodies and expressions into JSON, recording where each pointer's source is.
struct Reader<'t> {
    text: &'t str,
    spans: AHashMap<String, Span>,
}

impl Reader<'_> {
    fn place(&mut self, at: &str, span: Option<std::ops::Range<usize>>) {
        if let Some(range) = span {
            self.spans.insert(
                at.to_owned(),
                Span {
                    start: range.start,
                    end: range.end,
                    key_start: None,
                },
            );
        }
    }

    /// A body as Terraform's JSON syntax writes it: attributes are members; a nested block is
    /// an object, and blocks of the same type that repeat are an array of them. `dynamic`
    /// blocks are members of `dynamic` by the name of the blocks they make, as in JSON
    /// (`"dynamic": {"statement": {"for_each": …, "content": {…}}}`); the resolver expands them.
    fn body(&mut self, body: &Body, at: &str) -> Map<String, Value> {
        let mut members = Map::new();
        let mut blocks: Vec<(&str, Vec<&Block>)> = Vec::new();
        let mut dynamic: Vec<(&str, Vec<&Block>)> = Vec::new();
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attribute) => {
                    let key = attribute.key.as_str();
                    let member_at = pointer::join(at, key);
                    let value = self.expression(&attribute.value, &member_at);
                    if let Some(range) = attribute.span() {
                        let value_range = attribute.value.span().unwrap_or(range.clone());
                        self.spans.insert(
                            member_at,
                            Span {
                                start: value_range.start,
                                end: value_range.end,
                                key_start: Some(range.start),
                            },
                        );
                    }
                    members.insert(key.to_owned(), value);
                }
                Structure::Block(block) => {
                    let (name, groups) = match block.labels.first() {
                        Some(label) if block.ident.as_str() == "dynamic" => {
                            (label.as_str(), &mut dynamic)
                        }
                        _ => (block.ident.as_str(), &mut blocks),
                    };
                    match groups.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, same)) => same.push(block),
                        None => groups.push((name, vec![block])),
                    }
                }
            }
        }
        for (name, same) in blocks {
            let value = self.blocks(&same, &pointer::join(at, name));
            members.insert(name.to_owned(), value);
        }
        if !dynamic.is_empty() {
            let dynamic_at = pointer::join(at, "dynamic");
            let mut specs = Map::new();
            for (name, same) in dynamic {
                let mut value = self.blocks(&same, &pointer::join(&dynamic_at, name));
                match &mut value {
                    Value::Array(each) => each.iter_mut().for_each(unquote_iterator),
                    one => unquote_iterator(one),
                }
                specs.insert(name.to_owned(), value);
            }
            members.insert("dynamic".to_owned(), Value::Object(specs));
        }
        members
    }

    /// Blocks of one type: the object of the only one, or an array of them.
    fn blocks(&mut self, same: &[&Block], at: &str) -> Value {
        if let [only] = same {
            self.place(at, only.span());
            return Value::Object(self.body(&only.body, at));
        }
        if let (Some(first), Some(last)) = (same[0].span(), same[same.len() - 1].span()) {
            self.place(at, Some(first.start..last.end));
        }
        Value::Array(
            same.iter()
                .enumerate()
                .map(|(i, block)| {
                    let item_at = pointer::join_index(at, i);
                    self.place(&item_at, block.span());
                    Value::Object(self.body(&block.body, &item_at))
                })
                .collect(),
        )
    }

    /// An expression as a JSON value: literals as they are, quoted templates as their text, any
    /// other expression as the `${…}` template of its source.
    fn expression(&mut self, expression: &Expression, at: &str) -> Value {
        match expression {
            Expression::Null(_) => Value::Null,
            Expression::Bool(b) => Value::Bool(*b.value()),
            Expression::Number(n) => n
                .as_u64()
                .map(Value::from)
                .or_else(|| n.as_i64().map(Value::from))
                .or_else(|| {
                    n.as_f64()
                        .and_then(serde_json::Number::from_f64)
                        .map(Value::Number)
                })
                .unwrap_or(Value::Null),
            // A literal `${` in a plain string is escaped, as the JSON syntax would write it.
            Expression::String(s) => {
                Value::String(s.value().replace("${", "$${").replace("%{", "%%{"))
            }
            Expression::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let item_at = pointer::join_index(at, i);
                        self.place(&item_at, item.span());
                        self.expression(item, &item_at)
                    })
                    .collect(),
            ),
            Expression::Object(object)
                if object.iter().all(|(key, _)| literal_key(key).is_some()) =>
            {
                let mut members = Map::new();
                for (key, value) in object.iter() {
                    let key = literal_key(key).unwrap_or_default();
                    let member_at = pointer::join(at, &key);
                    self.place(&member_at, value.expr().span());
                    members.insert(key, self.expression(value.expr(), &member_at));
                }
                Value::Object(members)
            }
            Expression::StringTemplate(_) => match expression.span() {
                Some(range) => {
                    Value::String(template_text(&self.text[range.start + 1..range.end - 1]))
                }
                None => Value::Null,
            },
            _ => match expression.span() {
                Some(range) => Value::String(format!("${{{}}}", self.text[range].trim())),
                None => Value::Null,
            },
        }
    }
}

/// A dynamic block's `iterator = name` is a bare name, as JSON writes it, not an expression.
fn unquote_iterator(spec: &mut Value) {
    if let Some(Value::String(iterator)) = spec.get_mut("iterator")
        && let Some(name) = iterator
            .strip_prefix("${")
            .and_then(|s| s.strip_suffix('}'))
    {
        *iterator = name.trim().to_owned();
    }
}

/// An object key that is a name or a plain string.
fn literal_key(key: &ObjectKey) -> Option<String> {
    match key {
        ObjectKey::Ident(ident) => Some(ident.as_str().to_owned()),
        ObjectKey::Expression(Expression::String(s)) => Some(s.value().clone()),
        ObjectKey::Expression(_) => None,
    }
}

/// The text of a quoted template as the JSON syntax holds it: escapes outside `${…}` and `%{…}`
/// resolved, the expressions inside as written.
fn template_text(quoted: &str) -> String {
    let mut out = String::with_capacity(quoted.len());
    let mut at = 0;
    for span in expr::template_spans(quoted) {
        out.push_str(&unescape(&quoted[at..span.start]));
        out.push_str(&quoted[span.clone()]);
        at = span.end;
    }
    out.push_str(&unescape(&quoted[at..]));
    out
}

/// HCL's string escapes: `\n`, `\r`, `\t`, `\"`, `\\`, `\uNNNN`, `\UNNNNNNNN`.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(digits @ ('u' | 'U')) => {
                let width = if digits == 'u' { 4 } else { 8 };
                let hex: String = chars.by_ref().take(width).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(decoded) => out.push(decoded),
                    None => out.push_str(&hex),
                }
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}
