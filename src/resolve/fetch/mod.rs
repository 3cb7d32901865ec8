//! Module sources that are neither local nor where `terraform init` put them, fetched as
//! Terraform would, into a cache: registry modules (service discovery, the versions list, the
//! version constraint, the download's `X-Terraform-Get`), HTTPS archives, and git repositories.
//! The only code of payplat that touches the network. What cannot be fetched is an error naming
//! the source and why; the caller checks without that module, never as if it were empty.

mod archive;
mod config;
mod git;
mod http;
mod version;

use config::CliConfig;
use http::{Http, shown};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use version::{Constraint, Version};

/// The most a registry answer (discovery, versions) may hold.
const MAX_ANSWER: u64 = 4 << 20;
/// The most a module archive may weigh, compressed.
const MAX_ARCHIVE: u64 = 64 << 20;
/// The registry a source without a hostname is on.
const PUBLIC_REGISTRY: &str = "registry.terraform.io";

/// What the command line shows while modules are fetched: it is told each network step.
static PROGRESS: std::sync::OnceLock<fn(&str)> = std::sync::OnceLock::new();

/// Has `report` told of each network step of fetching modules (a progress line on a terminal).
pub fn on_progress(report: fn(&str)) {
    let _ = PROGRESS.set(report);
}

fn progress(step: &str) {
    if let Some(report) = PROGRESS.get() {
        report(step);
    }
}

/// How module sources are fetched: not at all, from the network and the cache, or from the
/// cache alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Downloads {
    /// Sources that are not on disk are not read (with a note).
    #[default]
    Off,
    /// From the cache, else from the network into the cache.
    On,
    /// From the cache alone.
    Offline,
}

/// Fetches module sources into the cache, each source and version once.
pub(crate) struct Fetcher {
    cache: PathBuf,
    offline: bool,
    config: Result<CliConfig, String>,
    http: Http,
    fetched: Mutex<HashMap<(String, String), Result<PathBuf, String>>>,
}

impl Fetcher {
    pub(crate) fn new(downloads: Downloads) -> Option<Fetcher> {
        if downloads == Downloads::Off {
            return None;
        }
        Some(Fetcher {
            cache: cache_directory(),
            offline: downloads == Downloads::Offline,
            config: CliConfig::from_environment(),
            http: Http::new(),
            fetched: Mutex::default(),
        })
    }

    /// The directory of the module `source` names (`version` its constraint), fetched or from
    /// the cache.
    pub(crate) fn module(&self, source: &str, version: Option<&str>) -> Result<PathBuf, String> {
        let key = (source.to_owned(), version.unwrap_or_default().to_owned());
        // Held while fetching: root modules resolved at once that call the same source wait
        // for one download into the cache, not race to write it.
        let mut fetched = self.fetched.lock().unwrap_or_else(|e| e.into_inner());
        fetched
            .entry(key)
            .or_insert_with(|| self.fetch(source, version))
            .clone()
    }

    fn fetch(&self, source: &str, version: Option<&str>) -> Result<PathBuf, String> {
        let (address, subdirectory) = split_subdirectory(source);
        let root = match Source::of(&address) {
            Source::Registry { host, path } => self.registry(&host, &path, version)?,
            Source::Archive(url) => self.cached(
                &format!("url/{}", crate::text::sha256_of(url.as_bytes())),
                |target| self.archive(&url, target),
            )?,
            Source::Git { url, reference } => {
                let key = format!(
                    "git/{}",
                    crate::text::sha256_of(format!("{url}#{reference:?}").as_bytes())
                );
                self.cached(&key, |target| {
                    git::clone(&url, reference.as_deref(), target)
                })?
            }
            Source::Unsupported(why) => return Err(why),
        };
        within(&root, subdirectory)
    }

