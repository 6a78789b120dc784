//! A class download handed in as the `.zip` the LMS gave: unpacked into the output folder
//! (`out/download`), where it stays so that `labgrade replay` finds each student's files.

use std::fs;
use std::path::{Path, PathBuf};

use super::super::BatchError;
use super::super::extract::{self, ExtractError, ExtractLimits, Format};
use crate::error::io;

/// How many times one submission's limits a class download may unpack to.
const CLASS_FACTOR: u64 = 16;

/// The folder of the class in `dir`: `dir` itself, or for a `.zip` the folder it unpacks to in
/// `out/download` (inside Gradescope's export folder).
pub(super) fn folder_of(
    dir: &Path,
    out: &Path,
    limits: ExtractLimits,
) -> Result<PathBuf, BatchError> {
    let is_zip = dir.is_file()
        && dir
            .extension()
            .is_some_and(|extension| extension.eq_ignore_ascii_case("zip"));
    if !is_zip {
        return Ok(dir.to_owned());
    }
    let target = out.join("download");
    // A fresh copy every run: the zip may have changed since.
    if target.exists() {
        fs::remove_dir_all(&target).map_err(io("remove", &target))?;
    }
    fs::create_dir_all(&target).map_err(io("create", &target))?;
    let class_limits = ExtractLimits {
        max_bytes: limits.max_bytes.saturating_mul(CLASS_FACTOR),
        max_entries: limits
            .max_entries
            .saturating_mul(usize::try_from(CLASS_FACTOR).unwrap_or(usize::MAX)),
    };
    match extract::extract(dir, Format::Zip, &target, class_limits) {
        Ok(()) => Ok(unwrapped(target)),
        Err(ExtractError::Bad(problem)) => Err(BatchError::Layout(format!(
            "the class download `{}` was not unpacked: {problem}; download it again from the LMS, or unpack it yourself and pass the folder",
            dir.display()
        ))),
        Err(ExtractError::Local(error)) => Err(error.into()),
    }
}

/// `dir`, or the folder inside it when that is all it holds and it is Gradescope's
/// `assignment_<id>_export/` (with `submission_metadata.yml`). Any other single folder may be
/// a class of one, so it stays a student.
fn unwrapped(dir: PathBuf) -> PathBuf {
    let Ok(entries) = fs::read_dir(&dir) else {
        return dir;
    };
    let kept: Vec<fs::DirEntry> = entries
        .filter_map(Result::ok)
        .filter(|item| {
            item.file_name()
                .to_str()
                .is_none_or(|name| !name.starts_with('.') && name != "__MACOSX")
        })
        .collect();
    match kept.as_slice() {
        [only] if only.path().join(super::gradescope::METADATA).is_file() => only.path(),
        _ => dir,
    }
}
