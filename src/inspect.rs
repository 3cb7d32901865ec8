//! `payplat inspect`: the normalized model as payplat sees it, for users and rule authors.

use crate::load::LoadError;
use crate::locate::{locate_all, positions};
use crate::model::{Action, Document, Index, Kind, Mode, Reference, Resource};
use serde::Serialize;
use serde_json::Value;
use std::io::{self, Write};

/// Written in place of a value Terraform marks sensitive, or a secret's content.
pub const REDACTED: &str = "(sensitive)";

#[derive(Serialize)]
pub struct Report<'a> {
    pub files: Vec<FileView<'a>>,
    pub errors: Vec<ErrorView>,
}

#[derive(Serialize)]
pub struct FileView<'a> {
    pub path: String,
    pub kind: Kind,
    pub format_version: Option<&'a str>,
    pub tool_version: Option<&'a str>,
    pub modules: usize,
    pub resources: Vec<ResourceView<'a>>,
}

#[derive(Serialize)]
pub struct ResourceView<'a> {
    pub address: &'a str,
    #[serde(rename = "type")]
    pub resource_type: &'a str,
    pub name: &'a str,
    pub mode: Mode,
    pub action: Action,
    pub module: Option<&'a str>,
    pub index: Option<&'a Index>,
    pub construct_path: Option<&'a str>,
    pub pointer: &'a str,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub unknown: &'a [String],
    pub sensitive: &'a [String],
    pub references: &'a [Reference],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Value>,
}

#[derive(Serialize)]
pub struct ErrorView {
    pub path: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    pub help: Option<&'static str>,
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
    let spans = locate_all(
        &document.text,
        document.resources.iter().map(|r| r.pointer.as_str()),
    );
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
                address: &resource.address,
                resource_type: &resource.resource_type,
                name: &resource.name,
                mode: resource.mode,
                action: resource.action,
                module: resource.module.as_deref(),
                index: resource.index.as_ref(),
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
    let mut values = resource.values.clone();
    for pointer in &resource.sensitive {
        if let Some(slot) = values.pointer_mut(pointer) {
            *slot = Value::String(REDACTED.to_owned());
        }
    }
    values
}

pub fn write_json(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

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
