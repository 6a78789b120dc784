//! The class-level files of an output folder (gradebook, LMS gradebook, similarity, summary,
//! class report, class `JUnit`), written from the students' records and JSON reports.

use std::path::PathBuf;

use super::{BatchResult, Layout, Manifest, Record, summarize, write_atomically};
use crate::error::Error;
use crate::grade::Grade;
use crate::report::{
    ClassStudent, write_class_junit, write_gradebook, write_html, write_similarity, write_summary,
};
use crate::similarity::{Fingerprints, compare};

/// Writes the gradebook, summary, class report and `class_junit` files of `manifest`'s students
/// from their records and JSON reports.
pub(super) fn finish(
    layout: &Layout,
    manifest: &Manifest,
    class_junit: &[PathBuf],
) -> Result<BatchResult, Error> {
    let records: Vec<Record> = manifest
        .students
        .iter()
        .filter_map(|student| Record::read(&layout.record(student)))
        .collect();
    write_atomically(&layout.gradebook(), |out| {
        write_gradebook(manifest, &records, out)
    })?;
    let gradebook = &manifest.class.gradebook;
    let gradebook_export = match (gradebook.file_name(), gradebook.writer()) {
        (Some(name), Some(writer)) => {
            let path = layout.out().join(name);
            write_atomically(&path, |out| writer.write(manifest, &records, out))?;
            Some(path)
        }
        _ => None,
    };
    // Pairs from the records' fingerprints alone, so that a merge finds the pairs one run does.
    let class: Vec<Option<&Fingerprints>> = records
        .iter()
        .map(|record| record.similarity.as_ref())
        .collect();
    let similarity = compare(&class);
    write_atomically(&layout.similarity(), |out| {
        write_similarity(&records, &similarity, out)
    })?;
    let summary = summarize(manifest, &records);
    write_atomically(&layout.summary(), |out| write_summary(&summary, out))?;
    // The class report reads each student's JSON report back, so that a merge (which copies
    // them) writes the page a run over the same reports writes. A report it cannot read (one
    // of another labgrade version) leaves that student with their record alone in the page.
    let grades: Vec<Option<Grade>> = records
        .iter()
        .map(|record| {
            let text = std::fs::read_to_string(layout.report(&record.student)).ok()?;
            serde_json::from_str(&text).ok()
        })
        .collect();
    let students: Vec<ClassStudent<'_>> = records
        .iter()
        .zip(&grades)
        .map(|(record, grade)| ClassStudent {
            record,
            grade: grade.as_ref(),
        })
        .collect();
    write_atomically(&layout.html(), |out| {
        write_html(manifest, &summary, &students, &similarity, out)
    })?;
    if !class_junit.is_empty() {
        let readable: Vec<(String, Grade)> = records
            .iter()
            .zip(grades)
            .filter_map(|(record, grade)| Some((record.student.clone(), grade?)))
            .collect();
        for path in class_junit {
            write_atomically(path, |out| {
                write_class_junit(&manifest.exercise, &readable, out)
            })?;
        }
    }
    Ok(BatchResult {
        summary,
        out: layout.out().to_owned(),
        gradebook_export,
    })
}
