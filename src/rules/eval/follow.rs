//! Checks that look beyond the resource under check: other resources of a type, and the
//! resources its references name, counted by a distinct value.

use super::outcome::{Note, Outcome, Step};
use super::scope::{Here, Scope, flatten};
use super::select::select;
use super::values::{is_expression, is_unknown, with_unknowns};
use crate::model::{Resource, Traversal};
use crate::rules::schema::{Bound, Check, Path};
use serde_json::Value;
use std::collections::BTreeSet;

impl<'a> Scope<'_, 'a> {
    pub(super) fn other_resources(
        &self,
        types: &[String],
        check: &Check,
        here: &Here<'_, 'a>,
    ) -> Outcome<'a> {
        let others: Vec<&Resource> = self
            .index
            .of_types(types)
            .filter(|r| !std::ptr::eq(*r, self.subject))
            .collect();
        if others.is_empty() {
            return Outcome::Fail(vec![
                here.note(format!("no {} in these inputs", types.join(" or "))),
            ]);
        }
        Outcome::any(others.into_iter().map(|other| {
            let values = with_unknowns(other);
            match self.check(check, &Here::top(&values, other)) {
                // It holds if the resource is there, which these inputs do not say.
                Outcome::Pass(_) if other.may_not_exist() => Outcome::Undetermined(vec![here.note(format!(
                    "`{}` would qualify, but whether it exists depends on a {} these inputs do not decide",
                    other.address,
                    other.existence_unknown().unwrap_or_default(),
                ))]),
                outcome => outcome,
            }
        }))
    }

    pub(super) fn count_distinct(
        &self,
        follow: &Path,
        to: &[String],
        distinct: &[Path],
        bound: &Bound,
        here: &Here<'_, 'a>,
    ) -> Outcome<'a> {
        let nodes = select(follow, here.value);
        let Some((first_at, first_value)) = nodes.first().cloned() else {
            return here.absent(follow, format!("`{}` is not set", follow.display()));
        };
        let holder = here.at(first_value, &first_at);
        let counted = distinct[0].display();
        let kind = to.join("/");
        let mut reach = Reach::default();
        for (at, value) in flatten(nodes) {
            let node = here.at(value, &at);
            match value.as_str() {
                Some(id) if !is_unknown(value) && !is_expression(id) => {
                    let found = self.index.with_id(to, id);
                    if found.is_empty() {
                        reach.missing(format!("{id} is not defined in these inputs"));
                    }
                    reach
                        .instances
                        .extend(found.into_iter().map(Instance::whole));
                }
                _ => self.follow_references(&node, to, &mut reach),
            }
        }
        reach.instances.sort_by(|a, b| a.address.cmp(&b.address));
        reach.instances.dedup_by(|a, b| a.address == b.address);
        let Tally {
            keys,
            open: open_values,
            notes,
            steps,
        } = tally(&reach.instances, distinct, counted);
        reach.notes.extend(notes);
        let trace: Vec<Step<'a>> = reach.trace.drain(..).chain(steps).collect();
        let note = |message: String| Note {
            trace: trace.clone(),
            ..holder.note(message)
        };
        let count = keys.len() as f64;
        let open = (reach.open + open_values) as f64;
        let limit = self.bound(bound);
        let (holds, could_hold) = match (bound, limit) {
            (Bound::AtLeast(_), min) => {
                let min = min.unwrap_or(f64::INFINITY);
                (count >= min, reach.unbounded || count + open >= min)
            }
            (Bound::AtMost(_), max) => {
                let max = max.unwrap_or(f64::NEG_INFINITY);
                (!reach.unbounded && count + open <= max, count <= max)
            }
        };
        let name = holder.name();
        // Each target brings one value at most: too few targets decide the verdict by themselves.
        let listed = reach.instances.len() + reach.open;
        let too_few = match (bound, limit) {
            (Bound::AtLeast(_), Some(min)) => !reach.unbounded && (listed as f64) < min,
            _ => false,
        };
        let mut found = if too_few {
            format!(
                "`{name}` {} {}, fewer than the {} distinct `{counted}` required",
                if reach.upper_bound {
                    "can name at most"
                } else {
                    "lists"
                },
                crate::text::plural(listed, &kind),
                self.bound_words(bound).trim_start_matches("at least ")
            )
        } else {
            format!(
                "`{name}` leads to {}{} with {} distinct `{counted}`",
                if reach.upper_bound { "at most " } else { "" },
                crate::text::plural(reach.instances.len(), &kind),
                keys.len(),
            )
        };
        if !keys.is_empty() {
            found.push_str(&format!(
                " ({})",
                keys.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        if !reach.notes.is_empty() {
            found.push_str(&format!("; {}", reach.notes.join("; ")));
        }
        if holds && reach.upper_bound {
            found.push_str(
                "; reached through module variables and outputs, which say what is read, not how it \
                 is combined: enough to prove a failure, not a pass",
            );
            Outcome::Undetermined(vec![note(found)])
        } else if holds {
            Outcome::Pass(vec![note(found)])
        } else if could_hold {
            Outcome::Undetermined(vec![note(found)])
        } else {
            if open > 0.0 && !too_few {
                found.push_str(&format!(
                    "; at most {} even if every value not known differs",
                    count + open
                ));
            }
            Outcome::Fail(vec![note(format!(
                "{found}; expected {}",
                self.bound_words(bound)
            ))])
        }
    }

    /// Adds what the references made at or below `node` lead to.
    fn follow_references(&self, node: &Here<'_, 'a>, to: &[String], reach: &mut Reach<'a>) {
        let (at, name) = (node.at.as_str(), node.name());
        let references: Vec<&crate::model::Reference> = self
            .subject
            .references
            .iter()
            .filter(|r| crate::pointer::is_prefix(at, &r.attribute))
            // Which instance, not which resource: `aws_subnet.p[count.index]`.
            .filter(|r| !matches!(r.target.as_str(), "count.index" | "each.key"))
            // What the value only waits for is no value of it.
            .filter(|r| !r.waits_only)
            .collect();
        if references.is_empty() {
            reach.missing(format!("`{name}` names no resource"));
        }
        for written in references {
            let reference = written.target.as_str();
            if !written.via.is_empty() {
                reach.upper_bound |= written.via.iter().any(|hop| !hop.evaluated);
                let hops: Vec<String> = written
                    .via
                    .iter()
                    .map(|hop| format!("`{}`", hop.name))
                    .collect();
                let note = format!("{} → {reference}", hops.join(" → "));
                if written.via.iter().any(|hop| !hop.evaluated) && !reach.notes.contains(&note) {
                    reach.notes.push(note);
                }
                for hop in &written.via {
                    let step = Step {
                        label: match &hop.set_in {
                            Some(file) => format!("through `{}`, set in {file}", hop.name),
                            None => format!("through `{}`", hop.name),
                        },
                        resource: self.subject,
                        pointer: hop.pointer.clone(),
                        file: hop.file.as_deref(),
                    };
                    if !reach.trace.contains(&step) {
                        reach.trace.push(step);
                    }
                }
            }
            let Some(found) = self.index.resolve_reference(self.subject, written) else {
                // A variable, a local or a module output may stand for any number of resources.
                reach.unbounded(format!(
                    "`{reference}` is not a resource payplat can follow"
                ));
                continue;
            };
            if found.is_empty() {
                self.not_found(reference, to, reach);
            }
            for resource in found {
                if !to.iter().any(|ty| ty == resource.address.resource_type()) {
                    // `data.aws_subnets.x.ids`: a list whose length the inputs do not say.
                    reach.unbounded(format!(
                        "`{reference}` is read by Terraform; its value is not in these inputs"
                    ));
                    continue;
                }
                let key = Traversal::parse(None, reference).and_then(|t| t.key);
                // `aws_subnet.p[count.index].id` is recorded as `aws_subnet.p`: one instance.
                let one_unknown = key.is_none()
                    && node
                        .value
                        .as_str()
                        .is_some_and(|text| names_one_instance(text, reference));
                if one_unknown {
                    reach.instances.push(Instance::whole(resource));
                    continue;
                }
                match self.instances(resource, key) {
                    Ok(instances) if instances.is_empty() => {
                        reach.missing(format!("{reference} is not defined in these inputs"))
                    }
                    Ok(instances) => reach.instances.extend(instances),
                    Err(reason) => reach.unbounded(reason),
                }
            }
        }
    }

    /// A reference to a resource these inputs do not hold: one missing target where it names one
    /// instance of a counted type, any number where it names a list (`data.aws_subnets.x.ids`,
    /// a splat, a whole counted resource).
    fn not_found(&self, reference: &str, to: &[String], reach: &mut Reach<'a>) {
        let traversal = Traversal::parse(None, reference);
        let of_type = traversal
            .as_ref()
            .is_some_and(|t| to.iter().any(|ty| ty == t.resource.resource_type()));
        let steps = reference.split('.').count() - usize::from(reference.starts_with("data."));
        let many = reference.contains("[*]") || reference.contains(".*") || steps <= 2;
        if of_type && !many {
            reach.missing(format!("{reference} is not defined in these inputs"));
        } else if reference.starts_with("data.") {
            reach.unbounded(format!(
                "`{reference}` is read by Terraform; its value is not in these inputs"
            ));
        } else {
            reach.unbounded(format!(
                "`{reference}` is not in these inputs and may stand for any number of resources"
            ));
        }
    }

    /// The instances a reference to `resource` reaches. A configuration block whose `count` or
    /// `for_each` is known was made into its instances when the inputs were resolved; one that
    /// still has them stands for any number of instances, or for one these inputs cannot tell
    /// apart where the reference names one (`key`).
    fn instances(
        &self,
        resource: &'a Resource,
        key: Option<&str>,
    ) -> Result<Vec<Instance<'a>>, String> {
        let address = &resource.address;
        let unexpanded = (self.index.is_configuration() && address.index.is_none())
            .then(|| {
                ["count", "for_each"]
                    .into_iter()
                    .find_map(|meta| Some((meta, resource.values.get(meta)?)))
            })
            .flatten();
        match (unexpanded, key) {
            (Some((meta, value)), None) => Err(format!(
                "the `{meta}` of {address} is {value}, which payplat cannot evaluate"
            )),
            _ => Ok(vec![Instance::whole(resource)]),
        }
    }
}

