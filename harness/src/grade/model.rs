//! The grade of a submission: scores, statuses and everything observed to justify them.
//!
//! These types are the contract of every report format; the JSON report serializes them as they
//! are (see `docs/report-format.md`), so renaming a field is a breaking change of
//! [`GRADE_FORMAT_VERSION`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::rubric::{Details, Visibility};
use crate::run::{
    CapturedOutput, Census, CgroupUsage, Perturbation, ProcessLimits, Termination, Waiting,
};

/// Version of the grade's serialized form, bumped on any breaking change.
pub const GRADE_FORMAT_VERSION: u32 = 1;

/// The grade of one submission against one rubric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grade {
    /// [`GRADE_FORMAT_VERSION`].
    pub version: u32,
    /// Version of labgrade that computed the grade.
    pub labgrade_version: String,
    /// The exercise graded.
    pub exercise: String,
    /// The rubric file.
    pub rubric: String,
    /// The submission directory (for a batch, the student's entry in the batch folder).
    pub submission: String,
    /// The folder labgrade ran in: `rubric` and `submission`, when relative, are relative to
    /// it, so that `labgrade replay` finds them from anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workdir: Option<String>,
    /// For a batch: the student's entry as handed in (a folder, a git working tree or an
    /// archive, which was unpacked to a temporary folder gone after grading).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<Entry>,
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
    /// In a student's `labgrade check`, the hidden checks that were not run; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<HiddenChecks>,
}

/// The hidden checks a student's `labgrade check` left out: how many, and what they are worth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HiddenChecks {
    /// How many checks are hidden, counting the ratios that compare a hidden check.
    pub checks: u32,
    /// Points they carry together (not counted in the grade's `max_score`).
    pub points: f64,
}

impl Grade {
    /// Whether the submission earned every point.
    #[must_use]
    pub fn is_full_marks(&self) -> bool {
        self.status == GradeStatus::Graded && self.score >= self.max_score
    }
}

/// Whether a grade is complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GradeStatus {
    /// Every check was graded; the score is the submission's.
    Graded,
    /// labgrade could not grade at least one check (its status is `error`); the score counts
    /// only what was graded.
    Incomplete,
}

/// The build step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildGrade {
    /// What happened.
    pub status: BuildStatus,
    /// Points earned for building.
    pub score: f64,
    /// Points available for building.
    pub max_score: f64,
    /// Wall time of the build, in milliseconds (0 when it did not start); of the earlier build
    /// when `reused`.
    pub duration_ms: u64,
    /// Whether this is what an earlier build of the same files gave (by any student, run or
    /// rubric), taken instead of compiling again. Written only when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reused: bool,
    /// Files the rubric lists that the submission lacks.
    pub missing_files: Vec<String>,
    /// Compiler messages, with paths relative to the exercise package.
    pub diagnostics: String,
}

/// Outcome of the build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    /// What was handed in could not be read as a submission (a damaged or password-protected
    /// archive, a RAR, a lone file), so nothing was built; `diagnostics` says why.
    Unreadable,
}

/// One check of the rubric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub info: Vec<String>,
    /// The numbers behind the parallelism line of `info`, one per case, for plots (the batch's
    /// `report.html`); absent for a check without `parallelism`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timings: Vec<Timing>,
    /// Who sees the check (the rubric's `visibility`); absent when `visible`.
    #[serde(default, skip_serializing_if = "Visibility::is_visible")]
    pub visibility: Visibility,
    /// How much of a failure students see (the rubric's `details`); absent when `full`.
    #[serde(default, skip_serializing_if = "Details::is_full")]
    pub details: Details,
    /// The source file of the program the check runs, relative to the exercise package (such
    /// as `src/bin/sum_array_threads.rs`), where labgrade knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// What `clippy` or `rustfmt` found in the student's files, for a style check; absent for
    /// any other check.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<super::Finding>,
    /// Every case that ran.
    pub cases: Vec<CaseGrade>,
}

/// Status of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

impl BuildStatus {
    /// The status as the JSON report writes it: `built`, `missing_files`, `compile_error`,
    /// `timed_out`, `unreadable`.
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Built => "built",
            Self::MissingFiles => "missing_files",
            Self::CompileError => "compile_error",
            Self::TimedOut => "timed_out",
            Self::Unreadable => "unreadable",
        }
    }
}

