//! What the census of a run's threads and processes must show.

use crate::rubric::template::Template;

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
    /// No child process still held both ends of one pipe, or both sockets of one socket pair,
    /// when it ended: each child closes the end it does not use (`closed-ends`); always `true`.
    ClosedEnds,
    /// No System V IPC object nor POSIX shared memory object was left when the program's main
    /// process ended (`ipc-removed`); always `true`.
    IpcRemoved,
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
            Self::ClosedEnds => "pipe and socket ends a child kept without using them",
            Self::IpcRemoved => "IPC objects left when the program ended",
        }
    }
}
