//! Batch grading: a whole class in one command, in parallel, resumable and shardable.
//!
//! [`run`] grades every entry of a folder (one per student: a folder, a git working tree, a
//! `.zip` or a `.tar.gz`) on several threads, each student in scratch folders of their own,
//! and writes each result to the output folder the moment it is known ([`journal`]). Running
//! it again reuses every result whose submission, rubric and labgrade are unchanged, so an
//! interrupted batch grades only what is missing. [`merge`] joins the output folders of shards
//! into the gradebook a single run would have written.
//!
//! Student problems, a bad archive included, are grades; a student labgrade could not grade
//! is recorded as that student's error and the batch goes on. Only bad input (a missing
//! folder, two entries of one student, shards that do not fit together) stops a batch.

mod entries;
mod extract;
mod fingerprint;
mod handed_in;
mod journal;
pub mod lms;
mod open;
mod progress;
mod shard;
mod sniff;
mod summary;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

pub use entries::{Kind, Student, discover, entry, submission_root};
pub use extract::{ArchiveProblem, Format, Limits};
pub use fingerprint::harness as harness_fingerprint;
pub use handed_in::{grade_handed_in, open_folder};
pub use journal::{
    CheckScore, Column, JOURNAL_VERSION, Key, Layout, Manifest, Outcome, Record, write_atomically,
};
pub use open::{OpenError, Opened, open_entry};
pub use progress::{Done, How, Plan, Progress, Silent};
pub use shard::{Shard, ShardSource, resolve as resolve_shard};
pub use sniff::Foreign;
pub use summary::{BINS, Summary, summarize};

use crate::error::{Error, io};
use crate::grade::{
    BuildGrade, BuildStatus, CheckStatus, Grade, GradeHeader, GradeStatus, total, unscored_check,
};
use crate::grader::Grader;
use lms::{ClassInfo, Source};

use crate::report::{
    ClassStudent, GradebookExport, Human, Json, Reporter, write_class_junit, write_gradebook,
    write_html, write_summary,
};
use crate::rubric::Rubric;

/// Graders are shared by every grading thread of a batch.
const _: () = assert_send_sync::<Grader>();
const fn assert_send_sync<T: Send + Sync>() {}

/// Why a batch could not run.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The batch folder does not exist.
    #[error("batch folder `{}` does not exist; pass the folder that holds one entry (folder, .zip, .tar.gz or .tgz) per student", path.display())]
    DirNotFound {
        /// The path given.
        path: PathBuf,
    },
    /// The batch folder is not a folder.
    #[error("`{}` is not a folder; pass the folder that holds one entry (folder, .zip, .tar.gz or .tgz) per student", path.display())]
    NotDirectory {
        /// The path given.
        path: PathBuf,
    },
    /// Two entries have the same student id.
    #[error("`{}` and `{}` are both submissions of student `{id}`; keep one of them", first.display(), second.display())]
    DuplicateStudent {
        /// The student id.
        id: String,
        /// One entry.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
    /// An entry's name is not UTF-8, so it cannot be a gradebook row.
    #[error("`{}` has a name that is not UTF-8; rename it to the student's id", path.display())]
    BadName {
        /// The entry.
        path: PathBuf,
    },
    /// A class download is not laid out as its LMS lays it out.
    #[error("{0}")]
    Layout(String),
    /// The roster (`--roster`) cannot be read.
    #[error("{0}")]
    Roster(String),
    /// The shard is wrong (`--shard`, the scheduler's environment).
    #[error("{0}")]
    Shard(String),
    /// The output folders given to `merge` do not fit together.
    #[error("{0}")]
    Merge(String),
    /// labgrade could not go on (its own files, the machine).
    #[error(transparent)]
    Labgrade(#[from] Error),
}

impl BatchError {
    /// Whether the error is in what the user gave, as opposed to the machine or labgrade.
    #[must_use]
    pub fn is_bad_input(&self) -> bool {
        match self {
            Self::Labgrade(error) => error.is_bad_input(),
            _ => true,
        }
    }
}

/// Settings of a batch.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// The folder with one entry per student.
    pub dir: PathBuf,
    /// The output folder.
    pub out: PathBuf,
    /// Students graded at once (at least 1). The grader should have as many build slots.
    pub jobs: usize,
    /// The shard to grade.
    pub shard: Shard,
    /// Where the shard came from, for the progress output.
    pub shard_source: ShardSource,
    /// Grade every student again, even those with a result to reuse.
    pub regrade: bool,
    /// Limits on unpacked archives.
    pub limits: Limits,
    /// Files to write the class's `JUnit` report to (`--report junit=PATH`), one testsuite per
    /// student whose JSON report is readable.
    pub class_junit: Vec<PathBuf>,
    /// The layout of `dir` (`--from`); recognised from its names when `None`.
    pub from: Option<Source>,
    /// The roster (`--roster`): names, e-mails, SIS ids and sections of the students.
    pub roster: Option<PathBuf>,
    /// The gradebook an LMS imports, written beside `gradebook.csv` (`--gradebook`).
    pub gradebook: GradebookExport,
}

