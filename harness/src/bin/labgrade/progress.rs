//! Progress on stderr of `labgrade batch` (a bar on a terminal, plain lines otherwise: logs,
//! CI) and of `grade` and `check` (a spinner, or a line per step); nothing with `--quiet`.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use labgrade::batch::{Done, How, Plan, Progress, ShardSource, Silent};
use labgrade::report::{inert_line, points};
use labgrade::stage::{Observer, Stage, Unobserved};

/// The progress output for stderr.
pub(crate) fn for_stderr(quiet: bool) -> Box<dyn Progress> {
    if quiet {
        Box::new(Silent)
    } else if std::io::stderr().is_terminal() {
        Box::new(Bar::new())
    } else {
        Box::new(Lines::default())
    }
}

/// What `grade` and `check` are doing, on stderr: a spinner on a terminal, a line per
/// step otherwise (logs, CI), nothing with `--quiet`.
pub(crate) fn grading_on_stderr(quiet: bool) -> Arc<dyn Observer> {
    if quiet {
        Arc::new(Unobserved)
    } else if std::io::stderr().is_terminal() {
        let spinner = ProgressBar::new_spinner();
        spinner.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        spinner.enable_steady_tick(Duration::from_millis(100));
        Arc::new(Spinner(spinner))
    } else {
        Arc::new(StageLines)
    }
}

/// A step of grading in words.
fn stage_text(stage: &Stage<'_>) -> String {
    match stage {
        Stage::Assembling => "copying the submission's files".to_owned(),
        Stage::Fetching => "fetching the exercise's dependencies".to_owned(),
        Stage::Building { first: true } => "building; the first build also compiles the exercise's dependencies, which takes a minute or two once".to_owned(),
        Stage::Building { first: false } => "building".to_owned(),
        Stage::Reusing => "these files were built before: reusing that build".to_owned(),
        Stage::Running {
            check,
            check_number,
            checks,
            case,
            case_number,
            cases,
        } => format!(
            "check {check_number} of {checks}, {}: case {} ({case_number} of {cases})",
            inert_line(check),
            inert_line(case)
        ),
    }
}

/// A spinner with the time spent and the step; cleared when dropped, before the report.
#[derive(Debug)]
struct Spinner(ProgressBar);

impl Observer for Spinner {
    fn stage(&self, stage: &Stage<'_>) {
        self.0.set_message(stage_text(stage));
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// A line per step, and per check rather than per case, for logs.
#[derive(Debug)]
struct StageLines;

impl Observer for StageLines {
    fn stage(&self, stage: &Stage<'_>) {
        match stage {
            Stage::Assembling => {}
            Stage::Running { case_number, .. } if *case_number > 1 => {}
            Stage::Running {
                check,
                check_number,
                checks,
                ..
            } => line(&format!(
                "labgrade: check {check_number} of {checks}, {}",
                inert_line(check)
            )),
            _ => line(&format!("labgrade: {}", stage_text(stage))),
        }
    }
}

/// The first line: what will be graded.
fn plan_line(plan: &Plan) -> String {
    let shard = match plan.shard_source {
        ShardSource::Whole => String::new(),
        ShardSource::Argument => {
            format!(" (shard {} of {} students)", plan.shard, plan.all_students)
        }
        ShardSource::Kubernetes => format!(
            " (shard {} from JOB_COMPLETION_INDEX, of {} students)",
            plan.shard, plan.all_students
        ),
        ShardSource::Slurm => format!(
            " (shard {} from SLURM_ARRAY_TASK_ID, of {} students)",
            plan.shard, plan.all_students
        ),
    };
    format!(
        "{} students{shard}: {} reused from an earlier run, {} to grade with {} job{}",
        plan.students,
        plan.reused,
        plan.to_grade,
        plan.jobs,
        if plan.jobs == 1 { "" } else { "s" }
    )
}

fn score(done: &Done<'_>) -> String {
    done.score.map_or_else(
        || "-".to_owned(),
        |score| format!("{}/{}", points(score), points(done.max_score)),
    )
}

/// A student id and a note are the student's (a folder or archive name, what was wrong with
/// their archive): both are shown through `inert_line`, so that a log or terminal never
/// receives their control characters.
fn note_of(done: &Done<'_>) -> String {
    done.note
        .map(|note| format!(" ({})", inert_line(note)))
        .unwrap_or_default()
}

/// One line per student, for logs.
#[derive(Default)]
struct Lines {
    /// Students graded so far, and how many there are to grade.
    counts: Mutex<(usize, usize)>,
}

/// Writes one line of progress.
fn line(text: &str) {
    // Progress that cannot be written is not worth stopping a batch for.
    let _ = writeln!(anstream::stderr(), "{text}");
}

impl Progress for Lines {
    fn plan(&self, plan: &Plan) {
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .1 = plan.to_grade;
        line(&plan_line(plan));
    }

    fn done(&self, done: &Done<'_>) {
        let note = note_of(done);
        let student = inert_line(done.student);
        if done.how == How::Reused {
            line(&format!("reused {student} {}{note}", score(done)));
            return;
        }
        let (count, total) = {
            let mut counts = self
                .counts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            counts.0 += 1;
            *counts
        };
        let word = match done.how {
            How::Error => "error",
            How::Unreadable => "unreadable",
            How::Graded | How::Reused => "graded",
        };
        line(&format!(
            "[{count}/{total}] {word} {student} {} in {:.1} s{note}",
            score(done),
            done.seconds
        ));
    }
}

/// A progress bar with done/total, rate and ETA.
struct Bar {
    bar: ProgressBar,
}

impl Bar {
    fn new() -> Self {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} students · {per_sec} · ETA {eta} · {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Self { bar }
    }
}

impl Progress for Bar {
    fn plan(&self, plan: &Plan) {
        self.bar.println(plan_line(plan));
        self.bar.set_length(plan.to_grade as u64);
    }

    fn started(&self, student: &str) {
        self.bar
            .set_message(format!("grading {}", inert_line(student)));
    }

    fn done(&self, done: &Done<'_>) {
        match done.how {
            How::Reused => {}
            How::Graded => {
                self.bar
                    .set_message(format!("{} {}", inert_line(done.student), score(done)));
                self.bar.inc(1);
            }
            How::Error | How::Unreadable => {
                let (word, otherwise) = if done.how == How::Error {
                    ("error", "labgrade could not grade it")
                } else {
                    ("unreadable", "labgrade could not read it")
                };
                self.bar.println(format!(
                    "{word} {}: {}",
                    inert_line(done.student),
                    inert_line(done.note.unwrap_or(otherwise))
                ));
                self.bar.inc(1);
            }
        }
    }

    fn finished(&self) {
        self.bar.finish_and_clear();
    }
}
