//! Connections between resources, both ways: the resources this one references (`references`,
//! optionally through what those reference in turn) and the resources that reference it
//! (`referenced-by`). A reference is a `${…}` token or a `depends_on` entry; where a `via` path
//! is given and no reference there names a resource, a value equal to the other resource's `id`,
//! `name` or `arn` connects instead, as `cluster_name = "payments"` attaches a node group to the
//! cluster named `payments`.

use super::outcome::{Note, Outcome};
use super::scope::{Here, Scope, flatten};
use super::select::select;
use super::values::{is_expression, is_unknown, with_unknowns};
use crate::model::{Reference, Resource};
use crate::rules::index::NAMING_ATTRIBUTES;
use crate::rules::index::{Incoming, Other};
use crate::rules::schema::{Check, Direction, Path};
use serde_json::Value;

/// The most resources one transitive walk visits: a module's size bounds it long before.
const MAX_VISITS: usize = 100_000;

/// The other ends of a connection, and why more may exist than the inputs show.
#[derive(Default)]
struct Ends<'a> {
    found: Vec<&'a Resource>,
    seen: ahash::AHashSet<usize>,
    open: Vec<String>,
}

impl<'a> Ends<'a> {
    fn add(&mut self, resource: &'a Resource) {
        if self.seen.insert(identity(resource)) {
            self.found.push(resource);
        }
    }

    fn open(&mut self, why: String) {
        if !self.open.contains(&why) {
            self.open.push(why);
        }
    }
}

