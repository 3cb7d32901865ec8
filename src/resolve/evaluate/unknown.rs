//! What is left of an expression these inputs do not decide: the tokens of references, the
//! residuals of calls, and values passed through resources.

use super::{Evaluated, Evaluator, Partial, Stop, functions};
use crate::expr;
use hcl::expr::{Expression, TraversalOperator};
use serde_json::Value;

impl Evaluator<'_> {
    /// `time_sleep.this.triggers` or `time_sleep.this[0].triggers`, where the resource passes
    /// the attribute's argument through: its value, and the operators after it.
    pub(super) fn echoed<'o>(
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

    pub(super) fn reading(&self, name: &str) {
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
    pub(super) fn reference(&self, root: &str, operators: &[TraversalOperator]) -> Evaluated {
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
    pub(super) fn residual(&self, expression: &Expression) -> String {
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
    pub(super) fn part(&self, expression: &Expression) -> Evaluated {
        match self.expression(expression) {
            Err(Stop::Unknown) if self.iterators.is_empty() => Ok(self.residual_token(expression)),
            other => other,
        }
    }

    /// An unknown expression as a token of its residual; the module it is written in is that of
    /// the tokens written into it, where they agree (a value passed in from the caller through
    /// `join` or `coalescelist` still names the caller's resources).
    pub(super) fn residual_token(&self, expression: &Expression) -> Partial {
        let before = self.inlined.borrow().len();
        let token = Partial::token(&self.residual(expression));
        let inlined: Vec<String> = self.inlined.borrow_mut().drain(before..).collect();
        if let (Some(text), false) = (token.value.as_str(), inlined.is_empty()) {
            self.names.combined(text, &inlined);
        }
        token
    }
}
