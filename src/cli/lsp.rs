//! `payplat lsp`.

use super::{Outcome, fail};
use std::process::ExitCode;

pub(super) fn run() -> Outcome {
    let (connection, threads) = lsp_server::Connection::stdio();
    payplat::lsp::serve(&connection).map_err(fail)?;
    drop(connection);
    threads
        .join()
        .map_err(|e| fail(format!("the connection to the editor broke: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
