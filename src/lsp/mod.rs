//! `payplat lsp`: a language server over stdio, a small synchronous loop over the same library
//! calls as `payplat check` and `payplat fix` ([`analysis`]); it holds no rule logic of its own.
//!
//! The editor's buffers stand over the files on disk; a change to any file of a module directory
//! (`variables.tf`, `terraform.tfvars`) checks the whole directory again, once the edits pause
//! ([`DEBOUNCE`]). A request that panics is answered with an error and the server goes on.

#![allow(clippy::mutable_key_type)] // as in `analysis`: lsp-types' `Uri` keys

pub mod analysis;
pub mod text;

use analysis::{Analysis, analyze};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument,
    DidSaveTextDocument, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{CodeActionRequest, HoverRequest, Request as _};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams,
    CodeActionProviderCapability, Hover, HoverContents, HoverParams, HoverProviderCapability,
    MarkupContent, MarkupKind, PublishDiagnosticsParams, ServerCapabilities,
    TextDocumentSyncCapability, TextDocumentSyncKind, WorkspaceEdit,
};
use std::collections::{BTreeSet, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use text::{path_of, uri_of};

/// How long edits must pause before the module is checked again.
pub const DEBOUNCE: Duration = Duration::from_millis(120);

/// Runs the server on a connection until the client says `exit`.
pub fn serve(connection: &Connection) -> Result<(), String> {
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        ..ServerCapabilities::default()
    };
    let capabilities = serde_json::to_value(capabilities).map_err(|e| e.to_string())?;
    connection
        .initialize(capabilities)
        .map_err(|e| format!("the editor did not initialize: {e}"))?;
    let mut server = Server::default();
    loop {
        let message = if server.dirty.is_empty() {
            connection.receiver.recv().ok()
        } else {
            match connection.receiver.recv_timeout(DEBOUNCE) {
                Ok(message) => Some(message),
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                    server.check_dirty(connection);
                    continue;
                }
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => None,
            }
        };
        match message {
            None => return Ok(()),
            Some(Message::Request(request)) => {
                if connection
                    .handle_shutdown(&request)
                    .map_err(|e| e.to_string())?
                {
                    return Ok(());
                }
                let id = request.id.clone();
                let response =
                    catch_unwind(AssertUnwindSafe(|| server.answer(connection, request)))
                        .unwrap_or_else(|_| {
                            Response::new_err(
                                id,
                                ErrorCode::InternalError as i32,
                                "payplat failed on this request; it goes on".into(),
                            )
                        });
                send(connection, Message::Response(response));
            }
            Some(Message::Notification(notification)) => {
                if notification.method == "exit" {
                    return Ok(());
                }
                server.note(notification);
            }
            Some(Message::Response(_)) => {}
        }
    }
}

/// What the server knows between messages.
#[derive(Default)]
struct Server {
    /// Open buffers, by file.
    buffers: HashMap<PathBuf, Arc<String>>,
    /// Module directories to check again once edits pause.
    dirty: BTreeSet<PathBuf>,
    /// Each directory's last analysis.
    analyses: HashMap<PathBuf, Analysis>,
}

impl Server {
    fn note(&mut self, notification: Notification) {
        let params = &notification.params;
        let uri_path =
            |uri: &serde_json::Value| path_of(&serde_json::from_value(uri.clone()).ok()?);
        let document = uri_path(&params["textDocument"]["uri"]);
        match (notification.method.as_str(), &document) {
            (DidOpenTextDocument::METHOD, Some(path)) => {
                let text = params["textDocument"]["text"].as_str().unwrap_or_default();
                self.buffers.insert(path.clone(), Arc::new(text.to_owned()));
            }
            (DidChangeTextDocument::METHOD, Some(path)) => {
                // Full synchronisation: the last change is the whole text.
                let changes = params["contentChanges"].as_array();
                if let Some(text) = changes
                    .and_then(|c| c.last())
                    .and_then(|c| c["text"].as_str())
                {
                    self.buffers.insert(path.clone(), Arc::new(text.to_owned()));
                }
            }
            (DidCloseTextDocument::METHOD, Some(path)) => {
                self.buffers.remove(path);
            }
            (DidSaveTextDocument::METHOD, Some(_)) => {}
            (DidChangeWatchedFiles::METHOD, _) => {
                let changed = params["changes"].as_array().into_iter().flatten();
                for path in changed.filter_map(|change| uri_path(&change["uri"])) {
                    self.changed(&path);
                }
                return;
            }
            _ => return,
        }
        if let Some(path) = document {
            self.changed(&path);
        }
    }

    /// Marks what a file's change affects: its module, or every module below a payplat.toml.
    fn changed(&mut self, path: &Path) {
        if path.ends_with(crate::config::FILE_NAME) {
            let root = directory_of(path);
            let below: Vec<PathBuf> = self
                .analyses
                .keys()
                .filter(|d| d.starts_with(&root))
                .cloned()
                .collect();
            self.dirty.extend(below);
        } else if is_terraform(path) {
            self.dirty.insert(directory_of(path));
        }
    }

