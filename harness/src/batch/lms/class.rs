//! A class: its students from a batch folder or class download, in the layout `--from` names
//! or the one recognised.

use std::fs;
use std::path::{Path, PathBuf};

use super::super::BatchError;
use super::super::entries::{Student, discover, entry};
use super::super::extract::ExtractLimits;
use super::{canvas, download, github_classroom, gradescope, moodle};
use crate::class::{Person, Source};
use crate::error::io;
use crate::grade::EntryKind;

/// The students of a batch folder, and who they are.
#[derive(Debug, Clone)]
pub struct Class {
    /// The layout they came in.
    pub source: Source,
    /// Every student, sorted by id.
    pub students: Vec<Student>,
    /// Who each student is, sorted by id.
    pub people: Vec<Person>,
}

/// The class in `dir` (a folder, or a class download's `.zip`, unpacked into `out/download`),
/// in layout `from` or, without it, the one its names show. The folder `out` is not a student.
pub fn class(
    dir: &Path,
    from: Option<Source>,
    out: &Path,
    limits: ExtractLimits,
) -> Result<Class, BatchError> {
    let folder = download::folder_of(dir, out, limits)?;
    match fs::metadata(&folder) {
        Err(_) => return Err(BatchError::DirNotFound { path: folder }),
        Ok(meta) if !meta.is_dir() => return Err(BatchError::NotDirectory { path: folder }),
        Ok(_) => {}
    }
    let names = visible(&folder, out)?;
    let source = from.unwrap_or_else(|| Source::recognise(&folder, &names));
    let mut found: Vec<(Student, Person)> = match source {
        Source::Folders => discover(&folder, Some(out))?
            .into_iter()
            .map(|student| {
                let person = Person::named(&student.id, None);
                (student, person)
            })
            .collect(),
        Source::Moodle => moodle::students(&folder, &names)?,
        Source::Canvas => canvas::students(&folder, &names)?,
        Source::Gradescope => gradescope::students(&folder, &names)?,
        Source::GithubClassroom => github_classroom::students(&folder, &names)?,
    };
    found.sort_by(|a, b| a.0.id.cmp(&b.0.id).then_with(|| a.0.path.cmp(&b.0.path)));
    if let Some(pair) = found.windows(2).find(|pair| pair[0].0.id == pair[1].0.id) {
        return Err(BatchError::DuplicateStudent {
            id: pair[0].0.id.clone(),
            first: pair[0].0.path.clone(),
            second: pair[1].0.path.clone(),
        });
    }
    let (students, people) = found.into_iter().unzip();
    Ok(Class {
        source,
        students,
        people,
    })
}

/// The names of `folder`'s entries that may be submissions: not hidden, not macOS's
/// `__MACOSX`, not the output folder; sorted.
fn visible(folder: &Path, out: &Path) -> Result<Vec<String>, BatchError> {
    let out = out.canonicalize().ok();
    let mut names = Vec::new();
    for item in fs::read_dir(folder).map_err(io("read", folder))? {
        let item = item.map_err(io("read", folder))?;
        let path = item.path();
        let Some(name) = item.file_name().to_str().map(ToOwned::to_owned) else {
            return Err(BatchError::BadName { path });
        };
        if name.starts_with('.') || name == "__MACOSX" {
            continue;
        }
        if out.is_some() && path.canonicalize().ok() == out {
            continue;
        }
        names.push(name);
    }
    names.sort();
    Ok(names)
}

/// Student `id`'s entry at `path`, as the batch opens it (folder, working tree or archive).
pub(super) fn student(id: &str, path: &Path) -> Student {
    Student {
        id: id.to_owned(),
        ..entry(path)
    }
}

/// The one entry of student `id` among `paths`, the files an LMS wrote for one submission:
/// the only one, or else the only archive among them.
pub(super) fn one_entry(id: &str, mut paths: Vec<PathBuf>) -> Result<PathBuf, BatchError> {
    if paths.len() == 1 {
        return Ok(paths.remove(0));
    }
    let archives: Vec<&PathBuf> = paths
        .iter()
        .filter(|path| matches!(entry(path).kind, EntryKind::Zip | EntryKind::TarGz))
        .collect();
    match archives.as_slice() {
        [only] => Ok((*only).clone()),
        _ => Err(BatchError::DuplicateStudent {
            id: id.to_owned(),
            first: paths[0].clone(),
            second: paths[1].clone(),
        }),
    }
}

/// The error for entry `name` of `dir` that layout `source` does not name as it names its
/// submissions (`pattern`).
pub(super) fn stray(dir: &Path, name: &str, source: Source, pattern: &str) -> BatchError {
    BatchError::Layout(format!(
        "`{}` is not named as a {source} download names submissions ({pattern}); remove it, or pass `--from folders` to grade every entry under its own name",
        dir.join(name).display()
    ))
}

/// Each student `found` as `(id, name, file name of their entry)`, for the layouts' tests.
#[cfg(test)]
pub(super) fn ids_names_entries(found: &[(Student, Person)]) -> Vec<(&str, &str, String)> {
    found
        .iter()
        .map(|(student, person)| {
            (
                student.id.as_str(),
                person.name.as_deref().unwrap(),
                student
                    .path
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            )
        })
        .collect()
}
