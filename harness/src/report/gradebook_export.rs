//! The gradebook an LMS imports as it is (`--gradebook canvas|moodle`), written beside the
//! plain `gradebook.csv`, one file per format behind [`ClassGradebook`]. Which export a batch
//! asked for is data of the class ([`GradebookExport`], kept in `batch.json`); how each is
//! written is here.

use std::io::{self, Write};

use super::canvas_gradebook::CanvasGradebook;
use super::moodle_gradebook::MoodleGradebook;
use crate::class::{GradebookExport, Manifest, Record};

/// A class's gradebook in one LMS's import format.
pub trait ClassGradebook {
    /// Writes the gradebook of `records` (sorted by student) of the batch of `manifest`.
    fn write(&self, manifest: &Manifest, records: &[Record], out: &mut dyn Write)
    -> io::Result<()>;
}

impl GradebookExport {
    /// Its writer, if any.
    #[must_use]
    pub fn writer(&self) -> Option<Box<dyn ClassGradebook + '_>> {
        match self {
            Self::Plain => None,
            Self::Canvas { assignment } => Some(Box::new(CanvasGradebook { assignment })),
            Self::Moodle => Some(Box::new(MoodleGradebook)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::GradebookExport;
    use crate::class::{ClassInfo, Key, Manifest, Outcome, Person, Record, Shard, Source};

    fn written(export: &GradebookExport) -> String {
        let people = vec![
            Person {
                email: Some("@SUM(A1)".to_owned()),
                ..Person::named("1", Some("=HYPERLINK(\"http://x\")"))
            },
            Person::named("2", Some("-2+3")),
            Person::named("3", Some("Erin")),
        ];
        let manifest = Manifest {
            version: 1,
            exercise: "x".to_owned(),
            rubric_key: String::new(),
            max_score: 10.0,
            checks: vec![],
            shard: Shard::WHOLE,
            students: vec!["1".to_owned(), "2".to_owned(), "3".to_owned()],
            class: ClassInfo {
                source: Source::Canvas,
                people,
                gradebook: export.clone(),
            },
        };
        let record = |student: &str, outcome, score| Record {
            version: 1,
            student: student.to_owned(),
            key: Key::default(),
            outcome,
            score,
            max_score: 10.0,
            checks: vec![],
            note: None,
            similarity: None,
        };
        let records = [
            record("1", Outcome::Graded, 7.5),
            record("2", Outcome::Error, 0.0),
            record("3", Outcome::Unreadable, 0.0),
        ];
        let mut out = Vec::new();
        export
            .writer()
            .unwrap()
            .write(&manifest, &records, &mut out)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn names_from_an_lms_never_run_and_ungraded_or_unreadable_students_have_no_grade() {
        let canvas = GradebookExport::from_name("canvas", Some("=Lab 1")).unwrap();
        assert_eq!(
            written(&canvas),
            "Student,ID,SIS User ID,SIS Login ID,Section,\"'=Lab 1\"\n    \
             Points Possible,,,,,10\n\
             \"'=HYPERLINK(\"\"http://x\"\")\",1,,,,7.5\n\
             \"'-2+3\",2,,,,\n\
             Erin,3,,,,\n"
        );
        assert_eq!(
            written(&GradebookExport::Moodle),
            "Identifier,Full name,Email address,ID number,Grade,Maximum Grade,Last modified (grade)\n\
             1,\"'=HYPERLINK(\"\"http://x\"\")\",\"'@SUM(A1)\",,7.5,10,\n\
             2,\"'-2+3\",,,,10,\n\
             3,Erin,,,,10,\n"
        );
        assert!(GradebookExport::from_name("canvas", None).is_err());
        assert_eq!(GradebookExport::Plain.file_name(), None);
    }
}
