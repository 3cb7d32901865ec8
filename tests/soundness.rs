//! Soundness across the rule set: making any one value of a fixture unknown may turn a verdict
//! into undetermined, never a pass into a fail or a fail into a pass, and never a check into
//! none (a rule that applied may no longer apply only where the inputs decide it).
//!
//! Every configuration fixture (`*.tf.json`, CDKTF synths, and module directories of them) is
//! checked by every built-in rule, then checked again once for each value in it (a resource's
//! attribute at any depth, a dynamic block's `for_each`, a local, a module call's argument)
//! replaced by `${var.unknown}`, which no input sets, and each variable without its default. Every plan fixture is checked again once for
//! each value of a planned change made known only after apply (`after_unknown`).

use payplat::check::load_inputs;
use payplat::finding::Verdict;
use payplat::rules::{RuleSet, evaluate};
use rayon::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const UNKNOWN: &str = "${var.unknown}";

/// Members that are not values: where a resource comes from, what it waits for, how many there
/// are (which moves addresses, not verdicts), CDKTF metadata.
const NOT_VALUES: &[&str] = &[
    "//",
    "depends_on",
    "count",
    "for_each",
    "provider",
    "lifecycle",
    "source",
    "version",
    "providers",
    "iterator",
];

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules");
    let mut found = Vec::new();
    for rule in std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()) {
        for verdict in ["pass", "fail", "undetermined"] {
            let Ok(entries) = std::fs::read_dir(rule.join(verdict)) else {
                continue;
            };
            for path in entries.map(|e| e.unwrap().path()) {
                let name = path.to_string_lossy();
                let json_tree = path.is_dir()
                    && walkdir::WalkDir::new(&path).into_iter().flatten().all(|e| {
                        e.file_type().is_dir() || !e.path().to_string_lossy().ends_with(".tf")
                    });
                if name.ends_with(".json") || json_tree {
                    found.push(path);
                }
            }
        }
    }
    found.sort();
    found
}

/// Every check's verdict, by rule and resource address.
fn verdicts(rules: &RuleSet, input: &Path) -> BTreeMap<(String, String), Verdict> {
    checked(rules, input).0
}

/// Every check's verdict, and the module calls whose code could not be read (`module.ecr`): a
/// module whose `source` is not known is not read, which the run says (and `--require-modules`
/// fails on), so its checks may go.
fn checked(rules: &RuleSet, input: &Path) -> (BTreeMap<(String, String), Verdict>, Vec<String>) {
    let inputs = load_inputs(&[input.to_path_buf()], false);
    let evaluation = evaluate(&rules.rules, &inputs.documents, &inputs.modules);
    let verdicts = evaluation
        .checks
        .iter()
        .map(|check| {
            (
                (check.rule.code.clone(), check.resource.address.to_string()),
                check.verdict,
            )
        })
        .collect();
    let unread = inputs
        .unread_modules
        .iter()
        .map(|u| u.call.clone())
        .collect();
    (verdicts, unread)
}

/// The JSON pointers of the values one may make unknown in a configuration or a plan.
fn places(document: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if document.get("resource_changes").is_some() {
        if let Some(changes) = document["resource_changes"].as_array() {
            for (i, change) in changes.iter().enumerate() {
                leaves(
                    &change["change"]["after"],
                    &format!("/resource_changes/{i}/change/after"),
                    &mut out,
                );
            }
        }
        return out;
    }
    for (block, depth) in [
        ("resource", 2),
        ("data", 2),
        ("locals", 0),
        ("module", 1),
        ("variable", 1),
    ] {
        let Some(top) = document.get(block) else {
            continue;
        };
        let mut bodies = vec![(format!("/{block}"), top)];
        for _ in 0..depth {
            bodies = bodies
                .into_iter()
                .flat_map(|(at, value)| {
                    value
                        .as_object()
                        .into_iter()
                        .flatten()
                        .filter(|(k, _)| *k != "//")
                        .map(move |(k, v)| {
                            (
                                format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                                v,
                            )
                        })
                })
                .collect();
        }
        for (at, body) in bodies {
            match block {
                "variable" => {
                    if body.get("default").is_some() {
                        out.push(format!("{at}/default"));
                    }
                }
                _ => members(body, &at, &mut out),
            }
        }
    }
    out
}

