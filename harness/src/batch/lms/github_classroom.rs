//! A GitHub Classroom clone, as `gh classroom clone student-repos` makes it: a folder
//! `<assignment>-submissions/` of repositories `<assignment>-<github login>/`. The login is the
//! student's id. The assignment's prefix is the folder's name without `-submissions`, or else
//! what every repository's name starts with, up to a `-`.

use std::path::Path;

use super::super::BatchError;
use super::super::entries::Student;
use super::Person;
use super::Source;
use super::class::{stray, student};

/// Whether `dir` holds only git repositories sharing an assignment's prefix.
pub(super) fn recognises(dir: &Path, names: &[String]) -> bool {
    !names.is_empty()
        && names
            .iter()
            .all(|name| dir.join(name).join(".git").exists())
        && prefix(dir, names).is_some()
}

/// The assignment's prefix of the repositories `names` of `dir` (`lab1-`).
fn prefix(dir: &Path, names: &[String]) -> Option<String> {
    let from_folder = dir
        .file_name()
        .and_then(|name| name.to_str())
        .and_then(|name| name.strip_suffix("-submissions"))
        .map(|assignment| format!("{assignment}-"));
    if let Some(prefix) = from_folder {
        return Some(prefix);
    }
    // Two repositories at least, or the prefix is anyone's guess.
    let [first, rest @ ..] = names else {
        return None;
    };
    if rest.is_empty() {
        return None;
    }
    let mut common = first.len();
    for name in rest {
        common = first
            .bytes()
            .zip(name.bytes())
            .take(common)
            .take_while(|(a, b)| a == b)
            .count();
    }
    // Bytes, so `müller` and `möller` share one: step back to a character's start.
    while !first.is_char_boundary(common) {
        common -= 1;
    }
    let cut = first[..common].rfind('-')? + 1;
    let prefix = first[..cut].to_owned();
    names
        .iter()
        .all(|name| name.len() > prefix.len())
        .then_some(prefix)
}

/// The students of GitHub Classroom clone `dir`, whose entries are `names`.
pub(super) fn students(dir: &Path, names: &[String]) -> Result<Vec<(Student, Person)>, BatchError> {
    let Some(prefix) = prefix(dir, names) else {
        return Err(BatchError::Layout(format!(
            "cannot tell the assignment's name in `{}`: name the folder `<assignment>-submissions`, as `gh classroom clone student-repos` does",
            dir.display()
        )));
    };
    names
        .iter()
        .map(|name| {
            let login = name
                .strip_prefix(&prefix)
                .filter(|login| !login.is_empty())
                .ok_or_else(|| {
                    stray(
                        dir,
                        name,
                        Source::GithubClassroom,
                        &format!("`{prefix}<github login>`"),
                    )
                })?;
            Ok((
                student(login, &dir.join(name)),
                Person::named(login, Some(login)),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{prefix, recognises};
    use std::path::Path;

    #[test]
    fn the_prefix_comes_from_the_folder_or_the_common_start() {
        let names = |list: &[&str]| {
            list.iter()
                .map(|name| (*name).to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            prefix(Path::new("/x/lab-1-submissions"), &names(&["lab-1-ada"])).as_deref(),
            Some("lab-1-")
        );
        assert_eq!(
            prefix(Path::new("/x/class"), &names(&["lab-1-ada", "lab-1-al-t"])).as_deref(),
            Some("lab-1-")
        );
        assert_eq!(prefix(Path::new("/x/class"), &names(&["lab-1-ada"])), None);
        // Their common start ends inside `ü`/`ö`, which share a first byte.
        assert_eq!(
            prefix(
                Path::new("/x/class"),
                &names(&["lab-1-müller", "lab-1-möller"])
            )
            .as_deref(),
            Some("lab-1-")
        );
        assert!(!recognises(
            Path::new("/nonexistent"),
            &names(&["a-b", "a-c"])
        ));
    }
}
