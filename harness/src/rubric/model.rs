//! The validated rubric: what the rest of labgrade works with.
//!
//! A [`Rubric`] can only be built by [`super::parse`], which has already checked every
//! precondition the grader relies on: ids are unique, every check a check needs exists and
//! comes first, every regex compiles, every capture that is compared is defined, every
//! `{variable}` names a case variable.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;
use serde::Serialize;

use super::template::Template;

/// Id under which the build appears in reports and in `needs`.
pub const BUILD_ID: &str = "build";

/// A validated rubric.
#[derive(Debug, Clone)]
pub struct Rubric {
    /// The rubric file, as given.
    pub path: PathBuf,
    /// The exercise it grades.
    pub exercise: Exercise,
    /// How submissions are built.
    pub build: Build,
    /// Environment of every run, before the check's own `env`.
    pub env: BTreeMap<String, String>,
    /// Checks in an order where every check comes after the checks it needs.
    pub checks: Vec<Check>,
    /// Comparisons between checks, graded once every check has run.
    pub ratios: Vec<Ratio>,
}

impl Rubric {
    /// The most points a submission can earn.
    #[must_use]
    pub fn max_score(&self) -> f64 {
        f64::from(self.build.points)
            + self
                .checks
                .iter()
                .map(|check| f64::from(check.points))
                .sum::<f64>()
            + self
                .ratios
                .iter()
                .map(|ratio| f64::from(ratio.points))
                .sum::<f64>()
    }
}

/// A `[[ratio]]`: the median of a figure over every run of some checks, each over the median of
/// the same figure over every run of another check, all measured in the same grading, so that a
/// noisy machine slows both sides alike. With bounds it is scored; without, it is information.
#[derive(Debug, Clone, PartialEq)]
pub struct Ratio {
    /// Unique id among checks and ratios.
    pub id: String,
    /// One line for people.
    pub title: String,
    /// Points earned when every ratio is within the bounds; 0 for information.
    pub points: u32,
    /// What is measured of each run.
    pub figure: Figure,
    /// The checks whose figure is divided, each by `over`'s.
    pub of: Vec<String>,
    /// The check whose figure divides.
    pub over: String,
    /// The largest ratio allowed.
    pub at_most: Option<f64>,
    /// The smallest ratio allowed.
    pub at_least: Option<f64>,
}

/// What a `[[ratio]]` measures of one run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Figure {
    /// Wall time of the whole run, in milliseconds (`wall-time`).
    WallTime,
    /// CPU time of every process of the program, in milliseconds (`cpu-time`).
    CpuTime,
    /// CPU time over wall time: the cores the program kept busy (`cores-busy`). It falls when
    /// the machine is busy with other work.
    CoresBusy,
    /// Time every thread and process wanted a CPU (ran, or waited for one), over wall time: the
    /// cores the program could have kept busy (`cores-wanted`), whatever the machine's load.
    /// Needs the tracer.
    CoresWanted,
    /// A number the program printed, captured by a named group of the check's regexes.
    Capture(String),
}

impl Figure {
    /// The figures a rubric names with `figure = "…"`.
    pub const NAMED: [(&'static str, Figure); 4] = [
        ("wall-time", Figure::WallTime),
        ("cpu-time", Figure::CpuTime),
        ("cores-busy", Figure::CoresBusy),
        ("cores-wanted", Figure::CoresWanted),
    ];

    /// The figure's name in the rubric and in a run's recorded figures: `wall-time`, or the
    /// capture's name (a regex group name holds no `-`, so the two never collide).
    #[must_use]
    pub fn key(&self) -> &str {
        match self {
            Self::WallTime => "wall-time",
            Self::CpuTime => "cpu-time",
            Self::CoresBusy => "cores-busy",
            Self::CoresWanted => "cores-wanted",
            Self::Capture(name) => name,
        }
    }

    /// The unit a value of the figure is written with in reports.
    #[must_use]
    pub fn unit(&self) -> &'static str {
        match self {
            Self::WallTime | Self::CpuTime => " ms",
            Self::CoresBusy | Self::CoresWanted => " cores",
            Self::Capture(_) => "",
        }
    }
}

/// The exercise a rubric grades.
#[derive(Debug, Clone)]
pub struct Exercise {
    /// Exercise name, such as `sum-array`.
    pub name: String,
    /// The exercise package a submission's files are copied into (absolute, or relative to the
    /// current directory when the rubric path was).
    pub package: PathBuf,
    /// Files a submission provides, relative to the package.
    pub files: Vec<PathBuf>,
}

/// Cargo profile used to build a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// `cargo build`.
    Dev,
    /// `cargo build --release`: timings mean something.
    Release,
}

