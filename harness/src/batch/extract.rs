//! Unpacks a student's archive (`.zip`, `.tar.gz`, `.tgz`, `.tar`) safely: nothing is written
//! outside the target folder, and limits on size and file count stop archive bombs.
//!
//! Entry names are checked before anything is written: an absolute path, a `..` component or
//! a link pointing outside makes the whole archive a bad submission rather than being skipped,
//! so that the student reads what was wrong. Links that stay inside, devices and FIFOs are
//! never created: a submission contributes only regular files (see `submission.rs`). Sizes are
//! counted on the bytes actually unpacked, never on what the headers claim. What the archivers
//! of desktops add (macOS's `__MACOSX/`, `._*` and `.DS_Store`, the `./` of `tar czf x.tgz .`)
//! is checked like any entry but not written: it is no part of the submission.

use std::cell::Cell;
use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use crate::error::Error;
use crate::submission::normalize;

/// Limits against archive bombs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtractLimits {
    /// Bytes of all unpacked files together.
    pub max_bytes: u64,
    /// Entries (files, folders, links) of the archive.
    pub max_entries: usize,
}

impl Default for ExtractLimits {
    /// 256 MiB and 20 000 entries: far beyond a lab submission, even with a stray `target/`.
    fn default() -> Self {
        Self {
            max_bytes: 256 * 1024 * 1024,
            max_entries: 20_000,
        }
    }
}

/// The archive formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.zip`.
    Zip,
    /// `.tar.gz` / `.tgz`.
    TarGz,
    /// `.tar`, uncompressed (`tar cf`).
    Tar,
}

impl Format {
    /// Its name in messages.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Zip => "zip",
            Self::TarGz => "tar.gz",
            Self::Tar => "tar",
        }
    }
}

/// What is wrong with a student's archive: part of their verdict.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArchiveProblem {
    /// Not an archive of its format, or a damaged one.
    #[error("it is not a readable {format} archive ({reason})")]
    Unreadable {
        /// `zip`, `tar.gz` or `tar`.
        format: &'static str,
        /// What the reader said.
        reason: String,
    },
    /// A file of the archive is encrypted: labgrade has no password, nor should it.
    #[error("entry `{entry}` is protected by a password")]
    Encrypted {
        /// The entry's name.
        entry: String,
    },
    /// An entry would be written outside the submission folder (zip-slip).
    #[error("entry `{entry}` would be written outside the submission folder ({why})")]
    Escapes {
        /// The entry's name.
        entry: String,
        /// Why.
        why: &'static str,
    },
    /// A link points outside the submission folder.
    #[error("link `{entry}` points outside the submission folder, to `{target}`")]
    LinkEscapes {
        /// The link's name.
        entry: String,
        /// Where it points.
        target: String,
    },
    /// The files unpack to more than the limit.
    #[error("it unpacks to more than {limit} bytes, the limit for a submission")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// More entries than the limit.
    #[error("it holds more than {limit} files and folders, the limit for a submission")]
    TooManyEntries {
        /// The limit.
        limit: usize,
    },
}

/// Why an archive was not unpacked.
#[derive(Debug)]
pub(super) enum ExtractError {
    /// The archive is bad: the student's verdict.
    Bad(ArchiveProblem),
    /// labgrade could not write or read its own files (a full disk, an unreadable batch
    /// folder): not the student's fault.
    Local(Error),
}

impl From<ArchiveProblem> for ExtractError {
    fn from(problem: ArchiveProblem) -> Self {
        Self::Bad(problem)
    }
}

/// Unpacks `archive` into the existing, empty folder `target`.
pub(super) fn extract(
    archive: &Path,
    format: Format,
    target: &Path,
    limits: ExtractLimits,
) -> Result<(), ExtractError> {
    let file = File::open(archive)
        .map_err(crate::error::io("open", archive))
        .map_err(ExtractError::Local)?;
    let mut sink = Sink {
        target,
        limits,
        written: 0,
        entries: 0,
    };
    match format {
        Format::Zip => extract_zip(BufReader::new(file), &mut sink),
        Format::TarGz => extract_tar(
            flate2::read::GzDecoder::new(BufReader::new(file)),
            format,
            &mut sink,
        ),
        Format::Tar => extract_tar(BufReader::new(file), format, &mut sink),
    }
}

