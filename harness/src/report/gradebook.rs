//! The gradebook: one CSV row per student, for a spreadsheet or an LMS import (Moodle,
//! Canvas; see `docs/batch.md`).
//!
//! Columns: `student`, `score`, `max`, `status` (`graded`, `incomplete`, `error`), then one per
//! check with its points. A student labgrade could not grade has an empty score, so that an
//! import leaves their grade alone instead of writing 0. Rows are sorted by student id and
//! numbers written as the human report writes them, so that equal results give equal bytes.

use std::io::{self, Write};

use super::points;
use crate::batch::{Manifest, Outcome, Record};

/// Writes the gradebook of `records` (sorted by student) for the batch of `manifest`.
pub fn write_gradebook(
    manifest: &Manifest,
    records: &[Record],
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header = vec!["student".to_owned(), "score".to_owned(), "max".to_owned()];
    header.push("status".to_owned());
    header.extend(manifest.checks.iter().map(|column| column.id.clone()));
    writer.write_record(&header)?;
    for record in records {
        let graded = record.outcome != Outcome::Error;
        let mut row = vec![
            record.student.clone(),
            if graded {
                points(record.score)
            } else {
                String::new()
            },
            points(manifest.max_score),
            record.outcome.as_str().to_owned(),
        ];
        row.extend(manifest.checks.iter().map(|column| {
            record
                .checks
                .iter()
                .find(|check| check.id == column.id)
                .map(|check| points(check.score))
                .unwrap_or_default()
        }));
        writer.write_record(&row)?;
    }
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::write_gradebook;
    use crate::batch::{CheckScore, Column, Key, Manifest, Outcome, Record, Shard};
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
        };
        let key = Key {
            submission: String::new(),
            rubric: String::new(),
            harness: String::new(),
        };
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
}
