//! The gradebook: one CSV row per student, for a spreadsheet or an LMS import (Moodle,
//! Canvas; see `docs/batch.md`).
//!
//! Columns: `student`, `score`, `max`, `status` (`graded`, `incomplete`, `unreadable`,
//! `error`), then one per check with its points. A student labgrade could not grade has an empty score, so that an
//! import leaves their grade alone instead of writing 0. Rows are sorted by student id and
//! numbers written as the human report writes them, so that equal results give equal bytes.
//!
//! A student id is a folder or archive name the student chose, and a spreadsheet runs a cell
//! that starts with `=`, `+`, `-` or `@` (or a tab or carriage return) as a formula
//! (`=HYPERLINK(…)`, `=cmd|…`). Every text cell (ids of students and checks) is written as
//! OWASP's CSV injection guidance says: such a cell gets a leading `'`, which spreadsheets read
//! as "text" and do not show, and is quoted; a cell holding a separator a spreadsheet may split
//! on (`,`, `;`, tab) or a quote or line break is quoted too. Everything else is unchanged.

use std::io::{self, Write};

use super::points;
use crate::class::{Manifest, Outcome, Record};

/// What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Writes the gradebook of `records` (sorted by student) for the batch of `manifest`.
pub fn write_gradebook(
    manifest: &Manifest,
    records: &[Record],
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut header: Vec<String> = ["student", "score", "max", "status"]
        .iter()
        .map(|name| plain_cell(name))
        .collect();
    header.extend(manifest.checks.iter().map(|column| text_cell(&column.id)));
    write_row(out, &header)?;
    for record in records {
        let graded = record.outcome != Outcome::Error;
        let mut row = vec![
            text_cell(&record.student),
            if graded {
                plain_cell(&points(record.score))
            } else {
                String::new()
            },
            plain_cell(&points(manifest.max_score)),
            plain_cell(record.outcome.as_str()),
        ];
        row.extend(manifest.checks.iter().map(|column| {
            record
                .checks
                .iter()
                .find(|check| check.id == column.id)
                .map(|check| plain_cell(&points(check.score)))
                .unwrap_or_default()
        }));
        write_row(out, &row)?;
    }
    out.flush()
}

pub(super) fn write_row(out: &mut dyn Write, cells: &[String]) -> io::Result<()> {
    writeln!(out, "{}", cells.join(","))
}

/// A cell labgrade wrote (a number, a status, a fixed header), quoted only as CSV (RFC 4180)
/// needs.
pub(super) fn plain_cell(value: &str) -> String {
    if value.contains([',', '"', '\r', '\n']) {
        quoted(value)
    } else {
        value.to_owned()
    }
}

/// A cell of someone else's text (a student id), which no spreadsheet may run: see the module's
/// documentation.
pub(super) fn text_cell(value: &str) -> String {
    if value.starts_with(FORMULA_STARTS) {
        quoted(&format!("'{value}"))
    } else if value.contains([',', ';', '\t', '"', '\r', '\n']) {
        quoted(value)
    } else {
        value.to_owned()
    }
}

/// A cell of someone else's text that may be missing (empty then).
pub(super) fn optional_cell(value: Option<&String>) -> String {
    value.map(|value| text_cell(value)).unwrap_or_default()
}

/// A student's points for an LMS import, which has no status column: empty when labgrade could
/// not grade them or could not read what they handed in, so that the import leaves their grade
/// alone and the TA decides (the class report lists them), instead of writing a false 0.
pub(super) fn score_cell(record: &Record) -> String {
    if matches!(record.outcome, Outcome::Error | Outcome::Unreadable) {
        String::new()
    } else {
        plain_cell(&points(record.score))
    }
}

