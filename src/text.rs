//! Small text helpers every layer shares: counted nouns, digests, UTF-16, `*` wildcards.

/// `1 file`, `3 files`.
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The value `name` stands for in a table of `(value, name, description)` (any case), or an
/// error that lists the names: how the library's named choices are read.
pub fn choose<T: Copy>(table: &[(T, &str, &str)], name: &str, what: &str) -> Result<T, String> {
    table
        .iter()
        .find(|(_, candidate, _)| candidate.eq_ignore_ascii_case(name))
        .map(|(value, _, _)| *value)
        .ok_or_else(|| {
            let names: Vec<&str> = table.iter().map(|(_, name, _)| *name).collect();
            format!("`{name}` is not {what}: {}", names.join(", "))
        })
}

/// `text` cut to at most `chars` characters, with `…` where it was cut.
pub fn elide(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// SHA-256 of `parts` (each followed by a NUL, so that `ab`+`c` differs from `a`+`bc`), as
/// lowercase hex of its first `bytes` bytes.
pub fn sha256_hex<'p>(parts: impl IntoIterator<Item = &'p [u8]>, bytes: usize) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
        hasher.update([0]);
    }
    hasher
        .finalize()
        .iter()
        .take(bytes)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// SHA-256 of `bytes` as lowercase hex, as `sha256sum` prints it.
pub fn sha256_of(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The characters of UTF-16 text after its byte-order mark; an odd last byte is dropped.
pub fn utf16_chars(
    bytes: &[u8],
    big_endian: bool,
) -> impl Iterator<Item = Result<char, std::char::DecodeUtf16Error>> + '_ {
    let unit = if big_endian {
        u16::from_be_bytes
    } else {
        u16::from_le_bytes
    };
    char::decode_utf16(
        bytes
            .chunks_exact(2)
            .map(move |pair| unit([pair[0], pair[1]])),
    )
}

/// Whether a `*` wildcard pattern (the only wildcard of ECR filters and suppressions) matches
/// `text` whole.
pub fn wildcard_matches(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Whether an IAM pattern matches `text` whole, as IAM matches action names: `*` any run of
/// characters, `?` any one, letters in any case.
pub fn iam_pattern_matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.to_lowercase().chars().collect();
    let text: Vec<char> = text.to_lowercase().chars().collect();
    let (mut p, mut t) = (0, 0);
    // The last `*` seen, and the text position it was tried from: the one place to backtrack to.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// Whether an ECR repository filter covers a repository name, as ECR documents it: a filter
/// with `*` must match the whole name (`*` any run of characters); one without matches every
/// name that contains it.
pub fn ecr_filter_covers(filter: &str, name: &str) -> bool {
    if filter.contains('*') {
        wildcard_matches(filter, name)
    } else {
        name.contains(filter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nouns_are_counted() {
        assert_eq!(plural(1, "file"), "1 file");
        assert_eq!(plural(0, "file"), "0 files");
    }

    #[test]
    fn long_texts_are_elided_on_character_boundaries() {
        assert_eq!(elide("ééé", 2), "éé…");
        assert_eq!(elide("ab", 2), "ab");
    }

    #[test]
    fn digests_separate_their_parts() {
        let joined = sha256_hex([b"ab".as_slice(), b"c"], 16);
        assert_eq!(joined.len(), 32);
        assert_ne!(joined, sha256_hex([b"a".as_slice(), b"bc"], 16));
        assert_eq!(
            sha256_of(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn utf16_decodes_both_byte_orders() {
        let le: String = utf16_chars(&[b'h', 0, b'i', 0], false)
            .map(Result::unwrap)
            .collect();
        let be: String = utf16_chars(&[0, b'h', 0, b'i'], true)
            .map(Result::unwrap)
            .collect();
        assert_eq!((le.as_str(), be.as_str()), ("hi", "hi"));
        assert!(utf16_chars(&[0x00, 0xd8], false).next().unwrap().is_err());
    }

    #[test]
    fn wildcards_match_whole_names() {
        assert!(wildcard_matches("*", "payment-service"));
        assert!(wildcard_matches("payment-*", "payment-service"));
        assert!(wildcard_matches("*-service", "payment-service"));
        assert!(!wildcard_matches("fraud-*", "payment-service"));
        assert!(wildcard_matches("payment-service", "payment-service"));
        assert!(!wildcard_matches("a*a", "a"));
    }

    #[test]
    fn iam_patterns_match_like_iam() {
        for (pattern, matches) in [
            ("*", true),
            ("sts:*", true),
            ("STS:assumerole*", true),
            ("sts:AssumeRole?ithWebIdentity", true),
            ("sts:AssumeRole", false),
            ("sts:AssumeRoleWithSAML", false),
            ("iam:*", false),
            ("*:*Web*", true),
        ] {
            assert_eq!(
                iam_pattern_matches(pattern, "sts:AssumeRoleWithWebIdentity"),
                matches,
                "{pattern}"
            );
        }
    }

    #[test]
    fn ecr_filters_without_a_wildcard_match_names_that_contain_them() {
        // The table of the ECR user guide, "Filter wildcards".
        let names = [
            "prod",
            "repo-prod",
            "prod-repo",
            "repo-prod-repo",
            "prodrepo",
        ];
        for (filter, expected) in [
            ("prod", [true, true, true, true, true]),
            ("*prod", [true, true, false, false, false]),
            ("prod*", [true, false, true, false, true]),
            ("*prod*", [true, true, true, true, true]),
            ("prod*repo", [false, false, true, false, true]),
        ] {
            let found = names.map(|name| ecr_filter_covers(filter, name));
            assert_eq!(found, expected, "{filter}");
        }
    }
}