/// Every attribute of a body, at every depth, but those that are not values. A block (an
/// object, or a list of objects) is not an attribute: only a `dynamic` block's `for_each` makes
/// blocks unknown, and its `for_each` is one of the values tried.
fn members(body: &Value, at: &str, out: &mut Vec<String>) {
    let children: Vec<(String, &Value)> = match body {
        Value::Object(members) => members
            .iter()
            .filter(|(k, _)| !NOT_VALUES.contains(&k.as_str()))
            .map(|(k, v)| {
                (
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    v,
                )
            })
            .collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("{at}/{i}"), v))
            .collect(),
        _ => Vec::new(),
    };
    for (child_at, child) in children {
        let block = child.is_object()
            || child
                .as_array()
                .is_some_and(|items| items.iter().any(Value::is_object));
        if !block {
            out.push(child_at.clone());
        }
        members(child, &child_at, out);
    }
}

/// The scalar leaves of a planned value.
fn leaves(value: &Value, at: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(members) => members.iter().for_each(|(k, v)| {
            leaves(
                v,
                &format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                out,
            )
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| leaves(v, &format!("{at}/{i}"), out)),
        Value::Null => {}
        _ => out.push(at.to_owned()),
    }
}

/// `document` with the value at `at` unknown: a plan's leaf leaves `after` for `after_unknown`.
/// In a block with `count` or `for_each`, each instance's value is its own unknown.
fn made_unknown(document: &Value, at: &str) -> Value {
    let mut document = document.clone();
    // A variable's default is a literal, never an expression: unknown, the variable has none.
    if let Some(variable) = at
        .strip_suffix("/default")
        .filter(|v| v.starts_with("/variable/"))
    {
        document
            .pointer_mut(variable)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove("default");
        return document;
    }
    let Some(rest) = at.strip_prefix("/resource_changes/") else {
        let depth = if at.starts_with("/module/") { 3 } else { 4 };
        let block: String = at.split('/').take(depth).collect::<Vec<_>>().join("/");
        let unknown = match document.pointer(&block) {
            Some(body) if body.get("count").is_some() => "${var.unknown[count.index]}",
            Some(body) if body.get("for_each").is_some() => "${var.unknown[each.key]}",
            _ => UNKNOWN,
        };
        *document.pointer_mut(at).unwrap() = Value::String(unknown.to_owned());
        return document;
    };
    let (index, inside) = rest.split_once("/change/after").unwrap();
    *document.pointer_mut(at).unwrap() = Value::Null;
    let change = &mut document["resource_changes"][index.parse::<usize>().unwrap()]["change"];
    let mut slot = &mut change["after_unknown"];
    for token in inside.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        slot = match token.parse::<usize>() {
            Ok(i) => {
                if !slot.is_array() {
                    *slot = Value::Array(Vec::new());
                }
                let items = slot.as_array_mut().unwrap();
                if items.len() <= i {
                    items.resize(i + 1, Value::Bool(false));
                }
                &mut items[i]
            }
            Err(_) => {
                if !slot.is_object() {
                    *slot = Value::Object(Default::default());
                }
                slot.as_object_mut()
                    .unwrap()
                    .entry(token)
                    .or_insert(Value::Bool(false))
            }
        };
    }
    *slot = Value::Bool(true);
    document
}

/// The JSON files of a fixture, relative to it (itself, for a file).
fn json_files(fixture: &Path) -> Vec<PathBuf> {
    if fixture.is_file() {
        return vec![PathBuf::new()];
    }
    walkdir::WalkDir::new(fixture)
        .into_iter()
        .flatten()
        .filter(|e| e.path().to_string_lossy().ends_with(".json"))
        .map(|e| e.path().strip_prefix(fixture).unwrap().to_owned())
        .collect()
}