/// How submissions are built.
#[derive(Debug, Clone)]
pub struct Build {
    /// Cargo profile.
    pub profile: Profile,
    /// Time limit of the build.
    pub timeout: Duration,
    /// Points for a build that succeeds.
    pub points: u32,
}

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
#[derive(Debug, Clone)]
pub struct Check {
    /// Unique id, used in reports and `needs`.
    pub id: String,
    /// One-line description for people.
    pub title: String,
    /// Points the check is worth.
    pub points: u32,
    /// Binary of the exercise package to run.
    pub program: String,
    /// Arguments, with `{variable}` placeholders.
    pub args: Vec<Template>,
    /// Environment on top of the rubric's, with placeholders.
    pub env: BTreeMap<String, Template>,
    /// The cases; always at least one.
    pub cases: Vec<Case>,
    /// How points are earned from cases.
    pub scoring: Scoring,
    /// Wall-clock limit of each case.
    pub timeout: Duration,
    /// Bytes of stdout and of stderr kept for checking.
    pub output_bytes: u64,
    /// Ids of checks (or [`BUILD_ID`]) that must pass in full before this one runs.
    pub needs: Vec<String>,
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
    /// Runs of each case; a case passes only if every run passes.
    pub repeat: u32,
    /// When the tracer lets new threads and processes start; `None` as soon as they are
    /// created.
    pub task_start: Option<TaskStart>,
    /// The fault injected in one worker of every run.
    pub fault: Option<FaultPlan>,
    /// System calls the program must make, or must not (`syscalls`).
    pub syscalls: Vec<SyscallRule>,
    /// Whether the tracer makes reads of pipes come back short (`short-reads`).
    pub short_reads: bool,
    /// Whether the report shows the time of each case and the speedup over the first case.
    pub parallelism: bool,
    /// Capture holding the program's own measure of its work, in milliseconds, used by
    /// `parallelism` instead of the wall time of the whole run.
    pub parallelism_time: Option<String>,
    /// Resource limits and isolation of every run.
    pub limits: RunLimits,
    /// Who sees the check, and when.
    pub visibility: Visibility,
    /// How much of a failure a student's report shows.
    pub details: Details,
    /// Figures recorded of every run, for the rubric's ratios that name this check.
    pub figures: Vec<Figure>,
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
    /// Run only when a TA grades (`grade`, `batch`); a student's self-check only says how many
    /// hidden checks there are and what they are worth.
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
        !self.census.is_empty()
            || self.figures.contains(&Figure::CoresWanted)
            || self.expect_child.is_some()
            || self.task_start.is_some()
            || self.observes_syscalls()
    }

    /// Whether runs of this check stop at the system calls of interest (to count them, or to
    /// shorten reads).
    #[must_use]
    pub fn observes_syscalls(&self) -> bool {
        !self.syscalls.is_empty() || self.short_reads
    }
}

/// The families of system calls the tracer observes and the details a record of one can carry,
/// in the words a rubric uses: `socketpair(SOCK_DGRAM)` is family `socketpair` with detail
/// `SOCK_DGRAM`. `pipe` counts `pipe` and `pipe2`, `poll` also `ppoll`, `epoll_wait` also
/// `epoll_pwait` and `epoll_pwait2`, `select` also `pselect6`; `mmap`, `fcntl` and `ioctl` are
/// observed only with the argument listed.
pub const SYSCALL_FAMILIES: [(&str, &[&str]); 14] = [
    ("pipe", &[]),
    (
        "socketpair",
        &["SOCK_STREAM", "SOCK_DGRAM", "SOCK_SEQPACKET"],
    ),
    ("memfd_create", &[]),
    ("fcntl", &["F_ADD_SEALS", "F_SETFL", "O_NONBLOCK"]),
    ("vmsplice", &["SPLICE_F_GIFT"]),
    ("mmap", &["MAP_SHARED"]),
    ("poll", &["blocking", "non-blocking"]),
    ("epoll_wait", &["blocking", "non-blocking"]),
    ("select", &["blocking", "non-blocking"]),
    ("ioctl", &["FIONREAD"]),
    ("read", &[]),
    ("send", &["data", "empty"]),
    ("recv", &["data", "empty"]),
    ("fork", &["memfd-sealed", "memfd-unsealed"]),
];

/// A system call a check requires (made at least once by the program) or forbids (never made).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyscallRule {
    /// Which calls: any of these patterns (`poll(blocking) or epoll_wait(blocking)`).
    pub patterns: Vec<SyscallPattern>,
    /// `true` for `require` and `per-message`, `false` for `forbid`.
    pub required: bool,
    /// `per-message`: the calls it matches number one per message of the IPC exercises
    /// (`labgrade_support::ipc_messages` of the run's seed), or one more.
    pub per_message: bool,
}

