//! One submission handed to `labgrade grade` as a student hands it in (a Gradescope
//! autograder's `/autograder/submission`): a folder, the same wrapped in a folder of its own,
//! the rubric's files side by side with no folders (an upload of single files), or an archive
//! (alone, or the only file of a folder), opened as `labgrade batch` opens an entry.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use super::entries::{entry, lone_archive, submission_root};
use super::extract::ExtractLimits;
use super::open::{OpenError, Opened, open_entry};
use crate::error::{Error, io};
use crate::grade::{Entry, Grade};
use crate::grader::Grader;
use crate::rubric::Rubric;
use crate::submission::owned_temp_dir;

/// Grades `path` with `rubric`. A folder is graded from the folder that holds the rubric's
/// files; an archive is unpacked safely and named as the grade's `entry`, so that `labgrade
/// replay` unpacks it again. A submission that cannot be read is [`Error::Unreadable`].
pub fn grade_handed_in(grader: &Grader, rubric: &Rubric, path: &Path) -> Result<Grade, Error> {
    let files = &rubric.exercise.files;
    let meta = fs::metadata(path).ok();
    let is_folder = meta.as_ref().is_some_and(fs::Metadata::is_dir);
    // A folder holding nothing but an archive (an upload of `lab1.tar`) is graded from it, as
    // the batch grades such an entry.
    let lone = if is_folder {
        lone_archive(&submission_root(path, files))
    } else {
        None
    };
    let path = lone.as_deref().unwrap_or(path);
    let is_file = meta.is_some_and(|meta| !meta.is_dir()) || lone.is_some();
    if !is_file {
        // A missing path is the grader's own `SubmissionNotFound`.
        let (root, opened) = open_folder(path, files)?;
        let mut grade = grader.grade(rubric, &opened.root)?;
        // A copy laid out is gone after grading: the report names the folder handed in, which
        // `labgrade replay` opens again with [`open_folder`].
        grade.submission = root.display().to_string();
        return Ok(grade);
    }
    let student = entry(path);
    let opened = match open_entry(&student, files, ExtractLimits::default()) {
        Ok(opened) => opened,
        Err(OpenError::Bad(problem)) => return Err(Error::Unreadable { problem }),
        Err(OpenError::Local(error)) => return Err(error),
    };
    let mut grade = grader.grade(rubric, &opened.root)?;
    grade.submission = path.display().to_string();
    grade.entry = Some(Entry {
        path: std::path::absolute(path)
            .unwrap_or_else(|_| path.to_owned())
            .display()
            .to_string(),
        kind: student.kind,
    });
    Ok(grade)
}

/// A folder handed in, opened for grading: the folder inside it that holds the submission
/// (itself unless an LMS wrapped it), and what to grade: that folder, or a copy with single
/// files laid out at the paths the rubric lists.
pub fn open_folder(path: &Path, files: &[PathBuf]) -> Result<(PathBuf, Opened), Error> {
    let root = submission_root(path, files);
    let opened = match laid_out(&root, files)? {
        Some(scratch) => Opened::scratch(scratch.path().to_owned(), scratch),
        None => Opened::folder(root.clone()),
    };
    Ok((root, opened))
}

/// The rubric's files laid out at their paths in a scratch folder, when `dir` holds none of
/// them at its path but some by name alone at its top (as an upload of single files, to
/// Gradescope for one, leaves them). A name two listed files share is never guessed.
pub(super) fn laid_out(dir: &Path, files: &[PathBuf]) -> Result<Option<tempfile::TempDir>, Error> {
    if files.iter().any(|file| dir.join(file).exists()) {
        return Ok(None);
    }
    let mut by_name: HashMap<OsString, Vec<&PathBuf>> = HashMap::new();
    for file in files {
        if let Some(name) = file.file_name() {
            by_name.entry(name.to_owned()).or_default().push(file);
        }
    }
    // Regular files only: a symbolic link is never followed out of the submission.
    let found: Vec<(PathBuf, &PathBuf)> = by_name
        .iter()
        .filter_map(|(name, listed)| match listed.as_slice() {
            [only] => Some((dir.join(name), *only)),
            _ => None,
        })
        .filter(|(top, _)| fs::symlink_metadata(top).is_ok_and(|meta| meta.is_file()))
        .collect();
    if found.is_empty() {
        return Ok(None);
    }
    let scratch = owned_temp_dir()?;
    for (top, listed) in found {
        let target = scratch.path().join(listed);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(io("create", parent))?;
        }
        fs::copy(&top, &target).map_err(io("copy", &top))?;
    }
    Ok(Some(scratch))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::laid_out;

    fn files() -> Vec<PathBuf> {
        vec![
            PathBuf::from("src/bin/threads.rs"),
            PathBuf::from("src/bin/processes.rs"),
            PathBuf::from("src/a/mod.rs"),
            PathBuf::from("src/b/mod.rs"),
        ]
    }

    #[test]
    fn single_files_go_to_the_paths_the_rubric_lists() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("threads.rs"), "threads").unwrap();
        std::fs::write(dir.path().join("processes.rs"), "processes").unwrap();
        // Two listed files are named `mod.rs`: which one this is cannot be known.
        std::fs::write(dir.path().join("mod.rs"), "which?").unwrap();
        let laid = laid_out(dir.path(), &files()).unwrap().unwrap();
        let read = |path: &str| std::fs::read_to_string(laid.path().join(path)).ok();
        assert_eq!(read("src/bin/threads.rs").as_deref(), Some("threads"));
        assert_eq!(read("src/bin/processes.rs").as_deref(), Some("processes"));
        assert_eq!(read("src/a/mod.rs"), None);
        assert_eq!(read("src/b/mod.rs"), None);
    }

    #[test]
    fn a_folder_with_a_listed_file_in_place_is_graded_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src/bin")).unwrap();
        std::fs::write(dir.path().join("src/bin/threads.rs"), "threads").unwrap();
        std::fs::write(dir.path().join("processes.rs"), "processes").unwrap();
        assert!(laid_out(dir.path(), &files()).unwrap().is_none());
    }

    #[test]
    fn links_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::fs::write(elsewhere.path().join("secret"), "secret").unwrap();
        std::os::unix::fs::symlink(
            elsewhere.path().join("secret"),
            dir.path().join("threads.rs"),
        )
        .unwrap();
        assert!(laid_out(dir.path(), &files()).unwrap().is_none());
    }
}
