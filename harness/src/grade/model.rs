//! The grade of a submission: scores, statuses and everything observed to justify them.
//!
//! These types are the contract of every report format; the JSON report serializes them as they
//! are (see `docs/report-format.md`), so renaming a field is a breaking change of
//! [`GRADE_FORMAT_VERSION`].

use std::collections::BTreeMap;

use serde::Serialize;

use crate::run::{CapturedOutput, Census, CgroupUsage, Termination};

/// Version of the grade's serialized form, bumped on any breaking change.
pub const GRADE_FORMAT_VERSION: u32 = 1;

/// The grade of one submission against one rubric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grade {
    /// [`GRADE_FORMAT_VERSION`].
    pub version: u32,
    /// Version of labgrade that computed the grade.
    pub labgrade_version: String,
    /// The exercise graded.
    pub exercise: String,
    /// The rubric file.
    pub rubric: String,
    /// The submission directory.
    pub submission: String,
    /// Seed of this grading run: `--seed <seed>` replays it.
    pub seed: u64,
    /// Whether every check could be graded.
    pub status: GradeStatus,
    /// Points earned.
    pub score: f64,
    /// Points available.
    pub max_score: f64,
    /// The build of the submission.
    pub build: BuildGrade,
    /// Every check of the rubric, in the order they ran.
    pub checks: Vec<CheckGrade>,
}

impl Grade {
    /// Whether the submission earned every point.
    #[must_use]
    pub fn is_full_marks(&self) -> bool {
        self.status == GradeStatus::Graded && self.score >= self.max_score
    }
}

/// Whether a grade is complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GradeStatus {
    /// Every check was graded; the score is the submission's.
    Graded,
    /// labgrade could not grade at least one check (its status is `error`); the score counts
    /// only what was graded.
    Incomplete,
}

/// The build step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BuildGrade {
    /// What happened.
    pub status: BuildStatus,
    /// Points earned for building.
    pub score: f64,
    /// Points available for building.
    pub max_score: f64,
    /// Wall time of the build, in milliseconds (0 when it did not start).
    pub duration_ms: u64,
    /// Files the rubric lists that the submission lacks.
    pub missing_files: Vec<String>,
    /// Compiler messages, with paths relative to the exercise package.
    pub diagnostics: String,
}

/// Outcome of the build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BuildStatus {
    /// It compiled.
    Built,
    /// The submission lacks files the rubric lists, so nothing was built.
    MissingFiles,
    /// The compiler rejected the code.
    CompileError,
    /// The build ran past its time limit.
    TimedOut,
}

/// One check of the rubric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckGrade {
    /// Check id.
    pub id: String,
    /// Check title.
    pub title: String,
    /// Points earned.
    pub score: f64,
    /// Points available.
    pub max_score: f64,
    /// Overall status.
    pub status: CheckStatus,
    /// Why the check did not run, or why it could not be graded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Information for the student that does not count towards the score, such as the
    /// speedup across worker counts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub info: Vec<String>,
    /// Every case that ran.
    pub cases: Vec<CaseGrade>,
}

/// Status of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Every case passed.
    Passed,
    /// Some points were earned, not all.
    Partial,
    /// No point was earned.
    Failed,
    /// Not run, because a check it needs did not pass.
    Skipped,
    /// labgrade could not run it; this says nothing about the submission.
    Error,
}

/// One case of a check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseGrade {
    /// Case name, such as `workers=3`.
    pub name: String,
    /// Whether every expectation held.
    pub passed: bool,
    /// Points earned by this case.
    pub score: f64,
    /// How many times the case ran.
    pub runs: u32,
    /// How many of those runs passed.
    pub passed_runs: u32,
    /// How to run this case again by hand.
    pub replay: Replay,
    /// What the program did.
    pub observed: Observed,
    /// Every expectation that did not hold; empty when the case passed.
    pub failures: Vec<Failure>,
}

/// Everything needed to run a case again: the exact command and environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Replay {
    /// Seed of the run's input (and of its perturbation and fault).
    pub seed: u64,
    /// Case variables.
    pub vars: BTreeMap<String, String>,
    /// Binary (as built in the exercise package) and arguments.
    pub command: Vec<String>,
    /// Environment set for the program (on top of a clean `PATH`).
    pub env: BTreeMap<String, String>,
    /// One shell line that runs the case from the exercise package folder.
    pub shell: String,
}

/// What a program did in one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Observed {
    /// How it ended.
    pub termination: Termination,
    /// The same in plain words.
    pub termination_text: String,
    /// Wall time, in milliseconds.
    pub wall_ms: u64,
    /// CPU time of all the program's processes, in microseconds.
    pub cpu_us: u64,
    /// Standard output (capped).
    pub stdout: CapturedOutput,
    /// Standard error (capped).
    pub stderr: CapturedOutput,
    /// Processes still running after the program's main process ended, which labgrade killed.
    pub leftover_processes: u32,
    /// Every thread and process the program created, when the run was traced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub census: Option<Census>,
    /// How the program was contained, in words, such as `["rlimits", "network namespace",
    /// "uid 63839", "task limit 50"]`, so a TA sees what student code could not do.
    pub containment: Vec<String>,
    /// What the program's cgroups measured (task and memory peaks, limit hits, OOM kills), when
    /// it ran in cgroups of its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<CgroupUsage>,
    /// What the run's measurements show that the termination does not say, in plain words,
    /// such as the program being stopped at its task limit.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Named groups captured by the check's regexes.
    pub captures: BTreeMap<String, String>,
}

/// An expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// What was checked: `termination`, `stdout`, `stderr` or `compare`.
    pub what: String,
    /// What the rubric expected, in words.
    pub expected: String,
    /// What the program did, in words.
    pub actual: String,
}
