//! A batch entry opened for grading: the folder a student's submission is graded from, an
//! archive unpacked into a scratch folder of its own. `labgrade batch` and `labgrade replay`
//! share it, so a replayed case sees the very files the batch graded.
//!
//! An archive is unpacked by what its first bytes say it is (`sniff.rs`), its extension only
//! deciding when they say nothing. A folder (or archive) that holds nothing but one archive,
//! as an LMS keeps a student's upload, is graded from that archive: one level, no deeper.

use std::path::{Path, PathBuf};

use super::entries::{Student, entry, lone_archive, submission_root};
use super::extract::{self, ArchiveProblem, ExtractError, ExtractLimits, Format};
use super::handed_in::laid_out;
use super::sniff::{Sniffed, sniff};
use crate::error::Error;
use crate::grade::EntryKind;
use crate::submission::owned_temp_dir;

/// The folder to grade, and the scratch folders that hold it when it was unpacked (deleted
/// when this is dropped).
#[derive(Debug)]
pub struct Opened {
    /// The submission's folder, inside the LMS's wrapping folder if any.
    pub root: PathBuf,
    /// The unpacked archives, kept alive while the submission is graded (their drop deletes
    /// them).
    scratch: Vec<tempfile::TempDir>,
}

impl Opened {
    /// A folder graded as it is.
    #[must_use]
    pub fn folder(root: PathBuf) -> Self {
        Self {
            root,
            scratch: Vec::new(),
        }
    }

    /// A folder made in `scratch` (kept alive while it is graded).
    #[must_use]
    pub fn scratch(root: PathBuf, scratch: tempfile::TempDir) -> Self {
        Self {
            root,
            scratch: vec![scratch],
        }
    }
}

/// Why an entry could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// The entry cannot be read as a submission (an unsupported file, a damaged, encrypted,
    /// oversized or malicious archive): the student's verdict, in words.
    Bad(String),
    /// labgrade could not go on (its own scratch folder).
    Local(Error),
}

/// Opens `student`'s entry as the batch grades it: a folder or working tree as it is, an
/// archive unpacked safely within `limits`; then, in either, the folder an LMS may have
/// wrapped the files listed in `rubric_files` in, the one archive it may hold instead, and
/// single files laid out at the paths the rubric lists.
pub fn open_entry(
    student: &Student,
    rubric_files: &[PathBuf],
    limits: ExtractLimits,
) -> Result<Opened, OpenError> {
    let mut opened = match student.kind {
        EntryKind::Folder | EntryKind::GitRepository => {
            Opened::folder(submission_root(&student.path, rubric_files))
        }
        EntryKind::Zip | EntryKind::TarGz | EntryKind::Tar | EntryKind::Unsupported => {
            unpack(&student.path, student.kind, rubric_files, limits)?
        }
    };
    if let Some(inner) = lone_archive(&opened.root) {
        let unpacked = unpack(&inner, entry(&inner).kind, rubric_files, limits)?;
        opened.root = unpacked.root;
        opened.scratch.extend(unpacked.scratch);
    }
    // Single files with no folders (an upload of files, `zip -j`): at the rubric's paths, as
    // `labgrade grade` lays them out.
    if let Some(scratch) = laid_out(&opened.root, rubric_files).map_err(OpenError::Local)? {
        scratch.path().clone_into(&mut opened.root);
        opened.scratch.push(scratch);
    }
    Ok(opened)
}

/// Unpacks the archive at `path` (of `kind` by its name) into a scratch folder of its own.
fn unpack(
    path: &Path,
    kind: EntryKind,
    rubric_files: &[PathBuf],
    limits: ExtractLimits,
) -> Result<Opened, OpenError> {
    let name = file_name(path);
    let format = format_of(path, &name, kind)?;
    let scratch = owned_temp_dir().map_err(OpenError::Local)?;
    let target = scratch.path().join("submission");
    std::fs::create_dir(&target)
        .map_err(crate::error::io("create", &target))
        .map_err(OpenError::Local)?;
    match extract::extract(path, format, &target, limits) {
        Ok(()) => Ok(Opened {
            root: submission_root(&target, rubric_files),
            scratch: vec![scratch],
        }),
        Err(ExtractError::Bad(problem)) => Err(OpenError::Bad(format!(
            "the archive `{name}` was not unpacked: {problem}; nothing was graded. {}",
            hint(&problem)
        ))),
        Err(ExtractError::Local(error)) => Err(OpenError::Local(error)),
    }
}

/// How to unpack the file at `path`: as its first bytes say, or as its name says when they
/// say nothing (an old tar has no magic number; a damaged zip gets the zip reader's reason).
fn format_of(path: &Path, name: &str, kind: EntryKind) -> Result<Format, OpenError> {
    let sniffed = sniff(path)
        .map_err(crate::error::io("read", path))
        .map_err(OpenError::Local)?;
    match (sniffed, kind) {
        (Sniffed::Archive(format), _) => Ok(format),
        (Sniffed::Foreign(foreign), _) => Err(OpenError::Bad(format!(
            "`{name}` is {}, which labgrade does not unpack, so nothing was graded; hand in a .zip, .tar.gz or .tar of your files",
            foreign.describe()
        ))),
        (Sniffed::Unknown, EntryKind::Zip) => Ok(Format::Zip),
        (Sniffed::Unknown, EntryKind::TarGz) => Ok(Format::TarGz),
        (Sniffed::Unknown, EntryKind::Tar) => Ok(Format::Tar),
        (
            Sniffed::Unknown,
            EntryKind::Folder | EntryKind::GitRepository | EntryKind::Unsupported,
        ) => Err(OpenError::Bad(format!(
            "`{name}` is neither a folder nor a .zip, .tar.gz, .tgz or .tar archive, so nothing was graded; hand in one of those"
        ))),
    }
}

/// What the student can do about `problem`.
fn hint(problem: &ArchiveProblem) -> &'static str {
    match problem {
        ArchiveProblem::Encrypted { .. } => "Hand in an archive without a password",
        ArchiveProblem::TooLarge { .. } | ArchiveProblem::TooManyEntries { .. } => {
            "Hand in only your source files (no `target/` folder)"
        }
        ArchiveProblem::Unreadable { .. }
        | ArchiveProblem::Escapes { .. }
        | ArchiveProblem::LinkEscapes { .. } => "Hand in a plain archive of your files",
    }
}

/// The file's name, as the student handed it in.
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}
