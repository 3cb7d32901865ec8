//! Module versions and version constraints as Terraform reads them: `=`, `!=`, `>`, `>=`, `<`,
//! `<=`, `~>` (the rightmost part given may grow), comma-separated, all of which must hold. A
//! pre-release (`1.2.0-beta`) is chosen only when a constraint names it exactly.

use std::cmp::Ordering;

/// A semantic version: numbers, and a pre-release that sorts before the release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Version {
    numbers: [u64; 3],
    /// How many of the numbers were written (`~> 1.2` grows the second).
    given: usize,
    pre: Option<String>,
}

impl Version {
    pub(crate) fn parse(text: &str) -> Option<Version> {
        let text = text.trim().trim_start_matches('v');
        let (core, pre) = match text.split_once('-') {
            Some((core, pre)) => (core, Some(pre.split('+').next()?.to_owned())),
            None => (text.split('+').next()?, None),
        };
        // Semantic versioning's identifiers: a version also names a cache directory.
        if pre.as_deref().is_some_and(|pre| {
            pre.is_empty()
                || pre.split('.').any(str::is_empty)
                || !pre
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        }) {
            return None;
        }
        let parts: Vec<&str> = core.split('.').collect();
        if parts.is_empty() || parts.len() > 3 {
            return None;
        }
        let mut numbers = [0; 3];
        for (slot, part) in numbers.iter_mut().zip(&parts) {
            *slot = part.parse().ok()?;
        }
        Some(Version {
            numbers,
            given: parts.len(),
            pre,
        })
    }

    fn is_pre_release(&self) -> bool {
        self.pre.is_some()
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [major, minor, patch] = self.numbers;
        write!(f, "{major}.{minor}.{patch}")?;
        match &self.pre {
            Some(pre) => write!(f, "-{pre}"),
            None => Ok(()),
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.numbers
            .cmp(&other.numbers)
            .then_with(|| match (&self.pre, &other.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.cmp(b),
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Pessimistic,
}

/// A `version` argument: every part must hold.
#[derive(Debug, Clone)]
pub(crate) struct Constraint(Vec<(Op, Version)>);

impl Constraint {
    /// No `version`: any release.
    pub(crate) fn any() -> Constraint {
        Constraint(Vec::new())
    }

    pub(crate) fn parse(text: &str) -> Result<Constraint, String> {
        let mut parts = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (op, rest) = [
                ("~>", Op::Pessimistic),
                (">=", Op::Ge),
                ("<=", Op::Le),
                ("!=", Op::Ne),
                ("=", Op::Eq),
                (">", Op::Gt),
                ("<", Op::Lt),
            ]
            .iter()
            .find_map(|(prefix, op)| part.strip_prefix(prefix).map(|rest| (*op, rest)))
            .unwrap_or((Op::Eq, part));
            let version = Version::parse(rest)
                .ok_or_else(|| format!("`{text}` is not a version constraint Terraform reads"))?;
            parts.push((op, version));
        }
        Ok(Constraint(parts))
    }

    /// Whether `version` meets every part; a pre-release only where a part names it exactly.
    pub(crate) fn allows(&self, version: &Version) -> bool {
        if version.is_pre_release() && !self.0.iter().any(|(op, v)| *op == Op::Eq && v == version) {
            return false;
        }
        self.0.iter().all(|(op, wanted)| match op {
            Op::Eq => version == wanted,
            Op::Ne => version != wanted,
            Op::Gt => version > wanted,
            Op::Ge => version >= wanted,
            Op::Lt => version < wanted,
            Op::Le => version <= wanted,
            Op::Pessimistic => {
                // `~> 1.2.3` is `>= 1.2.3, < 1.3.0`; `~> 1.2` is `>= 1.2, < 2.0`.
                let grows = wanted.given.saturating_sub(2);
                let mut upper = wanted.numbers;
                upper[grows] += 1;
                upper[grows + 1..].iter_mut().for_each(|n| *n = 0);
                version >= wanted && version.numbers < upper
            }
        })
    }

    /// The newest of `versions` this allows.
    pub(crate) fn newest<'v>(&self, versions: &'v [Version]) -> Option<&'v Version> {
        versions.iter().filter(|v| self.allows(v)).max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn newest(constraint: &str, versions: &[&str]) -> Option<String> {
        let versions: Vec<Version> = versions
            .iter()
            .map(|v| Version::parse(v).unwrap())
            .collect();
        Constraint::parse(constraint)
            .unwrap()
            .newest(&versions)
            .map(ToString::to_string)
    }

    #[test]
    fn constraints_choose_as_terraform_does() {
        let all = [
            "1.0.0",
            "1.2.0",
            "1.2.5",
            "1.3.0",
            "2.0.0",
            "2.1.0-beta",
            "v2.0.1",
        ];
        assert_eq!(newest("", &all).as_deref(), Some("2.0.1"));
        assert_eq!(newest("~> 1.2.0", &all).as_deref(), Some("1.2.5"));
        assert_eq!(newest("~> 1.2", &all).as_deref(), Some("1.3.0"));
        assert_eq!(
            newest(">= 1.2, < 2.0.0, != 1.3.0", &all).as_deref(),
            Some("1.2.5")
        );
        assert_eq!(newest("= 1.0.0", &all).as_deref(), Some("1.0.0"));
        assert_eq!(newest("1.2.0", &all).as_deref(), Some("1.2.0"));
        assert_eq!(
            newest("> 2.0.1", &all),
            None,
            "a pre-release only when named"
        );
        assert_eq!(newest("2.1.0-beta", &all).as_deref(), Some("2.1.0-beta"));
        assert_eq!(newest("<= 1.2.0", &all).as_deref(), Some("1.2.0"));
        assert!(Constraint::parse("~> one").is_err());
        assert_eq!(
            Version::parse("1.0.0-../../x"),
            None,
            "a version is a directory name too"
        );
        assert_eq!(Version::parse("1.0.0-rc/1"), None);
    }
}
