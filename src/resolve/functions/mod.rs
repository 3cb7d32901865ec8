//! The Terraform functions platforms use, on JSON values, as Terraform documents them.
//! A function payplat does not know leaves its call unknown, never guessed.

mod json;
mod text;

pub(crate) use json::encode_expression;
use json::{jsondecode, jsonencode};
use serde_json::{Map, Value};
use text::{format, join, replace, split, string_map, strings2, substr, trimprefix, trimsuffix};

/// A Terraform function.
pub(crate) struct Function {
    pub apply: fn(&[Value]) -> Result<Value, String>,
    /// It only moves values around (`concat`, `merge`, `jsonencode`), so unknown parts of its
    /// arguments can pass through it as tokens; others read the text and need every part known.
    pub structural: bool,
    /// An argument that is wholly unknown is still a value it can take (`jsonencode` of a token).
    pub takes_tokens_whole: bool,
}

/// The function called `name`, if payplat evaluates it.
pub(crate) fn named(name: &str) -> Option<Function> {
    let structural = |apply| Function {
        apply,
        structural: true,
        takes_tokens_whole: false,
    };
    let reads = |apply| Function {
        apply,
        structural: false,
        takes_tokens_whole: false,
    };
    Some(match name {
        "jsonencode" => Function {
            apply: jsonencode,
            structural: true,
            takes_tokens_whole: true,
        },
        "tostring" => Function {
            apply: tostring,
            structural: true,
            takes_tokens_whole: true,
        },
        "concat" => structural(concat),
        "merge" => structural(merge),
        "length" => structural(length),
        "tolist" | "toset" => structural(tolist),
        "setunion" => reads(setunion),
        "tomap" => structural(tomap),
        "element" => structural(element),
        "lookup" => structural(lookup),
        "keys" => structural(keys),
        "values" => structural(values),
        "slice" => structural(slice),
        "reverse" => structural(reverse),
        "zipmap" => structural(zipmap),
        "one" => structural(one),
        "jsondecode" => reads(jsondecode),
        "replace" => reads(replace),
        "format" => reads(format),
        "lower" => reads(|a| string_map(a, str::to_lowercase)),
        "upper" => reads(|a| string_map(a, str::to_uppercase)),
        "trimspace" => reads(|a| string_map(a, |s| s.trim().to_owned())),
        "trimprefix" => reads(trimprefix),
        "trimsuffix" => reads(trimsuffix),
        "join" => reads(join),
        "split" => reads(split),
        "substr" => reads(substr),
        "startswith" => reads(|a| strings2(a, |s, p| Value::Bool(s.starts_with(p)))),
        "endswith" => reads(|a| strings2(a, |s, p| Value::Bool(s.ends_with(p)))),
        "contains" => reads(contains),
        "index" => reads(index_of),
        "distinct" => reads(distinct),
        "compact" => reads(compact),
        "coalesce" => reads(coalesce),
        "coalescelist" => structural(coalescelist),
        "flatten" => reads(flatten),
        "tonumber" => reads(tonumber),
        "tobool" => reads(tobool),
        "min" => reads(|a| fold_numbers(a, f64::min)),
        "max" => reads(|a| fold_numbers(a, f64::max)),
        "abs" => reads(|a| number_map(a, f64::abs)),
        "ceil" => reads(|a| number_map(a, f64::ceil)),
        "floor" => reads(|a| number_map(a, f64::floor)),
        "range" => reads(range),
        "sort" => reads(sort),
        "cidrsubnet" => reads(cidrsubnet),
        _ => return None,
    })
}

/// A number as Terraform shows it: whole numbers without a fraction.
pub(crate) fn number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        Value::from(value as i64)
    } else {
        serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
    }
}

pub(crate) fn float(n: &serde_json::Number) -> f64 {
    n.as_f64().unwrap_or(f64::NAN)
}

/// Terraform's conversion to a number: numbers, and strings that spell one.
pub(crate) fn to_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn arity<const N: usize>(args: &[Value]) -> Result<&[Value; N], String> {
    args.try_into()
        .map_err(|_| format!("takes {N} argument(s), given {}", args.len()))
}

fn string(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err("expects a string".to_owned()),
    }
}

