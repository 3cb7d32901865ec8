//! `payplat inspect`: the normalized model as payplat sees it, for users and rule authors.

use crate::load::LoadError;
use crate::locate::positions;
use crate::model::{Action, Document, Index, Kind, Mode, Reference, Resource};
use serde::Serialize;
use serde_json::Value;
use std::io::{self, Write};

use crate::model::REDACTED;

/// What `payplat inspect` shows: every file's resources, and the inputs that did not load.
#[derive(Serialize)]
pub struct Report<'a> {
    files: Vec<FileView<'a>>,
    errors: Vec<ErrorView>,
}

/// One input file as loaded.
#[derive(Serialize)]
pub struct FileView<'a> {
    path: String,
    kind: Kind,
    format_version: Option<&'a str>,
    tool_version: Option<&'a str>,
    modules: usize,
    resources: Vec<ResourceView<'a>>,
}

/// One resource as loaded.
#[derive(Serialize)]
pub struct ResourceView<'a> {
    address: &'a str,
    #[serde(rename = "type")]
    resource_type: &'a str,
    name: &'a str,
    mode: Mode,
    action: Action,
    module: Option<&'a str>,
    index: Option<&'a Index>,
    construct_path: Option<&'a str>,
    pointer: &'a str,
    line: Option<usize>,
    column: Option<usize>,
    unknown: &'a [String],
    sensitive: &'a [String],
    references: &'a [Reference],
    #[serde(skip_serializing_if = "Option::is_none")]
    values: Option<Value>,
}

/// An input that did not load, as reports show it.
#[derive(Serialize)]
pub struct ErrorView {
    path: String,
    line: Option<usize>,
    column: Option<usize>,
    message: String,
    help: Option<&'static str>,
}

impl From<&LoadError> for ErrorView {
    fn from(error: &LoadError) -> Self {
        ErrorView {
            path: error.path.display().to_string(),
            line: error.position.map(|(line, _)| line),
            column: error.position.map(|(_, column)| column),
            message: error.problem.to_string(),
            help: error.help(),
        }
    }
}

/// Builds the view of loaded documents; `with_values` adds each resource's values, redacted.
pub fn report<'a>(
    documents: &'a [Document],
    errors: &[&LoadError],
    with_values: bool,
) -> Report<'a> {
    Report {
        files: documents
            .iter()
            .map(|d| file_view(d, with_values))
            .collect(),
        errors: errors.iter().map(|e| ErrorView::from(*e)).collect(),
    }
}

fn file_view(document: &Document, with_values: bool) -> FileView<'_> {
    let spans = document.locate_all(document.resources.iter().map(|r| r.pointer.as_str()));
    let starts: Vec<usize> = document
        .resources
        .iter()
        .filter_map(|r| spans.get(r.pointer.as_str()).map(|s| s.label_start()))
        .collect();
    let mut found = positions(&document.text, &starts).into_iter();
    let mut resources: Vec<ResourceView> = document
        .resources
        .iter()
        .map(|resource| {
            let position = spans
                .get(resource.pointer.as_str())
                .and_then(|_| found.next());
            ResourceView {
                address: resource.address.as_str(),
                resource_type: resource.address.resource_type(),
                name: resource.address.name(),
                mode: resource.address.mode,
                action: resource.action,
                module: resource.address.module(),
                index: resource.address.index.as_ref(),
                construct_path: resource.construct_path.as_deref(),
                pointer: &resource.pointer,
                line: position.map(|p| p.line),
                column: position.map(|p| p.column),
                unknown: &resource.unknown,
                sensitive: &resource.sensitive,
                references: &resource.references,
                values: with_values.then(|| redacted_values(resource)),
            }
        })
        .collect();
    // File order reads best; the parsed maps are sorted by key.
    resources.sort_by_key(|r| (r.line.is_none(), r.line, r.column));
    FileView {
        path: document.path.display().to_string(),
        kind: document.kind,
        format_version: document.format_version.as_deref(),
        tool_version: document.tool_version.as_deref(),
        modules: document.module_count,
        resources,
    }
}

/// The resource's values with every sensitive attribute replaced by [`REDACTED`].
pub fn redacted_values(resource: &Resource) -> Value {
    let mut values = Value::clone(&resource.values);
    for pointer in &resource.sensitive {
        if let Some(slot) = values.pointer_mut(pointer) {
            *slot = Value::String(REDACTED.to_owned());
        }
    }
    values
}

/// The report as JSON.
pub fn write_json(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

/// The report for people.
pub fn write_human(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    for file in &report.files {
        let data = file
            .resources
            .iter()
            .filter(|r| r.mode == Mode::Data)
            .count();
        write!(out, "{}: {}", file.path, file.kind)?;
        if let Some(version) = file.format_version {
            write!(out, " (format {version})")?;
        }
        writeln!(
            out,
            ", {}, {}, {}",
            counted(file.resources.len() - data, "resource"),
            counted(data, "data source"),
            counted(file.modules, "module")
        )?;
        for resource in &file.resources {
            let position = match (resource.line, resource.column) {
                (Some(line), Some(column)) => format!("{line}:{column}"),
                _ => "-".to_owned(),
            };
            write!(
                out,
                "  {position:>9}  {:<8} {}",
                resource.action.to_string(),
                resource.address
            )?;
            if let Some(path) = resource.construct_path {
                write!(out, "  ({path})")?;
            }
            writeln!(out)?;
            if let Some(values) = &resource.values {
                let text = serde_json::to_string_pretty(values).map_err(io::Error::other)?;
                for line in text.lines() {
                    writeln!(out, "             {line}")?;
                }
            }
        }
    }
    Ok(())
}

fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
