//! Evaluates the `${…}` templates of configuration files as Terraform would, as far as the inputs
//! allow.
//!
//! hcl-rs parses each expression; the walk over it is ours because Terraform's evaluation has
//! unknown values and hcl-rs's has not: a reference to a resource attribute is known only after
//! apply, yet `jsonencode({Principal = {Federated = aws_iam_openid_connect_provider.x.arn}})` still
//! has a structure the rules must see. What is unknown stays in the result as a `${…}` token with
//! the expression's text (the form CDKTF writes), so the rules read it as the reference it is.

use super::functions;
use operators::{binary_operation, decided_by_one_side, element, member};

mod calls;
mod names;
mod operators;
mod unknown;
use crate::expr;
use crate::model::Hop;
use hcl::expr::{
    Expression, ForExpr, FuncCall, ObjectKey, Operation, TraversalOperator, UnaryOperator,
};
use hcl::template::{Element, Template};
pub(crate) use names::{Evaluated, Names, Partial, Stop, is_token};
use serde_json::{Map, Number, Value};
use std::cell::RefCell;
use std::str::FromStr;

/// Evaluates the JSON of a configuration attribute: every string is a template. A string that
/// cannot be evaluated stays as written, a token for what it reads.
pub(crate) fn evaluate_json(value: &Value, names: &dyn Names) -> Evaluated {
    evaluate_json_reading(value, names, &RefCell::default())
}

/// [`evaluate_json`], recording what it reads as [`evaluate_string_reading`] does.
pub(crate) fn evaluate_json_reading(
    value: &Value,
    names: &dyn Names,
    read: &RefCell<Vec<Hop>>,
) -> Evaluated {
    match value {
        Value::String(text) => match evaluate_string_reading(text, names, read) {
            Err(Stop::Unknown) => Ok(Partial {
                value: value.clone(),
                tokens: true,
            }),
            other => other,
        },
        Value::Array(items) => {
            let mut tokens = false;
            let items = items
                .iter()
                .map(|item| {
                    let item = evaluate_json_reading(item, names, read)?;
                    tokens |= item.tokens;
                    Ok(item.value)
                })
                .collect::<Result<Vec<_>, Stop>>()?;
            Ok(Partial {
                value: Value::Array(items),
                tokens,
            })
        }
        Value::Object(members) => {
            let mut tokens = false;
            let mut out = Map::new();
            for (key, member) in members {
                let member = evaluate_json_reading(member, names, read)?;
                tokens |= member.tokens;
                out.insert(key.clone(), member.value);
            }
            Ok(Partial {
                value: Value::Object(out),
                tokens,
            })
        }
        scalar => Ok(Partial::known(scalar.clone())),
    }
}

/// Evaluates one configuration string: a lone `${…}` gives its expression's value, whatever its
/// type; any other text is a template and gives a string.
#[cfg(test)]
pub(crate) fn evaluate_string(text: &str, names: &dyn Names) -> Evaluated {
    evaluate_string_reading(text, names, &RefCell::default())
}

/// [`evaluate_string`], recording in `read` each variable, local and module output the value
/// was read through (`var.azs`, `local.subnet_ids`), as hops.
pub(crate) fn evaluate_string_reading(
    text: &str,
    names: &dyn Names,
    read: &RefCell<Vec<Hop>>,
) -> Evaluated {
    Evaluator {
        names,
        iterators: Vec::new(),
        read,
        inlined: RefCell::default(),
    }
    .string(text)
}

/// How deeply brackets may nest in one expression: real ones nest a few levels; the parser
/// recurses per level.
const MAX_NESTING: usize = 64;

