//! A batch run: the students of a shard graded on several threads, each result written the
//! moment it is known, and the results that still hold reused.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use super::finish::finish;
use super::lms::{self, ClassInfo, Source};
use super::similar::skeleton_of;
use super::student::grade_student;
use super::{
    BatchError, Column, Done, ExtractLimits, How, JOURNAL_VERSION, Key, Layout, Manifest, Outcome,
    Plan, Progress, Record, Shard, ShardSource, Student, Summary, fingerprint,
};
use crate::class::GradebookExport;
use crate::error::Error;
use crate::grader::Grader;
use crate::rubric::Rubric;

/// Graders are shared by every grading thread of a batch.
const _: () = assert_send_sync::<Grader>();
const fn assert_send_sync<T: Send + Sync>() {}

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
    pub limits: ExtractLimits,
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
    let skeleton = skeleton_of(rubric);
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
                    let record =
                        grade_student(grader, rubric, options, layout, student, key, &skeleton);
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