    /// A registry module: the newest version the constraint allows (one in the cache first).
    fn registry(&self, host: &str, path: &str, version: Option<&str>) -> Result<PathBuf, String> {
        let constraint = match version {
            Some(text) => Constraint::parse(text)?,
            None => Constraint::any(),
        };
        // `host:port` would not be a directory name everywhere.
        let prefix = format!("registry/{}/{path}", host.replace([':', '[', ']'], "_"));
        let cached = self.cached_versions(&prefix);
        if let Some(newest) = constraint.newest(&cached) {
            return Ok(self.cache.join(&prefix).join(newest.to_string()));
        }
        if self.offline {
            return Err(format!(
                "no version the constraint allows is in the cache ({}), and --offline fetches nothing",
                self.cache.join(&prefix).display()
            ));
        }
        let config = self.config.as_ref().map_err(Clone::clone)?;
        progress(&format!("looking up {host}/{path}"));
        let base = match config.modules_service(host) {
            Some(service) => service.to_owned(),
            None => self.discover(host, config)?,
        };
        let base = if base.ends_with('/') {
            base
        } else {
            format!("{base}/")
        };
        let versions_url = format!("{base}{path}/versions");
        let answer = self.http.get(&versions_url, MAX_ANSWER, config)?;
        if answer.status != 200 {
            return Err(format!(
                "{} answers {}",
                shown(&versions_url),
                answer.status
            ));
        }
        let listed: Value = serde_json::from_slice(&answer.body).map_err(|e| {
            format!(
                "{} is not the registry's versions list: {e}",
                shown(&versions_url)
            )
        })?;
        let versions: Vec<Version> = listed
            .pointer("/modules/0/versions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| Version::parse(v.get("version")?.as_str()?))
            .collect();
        let chosen = constraint.newest(&versions).ok_or_else(|| {
            format!(
                "no version of {path} on {host} meets `{}`",
                version.unwrap_or("any")
            )
        })?;
        let download_url = format!("{base}{path}/{chosen}/download");
        let answer = self.http.get(&download_url, MAX_ANSWER, config)?;
        let location = match (answer.status, answer.terraform_get) {
            (200 | 204, Some(location)) => http::joined(&answer.url, &location)?,
            (status, _) => {
                return Err(format!(
                    "{} answers {status} without an X-Terraform-Get header",
                    shown(&download_url)
                ));
            }
        };
        self.cached(&format!("{prefix}/{chosen}"), |target| {
            let (address, subdirectory) = split_subdirectory(&location);
            let unpacked = tempfile_in(&self.cache)?;
            match Source::of(&address) {
                Source::Archive(url) => self.archive(&url, unpacked.path())?,
                Source::Git { url, reference } => {
                    git::clone(&url, reference.as_deref(), unpacked.path())?
                }
                Source::Registry { .. } | Source::Unsupported(_) => {
                    return Err(format!(
                        "the registry points at `{}`, which payplat cannot fetch",
                        shown(&location)
                    ));
                }
            }
            // The registry's `//subdir` is the module: keep that part alone.
            let module = within(unpacked.path(), subdirectory)?;
            std::fs::rename(&module, target)
                .map_err(|e| format!("cannot write {}: {e}", target.display()))
        })
    }

    /// `https://HOST/.well-known/terraform.json`'s `modules.v1`, read against it (plain HTTP
    /// where the host is this machine).
    fn discover(&self, host: &str, config: &CliConfig) -> Result<String, String> {
        let loopback = ["localhost", "127.0.0.1", "[::1]"]
            .iter()
            .any(|name| host == *name || host.starts_with(&format!("{name}:")));
        let scheme = if loopback { "http" } else { "https" };
        let url = format!("{scheme}://{host}/.well-known/terraform.json");
        let answer = self.http.get(&url, MAX_ANSWER, config)?;
        if answer.status != 200 {
            return Err(format!(
                "{url} answers {}: {host} is not a module registry",
                answer.status
            ));
        }
        let services: Value = serde_json::from_slice(&answer.body)
            .map_err(|e| format!("{url} is not a service discovery document: {e}"))?;
        let modules = services
            .get("modules.v1")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                format!("{host} offers no module registry (no `modules.v1` in {url})")
            })?;
        http::joined(&answer.url, modules)
    }

    /// Fetches an archive and unpacks it into `target`.
    fn archive(&self, url: &str, target: &Path) -> Result<(), String> {
        let config = self.config.as_ref().map_err(Clone::clone)?;
        let answer = self.http.get(url, MAX_ARCHIVE, config)?;
        if answer.status != 200 {
            return Err(format!("{} answers {}", shown(url), answer.status));
        }
        let kind = archive::Kind::of(url, &answer.body)
            .ok_or_else(|| format!("{} is not a .tar.gz or .zip archive", shown(url)))?;
        archive::unpack(kind, &answer.body, target).map_err(|e| format!("{}: {e}", shown(url)))
    }

    /// The cache entry `key`, made by `make` (into a fresh directory, moved in whole) when it
    /// is not there yet; with --offline, only what is there.
    fn cached(
        &self,
        key: &str,
        make: impl FnOnce(&Path) -> Result<(), String>,
    ) -> Result<PathBuf, String> {
        let entry = self.cache.join(key);
        if entry.is_dir() {
            return Ok(entry);
        }
        if self.offline {
            return Err(format!(
                "it is not in the cache ({}), and --offline fetches nothing",
                entry.display()
            ));
        }
        let parent = entry.parent().unwrap_or(&self.cache);
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot write the cache {}: {e}", parent.display()))?;
        let building = tempfile_in(parent)?;
        let target = building.path().join("module");
        progress(&format!("fetching {key}"));
        make(&target)?;
        if !target.exists() {
            return Err("the module is empty".to_owned());
        }
        match std::fs::rename(&target, &entry) {
            Ok(()) => Ok(entry),
            // Another run put it there first: theirs is as good.
            Err(_) if entry.is_dir() => Ok(entry),
            Err(e) => Err(format!("cannot write the cache {}: {e}", entry.display())),
        }
    }

    /// The versions of a registry module the cache holds.
    fn cached_versions(&self, prefix: &str) -> Vec<Version> {
        std::fs::read_dir(self.cache.join(prefix))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|entry| entry.path().is_dir())
            .filter_map(|entry| Version::parse(&entry.file_name().to_string_lossy()))
            .collect()
    }
}