impl<'a> Scope<'_, 'a> {
    pub(super) fn related(
        &self,
        direction: Direction,
        types: &[String],
        via: Option<&Path>,
        transitive: bool,
        check: Option<&Check>,
        here: &Here<'_, 'a>,
    ) -> Outcome<'a> {
        let ends = match direction {
            Direction::Out => self.referenced(types, via, transitive),
            Direction::In => self.referencing(types, via),
        };
        let kinds = types.join(" or ");
        let qualifies = if check.is_some() {
            " that qualifies"
        } else {
            ""
        };
        let relation = |address: &str| match direction {
            Direction::Out => format!("references `{address}`"),
            Direction::In => format!("`{address}` references it"),
        };
        let outcome = Outcome::any(ends.found.iter().map(|&other| {
            match check {
                None => Outcome::Pass(Vec::new()),
                Some(check) => {
                    let values = with_unknowns(other);
                    let scope = Scope {
                        subject: other,
                        ..*self
                    };
                    scope.check(check, &Here::top(&values, other))
                }
            }
            .pass_as(|| here.note(relation(other.address.as_str())))
        }));
        let none = match direction {
            Direction::Out if transitive => {
                format!(
                    "it depends on no {kinds}{qualifies}, directly or through what it references"
                )
            }
            Direction::Out => format!("it references no {kinds}{qualifies}"),
            Direction::In => format!("no {kinds}{qualifies} references it"),
        };
        match outcome {
            Outcome::Fail(_) if !ends.open.is_empty() => Outcome::Undetermined(vec![
                here.note(format!("{none} in these inputs; {}", ends.open.join("; "))),
            ]),
            // Say why the resources found do not qualify.
            Outcome::Fail(notes) => {
                let why: Vec<String> = notes
                    .iter()
                    .map(|n| format!("`{}`: {}", n.resource.address.as_str(), n.message))
                    .collect();
                let found = match why.as_slice() {
                    [] => none,
                    _ => format!("{none}: {}", why.join("; ")),
                };
                Outcome::Fail(vec![here.note(found)])
            }
            decided => decided,
        }
    }

    /// The resources of `types` the subject references (at `via`), and with `transitive` what
    /// those reference, and so on.
    fn referenced(&self, types: &[String], via: Option<&Path>, transitive: bool) -> Ends<'a> {
        let mut ends = Ends::default();
        let mut visited: std::collections::HashSet<*const Resource> =
            std::collections::HashSet::from([std::ptr::from_ref(self.subject)]);
        let mut queue = std::collections::VecDeque::from([self.subject]);
        while let Some(from) = queue.pop_front() {
            let at = if std::ptr::eq(from, self.subject) {
                via.map(|path| pointers(path, &from.values))
            } else {
                None
            };
            let mut resolved = false;
            for reference in references_at(from, at.as_deref()) {
                let Some(targets) = self.targets(from, reference, &mut ends) else {
                    continue;
                };
                // What a value only waits for (a resource it passed through) does not say
                // which resource the value names.
                resolved |= at.is_none() || !reference.waits_only;
                for target in targets {
                    if types.iter().any(|ty| ty == target.address.resource_type()) {
                        ends.add(target);
                    } else if at.is_some() && reads_value(&reference.target) {
                        ends.open(computed_elsewhere(via, &reference.target));
                    }
                    if transitive
                        && visited.len() < MAX_VISITS
                        && visited.insert(std::ptr::from_ref(target))
                    {
                        queue.push_back(target);
                    }
                }
            }
            if let Some(at) = &at {
                for value in values_at(&from.values, at) {
                    // A reference, where there is one, says which resource is meant; a name
                    // says it where there is none.
                    if let (false, Some(text)) = (resolved, naming_text(value)) {
                        self.index
                            .named(types, text)
                            .into_iter()
                            .for_each(|other| ends.add(other));
                    }
                    // An expression whose references name resources names those.
                    if ends.found.is_empty() && !resolved && undecided(value) {
                        let via = via.map(Path::display).unwrap_or_default();
                        ends.open(format!("`{via}` is {}", unevaluated(value)));
                    }
                }
            }
            if !transitive {
                break;
            }
        }
        ends
    }

    /// The resources of `types` that reference the subject (at their `via`).
    fn referencing(&self, types: &[String], via: Option<&Path>) -> Ends<'a> {
        let key = format!(
            "{}|{}|{}",
            self.subject.address.resource_type(),
            types.join(","),
            via.map(|v| v.text.as_str()).unwrap_or_default()
        );
        let incoming = self.index.incoming(key, || self.incoming(types, via));
        let subject = self.subject;
        let named: ahash::AHashSet<usize> = subject.values.read(|values| {
            NAMING_ATTRIBUTES
                .iter()
                .filter_map(|key| values.get(key)?.as_str())
                .flat_map(|text| incoming.by_name.get(text).into_iter().flatten().copied())
                .collect()
        });
        let mut connected = named.clone();
        connected.extend(
            incoming
                .by_target
                .get(&identity(subject))
                .into_iter()
                .flatten(),
        );
        let mut involved: Vec<usize> = connected
            .iter()
            .chain(&incoming.with_opens)
            .copied()
            .collect();
        involved.sort_unstable();
        involved.dedup();
        let mut ends = Ends::default();
        for i in involved {
            let other = &incoming.others[i];
            if std::ptr::eq(other.resource, subject) {
                continue;
            }
            other.opens.iter().for_each(|why| ends.open(why.clone()));
            if connected.contains(&i) {
                ends.add(other.resource);
            }
            if let (false, Some(why)) = (named.contains(&i), &other.value_open) {
                ends.open(why.clone());
            }
        }
        // Resources that name one by a value written out may name the subject, whose own name is
        // not known here.
        let unnamed = NAMING_ATTRIBUTES.iter().find(|key| {
            subject
                .values
                .get(key)
                .and_then(|v| v.as_str())
                .is_some_and(is_expression)
                || subject.unknown.iter().any(|u| u == &format!("/{key}"))
        });
        if let Some(key) = unnamed {
            let mut by_name: Vec<usize> = incoming.by_name.values().flatten().copied().collect();
            by_name.sort_unstable();
            by_name.dedup();
            for i in by_name.into_iter().filter(|i| !connected.contains(i)) {
                let other = incoming.others[i].resource;
                if !std::ptr::eq(other, subject) {
                    ends.open(format!(
                        "`{}` may name this resource, whose `{key}` is not known here",
                        other.address
                    ));
                }
            }
        }
        ends
    }

    /// For every resource of `types`, what it references (at its `via`) and why it may
    /// reference more than the inputs show.
    fn incoming(&self, types: &[String], via: Option<&Path>) -> Incoming<'a> {
        let mut incoming = Incoming::default();
        for other in self.index.of_types(types) {
            let i = incoming.others.len();
            let at = via.map(|path| pointers(path, &other.values));
            let mut scratch = Ends::default();
            let mut resolved = false;
            for reference in references_at(other, at.as_deref()) {
                let Some(targets) = self.targets(other, reference, &mut scratch) else {
                    continue;
                };
                resolved |= at.is_none() || !reference.waits_only;
                for target in targets {
                    link(&mut incoming.by_target, identity(target), i);
                    if let Some(via) = via
                        && target.address.resource_type() != self.subject.address.resource_type()
                        && reads_value(&reference.target)
                    {
                        scratch.open(format!(
                            "{} of `{}`",
                            computed_elsewhere(Some(via), &reference.target),
                            other.address.as_str()
                        ));
                    }
                }
            }
            let mut value_open = None;
            if let (Some(at), Some(via)) = (&at, via) {
                let values = values_at(&other.values, at);
                if !resolved {
                    for text in values.iter().filter_map(|v| naming_text(v)) {
                        link(&mut incoming.by_name, text, i);
                    }
                }
                value_open = if let Some(value) = values.iter().find(|v| undecided(v))
                    && !resolved
                {
                    Some(format!(
                        "`{}` of `{}` is {}",
                        via.display(),
                        other.address.as_str(),
                        unevaluated(value)
                    ))
                } else if other.unknown.iter().any(|u| {
                    let prefix = via.static_prefix();
                    crate::pointer::is_prefix(&prefix, u) || crate::pointer::is_prefix(u, &prefix)
                }) {
                    Some(format!(
                        "`{}` of `{}` is known only after apply",
                        via.display(),
                        other.address.as_str()
                    ))
                } else {
                    None
                };
            }
            if !scratch.open.is_empty() || value_open.is_some() {
                incoming.with_opens.push(i);
            }
            incoming.others.push(Other {
                resource: other,
                opens: scratch.open,
                value_open,
            });
        }
        incoming
    }

    /// The resources `reference` (made in `from`) names; `None` when it names none, with why
    /// more may exist added to `ends` where the reference could carry a connection.
    fn targets(
        &self,
        from: &'a Resource,
        reference: &Reference,
        ends: &mut Ends<'a>,
    ) -> Option<Vec<&'a Resource>> {
        let target = reference.target.as_str();
        // Which instance, or a value of the configuration: no resource.
        let root = target.split('.').next().unwrap_or_default();
        if matches!(root, "count" | "each" | "self" | "path" | "terraform") {
            return None;
        }
        match self.index.resolve_reference(from, reference) {
            Some(found) if found.is_empty() => {
                ends.open(format!("`{target}` is not in these inputs"));
                None
            }
            Some(found) => Some(found),
            // A module's output, a local payplat could not evaluate, or a module's variable
            // (which carries what its caller passed) may stand for any resource; a root
            // module's variable carries none.
            None if matches!(root, "module" | "local")
                || (root == "var" && from.address.module().is_some()) =>
            {
                ends.open(format!("`{target}` is not a resource payplat can follow"));
                None
            }
            None => None,
        }
    }
}