/// `socketpair(SOCK_SEQPACKET|SOCK_DGRAM)`: a family of [`SYSCALL_FAMILIES`], and optionally the
/// details of which any one matches; without details, every call of the family matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyscallPattern {
    /// The family, such as `socketpair`.
    pub family: String,
    /// Accepted details, such as `SOCK_SEQPACKET`; empty accepts any.
    pub details: Vec<String>,
}

impl SyscallRule {
    /// Whether a recorded call name matches one of the rule's patterns.
    #[must_use]
    pub fn matches(&self, recorded: &str) -> bool {
        self.patterns
            .iter()
            .any(|pattern| pattern.matches(recorded))
    }
}

impl std::fmt::Display for SyscallRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (index, pattern) in self.patterns.iter().enumerate() {
            if index > 0 {
                f.write_str(" or ")?;
            }
            write!(f, "{pattern}")?;
        }
        Ok(())
    }
}

impl SyscallPattern {
    /// Whether a recorded call name (`socketpair(SOCK_DGRAM)`, `pipe`) matches.
    #[must_use]
    pub fn matches(&self, recorded: &str) -> bool {
        let (family, detail) = match recorded.split_once('(') {
            Some((family, rest)) => (family, rest.strip_suffix(')')),
            None => (recorded, None),
        };
        family == self.family
            && (self.details.is_empty()
                || detail.is_some_and(|detail| self.details.iter().any(|wanted| wanted == detail)))
    }
}

impl std::fmt::Display for SyscallPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.details.is_empty() {
            f.write_str(&self.family)
        } else {
            write!(f, "{}({})", self.family, self.details.join("|"))
        }
    }
}

/// One count of the census and the value it must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CensusRule {
    /// Which count.
    pub count: CensusCount,
    /// Its expected value, with placeholders.
    pub expected: Template,
}

/// The counts of a census a rubric can assert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CensusCount {
    /// Threads created, the main thread of each process not counted.
    Threads,
    /// Processes created, grandchildren included.
    Processes,
    /// Processes created by the program's own process.
    Children,
    /// Processes that ended without their parent waiting for them.
    Unreaped,
    /// Processes still running when their parent ended.
    OutlivedParent,
    /// Whether every thread the program created was running at one same moment (`overlap`):
    /// not a count, its expected value is always `true`.
    Overlap,
    /// Every thread ran on a stack of its own of at least this many bytes (`stacks`): the
    /// mappings holding the threads' stack pointers, no two of them overlapping.
    Stacks,
    /// Every address the program printed (`0x…` on stdout) lies in the stack of a thread, a
    /// different one for each address, one for every thread (`printed-stacks`); always `true`.
    PrintedStacks,
    /// Every thread and process that lived long enough wanted a CPU (ran, or waited for one)
    /// for at most [`SLEEPS_MAX_BUSY`] of its life: it waits by blocking, not by spinning
    /// (`sleeps`); always `true`.
    Sleeps,
}

/// Under `census = { sleeps = true }`, the most of its life a task may want a CPU.
pub const SLEEPS_MAX_BUSY: f64 = 0.5;

/// Under `census = { sleeps = true }`, a task busy for more than [`SLEEPS_MAX_BUSY`] of its life
/// spins only if it also wanted a CPU for more than this, in microseconds, on average between
/// two times it blocked (its voluntary context switches). A sleeper on a machine with far more
/// runnable tasks than cores waits long for a CPU after each wake-up (some 15 ms each was
/// measured at a load of 29 on 2 cores), but it blocks again after each; a spinner never blocks
/// (the tracer's own stops aside, which count as voluntary switches too: a spinning consumer
/// that forks two producers wanted a CPU some 60 ms between two of them at that load).
pub const SLEEPS_MIN_SPELL_US: u64 = 25_000;

/// Under `census = { sleeps = true }`, tasks that lived less than this, in microseconds, are not
/// judged: start-up alone keeps a task busy for its first milliseconds.
pub const SLEEPS_MIN_LIFE_US: u64 = 100_000;

impl CensusCount {
    /// The count in words, for reports.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::Threads => "threads created",
            Self::Processes => "processes created",
            Self::Children => "child processes of the program",
            Self::Unreaped => "processes never waited for by their parent",
            Self::OutlivedParent => "processes still running when their parent ended",
            Self::Overlap => "threads running at the same time",
            Self::Stacks => "bytes of every thread's own stack",
            Self::PrintedStacks => "printed stack addresses",
            Self::Sleeps => "tasks that spin instead of sleeping",
        }
    }
}