/// Whether `text` indexes `reference` with a key that is not a splat: `p[count.index]`.
fn names_one_instance(text: &str, reference: &str) -> bool {
    text.match_indices(reference).any(|(at, _)| {
        let rest = &text[at + reference.len()..];
        rest.starts_with('[') && !rest.starts_with("[*]")
    })
}

/// The distinct values the instances hold: the known ones, and how many more the open ones
/// could be at most.
struct Tally<'a> {
    keys: BTreeSet<String>,
    open: usize,
    notes: Vec<String>,
    /// Each instance counted, with what it brings, where it says so.
    steps: Vec<Step<'a>>,
}

fn tally<'a>(instances: &[Instance<'a>], distinct: &[Path], counted: &str) -> Tally<'a> {
    let mut keys = BTreeSet::new();
    let mut open_keys = BTreeSet::new();
    let mut notes = Vec::new();
    let mut steps = Vec::new();
    let mut unevaluated: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for instance in instances {
        let values = with_unknowns(instance.resource);
        let found = distinct.iter().find_map(|path| {
            select(path, &values)
                .into_iter()
                .map(|(at, v)| (at, v.clone()))
                .find(|(_, v)| !v.is_null())
        });
        let resource = instance.resource;
        let address = &instance.address;
        let (at, value) = match found {
            Some((at, value)) => (at, Some(value)),
            None => (String::new(), None),
        };
        let shown = match &value {
            _ if resource.is_sensitive(&at) => crate::model::REDACTED.to_owned(),
            Some(value) if is_unknown(value) => "known only after apply".to_owned(),
            Some(Value::String(text)) => text.clone(),
            Some(other) => other.to_string(),
            None => "not set".to_owned(),
        };
        steps.push(Step {
            label: format!("{address}: `{counted}` {shown}"),
            resource,
            pointer: resource.pointer_to(&at),
            file: None,
        });
        match value {
            Some(value) if is_unknown(&value) => {
                notes.push(format!(
                    "the {counted} of {address} is known only after apply"
                ));
                open_keys.insert(address.clone());
            }
            Some(Value::String(text)) => match zone(&text) {
                Zone::Known(key) => {
                    keys.insert(key);
                }
                Zone::Open(expression) => {
                    // The same expression names the same zone, unless it depends on the
                    // instance, or is written in another instance of a module (whose
                    // variables may differ).
                    let per_instance =
                        expression.contains("count.index") || expression.contains("each.");
                    open_keys.insert(if per_instance {
                        format!("{address}: {expression}")
                    } else {
                        format!(
                            "{}: {expression}",
                            resource.address.module().unwrap_or_default()
                        )
                    });
                    unevaluated
                        .entry(expression)
                        .or_default()
                        .push(address.clone());
                }
            },
            _ => {
                notes.push(format!("{address} sets no {counted}"));
                open_keys.insert(address.clone());
            }
        }
    }
    for (expression, addresses) in unevaluated {
        notes.push(format!(
            "the {counted} of {} is `{expression}`, which payplat cannot evaluate",
            addresses.join(", ")
        ));
    }
    Tally {
        keys,
        open: open_keys.len(),
        notes,
        steps,
    }
}

