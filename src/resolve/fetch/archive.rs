//! Module archives (`.tar.gz`, `.tgz`, `.zip`) unpacked as hostile input: every entry must be a
//! plain file or directory whose path stays inside the target; links, devices, absolute paths and
//! `..` are refused, and so is an archive that unpacks to more than a cap or holds too many
//! entries. Nothing is written outside the target, and a refused archive leaves no module.

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

/// What one archive may unpack to, in all.
pub(crate) const MAX_UNPACKED: u64 = 256 << 20;
/// How many entries one archive may hold.
const MAX_ENTRIES: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    TarGz,
    Zip,
}

impl Kind {
    /// The kind a URL names (`….tar.gz`, `….tgz`, `….zip`, `?archive=zip`), else the one its
    /// bytes start with.
    pub(crate) fn of(url: &str, bytes: &[u8]) -> Option<Kind> {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let named = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("archive="))
            .unwrap_or(path);
        if named.ends_with("tar.gz") || named.ends_with("tgz") {
            Some(Kind::TarGz)
        } else if named.ends_with("zip") {
            Some(Kind::Zip)
        } else if bytes.starts_with(&[0x1f, 0x8b]) {
            Some(Kind::TarGz)
        } else if bytes.starts_with(b"PK\x03\x04") {
            Some(Kind::Zip)
        } else {
            None
        }
    }
}

/// Unpacks `bytes` into `target` (which must exist and be empty).
pub(crate) fn unpack(kind: Kind, bytes: &[u8], target: &Path) -> Result<(), String> {
    let mut budget = Budget {
        left: MAX_UNPACKED,
        entries: 0,
    };
    match kind {
        Kind::TarGz => {
            let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
            let entries = archive
                .entries()
                .map_err(|e| format!("not a tar.gz archive: {e}"))?;
            for entry in entries {
                let mut entry = entry.map_err(|e| format!("a broken tar.gz archive: {e}"))?;
                let name = entry
                    .path()
                    .map_err(|e| format!("an entry's name cannot be read: {e}"))?
                    .to_string_lossy()
                    .into_owned();
                let kind = entry.header().entry_type();
                let file = if kind.is_file() {
                    true
                } else if kind.is_dir() {
                    false
                } else if kind.is_pax_global_extensions()
                    || kind.is_pax_local_extensions()
                    || kind.is_gnu_longname()
                {
                    continue;
                } else {
                    return Err(format!(
                        "the archive holds `{name}`, which is not a plain file or directory (a link or a device): refused"
                    ));
                };
                budget.write(target, &name, file.then_some(&mut entry as &mut dyn Read))?;
            }
        }
        Kind::Zip => {
            let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
                .map_err(|e| format!("not a zip archive: {e}"))?;
            for i in 0..archive.len() {
                let mut entry = archive
                    .by_index(i)
                    .map_err(|e| format!("a broken zip archive: {e}"))?;
                let name = entry
                    .name()
                    .map_err(|e| format!("an entry's name cannot be read: {e}"))?
                    .into_owned();
                if entry.is_symlink() {
                    return Err(format!(
                        "the archive holds `{name}`, which is a link: refused"
                    ));
                }
                let file = !entry.is_dir();
                budget.write(target, &name, file.then_some(&mut entry as &mut dyn Read))?;
            }
        }
    }
    Ok(())
}

struct Budget {
    left: u64,
    entries: usize,
}

