//! Named checks a rule directory shares (`predicates.yaml`), put in place when the rules load.

use super::*;

/// Checks with names, written once in a directory's `predicates.yaml` and used by its rules as
/// `{predicate: NAME}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Predicates {
    predicates: BTreeMap<String, Check>,
}

impl Predicates {
    /// Puts each `{predicate: NAME}` of `check` in place; a predicate may use another, not itself.
    pub(crate) fn expand(&self, check: &mut Check) -> Result<(), Invalid> {
        self.expand_within(check, &mut Vec::new())
    }

    fn expand_within(&self, check: &mut Check, using: &mut Vec<String>) -> Result<(), Invalid> {
        if let CheckKind::Predicate { name, at } = &check.kind {
            let Some(found) = self.predicates.get(name) else {
                let known: Vec<&str> = self.predicates.keys().map(String::as_str).collect();
                return Err(Invalid::at(
                    at,
                    match known.as_slice() {
                        [] => format!(
                            "unknown predicate `{name}`: this directory's predicates.yaml declares none"
                        ),
                        _ => format!(
                            "unknown predicate `{name}`; the predicates are {}",
                            known.join(", ")
                        ),
                    },
                ));
            };
            if using.contains(name) {
                return Err(Invalid::at(
                    at,
                    format!(
                        "predicate `{name}` uses itself ({} → {name})",
                        using.join(" → ")
                    ),
                ));
            }
            using.push(name.clone());
            let mut inner = found.clone();
            self.expand_within(&mut inner, using)?;
            using.pop();
            check.kind = inner.kind;
            if check.message.is_none() {
                check.message = inner.message;
            }
            return Ok(());
        }
        for child in check.children_mut() {
            self.expand_within(child, using)?;
        }
        Ok(())
    }
}