/// What a finished batch (or merge) produced.
#[derive(Debug, Clone)]
pub struct BatchResult {
    /// The summary, also in `summary.txt`.
    pub summary: Summary,
    /// The output folder.
    pub out: PathBuf,
    /// The LMS's gradebook written beside `gradebook.csv`, if one was asked for.
    pub gradebook_export: Option<PathBuf>,
}

impl BatchResult {
    /// Whether labgrade could not grade some student in full.
    #[must_use]
    pub fn has_errors(&self) -> bool {
        self.summary.errors + self.summary.incomplete > 0
    }
}

/// Grades every student of `options.dir` in `options.shard` against `rubric`, reusing the
/// results in `options.out` that still hold, and writes the gradebook and summary.
pub fn run(
    grader: &Grader,
    rubric: &Rubric,
    options: &BatchOptions,
    progress: &dyn Progress,
) -> Result<BatchResult, BatchError> {
    let class = lms::class(&options.dir, options.from, &options.out, options.limits)?;
    let mut people = class.people;
    if let Some(roster) = &options.roster {
        lms::apply_roster(roster, &mut people)?;
    }
    let all_students = class.students.len();
    let students: Vec<Student> = class
        .students
        .into_iter()
        .filter(|student| options.shard.contains(&student.id))
        .collect();
    people.retain(|person| options.shard.contains(&person.id));
    let layout = Layout::new(&options.out);
    layout.create()?;
    let mut manifest = manifest(rubric, options.shard, &students)?;
    manifest.class = ClassInfo {
        source: class.source,
        people,
        gradebook: options.gradebook.clone(),
    };
    manifest.write(&layout)?;

    let harness = fingerprint::harness();
    let mut reused = Vec::new();
    let mut todo = Vec::new();
    for student in students {
        let key = Key {
            submission: fingerprint::submission(&student, rubric)?,
            rubric: manifest.rubric_key.clone(),
            harness: harness.clone(),
        };
        let earlier = (!options.regrade)
            .then(|| Record::read(&layout.record(&student.id)))
            .flatten()
            .filter(|record| {
                record.key == key
                    && matches!(record.outcome, Outcome::Graded | Outcome::Unreadable)
                    && record.student == student.id
                    && layout.report(&student.id).is_file()
                    && layout.feedback(&student.id).is_file()
            });
        match earlier {
            Some(record) => reused.push(record),
            None => todo.push((student, key)),
        }
    }
    let jobs = options.jobs.max(1);
    progress.plan(&Plan {
        students: manifest.students.len(),
        reused: reused.len(),
        to_grade: todo.len(),
        all_students,
        shard: options.shard,
        shard_source: options.shard_source,
        jobs,
    });
    for record in &reused {
        progress.done(&Done {
            student: &record.student,
            how: How::Reused,
            score: Some(record.score),
            max_score: record.max_score,
            seconds: 0.0,
            note: record.note.as_deref(),
        });
    }

    grade_in_parallel(grader, rubric, options, &layout, &todo, jobs, progress)?;
    let result = finish(&layout, &manifest, &options.class_junit)?;
    progress.finished();
    Ok(result)
}

