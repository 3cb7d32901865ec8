//! The three-valued outcome of a check and how combinators join outcomes.
//!
//! A check passes, fails, or cannot be decided from the inputs. `all` fails if any part fails
//! and is undetermined if none fails but one is undetermined; `any` passes if any part passes
//! and is undetermined if none passes but one is undetermined; `not` swaps pass and fail and
//! keeps undetermined. Notes say where and why, for the findings.

/// One place and what was found there.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Note<'a> {
    /// The resource the place is in (a check may look at other resources).
    pub resource: &'a crate::model::Resource,
    /// The message of the innermost check that gives one.
    pub summary: Option<String>,
    /// Pointer relative to the resource's values.
    pub at: String,
    /// What was found.
    pub message: String,
    /// The way the value came: each hop and each resource reached, with where it is.
    pub trace: Vec<Step<'a>>,
}

/// One place on the way to what a note says, in the file of `resource`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Step<'a> {
    /// What this place is on the way.
    pub label: String,
    /// A resource in the file the place is in.
    pub resource: &'a crate::model::Resource,
    /// The file, where it is not that resource's.
    pub file: Option<&'a std::path::Path>,
    /// JSON pointer of the place in that file.
    pub pointer: String,
}

/// What a check found.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome<'a> {
    /// Holds; the notes say what matched (for `not`).
    Pass(Vec<Note<'a>>),
    /// Does not hold; the notes say where and why.
    Fail(Vec<Note<'a>>),
    /// Cannot be decided from the inputs; the notes say what is not known.
    Undetermined(Vec<Note<'a>>),
}

impl<'a> Outcome<'a> {
    /// Every outcome must hold: failures first, then the undetermined.
    pub fn all(outcomes: impl IntoIterator<Item = Outcome<'a>>) -> Outcome<'a> {
        let (mut passed, mut failed, mut undetermined) = (Vec::new(), Vec::new(), Vec::new());
        for outcome in outcomes {
            match outcome {
                Outcome::Pass(notes) => passed.extend(notes),
                Outcome::Fail(notes) => failed.extend(notes),
                Outcome::Undetermined(notes) => undetermined.extend(notes),
            }
        }
        if !failed.is_empty() {
            Outcome::Fail(failed)
        } else if !undetermined.is_empty() {
            Outcome::Undetermined(undetermined)
        } else {
            Outcome::Pass(passed)
        }
    }

    /// One outcome must hold; a failure reports the first alternative's notes. No outcome at
    /// all fails (rules cannot write an empty `any`; an empty `some` has nothing that holds).
    pub fn any(outcomes: impl IntoIterator<Item = Outcome<'a>>) -> Outcome<'a> {
        let (mut first_failure, mut undetermined) = (None, Vec::new());
        for outcome in outcomes {
            match outcome {
                pass @ Outcome::Pass(_) => return pass,
                Outcome::Fail(notes) => {
                    first_failure.get_or_insert(notes);
                }
                Outcome::Undetermined(notes) => undetermined.extend(notes),
            }
        }
        if !undetermined.is_empty() {
            Outcome::Undetermined(undetermined)
        } else {
            Outcome::Fail(first_failure.unwrap_or_default())
        }
    }

    /// The check must not hold. What matched becomes the failure's notes; `holds` stands in
    /// when the passing check said nothing.
    pub fn not(self, holds: impl FnOnce() -> Note<'a>) -> Outcome<'a> {
        match self {
            Outcome::Pass(notes) if notes.is_empty() => Outcome::Fail(vec![holds()]),
            Outcome::Pass(notes) => Outcome::Fail(notes),
            Outcome::Fail(notes) => Outcome::Pass(notes),
            undetermined => undetermined,
        }
    }

    /// Gives failing notes the check's message, unless an inner check gave one.
    pub fn summarized(self, message: Option<&String>) -> Outcome<'a> {
        match (self, message) {
            (Outcome::Fail(mut notes), Some(message)) => {
                for note in &mut notes {
                    note.summary.get_or_insert_with(|| message.clone());
                }
                Outcome::Fail(notes)
            }
            (outcome, _) => outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Action, Address, Mode, Resource};
    use std::sync::LazyLock;

    static RESOURCE: LazyLock<Resource> = LazyLock::new(|| Resource {
        address: Address::new(None, Mode::Managed, "aws_x", "y", None),
        action: Action::Config,
        values: serde_json::json!({}).into(),
        unknown: std::sync::Arc::default(),
        sensitive: Vec::new(),
        copies: Vec::new(),
        references: Vec::new().into(),
        construct_path: None,
        ignored: Vec::new(),
        pointer: String::new(),
        values_at: "",
    });

    fn note(message: &str) -> Note<'static> {
        Note {
            resource: &RESOURCE,
            summary: None,
            at: String::new(),
            message: message.into(),
            trace: Vec::new(),
        }
    }

    fn pass(m: &str) -> Outcome<'static> {
        Outcome::Pass(vec![note(m)])
    }
    fn fail(m: &str) -> Outcome<'static> {
        Outcome::Fail(vec![note(m)])
    }
    fn unknown(m: &str) -> Outcome<'static> {
        Outcome::Undetermined(vec![note(m)])
    }

    #[test]
    fn all_fails_on_any_failure_and_reports_every_one() {
        assert_eq!(
            Outcome::all([pass("p"), unknown("u"), fail("a"), fail("b")]),
            Outcome::Fail(vec![note("a"), note("b")])
        );
        assert_eq!(Outcome::all([pass("p"), unknown("u")]), unknown("u"));
        assert_eq!(
            Outcome::all([pass("p"), pass("q")]),
            Outcome::Pass(vec![note("p"), note("q")])
        );
    }

    #[test]
    fn any_passes_on_one_pass_and_is_undetermined_before_it_fails() {
        assert_eq!(
            Outcome::any([fail("a"), unknown("u"), pass("p")]),
            pass("p")
        );
        assert_eq!(Outcome::any([fail("a"), unknown("u")]), unknown("u"));
        assert_eq!(Outcome::any([fail("a"), fail("b")]), fail("a"));
        assert_eq!(Outcome::any([]), Outcome::Fail(Vec::new()));
    }

    #[test]
    fn not_swaps_pass_and_fail_and_keeps_undetermined() {
        assert_eq!(pass("p").not(|| note("holds")), fail("p"));
        assert_eq!(
            Outcome::Pass(Vec::new()).not(|| note("holds")),
            fail("holds")
        );
        assert_eq!(fail("f").not(|| note("holds")), pass("f"));
        assert_eq!(unknown("u").not(|| note("holds")), unknown("u"));
    }

    #[test]
    fn messages_name_failures_only_and_inner_messages_win() {
        let message = "the rule's words".to_owned();
        let Outcome::Fail(notes) = fail("f").summarized(Some(&message)) else {
            panic!("still a failure")
        };
        assert_eq!(notes[0].summary.as_deref(), Some("the rule's words"));
        let inner = Outcome::Fail(vec![Note {
            summary: Some("inner".into()),
            ..note("f")
        }]);
        let Outcome::Fail(notes) = inner.summarized(Some(&message)) else {
            panic!("still a failure")
        };
        assert_eq!(notes[0].summary.as_deref(), Some("inner"));
        assert_eq!(pass("p").summarized(Some(&message)), pass("p"));
    }
}
