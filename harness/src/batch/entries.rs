//! The students of a batch: every entry of the batch folder is one student's submission,
//! named by the entry (without its archive extension).

use std::fs;
use std::path::{Path, PathBuf};

use super::BatchError;
use crate::error::io;
use crate::grade::EntryKind;

/// One student's entry in the batch folder.
#[derive(Debug, Clone)]
pub struct Student {
    /// The student id: the entry's name without its archive extension.
    pub id: String,
    /// The entry.
    pub path: PathBuf,
    /// Its kind.
    pub kind: EntryKind,
}

/// Archive extensions, longest first, and their kinds. The id drops the extension of an
/// archive labgrade does not unpack too (`alice.tar.xz` is `alice`), whose verdict then says
/// what it is.
const ARCHIVES: [(&str, EntryKind); 12] = [
    (".tar.gz", EntryKind::TarGz),
    (".tar.xz", EntryKind::Unsupported),
    (".tar.bz2", EntryKind::Unsupported),
    (".tar.zst", EntryKind::Unsupported),
    (".tgz", EntryKind::TarGz),
    (".txz", EntryKind::Unsupported),
    (".tbz2", EntryKind::Unsupported),
    (".tar", EntryKind::Tar),
    (".zip", EntryKind::Zip),
    (".rar", EntryKind::Unsupported),
    (".7z", EntryKind::Unsupported),
    (".xz", EntryKind::Unsupported),
];

/// Every student of batch folder `dir`, sorted by id. Entries whose name starts with `.` (such
/// as `.DS_Store`) and the folder `skip` (the output folder, if it lies inside) are not
/// students.
pub fn discover(dir: &Path, skip: Option<&Path>) -> Result<Vec<Student>, BatchError> {
    match fs::metadata(dir) {
        Err(_) => {
            return Err(BatchError::DirNotFound {
                path: dir.to_owned(),
            });
        }
        Ok(meta) if !meta.is_dir() => {
            return Err(BatchError::NotDirectory {
                path: dir.to_owned(),
            });
        }
        Ok(_) => {}
    }
    let skip = skip.and_then(|path| path.canonicalize().ok());
    let mut students: Vec<Student> = Vec::new();
    for entry in fs::read_dir(dir).map_err(io("read", dir))? {
        let entry = entry.map_err(io("read", dir))?;
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(ToOwned::to_owned) else {
            return Err(BatchError::BadName { path });
        };
        if name.starts_with('.') {
            continue;
        }
        if skip.is_some() && path.canonicalize().ok() == skip {
            continue;
        }
        let (id, kind) = classify(&path, &name);
        students.push(Student { id, path, kind });
    }
    students.sort_by(|a, b| a.id.cmp(&b.id).then_with(|| a.path.cmp(&b.path)));
    if let Some(pair) = students.windows(2).find(|pair| pair[0].id == pair[1].id) {
        return Err(BatchError::DuplicateStudent {
            id: pair[0].id.clone(),
            first: pair[0].path.clone(),
            second: pair[1].path.clone(),
        });
    }
    Ok(students)
}

/// The student the entry at `path` is, as [`discover`] sees it: its id and kind.
#[must_use]
pub fn entry(path: &Path) -> Student {
    let name = path
        .file_name()
        .map_or_else(String::new, |name| name.to_string_lossy().into_owned());
    let (id, kind) = classify(path, &name);
    Student {
        id,
        path: path.to_owned(),
        kind,
    }
}

/// The id and kind of entry `name` at `path`: a folder (a git working tree with `.git`), an
/// archive by its extension, or anything else.
fn classify(path: &Path, name: &str) -> (String, EntryKind) {
    // A symbolic link to a submission elsewhere counts as that submission.
    let is_dir = fs::metadata(path).is_ok_and(|meta| meta.is_dir());
    if is_dir {
        let kind = if path.join(".git").exists() {
            EntryKind::GitRepository
        } else {
            EntryKind::Folder
        };
        return (name.to_owned(), kind);
    }
    let lower = name.to_ascii_lowercase();
    ARCHIVES
        .iter()
        .find(|(extension, _)| lower.ends_with(extension) && lower.len() > extension.len())
        .map_or_else(
            || {
                let stem = Path::new(name)
                    .file_stem()
                    .and_then(|stem| stem.to_str())
                    .unwrap_or(name);
                (stem.to_owned(), EntryKind::Unsupported)
            },
            |(extension, kind)| (name[..name.len() - extension.len()].to_owned(), *kind),
        )
}

/// Names in a submission that say nothing about it: macOS's archive debris, hidden files and
/// what Windows Explorer leaves in a folder.
fn is_debris(name: &str) -> bool {
    name == "__MACOSX"
        || name.starts_with('.')
        || name.eq_ignore_ascii_case("Thumbs.db")
        || name.eq_ignore_ascii_case("desktop.ini")
}

/// The archive that folder `dir` holds in place of a submission: an LMS keeps each student's
/// upload in a folder of its own (Moodle's `Full Name_123_assignsubmission_file/lab1.zip`),
/// and a student may zip the zip. `dir` holds that one file, a regular file named as an
/// archive, and nothing else but debris.
#[must_use]
pub(super) fn lone_archive(dir: &Path) -> Option<PathBuf> {
    let kept: Vec<fs::DirEntry> = fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|entry| !entry.file_name().to_str().is_some_and(is_debris))
        .collect();
    let [only] = kept.as_slice() else {
        return None;
    };
    let name = only.file_name().to_str()?.to_ascii_lowercase();
    let is_archive = ARCHIVES
        .iter()
        .any(|(extension, _)| name.ends_with(extension) && name.len() > extension.len());
    // Never follows a symbolic link out of the submission.
    (is_archive && only.file_type().is_ok_and(|kind| kind.is_file())).then(|| only.path())
}

