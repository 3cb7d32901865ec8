//! The rule language's one rule for missing and empty values, operator by operator (docs/rules.md,
//! "Missing and empty values"), and parameters wherever a value is compared.

use payplat::finding::Verdict;
use payplat::load::load_bytes;
use payplat::rules::{evaluate, parse_rule};
use std::path::Path;

/// A rule on `aws_thing` with this check (indented under `check:`) and these parameters.
fn rule(check: &str, parameters: &str) -> String {
    let check: String = check.lines().map(|l| format!("  {l}\n")).collect();
    format!(
        "code: T001\nname: throwaway\ntitle: t\nseverity: low\nhelp: h\ndoc: d\n\
         resources:\n  types: [aws_thing]\nparameters:\n{parameters}\ncheck:\n{check}"
    )
}

/// The verdict of the rule on one `aws_thing` with these values, in a plan where `unknown`
/// (an `after_unknown` mask) says what is known only after apply.
fn verdict(rule_text: &str, values: &str, unknown: &str) -> Verdict {
    let rule = parse_rule(Path::new("t.yaml"), rule_text).unwrap_or_else(|e| panic!("{e}"));
    let plan = format!(
        r#"{{"format_version": "1.2", "planned_values": {{"root_module": {{"resources": [
            {{"address": "aws_thing.x", "mode": "managed", "type": "aws_thing", "name": "x", "values": {values}}}]}}}},
          "resource_changes": [{{"address": "aws_thing.x", "mode": "managed", "type": "aws_thing", "name": "x",
            "change": {{"actions": ["create"], "after": {values}, "after_unknown": {unknown}}}}}]}}"#
    );
    let document = load_bytes(Path::new("t.json"), plan.into_bytes()).unwrap();
    let rules = [rule];
    let documents = [document];
    let evaluation = evaluate(&rules, &documents, &[vec![0]]);
    evaluation
        .findings
        .first()
        .map_or(Verdict::Pass, |f| f.verdict)
}

fn rejection(rule_text: &str) -> String {
    parse_rule(Path::new("t.yaml"), rule_text)
        .map(|_| String::new())
        .unwrap_or_else(|e| e.to_string())
}

const NONE: &str = "  none: 0";
const KNOWN: &str = "{}";

#[test]
fn a_missing_value_fails_every_test_but_exists_false() {
    for operator in [
        "exists: true",
        "equals: 1",
        "one-of: [1, 2]",
        "contains-all: [1]",
        "at-least: 1",
        "at-most: 1",
        "matches: x",
    ] {
        let text = rule(&format!("path: $.a\n{operator}"), NONE);
        assert_eq!(verdict(&text, "{}", KNOWN), Verdict::Fail, "{operator}");
        assert_eq!(
            verdict(&text, r#"{"a": null}"#, KNOWN),
            Verdict::Fail,
            "{operator} on null"
        );
        assert_eq!(
            verdict(&text, "{}", r#"{"a": true}"#),
            Verdict::Undetermined,
            "{operator} on a value known after apply"
        );
    }
    let text = rule("path: $.a\nexists: false", NONE);
    assert_eq!(verdict(&text, "{}", KNOWN), Verdict::Pass);
}

#[test]
fn each_over_nothing_holds_and_some_over_nothing_fails() {
    let each = rule("each: $.items\ncheck:\n  path: $.ok\n  equals: true", NONE);
    let some = rule("some: $.items\ncheck:\n  path: $.ok\n  equals: true", NONE);
    for values in ["{}", r#"{"items": []}"#] {
        assert_eq!(
            verdict(&each, values, KNOWN),
            Verdict::Pass,
            "each on {values}"
        );
        assert_eq!(
            verdict(&some, values, KNOWN),
            Verdict::Fail,
            "some on {values}"
        );
    }
    assert_eq!(
        verdict(&each, "{}", r#"{"items": true}"#),
        Verdict::Undetermined
    );
    assert_eq!(
        verdict(&some, "{}", r#"{"items": true}"#),
        Verdict::Undetermined
    );
}

#[test]
fn a_missing_document_or_reference_list_fails_unless_known_only_after_apply() {
    let decode = rule(
        "decode: $.policy\ncheck:\n  path: $.Version\n  exists: true",
        NONE,
    );
    assert_eq!(verdict(&decode, "{}", KNOWN), Verdict::Fail);
    assert_eq!(
        verdict(&decode, "{}", r#"{"policy": true}"#),
        Verdict::Undetermined
    );
    assert_eq!(
        verdict(&decode, r#"{"policy": "{\"Version\": 1}"}"#, KNOWN),
        Verdict::Pass
    );
    let follow = rule(
        "follow: $.subnet_ids\nto: [aws_subnet]\ndistinct: [$.availability_zone]\nat-least: 1",
        NONE,
    );
    assert_eq!(verdict(&follow, "{}", KNOWN), Verdict::Fail);
    assert_eq!(
        verdict(&follow, "{}", r#"{"subnet_ids": true}"#),
        Verdict::Undetermined
    );
}

#[test]
fn empty_combinators_are_rejected_when_the_rule_loads() {
    for head in ["all", "any"] {
        let message = rejection(&rule(&format!("{head}: []"), NONE));
        assert!(
            message.contains(&format!("`{head}` needs at least one check")),
            "{message}"
        );
        assert!(message.starts_with("t.yaml:"), "no position: {message}");
    }
}

#[test]
fn parameters_work_wherever_a_value_is_compared() {
    let cases = [
        (
            "equals: {param: p}",
            "  p: enabled",
            r#"{"a": "enabled"}"#,
            r#"{"a": "disabled"}"#,
        ),
        (
            "one-of: {param: p}",
            "  p: [blue, green]",
            r#"{"a": "green"}"#,
            r#"{"a": "red"}"#,
        ),
        (
            "contains-all: {param: p}",
            "  p: [blue, green]",
            r#"{"a": ["green", "blue"]}"#,
            r#"{"a": ["blue"]}"#,
        ),
        (
            "at-least: {param: p}",
            "  p: 7",
            r#"{"a": 7}"#,
            r#"{"a": 6}"#,
        ),
        (
            "at-most: {param: p}",
            "  p: 7",
            r#"{"a": 7}"#,
            r#"{"a": 8}"#,
        ),
    ];
    for (operator, parameters, passing, failing) in cases {
        let text = rule(&format!("path: $.a\n{operator}"), parameters);
        assert_eq!(
            verdict(&text, passing, KNOWN),
            Verdict::Pass,
            "{operator} on {passing}"
        );
        assert_eq!(
            verdict(&text, failing, KNOWN),
            Verdict::Fail,
            "{operator} on {failing}"
        );
        let undeclared = rejection(&rule(&format!("path: $.a\n{operator}"), NONE));
        assert!(
            undeclared.starts_with("t.yaml:") && undeclared.contains("does not declare"),
            "{operator}: {undeclared}"
        );
    }
}

#[test]
fn values_of_the_wrong_shape_are_rejected_when_the_rule_loads() {
    for (operator, reason) in [
        ("one-of: x", "expected a list"),
        ("contains-all: 3", "expected a list"),
        ("at-least: many", "expected a number"),
    ] {
        let message = rejection(&rule(&format!("path: $.a\n{operator}"), NONE));
        assert!(message.contains(reason), "{operator}: {message}");
    }
}
