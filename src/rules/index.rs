//! The resources of one module (one plan, state or synth, or the configuration files of one
//! directory), indexed for the rules that follow references or look at other resources.

use crate::model::{Document, Resource, Traversal};
use ahash::AHashMap;
use rayon::slice::ParallelSliceMut;
use serde_json::Value;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

/// The resources of one module, by address and type, and by the names and connections rules
/// ask for (built on first use).
pub(crate) struct ModuleIndex<'a> {
    documents: Vec<&'a Document>,
    maps: Maps<'a>,
    names: BuiltOnce<&'a str, Names<'a>>,
    /// What references each resource, by the connection asked for (types and `via`): built once
    /// per connection and module, so that asking it of every resource costs no scan of the others.
    incoming: BuiltOnce<String, Incoming<'a>>,
}

/// Values built once per key, by whichever thread asks first; the others wait for it.
struct BuiltOnce<K, V>(Mutex<AHashMap<K, Arc<OnceLock<Arc<V>>>>>);

impl<K: std::hash::Hash + Eq, V> BuiltOnce<K, V> {
    fn new() -> Self {
        BuiltOnce(Mutex::new(AHashMap::new()))
    }

    fn get(&self, key: K, build: impl FnOnce() -> V) -> Arc<V> {
        let cell = {
            let mut built = self.0.lock().unwrap_or_else(|e| e.into_inner());
            built.entry(key).or_default().clone()
        };
        // Built outside the lock: what other keys ask is not kept waiting.
        cell.get_or_init(|| Arc::new(build())).clone()
    }
}

/// Live resources in the orders they are looked up in: a sorted list costs a pointer a
/// resource, where a map of lists costs an entry and a list each.
struct Maps<'a> {
    /// By the address of the resource they belong to (`aws_x.y` for `aws_x.y[0]`), then by
    /// address: the instances of a resource are together.
    by_address: Vec<&'a Resource>,
    /// Where the instances of each resource are in `by_address`.
    instances: AHashMap<&'a str, Range<usize>>,
    /// By module path in the configuration and address within it (`module.network`,
    /// `aws_subnet.private`): every instance of every module instance is together.
    by_declaration: Vec<&'a Resource>,
    by_type: AHashMap<&'a str, Vec<&'a Resource>>,
}

