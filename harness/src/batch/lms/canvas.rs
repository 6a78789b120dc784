//! Canvas's "Download submissions": flat files
//! `<name>[_LATE]_<user id>_<submission id>_<original name>`, where `<name>` is the student's
//! sortable name lower-cased with its spaces and punctuation dropped (`lovelaceada`). The Canvas
//! user id is the student's id (the `ID` column of Canvas's gradebook), that name their display
//! name until a roster gives a better one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use super::super::BatchError;
use super::super::entries::Student;
use super::Person;
use super::Source;
use super::class::{one_entry, stray, student};

/// `<login>[_late]_<user id>_<submission or attachment id>_<original name>`.
static NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<login>[^_]+)(?i:_late)?_(?P<id>[0-9]+)_(?P<submission>[0-9]+)_(?P<rest>.+)$")
        .expect("a valid pattern")
});

/// Whether `dir` holds only files, each named as Canvas names submissions.
pub(super) fn recognises(dir: &Path, names: &[String]) -> bool {
    !names.is_empty()
        && names
            .iter()
            .all(|name| NAME.is_match(name) && dir.join(name).is_file())
}

/// The students of Canvas download `dir`, whose entries are `names`.
pub(super) fn students(dir: &Path, names: &[String]) -> Result<Vec<(Student, Person)>, BatchError> {
    let mut by_id: BTreeMap<String, (String, Vec<PathBuf>)> = BTreeMap::new();
    for name in names {
        let Some(parts) = NAME.captures(name) else {
            return Err(stray(
                dir,
                name,
                Source::Canvas,
                "`<login>_<user id>_<submission id>_<file name>`",
            ));
        };
        by_id
            .entry(parts["id"].to_owned())
            .or_insert_with(|| (parts["login"].to_owned(), Vec::new()))
            .1
            .push(dir.join(name));
    }
    by_id
        .into_iter()
        .map(|(id, (login, paths))| {
            let path = one_entry(&id, paths)?;
            Ok((student(&id, &path), Person::named(&id, Some(&login))))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{recognises, students};

    #[test]
    fn user_ids_name_students_late_or_not() {
        let dir = tempfile::tempdir().unwrap();
        let names: Vec<String> = [
            "lovelaceada_654321_9876543_lab1.zip",
            "hoppergrace_LATE_111_222_my_lab.tar.gz",
            "turingalan_late_5_6_lab.zip",
        ]
        .map(ToOwned::to_owned)
        .to_vec();
        for name in &names {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        assert!(recognises(dir.path(), &names));
        let found = students(dir.path(), &names).unwrap();
        let ids: Vec<(&str, &str)> = found
            .iter()
            .map(|(student, person)| (student.id.as_str(), person.name.as_deref().unwrap()))
            .collect();
        assert_eq!(
            ids,
            [
                ("111", "hoppergrace"),
                ("5", "turingalan"),
                ("654321", "lovelaceada")
            ]
        );
        assert!(!recognises(dir.path(), &["alice".to_owned()]));
    }
}
