//! Canvas's gradebook import (Grades → Import): the columns of Canvas's own export,
//! `Student`, `ID`, `SIS User ID`, `SIS Login ID`, `Section`, then the assignment's column as
//! the export names it (`Lab 1 (12345)`), and its second row, `Points Possible`, with the
//! assignment's points. Canvas matches a row by `ID` (the Canvas user id, the student id of a
//! Canvas download), else by the SIS ids of the roster. A student labgrade could not grade has
//! an empty cell, which leaves their grade alone.

use std::io::{self, Write};

use super::gradebook::{optional_cell, plain_cell, score_cell, text_cell, write_row};
use super::gradebook_export::ClassGradebook;
use super::points;
use crate::class::{Manifest, Record, Source};

/// The identifying columns of Canvas's gradebook, in its order.
pub(super) const COLUMNS: [&str; 5] = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"];

/// Canvas's gradebook import, with the assignment's column named `assignment`.
pub(super) struct CanvasGradebook<'a> {
    /// The assignment's column.
    pub(super) assignment: &'a str,
}

impl ClassGradebook for CanvasGradebook<'_> {
    fn write(
        &self,
        manifest: &Manifest,
        records: &[Record],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let mut header: Vec<String> = COLUMNS.iter().map(|name| plain_cell(name)).collect();
        header.push(text_cell(self.assignment));
        write_row(out, &header)?;
        // As Canvas's export writes it: the label indented, the identifying cells empty.
        let mut possible = vec![plain_cell("    Points Possible")];
        possible.extend(std::iter::repeat_n(String::new(), COLUMNS.len() - 1));
        possible.push(plain_cell(&points(manifest.max_score)));
        write_row(out, &possible)?;
        let canvas_ids = manifest.class.source == Source::Canvas;
        for record in records {
            let person = manifest.person(&record.student);
            let row = vec![
                text_cell(
                    person
                        .and_then(|person| person.name.as_deref())
                        .unwrap_or(&record.student),
                ),
                if canvas_ids {
                    text_cell(&record.student)
                } else {
                    String::new()
                },
                optional_cell(person.and_then(|person| person.sis_user_id.as_ref())),
                optional_cell(person.and_then(|person| person.sis_login_id.as_ref())),
                optional_cell(person.and_then(|person| person.section.as_ref())),
                score_cell(record),
            ];
            write_row(out, &row)?;
        }
        out.flush()
    }
}
