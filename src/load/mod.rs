//! Reads one input's bytes into a normalized [`Document`].
//!
//! Decoding and JSON errors are reported with the file and, where the JSON breaks, the line and
//! column. Each form has its own module; they all produce the same [`Resource`] model.

mod configuration;
mod decode;
mod error;
mod files;
mod hcl;
mod plan;
mod tfjson;
mod tree;

use crate::model::{Document, Kind, Values, parses_later};
use crate::{pointer, text};
use decode::{decode, json_error, json_type};
pub use error::{LoadError, Problem};
use rayon::prelude::*;
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One input to load: a file, or standard input.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Input {
    /// `-`: standard input.
    Stdin,
    /// A file, by the path the user gave or discovery found.
    File(PathBuf),
}

impl Input {
    /// The name used in every report.
    pub fn path(&self) -> &Path {
        match self {
            Input::Stdin => Path::new("<stdin>"),
            Input::File(path) => path,
        }
    }
}

/// Top-level blocks of Terraform's JSON configuration syntax.
const CONFIG_BLOCKS: &[&str] = &[
    "//",
    "action",
    "check",
    "data",
    "ephemeral",
    "import",
    "locals",
    "module",
    "moved",
    "output",
    "provider",
    "removed",
    "resource",
    "terraform",
    "variable",
];

pub use files::{
    Chosen, Engine, choose, engine_of, is_configuration, is_native, is_override, shadowed_by,
};

/// Loads one document from its raw bytes. `path` names it in errors and reports; a `.tf` or
/// `.tofu` path is read as the native syntax, anything else as JSON.
pub fn load_bytes(path: &Path, bytes: Vec<u8>) -> Result<Document, LoadError> {
    let text = decode(bytes).map_err(|(position, problem)| LoadError {
        path: path.to_owned(),
        position,
        problem,
    })?;
    if is_native(path) {
        return load_native(path, text);
    }
    if text.trim().is_empty() {
        return Err(LoadError::new(path, Problem::Empty));
    }
    if !text.trim_start().starts_with('{') {
        // Not an object: say what it is, or where the JSON breaks.
        let root: Value =
            serde_json::from_str(&text).map_err(|error| json_error(path, &text, &error))?;
        return Err(LoadError::new(path, Problem::NotObject(json_type(&root))));
    }
    let text = Arc::new(text);
    let top = Top::read(&text).map_err(|error| json_error(path, &text, &error))?;
    let loaded = load_top(&top).map_err(|problem| LoadError::new(path, problem))?;
    let Loaded {
        kind,
        format_version,
        tool_version,
        module_count,
        declarations,
        ..
    } = loaded;
    let mut resources = loaded.resources;
    // Held until the end of the run: no room to spare.
    resources.shrink_to_fit();
    resources.par_iter_mut().for_each(mark_secret_content);
    if kind.is_configuration() {
        resources.iter_mut().for_each(mark_write_only);
    }
    Ok(Document {
        path: path.to_owned(),
        kind,
        format_version,
        tool_version,
        module_count,
        resources,
        text,
        sha256: None,
        declarations,
        context: false,
        spans: None,
        made: Vec::new(),
        overridden: Vec::new(),
    })
}

fn load_native(path: &Path, text: String) -> Result<Document, LoadError> {
    let parsed = hcl::load(&text).map_err(|(offset, problem)| {
        let position = crate::locate::position(&text, offset.min(text.len()));
        LoadError::at(path, position.line, position.column, problem)
    })?;
    let mut resources = parsed.resources;
    for resource in &mut resources {
        mark_secret_content(resource);
        mark_write_only(resource);
    }
    Ok(Document {
        path: path.to_owned(),
        kind: Kind::Hcl,
        format_version: None,
        tool_version: None,
        module_count: parsed.module_count,
        resources,
        text: text.into(),
        sha256: None,
        declarations: parsed.declarations,
        context: false,
        spans: Some(parsed.spans),
        made: Vec::new(),
        overridden: Vec::new(),
    })
}

/// Classifies a document by its top-level members and loads it with its form's loader.
fn load_top(top: &Top) -> Result<Loaded, Problem> {
    let kind = classify(top)?;
    if kind == Kind::Tfjson && !top.is_empty() && !top.keys().any(|k| CONFIG_BLOCKS.contains(&k)) {
        let keys: Vec<&str> = top.keys().take(5).collect();
        return Err(Problem::NotTerraform(keys.join(", ")));
    }
    let text = |value: Option<Value>| value.and_then(|v| v.as_str().map(str::to_owned));
    let (format_version, tool_version) = match kind {
        Kind::Plan | Kind::State => (
            text(top.member("format_version")?),
            text(top.member("terraform_version")?),
        ),
        Kind::Cdktf => (
            None,
            text(
                top.member::<Value>("//")?
                    .and_then(|m| m.pointer("/metadata/version").cloned()),
            ),
        ),
        Kind::Tfjson | Kind::Hcl => (None, None),
    };
    let (resources, module_count) = match kind {
        Kind::Plan => plan::load_plan(top)?,
        Kind::State => plan::load_state(top)?,
        Kind::Tfjson | Kind::Cdktf | Kind::Hcl => tfjson::load(top)?,
    };
    let declarations = match kind {
        Kind::Tfjson | Kind::Cdktf | Kind::Hcl => tfjson::declarations(top)?,
        Kind::Plan | Kind::State => Vec::new(),
    };
    Ok(Loaded {
        kind,
        format_version,
        tool_version,
        module_count,
        resources,
        declarations,
    })
}