/// What a module source (without `//subdir`) names.
#[derive(Debug, PartialEq)]
enum Source {
    Registry {
        host: String,
        path: String,
    },
    Archive(String),
    Git {
        url: String,
        reference: Option<String>,
    },
    Unsupported(String),
}

impl Source {
    fn of(address: &str) -> Source {
        if let Some(url) = address.strip_prefix("git::") {
            return git_source(url);
        }
        if let Some(rest) = address.strip_prefix("github.com/") {
            return git_source(&format!("https://github.com/{rest}"));
        }
        if address.starts_with("https://") || address.starts_with("http://") {
            let path = address.split(['?', '#']).next().unwrap_or_default();
            if path.ends_with(".git") {
                return git_source(address);
            }
            if archive::Kind::of(address, &[]).is_some() {
                return Source::Archive(address.to_owned());
            }
            return Source::Unsupported(format!(
                "`{}` is neither an archive (.tar.gz, .tgz, .zip, ?archive=) nor a git repository",
                shown(address)
            ));
        }
        if let Some((scheme, _)) = address.split_once("::") {
            return Source::Unsupported(format!("`{scheme}::` sources are not fetched by payplat"));
        }
        let parts: Vec<&str> = address.split('/').collect();
        // A hostname may carry a port. Neither it nor a part is `.` or `..`: they name cache
        // directories.
        let host_valid = |host: &&str| {
            host.contains('.')
                && host.chars().any(|c| c.is_ascii_alphanumeric())
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.:[]".contains(c))
        };
        let valid = |part: &&str| {
            part.chars().any(|c| c.is_ascii_alphanumeric())
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        match parts.as_slice() {
            [_, _, _] if parts.iter().all(valid) => Source::Registry {
                host: PUBLIC_REGISTRY.to_owned(),
                path: address.to_owned(),
            },
            [host, rest @ ..] if rest.len() == 3 && host_valid(host) && rest.iter().all(valid) => {
                Source::Registry {
                    host: host.to_lowercase(),
                    path: rest.join("/"),
                }
            }
            _ => Source::Unsupported(format!(
                "`{address}` is not a module source payplat can fetch"
            )),
        }
    }
}

/// `URL?ref=REF` as a repository and a reference.
fn git_source(url: &str) -> Source {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let reference = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("ref="))
        .map(str::to_owned);
    Source::Git {
        url: base.to_owned(),
        reference,
    }
}