impl CheckStatus {
    /// The status as reports and the batch journal write it: `passed`, `partial`, `failed`,
    /// `skipped`, `error` (its serialized form).
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Partial => "partial",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
            Self::Error => "error",
        }
    }
}

/// One case of a check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Runs of a repeated case that were not made: one failed run decides the case, so the
    /// runs planned after it were stopped (absent when every planned run was made).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs_not_made: Option<u32>,
    /// How to run this case again by hand.
    pub replay: ReplayRecipe,
    /// What the program did.
    pub observed: Observed,
    /// Every expectation that did not hold; empty when the case passed.
    pub failures: Vec<Failure>,
    /// The figures a `[[ratio]]` of the rubric compares, measured in every run of the case (the
    /// shown one and the others), keyed by the figure's name (`wall-time`, `cores-wanted`, or a
    /// capture's name); absent when no ratio names the check.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub figures: Vec<BTreeMap<String, f64>>,
}

/// Everything needed to run a case again: the exact command, environment, seed, delays, fault
/// and limits (`labgrade replay` runs it from these and the rubric).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayRecipe {
    /// Seed of the run's input (and of its perturbation and fault).
    pub seed: u64,
    /// Which run of a repeated case this is, from 0 (the case's seed is then that of
    /// `<case>#<run>`); absent when the check runs each case once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<u32>,
    /// Case variables.
    pub vars: BTreeMap<String, String>,
    /// Binary (as built in the exercise package) and arguments.
    pub command: Vec<String>,
    /// Environment set for the program (on top of a clean `PATH`).
    pub env: BTreeMap<String, String>,
    /// Whether the run was traced (census, `expect-child` or perturbation).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub traced: bool,
    /// The tracer's seeded delays at thread and process creation, when the check perturbs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perturbation: Option<Perturbation>,
    /// The fault injected in one worker (also in the environment as `LABGRADE_FAULT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<InjectedFault>,
    /// The limits the run had; absent in reports of labgrade before they were recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<CaseLimits>,
    /// One shell line that runs the case from the exercise package folder.
    pub shell: String,
}

/// A fault drawn for one run: which worker suffers what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InjectedFault {
    /// Index of the faulty worker, from 0.
    pub worker: usize,
    /// The signal that kills it, by number; absent for an exit code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
    /// The code it exits with; absent for a signal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
}

/// The limits of one run, as the rubric set them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseLimits {
    /// Wall-clock limit, in milliseconds.
    pub timeout_ms: u64,
    /// Bytes of stdout and of stderr kept.
    pub output_bytes: u64,
    /// The resource limits and isolation the program ran under, as the supervisor applied them
    /// (`cpu_ms`, `memory_bytes`, `tasks`, `file_bytes`, `open_files`, `isolate`), written
    /// beside the two above.
    #[serde(flatten)]
    pub run: ProcessLimits,
}

/// A batch student's entry in the batch folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The entry, as an absolute path.
    pub path: String,
    /// What kind of submission it is.
    pub kind: EntryKind,
}

/// What kind of submission a batch entry is; in the JSON report, the word of each variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A folder of files: `folder`.
    Folder,
    /// A folder with `.git`, whose working tree is graded: `git`.
    #[serde(rename = "git")]
    GitRepository,
    /// A `.zip` archive: `zip`.
    Zip,
    /// A `.tar.gz` or `.tgz` archive: `tar_gz`.
    TarGz,
    /// A `.tar` archive: `tar`.
    Tar,
    /// Anything else (a `.rar`, a lone source file), graded as nothing with a message:
    /// `unsupported`.
    Unsupported,
}

/// What a program did in one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Where each thread of a program that ran out of time waited (its `notes` say it in
    /// words): the call, the stack down to the program's own lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<Waiting>,
    /// Named groups captured by the check's regexes.
    pub captures: BTreeMap<String, String>,
}

/// An expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// What was checked.
    pub what: FailureKind,
    /// What the rubric expected, in words.
    pub expected: String,
    /// What the program did, in words.
    pub actual: String,
}