/// Placeholders a check with a `fault` can use, filled in for every run.
pub const FAULT_VARS: [&str; 6] = [
    "fault_workers",
    "fault_worker",
    "fault_signal",
    "fault_signal_short",
    "fault_signal_number",
    "fault_exit_code",
];

/// Which faults a check injects: one worker and one action, drawn from the run's seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultPlan {
    /// How many workers the program has (the faulty one is drawn among them).
    pub worker_count: Template,
    /// The actions to draw from.
    pub actions: Vec<labgrade_support::FaultAction>,
}

/// One case: values for the check's variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Case {
    /// Name shown in reports, such as `workers=3`, or `default` for a check without cases.
    pub name: String,
    /// Variable values, substituted into `{variable}` placeholders.
    pub vars: BTreeMap<String, String>,
}

/// How a process must end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// Exit with exactly this code.
    Exit(i32),
    /// Exit by itself with any code but 0.
    NonZeroExit,
    /// Exit by itself with any code, 0 included (`exit = "any"`): for a check that grades what
    /// the program printed, when how it exits is another check's requirement. Being killed by
    /// a signal or running past the time limit is not exiting.
    AnyExit,
    /// Be killed by this signal (number and name).
    Signal(i32, String),
    /// Be killed by a signal, whichever (`signal = "any"`): the runtime's choice, such as
    /// SIGSEGV or SIGABRT for a stack overflow, is not the student's. A timeout is not one.
    AnySignal,
    /// Exit with the code a placeholder gives, such as `{fault_exit_code}`.
    ExitOf(Template),
    /// Be killed by the signal a placeholder gives, such as `{fault_signal}`.
    SignalOf(Template),
}

impl Expect {
    /// The expectation in plain words, with placeholders filled in from `vars`.
    #[must_use]
    pub fn describe(&self, vars: &BTreeMap<String, String>) -> String {
        match self {
            Self::Exit(code) => format!("exit with code {code}"),
            Self::NonZeroExit => "exit with a non-zero code".to_owned(),
            Self::AnyExit => "exit by itself, with any code".to_owned(),
            Self::Signal(number, name) => format!("be killed by signal {name} ({number})"),
            Self::AnySignal => "be killed by a signal".to_owned(),
            Self::ExitOf(code) => format!("exit with code {}", code.render(vars)),
            Self::SignalOf(signal) => format!("be killed by signal {}", signal.render(vars)),
        }
    }
}

/// What a matcher looks for.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// A regex found anywhere, `^` and `$` matching at line ends; named groups become captures.
    Regex(Regex),
    /// A substring.
    Contains(Template),
    /// A whole line, ignoring trailing whitespace.
    Line(Template),
    /// One line holding every term as a whole word, ignoring case; a term lists alternatives.
    LineWith(Vec<Vec<Template>>),
    /// The inner matcher must not hold (`absent = true`).
    Absent(Box<Matcher>),
    /// Lines in sequences (`sequences`): every line of every sequence appears exactly once, each
    /// sequence's lines in its order, the sequences interleaved in any way and other lines
    /// ignored. One sequence is a total order, sequences of one line a multiset, sequences of
    /// two lines a partial order ("start of i before end of i").
    Sequences(Sequences),
    /// Announced sizes (`byte-count` and `counted-lines`): a line matching `count` announces,
    /// for its `source`, a number of `bytes`; the lines matching `counted` of the same `source`
    /// after it, up to its next announcement, must total exactly that many bytes, a newline
    /// counted for each; and no counted line may come before its source's first announcement.
    ByteCount {
        /// Has the named groups `source` and `bytes`.
        count: Regex,
        /// Has the named group `source`.
        counted: Regex,
    },
    /// Exactly these lines and nothing else (`only-lines`): every line matches one of the
    /// regexes, each regex matches exactly one line, in any order; named groups become
    /// captures.
    OnlyLines(Vec<Regex>),
}

/// Where the lines of a [`Matcher::Sequences`] come from.
#[derive(Debug, Clone)]
pub enum Sequences {
    /// Written in the rubric, with placeholders.
    Written(Vec<Vec<Template>>),
    /// Computed from the run's input by an oracle that gives sequences of lines.
    Oracle(Oracle),
}