/// The top-level members of a document, each kept as its text until a loader asks for it:
/// what no loader asks for (a plan's `output_changes`, say) is checked as JSON and never built.
pub(super) struct Top<'t> {
    members: BTreeMap<String, &'t RawValue>,
    text: &'t Arc<String>,
}

impl<'t> Top<'t> {
    fn read(text: &'t Arc<String>) -> Result<Top<'t>, serde_json::Error> {
        serde_json::from_str(text).map(|members| Top { members, text })
    }

    /// The member `key` as its text.
    pub(super) fn raw(&self, key: &str) -> Option<&'t RawValue> {
        self.members.get(key).copied()
    }

    /// A resource's values at `pointer`: kept as text to be parsed when a rule reads them, or
    /// parsed now where a later parse might fail (see [`crate::model::parses_later`]).
    pub(super) fn values(
        &self,
        raw: Option<&'t RawValue>,
        pointer: &str,
    ) -> Result<Values, Problem> {
        let json = raw.map_or("null", |raw| raw.get());
        let start = (json.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize);
        let range = start..start + json.len();
        if json != "null" && self.text.get(range.clone()) == Some(json) && parses_later(json) {
            return Ok(Values::in_text(self.text.clone(), range));
        }
        Ok(match parse(json, pointer)? {
            Value::Null => Value::Object(serde_json::Map::new()),
            values => values,
        }
        .into())
    }

    pub(super) fn has(&self, key: &str) -> bool {
        self.members.contains_key(key)
    }

    fn keys(&self) -> impl Iterator<Item = &str> {
        self.members.keys().map(String::as_str)
    }

    fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The member `key` as a `T`, or `None` when the document has no such member.
    pub(super) fn member<T: serde::Deserialize<'t>>(
        &self,
        key: &str,
    ) -> Result<Option<T>, Problem> {
        self.members
            .get(key)
            .map(|raw| {
                parse(raw.get(), &pointer::join("", key)).map_err(|problem| match problem {
                    Problem::TooDeep(_) => {
                        Problem::TooDeep(format!("more than 128 levels in `{key}`"))
                    }
                    problem => problem,
                })
            })
            .transpose()
    }
}

/// Parses a part of a document, the JSON at `pointer`.
pub(super) fn parse<'t, T: serde::Deserialize<'t>>(
    json: &'t str,
    pointer: &str,
) -> Result<T, Problem> {
    serde_json::from_str(json).map_err(|error| match error.to_string() {
        message if message.starts_with("recursion limit exceeded") => {
            Problem::TooDeep(format!("more than 128 levels in `{pointer}`"))
        }
        message => Problem::malformed(pointer, message),
    })
}

/// Reads and loads one file.
pub fn load_file(path: &Path) -> Result<Document, LoadError> {
    load_bytes(path, read_file(path)?)
}

/// Texts that stand in for files on disk, by path: an editor's unsaved buffers (`payplat lsp`).
/// One process serves one editor, so the overlay is the process's.
static OVERLAY: std::sync::RwLock<Option<Arc<Overlay>>> = std::sync::RwLock::new(None);

/// Texts by the paths they stand in for.
type Overlay = std::collections::HashMap<PathBuf, Arc<String>>;

/// Reads these texts instead of the files at their paths from now on (none: the files again).
pub fn set_overlay(texts: Overlay) {
    let texts = (!texts.is_empty()).then(|| Arc::new(texts));
    *OVERLAY
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = texts;
}

/// The overlay's text for a path, if it has one.
pub fn overlaid(path: &Path) -> Option<Arc<String>> {
    let overlay = OVERLAY
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    overlay.as_ref()?.get(path).cloned()
}

fn read_file(path: &Path) -> Result<Vec<u8>, LoadError> {
    if let Some(text) = overlaid(path) {
        return Ok(text.as_bytes().to_vec());
    }
    let metadata = std::fs::metadata(path).map_err(|e| LoadError::new(path, Problem::Read(e)))?;
    if !metadata.is_file() {
        return Err(LoadError::new(path, Problem::NotAFile));
    }
    read_bytes(path, metadata.len()).map_err(|e| LoadError::new(path, Problem::Read(e)))
}

/// How much of a file one thread reads at a time.
#[cfg(unix)]
const READ_PIECE: usize = 8 << 20;