fn parse(expression: &str) -> Result<std::rc::Rc<Expression>, Stop> {
    // The same text is evaluated for every instance of a block and every call of a module:
    // parsed once per thread. Bounded: a generated input cannot grow it without end.
    thread_local! {
        static PARSED: std::cell::RefCell<ahash::AHashMap<Box<str>, std::rc::Rc<Expression>>> =
            std::cell::RefCell::default();
    }
    const MAX_PARSED: usize = 20_000;
    if let Some(parsed) = PARSED.with(|p| p.borrow().get(expression).cloned()) {
        return Ok(parsed);
    }
    if expr::nested_deeper_than(expression, MAX_NESTING).is_some() {
        return Err(Stop::Invalid(format!(
            "an expression nested more than {MAX_NESTING} levels deep"
        )));
    }
    let parsed = std::rc::Rc::new(
        Expression::from_str(expression)
            .map_err(|error| Stop::Invalid(format!("cannot parse `{expression}`: {error}")))?,
    );
    PARSED.with(|p| {
        let mut p = p.borrow_mut();
        if p.len() >= MAX_PARSED {
            p.clear();
        }
        p.insert(expression.into(), parsed.clone());
    });
    Ok(parsed)
}

/// A value as a template interpolation writes it.
fn interpolated(value: &Value) -> Result<String, Stop> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Err(Stop::Invalid(
            "a template cannot interpolate null".to_owned(),
        )),
        _ => Err(Stop::Invalid(
            "a template can only interpolate strings, numbers and bools".to_owned(),
        )),
    }
}

struct Evaluator<'n> {
    names: &'n dyn Names,
    /// `for` expression variables in scope, innermost last.
    iterators: Vec<(String, Partial)>,
    /// The variables, locals and module outputs read so far.
    read: &'n RefCell<Vec<Hop>>,
    /// The tokens written into the residual being made: where they are written says where it is.
    inlined: RefCell<Vec<String>>,
}