impl<'a> Outcome<'a> {
    /// A pass told as `note` says: where a connection holds, what it connects to.
    fn pass_as(self, note: impl FnOnce() -> Note<'a>) -> Outcome<'a> {
        match self {
            Outcome::Pass(_) => Outcome::Pass(vec![note()]),
            other => other,
        }
    }
}

/// The pointers a path selects in `values`; where it selects nothing (a value known only after
/// apply is not in a plan's values), the path's fixed start, under which references are made.
fn pointers(path: &Path, values: &Value) -> Vec<String> {
    let selected: Vec<String> = select(path, values).into_iter().map(|(at, _)| at).collect();
    if selected.is_empty() {
        vec![path.static_prefix()]
    } else {
        selected
    }
}

/// The references `resource` makes at or below one of `at` (all of them without `at`).
fn references_at<'r>(
    resource: &'r Resource,
    at: Option<&'r [String]>,
) -> impl Iterator<Item = &'r Reference> {
    resource.references.iter().filter(move |r| match at {
        None => true,
        Some(at) => at
            .iter()
            .any(|p| crate::pointer::is_prefix(p, &r.attribute)),
    })
}

/// The plain values at `at` (lists stand for their elements).
fn values_at<'v>(values: &'v Value, at: &[String]) -> Vec<&'v Value> {
    let nodes = at
        .iter()
        .filter_map(|p| Some((p.clone(), values.pointer(p)?)))
        .collect();
    flatten(nodes).into_iter().map(|(_, v)| v).collect()
}

/// Whether a reference reads a value of the resource it names (`aws_x.y.name`), not only names
/// it (`depends_on`, or what a value passed through still waits for).
fn reads_value(target: &str) -> bool {
    let target = target.strip_prefix("data.").unwrap_or(target);
    let mut depth = 0;
    let mut in_key = false;
    for c in target.chars() {
        match c {
            '[' => in_key = true,
            ']' => in_key = false,
            '.' if !in_key => depth += 1,
            _ => {}
        }
    }
    depth >= 2
}

/// Why a value read from a resource of another kind may still name one of the kind sought.
fn computed_elsewhere(via: Option<&Path>, target: &str) -> String {
    let via = via.map(Path::display).unwrap_or_default();
    format!("`{via}` is `{target}`, a value another resource has only after apply")
}

/// Whether a value is an expression payplat could not evaluate, or known only after apply.
fn undecided(value: &Value) -> bool {
    is_unknown(value) || value.as_str().is_some_and(is_expression)
}

/// What a message says of a value payplat could not decide.
fn unevaluated(value: &Value) -> String {
    match value.as_str() {
        Some(text) if is_expression(text) => super::values::unevaluated(text),
        _ => "known only after apply".to_owned(),
    }
}

/// The text of a value that can name a resource by its `id`, `name` or `arn`: known and
/// written out.
fn naming_text(value: &Value) -> Option<&str> {
    value
        .as_str()
        .filter(|t| !t.is_empty() && !is_expression(t))
}

/// Adds position `i` to the list of `key`, once.
fn link<K: std::hash::Hash + Eq>(map: &mut ahash::AHashMap<K, Vec<usize>>, key: K, i: usize) {
    let list = map.entry(key).or_default();
    if list.last() != Some(&i) {
        list.push(i);
    }
}

/// A resource as a key: the same resource is the same object.
fn identity(resource: &Resource) -> usize {
    std::ptr::from_ref(resource) as usize
}