fn list(value: &Value) -> Result<&Vec<Value>, String> {
    value.as_array().ok_or_else(|| "expects a list".to_owned())
}

fn object(value: &Value) -> Result<&Map<String, Value>, String> {
    value
        .as_object()
        .ok_or_else(|| "expects a map or an object".to_owned())
}

fn index(value: &Value) -> Result<usize, String> {
    to_number(value)
        .filter(|n| *n >= 0.0 && n.fract() == 0.0)
        .map(|n| n as usize)
        .ok_or_else(|| "expects a whole number".to_owned())
}

fn tostring(args: &[Value]) -> Result<Value, String> {
    let [value] = arity(args)?;
    Ok(match value {
        Value::Null => Value::Null,
        other => Value::String(string(other)?),
    })
}

fn concat(args: &[Value]) -> Result<Value, String> {
    let mut out = Vec::new();
    for arg in args {
        out.extend(list(arg)?.iter().cloned());
    }
    Ok(Value::Array(out))
}

fn merge(args: &[Value]) -> Result<Value, String> {
    let mut out = Map::new();
    for arg in args.iter().filter(|a| !a.is_null()) {
        out.extend(object(arg)?.clone());
    }
    Ok(Value::Object(out))
}

fn length(args: &[Value]) -> Result<Value, String> {
    let [value] = arity(args)?;
    Ok(Value::from(match value {
        Value::Array(items) => items.len(),
        Value::Object(members) => members.len(),
        Value::String(s) => s.chars().count(),
        _ => return Err("expects a collection or a string".to_owned()),
    }))
}

fn tolist(args: &[Value]) -> Result<Value, String> {
    let [value] = arity(args)?;
    list(value).map(|items| Value::Array(items.clone()))
}

fn setunion(args: &[Value]) -> Result<Value, String> {
    let mut out: Vec<Value> = Vec::new();
    for arg in args {
        for item in list(arg)? {
            if !out.contains(item) {
                out.push(item.clone());
            }
        }
    }
    Ok(Value::Array(out))
}

fn tomap(args: &[Value]) -> Result<Value, String> {
    let [value] = arity(args)?;
    object(value).map(|members| Value::Object(members.clone()))
}

fn element(args: &[Value]) -> Result<Value, String> {
    let [items, at] = arity(args)?;
    let items = list(items)?;
    if items.is_empty() {
        return Err("cannot use element on an empty list".to_owned());
    }
    Ok(items[index(at)? % items.len()].clone())
}

fn lookup(args: &[Value]) -> Result<Value, String> {
    let (map, key, default) = match args {
        [map, key] => (map, key, None),
        [map, key, default] => (map, key, Some(default)),
        _ => return Err("takes 2 or 3 arguments".to_owned()),
    };
    match (object(map)?.get(&string(key)?), default) {
        (Some(found), _) => Ok(found.clone()),
        (None, Some(default)) => Ok(default.clone()),
        (None, None) => Err("the key is not in the map and there is no default".to_owned()),
    }
}

fn keys(args: &[Value]) -> Result<Value, String> {
    let [map] = arity(args)?;
    Ok(Value::Array(
        object(map)?.keys().cloned().map(Value::String).collect(),
    ))
}

fn values(args: &[Value]) -> Result<Value, String> {
    let [map] = arity(args)?;
    Ok(Value::Array(object(map)?.values().cloned().collect()))
}

fn slice(args: &[Value]) -> Result<Value, String> {
    let [items, start, end] = arity(args)?;
    let items = list(items)?;
    let (start, end) = (index(start)?, index(end)?);
    items
        .get(start..end)
        .map(|part| Value::Array(part.to_vec()))
        .ok_or_else(|| "the range is outside the list".to_owned())
}

fn reverse(args: &[Value]) -> Result<Value, String> {
    let [items] = arity(args)?;
    Ok(Value::Array(list(items)?.iter().rev().cloned().collect()))
}

fn zipmap(args: &[Value]) -> Result<Value, String> {
    let [names, values] = arity(args)?;
    let (names, values) = (list(names)?, list(values)?);
    if names.len() != values.len() {
        return Err("the lists differ in length".to_owned());
    }
    names
        .iter()
        .zip(values)
        .map(|(name, value)| Ok((string(name)?, value.clone())))
        .collect::<Result<Map<_, _>, String>>()
        .map(Value::Object)
}