fn extract_zip(file: BufReader<File>, sink: &mut Sink<'_>) -> Result<(), ExtractError> {
    let unreadable = |error: zip::result::ZipError| ArchiveProblem::Unreadable {
        format: "zip",
        reason: error.to_string(),
    };
    let mut archive = zip::ZipArchive::new(file).map_err(unreadable)?;
    if archive.len() > sink.limits.max_entries {
        return Err(ArchiveProblem::TooManyEntries {
            limit: sink.limits.max_entries,
        }
        .into());
    }
    for index in 0..archive.len() {
        let raw = archive.by_index_raw(index).map_err(unreadable)?;
        if raw.encrypted() {
            return Err(ArchiveProblem::Encrypted {
                entry: raw.name().map_err(unreadable)?.into_owned(),
            }
            .into());
        }
        drop(raw);
        let mut entry = archive.by_index(index).map_err(unreadable)?;
        // Archives made by old Windows tools separate folders with backslashes, a folder's
        // name ending in one.
        let name = entry.name().map_err(unreadable)?.replace('\\', "/");
        if entry.is_symlink() {
            let mut target = String::new();
            (&mut entry)
                .take(4096)
                .read_to_string(&mut target)
                .map_err(|error| ArchiveProblem::Unreadable {
                    format: "zip",
                    reason: format!("link `{name}`: {error}"),
                })?;
            sink.link(&name, &target)?;
        } else if entry.is_dir() || name.ends_with('/') {
            sink.folder(&name)?;
        } else {
            sink.file(&name, &mut entry, Format::Zip.name())?;
        }
    }
    Ok(())
}

/// Unpacks the tar read from `reader` (decompressed already, for `.tar.gz`).
fn extract_tar(reader: impl Read, format: Format, sink: &mut Sink<'_>) -> Result<(), ExtractError> {
    // Caps everything decompressed, headers and skipped entries included: a gzip bomb stops at
    // the limit whatever its tar headers claim.
    let exceeded = Rc::new(Cell::new(false));
    let capped = Capped {
        inner: reader,
        left: sink
            .limits
            .max_bytes
            .saturating_mul(2)
            .saturating_add(1 << 20),
        exceeded: Rc::clone(&exceeded),
    };
    let limit = sink.limits.max_bytes;
    let unreadable = |error: io::Error| {
        if exceeded.get() {
            ArchiveProblem::TooLarge { limit }
        } else {
            ArchiveProblem::Unreadable {
                format: format.name(),
                reason: error.to_string(),
            }
        }
    };
    let mut archive = tar::Archive::new(capped);
    for entry in archive.entries().map_err(unreadable)? {
        let mut entry = entry.map_err(unreadable)?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let kind = entry.header().entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            let target = entry
                .link_name_bytes()
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .unwrap_or_default();
            if kind.is_hard_link() {
                sink.hard_link(&name, &target, format)?;
            } else {
                sink.link(&name, &target)?;
            }
        } else if kind.is_dir() {
            sink.folder(&name)?;
        } else if kind.is_file() || kind == tar::EntryType::Continuous {
            match sink.file(&name, &mut entry, format.name()) {
                Err(ExtractError::Bad(ArchiveProblem::Unreadable { .. })) if exceeded.get() => {
                    return Err(ArchiveProblem::TooLarge { limit }.into());
                }
                other => other?,
            }
        } else {
            // Devices, FIFOs and the like are never created, but their names must be safe too.
            sink.count(&name)?;
        }
    }
    Ok(())
}

/// Writes checked entries into the target folder and keeps the counts.
struct Sink<'a> {
    target: &'a Path,
    limits: ExtractLimits,
    written: u64,
    entries: usize,
}

