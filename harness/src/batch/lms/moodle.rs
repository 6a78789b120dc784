//! Moodle's "Download all submissions": a folder per student,
//! `Full Name_<participant id>_assignsubmission_file_/` (and `..._onlinetext_/` for online
//! text), or with "Download submissions in folders" off, flat files
//! `Full Name_<participant id>_assignsubmission_file_<original name>`. The participant id is the
//! student's id; Moodle's assignment takes it back as `Participant <id>`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use super::super::BatchError;
use super::super::entries::Student;
use super::Person;
use super::Source;
use super::class::{one_entry, stray, student};

/// `<full name>_<participant id>_assignsubmission_<plugin>_<original name, when flat>`.
static NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?P<name>.+?)_(?P<id>[0-9]+)_assignsubmission_(?P<plugin>[a-z]+)(?:_(?P<rest>.*))?$",
    )
    .expect("a valid pattern")
});

/// Whether most entries are named as Moodle names submissions. Most, not all: a file a TA left
/// in a Moodle download is then named as stray; not some: in a class of plain folders, one
/// student who kept Moodle's name for theirs does not make the class a Moodle download.
pub(super) fn recognises(names: &[String]) -> bool {
    let moodle = names.iter().filter(|name| NAME.is_match(name)).count();
    moodle * 2 > names.len()
}

/// One entry of a participant: its path and whether it is the file submission (graded before
/// online text).
struct Found {
    path: PathBuf,
    files: bool,
}

/// The students of Moodle download `dir`, whose entries are `names`.
pub(super) fn students(dir: &Path, names: &[String]) -> Result<Vec<(Student, Person)>, BatchError> {
    let mut by_id: BTreeMap<String, (String, Vec<Found>)> = BTreeMap::new();
    for name in names {
        let Some(parts) = NAME.captures(name) else {
            return Err(stray(
                dir,
                name,
                Source::Moodle,
                "`Full Name_<participant id>_assignsubmission_file_`",
            ));
        };
        let found = Found {
            path: dir.join(name),
            files: &parts["plugin"] == "file",
        };
        by_id
            .entry(parts["id"].to_owned())
            .or_insert_with(|| (parts["name"].to_owned(), Vec::new()))
            .1
            .push(found);
    }
    let mut students = Vec::new();
    for (id, (name, found)) in by_id {
        // The files handed in, when there are any; the online text only otherwise.
        let has_files = found.iter().any(|found| found.files);
        let paths = found
            .into_iter()
            .filter(|found| found.files == has_files)
            .map(|found| found.path)
            .collect();
        let path = one_entry(&id, paths)?;
        students.push((student(&id, &path), Person::named(&id, Some(&name))));
    }
    Ok(students)
}

#[cfg(test)]
mod tests {
    use super::super::class::ids_names_entries;
    use super::{recognises, students};

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn a_download_is_moodles_when_most_entries_are_named_as_moodle_names_them() {
        let moodle = "Grace Hopper_123456_assignsubmission_file";
        assert!(recognises(&names(&[
            moodle,
            "Ada_98_assignsubmission_file_",
            "notes.txt"
        ])));
        // One student of a class of folders who kept Moodle's name for theirs.
        assert!(!recognises(&names(&[moodle, "alice", "bob.zip"])));
        assert!(!recognises(&names(&[])));
    }

    #[test]
    fn participants_are_named_by_id_and_files_win_over_online_text() {
        let dir = tempfile::tempdir().unwrap();
        let names: Vec<String> = [
            "Grace Hopper_123456_assignsubmission_file_",
            "Grace Hopper_123456_assignsubmission_onlinetext_",
            "Ada_Lovelace_98_assignsubmission_onlinetext_",
            "Alan Turing_7_assignsubmission_file_lab1.zip",
        ]
        .map(ToOwned::to_owned)
        .to_vec();
        for name in &names {
            if name.ends_with('_') {
                std::fs::create_dir(dir.path().join(name)).unwrap();
            } else {
                std::fs::write(dir.path().join(name), b"PK").unwrap();
            }
        }
        let found = students(dir.path(), &names).unwrap();
        let seen = ids_names_entries(&found);
        assert_eq!(
            seen,
            [
                (
                    "123456",
                    "Grace Hopper",
                    "Grace Hopper_123456_assignsubmission_file_".to_owned()
                ),
                (
                    "7",
                    "Alan Turing",
                    "Alan Turing_7_assignsubmission_file_lab1.zip".to_owned()
                ),
                (
                    "98",
                    "Ada_Lovelace",
                    "Ada_Lovelace_98_assignsubmission_onlinetext_".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn a_stray_entry_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let names = vec!["notes.txt".to_owned()];
        let error = students(dir.path(), &names).unwrap_err().to_string();
        assert!(
            error.contains("notes.txt") && error.contains("--from folders"),
            "{error}"
        );
    }
}