/// What a [`Failure`] is about: the rule family whose expectation did not hold. The JSON report
/// writes it as the words in each variant's doc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailureKind {
    /// `termination`: how the program ended (`expect`).
    Termination,
    /// `stdout`: what the program wrote on its standard output.
    Stdout,
    /// `stderr`: what the program wrote on its standard error.
    Stderr,
    /// `compare`: a value the rubric compares (`compare`).
    Compare,
    /// `census`: the program's threads and processes (`census`, `expect-child`).
    Census,
    /// `system calls`: the system calls the rubric requires or forbids (`syscalls`).
    #[serde(rename = "system calls")]
    SystemCalls,
    /// `runs`: not every run of a repeated case passed; the failures of the run shown follow.
    Runs,
}

impl FailureKind {
    /// The kind as the JSON report writes it, such as `system calls`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Termination => "termination",
            Self::Stdout => "stdout",
            Self::Stderr => "stderr",
            Self::Compare => "compare",
            Self::Census => "census",
            Self::SystemCalls => "system calls",
            Self::Runs => "runs",
        }
    }
}

impl std::fmt::Display for FailureKind {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// One case's time in a check with `parallelism`: information, never graded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// The case, such as `workers=4`.
    pub case: String,
    /// The worker count: the case's `workers` variable, else its only numeric variable; absent
    /// when the case has neither.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workers: Option<u32>,
    /// Milliseconds: the program's own measure (`parallelism-time`) when the rubric names one,
    /// else the wall time of the whole run.
    pub time_ms: f64,
    /// The first case's time over this one's.
    pub speedup: f64,
    /// CPU time over wall time, when the time is the wall time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cores_busy: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::{BuildStatus, CaseLimits, CheckStatus, EntryKind, FailureKind};
    use crate::run::ProcessLimits;

    #[test]
    fn case_limits_are_written_flat() {
        let limits = CaseLimits {
            timeout_ms: 1,
            output_bytes: 2,
            run: ProcessLimits {
                cpu_ms: 3,
                memory_bytes: 4,
                tasks: 5,
                file_bytes: 6,
                open_files: 7,
                isolate: true,
            },
        };
        let json = serde_json::to_value(limits).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "timeout_ms": 1, "output_bytes": 2, "cpu_ms": 3, "memory_bytes": 4, "tasks": 5,
                "file_bytes": 6, "open_files": 7, "isolate": true
            })
        );
        assert_eq!(serde_json::from_value::<CaseLimits>(json).unwrap(), limits);
    }

    #[test]
    fn status_words_are_the_serialized_statuses() {
        for status in [
            CheckStatus::Passed,
            CheckStatus::Partial,
            CheckStatus::Failed,
            CheckStatus::Skipped,
            CheckStatus::Error,
        ] {
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(status.word())
            );
        }
        for status in [
            BuildStatus::Built,
            BuildStatus::MissingFiles,
            BuildStatus::CompileError,
            BuildStatus::TimedOut,
            BuildStatus::Unreadable,
        ] {
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(status.word())
            );
        }
    }

    /// Reports print a failure's kind with `as_str`; the JSON report must say the same words,
    /// and read them back.
    #[test]
    fn failure_kinds_are_written_as_their_words() {
        for kind in [
            FailureKind::Termination,
            FailureKind::Stdout,
            FailureKind::Stderr,
            FailureKind::Compare,
            FailureKind::Census,
            FailureKind::SystemCalls,
            FailureKind::Runs,
        ] {
            let json = serde_json::json!(kind.as_str());
            assert_eq!(serde_json::to_value(kind).unwrap(), json);
            assert_eq!(serde_json::from_value::<FailureKind>(json).unwrap(), kind);
            assert_eq!(kind.to_string(), kind.as_str());
        }
    }

    /// A batch report's `entry.kind` keeps the words reports of earlier labgrades wrote, so
    /// that `labgrade replay` reads them.
    #[test]
    fn entry_kinds_are_written_as_their_words() {
        for (kind, word) in [
            (EntryKind::Folder, "folder"),
            (EntryKind::GitRepository, "git"),
            (EntryKind::Zip, "zip"),
            (EntryKind::TarGz, "tar_gz"),
            (EntryKind::Tar, "tar"),
            (EntryKind::Unsupported, "unsupported"),
        ] {
            assert_eq!(serde_json::to_value(kind).unwrap(), serde_json::json!(word));
            assert_eq!(
                serde_json::from_value::<EntryKind>(word.into()).unwrap(),
                kind
            );
        }
    }
}