impl<'a> Maps<'a> {
    /// Built with the index, in parallel: every default rule looks resources up.
    fn new(documents: &[&'a Document]) -> Maps<'a> {
        let live: Vec<&Resource> = documents
            .iter()
            .flat_map(|d| &d.resources)
            .filter(|r| r.action.is_live())
            .collect();
        // Stable sorts: where keys are equal, documents and resources keep their order.
        let by_address = || {
            let mut by_address = live.clone();
            by_address.par_sort_by(|a, b| {
                (a.address.base(), a.address.as_str()).cmp(&(b.address.base(), b.address.as_str()))
            });
            let mut instances = AHashMap::new();
            for (at, resource) in by_address.iter().enumerate() {
                instances
                    .entry(resource.address.base())
                    .or_insert(at..at)
                    .end = at + 1;
            }
            (by_address, instances)
        };
        let by_declaration = || {
            let mut by_declaration = live.clone();
            by_declaration.par_sort_by_cached_key(|r| {
                let (module_path, in_module) = declaration(r);
                (module_path.into_owned(), in_module)
            });
            by_declaration
        };
        let by_type = || {
            let mut by_type: AHashMap<&str, Vec<&Resource>> = AHashMap::new();
            for &resource in &live {
                by_type
                    .entry(resource.address.resource_type())
                    .or_default()
                    .push(resource);
            }
            by_type
        };
        let ((by_address, instances), (by_declaration, by_type)) =
            rayon::join(by_address, || rayon::join(by_declaration, by_type));
        Maps {
            by_address,
            instances,
            by_declaration,
            by_type,
        }
    }

    /// The instances of the resource at `base`.
    fn instances(&self, base: &str) -> &[&'a Resource] {
        self.instances
            .get(base)
            .map_or(&[], |range| &self.by_address[range.clone()])
    }

    /// The instance at `address`, of the resource at `base`.
    fn instance(&self, base: &str, address: &str) -> &[&'a Resource] {
        equal_range(self.instances(base), |r| r.address.as_str().cmp(address))
    }

    /// Every instance of `in_module` in every instance of the module at `module_path`.
    fn declared(&self, module_path: &str, in_module: &str) -> &[&'a Resource] {
        equal_range(&self.by_declaration, |r| {
            declaration(r).cmp(&(module_path.into(), in_module))
        })
    }
}

fn declaration(resource: &Resource) -> (Cow<'_, str>, &str) {
    (resource.address.module_path(), resource.address.in_module())
}

/// The run of `sorted` that `order` (how an item compares to the one sought) finds equal.
fn equal_range<T>(sorted: &[T], order: impl Fn(&T) -> Ordering) -> &[T] {
    let start = sorted.partition_point(|item| order(item) == Ordering::Less);
    let len = sorted[start..].partition_point(|item| order(item) == Ordering::Equal);
    &sorted[start..start + len]
}

impl<'a> ModuleIndex<'a> {
    /// What a reference to a whole module (`module.x`, `module.x["k"]`, `module.a.module.b`, as
    /// `depends_on` names one) names: every resource in it and in the modules it calls, of every
    /// instance or of the one keyed; `module.x["k"].aws_y.z` names that resource of that
    /// instance. `None` for a module's output (`module.x.out`): any value.
    fn in_module(&self, caller: Option<&str>, reference: &str) -> Option<Vec<&'a Resource>> {
        let mut rest = reference;
        let mut called = caller.unwrap_or_default().to_owned();
        while let Some(after) = rest.strip_prefix("module.") {
            let name_end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .unwrap_or(after.len());
            let key_end = match after[name_end..].strip_prefix('[') {
                Some(key) => name_end + 1 + key.find(']')? + 1,
                None => name_end,
            };
            if !called.is_empty() {
                called.push('.');
            }
            called.push_str("module.");
            called.push_str(&after[..key_end]);
            rest = after[key_end..]
                .strip_prefix('.')
                .unwrap_or(&after[key_end..]);
        }
        if !rest.is_empty() {
            // A resource of that module instance, as a value passed out of it names it.
            return self.resolve_in(Some(&called), rest);
        }
        let keyless = crate::model::strip_instance_keys(&called).into_owned();
        let inside = |path: &str, module: &str| {
            path == module
                || path
                    .strip_prefix(module)
                    .is_some_and(|p| p.starts_with('.'))
        };
        let declared = &self.maps.by_declaration;
        let start =
            declared.partition_point(|r| r.address.module_path().as_ref() < keyless.as_str());
        Some(
            declared[start..]
                .iter()
                .take_while(|r| r.address.module_path().starts_with(keyless.as_str()))
                .filter(|r| match called.contains('[') {
                    true => inside(r.address.module().unwrap_or_default(), &called),
                    false => inside(&r.address.module_path(), &called),
                })
                .copied()
                .collect(),
        )
    }
}

/// The resources of one type by the values that name them: built for a type when a rule first
/// looks one up, so that only the values of those resources are read.
#[derive(Default)]
struct Names<'a> {
    /// By `id`, for plans that name existing objects by id.
    by_id: AHashMap<&'a str, Vec<&'a Resource>>,
    /// By each of `id`, `name` and `arn`.
    by_name: AHashMap<&'a str, Vec<&'a Resource>>,
}

/// The attributes whose value names a resource where another resource writes it out.
pub(crate) const NAMING_ATTRIBUTES: [&str; 3] = ["id", "name", "arn"];

impl<'a> ModuleIndex<'a> {
    pub(crate) fn new(documents: Vec<&'a Document>) -> Self {
        ModuleIndex {
            maps: Maps::new(&documents),
            documents,
            names: BuiltOnce::new(),
            incoming: BuiltOnce::new(),
        }
    }