/// A large plan is read in pieces on every thread: one thread alone takes as long to copy a
/// 100k-resource plan into memory as two take to read its resources.
#[cfg(unix)]
fn read_bytes(path: &Path, len: u64) -> std::io::Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let Ok(len) = usize::try_from(len) else {
        return std::fs::read(path);
    };
    let file = std::fs::File::open(path)?;
    let mut bytes = vec![0; len];
    let read = bytes
        .par_chunks_mut(READ_PIECE)
        .enumerate()
        .try_for_each(|(i, piece)| file.read_exact_at(piece, (i * READ_PIECE) as u64));
    // A file that changed size since its metadata was read is read again, as a whole.
    let at_end = read.is_ok() && file.read_at(&mut [0], len as u64)? == 0;
    if at_end {
        Ok(bytes)
    } else {
        std::fs::read(path)
    }
}

#[cfg(not(unix))]
fn read_bytes(path: &Path, _len: u64) -> std::io::Result<Vec<u8>> {
    std::fs::read(path)
}

/// Attributes that hold a secret's content whether or not the input marks them sensitive
/// (configuration files carry no marks at all).
const SECRET_ATTRIBUTES: &[(&str, &str)] = &[
    ("aws_secretsmanager_secret_version", "/secret_string"),
    ("aws_secretsmanager_secret_version", "/secret_binary"),
    ("aws_db_instance", "/password"),
    ("aws_rds_cluster", "/master_password"),
    ("aws_iam_access_key", "/secret"),
    ("aws_ssm_parameter", "/value"),
];

/// Write-only arguments (`password_wo`) exist only in configuration, never in a plan or state:
/// they carry secrets by design.
fn mark_write_only(resource: &mut crate::model::Resource) {
    let write_only: Vec<String> = resource.values.read(|values| {
        values
            .as_object()
            .into_iter()
            .flat_map(|members| members.keys())
            .filter(|key| key.ends_with("_wo"))
            .map(|key| crate::pointer::join("", key))
            .collect()
    });
    for attribute in write_only {
        if !resource.is_sensitive(&attribute) {
            resource.sensitive.push(attribute);
        }
    }
}

fn mark_secret_content(resource: &mut crate::model::Resource) {
    for (resource_type, attribute) in SECRET_ATTRIBUTES {
        if resource.address.resource_type() == *resource_type && !resource.is_sensitive(attribute) {
            resource.sensitive.push((*attribute).to_owned());
        }
    }
}

/// Loads one discovered input; with `digest`, records the SHA-256 of its bytes.
pub fn load_input(input: &Input, digest: bool) -> Result<Document, LoadError> {
    let bytes = match input {
        Input::File(path) => read_file(path)?,
        Input::Stdin => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| LoadError::new(input.path(), Problem::Read(e)))?;
            bytes
        }
    };
    let sha256 = digest.then(|| text::sha256_of(&bytes));
    let mut document = load_bytes(input.path(), bytes)?;
    document.sha256 = sha256;
    Ok(document)
}

/// Loads every input in parallel; results keep the order of `inputs`.
pub fn load_all(inputs: &[Input], digest: bool) -> Vec<Result<Document, LoadError>> {
    inputs
        .par_iter()
        .map(|input| load_input(input, digest))
        .collect()
}

/// What loading found, before it becomes a [`Document`].
struct Loaded {
    kind: Kind,
    format_version: Option<String>,
    tool_version: Option<String>,
    module_count: usize,
    resources: Vec<crate::model::Resource>,
    declarations: Vec<crate::model::Declaration>,
}

/// The same definitions as the corpus MANIFEST (`shared/corpus/verify.py`).
fn classify(top: &Top) -> Result<Kind, Problem> {
    let has = |key: &str| top.has(key);
    if has("planned_values") || has("resource_changes") {
        return Ok(Kind::Plan);
    }
    if has("format_version")
        && (has("prior_state") || has("output_changes") || has("resource_drift"))
    {
        return Ok(Kind::Plan);
    }
    if has("format_version")
        && (has("values")
            || top
                .keys()
                .all(|k| k == "format_version" || k == "terraform_version"))
    {
        return Ok(Kind::State);
    }
    Ok(match top.member::<Value>("//")? {
        Some(Value::Object(meta)) if meta.contains_key("metadata") => Kind::Cdktf,
        _ => Kind::Tfjson,
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_file_of_several_pieces_is_read_whole_and_in_order() {
        let bytes: Vec<u8> = (0..READ_PIECE * 2 + 12_345)
            .map(|i| (i % 251) as u8)
            .collect();
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &bytes).unwrap();
        assert!(read_file(file.path()).unwrap() == bytes);
        // A file that grew or shrank since its size was read is read whole all the same.
        assert!(read_bytes(file.path(), 10).unwrap() == bytes);
        assert!(read_bytes(file.path(), bytes.len() as u64 + 10).unwrap() == bytes);
    }
}

/// A variable's `type` as its expression text: `.tf` holds it as a `${…}` template, JSON as a
/// string that may be one.
fn type_constraint(written: Option<&Value>) -> Option<String> {
    let text = written?.as_str()?.trim();
    let text = text
        .strip_prefix("${")
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or(text);
    Some(text.trim().to_owned())
}