/// `ADDRESS//SUBDIR?QUERY` → (`ADDRESS?QUERY`, `SUBDIR`); the `//` of `https://` is not one.
fn split_subdirectory(source: &str) -> (String, Option<String>) {
    let after_scheme = source.find("://").map_or(0, |at| at + 3);
    let (path, query) = match source.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (source, None),
    };
    match path[after_scheme.min(path.len())..].find("//") {
        Some(at) => {
            let at = after_scheme + at;
            let address = match query {
                Some(query) => format!("{}?{query}", &path[..at]),
                None => path[..at].to_owned(),
            };
            (address, Some(path[at + 2..].to_owned()))
        }
        None => (source.to_owned(), None),
    }
}

/// `root/subdirectory`, if it stays inside `root` and is a directory.
fn within(root: &Path, subdirectory: Option<String>) -> Result<PathBuf, String> {
    let Some(subdirectory) = subdirectory.filter(|s| !s.is_empty()) else {
        return Ok(root.to_owned());
    };
    let relative = Path::new(&subdirectory);
    if relative.components().any(|c| {
        !matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::CurDir
        )
    }) {
        return Err(format!("`//{subdirectory}` leaves the module's directory"));
    }
    let directory = root.join(relative);
    if !directory.is_dir() {
        return Err(format!("the module has no directory `{subdirectory}`"));
    }
    Ok(directory)
}

/// A fresh directory under `parent`, removed when dropped.
fn tempfile_in(parent: &Path) -> Result<tempfile::TempDir, String> {
    std::fs::create_dir_all(parent)
        .and_then(|()| {
            tempfile::Builder::new()
                .prefix(".partial-")
                .tempdir_in(parent)
        })
        .map_err(|e| format!("cannot write {}: {e}", parent.display()))
}

/// Whether a file is in the module cache: downloaded, not the user's.
pub fn is_cached(path: &Path) -> bool {
    let cache = cache_directory();
    path.starts_with(&cache)
        || path
            .canonicalize()
            .is_ok_and(|p| cache.canonicalize().is_ok_and(|c| p.starts_with(c)))
}

/// `$XDG_CACHE_HOME/payplat/modules`, or the platform's cache directory.
fn cache_directory() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(dirs::cache_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("payplat")
        .join("modules")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_read_as_terraform_reads_them() {
        assert_eq!(
            Source::of("terraform-aws-modules/vpc/aws"),
            Source::Registry {
                host: PUBLIC_REGISTRY.into(),
                path: "terraform-aws-modules/vpc/aws".into()
            }
        );
        assert_eq!(
            Source::of("app.terraform.io/acme/vpc/aws"),
            Source::Registry {
                host: "app.terraform.io".into(),
                path: "acme/vpc/aws".into()
            }
        );
        assert_eq!(
            Source::of("git::https://example.com/vpc.git?ref=v1.2.0"),
            Source::Git {
                url: "https://example.com/vpc.git".into(),
                reference: Some("v1.2.0".into())
            }
        );
        assert_eq!(
            Source::of("github.com/acme/vpc?ref=main"),
            Source::Git {
                url: "https://github.com/acme/vpc".into(),
                reference: Some("main".into())
            }
        );
        assert_eq!(
            Source::of("https://example.com/vpc.tgz"),
            Source::Archive("https://example.com/vpc.tgz".into())
        );
        assert!(matches!(
            Source::of("s3::https://bucket/x.zip"),
            Source::Unsupported(_)
        ));
        assert!(matches!(
            Source::of("hashicorp/consul"),
            Source::Unsupported(_)
        ));
        assert!(matches!(Source::of("acme/../aws"), Source::Unsupported(_)));
        assert!(matches!(
            Source::of("../acme/x/aws"),
            Source::Unsupported(_)
        ));
        assert_eq!(
            split_subdirectory("terraform-aws-modules/iam/aws//modules/iam-role"),
            (
                "terraform-aws-modules/iam/aws".to_owned(),
                Some("modules/iam-role".to_owned())
            )
        );
        assert_eq!(
            split_subdirectory("https://example.com/m.zip//sub?archive=zip"),
            (
                "https://example.com/m.zip?archive=zip".to_owned(),
                Some("sub".to_owned())
            )
        );
        assert_eq!(
            split_subdirectory("https://example.com/m.zip"),
            ("https://example.com/m.zip".to_owned(), None)
        );
    }
}