    /// The file `resource` is in.
    pub(crate) fn document_of(&self, resource: &Resource) -> Option<&'a Document> {
        self.documents.iter().find(|d| d.holds(resource)).copied()
    }

    /// The file of the module at `path`.
    pub(crate) fn document_at(&self, path: &std::path::Path) -> Option<&'a Document> {
        self.documents.iter().find(|d| d.path == path).copied()
    }

    /// Configuration files declare resources; plans and states hold their instances.
    pub(crate) fn is_configuration(&self) -> bool {
        self.documents.iter().any(|d| d.kind.is_configuration())
    }

    /// The resources of `resource_type` by the values that name them.
    fn names(&self, resource_type: &str) -> Arc<Names<'a>> {
        let maps = &self.maps;
        let Some((&key, of_type)) = maps.by_type.get_key_value(resource_type) else {
            return Arc::default();
        };
        self.names.get(key, || {
            let mut names = Names::default();
            for &resource in of_type {
                if let Some(id) = resource.values.get("id").and_then(Value::as_str) {
                    names.by_id.entry(id).or_default().push(resource);
                }
                let mut texts: Vec<&str> = NAMING_ATTRIBUTES
                    .iter()
                    .filter_map(|key| resource.values.get(key)?.as_str())
                    .filter(|text| !text.is_empty())
                    .collect();
                texts.sort_unstable();
                texts.dedup();
                for text in texts {
                    names.by_name.entry(text).or_default().push(resource);
                }
            }
            names
        })
    }

    /// Live resources of one of `types` whose `id` is `id`.
    pub(crate) fn with_id(&self, types: &[String], id: &str) -> Vec<&'a Resource> {
        self.look_up(types, |names| names.by_id.get(id))
    }

    /// Live resources of one of `types` whose `id`, `name` or `arn` is `text`, in the order of
    /// `types` and then of the documents.
    pub(crate) fn named(&self, types: &[String], text: &str) -> Vec<&'a Resource> {
        self.look_up(types, |names| names.by_name.get(text))
    }

    /// What `table` finds in the names of each of `types`, in their order.
    fn look_up(
        &self,
        types: &[String],
        table: impl for<'n> Fn(&'n Names<'a>) -> Option<&'n Vec<&'a Resource>>,
    ) -> Vec<&'a Resource> {
        types
            .iter()
            .flat_map(|t| table(&self.names(t)).cloned().unwrap_or_default())
            .collect()
    }

    /// What references each resource through the connection `key` names, built by `build`
    /// the first time a resource asks.
    pub(crate) fn incoming(
        &self,
        key: String,
        build: impl FnOnce() -> Incoming<'a>,
    ) -> Arc<Incoming<'a>> {
        self.incoming.get(key, build)
    }

    /// Live resources of the given types.
    pub(crate) fn of_types<'t>(
        &'t self,
        types: &'t [String],
    ) -> impl Iterator<Item = &'a Resource> + 't {
        types.iter().flat_map(|t| {
            self.maps
                .by_type
                .get(t.as_str())
                .into_iter()
                .flatten()
                .copied()
        })
    }

    /// The resources a reference names: in the module it was reached in, or else in `from`'s.
    pub(crate) fn resolve_reference(
        &self,
        from: &Resource,
        reference: &crate::model::Reference,
    ) -> Option<Vec<&'a Resource>> {
        let Some(module) = &reference.module else {
            return self.resolve(from, &reference.target);
        };
        if reference.target.starts_with("module.") {
            return self.in_module(
                Some(module).filter(|m| !m.is_empty()).map(String::as_str),
                &reference.target,
            );
        }
        let traversal = Traversal::parse(None, &reference.target)?;
        // Written in one instance of a module (`module.x["a"]`): that instance's resources.
        let declared = crate::model::strip_instance_keys(module);
        let found = self
            .maps
            .declared(&declared, traversal.resource.as_str())
            .iter()
            .filter(|r| *module == declared || r.address.module() == Some(module.as_str()));
        Some(match traversal.key {
            Some(key) => found
                .filter(|r| r.address.as_str().ends_with(key))
                .copied()
                .collect(),
            None => found.copied().collect(),
        })
    }

    /// The resources a reference written in `from`'s module names: `aws_subnet.a.id` names
    /// `aws_subnet.a`; `aws_subnet.private` (a counted resource) names all its instances.
    /// `None` when the reference names no resource (`var.…`, `module.…` outputs, …).
    pub(crate) fn resolve(&self, from: &Resource, reference: &str) -> Option<Vec<&'a Resource>> {
        self.resolve_in(from.address.module(), reference)
    }

    /// What a reference written in `module` (`None`: the root) names.
    fn resolve_in(&self, module: Option<&str>, reference: &str) -> Option<Vec<&'a Resource>> {
        if reference.starts_with("module.") {
            return self.in_module(module, reference);
        }
        let traversal = Traversal::parse(module, reference)?;
        let base = traversal.resource.as_str();
        let maps = &self.maps;
        let found = match traversal.key {
            Some(_) => match maps.instance(base, &traversal.instance()) {
                // A configuration holds one block for all instances of a counted resource.
                [] if self.is_configuration() => maps.instance(base, base),
                found => found,
            },
            None => maps.instances(base),
        };
        Some(found.to_vec())
    }
}

/// For each resource of some types, what it references through one connection: what asking
/// "what references this one?" of every resource reads instead of scanning all the others.
#[derive(Default)]
pub(crate) struct Incoming<'a> {
    pub(crate) others: Vec<Other<'a>>,
    /// By the identity of the resource referenced, the positions in `others` that reference it.
    pub(crate) by_target: ahash::AHashMap<usize, Vec<usize>>,
    /// By a text written out at `via`, the positions in `others` that write it.
    pub(crate) by_name: ahash::AHashMap<&'a str, Vec<usize>>,
    /// The positions in `others` that may reference more than the inputs show.
    pub(crate) with_opens: Vec<usize>,
}

pub(crate) struct Other<'a> {
    pub(crate) resource: &'a Resource,
    /// Why it may reference more than the inputs show, whatever it references.
    pub(crate) opens: Vec<String>,
    /// Why its `via` may name a resource the inputs do not show, unless it names the one asked of.
    pub(crate) value_open: Option<String>,
}
