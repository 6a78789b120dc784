//! A check: what shapes its runs, what is judged of them, and who sees the result.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::census::{CensusCount, CensusRule};
use super::compare::Compare;
use super::expect::Expect;
use super::fault::FaultPlan;
use super::matchers::Matcher;
use super::ratio::Figure;
use super::style::StyleRule;
use super::syscalls::SyscallRule;
use super::test::RubricTest;
use crate::rubric::template::Template;

/// How a check's points are earned from its cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scoring {
    /// Each case earns an equal share of the points.
    PerCase,
    /// The points are earned only if every case passes.
    AllOrNothing,
}

/// One check: a program run over a list of cases, with what each run must show.
///
/// Its fields say who it is and what it is worth; the rest is grouped by what reads it: what
/// shapes its runs ([`CheckRuns`]), what is judged and measured of each run ([`Rules`]), and
/// who sees the result ([`Audience`]).
#[derive(Debug, Clone)]
pub struct Check {
    /// Unique id, used in reports and `needs`.
    pub id: String,
    /// One-line description for people.
    pub title: String,
    /// Points the check is worth.
    pub points: u32,
    /// How points are earned from cases.
    pub scoring: Scoring,
    /// Ids of checks (or [`BUILD_ID`](super::BUILD_ID)) that must pass in full before this one runs.
    pub needs: Vec<String>,
    /// What shapes the check's runs.
    pub runs: CheckRuns,
    /// What is judged and measured of each run.
    pub rules: Rules,
    /// Who sees the check's result, and how much of it.
    pub audience: Audience,
    /// For a style check (`clippy`, `rustfmt`), what Rust's tools judge of the student's
    /// files; such a check runs no program: its `runs` name none and hold one `default` case.
    pub style: Option<StyleRule>,
}

/// What shapes a check's runs: the program, its arguments and environment, the cases, how
/// many runs of each, the limits and what the tracer does to the program.
#[derive(Debug, Clone)]
pub struct CheckRuns {
    /// Binary of the exercise package to run.
    pub program: String,
    /// Arguments, with `{variable}` placeholders.
    pub args: Vec<Template>,
    /// Environment on top of the rubric's, with placeholders.
    pub env: BTreeMap<String, Template>,
    /// The cases; always at least one.
    pub cases: Vec<Case>,
    /// Wall-clock limit of each case.
    pub timeout: Duration,
    /// Bytes of stdout and of stderr kept for checking.
    pub output_bytes: u64,
    /// Resource limits and isolation of every run.
    pub limits: RunLimits,
    /// Runs of each case; a case passes only if every run passes.
    pub repeat: u32,
    /// When the tracer lets new threads and processes start; `None` as soon as they are
    /// created.
    pub task_start: Option<TaskStart>,
    /// The fault injected in one worker of every run.
    pub fault: Option<FaultPlan>,
    /// Whether the tracer makes reads of pipes come back short (`short-reads`).
    pub short_reads: bool,
    /// The one test of a rubric's test file the check runs (`test`), instead of the program
    /// itself; `None` for a check that runs the program.
    pub test: Option<RubricTest>,
}

/// What is judged of each run of a check, and what is measured of it for the report.
#[derive(Debug, Clone)]
pub struct Rules {
    /// How the program must end.
    pub expect: Expect,
    /// Matchers on stdout; all must hold.
    pub stdout: Vec<Matcher>,
    /// Matchers on stderr; all must hold.
    pub stderr: Vec<Matcher>,
    /// Comparisons of captured values.
    pub compares: Vec<Compare>,
    /// What the census of the program's threads and processes must show.
    pub census: Vec<CensusRule>,
    /// How at least one child process must end.
    pub expect_child: Option<Expect>,
    /// System calls the program must make, or must not (`syscalls`).
    pub syscalls: Vec<SyscallRule>,
    /// Whether the report shows the time of each case and the speedup over the first case.
    pub parallelism: bool,
    /// Capture holding the program's own measure of its work, in milliseconds, used by
    /// `parallelism` instead of the wall time of the whole run.
    pub parallelism_time: Option<String>,
    /// Figures recorded of every run, for the rubric's ratios that name this check.
    pub figures: Vec<Figure>,
}

/// Who sees a check's result (`visibility`), and how much of a failure (`details`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Audience {
    /// Who sees the check, and when.
    pub visibility: Visibility,
    /// How much of a failure a student's report shows.
    pub details: Details,
}

