//! One student of a batch: graded in isolation (a panic or a bad archive is this student's
//! result, never the batch's end), their reports and record written.

use std::panic::{AssertUnwindSafe, catch_unwind};

use super::run::BatchOptions;
use super::similar::fingerprints_of;
use super::{
    CheckScore, JOURNAL_VERSION, Key, Layout, OpenError, Outcome, Record, Student, open_entry,
    write_atomically,
};
use crate::error::{Error, io};
use crate::grade::{
    BuildGrade, BuildStatus, CheckStatus, Grade, GradeHeader, GradeStatus, total, unscored_check,
};
use crate::grader::Grader;
use crate::report::{Human, Json, Reporter};
use crate::rubric::Rubric;
use crate::similarity::{Fingerprints, Skeleton};

/// Grades one student and writes their reports and record. An `Err` means results cannot be
/// written at all; everything about the student is in the record.
pub(super) fn grade_student(
    grader: &Grader,
    rubric: &Rubric,
    options: &BatchOptions,
    layout: &Layout,
    student: &Student,
    key: &Key,
    skeleton: &Skeleton,
) -> Result<Record, Error> {
    // A panic is labgrade's bug, never the student's: it becomes this student's error.
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        grade_entry(grader, rubric, options, student, skeleton)
    }))
    .unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(ToString::to_string)
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(GradeFailure(format!("labgrade panicked: {message}")))
    });
    let record = match outcome {
        Ok(Graded {
            mut grade,
            unreadable: note,
            similarity,
        }) => {
            grade.submission = student.path.display().to_string();
            // An archive was unpacked to a folder gone by now: the entry is what replays it.
            grade.entry = Some(crate::grade::Entry {
                path: std::path::absolute(&student.path)
                    .unwrap_or_else(|_| student.path.clone())
                    .display()
                    .to_string(),
                kind: student.kind,
            });
            write_atomically(&layout.report(&student.id), |out| Json.report(&grade, out))?;
            // The human report without its colours: a file is read in an editor or an LMS.
            let mut styled = Vec::new();
            Human::default()
                .report(&grade, &mut styled)
                .map_err(io("write", layout.feedback(&student.id)))?;
            let plain = anstream::adapter::strip_bytes(&styled).into_vec();
            write_atomically(&layout.feedback(&student.id), |out| out.write_all(&plain))?;
            Record {
                similarity,
                ..record_of(&student.id, key, &grade, note)
            }
        }
        Err(GradeFailure(reason)) => {
            // A stale report of an earlier run must not pass for this one's.
            let report = layout.report(&student.id);
            if report.exists() {
                std::fs::remove_file(&report).map_err(crate::error::io("remove", &report))?;
            }
            write_atomically(&layout.feedback(&student.id), |out| {
                writeln!(
                    out,
                    "labgrade could not grade `{}`: {}\nThis is not the submission's fault; the next run of the batch grades it again.",
                    crate::report::inert_line(&student.path.display().to_string()),
                    crate::report::inert_line(&reason)
                )
            })?;
            Record {
                version: JOURNAL_VERSION,
                student: student.id.clone(),
                key: key.clone(),
                outcome: Outcome::Error,
                score: 0.0,
                max_score: rubric.max_score(),
                checks: Vec::new(),
                note: Some(reason),
                similarity: None,
            }
        }
    };
    record.write(&layout.record(&student.id))?;
    Ok(record)
}

/// Why a student could not be graded (labgrade's side), in words.
struct GradeFailure(String);

/// One entry graded.
struct Graded {
    grade: Grade,
    /// What made the submission unreadable, if it was.
    unreadable: Option<String>,
    /// The fingerprints of its files, when it could be opened.
    similarity: Option<Fingerprints>,
}

/// The grade of one entry, with what made it unreadable if it was, and its fingerprints.
fn grade_entry(
    grader: &Grader,
    rubric: &Rubric,
    options: &BatchOptions,
    student: &Student,
    skeleton: &Skeleton,
) -> Result<Graded, GradeFailure> {
    let failure = |error: Error| GradeFailure(error.to_string());
    match open_entry(student, &rubric.exercise.files, options.limits) {
        Ok(opened) => grader
            .grade(rubric, &opened.root)
            .map(|grade| Graded {
                grade,
                unreadable: None,
                similarity: Some(fingerprints_of(rubric, &opened.root, skeleton)),
            })
            .map_err(failure),
        Err(OpenError::Bad(note)) => Ok(Graded {
            grade: verdict(rubric, student, &note),
            unreadable: Some(note),
            similarity: None,
        }),
        Err(OpenError::Local(error)) => Err(failure(error)),
    }
}

/// The grade of a submission that could not be read (a bad archive, an unsupported file):
/// nothing built, every check skipped, with `note` as the reason. Not "missing files": the
/// student may well have handed them in, in a form labgrade cannot open.
fn verdict(rubric: &Rubric, student: &Student, note: &str) -> Grade {
    let header = GradeHeader {
        exercise: rubric.exercise.name.clone(),
        rubric: rubric.path.display().to_string(),
        submission: student.path.display().to_string(),
        seed: 0,
    };
    let build = BuildGrade {
        status: BuildStatus::Unreadable,
        score: 0.0,
        max_score: f64::from(rubric.build.points),
        duration_ms: 0,
        reused: false,
        missing_files: Vec::new(),
        diagnostics: note.to_owned(),
    };
    let checks = rubric
        .checks
        .iter()
        .map(|check| {
            unscored_check(
                check,
                CheckStatus::Skipped,
                "not run: the submission could not be read".to_owned(),
                Vec::new(),
            )
        })
        .collect();
    total(header, build, checks)
}

/// The record of `grade`; `unreadable` says why the submission could not be read, if so.
fn record_of(student: &str, key: &Key, grade: &Grade, unreadable: Option<String>) -> Record {
    Record {
        version: JOURNAL_VERSION,
        student: student.to_owned(),
        key: key.clone(),
        outcome: if unreadable.is_some() {
            Outcome::Unreadable
        } else if grade.status == GradeStatus::Incomplete {
            Outcome::Incomplete
        } else {
            Outcome::Graded
        },
        score: grade.score,
        max_score: grade.max_score,
        checks: grade
            .checks
            .iter()
            .map(|check| CheckScore {
                id: check.id.clone(),
                score: check.score,
                status: check.status,
            })
            .collect(),
        note: unreadable,
        similarity: None,
    }
}