impl Evaluator<'_> {
    /// A configuration string: a lone `${…}` gives its expression's value, whatever its type;
    /// any other text is a template and gives a string.
    fn string(&self, text: &str) -> Evaluated {
        let spans = expr::template_spans(text);
        if spans.is_empty() {
            return Ok(Partial::known(Value::String(text.to_owned())));
        }
        if let [span] = spans.as_slice()
            && span.start == 0
            && span.end == text.len()
        {
            let expression = parse(&text[2..text.len() - 1])?;
            return match self.expression(&expression) {
                Err(Stop::Unknown) if self.iterators.is_empty() => {
                    Ok(self.residual_token(&expression))
                }
                other => other,
            };
        }
        let mut out = String::new();
        let mut tokens = false;
        let mut at = 0;
        for span in spans {
            out.push_str(&text[at..span.start]);
            let expression = parse(&text[span.start + 2..span.end - 1])?;
            match self.expression(&expression) {
                Ok(part) => {
                    tokens |= part.tokens;
                    out.push_str(&interpolated(&part.value)?);
                }
                Err(Stop::Unknown) if self.iterators.is_empty() => {
                    tokens = true;
                    out.push_str(&format!("${{{}}}", self.residual(&expression)));
                }
                Err(stop) => return Err(stop),
            }
            at = span.end;
        }
        out.push_str(&text[at..]);
        let value = Value::String(out);
        self.names.spend(cost(&value))?;
        Ok(Partial { value, tokens })
    }

    fn expression(&self, expression: &Expression) -> Evaluated {
        match expression {
            Expression::Null => Ok(Partial::known(Value::Null)),
            Expression::Bool(b) => Ok(Partial::known(Value::Bool(*b))),
            Expression::Number(n) => Ok(Partial::known(
                serde_json::to_value(n).map_err(|e| Stop::Invalid(e.to_string()))?,
            )),
            Expression::String(s) => Ok(Partial::known(Value::String(s.clone()))),
            Expression::Array(items) => {
                let mut tokens = false;
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    let item = self.part(item)?;
                    tokens |= item.tokens;
                    out.push(item.value);
                }
                Ok(Partial {
                    value: Value::Array(out),
                    tokens,
                })
            }
            Expression::Object(members) => {
                let mut tokens = false;
                let mut out = Map::new();
                for (key, member) in members {
                    let key = match key {
                        ObjectKey::Identifier(name) => name.to_string(),
                        ObjectKey::Expression(key) => {
                            let key = self.part(key)?;
                            tokens |= key.tokens;
                            interpolated(&key.value)?
                        }
                        _ => return Err(Stop::Unknown),
                    };
                    let member = self.part(member)?;
                    tokens |= member.tokens;
                    out.insert(key, member.value);
                }
                Ok(Partial {
                    value: Value::Object(out),
                    tokens,
                })
            }
            Expression::TemplateExpr(template) => {
                let template = Template::from_expr(template)
                    .map_err(|e| Stop::Invalid(format!("cannot parse a template: {e}")))?;
                self.template(&template)
            }
            Expression::Variable(name) => match self.iterator(name.as_str()) {
                Some(value) => Ok(value.clone()),
                None => Err(Stop::Unknown),
            },
            Expression::Traversal(traversal) => {
                let (start, operators) = match (&traversal.expr, traversal.operators.as_slice()) {
                    (Expression::Variable(root), operators) if self.iterator(root).is_none() => {
                        match (root.as_str(), operators) {
                            ("var", [TraversalOperator::GetAttr(name), rest @ ..]) => {
                                let value = self.names.variable(name)?;
                                self.reading(&format!("var.{name}"));
                                (value, rest)
                            }
                            ("local", [TraversalOperator::GetAttr(name), rest @ ..]) => {
                                let value = self.names.local(name)?;
                                self.reading(&format!("local.{name}"));
                                (value, rest)
                            }
                            (
                                "module",
                                [
                                    TraversalOperator::GetAttr(call),
                                    TraversalOperator::GetAttr(output),
                                    rest @ ..,
                                ],
                            ) => match self.names.module_output(call, None, output) {
                                Ok(value) => {
                                    self.reading(&format!("module.{call}.{output}"));
                                    (value, rest)
                                }
                                Err(Stop::Unknown) => {
                                    return self.reference(root.as_str(), operators);
                                }
                                Err(invalid) => return Err(invalid),
                            },
                            (
                                "module",
                                [
                                    TraversalOperator::GetAttr(call),
                                    TraversalOperator::Index(key),
                                    TraversalOperator::GetAttr(output),
                                    rest @ ..,
                                ],
                            ) => {
                                let found = self.known(key).and_then(|key| {
                                    self.names.module_output(call, Some(&key.value), output)
                                });
                                match found {
                                    Ok(value) => (value, rest),
                                    Err(Stop::Unknown) => {
                                        return self.reference(root.as_str(), operators);
                                    }
                                    Err(invalid) => return Err(invalid),
                                }
                            }
                            ("module", [TraversalOperator::GetAttr(call), rest @ ..]) => {
                                match self.names.module_call(call) {
                                    Ok(value) => (value, rest),
                                    Err(Stop::Unknown) => {
                                        return self.reference(root.as_str(), operators);
                                    }
                                    Err(invalid) => return Err(invalid),
                                }
                            }
                            (root, [TraversalOperator::GetAttr(name), rest @ ..])
                                if matches!(root, "count" | "each") || self.names.bound(root) =>
                            {
                                (self.names.instance(root, name)?, rest)
                            }
                            ("path", [TraversalOperator::GetAttr(name), rest @ ..]) => {
                                (self.names.path(name)?, rest)
                            }
                            ("terraform", [TraversalOperator::GetAttr(name), rest @ ..])
                                if name.as_str() == "workspace" =>
                            {
                                match self.names.workspace() {
                                    Ok(value) => (value, rest),
                                    Err(_) => return self.reference(root.as_str(), operators),
                                }
                            }
                            (resource_type, [TraversalOperator::GetAttr(name), rest @ ..]) => {
                                match self.echoed(resource_type, name.as_str(), rest) {
                                    Some((value, rest)) => (value, rest),
                                    // Resources, data sources, `self`: known to Terraform, not
                                    // to these files.
                                    None => return self.reference(root.as_str(), operators),
                                }
                            }
                            _ => return self.reference(root.as_str(), operators),
                        }
                    }
                    (start, operators) => (self.expression(start)?, operators),
                };
                self.traverse(start, operators)
            }
            Expression::FuncCall(call) => self.call(call),
            Expression::Parenthesis(inner) => self.expression(inner),
            Expression::Conditional(conditional) => {
                match self.known(&conditional.cond_expr)?.value {
                    Value::Bool(true) => self.expression(&conditional.true_expr),
                    Value::Bool(false) => self.expression(&conditional.false_expr),
                    _ => Err(Stop::Invalid("a condition must be a bool".to_owned())),
                }
            }
            Expression::Operation(operation) => self.operation(operation),
            Expression::ForExpr(for_expr) => self.for_expr(for_expr),
            _ => Err(Stop::Unknown),
        }
    }

    /// A value every part of which must be known (an operand, a condition, a key).
    fn known(&self, expression: &Expression) -> Evaluated {
        let value = self.expression(expression)?;
        if value.tokens {
            return Err(Stop::Unknown);
        }
        Ok(value)
    }

    fn iterator(&self, name: &str) -> Option<&Partial> {
        self.iterators
            .iter()
            .rev()
            .find(|(bound, _)| bound == name)
            .map(|(_, value)| value)
    }

    fn template(&self, template: &Template) -> Evaluated {
        let mut out = String::new();
        let mut tokens = false;
        for element in template.elements() {
            match element {
                Element::Literal(text) => out.push_str(text),
                Element::Interpolation(interpolation) => {
                    let part = self.part(&interpolation.expr)?;
                    tokens |= part.tokens;
                    out.push_str(&interpolated(&part.value)?);
                }
                // `%{if}` and `%{for}` directives: rare in configuration, not evaluated.
                Element::Directive(_) => return Err(Stop::Unknown),
            }
        }
        let value = Value::String(out);
        self.names.spend(cost(&value))?;
        Ok(Partial { value, tokens })
    }

    fn traverse(&self, mut value: Partial, operators: &[TraversalOperator]) -> Evaluated {
        for (at, operator) in operators.iter().enumerate() {
            if value.is_token() {
                return Err(Stop::Unknown);
            }
            let tokens = value.tokens;
            let next = match operator {
                TraversalOperator::GetAttr(name) => member(&value.value, name.as_str())?,
                TraversalOperator::Index(key) => {
                    let key = self.known(key)?.value;
                    match (&value.value, &key) {
                        (Value::Array(_), Value::Number(n)) => element(&value.value, n)?,
                        (_, Value::String(name)) => member(&value.value, name)?,
                        (_, Value::Number(n)) => member(&value.value, &n.to_string())?,
                        _ => {
                            return Err(Stop::Invalid(
                                "an index must be a number or a string".to_owned(),
                            ));
                        }
                    }
                }
                TraversalOperator::LegacyIndex(i) => element(&value.value, &Number::from(*i))?,
                TraversalOperator::AttrSplat | TraversalOperator::FullSplat => {
                    let items = match value.value {
                        Value::Array(items) => items,
                        Value::Null => Vec::new(),
                        single => vec![single],
                    };
                    let rest = &operators[at + 1..];
                    let mut out = Vec::with_capacity(items.len());
                    let mut tokens = false;
                    for item in items {
                        let item = self.traverse(
                            Partial {
                                value: item,
                                tokens: value.tokens,
                            },
                            rest,
                        )?;
                        tokens |= item.tokens;
                        out.push(item.value);
                    }
                    return Ok(Partial {
                        value: Value::Array(out),
                        tokens,
                    });
                }
            };
            // A part of a value holds a token only if that part does.
            let tokens = tokens && contains_token(&next);
            value = Partial {
                value: next,
                tokens,
            };
        }
        Ok(value)
    }
}

/// What building a value costs: a unit per value, and per 64 bytes of text.
fn cost(value: &Value) -> usize {
    match value {
        Value::String(s) => 1 + s.len() / 64,
        Value::Array(items) => 1 + items.iter().map(cost).sum::<usize>(),
        Value::Object(members) => {
            1 + members
                .iter()
                .map(|(k, v)| k.len() / 64 + cost(v))
                .sum::<usize>()
        }
        _ => 1,
    }
}

pub(crate) fn contains_token(value: &Value) -> bool {
    match value {
        Value::String(s) => !expr::template_spans(s).is_empty(),
        Value::Array(items) => items.iter().any(contains_token),
        Value::Object(members) => members.values().any(contains_token),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