/// When the tracer lets the new threads and processes of a run start. The rubric keys
/// `perturb`, `start-together` and `hold-until-waited` each decide it, so a check has one of
/// them at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStart {
    /// `perturb`: each new task is held for a seeded delay of at most this long.
    Perturb(Duration),
    /// `start-together`: new tasks are held until none has been created for `quiet`, then
    /// started all at once.
    StartTogether {
        /// How long no new task must be created before the held ones start.
        quiet: Duration,
        /// `separate-cores`: the tasks started together are each pinned to a CPU of their
        /// own, in turn, so that they run at the same moment on different cores.
        separate_cores: bool,
    },
    /// `hold-until-waited`: every new task is held until the rest of the program is blocked
    /// waiting or ended, then one is let run, in this order.
    HoldUntilWaited(crate::run::HoldOrder),
}

/// Who sees a check (`visibility`), in the sense of Gradescope's test visibility.
///
/// Ordered from the most to the least shown, so that the stricter of two is their maximum.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Run everywhere and shown to students.
    #[default]
    Visible,
    /// Run everywhere; before the due date students see only the verdict (as with
    /// [`Details::Verdict`]), and Gradescope shows the test after the due date.
    AfterDueDate,
    /// Run only when a TA grades (`grade`, `batch`); a student's `labgrade check` only says how
    /// many hidden checks there are and what they are worth.
    Hidden,
}

impl Visibility {
    /// Every visibility, with the name a rubric uses for it.
    pub const ALL: [(&'static str, Visibility); 3] = [
        ("visible", Visibility::Visible),
        ("hidden", Visibility::Hidden),
        ("after_due_date", Visibility::AfterDueDate),
    ];

    /// Whether this is the default, [`Visibility::Visible`] (reports then leave it out).
    #[must_use]
    pub fn is_visible(&self) -> bool {
        *self == Self::Visible
    }
}

/// How much of a failure a student's report shows (`details`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Details {
    /// Everything: what was expected and what the program did.
    #[default]
    Full,
    /// That a case failed and how the program ended, but not the expected value (such as the
    /// oracle's answer) of an output or comparison that failed.
    Verdict,
}

impl Details {
    /// Every level of detail, with the name a rubric uses for it.
    pub const ALL: [(&'static str, Details); 2] =
        [("full", Details::Full), ("verdict", Details::Verdict)];

    /// Whether this is the default, [`Details::Full`] (reports then leave it out).
    #[must_use]
    pub fn is_full(&self) -> bool {
        *self == Self::Full
    }
}

/// Resource limits and isolation of a check's runs (`cpu-time`, `memory`, `tasks`,
/// `file-size`, `open-files`, `isolate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunLimits {
    /// CPU time of each process of the program, rounded up to whole seconds.
    pub cpu_time: Duration,
    /// Address space of each process, in bytes.
    pub memory: u64,
    /// Threads and processes alive at once (enforced when labgrade runs as root).
    pub tasks: u64,
    /// Largest file a run may write, in bytes.
    pub file_size: u64,
    /// Open file descriptors of each process.
    pub open_files: u64,
    /// Run in a network namespace of its own and as an unprivileged user of its own (when
    /// labgrade runs as root).
    pub isolate: bool,
}

impl Check {
    /// Whether runs of this check are traced (a census is needed to grade them).
    #[must_use]
    pub fn traced(&self) -> bool {
        !self.rules.census.is_empty()
            || self.rules.figures.contains(&Figure::CoresWanted)
            || self.rules.expect_child.is_some()
            || self.runs.task_start.is_some()
            || self.observes_syscalls()
    }

    /// Whether runs of this check stop at the system calls of interest (to count them, or to
    /// shorten reads).
    #[must_use]
    pub fn observes_syscalls(&self) -> bool {
        // `closed-ends` learns which two sockets make a pair at the `socketpair` call.
        !self.rules.syscalls.is_empty() || self.runs.short_reads || self.rules.wants_descriptors()
    }
}

impl Rules {
    /// Whether a census rule judges the stacks of the program's threads, so the tracer must
    /// record them.
    #[must_use]
    pub fn wants_stacks(&self) -> bool {
        self.census
            .iter()
            .any(|rule| matches!(rule.count, CensusCount::Stacks | CensusCount::PrintedStacks))
    }

    /// Whether a census rule judges the descriptors processes hold at their end, so the tracer
    /// must record them.
    #[must_use]
    pub fn wants_descriptors(&self) -> bool {
        self.census
            .iter()
            .any(|rule| rule.count == CensusCount::ClosedEnds)
    }

    /// Whether a census rule judges the IPC objects the program leaves, so the tracer must
    /// record them.
    #[must_use]
    pub fn wants_ipc_objects(&self) -> bool {
        self.census
            .iter()
            .any(|rule| rule.count == CensusCount::IpcRemoved)
    }
}

/// One case: values for the check's variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Case {
    /// Name shown in reports, such as `workers=3`, or `default` for a check without cases.
    pub name: String,
    /// Variable values, substituted into `{variable}` placeholders.
    pub vars: BTreeMap<String, String>,
}
