//! Reads one input's bytes into a normalized [`Document`].
//!
//! Decoding and JSON errors are reported with the file and, where the JSON breaks, the line and
//! column. Each form has its own module; they all produce the same [`Resource`] model.

mod configuration;
mod files;
mod hcl;
mod plan;
mod tfjson;
mod tree;

use crate::model::{Document, Kind, Values, parses_later};
use crate::{pointer, text};
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

/// Why one input could not be loaded. Other inputs are unaffected.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {problem}", path.display(), position.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
pub struct LoadError {
    /// The input, as the user named it.
    pub path: PathBuf,
    /// 1-based line and column where the text breaks, when that is known.
    pub position: Option<(usize, usize)>,
    /// What is wrong.
    pub problem: Problem,
}

impl LoadError {
    /// An error of the whole input.
    pub fn new(path: &Path, problem: Problem) -> Self {
        LoadError {
            path: path.to_owned(),
            position: None,
            problem,
        }
    }

    fn at(path: &Path, line: usize, column: usize, problem: Problem) -> Self {
        LoadError {
            path: path.to_owned(),
            position: Some((line, column)),
            problem,
        }
    }

    /// What the user can do about it.
    pub fn help(&self) -> Option<&'static str> {
        match &self.problem {
            Problem::NoInputs => Some(
                "check the path; payplat reads *.tf, *.tf.json (and OpenTofu's *.tofu, *.tofu.json), \
                 cdk.tf.json (cdktf.out/) and plans saved with `terraform show -json tfplan > plan.json`",
            ),
            Problem::Empty => Some(
                "write the plan with `terraform show -json tfplan > plan.json`, or run `cdktf synth`",
            ),
            Problem::Truncated(_) => {
                Some("the file ends early: was it cut off while being written or copied?")
            }
            Problem::WrapperOutput => Some(
                "hashicorp/setup-terraform's wrapper adds its own lines to the output; set \
                 `terraform_wrapper: false`, or write the plan with `terraform show -json tfplan > plan.json`",
            ),
            Problem::NativeSyntax => {
                Some("name files of Terraform's native syntax `.tf`: payplat reads them as HCL")
            }
            Problem::Hcl(message) if message.contains("nest more than") => {
                Some("Terraform configurations nest far less deeply; this is not one")
            }
            Problem::Hcl(_) => Some("fix the syntax there; `terraform validate` points at it too"),
            Problem::TooDeep(_) => {
                Some("Terraform documents nest far less deeply; this is not one")
            }
            Problem::NotTerraform(_) | Problem::NotObject(_) => Some(
                "payplat reads `terraform show -json` plans and states, `*.tf.json` and CDKTF `cdk.tf.json`",
            ),
            Problem::Malformed { .. } => {
                Some("was the file edited by hand or written by an unfamiliar tool?")
            }
            _ => None,
        }
    }
}

/// What is wrong with an input.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// A directory with no Terraform input in it: a mistyped path must never pass a gate.
    #[error(
        "no Terraform inputs under this directory (no *.tf, *.tf.json or .tofu files, and no JSON written by `terraform show -json`)"
    )]
    NoInputs,
    /// The file cannot be read.
    #[error("cannot read: {0}")]
    Read(std::io::Error),
    /// Not a file (a directory, a device).
    #[error("not a regular file")]
    NotAFile,
    /// No text at all.
    #[error("the file is empty")]
    Empty,
    /// A byte that is not UTF-8.
    #[error("not valid UTF-8: byte 0x{byte:02x} cannot start or continue a character")]
    InvalidUtf8 {
        /// The first bad byte.
        byte: u8,
    },
    /// UTF-16 that does not decode.
    #[error("not valid UTF-16: {0}")]
    InvalidUtf16(&'static str),
    /// The JSON ends early.
    #[error("the JSON is truncated: {0}")]
    Truncated(String),
    /// The text of setup-terraform's wrapper, not JSON.
    #[error("not JSON: the text starts with `[command]`, the output of setup-terraform's wrapper")]
    WrapperOutput,
    /// Terraform's native syntax saved as JSON.
    #[error("not JSON: this is Terraform's native (HCL) syntax")]
    NativeSyntax,
    /// Text that is not JSON.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// A `payplat:ignore` comment that says too little.
    #[error("{0}")]
    IgnoreComment(String),
    /// Terraform's native syntax that does not parse.
    #[error("not valid Terraform (HCL): {0}")]
    Hcl(String),
    /// Nesting beyond serde_json's limit.
    #[error("the JSON nests too deeply: {0}")]
    TooDeep(String),
    /// Broken JSON.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// JSON whose top level is not an object.
    #[error("the top level is {0}, not an object")]
    NotObject(&'static str),
    /// An object that is no Terraform document.
    #[error(
        "not a Terraform document: it is not a plan or state, and none of its top-level keys ({0}) is a Terraform block"
    )]
    NotTerraform(String),
    /// A variable file (`terraform.tfvars`, `*.auto.tfvars.json`) that cannot be read.
    #[error("cannot read the variable values: {0}")]
    Variables(String),
    /// A Terraform document with a member of the wrong shape.
    #[error("{pointer}: {message}")]
    Malformed {
        /// Where, in the file.
        pointer: String,
        /// What is wrong.
        message: String,
    },
}