    fn answer(&mut self, connection: &Connection, request: Request) -> Response {
        let id = request.id.clone();
        match request.method.as_str() {
            CodeActionRequest::METHOD => {
                let Ok(params) = serde_json::from_value::<CodeActionParams>(request.params) else {
                    return invalid(id);
                };
                let actions = self.actions(connection, &params);
                Response::new_ok(id, actions)
            }
            HoverRequest::METHOD => {
                let Ok(params) = serde_json::from_value::<HoverParams>(request.params) else {
                    return invalid(id);
                };
                Response::new_ok(id, self.hover(connection, &params))
            }
            _ => Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("payplat does not answer `{}`", request.method),
            ),
        }
    }

    /// The analysis of a file's directory, checked now if an edit is pending.
    fn analysis(&mut self, connection: &Connection, file: &Path) -> Option<&Analysis> {
        let directory = directory_of(file);
        if self.dirty.contains(&directory) || !self.analyses.contains_key(&directory) {
            self.check(connection, &directory);
        }
        self.analyses.get(&directory)
    }

    fn actions(
        &mut self,
        connection: &Connection,
        params: &CodeActionParams,
    ) -> Vec<CodeActionOrCommand> {
        let Some(file) = path_of(&params.text_document.uri) else {
            return Vec::new();
        };
        let Some(analysis) = self.analysis(connection, &file) else {
            return Vec::new();
        };
        let wanted = params.range;
        analysis
            .actions
            .iter()
            .filter(|a| a.file == file && overlaps(a.diagnostic.range, wanted))
            .map(|a| {
                CodeActionOrCommand::CodeAction(CodeAction {
                    title: a.title.clone(),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![a.diagnostic.clone()]),
                    edit: Some(WorkspaceEdit {
                        changes: Some(a.changes.clone()),
                        ..WorkspaceEdit::default()
                    }),
                    is_preferred: Some(a.preferred),
                    ..CodeAction::default()
                })
            })
            .collect()
    }

    fn hover(&mut self, connection: &Connection, params: &HoverParams) -> Option<Hover> {
        let at = &params.text_document_position_params;
        let file = path_of(&at.text_document.uri)?;
        let analysis = self.analysis(connection, &file)?;
        let hover = analysis
            .hovers
            .iter()
            .filter(|h| {
                h.file == file && overlaps(h.range, lsp_types::Range::new(at.position, at.position))
            })
            .min_by_key(|h| (h.range.end.line - h.range.start.line, h.range.start.line))?;
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: hover.markdown.clone(),
            }),
            range: Some(hover.range),
        })
    }

    fn check_dirty(&mut self, connection: &Connection) {
        for directory in std::mem::take(&mut self.dirty) {
            self.check(connection, &directory);
        }
    }

    /// Checks a directory and publishes its diagnostics, clearing those of files that have none
    /// any more.
    fn check(&mut self, connection: &Connection, directory: &Path) {
        self.dirty.remove(directory);
        let buffers = &self.buffers;
        let analysis = catch_unwind(AssertUnwindSafe(|| analyze(directory, buffers)));
        let analysis = match analysis {
            Ok(Ok(analysis)) => analysis,
            Ok(Err(message)) => {
                log(
                    connection,
                    &format!("payplat cannot check {}: {message}", directory.display()),
                );
                Analysis::default()
            }
            Err(_) => {
                log(
                    connection,
                    &format!(
                        "payplat failed checking {}; it goes on",
                        directory.display()
                    ),
                );
                Analysis::default()
            }
        };
        let before = self.analyses.remove(directory).unwrap_or_default();
        let files: BTreeSet<&PathBuf> = before
            .diagnostics
            .keys()
            .chain(analysis.diagnostics.keys())
            .collect();
        for file in files {
            let Some(uri) = uri_of(file) else { continue };
            let diagnostics = analysis.diagnostics.get(file).cloned().unwrap_or_default();
            let params = PublishDiagnosticsParams::new(uri, diagnostics, None);
            send(
                connection,
                Message::Notification(Notification::new(PublishDiagnostics::METHOD.into(), params)),
            );
        }
        self.analyses.insert(directory.to_owned(), analysis);
    }
}

/// Variable files and configuration files, OpenTofu's `.tofu` ones too: the path decides, not
/// the language id (`terraform`, `opentofu`) the editor gives.
fn is_terraform(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    [".tfvars", ".tfvars.json"]
        .iter()
        .any(|e| name.ends_with(e))
        || crate::load::is_configuration(path)
}

fn directory_of(path: &Path) -> PathBuf {
    path.parent()
        .map_or_else(|| PathBuf::from("/"), Path::to_owned)
}

fn overlaps(a: lsp_types::Range, b: lsp_types::Range) -> bool {
    let key = |p: lsp_types::Position| (p.line, p.character);
    key(a.start) <= key(b.end) && key(b.start) <= key(a.end)
}

fn invalid(id: lsp_server::RequestId) -> Response {
    Response::new_err(
        id,
        ErrorCode::InvalidParams as i32,
        "parameters payplat cannot read".into(),
    )
}

fn log(connection: &Connection, message: &str) {
    let params = lsp_types::LogMessageParams {
        typ: lsp_types::MessageType::ERROR,
        message: message.to_owned(),
    };
    send(
        connection,
        Message::Notification(Notification::new("window/logMessage".into(), params)),
    );
}

fn send(connection: &Connection, message: Message) {
    // A closed channel means the editor went away; the loop ends on the next receive.
    let _ = connection.sender.send(message);
}
