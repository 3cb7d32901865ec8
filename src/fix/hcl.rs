//! Edits to Terraform's native syntax (`.tf`, `.tfvars`): found with hcl-edit's spans, written
//! as `terraform fmt` lays them out, everything else left byte for byte.

use super::Written;
use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::structure::{Attribute, Block, Body, Structure};
use serde_json::Value;
use std::ops::Range;

/// What a pointer names in a body.
pub(super) enum Node<'b> {
    Attribute(&'b Attribute),
    Block(&'b Block),
    Root(&'b Body),
}

/// The node at a JSON-twin pointer's segments (`resource`, `aws_x`, `a`, `vpc_config`, …):
/// labels follow their block's type; repeated blocks take an index; a `locals` member is
/// looked up in every `locals` block.
pub(super) fn find<'b>(body: &'b Body, segments: &[String]) -> Option<Node<'b>> {
    let Some((first, rest)) = segments.split_first() else {
        return Some(Node::Root(body));
    };
    if let Some(attribute) = body.get_attribute(first) {
        return rest.is_empty().then_some(Node::Attribute(attribute));
    }
    let blocks: Vec<&Block> = body
        .blocks()
        .filter(|b| b.ident.as_str() == first)
        .collect();
    if first == "locals" {
        let (name, rest) = rest.split_first()?;
        let attribute = blocks.iter().find_map(|b| b.body.get_attribute(name))?;
        return rest.is_empty().then_some(Node::Attribute(attribute));
    }
    let labelled = blocks.iter().find(|b| {
        !b.labels.is_empty()
            && b.labels.len() <= rest.len()
            && b.labels.iter().zip(rest).all(|(l, s)| l.as_str() == s)
    });
    let (block, rest) = match (labelled, blocks.as_slice()) {
        (Some(block), _) => (*block, &rest[block.labels.len()..]),
        (None, [only]) if only.labels.is_empty() => (*only, rest),
        (None, many) => {
            let (index, rest) = rest.split_first()?;
            (*many.get(index.parse::<usize>().ok()?)?, rest)
        }
    };
    if rest.is_empty() {
        Some(Node::Block(block))
    } else {
        find(&block.body, rest)
    }
}

/// What an expression is, for following it to where its value is set.
pub(super) fn written(expression: &Expression) -> Written {
    if let Some(value) = literal(expression) {
        return Written::Literal(value);
    }
    if let Expression::Traversal(traversal) = expression
        && let Expression::Variable(root) = &traversal.expr
        && let [operator] = traversal.operators.as_slice()
        && let TraversalOperator::GetAttr(name) = operator.value()
        && matches!(root.as_str(), "var" | "local")
    {
        return Written::Name(format!("{}.{}", root.as_str(), name.as_str()));
    }
    Written::Expression
}

/// A `depends_on` list: the references as written, as Terraform's JSON syntax writes them.
pub(super) fn references(text: &str, expression: &Expression) -> Written {
    let Expression::Array(array) = expression else {
        return Written::Expression;
    };
    let items: Option<Vec<Value>> = array
        .iter()
        .map(|item| Some(Value::String(text[item.span()?].trim().to_owned())))
        .collect();
    items.map_or(Written::Expression, |items| {
        Written::Literal(Value::Array(items))
    })
}

fn literal(expression: &Expression) -> Option<Value> {
    Some(match expression {
        Expression::Null(_) => Value::Null,
        Expression::Bool(b) => Value::Bool(*b.value()),
        Expression::Number(n) => serde_json::to_value(n.value()).ok()?,
        Expression::String(s) => Value::String(s.value().to_string()),
        Expression::Array(array) => Value::Array(array.iter().map(literal).collect::<Option<_>>()?),
        _ => return None,
    })
}