/// The folder of `dir` that holds the submission. An LMS often wraps a submission in a folder
/// of its own (`alice/src/...` inside `alice.zip`): while `dir` holds a single folder and no
/// file, and that folder is not the start of a path the rubric lists (`src` for
/// `src/bin/x.rs`), the submission is inside it.
#[must_use]
pub fn submission_root(dir: &Path, rubric_files: &[PathBuf]) -> PathBuf {
    let mut root = dir.to_owned();
    // A few levels at most: deeper nesting is not an LMS's doing.
    for _ in 0..4 {
        let Ok(entries) = fs::read_dir(&root) else {
            break;
        };
        let kept: Vec<fs::DirEntry> = entries
            .filter_map(Result::ok)
            .filter(|entry| !entry.file_name().to_str().is_some_and(is_debris))
            .collect();
        let [only] = kept.as_slice() else {
            break;
        };
        // Never follows a symbolic link out of the submission.
        if !only.file_type().is_ok_and(|kind| kind.is_dir()) {
            break;
        }
        let name = only.file_name();
        let starts_a_listed_path = rubric_files.iter().any(|file| {
            file.components()
                .next()
                .is_some_and(|first| first.as_os_str() == name)
        });
        if starts_a_listed_path {
            break;
        }
        root = only.path();
    }
    root
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::{discover, lone_archive, submission_root};
    use crate::grade::EntryKind;

    #[test]
    fn ids_drop_archive_extensions_and_hidden_entries() {
        let dir = tempfile::tempdir().unwrap();
        for file in [
            "bob.zip",
            "carol.tar.gz",
            "dave.TGZ",
            "eve.rar",
            ".DS_Store",
            "ivan.tar",
            "judy.tar.xz",
        ] {
            std::fs::write(dir.path().join(file), b"x").unwrap();
        }
        std::fs::create_dir_all(dir.path().join("alice/src")).unwrap();
        std::fs::create_dir_all(dir.path().join("frank/.git")).unwrap();
        let students = discover(dir.path(), None).unwrap();
        let found: Vec<(&str, EntryKind)> = students
            .iter()
            .map(|student| (student.id.as_str(), student.kind))
            .collect();
        assert_eq!(
            found,
            [
                ("alice", EntryKind::Folder),
                ("bob", EntryKind::Zip),
                ("carol", EntryKind::TarGz),
                ("dave", EntryKind::TarGz),
                ("eve", EntryKind::Unsupported),
                ("frank", EntryKind::GitRepository),
                ("ivan", EntryKind::Tar),
                ("judy", EntryKind::Unsupported),
            ]
        );
    }

    #[test]
    fn two_entries_of_one_student_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("alice")).unwrap();
        std::fs::write(dir.path().join("alice.zip"), b"x").unwrap();
        let error = discover(dir.path(), None).unwrap_err().to_string();
        assert!(error.contains("`alice`"), "{error}");
    }

    #[test]
    fn a_wrapping_folder_is_entered_but_not_a_listed_one() {
        let dir = tempfile::tempdir().unwrap();
        let files = [PathBuf::from("src/bin/x.rs")];
        std::fs::create_dir_all(dir.path().join("alice/src/bin")).unwrap();
        std::fs::create_dir_all(dir.path().join("__MACOSX")).unwrap();
        assert_eq!(
            submission_root(dir.path(), &files),
            dir.path().join("alice")
        );
        let inner = dir.path().join("alice");
        assert_eq!(submission_root(&inner, &files), inner);
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(submission_root(empty.path(), &files), empty.path());
        assert_eq!(
            submission_root(Path::new("/nonexistent"), &files),
            Path::new("/nonexistent")
        );
    }

    #[test]
    fn a_folder_holding_one_archive_and_debris_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let moodle = dir.path().join("Grace Hopper_123456_assignsubmission_file");
        std::fs::create_dir(&moodle).unwrap();
        std::fs::write(moodle.join("lab1.ZIP"), b"x").unwrap();
        std::fs::write(moodle.join(".DS_Store"), b"x").unwrap();
        std::fs::write(moodle.join("Thumbs.db"), b"x").unwrap();
        assert_eq!(lone_archive(&moodle), Some(moodle.join("lab1.ZIP")));
        // A second file, a source file or a link is no lone archive.
        std::fs::write(moodle.join("notes.txt"), b"x").unwrap();
        assert_eq!(lone_archive(&moodle), None);
        let source = dir.path().join("source");
        std::fs::create_dir(&source).unwrap();
        std::fs::write(source.join("main.rs"), b"x").unwrap();
        assert_eq!(lone_archive(&source), None);
        let linked = dir.path().join("linked");
        std::fs::create_dir(&linked).unwrap();
        std::os::unix::fs::symlink(moodle.join("lab1.ZIP"), linked.join("lab1.zip")).unwrap();
        assert_eq!(lone_archive(&linked), None);
    }
}
