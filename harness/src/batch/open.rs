//! A batch entry opened for grading: the folder a student's submission is graded from, an
//! archive unpacked into a scratch folder of its own. `labgrade batch` and `labgrade replay`
//! share it, so a replayed case sees the very files the batch graded.

use std::path::PathBuf;

use super::entries::{Kind, Student, submission_root};
use super::extract::{self, ExtractError, Format, Limits};
use crate::error::Error;
use crate::submission::owned_temp_dir;

/// The folder to grade, and the scratch folder that holds it when it was unpacked (deleted
/// when this is dropped).
#[derive(Debug)]
pub struct Opened {
    /// The submission's folder, inside the LMS's wrapping folder if any.
    pub root: PathBuf,
    /// The unpacked archive, kept alive while the submission is graded.
    _scratch: Option<tempfile::TempDir>,
}

impl Opened {
    /// A folder graded as it is.
    #[must_use]
    pub fn folder(root: PathBuf) -> Self {
        Self {
            root,
            _scratch: None,
        }
    }

    /// A folder made in `scratch` (kept alive while it is graded).
    #[must_use]
    pub fn scratch(root: PathBuf, scratch: tempfile::TempDir) -> Self {
        Self {
            root,
            _scratch: Some(scratch),
        }
    }
}

/// Why an entry could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// The entry cannot be read as a submission (an unsupported file, a damaged or malicious
    /// archive): the student's verdict, in words.
    Bad(String),
    /// labgrade could not go on (its own scratch folder).
    Local(Error),
}

/// Opens `student`'s entry as the batch grades it: a folder or working tree as it is, an
/// archive unpacked safely within `limits`; then, in either, the folder an LMS may have
/// wrapped the files listed in `rubric_files` in.
pub fn open_entry(
    student: &Student,
    rubric_files: &[PathBuf],
    limits: Limits,
) -> Result<Opened, OpenError> {
    let format = match student.kind {
        Kind::Folder | Kind::GitRepository => {
            return Ok(Opened {
                root: submission_root(&student.path, rubric_files),
                _scratch: None,
            });
        }
        Kind::Zip => Format::Zip,
        Kind::TarGz => Format::TarGz,
        Kind::Unsupported => {
            return Err(OpenError::Bad(format!(
                "`{}` is neither a folder nor a .zip, .tar.gz or .tgz archive, so nothing was graded; hand in one of those",
                entry_name(student)
            )));
        }
    };
    let scratch = owned_temp_dir().map_err(OpenError::Local)?;
    let target = scratch.path().join("submission");
    std::fs::create_dir(&target)
        .map_err(crate::error::io("create", &target))
        .map_err(OpenError::Local)?;
    match extract::extract(&student.path, format, &target, limits) {
        Ok(()) => Ok(Opened {
            root: submission_root(&target, rubric_files),
            _scratch: Some(scratch),
        }),
        Err(ExtractError::Bad(problem)) => Err(OpenError::Bad(format!(
            "the archive `{}` was not unpacked: {problem}; nothing was graded. Hand in a plain archive of your files",
            entry_name(student)
        ))),
        Err(ExtractError::Local(error)) => Err(OpenError::Local(error)),
    }
}

/// The entry's file name, as the student handed it in.
pub(super) fn entry_name(student: &Student) -> String {
    student.path.file_name().map_or_else(
        || student.id.clone(),
        |name| name.to_string_lossy().into_owned(),
    )
}
