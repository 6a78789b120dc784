//! Gradescope's "Export submissions": a folder per submission, `submission_<id>/`, and
//! `submission_metadata.yml`, which names each submission's submitters (name, sid, email) and
//! when it was made. A student may have several submissions: only their latest counts. A
//! student's id is their sid, or their e-mail when the course has no sids; every member of a
//! group submission is graded on it.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use serde_norway::Value;

use super::super::BatchError;
use super::super::entries::Student;
use super::Person;
use super::Source;
use super::class::{stray, student};

/// The metadata file of an export.
pub(super) const METADATA: &str = "submission_metadata.yml";

/// One submission in the metadata (Ruby symbols as keys, as Gradescope writes them).
#[derive(Debug, Deserialize)]
struct Submission {
    #[serde(rename = ":submitters", default)]
    submitters: Vec<Submitter>,
    #[serde(rename = ":created_at", default)]
    created_at: Option<Value>,
}

/// A student of a submission.
#[derive(Debug, Deserialize)]
struct Submitter {
    #[serde(rename = ":name", default)]
    name: Option<Value>,
    #[serde(rename = ":sid", default)]
    sid: Option<Value>,
    #[serde(rename = ":email", default)]
    email: Option<Value>,
}

/// Whether `dir` is a Gradescope export: it has the metadata file.
pub(super) fn recognises(dir: &Path) -> bool {
    dir.join(METADATA).is_file()
}

/// A scalar of the metadata as text (a sid may be written as a number); empty is none.
fn text(value: Option<&Value>) -> Option<String> {
    let text = match value? {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        _ => return None,
    };
    let text = text.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// When a submission was made, as Gradescope writes it (`2024-02-01 14:03:11.123456 -0800`).
fn time(value: Option<&Value>) -> Option<DateTime<FixedOffset>> {
    let text = text(value)?;
    ["%Y-%m-%d %H:%M:%S%.f %z", "%Y-%m-%d %H:%M:%S%.f %:z"]
        .iter()
        .find_map(|format| DateTime::parse_from_str(&text, format).ok())
        .or_else(|| DateTime::parse_from_rfc3339(&text).ok())
}

/// The latest submission of one student so far.
struct Latest {
    folder: String,
    order: (Option<DateTime<FixedOffset>>, u64),
    person: Person,
}

/// The students of Gradescope export `dir`, whose entries are `names`.
pub(super) fn students(dir: &Path, names: &[String]) -> Result<Vec<(Student, Person)>, BatchError> {
    let path = dir.join(METADATA);
    let contents = std::fs::read_to_string(&path).map_err(|error| {
        BatchError::Layout(format!(
            "cannot read `{}` ({error}); a Gradescope export holds it beside the `submission_<id>` folders",
            path.display()
        ))
    })?;
    let metadata: BTreeMap<String, Submission> =
        serde_norway::from_str(&contents).map_err(|error| {
            let line = error
                .location()
                .map_or_else(String::new, |location| format!(":{}", location.line()));
            BatchError::Layout(format!(
                "`{}{line}` is not Gradescope's submission metadata: {error}; export the submissions again",
                path.display()
            ))
        })?;
    for name in names {
        if name != METADATA && !metadata.contains_key(name) {
            return Err(stray(
                dir,
                name,
                Source::Gradescope,
                "a `submission_<id>` folder listed in submission_metadata.yml",
            ));
        }
    }
    let mut latest: BTreeMap<String, Latest> = BTreeMap::new();
    for (folder, submission) in &metadata {
        if !dir.join(folder).is_dir() {
            return Err(BatchError::Layout(format!(
                "`{}` lists submission `{folder}`, but `{}` is not a folder; export the submissions again",
                path.display(),
                dir.join(folder).display()
            )));
        }
        let number = folder
            .strip_prefix("submission_")
            .and_then(|number| number.parse().ok())
            .unwrap_or(0);
        let order = (time(submission.created_at.as_ref()), number);
        for submitter in &submission.submitters {
            let email = text(submitter.email.as_ref());
            let Some(id) = text(submitter.sid.as_ref()).or_else(|| email.clone()) else {
                return Err(BatchError::Layout(format!(
                    "`{}`: a submitter of `{folder}` has neither a sid nor an e-mail, so the gradebook cannot name them; export the submissions again",
                    path.display()
                )));
            };
            let person = Person {
                email,
                ..Person::named(&id, text(submitter.name.as_ref()).as_deref())
            };
            let newer = latest.get(&id).is_none_or(|earlier| earlier.order < order);
            if newer {
                latest.insert(
                    id,
                    Latest {
                        folder: folder.clone(),
                        order,
                        person,
                    },
                );
            }
        }
    }
    Ok(latest
        .into_iter()
        .map(|(id, latest)| (student(&id, &dir.join(&latest.folder)), latest.person))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::super::class::ids_names_entries;
    use super::{METADATA, students};

    #[test]
    fn only_the_latest_submission_of_each_student_counts() {
        let dir = tempfile::tempdir().unwrap();
        for folder in ["submission_101", "submission_102", "submission_103"] {
            std::fs::create_dir(dir.path().join(folder)).unwrap();
        }
        std::fs::write(
            dir.path().join(METADATA),
            "submission_101:\n  :submitters:\n  - :name: Ada Lovelace\n    :sid: '100'\n    :email: ada@example.edu\n  :created_at: 2024-02-01 10:00:00.000000000 -08:00\n\
             submission_102:\n  :submitters:\n  - :name: Ada Lovelace\n    :sid: '100'\n    :email: ada@example.edu\n  :created_at: 2024-02-01 19:30:00.000000000 +01:00\n\
             submission_103:\n  :submitters:\n  - :name: Grace Hopper\n    :sid: 200\n    :email: grace@example.edu\n  - :name: Alan Turing\n    :email: alan@example.edu\n  :created_at: 2024-02-02 09:00:00.000000000 -08:00\n",
        )
        .unwrap();
        let names = [
            "submission_101",
            "submission_102",
            "submission_103",
            METADATA,
        ]
        .map(ToOwned::to_owned)
        .to_vec();
        let found = students(dir.path(), &names).unwrap();
        let seen = ids_names_entries(&found);
        // 19:30 +01:00 is 10:30 -08:00: later than 10:00 -08:00.
        assert_eq!(
            seen,
            [
                ("100", "Ada Lovelace", "submission_102".to_owned()),
                ("200", "Grace Hopper", "submission_103".to_owned()),
                (
                    "alan@example.edu",
                    "Alan Turing",
                    "submission_103".to_owned()
                ),
            ]
        );
    }
}