/// What the references of one attribute lead to.
#[derive(Default)]
struct Reach<'a> {
    instances: Vec<Instance<'a>>,
    /// Targets that stand for one resource each but are not known: each could bring a new value.
    open: usize,
    /// Whether some reference may stand for any number of resources.
    unbounded: bool,
    /// Whether some target was reached through module variables or outputs, which say what is
    /// read, not how it is combined: the targets bound the value from above.
    upper_bound: bool,
    notes: Vec<String>,
    /// The module variables and outputs passed through.
    trace: Vec<Step<'a>>,
}

impl Reach<'_> {
    fn missing(&mut self, note: String) {
        self.open += 1;
        self.notes.push(note);
    }

    fn unbounded(&mut self, note: String) {
        self.unbounded = true;
        self.notes.push(note);
    }
}

/// One instance of a resource, by the address it has.
struct Instance<'a> {
    address: String,
    resource: &'a Resource,
}

impl<'a> Instance<'a> {
    fn whole(resource: &'a Resource) -> Instance<'a> {
        Instance {
            address: resource.address.to_string(),
            resource,
        }
    }
}

/// A zone as written: a literal, or an index into the zones `aws_availability_zones` reads
/// (distinct per index, as AWS lists each zone once); anything else is open.
enum Zone {
    Known(String),
    Open(String),
}

fn zone(text: &str) -> Zone {
    static INDEXED: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"^\$\{\s*(?:(data\.aws_availability_zones\.[\w-]+\.(?:names|zone_ids))\s*\[\s*(\d+)\s*\]|element\(\s*(data\.aws_availability_zones\.[\w-]+\.(?:names|zone_ids))\s*,\s*(\d+)\s*\))\s*\}$",
        )
        .expect("a valid pattern")
    });
    if !is_expression(text) {
        return Zone::Known(text.to_owned());
    }
    match INDEXED.captures(text) {
        Some(c) => {
            let source = c.get(1).or_else(|| c.get(3)).map_or("", |m| m.as_str());
            let index = c.get(2).or_else(|| c.get(4)).map_or("", |m| m.as_str());
            Zone::Known(format!("${{{source}[{index}]}}"))
        }
        None => Zone::Open(text.to_owned()),
    }
}
