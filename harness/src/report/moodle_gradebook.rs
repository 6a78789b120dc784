//! Moodle's grading worksheet (the assignment's *Upload grading worksheet*), which a grade
//! import (Grades → Import → CSV file) reads as well: `Identifier` (`Participant <id>`, the
//! participant id of a Moodle download, which the worksheet upload matches), `Full name`,
//! `Email address` and `ID number` (which the grade import's *Identify user by* maps to
//! `useremail` or `useridnumber`), `Grade`, `Maximum Grade`, and `Last modified (grade)`,
//! which the worksheet upload requires and labgrade leaves empty. A student labgrade could not
//! grade has an empty grade.

use std::io::{self, Write};

use super::gradebook::{optional_cell, plain_cell, score_cell, text_cell, write_row};
use super::gradebook_export::ClassGradebook;
use super::points;
use crate::class::{Manifest, Record, Source};

/// The worksheet's columns, in its order.
pub(super) const COLUMNS: [&str; 7] = [
    "Identifier",
    "Full name",
    "Email address",
    "ID number",
    "Grade",
    "Maximum Grade",
    "Last modified (grade)",
];

/// Moodle's grading worksheet.
pub(super) struct MoodleGradebook;

impl ClassGradebook for MoodleGradebook {
    fn write(
        &self,
        manifest: &Manifest,
        records: &[Record],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let header: Vec<String> = COLUMNS.iter().map(|name| plain_cell(name)).collect();
        write_row(out, &header)?;
        let participants = manifest.class.source == Source::Moodle;
        for record in records {
            let person = manifest.person(&record.student);
            let identifier = if participants {
                format!("Participant {}", record.student)
            } else {
                record.student.clone()
            };
            let row = vec![
                text_cell(&identifier),
                optional_cell(person.and_then(|person| person.name.as_ref())),
                optional_cell(person.and_then(|person| person.email.as_ref())),
                optional_cell(person.and_then(|person| person.sis_user_id.as_ref())),
                score_cell(record),
                plain_cell(&points(manifest.max_score)),
                String::new(),
            ];
            write_row(out, &row)?;
        }
        out.flush()
    }
}
