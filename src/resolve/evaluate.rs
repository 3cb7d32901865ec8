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

mod operators;
use crate::expr;
use crate::model::Hop;
use hcl::expr::{
    Expression, ForExpr, FuncCall, ObjectKey, Operation, TraversalOperator, UnaryOperator,
};
use hcl::template::{Element, Template};
use serde_json::{Map, Number, Value};
use std::cell::RefCell;
use std::str::FromStr;

/// Why an expression has no value in these inputs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stop {
    /// Known only once Terraform plans or applies: a resource attribute, a data source, a
    /// variable no file sets.
    Unknown,
    /// Terraform would reject it: a missing attribute, a function given the wrong type, a cycle.
    Invalid(String),
}

/// A value that may hold `${…}` tokens where parts of it are unknown.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Partial {
    /// The value, tokens included.
    pub value: Value,
    /// Whether some part of it is a token.
    pub tokens: bool,
}

/// What an evaluation gives.
pub(crate) type Evaluated = Result<Partial, Stop>;

impl Partial {
    pub(crate) fn known(value: Value) -> Partial {
        Partial {
            value,
            tokens: false,
        }
    }

    /// A token standing for an unknown expression, as the configuration would write it.
    fn token(expression: &str) -> Partial {
        Partial {
            value: Value::String(format!("${{{expression}}}")),
            tokens: true,
        }
    }

    /// The whole value is one unknown token.
    fn is_token(&self) -> bool {
        self.tokens && matches!(&self.value, Value::String(s) if is_token(s))
    }
}

/// A string that is exactly one `${…}` expression.
pub(crate) fn is_token(text: &str) -> bool {
    matches!(expr::template_spans(text).as_slice(), [span] if span.start == 0 && span.end == text.len())
}

