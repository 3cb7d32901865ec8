//! Function calls, operators and `for` expressions.

use super::*;

impl Evaluator<'_> {
    pub(super) fn call(&self, call: &FuncCall) -> Evaluated {
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
    pub(super) fn slice_of_reference(&self, call: &FuncCall) -> Option<Partial> {
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

    pub(super) fn read_file(&self, call: &FuncCall) -> Evaluated {
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

    pub(super) fn operation(&self, operation: &Operation) -> Evaluated {
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

    pub(super) fn for_expr(&self, for_expr: &ForExpr) -> Evaluated {
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
