//! Terraform's operators and indexing on values known here.

use super::{Evaluated, Stop, functions};
use hcl::expr::BinaryOperator;
use serde_json::{Number, Value};

pub(super) fn member(value: &Value, name: &str) -> Result<Value, Stop> {
    match value {
        Value::Object(members) => members
            .get(name)
            .cloned()
            .ok_or_else(|| Stop::Invalid(format!("no attribute or key `{name}`"))),
        _ => Err(Stop::Invalid(format!(
            "`{name}` is read from a value that is not an object"
        ))),
    }
}

pub(super) fn element(value: &Value, index: &Number) -> Result<Value, Stop> {
    let items = value
        .as_array()
        .ok_or_else(|| Stop::Invalid("an index into a value that is not a list".to_owned()))?;
    index
        .as_u64()
        .and_then(|i| items.get(usize::try_from(i).ok()?))
        .cloned()
        .ok_or_else(|| Stop::Invalid(format!("index {index} is out of range")))
}

/// What Terraform decides from one known side, whatever the other: `false && x`, `true || x`,
/// and whether a structure (known in shape, not in every part) is `null`.
pub(super) fn decided_by_one_side(
    operator: BinaryOperator,
    lhs: &Evaluated,
    rhs: &Evaluated,
) -> Option<bool> {
    let known = |side: &Evaluated| match side {
        Ok(side) if !side.tokens => Some(side.value.clone()),
        _ => None,
    };
    let shaped =
        |side: &Evaluated| matches!(side, Ok(side) if !side.is_token() && !side.value.is_null());
    match operator {
        BinaryOperator::And => [lhs, rhs]
            .iter()
            .any(|side| known(side) == Some(Value::Bool(false)))
            .then_some(false),
        BinaryOperator::Or => [lhs, rhs]
            .iter()
            .any(|side| known(side) == Some(Value::Bool(true)))
            .then_some(true),
        BinaryOperator::Eq | BinaryOperator::NotEq => {
            let null_against = |null: &Evaluated, other: &Evaluated| {
                known(null) == Some(Value::Null) && shaped(other) && known(other).is_none()
            };
            (null_against(lhs, rhs) || null_against(rhs, lhs))
                .then_some(operator == BinaryOperator::NotEq)
        }
        _ => None,
    }
}

pub(super) fn binary_operation(
    operator: BinaryOperator,
    lhs: &Value,
    rhs: &Value,
) -> Result<Value, Stop> {
    use BinaryOperator as B;
    let wrong = || Stop::Invalid(format!("wrong operand types for `{operator:?}`"));
    Ok(match operator {
        B::Eq => Value::Bool(lhs == rhs),
        B::NotEq => Value::Bool(lhs != rhs),
        B::And | B::Or => match (lhs, rhs) {
            (Value::Bool(a), Value::Bool(b)) => Value::Bool(if operator == B::And {
                *a && *b
            } else {
                *a || *b
            }),
            _ => return Err(wrong()),
        },
        _ => {
            let a = functions::to_number(lhs).ok_or_else(wrong)?;
            let b = functions::to_number(rhs).ok_or_else(wrong)?;
            match operator {
                B::Less => Value::Bool(a < b),
                B::LessEq => Value::Bool(a <= b),
                B::Greater => Value::Bool(a > b),
                B::GreaterEq => Value::Bool(a >= b),
                B::Plus => functions::number(a + b),
                B::Minus => functions::number(a - b),
                B::Mul => functions::number(a * b),
                B::Div if b != 0.0 => functions::number(a / b),
                B::Mod if b != 0.0 => functions::number(a % b),
                _ => return Err(Stop::Invalid("division by zero".to_owned())),
            }
        }
    })
}