/// Where names are looked up: the module's variables and locals.
pub(crate) trait Names {
    /// `var.NAME`: its value, `Unknown` when no input sets it, `Invalid` when undeclared.
    fn variable(&self, name: &str) -> Evaluated;
    /// `local.NAME`, evaluated.
    fn local(&self, name: &str) -> Evaluated;
    /// Takes `cost` from what evaluation may produce in all (values built by `for` and by
    /// functions), so that hostile expressions end instead of exhausting memory.
    fn spend(&self, cost: usize) -> Result<(), Stop> {
        let _ = cost;
        Ok(())
    }
    /// `TYPE.NAME.ATTRIBUTE` of a resource that passes values through (`time_sleep.this.triggers`):
    /// the argument it echoes, evaluated. `resource` is `TYPE.NAME`.
    fn echoed(&self, resource: &str, attribute: &str) -> Evaluated {
        let _ = (resource, attribute);
        Err(Stop::Unknown)
    }
    /// `token` (a residual, in this module) is made of `inlined`, tokens evaluated here: where
    /// those are all written in one other module, it is too.
    fn combined(&self, token: &str, inlined: &[String]) {
        let _ = (token, inlined);
    }
    /// `terraform.workspace`, where the environment names it.
    fn workspace(&self) -> Evaluated {
        Err(Stop::Unknown)
    }
    /// Whether resources of `resource_type` pass values through.
    fn passes(&self, resource_type: &str) -> bool {
        let _ = resource_type;
        false
    }
    /// `path.module`, `path.root`, `path.cwd`.
    fn path(&self, name: &str) -> Evaluated {
        let _ = name;
        Err(Stop::Unknown)
    }
    /// The text of a file the configuration reads (`file`, `templatefile`), if it lies in the
    /// configuration's own directories.
    fn file(&self, path: &str) -> Evaluated {
        let _ = path;
        Err(Stop::Unknown)
    }
    /// `module.CALL.OUTPUT`, or `module.CALL[KEY].OUTPUT` of a call with `count` or
    /// `for_each`, evaluated in the module instance called.
    fn module_output(&self, call: &str, key: Option<&Value>, output: &str) -> Evaluated {
        let _ = (call, key, output);
        Err(Stop::Unknown)
    }
    /// `module.CALL` whole: the object of its outputs, or of a call with `count` or
    /// `for_each`, the list or map of its instances' objects.
    fn module_call(&self, call: &str) -> Evaluated {
        let _ = call;
        Err(Stop::Unknown)
    }
    /// The way to a name read (`var.x`, `local.y`, `module.c.o`): its declaration, then what
    /// its own value was read through.
    fn through(&self, name: &str) -> Vec<Hop> {
        let _ = name;
        Vec::new()
    }
    /// `count.index`, `each.key`, `each.value` of the instance being evaluated, and the `key`
    /// and `value` of the dynamic block iterators in scope.
    fn instance(&self, root: &str, name: &str) -> Evaluated {
        let _ = (root, name);
        Err(Stop::Unknown)
    }
    /// Whether `root` is the iterator of a dynamic block being expanded (`statement.value`).
    fn bound(&self, root: &str) -> bool {
        let _ = root;
        false
    }
}

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

    /// `time_sleep.this.triggers` or `time_sleep.this[0].triggers`, where the resource passes
    /// the attribute's argument through: its value, and the operators after it.
    fn echoed<'o>(
        &self,
        resource_type: &str,
        name: &str,
        operators: &'o [TraversalOperator],
    ) -> Option<(Partial, &'o [TraversalOperator])> {
        // Which instance does not matter: an argument that reads `count` or `each` stays unknown.
        let operators = match operators {
            [
                TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_),
                rest @ ..,
            ] => rest,
            all => all,
        };
        let [TraversalOperator::GetAttr(attribute), rest @ ..] = operators else {
            return None;
        };
        let resource = format!("{resource_type}.{name}");
        let value = self.names.echoed(&resource, attribute.as_str()).ok()?;
        self.reading(&format!("{resource}.{attribute}"));
        Some((value, rest))
    }

    fn reading(&self, name: &str) {
        let mut read = self.read.borrow_mut();
        for hop in self.names.through(name) {
            if !read.contains(&hop) {
                read.push(hop);
            }
        }
    }

    /// A reference to an object these files do not hold the value of, as a token, with the
    /// keys that are known written in: `aws_subnet.private[count.index]` is
    /// `aws_subnet.private[0]` in the first instance.
    fn reference(&self, root: &str, operators: &[TraversalOperator]) -> Evaluated {
        let mut text = root.to_owned();
        for operator in operators {
            match operator {
                TraversalOperator::GetAttr(name) => {
                    text.push('.');
                    text.push_str(name.as_str());
                }
                TraversalOperator::Index(key) => match self.known(key) {
                    Ok(Partial {
                        value: key @ (Value::Number(_) | Value::String(_)),
                        ..
                    }) => text.push_str(&format!("[{key}]")),
                    _ if self.iterators.is_empty() => text.push_str(&format!("[{key}]")),
                    _ => return Err(Stop::Unknown),
                },
                TraversalOperator::LegacyIndex(i) => text.push_str(&format!("[{i}]")),
                TraversalOperator::AttrSplat => text.push_str(".*"),
                TraversalOperator::FullSplat => text.push_str("[*]"),
            }
        }
        Ok(Partial::token(&text))
    }

    /// What is left of an unknown expression once its known parts are written in as values:
    /// `element(data.aws_availability_zones.all.names, count.index)` is
    /// `element(data.aws_availability_zones.all.names, 2)` in the third instance.
    fn residual(&self, expression: &Expression) -> String {
        match self.expression(expression) {
            Ok(value) if value.is_token() => {
                let text = value.value.as_str().unwrap_or_default();
                self.inlined.borrow_mut().push(text.to_owned());
                text[2..text.len() - 1].to_owned()
            }
            Ok(value) => {
                let mut out = String::new();
                if value.tokens {
                    crate::pointer::for_each_leaf(&value.value, |_, leaf| {
                        if let Some(text) = leaf.as_str() {
                            let spans = expr::template_spans(text);
                            let mut inlined = self.inlined.borrow_mut();
                            inlined.extend(spans.into_iter().map(|s| text[s].to_owned()));
                        }
                    });
                }
                functions::encode_expression(&value.value, &mut out);
                out
            }
            Err(_) => match expression {
                Expression::FuncCall(call) => {
                    let arguments: Vec<String> =
                        call.args.iter().map(|a| self.residual(a)).collect();
                    let expand = if call.expand_final { "..." } else { "" };
                    format!("{}({}){expand}", call.name, arguments.join(", "))
                }
                Expression::Parenthesis(inner) => format!("({})", self.residual(inner)),
                other => other.to_string(),
            },
        }
    }

    /// A part of a structure: unknown, it becomes a token, unless it reads a `for` variable
    /// whose binding the token could not carry.
    fn part(&self, expression: &Expression) -> Evaluated {
        match self.expression(expression) {
            Err(Stop::Unknown) if self.iterators.is_empty() => Ok(self.residual_token(expression)),
            other => other,
        }
    }

    /// An unknown expression as a token of its residual; the module it is written in is that of
    /// the tokens written into it, where they agree (a value passed in from the caller through
    /// `join` or `coalescelist` still names the caller's resources).
    fn residual_token(&self, expression: &Expression) -> Partial {
        let before = self.inlined.borrow().len();
        let token = Partial::token(&self.residual(expression));
        let inlined: Vec<String> = self.inlined.borrow_mut().drain(before..).collect();
        if let (Some(text), false) = (token.value.as_str(), inlined.is_empty()) {
            self.names.combined(text, &inlined);
        }
        token
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

    fn call(&self, call: &FuncCall) -> Evaluated {
        let name = call.name.name.as_str();
        match name {
            // `try` and `can` see their arguments' errors, so they take them unevaluated.
            "try" => {
                let mut last = Stop::Invalid("try needs at least one argument".to_owned());
                for argument in &call.args {
                    match self.expression(argument) {
                        Err(Stop::Invalid(message)) => last = Stop::Invalid(message),
                        other => return other,
                    }
                }
                return Err(last);
            }
            "file" | "templatefile" => return self.read_file(call),
            "slice" => {
                if let Some(elements) = self.slice_of_reference(call) {
                    return Ok(elements);
                }
            }
            "can" => {
                return match call.args.as_slice() {
                    [argument] => match self.expression(argument) {
                        Ok(_) => Ok(Partial::known(Value::Bool(true))),
                        Err(Stop::Unknown) => Err(Stop::Unknown),
                        Err(Stop::Invalid(_)) => Ok(Partial::known(Value::Bool(false))),
                    },
                    _ => Err(Stop::Invalid("can takes one argument".to_owned())),
                };
            }
            _ => {}
        }
        let function = functions::named(name)
            .ok_or_else(|| Stop::Invalid(format!("payplat does not evaluate `{name}`")))?;
        let mut tokens = false;
        let mut arguments = Vec::with_capacity(call.args.len());
        for argument in &call.args {
            let argument = self.expression(argument)?;
            // A whole argument that is unknown may be any value: a list, a map, anything.
            if argument.is_token() && !function.takes_tokens_whole {
                return Err(Stop::Unknown);
            }
            tokens |= argument.tokens;
            arguments.push(argument.value);
        }
        if call.expand_final {
            match arguments.pop() {
                Some(Value::Array(last)) => arguments.extend(last),
                _ => return Err(Stop::Invalid(format!("`{name}(…)` expands a list"))),
            }
        }
        // A function that reads the text of its arguments cannot read a token's.
        if tokens && !function.structural {
            return Err(Stop::Unknown);
        }
        let value = (function.apply)(&arguments).map_err(Stop::Invalid)?;
        self.names.spend(cost(&value))?;
        let tokens = tokens && contains_token(&value);
        Ok(Partial { value, tokens })
    }

    /// `file(path)`, and `templatefile(path, vars)`: the file's text as a template whose only
    /// names are `vars`.
    /// `slice(REFERENCE, 0, 3)` of a list not known here is the list of its elements,
    /// `[REFERENCE[0], REFERENCE[1], REFERENCE[2]]`: what stays unknown is which values they
    /// are, not that they are the list's first three (so `data.aws_availability_zones.x.names`
    /// sliced gives distinct zones).
    fn slice_of_reference(&self, call: &FuncCall) -> Option<Partial> {
        let [list, start, end] = call.args.as_slice() else {
            return None;
        };
        let list = self.expression(list).ok().filter(Partial::is_token)?;
        let text = list.value.as_str()?;
        let reference = text[2..text.len() - 1].trim();
        if expr::references(reference).as_slice() != [reference] {
            return None;
        }
        let index = |bound: &Expression| {
            let value = self.known(bound).ok()?.value;
            functions::to_number(&value).filter(|n| *n >= 0.0 && n.fract() == 0.0)
        };
        let (start, end) = (index(start)? as usize, index(end)? as usize);
        let elements = (start..end.max(start))
            .map(|i| Value::String(format!("${{{reference}[{i}]}}")))
            .collect();
        Some(Partial {
            value: Value::Array(elements),
            tokens: true,
        })
    }

    fn read_file(&self, call: &FuncCall) -> Evaluated {
        let name = call.name.name.as_str();
        let (path, vars) = match (name, call.args.as_slice()) {
            ("file", [path]) => (path, None),
            ("templatefile", [path, vars]) => (path, Some(vars)),
            _ => return Err(Stop::Invalid(format!("`{name}` takes other arguments"))),
        };
        let path = self.known(path)?.value;
        let text = self.names.file(path.as_str().unwrap_or_default())?;
        let Some(vars) = vars else {
            return Ok(text);
        };
        let Value::Object(vars) = self.expression(vars)?.value else {
            return Err(Stop::Invalid(
                "templatefile takes a map of variables".to_owned(),
            ));
        };
        let template = Evaluator {
            names: self.names,
            iterators: vars
                .into_iter()
                .map(|(name, value)| {
                    let tokens = contains_token(&value);
                    (name, Partial { value, tokens })
                })
                .collect(),
            read: self.read,
            inlined: RefCell::default(),
        };
        template.string(text.value.as_str().unwrap_or_default())
    }

    fn operation(&self, operation: &Operation) -> Evaluated {
        let value = match operation {
            Operation::Unary(unary) => {
                let operand = self.known(&unary.expr)?.value;
                match (unary.operator, operand) {
                    (UnaryOperator::Not, Value::Bool(b)) => Value::Bool(!b),
                    (UnaryOperator::Neg, Value::Number(n)) => {
                        functions::number(-functions::float(&n))
                    }
                    _ => return Err(Stop::Invalid("wrong operand type".to_owned())),
                }
            }
            Operation::Binary(binary) => {
                let (lhs, rhs) = (
                    self.expression(&binary.lhs_expr),
                    self.expression(&binary.rhs_expr),
                );
                if let Some(decided) = decided_by_one_side(binary.operator, &lhs, &rhs) {
                    return Ok(Partial::known(Value::Bool(decided)));
                }
                let known = |side: Evaluated| match side? {
                    side if side.tokens => Err(Stop::Unknown),
                    side => Ok(side.value),
                };
                let (lhs, rhs) = (known(lhs)?, known(rhs)?);
                binary_operation(binary.operator, &lhs, &rhs)?
            }
        };
        Ok(Partial::known(value))
    }

    fn for_expr(&self, for_expr: &ForExpr) -> Evaluated {
        let collection = self.expression(&for_expr.collection_expr)?;
        if collection.is_token() {
            return Err(Stop::Unknown);
        }
        let pairs: Vec<(Value, Value)> = match collection.value {
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| (Value::from(i), item))
                .collect(),
            Value::Object(members) => members
                .into_iter()
                .map(|(key, member)| (Value::String(key), member))
                .collect(),
            _ => return Err(Stop::Invalid("`for` needs a list or a map".to_owned())),
        };
        let mut inner = Evaluator {
            names: self.names,
            iterators: self.iterators.clone(),
            read: self.read,
            inlined: RefCell::default(),
        };
        let mut list = Vec::new();
        let mut map = Map::new();
        let mut tokens = false;
        for (key, item) in pairs {
            let scope = inner.iterators.len();
            if let Some(key_var) = &for_expr.key_var {
                inner
                    .iterators
                    .push((key_var.to_string(), Partial::known(key)));
            }
            inner.iterators.push((
                for_expr.value_var.to_string(),
                Partial {
                    value: item,
                    tokens: collection.tokens,
                },
            ));
            let keep = match &for_expr.cond_expr {
                Some(condition) => inner.known(condition)?.value == Value::Bool(true),
                None => true,
            };
            if keep {
                let value = inner.expression(&for_expr.value_expr)?;
                self.names.spend(1 + cost(&value.value))?;
                tokens |= value.tokens;
                match &for_expr.key_expr {
                    Some(key_expr) => {
                        let key = interpolated(&inner.known(key_expr)?.value)?;
                        map.insert(key, value.value);
                    }
                    None => list.push(value.value),
                }
            }
            inner.iterators.truncate(scope);
        }
        let value = match for_expr.key_expr {
            Some(_) => Value::Object(map),
            None => Value::Array(list),
        };
        Ok(Partial { value, tokens })
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