impl Problem {
    pub(crate) fn malformed(pointer: &str, message: impl Into<String>) -> Self {
        Problem::Malformed {
            pointer: if pointer.is_empty() {
                "/".to_owned()
            } else {
                pointer.to_owned()
            },
            message: message.into(),
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

pub use files::{Chosen, Engine, choose, engine_of, is_configuration, is_native, is_override};

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

/// Honours a UTF-8 or UTF-16 byte-order mark; anything else must be UTF-8.
/// On failure, returns the line and column of the bad input where there is one.
fn decode(mut bytes: Vec<u8>) -> Result<String, (Option<(usize, usize)>, Problem)> {
    let utf16 = |rest: &[u8], big_endian: bool| {
        if !rest.len().is_multiple_of(2) {
            return Err((None, Problem::InvalidUtf16("odd number of bytes")));
        }
        text::utf16_chars(rest, big_endian)
            .collect::<Result<String, _>>()
            .map_err(|_| (None, Problem::InvalidUtf16("unpaired surrogate")))
    };
    if let Some(rest) = bytes.strip_prefix(b"\xff\xfe") {
        return utf16(rest, false);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xfe\xff") {
        return utf16(rest, true);
    }
    if bytes.starts_with(b"\xef\xbb\xbf") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|error| {
        let bytes = error.as_bytes();
        let at = error.utf8_error().valid_up_to();
        // Everything before the first bad byte is valid UTF-8.
        let before = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
        let position = crate::locate::position(before, at);
        (
            Some((position.line, position.column)),
            Problem::InvalidUtf8 { byte: bytes[at] },
        )
    })
}

fn json_error(path: &Path, text: &str, error: &serde_json::Error) -> LoadError {
    use serde_json::error::Category;
    let message = error.to_string();
    // serde_json appends " at line L column C"; the position is reported separately.
    let message = match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    };
    let start = text.trim_start();
    let problem = if start.starts_with("[command]") {
        Problem::WrapperOutput
    } else if looks_like_native_syntax(start) {
        Problem::NativeSyntax
    } else if !start.starts_with(['{', '[']) && error.classify() == Category::Syntax {
        Problem::NotJson(message)
    } else if error.classify() == Category::Eof {
        Problem::Truncated(message.replace("EOF while parsing", "it ends inside"))
    } else if message.contains("recursion limit") {
        Problem::TooDeep("more than 128 levels".to_owned())
    } else {
        // Only words other languages use for JSON values are named: the text of a broken file
        // may be a secret.
        match token_at(text, error.line(), error.column()) {
            Some(token) if NOT_JSON_WORDS.contains(&token) => {
                Problem::Json(format!("{message}, found `{token}`"))
            }
            _ => Problem::Json(message),
        }
    };
    match problem {
        // The whole file is the wrong kind of text; a position would point at nothing useful.
        Problem::WrapperOutput | Problem::NativeSyntax => LoadError::new(path, problem),
        _ => LoadError::at(path, error.line(), error.column(), problem),
    }
}

/// Values of JavaScript, Python, HCL and YAML that are not JSON, as broken documents hold them.
const NOT_JSON_WORDS: &[&str] = &[
    "NaN",
    "Infinity",
    "-Infinity",
    "undefined",
    "True",
    "False",
    "None",
    "nil",
    "yes",
    "no",
];

/// The word at a 1-based line and column (as serde_json counts, in bytes), to show what broke the JSON.
fn token_at(text: &str, line: usize, column: usize) -> Option<&str> {
    let line_text = text.lines().nth(line.checked_sub(1)?)?;
    let from = column.checked_sub(1)?;
    let rest = line_text
        .get(from..)
        .or_else(|| line_text.get(from.checked_sub(1)?..))?;
    let end = rest
        .find(|c: char| c.is_whitespace() || ",:{}[]\"".contains(c))
        .unwrap_or(rest.len())
        .min(24);
    let token = rest.get(..end)?;
    (!token.is_empty()).then_some(token)
}

/// `terraform {`, `resource "aws_x" "y" {`, `variable "v" {`: a block header.
fn looks_like_native_syntax(text: &str) -> bool {
    let first_line = text.lines().next().unwrap_or_default().trim_end();
    let mut words = first_line.split_whitespace();
    let block_type = words.next().unwrap_or_default();
    first_line.ends_with('{')
        && CONFIG_BLOCKS.contains(&block_type)
        && words.all(|w| w == "{" || (w.starts_with('"') && w.ends_with('"')))
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
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