impl Budget {
    /// Writes one entry (a file with its content, or a directory), within the caps.
    fn write(
        &mut self,
        target: &Path,
        name: &str,
        content: Option<&mut dyn Read>,
    ) -> Result<(), String> {
        self.entries += 1;
        if self.entries > MAX_ENTRIES {
            return Err(format!(
                "the archive holds more than {MAX_ENTRIES} entries: refused"
            ));
        }
        let path = target.join(inside(name)?);
        let Some(content) = content else {
            return std::fs::create_dir_all(&path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()));
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot write {}: {e}", parent.display()))?;
        }
        let mut file = std::fs::File::create(&path)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        // One byte more than is left tells an archive over the cap from one that fills it.
        let written = std::io::copy(&mut content.take(self.left + 1), &mut file)
            .map_err(|e| format!("cannot unpack `{name}`: {e}"))?;
        if written > self.left {
            return Err(format!(
                "the archive unpacks to more than {} MiB: refused",
                MAX_UNPACKED >> 20
            ));
        }
        self.left -= written;
        file.flush()
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

/// An entry's path, if it stays inside the target: relative, without `..`.
fn inside(name: &str) -> Result<PathBuf, String> {
    let path = Path::new(name);
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(format!(
                    "the archive holds `{name}`, whose path leaves the module's directory: refused"
                ));
            }
        }
    }
    if out.as_os_str().is_empty() {
        return Err(format!(
            "the archive holds an entry without a name (`{name}`): refused"
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_the_url_or_the_bytes() {
        assert_eq!(Kind::of("https://x/m.tar.gz", b""), Some(Kind::TarGz));
        assert_eq!(Kind::of("https://x/m.tgz?x=1", b""), Some(Kind::TarGz));
        assert_eq!(Kind::of("https://x/m?archive=zip", b""), Some(Kind::Zip));
        assert_eq!(Kind::of("https://x/m", b"PK\x03\x04rest"), Some(Kind::Zip));
        assert_eq!(Kind::of("https://x/m", b"<html>"), None);
    }

    #[test]
    fn paths_that_leave_the_target_are_refused() {
        assert!(inside("a/b.tf").is_ok());
        assert!(inside("./a/b.tf").is_ok());
        assert!(inside("../a.tf").is_err());
        assert!(inside("a/../../b.tf").is_err());
        assert!(inside("/etc/passwd").is_err());
        assert!(inside("").is_err());
    }
}

#[cfg(test)]
mod hostile {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;

    /// A tar.gz of one entry, its name written raw (the tar crate refuses to write `..`).
    fn tar_gz(name: &str, kind: tar::EntryType, content: &[u8], link: Option<&str>) -> Vec<u8> {
        let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
        let mut header = tar::Header::new_gnu();
        let raw = &mut header.as_gnu_mut().unwrap().name;
        raw[..name.len()].copy_from_slice(name.as_bytes());
        header.set_entry_type(kind);
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        if let Some(link) = link {
            header.set_link_name(link).unwrap();
        }
        header.set_cksum();
        builder.append(&header, content).unwrap();
        builder.into_inner().unwrap().finish().unwrap()
    }

    fn refused(bytes: &[u8], kind: Kind) -> String {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("module");
        let error = unpack(kind, bytes, &target).unwrap_err();
        // Nothing lands beside the target.
        let beside: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n != "module")
            .collect();
        assert!(beside.is_empty(), "{beside:?}");
        error
    }

    #[test]
    fn a_plain_archive_unpacks() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = tar_gz("modules/x/main.tf", tar::EntryType::Regular, b"# x\n", None);
        unpack(Kind::TarGz, &bytes, dir.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("modules/x/main.tf")).unwrap(),
            "# x\n"
        );
    }

    #[test]
    fn entries_that_escape_link_or_are_devices_are_refused() {
        let escape = tar_gz("../escape.tf", tar::EntryType::Regular, b"x", None);
        assert!(refused(&escape, Kind::TarGz).contains("leaves the module's directory"));
        let absolute = tar_gz("/tmp/absolute.tf", tar::EntryType::Regular, b"x", None);
        assert!(refused(&absolute, Kind::TarGz).contains("leaves the module's directory"));
        let symlink = tar_gz("main.tf", tar::EntryType::Symlink, b"", Some("/etc/passwd"));
        assert!(refused(&symlink, Kind::TarGz).contains("not a plain file"));
        let hard = tar_gz("main.tf", tar::EntryType::Link, b"", Some("/etc/passwd"));
        assert!(refused(&hard, Kind::TarGz).contains("not a plain file"));
        let device = tar_gz("tty", tar::EntryType::Char, b"", None);
        assert!(refused(&device, Kind::TarGz).contains("not a plain file"));
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file("../../escape.tf", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"x").unwrap();
        let zip = zip.finish().unwrap().into_inner();
        assert!(refused(&zip, Kind::Zip).contains("leaves the module's directory"));
    }

    #[test]
    fn an_archive_that_unpacks_past_the_cap_is_refused() {
        let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
        let mut header = tar::Header::new_gnu();
        header.set_path("bomb.tf").unwrap();
        header.set_size(MAX_UNPACKED + 1);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append(&header, std::io::repeat(0).take(MAX_UNPACKED + 1))
            .unwrap();
        let bomb = builder.into_inner().unwrap().finish().unwrap();
        assert!(bomb.len() < 4 << 20, "{} bytes", bomb.len());
        assert!(refused(&bomb, Kind::TarGz).contains("more than 256 MiB"));
    }
}