/// Grades the students of `todo` on `jobs` threads, each taking the next student when done.
/// An `Err` means results could not be written; the students graded before it are kept.
fn grade_in_parallel(
    grader: &Grader,
    rubric: &Rubric,
    options: &BatchOptions,
    layout: &Layout,
    todo: &[(Student, Key)],
    jobs: usize,
    progress: &dyn Progress,
) -> Result<(), Error> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let fatal: Mutex<Option<Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(todo.len()) {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some((student, key)) = todo.get(index) else {
                        break;
                    };
                    progress.started(&student.id);
                    let started = Instant::now();
                    let record = grade_student(grader, rubric, options, layout, student, key);
                    match record {
                        Ok(record) => progress.done(&Done {
                            student: &student.id,
                            how: match record.outcome {
                                Outcome::Error => How::Error,
                                Outcome::Unreadable => How::Unreadable,
                                Outcome::Graded | Outcome::Incomplete => How::Graded,
                            },
                            score: (record.outcome != Outcome::Error).then_some(record.score),
                            max_score: record.max_score,
                            seconds: started.elapsed().as_secs_f64(),
                            note: record.note.as_deref(),
                        }),
                        Err(error) => {
                            // Results cannot be written (a full disk): stop taking students.
                            stop.store(true, Ordering::Relaxed);
                            let mut fatal = fatal
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner);
                            fatal.get_or_insert(error);
                        }
                    }
                }
            });
        }
    });
    match fatal
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// Joins the output folders of the shards of one batch into `out`: the same gradebook,
/// summary and `batch.json`, byte for byte, as a single run would write, and every student's
/// reports and record.
pub fn merge(inputs: &[PathBuf], out: &Path) -> Result<BatchResult, BatchError> {
    let mut manifests = Vec::new();
    for input in inputs {
        let layout = Layout::new(input);
        let manifest = Manifest::read(&layout).map_err(BatchError::Merge)?;
        manifests.push((layout, manifest));
    }
    let Some((_, first)) = manifests.first() else {
        return Err(BatchError::Merge(
            "nothing to merge; pass the output folders of the shards".to_owned(),
        ));
    };
    let first = first.clone();
    same_class(&manifests)?;
    let mut seen = vec![false; first.shard.count as usize];
    for (layout, manifest) in &manifests {
        if manifest.rubric_key != first.rubric_key || manifest.checks != first.checks {
            return Err(BatchError::Merge(format!(
                "`{}` was graded with another rubric (or exercise package) than `{}`; grade every shard with the same one",
                layout.out().display(),
                manifests[0].0.out().display()
            )));
        }
        if manifest.shard.count != first.shard.count {
            return Err(BatchError::Merge(format!(
                "`{}` is shard {} but `{}` is shard {}; merge shards of one split",
                layout.out().display(),
                manifest.shard,
                manifests[0].0.out().display(),
                first.shard
            )));
        }
        let slot = &mut seen[manifest.shard.index as usize - 1];
        if *slot {
            return Err(BatchError::Merge(format!(
                "shard {} is given twice (again in `{}`)",
                manifest.shard,
                layout.out().display()
            )));
        }
        *slot = true;
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, seen)| !**seen)
        .map(|(index, _)| format!("{}/{}", index + 1, first.shard.count))
        .collect();
    if !missing.is_empty() {
        return Err(BatchError::Merge(format!(
            "shard{} {} {} missing; pass the output folder of every shard",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            if missing.len() == 1 { "is" } else { "are" }
        )));
    }

    let target = Layout::new(out);
    target.create()?;
    let mut students = Vec::new();
    let mut people = Vec::new();
    for (layout, manifest) in &manifests {
        people.extend(manifest.class.people.iter().cloned());
        for student in &manifest.students {
            let record = Record::read(&layout.record(student)).ok_or_else(|| {
                BatchError::Merge(format!(
                    "shard {} in `{}` has no result for student `{student}`: it did not finish; run that shard again, then merge",
                    manifest.shard,
                    layout.out().display()
                ))
            })?;
            for (from, to) in [
                (layout.report(student), target.report(student)),
                (layout.feedback(student), target.feedback(student)),
            ] {
                if from.is_file() {
                    let bytes = std::fs::read(&from).map_err(io("read", &from))?;
                    write_atomically(&to, |out| out.write_all(&bytes))?;
                }
            }
            record.write(&target.record(student))?;
            students.push(student.clone());
        }
    }
    students.sort();
    people.sort_by(|a: &lms::Person, b| a.id.cmp(&b.id));
    let manifest = Manifest {
        shard: Shard::WHOLE,
        students,
        class: ClassInfo {
            people,
            ..first.class.clone()
        },
        ..first
    };
    manifest.write(&target)?;
    Ok(finish(&target, &manifest, &[])?)
}

