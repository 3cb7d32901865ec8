//! Git sources (`git::https://…?ref=…`, `github.com/org/repo`), cloned with the `git` program as
//! Terraform does: HTTPS only (plain HTTP to this machine alone), no prompt for credentials, no
//! submodules, links written as plain files; the clone's history is dropped, and a checkout
//! larger than an archive may be is refused.

use super::archive::MAX_UNPACKED;
use std::path::Path;
use std::process::Command;

/// Clones `url` at `reference` (a branch, a tag or a commit) into `target`.
pub(crate) fn clone(url: &str, reference: Option<&str>, target: &Path) -> Result<(), String> {
    let shown = super::http::shown(url);
    let loopback = url.starts_with("http://127.")
        || url.starts_with("http://localhost")
        || url.starts_with("http://[::1]");
    if !url.starts_with("https://") && !loopback {
        return Err(format!(
            "`{shown}` is not HTTPS: payplat clones git repositories over HTTPS only"
        ));
    }
    let commit = reference.filter(|r| r.len() >= 7 && r.chars().all(|c| c.is_ascii_hexdigit()));
    let git = |args: &[&str], directory: Option<&Path>| -> Result<(), String> {
        let mut command = Command::new("git");
        command
            .args([
                "-c",
                "protocol.allow=never",
                "-c",
                "protocol.https.allow=always",
            ])
            .args(if loopback {
                ["-c", "protocol.http.allow=always"]
            } else {
                ["-c", "protocol.https.allow=always"]
            })
            .args([
                "-c",
                "core.symlinks=false",
                "-c",
                "core.hooksPath=/dev/null",
            ])
            .args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_ASKPASS")
            .env_remove("SSH_ASKPASS");
        if let Some(directory) = directory {
            command.current_dir(directory);
        }
        let output = command.output().map_err(|e| {
            format!("cannot run git to clone `{shown}` ({e}): install git, or run `terraform init`")
        })?;
        if output.status.success() {
            return Ok(());
        }
        let said = String::from_utf8_lossy(&output.stderr);
        let said = said
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        Err(format!(
            "git cannot clone `{shown}`: {}",
            super::http::shown(said)
        ))
    };
    let target_text = target.to_string_lossy();
    match commit {
        Some(commit) => {
            git(
                &["clone", "--quiet", "--no-checkout", "--", url, &target_text],
                None,
            )?;
            git(&["checkout", "--quiet", commit], Some(target))?;
        }
        None => {
            let branch: Vec<&str> = reference.map(|r| vec!["--branch", r]).unwrap_or_default();
            let shallow = [
                &["clone", "--quiet", "--depth", "1"][..],
                &branch,
                &["--", url, &target_text],
            ]
            .concat();
            // A server that cannot send part of the history (plain HTTP) sends all of it.
            if git(&shallow, None).is_err() {
                let _ = std::fs::remove_dir_all(target);
                let full = [
                    &["clone", "--quiet"][..],
                    &branch,
                    &["--", url, &target_text],
                ]
                .concat();
                git(&full, None)?;
            }
        }
    }
    std::fs::remove_dir_all(target.join(".git"))
        .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    let size: u64 = walkdir::WalkDir::new(target)
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.metadata().ok())
        .map(|metadata| metadata.len())
        .sum();
    if size > MAX_UNPACKED {
        return Err(format!(
            "`{shown}` checks out to more than {} MiB: refused",
            MAX_UNPACKED >> 20
        ));
    }
    Ok(())
}