/// A value as HCL writes it (lists on one line).
pub(super) fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => {
            let escaped = serde_json::to_string(s).unwrap_or_default();
            escaped.replace("${", "$${").replace("%{", "%%{")
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(value_text).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(members) => format!(
            "{{ {} }}",
            members
                .iter()
                .map(|(k, v)| format!("{k} = {}", value_text(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// A list item as HCL writes it: `depends_on` lists references, not strings.
fn item_text(key: &str, value: &Value) -> String {
    match value {
        Value::String(reference) if key == "depends_on" => reference.clone(),
        other => value_text(other),
    }
}

/// An attribute's value as HCL writes it.
pub(super) fn attribute_text(key: &str, value: &Value) -> String {
    match value {
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|v| item_text(key, v))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => value_text(other),
    }
}

/// The span of an attribute's value.
pub(super) fn value_span(attribute: &Attribute) -> Option<Range<usize>> {
    attribute.value.span()
}

/// The edits that add `key = value` to a body (after its last attribute, `=` aligned with the
/// attributes on the lines right above, as `terraform fmt` does); `path` deeper than one name
/// adds the blocks on the way.
pub(super) fn insert(
    text: &str,
    node: &Node,
    path: &[String],
    value: &Value,
) -> Option<Vec<super::Span>> {
    let (body, interior) = match node {
        Node::Block(block) => {
            let span = block.span()?;
            let open = span.start + text[span.clone()].find('{')?;
            (&block.body, open + 1..span.end - 1)
        }
        Node::Root(body) => (*body, 0..text.len()),
        Node::Attribute(_) => return None,
    };
    let indent = match node {
        Node::Block(block) => format!("{}  ", line_indent(text, block.span()?.start)),
        _ => String::new(),
    };
    let (name, deeper) = path.split_first()?;
    if !deeper.is_empty() {
        // A new block goes after everything in the body, a blank line before it.
        let inner = format!("{indent}  ");
        let lines = block_lines(deeper, value, &inner);
        let block = format!("{indent}{name} {{\n{lines}{indent}}}\n");
        return Some(vec![insertion_before_close(text, &interior, body, &block)]);
    }
    if name == "depends_on" {
        // A meta-argument: last, after a blank line, as Terraform's style guide has it.
        let line = format!("{indent}{name} = {}\n", attribute_text(name, value));
        return Some(vec![insertion_before_close(text, &interior, body, &line)]);
    }
    let attributes: Vec<&Attribute> = body.attributes().collect();
    let Some(last) = attributes.last() else {
        let line = format!("{indent}{name} = {}\n", attribute_text(name, value));
        return Some(vec![match node {
            Node::Root(_) if !text.is_empty() && !text.ends_with('\n') => {
                (text.len()..text.len(), format!("\n{line}"))
            }
            Node::Root(_) => (text.len()..text.len(), line),
            _ if text[interior.clone()].contains('\n') => {
                let at = line_end(text, interior.start);
                (at..at, line)
            }
            _ => {
                let close = line_indent(text, interior.start);
                (interior.end..interior.end, format!("\n{line}{close}"))
            }
        }]);
    };
    let run = aligned_run(text, &attributes);
    let width = run
        .iter()
        .filter_map(|a| a.key.span())
        .map(|k| k.len())
        .max()
        .unwrap_or(0)
        .max(name.len());
    let mut edits: Vec<super::Span> = run
        .iter()
        .filter_map(|attribute| {
            let key = attribute.key.span()?;
            let equals = key.end + text[key.end..].find('=')?;
            let padding = " ".repeat(width - key.len() + 1);
            (text[key.end..equals] != padding).then_some((key.end..equals, padding))
        })
        .collect();
    let after = line_end(text, last.span()?.end);
    let line_indent = line_indent(text, last.span()?.start);
    edits.push((
        after..after,
        format!(
            "{line_indent}{name:width$} = {}\n",
            attribute_text(name, value),
            width = width
        ),
    ));
    Some(edits)
}

/// The edits that add block `name { members }` as the last thing of a block's body.
pub(super) fn add_block(
    text: &str,
    node: &Node,
    name: &str,
    members: &[(&str, String)],
) -> Option<Vec<super::Span>> {
    let Node::Block(block) = node else {
        return None;
    };
    let span = block.span()?;
    let open = span.start + text[span.clone()].find('{')?;
    let indent = format!("{}  ", line_indent(text, span.start));
    let width = members.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let lines: String = members
        .iter()
        .map(|(key, value)| format!("{indent}  {key:width$} = {value}\n"))
        .collect();
    let added = format!("{indent}{name} {{\n{lines}{indent}}}\n");
    Some(vec![insertion_before_close(
        text,
        &(open + 1..span.end - 1),
        &block.body,
        &added,
    )])
}

fn block_lines(path: &[String], value: &Value, indent: &str) -> String {
    match path {
        [name] => format!("{indent}{name} = {}\n", value_text(value)),
        [name, deeper @ ..] => format!(
            "{indent}{name} {{\n{}{indent}}}\n",
            block_lines(deeper, value, &format!("{indent}  "))
        ),
        [] => String::new(),
    }
}

/// Inserts `lines` as the last thing of a body, after a blank line when the body holds something.
fn insertion_before_close(
    text: &str,
    interior: &Range<usize>,
    body: &Body,
    lines: &str,
) -> super::Span {
    let close_line = line_start(text, interior.end);
    let closing_alone =
        text[close_line..interior.end].trim().is_empty() && close_line > interior.start;
    if closing_alone {
        let separator = if body.is_empty() { "" } else { "\n" };
        (close_line..close_line, format!("{separator}{lines}"))
    } else {
        // `x {}` or a body ending on the closing line: open it.
        let indent = line_indent(text, interior.start);
        (interior.end..interior.end, format!("\n{lines}{indent}"))
    }
}

/// The attributes on consecutive lines that end with the last one: `terraform fmt` aligns
/// their `=`. A multi-line value ends a run.
fn aligned_run<'a>(text: &str, attributes: &[&'a Attribute]) -> Vec<&'a Attribute> {
    let line_of = |at: usize| text[..at].matches('\n').count();
    let mut run: Vec<&Attribute> = Vec::new();
    for attribute in attributes.iter().rev() {
        let Some(span) = attribute.span() else { break };
        let (first, last) = (line_of(span.start), line_of(span.end));
        let next = run.last().and_then(|a| a.span()).map(|s| line_of(s.start));
        if first != last || next.is_some_and(|n| n != last + 1) {
            break;
        }
        run.push(attribute);
    }
    run
}

/// The edits that append `values` to the list an attribute holds.
pub(super) fn append(
    text: &str,
    attribute: &Attribute,
    values: &[Value],
) -> Option<Vec<super::Span>> {
    let Expression::Array(array) = &attribute.value else {
        return None;
    };
    let span = attribute.value.span()?;
    let items: Vec<String> = values
        .iter()
        .map(|v| item_text(attribute.key.as_str(), v))
        .collect();
    let last = array.iter().last().and_then(|e| e.span());
    let multiline = text[span.clone()].contains('\n');
    Some(vec![match (last, multiline) {
        (None, _) => (span.start + 1..span.end - 1, items.join(", ")),
        (Some(last), false) => (last.end..last.end, format!(", {}", items.join(", "))),
        (Some(last), true) => {
            let indent = line_indent(text, last.start);
            let lines: String = items
                .iter()
                .map(|item| format!("\n{indent}{item},"))
                .collect();
            if array.trailing_comma() {
                let comma = last.end + text[last.end..].find(',')? + 1;
                (comma..comma, lines)
            } else {
                (
                    last.end..last.end,
                    format!(",{}", lines.trim_end_matches(',')),
                )
            }
        }
    }])
}

/// Every top-level structure parsed, for files that need it whole.
pub(super) fn parse(text: &str) -> Option<Body> {
    hcl_edit::parser::parse_body(text).ok()
}

/// Whether a body holds a `dynamic` block making `name` blocks: a fix cannot write into those.
pub(super) fn makes_dynamically(node: &Node, name: &str) -> bool {
    let body = match node {
        Node::Block(block) => &block.body,
        Node::Root(body) => body,
        Node::Attribute(_) => return false,
    };
    body.iter().any(|s| {
        matches!(s, Structure::Block(b) if b.ident.as_str() == "dynamic"
            && b.labels.first().is_some_and(|l| l.as_str() == name))
    })
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

fn line_end(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |i| at + i + 1)
}

fn line_indent(text: &str, at: usize) -> String {
    let start = line_start(text, at);
    text[start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}