fn one(args: &[Value]) -> Result<Value, String> {
    let [items] = arity(args)?;
    match list(items)?.as_slice() {
        [] => Ok(Value::Null),
        [only] => Ok(only.clone()),
        _ => Err("the list has more than one element".to_owned()),
    }
}

fn contains(args: &[Value]) -> Result<Value, String> {
    let [items, value] = arity(args)?;
    Ok(Value::Bool(list(items)?.contains(value)))
}

fn index_of(args: &[Value]) -> Result<Value, String> {
    let [items, value] = arity(args)?;
    list(items)?
        .iter()
        .position(|item| item == value)
        .map(Value::from)
        .ok_or_else(|| "the value is not in the list".to_owned())
}

fn distinct(args: &[Value]) -> Result<Value, String> {
    let [items] = arity(args)?;
    let mut out: Vec<Value> = Vec::new();
    for item in list(items)? {
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    Ok(Value::Array(out))
}

fn compact(args: &[Value]) -> Result<Value, String> {
    let [items] = arity(args)?;
    Ok(Value::Array(
        list(items)?
            .iter()
            .filter(|item| !item.is_null() && item.as_str() != Some(""))
            .cloned()
            .collect(),
    ))
}

fn coalesce(args: &[Value]) -> Result<Value, String> {
    args.iter()
        .find(|arg| !arg.is_null() && arg.as_str() != Some(""))
        .cloned()
        .ok_or_else(|| "no non-null, non-empty argument".to_owned())
}

fn coalescelist(args: &[Value]) -> Result<Value, String> {
    for arg in args {
        if !list(arg)?.is_empty() {
            return Ok(arg.clone());
        }
    }
    Err("every list is empty".to_owned())
}

fn flatten(args: &[Value]) -> Result<Value, String> {
    fn flat(items: &[Value], out: &mut Vec<Value>) {
        for item in items {
            match item {
                Value::Array(inner) => flat(inner, out),
                other => out.push(other.clone()),
            }
        }
    }
    let [items] = arity(args)?;
    let mut out = Vec::new();
    flat(list(items)?, &mut out);
    Ok(Value::Array(out))
}

fn tonumber(args: &[Value]) -> Result<Value, String> {
    let [value] = arity(args)?;
    match value {
        Value::Null => Ok(Value::Null),
        other => to_number(other)
            .map(number)
            .ok_or_else(|| "cannot convert to a number".to_owned()),
    }
}

fn tobool(args: &[Value]) -> Result<Value, String> {
    let [value] = arity(args)?;
    match value {
        Value::Null | Value::Bool(_) => Ok(value.clone()),
        Value::String(s) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
        _ => Err("cannot convert to a bool".to_owned()),
    }
}

fn fold_numbers(args: &[Value], f: fn(f64, f64) -> f64) -> Result<Value, String> {
    let mut numbers = args.iter().map(|a| to_number(a).ok_or("expects numbers"));
    let first = numbers.next().ok_or("takes at least one number")??;
    numbers.try_fold(first, |acc, n| Ok(f(acc, n?))).map(number)
}

fn number_map(args: &[Value], f: fn(f64) -> f64) -> Result<Value, String> {
    let [value] = arity(args)?;
    to_number(value)
        .map(|n| number(f(n)))
        .ok_or_else(|| "expects a number".to_owned())
}

fn range(args: &[Value]) -> Result<Value, String> {
    let numbers: Vec<f64> = args
        .iter()
        .map(|a| to_number(a).ok_or("expects numbers"))
        .collect::<Result<_, _>>()?;
    let (start, end, step) = match numbers.as_slice() {
        [end] => (0.0, *end, 1.0),
        [start, end] => (*start, *end, if start <= end { 1.0 } else { -1.0 }),
        [start, end, step] if *step != 0.0 => (*start, *end, *step),
        _ => return Err("takes 1 to 3 numbers, the step not zero".to_owned()),
    };
    let count = ((end - start) / step).ceil().max(0.0);
    if count > 1024.0 {
        return Err("a range of more than 1024 elements".to_owned());
    }
    Ok(Value::Array(
        (0..count as usize)
            .map(|i| number(start + step * i as f64))
            .collect(),
    ))
}

fn sort(args: &[Value]) -> Result<Value, String> {
    let [items] = arity(args)?;
    let mut out: Vec<String> = list(items)?.iter().map(string).collect::<Result<_, _>>()?;
    out.sort();
    Ok(Value::Array(out.into_iter().map(Value::String).collect()))
}

/// `cidrsubnet(prefix, newbits, netnum)` for IPv4 and IPv6.
fn cidrsubnet(args: &[Value]) -> Result<Value, String> {
    let [prefix, newbits, netnum] = arity(args)?;
    let prefix = string(prefix)?;
    let (address, length) = prefix
        .split_once('/')
        .ok_or_else(|| format!("`{prefix}` is not a CIDR prefix"))?;
    let length: u32 = length.parse().map_err(|_| "a bad prefix length")?;
    let (newbits, netnum) = (index(newbits)? as u32, index(netnum)? as u128);
    let address: std::net::IpAddr = address.parse().map_err(|_| "a bad IP address")?;
    let width = if address.is_ipv4() { 32 } else { 128 };
    let new_length = length + newbits;
    if length > width || new_length > width || (newbits < 128 && netnum >> newbits != 0) {
        return Err("the new prefix does not fit the address".to_owned());
    }
    let bits: u128 = match address {
        std::net::IpAddr::V4(v4) => u32::from(v4).into(),
        std::net::IpAddr::V6(v6) => v6.into(),
    };
    let host_bits = width - new_length;
    let network_mask = if length == 0 {
        0
    } else {
        u128::MAX << (width - length)
    };
    let base = bits
        & network_mask
        & if width == 32 {
            u32::MAX.into()
        } else {
            u128::MAX
        };
    let subnet = base | netnum.checked_shl(host_bits).unwrap_or(0);
    let text = if width == 32 {
        std::net::Ipv4Addr::from(subnet as u32).to_string()
    } else {
        std::net::Ipv6Addr::from(subnet).to_string()
    };
    Ok(Value::String(format!("{text}/{new_length}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(name: &str, args: Value) -> Result<Value, String> {
        (named(name).unwrap().apply)(args.as_array().unwrap())
    }

    #[test]
    fn cidrsubnet_as_terraform_documents() {
        assert_eq!(
            call("cidrsubnet", json!(["172.16.0.0/12", 4, 2])),
            Ok(json!("172.18.0.0/16"))
        );
        assert_eq!(
            call("cidrsubnet", json!(["10.1.2.0/24", 4, 15])),
            Ok(json!("10.1.2.240/28"))
        );
        assert_eq!(
            call("cidrsubnet", json!(["fd00:fd12:3456:7890::/56", 16, 162])),
            Ok(json!("fd00:fd12:3456:7800:a200::/72"))
        );
        assert!(call("cidrsubnet", json!(["10.0.0.0/24", 4, 16])).is_err());
    }

    #[test]
    fn strings_and_lists() {
        assert_eq!(
            call("replace", json!(["https://a/b", "https://", ""])),
            Ok(json!("a/b"))
        );
        assert_eq!(
            call("replace", json!(["a1b22", "/[0-9]+/", "-"])),
            Ok(json!("a-b-"))
        );
        assert_eq!(
            call("format", json!(["%s:%d%%", "x", 7])),
            Ok(json!("x:7%"))
        );
        assert_eq!(call("element", json!([["a", "b"], 3])), Ok(json!("b")));
        assert_eq!(call("lookup", json!([{"a": 1}, "b", 2])), Ok(json!(2)));
        assert_eq!(
            call("flatten", json!([[[["a"], "b"], []]])),
            Ok(json!(["a", "b"]))
        );
        assert_eq!(call("range", json!([3])), Ok(json!([0, 1, 2])));
        assert_eq!(call("substr", json!(["hello", 1, -1])), Ok(json!("ello")));
        assert!(call("one", json!([[1, 2]])).is_err());
    }
}