impl Matcher {
    /// The matcher as written in the rubric, for reports.
    #[must_use]
    pub fn describe(&self, vars: &BTreeMap<String, String>) -> String {
        match self {
            Self::Regex(regex) => format!("a match of regex `{}`", regex.as_str()),
            Self::Contains(text) => format!("the text `{}`", text.render(vars)),
            Self::Line(text) => format!("the line `{}`", text.render(vars)),
            Self::LineWith(terms) => {
                let terms: Vec<String> = terms
                    .iter()
                    .map(|alternatives| {
                        let words: Vec<String> = alternatives
                            .iter()
                            .map(|word| word.render(vars))
                            .filter(|word| !word.is_empty())
                            .map(|word| format!("`{word}`"))
                            .collect();
                        words.join(" or ")
                    })
                    .filter(|term| !term.is_empty())
                    .collect();
                format!("a line with the words {}", terms.join(", "))
            }
            Self::Absent(inner) => format!("not {}", inner.describe(vars)),
            Self::Sequences(Sequences::Written(sequences)) => {
                let lines: usize = sequences.iter().map(Vec::len).sum();
                format!(
                    "the {lines} lines of the rubric's {} sequence(s), each line once and each sequence in order",
                    sequences.len()
                )
            }
            Self::Sequences(Sequences::Oracle(oracle)) => format!(
                "the lines of `{}`, each line once and each sequence in order",
                oracle.name()
            ),
            Self::ByteCount { count, counted } => format!(
                "for each line matching `{}`, the lines matching `{}` of the same source after it totalling that many bytes",
                count.as_str(),
                counted.as_str()
            ),
            Self::OnlyLines(regexes) => {
                let regexes: Vec<String> = regexes
                    .iter()
                    .map(|regex| format!("`{}`", regex.as_str()))
                    .collect();
                format!(
                    "only lines matching {}, each exactly once",
                    regexes.join(", ")
                )
            }
        }
    }
}

/// A value taken from the output and what it must equal.
#[derive(Debug, Clone)]
pub struct Compare {
    /// Where the value comes from.
    pub source: Source,
    /// What it must equal.
    pub expected: Expected,
}

/// Where a compared value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A named group of one of the check's regexes.
    Capture(String),
    /// Every integer written on a stream, in order.
    Numbers(Stream),
}

impl Source {
    /// The source in words.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Capture(name) => format!("`{name}`"),
            Self::Numbers(Stream::Stdout) => "the numbers on stdout".to_owned(),
            Self::Numbers(Stream::Stderr) => "the numbers on stderr".to_owned(),
        }
    }
}

/// An output stream of a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// Where the expected value of a comparison comes from.
#[derive(Debug, Clone)]
pub enum Expected {
    /// Computed by labgrade from the case's input.
    Oracle(Oracle),
    /// A literal, with placeholders.
    Value(Template),
    /// A signal, given by name or number, compared by number (`SIGSEGV`, `SEGV` and `11` agree).
    Signal(Template),
}

/// A value labgrade computes itself from the input it gave the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Oracle {
    /// The sum of the generated array (`array-sum`).
    ArraySum,
    /// The generated array with every element negated (`negated-array`).
    NegatedArray,
    /// The wait-for-me message of the seed (`message`).
    Message,
    /// The sum of the parts of every worker but the faulty one (`array-sum-without-fault`).
    ArraySumWithoutFault,
    /// The sum after worker 0 negated everything outside its part (`corrupted-sum`).
    CorruptedSum,
    /// Index, length and checksum of every message of the IPC exercises, in order
    /// (`ipc-messages`).
    IpcMessages,
    /// Length and checksum of the handover exercise's payload (`handover-payload`).
    HandoverPayload,
    /// The lines each producer of the ipc-async exercise sends, one sequence per producer
    /// (`async-messages`): lines for a `sequences` matcher, not a value to compare.
    AsyncMessages,
}

impl Oracle {
    /// Every oracle, with the name a rubric uses for it.
    pub const ALL: [(&'static str, Oracle); 8] = [
        ("array-sum", Oracle::ArraySum),
        ("negated-array", Oracle::NegatedArray),
        ("message", Oracle::Message),
        ("array-sum-without-fault", Oracle::ArraySumWithoutFault),
        ("corrupted-sum", Oracle::CorruptedSum),
        ("ipc-messages", Oracle::IpcMessages),
        ("handover-payload", Oracle::HandoverPayload),
        ("async-messages", Oracle::AsyncMessages),
    ];

    /// Whether the oracle gives sequences of lines (for a `sequences` matcher) rather than a
    /// value (for a comparison).
    #[must_use]
    pub fn gives_sequences(self) -> bool {
        self == Self::AsyncMessages
    }

    /// The name a rubric uses.
    #[must_use]
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, oracle)| *oracle == self)
            .map_or("?", |(name, _)| name)
    }
}