impl Sink<'_> {
    /// Counts an entry and checks its name. `None` for what is no part of a submission and is
    /// not written: the archive's own root (`./`) and macOS's metadata.
    fn count(&mut self, name: &str) -> Result<Option<PathBuf>, ArchiveProblem> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(ArchiveProblem::TooManyEntries {
                limit: self.limits.max_entries,
            });
        }
        let relative = safe_relative(name).map_err(|why| ArchiveProblem::Escapes {
            entry: name.to_owned(),
            why,
        })?;
        Ok((!relative.as_os_str().is_empty() && !is_mac_metadata(&relative)).then_some(relative))
    }

    fn folder(&mut self, name: &str) -> Result<(), ExtractError> {
        let Some(relative) = self.count(name)? else {
            return Ok(());
        };
        let path = self.target.join(relative);
        fs::create_dir_all(&path).map_err(|error| Self::write_error(name, &path, error))
    }

    /// A link is checked, then left out: only regular files count.
    fn link(&mut self, name: &str, target: &str) -> Result<(), ExtractError> {
        let Some(relative) = self.count(name)? else {
            return Ok(());
        };
        let escapes = || ArchiveProblem::LinkEscapes {
            entry: name.to_owned(),
            target: target.to_owned(),
        };
        let parent = relative.parent().unwrap_or(Path::new(""));
        if Path::new(target).is_absolute() || normalize(&parent.join(target)).is_none() {
            return Err(escapes().into());
        }
        Ok(())
    }

    /// A tar's hard link is a second name of a file unpacked before it (GNU tar writes one for
    /// every further name of a file): it becomes a copy, counted against the limits.
    fn hard_link(&mut self, name: &str, target: &str, format: Format) -> Result<(), ExtractError> {
        // A hard link's target is relative to the archive's root, not to the link.
        let source = safe_relative(target).map_err(|why| ArchiveProblem::LinkEscapes {
            entry: name.to_owned(),
            target: format!("{target} ({why})"),
        })?;
        let Some(relative) = self.count(name)? else {
            return Ok(());
        };
        let source = self.target.join(source);
        // Only a regular file unpacked before is copied, never through a link.
        if !fs::symlink_metadata(&source).is_ok_and(|meta| meta.is_file()) {
            return Ok(());
        }
        let mut data =
            File::open(&source).map_err(|error| Self::write_error(name, &source, error))?;
        self.write(name, &relative, &mut data, format.name())
    }

    fn file(
        &mut self,
        name: &str,
        data: &mut dyn Read,
        format: &'static str,
    ) -> Result<(), ExtractError> {
        match self.count(name)? {
            Some(relative) => self.write(name, &relative, data, format),
            None => Ok(()),
        }
    }

    /// Writes `data` to `relative` within the limits.
    fn write(
        &mut self,
        name: &str,
        relative: &Path,
        data: &mut dyn Read,
        format: &'static str,
    ) -> Result<(), ExtractError> {
        let path = self.target.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|error| Self::write_error(name, parent, error))?;
        }
        let mut out = File::create(&path).map_err(|error| Self::write_error(name, &path, error))?;
        let mut buffer = vec![0_u8; 64 * 1024];
        loop {
            let read = match data.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    return Err(ArchiveProblem::Unreadable {
                        format,
                        reason: format!("entry `{name}`: {error}"),
                    }
                    .into());
                }
            };
            self.written += read as u64;
            if self.written > self.limits.max_bytes {
                return Err(ArchiveProblem::TooLarge {
                    limit: self.limits.max_bytes,
                }
                .into());
            }
            out.write_all(&buffer[..read])
                .map_err(|error| Self::write_error(name, &path, error))?;
        }
        Ok(())
    }

    /// An error writing an entry: the machine's when the disk is full or read-only, else the
    /// archive's (a file and a folder of the same name, a name the file system refuses).
    fn write_error(name: &str, path: &Path, error: io::Error) -> ExtractError {
        use io::ErrorKind::{QuotaExceeded, ReadOnlyFilesystem, StorageFull};
        if matches!(
            error.kind(),
            StorageFull | QuotaExceeded | ReadOnlyFilesystem
        ) {
            ExtractError::Local(crate::error::io("write", path)(error))
        } else {
            ExtractError::Bad(ArchiveProblem::Unreadable {
                format: "archive",
                reason: format!("entry `{name}` cannot be unpacked: {error}"),
            })
        }
    }
}

/// Whether `relative` is metadata macOS adds to what it archives: `__MACOSX/` (Finder's
/// "Compress"), `._name` (the resource fork and attributes of `name`, which macOS's `tar`
/// writes too) and `.DS_Store` (a folder's view settings).
fn is_mac_metadata(relative: &Path) -> bool {
    relative
        .components()
        .any(|part| part.as_os_str() == "__MACOSX")
        || relative.file_name().is_some_and(|name| {
            let name = name.to_string_lossy();
            name.starts_with("._") || name == ".DS_Store"
        })
}

/// The relative path an entry named `name` may be written at (empty for the archive's root,
/// `./`), or why it may not.
fn safe_relative(name: &str) -> Result<PathBuf, &'static str> {
    if name.contains('\0') {
        return Err("its name holds a NUL byte");
    }
    let path = Path::new(name);
    let mut relative = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => relative.push(part),
            Component::CurDir => {}
            Component::ParentDir => return Err("its path climbs out with `..`"),
            Component::RootDir | Component::Prefix(_) => return Err("its path is absolute"),
        }
    }
    Ok(relative)
}