/// `value` in double quotes, its own double quotes doubled.
fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::write_gradebook;
    use crate::class::{CheckScore, Column, Key, Manifest, Outcome, Record, Shard};
    use crate::grade::CheckStatus;

    #[test]
    fn rows_hold_scores_per_check_and_errors_stay_empty() {
        let manifest = Manifest {
            version: 1,
            exercise: "x".to_owned(),
            rubric_key: String::new(),
            max_score: 60.0,
            checks: vec![
                Column {
                    id: "a".to_owned(),
                    title: "A, with a comma".to_owned(),
                    max_score: 30.0,
                },
                Column {
                    id: "b".to_owned(),
                    title: "B".to_owned(),
                    max_score: 30.0,
                },
            ],
            shard: Shard::WHOLE,
            students: vec![],
            class: crate::class::ClassInfo::default(),
        };
        let key = Key::default();
        let record = |student: &str, outcome, checks: Vec<(&str, f64)>| Record {
            version: 1,
            student: student.to_owned(),
            key: key.clone(),
            outcome,
            score: checks.iter().map(|(_, score)| score).sum(),
            max_score: 60.0,
            checks: checks
                .into_iter()
                .map(|(id, score)| CheckScore {
                    id: id.to_owned(),
                    score,
                    status: CheckStatus::Partial,
                })
                .collect(),
            note: None,
            similarity: None,
        };
        let records = [
            record(
                "alice",
                Outcome::Graded,
                vec![("a", 30.0), ("b", 20.0 / 3.0)],
            ),
            record("bob, jr", Outcome::Error, vec![]),
        ];
        let mut out = Vec::new();
        write_gradebook(&manifest, &records, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "student,score,max,status,a,b\nalice,36.67,60,graded,30,6.67\n\"bob, jr\",,60,error,,\n"
        );
    }

    /// Ids a student can give their folder, each of which a spreadsheet would run or split.
    const HOSTILE_IDS: [&str; 8] = [
        "=HYPERLINK(\"http://x\")",
        "+1+2",
        "-2+3",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
        "a;=1+1",
        "cmd,=1",
    ];

    fn hostile_gradebook() -> String {
        let manifest = Manifest {
            version: 1,
            exercise: "x".to_owned(),
            rubric_key: String::new(),
            max_score: 10.0,
            checks: vec![Column {
                id: "-a".to_owned(),
                title: "A".to_owned(),
                max_score: 10.0,
            }],
            shard: Shard::WHOLE,
            students: vec![],
            class: crate::class::ClassInfo::default(),
        };
        let records: Vec<Record> = HOSTILE_IDS
            .iter()
            .map(|student| Record {
                version: 1,
                student: (*student).to_owned(),
                key: Key::default(),
                outcome: Outcome::Graded,
                score: 10.0,
                max_score: 10.0,
                checks: vec![CheckScore {
                    id: "-a".to_owned(),
                    score: 10.0,
                    status: CheckStatus::Passed,
                }],
                note: None,
                similarity: None,
            })
            .collect();
        let mut out = Vec::new();
        write_gradebook(&manifest, &records, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn formulas_in_ids_are_written_as_text_as_owasp_says() {
        assert_eq!(
            hostile_gradebook(),
            "student,score,max,status,\"'-a\"\n\
             \"'=HYPERLINK(\"\"http://x\"\")\",10,10,graded,10\n\
             \"'+1+2\",10,10,graded,10\n\
             \"'-2+3\",10,10,graded,10\n\
             \"'@SUM(A1)\",10,10,graded,10\n\
             \"'\t=1\",10,10,graded,10\n\
             \"'\r=1\",10,10,graded,10\n\
             \"a;=1+1\",10,10,graded,10\n\
             \"cmd,=1\",10,10,graded,10\n"
        );
    }

    #[test]
    fn a_csv_reader_sees_every_id_unchanged_but_for_a_leading_quote() {
        let text = hostile_gradebook();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let read: Vec<(String, String)> = reader
            .records()
            .map(|row| {
                let row = row.unwrap();
                (row[0].to_owned(), row[1].to_owned())
            })
            .collect();
        let expected: Vec<(String, String)> = HOSTILE_IDS
            .iter()
            .map(|id| {
                let neutralised = if id.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                    format!("'{id}")
                } else {
                    (*id).to_owned()
                };
                (neutralised, "10".to_owned())
            })
            .collect();
        assert_eq!(read, expected);
    }

    #[test]
    fn no_cell_starts_a_formula_whatever_separator_the_spreadsheet_splits_on() {
        let text = hostile_gradebook();
        // Excel splits on `;` where that is the locale's list separator, some imports on tabs.
        for delimiter in [b',', b';', b'\t'] {
            let mut reader = csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .has_headers(false)
                .flexible(true)
                .from_reader(text.as_bytes());
            for row in reader.records() {
                for cell in &row.unwrap() {
                    assert!(
                        !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                        "split on {:?}, a cell starts a formula: {cell:?}",
                        char::from(delimiter)
                    );
                }
            }
        }
    }
}