/// `module.a["x"].aws_b.c[0]` → `module.a.aws_b.c`.
fn keyless(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut depth = 0;
    let mut in_string = false;
    for c in address.chars() {
        match c {
            '"' if depth > 0 => in_string = !in_string,
            '[' if !in_string => depth += 1,
            ']' if !in_string => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).into_iter().flatten() {
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn no_unknown_value_turns_a_pass_into_a_fail_or_a_fail_into_a_pass() {
    let rules = RuleSet::load_profile(&[], "pci-dss").expect("the built-in rules load");
    let fixtures = fixtures();
    assert!(fixtures.len() > 100, "only {} fixtures", fixtures.len());
    let results: Vec<(usize, Vec<String>)> = fixtures
        .par_iter()
        .map(|fixture| {
            let before = verdicts(&rules, fixture);
            let mut tried = 0;
            let mut moved = Vec::new();
            for file in json_files(fixture) {
                let source = if file.as_os_str().is_empty() {
                    fixture.clone()
                } else {
                    fixture.join(&file)
                };
                let document: Value =
                    serde_json::from_str(&std::fs::read_to_string(&source).unwrap()).unwrap();
                for at in places(&document) {
                    let scratch = tempfile::tempdir().unwrap();
                    let input = scratch.path().join(fixture.file_name().unwrap());
                    let target = if fixture.is_dir() {
                        copy_tree(fixture, &input);
                        input.join(&file)
                    } else {
                        input.clone()
                    };
                    std::fs::write(&target, made_unknown(&document, &at).to_string()).unwrap();
                    tried += 1;
                    let (after, unread) = checked(&rules, &input);
                    let in_unread = |address: &str| {
                        unread.iter().any(|call| {
                            keyless(address).starts_with(&format!("{}.", keyless(call)))
                        })
                    };
                    for (check, was) in &before {
                        // Instances whose keys became unknown are checked as their block.
                        let block =
                            |(rule, address): &(String, String)| (rule.clone(), keyless(address));
                        let now = after.get(check).copied().or_else(|| {
                            let mut same = after
                                .iter()
                                .filter(|(c, _)| block(c) == block(check))
                                .map(|(_, v)| *v);
                            let undetermined = same.clone().find(|v| *v == Verdict::Undetermined);
                            undetermined.or_else(|| same.next())
                        });
                        // A check may not vanish because a value became unknown: where the
                        // inputs no longer decide whether the rule applies, it is undetermined.
                        let Some(now) = now else {
                            if in_unread(&check.1) {
                                continue;
                            }
                            moved.push(format!(
                                "{} {}: {} {} {was:?} -> not checked with {at} unknown",
                                fixture.display(),
                                file.display(),
                                check.0,
                                check.1
                            ));
                            continue;
                        };
                        if matches!(
                            (was, now),
                            (Verdict::Pass, Verdict::Fail) | (Verdict::Fail, Verdict::Pass)
                        ) {
                            moved.push(format!(
                                "{} {}: {} {} {was:?} -> {now:?} with {at} unknown",
                                fixture.display(),
                                file.display(),
                                check.0,
                                check.1
                            ));
                        }
                    }
                    for (check, now) in &after {
                        if *now == Verdict::Fail && !before.contains_key(check) {
                            moved.push(format!(
                                "{} {}: {} {} not checked -> Fail with {at} unknown",
                                fixture.display(),
                                file.display(),
                                check.0,
                                check.1
                            ));
                        }
                    }
                }
            }
            (tried, moved)
        })
        .collect();
    let tried: usize = results.iter().map(|(n, _)| n).sum();
    let moved: Vec<&String> = results.iter().flat_map(|(_, m)| m).collect();
    assert!(tried > 1000, "only {tried} values made unknown");
    assert!(
        moved.is_empty(),
        "{} of {tried} unknown values moved a verdict between pass and fail:\n{}",
        moved.len(),
        moved
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}
