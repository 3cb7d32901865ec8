//! Terraform template expressions (`${…}`) embedded in JSON strings.
//!
//! Configuration files carry references as strings such as `"${aws_subnet.a.id}"`, or as
//! templates inside longer strings, including JSON documents (IAM policies) whose `${…}`
//! sections hold HCL string literals with raw quotes. Only the structure is read here:
//! where each expression is and which objects it names; nothing is evaluated.

use std::ops::Range;

/// The offset where brackets, braces or parentheses first nest more than `max` deep, if they
/// do: parsers recurse per level, so a text nested without end is refused before parsing.
pub fn nested_deeper_than(text: &str, max: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (at, byte) in text.bytes().enumerate() {
        match byte {
            b'{' | b'[' | b'(' => depth += 1,
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > max {
            return Some(at);
        }
    }
    None
}

/// Byte ranges of the `${…}` sections of `text`, each including its delimiters.
/// `$${` is Terraform's escape for a literal `${` and starts no expression; an unterminated
/// `${` is literal text.
pub fn template_spans(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut at = 0;
    while let Some(start) = opening(bytes, at) {
        if start > 0 && bytes[start - 1] == b'$' {
            at = start + 2;
            continue;
        }
        match expression_end(bytes, start + 2) {
            Some(end) => {
                spans.push(start..end);
                at = end;
            }
            None => break,
        }
    }
    spans
}

/// Where the next `${` from `from` is: a scan for `$`, which most text does not hold.
fn opening(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(dollar) = bytes.get(at..)?.iter().position(|&b| b == b'$') {
        let start = at + dollar;
        if bytes.get(start + 1) == Some(&b'{') {
            return Some(start);
        }
        at = start + 1;
    }
    None
}

/// The offset just past the `}` that closes an expression whose body starts at `from`.
fn expression_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut depth = 1usize;
    let mut at = from;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => at = string_literal_end(bytes, at)?,
            b'{' => {
                depth += 1;
                at += 1;
            }
            b'}' => {
                depth -= 1;
                at += 1;
                if depth == 0 {
                    return Some(at);
                }
            }
            _ => at += 1,
        }
    }
    None
}

/// The offset just past an HCL string literal that opens at `start`.
fn string_literal_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut at = start + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return Some(at + 1),
            _ => at += 1,
        }
    }
    None
}

/// Roots a reference can start with, besides a resource type (which always has a `_`).
const REFERENCE_ROOTS: &[&str] = &[
    "data",
    "module",
    "var",
    "local",
    "each",
    "count",
    "self",
    "path",
    "terraform",
];

/// The traversals an expression body names, as written: `aws_eks_cluster.c.identity[0].oidc[0].issuer`,
/// `data.aws_caller_identity.current.account_id`, `var.region`. Function names, literals and
/// `for` iteration variables are not references.
pub fn references(expression: &str) -> Vec<&str> {
    let bytes = expression.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        if byte == b'"' {
            at = string_literal_end(bytes, at).unwrap_or(bytes.len());
        } else if is_ident_start(byte) {
            let (root_end, end) = traversal_end(bytes, at);
            let root = &expression[at..root_end];
            let called = bytes.get(end) == Some(&b'(');
            let is_reference =
                end > root_end && (root.contains('_') || REFERENCE_ROOTS.contains(&root));
            if is_reference && !called {
                found.push(&expression[at..end]);
            }
            at = if called { root_end } else { end };
        } else if byte.is_ascii_digit() {
            while at < bytes.len() && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'.') {
                at += 1;
            }
        } else {
            at += 1;
        }
    }
    found
}

fn is_ident_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_'
}

fn is_ident(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-'
}

/// For a traversal starting at `start`: the end of its root name, and the end of the whole
/// chain of `.attr`, `.*`, `[index]` steps.
fn traversal_end(bytes: &[u8], start: usize) -> (usize, usize) {
    let ident_end = |mut at: usize| {
        while at < bytes.len() && is_ident(bytes[at]) {
            at += 1;
        }
        at
    };
    let root_end = ident_end(start);
    let mut at = root_end;
    loop {
        match (bytes.get(at), bytes.get(at + 1)) {
            (Some(b'.'), Some(&next)) if is_ident_start(next) => at = ident_end(at + 1),
            (Some(b'.'), Some(b'*')) => at += 2,
            (Some(b'['), Some(b'"')) => match string_literal_end(bytes, at + 1) {
                Some(end) if bytes.get(end) == Some(&b']') => at = end + 1,
                _ => break,
            },
            (Some(b'['), _) => {
                let key_end = at
                    + 1
                    + bytes[at + 1..]
                        .iter()
                        .take_while(|&&b| is_ident(b) || b == b'*')
                        .count();
                if bytes.get(key_end) != Some(&b']') || key_end == at + 1 {
                    break;
                }
                at = key_end + 1;
            }
            _ => break,
        }
    }
    (root_end, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expressions(text: &str) -> Vec<&str> {
        template_spans(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn finds_whole_and_embedded_templates() {
        assert_eq!(expressions("${aws_vpc.main.id}"), ["${aws_vpc.main.id}"]);
        assert_eq!(
            expressions(
                "arn:aws:dynamodb:us-east-1:${data.aws_caller_identity.c.account_id}:table/x"
            ),
            ["${data.aws_caller_identity.c.account_id}"]
        );
        assert!(expressions("$${literal} and ${unterminated").is_empty());
    }

    #[test]
    fn string_literals_with_quotes_and_braces_do_not_end_a_template() {
        let policy = r#"{"Federated": "oidc-provider/${replace(aws_eks_cluster.c.identity[0].oidc[0].issuer, "https://", "}")}"}"#;
        assert_eq!(
            expressions(policy),
            [r#"${replace(aws_eks_cluster.c.identity[0].oidc[0].issuer, "https://", "}")}"#]
        );
    }

    #[test]
    fn references_skip_functions_literals_and_iteration_variables() {
        assert_eq!(
            references(r#"replace(aws_eks_cluster.c.identity[0].oidc[0].issuer, "https://", "")"#),
            ["aws_eks_cluster.c.identity[0].oidc[0].issuer"]
        );
        assert_eq!(
            references(r#"[for s in aws_subnet.private[*] : s.id if var.enabled]"#),
            ["aws_subnet.private[*]", "var.enabled"]
        );
        assert_eq!(
            references(r#"module.net.ids["a.b"] + 1.5"#),
            [r#"module.net.ids["a.b"]"#]
        );
        assert!(references(r#"true ? "aws_x.y" : null"#).is_empty());
    }
}