/// A reader that fails once it has given `left` bytes, and says so in `exceeded`.
struct Capped<R> {
    inner: R,
    left: u64,
    exceeded: Rc<Cell<bool>>,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            self.exceeded.set(true);
            return Err(io::Error::other(
                "the archive unpacks to more than the limit",
            ));
        }
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let read = self.inner.read(&mut buf[..max])?;
        self.left -= read as u64;
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::Path;

    use super::{ArchiveProblem, ExtractError, ExtractLimits, Format, extract};

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        for (name, data) in entries {
            writer.start_file(*name, options).unwrap();
            writer.write_all(data).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    fn tar_gz(build: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        build(&mut builder);
        let tar = builder.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        gz.finish().unwrap()
    }

    /// A tar entry with a raw name, bypassing the checks `tar::Builder` makes.
    fn raw_entry(
        builder: &mut tar::Builder<Vec<u8>>,
        name: &str,
        kind: tar::EntryType,
        link: &str,
        data: &[u8],
    ) {
        let mut header = tar::Header::new_old();
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
        header.set_entry_type(kind);
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append(&header, data).unwrap();
    }

    fn unpack(
        bytes: &[u8],
        format: Format,
        limits: ExtractLimits,
    ) -> (tempfile::TempDir, Result<(), ArchiveProblem>) {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("archive");
        std::fs::write(&archive, bytes).unwrap();
        let target = dir.path().join("out");
        std::fs::create_dir(&target).unwrap();
        let result = match extract(&archive, format, &target, limits) {
            Ok(()) => Ok(()),
            Err(ExtractError::Bad(problem)) => Err(problem),
            Err(ExtractError::Local(error)) => panic!("{error}"),
        };
        (dir, result)
    }

    #[test]
    fn a_zip_unpacks_its_files() {
        let bytes = zip_of(&[("src/bin/a.rs", b"fn main() {}"), ("./b.txt", b"b")]);
        let (dir, result) = unpack(&bytes, Format::Zip, ExtractLimits::default());
        result.unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("out/src/bin/a.rs")).unwrap(),
            b"fn main() {}"
        );
    }

    #[test]
    fn zip_slip_and_absolute_names_are_refused_and_nothing_escapes() {
        for name in [
            "../evil.rs",
            "src/../../evil.rs",
            "/tmp/evil.rs",
            "..\\evil.rs",
        ] {
            let bytes = zip_of(&[("ok.rs", b"ok"), (name, b"evil")]);
            let (dir, result) = unpack(&bytes, Format::Zip, ExtractLimits::default());
            assert!(
                matches!(result, Err(ArchiveProblem::Escapes { .. })),
                "{name}: {result:?}"
            );
            assert!(!dir.path().join("evil.rs").exists());
        }
        assert!(!Path::new("/tmp/evil.rs").exists());
    }

    #[test]
    fn tar_names_and_links_that_leave_are_refused() {
        let cases: [(&str, tar::EntryType, &str); 4] = [
            ("../evil.rs", tar::EntryType::Regular, ""),
            ("/evil.rs", tar::EntryType::Regular, ""),
            ("src/link", tar::EntryType::Symlink, "../../etc/passwd"),
            ("src/abs", tar::EntryType::Symlink, "/etc/passwd"),
        ];
        for (name, kind, link) in cases {
            let bytes = tar_gz(|builder| raw_entry(builder, name, kind, link, b"evil"));
            let (dir, result) = unpack(&bytes, Format::TarGz, ExtractLimits::default());
            assert!(result.is_err(), "{name}");
            assert!(!dir.path().join("evil.rs").exists());
        }
        // A link that stays inside is allowed, but not created.
        let bytes = tar_gz(|builder| {
            raw_entry(builder, "src/a.rs", tar::EntryType::Regular, "", b"a");
            raw_entry(builder, "src/b.rs", tar::EntryType::Symlink, "a.rs", b"");
        });
        let (dir, result) = unpack(&bytes, Format::TarGz, ExtractLimits::default());
        result.unwrap();
        assert!(dir.path().join("out/src/a.rs").is_file());
        assert!(!dir.path().join("out/src/b.rs").exists());
    }

    #[test]
    fn bombs_stop_at_the_limits() {
        let limits = ExtractLimits {
            max_bytes: 1000,
            max_entries: 3,
        };
        let big = vec![0_u8; 5000];
        let (_dir, result) = unpack(&zip_of(&[("big", &big)]), Format::Zip, limits);
        assert_eq!(result, Err(ArchiveProblem::TooLarge { limit: 1000 }));
        let many = zip_of(&[("a", b""), ("b", b""), ("c", b""), ("d", b"")]);
        let (_dir, result) = unpack(&many, Format::Zip, limits);
        assert_eq!(result, Err(ArchiveProblem::TooManyEntries { limit: 3 }));
        let bytes = tar_gz(|builder| raw_entry(builder, "big", tar::EntryType::Regular, "", &big));
        let (_dir, result) = unpack(&bytes, Format::TarGz, limits);
        assert_eq!(result, Err(ArchiveProblem::TooLarge { limit: 1000 }));
    }

    #[test]
    fn garbage_is_unreadable() {
        for format in [Format::Zip, Format::TarGz] {
            let (_dir, result) = unpack(b"not an archive at all", format, ExtractLimits::default());
            assert!(
                matches!(result, Err(ArchiveProblem::Unreadable { .. })),
                "{result:?}"
            );
        }
    }

    #[test]
    fn a_tarball_of_dot_unpacks_and_its_root_is_no_entry() {
        let bytes = tar_gz(|builder| {
            raw_entry(builder, "./", tar::EntryType::Directory, "", b"");
            raw_entry(builder, "./src/", tar::EntryType::Directory, "", b"");
            raw_entry(builder, "./src/a.rs", tar::EntryType::Regular, "", b"a");
            // GNU tar's second name of a file: a copy.
            raw_entry(
                builder,
                "./src/b.rs",
                tar::EntryType::Link,
                "./src/a.rs",
                b"",
            );
        });
        let (dir, result) = unpack(&bytes, Format::TarGz, ExtractLimits::default());
        result.unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("out/src/a.rs")).unwrap(),
            b"a"
        );
        assert_eq!(
            std::fs::read(dir.path().join("out/src/b.rs")).unwrap(),
            b"a"
        );
    }

    #[test]
    fn a_plain_tar_unpacks() {
        let mut builder = tar::Builder::new(Vec::new());
        raw_entry(&mut builder, "src/a.rs", tar::EntryType::Regular, "", b"a");
        let bytes = builder.into_inner().unwrap();
        let (dir, result) = unpack(&bytes, Format::Tar, ExtractLimits::default());
        result.unwrap();
        assert!(dir.path().join("out/src/a.rs").is_file());
    }

    #[test]
    fn mac_metadata_is_not_written_and_backslashes_are_folders() {
        let bytes = zip_of(&[
            ("lab1\\", b""),
            ("lab1\\src\\", b""),
            ("lab1\\src\\a.rs", b"a"),
            ("__MACOSX/lab1/src/._a.rs", b"\x00\x05\x16\x07"),
            ("lab1/src/._a.rs", b"\x00\x05\x16\x07"),
            ("lab1/.DS_Store", b"Bud1"),
        ]);
        let (dir, result) = unpack(&bytes, Format::Zip, ExtractLimits::default());
        result.unwrap();
        let out = dir.path().join("out");
        assert!(out.join("lab1/src/a.rs").is_file());
        for absent in ["__MACOSX", "lab1/src/._a.rs", "lab1/.DS_Store"] {
            assert!(!out.join(absent).exists(), "{absent}");
        }
        // Metadata's names are checked all the same.
        let bytes = zip_of(&[("__MACOSX/../../._evil", b"x")]);
        let (_dir, result) = unpack(&bytes, Format::Zip, ExtractLimits::default());
        assert!(
            matches!(result, Err(ArchiveProblem::Escapes { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn a_password_protected_zip_says_so() {
        // The zip crate writes no encrypted entry, so the headers' "encrypted" bit is set by
        // hand, in the local header (flags at 6) and the central directory's (flags at 8).
        let mut bytes = zip_of(&[("src/a.rs", b"a")]);
        for (magic, flags) in [(b"PK\x03\x04", 6), (b"PK\x01\x02", 8)] {
            let at = bytes.windows(4).position(|window| window == magic).unwrap();
            bytes[at + flags] |= 1;
        }
        let (_dir, result) = unpack(&bytes, Format::Zip, ExtractLimits::default());
        assert_eq!(
            result,
            Err(ArchiveProblem::Encrypted {
                entry: "src/a.rs".to_owned()
            })
        );
    }
}