/// Refuses shards graded from different kinds of class download or for different gradebooks.
fn same_class(manifests: &[(Layout, Manifest)]) -> Result<(), BatchError> {
    let Some((first_layout, first)) = manifests.first() else {
        return Ok(());
    };
    match manifests.iter().find(|(_, manifest)| {
        manifest.class.source != first.class.source
            || manifest.class.gradebook != first.class.gradebook
    }) {
        Some((layout, _)) => Err(BatchError::Merge(format!(
            "`{}` was graded from another kind of class download or for another gradebook than `{}`; grade every shard with the same `--from` and `--gradebook`",
            layout.out().display(),
            first_layout.out().display()
        ))),
        None => Ok(()),
    }
}

/// Writes the gradebook, summary, class report and `class_junit` files of `manifest`'s students
/// from their records and JSON reports.
fn finish(
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
        write_html(manifest, &summary, &students, out)
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

fn manifest(rubric: &Rubric, shard: Shard, students: &[Student]) -> Result<Manifest, Error> {
    Ok(Manifest {
        version: JOURNAL_VERSION,
        exercise: rubric.exercise.name.clone(),
        rubric_key: fingerprint::rubric(rubric)?,
        max_score: rubric.max_score(),
        checks: rubric
            .checks
            .iter()
            .map(|check| Column {
                id: check.id.clone(),
                title: check.title.clone(),
                max_score: f64::from(check.points),
            })
            .collect(),
        shard,
        students: students.iter().map(|student| student.id.clone()).collect(),
        class: ClassInfo::default(),
    })
}

/// Grades one student and writes their reports and record. An `Err` means results cannot be
/// written at all; everything about the student is in the record.
fn grade_student(
    grader: &Grader,
    rubric: &Rubric,
    options: &BatchOptions,
    layout: &Layout,
    student: &Student,
    key: &Key,
) -> Result<Record, Error> {
    // A panic is labgrade's bug, never the student's: it becomes this student's error.
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        grade_entry(grader, rubric, options, student)
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
        Ok((mut grade, note)) => {
            grade.submission = student.path.display().to_string();
            // An archive was unpacked to a folder gone by now: the entry is what replays it.
            grade.entry = Some(crate::grade::Entry {
                path: std::path::absolute(&student.path)
                    .unwrap_or_else(|_| student.path.clone())
                    .display()
                    .to_string(),
                kind: student.kind.name().to_owned(),
            });
            write_atomically(&layout.report(&student.id), |out| Json.report(&grade, out))?;
            // The human report without its colours: a file is read in an editor or an LMS.
            let mut styled = Vec::new();
            Human::default()
                .report(&grade, &mut styled)
                .map_err(io("write", layout.feedback(&student.id)))?;
            let plain = anstream::adapter::strip_bytes(&styled).into_vec();
            write_atomically(&layout.feedback(&student.id), |out| out.write_all(&plain))?;
            record_of(&student.id, key, &grade, note)
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
            }
        }
    };
    record.write(&layout.record(&student.id))?;
    Ok(record)
}

/// Why a student could not be graded (labgrade's side), in words.
struct GradeFailure(String);

/// The grade of one entry, with what made it unreadable if it was.
fn grade_entry(
    grader: &Grader,
    rubric: &Rubric,
    options: &BatchOptions,
    student: &Student,
) -> Result<(Grade, Option<String>), GradeFailure> {
    let failure = |error: Error| GradeFailure(error.to_string());
    match open_entry(student, &rubric.exercise.files, options.limits) {
        Ok(opened) => grader
            .grade(rubric, &opened.root)
            .map(|grade| (grade, None))
            .map_err(failure),
        Err(OpenError::Bad(note)) => Ok((verdict(rubric, student, &note), Some(note))),
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
    }
}
