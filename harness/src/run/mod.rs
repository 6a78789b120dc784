//! Runs programs: every process labgrade starts is started by this module.
//!
//! The front end never runs a program itself. For each [`Job`] a [`Runner`] starts a supervisor, a
//! single-threaded copy of the `labgrade` binary (`labgrade __supervise`), writes the job to its
//! stdin as JSON and reads back a [`Reply`]. The supervisor owns everything that must happen in
//! one thread of one process: it is the subreaper of the program's descendants, puts the program
//! in its own process group, enforces the wall-clock deadline by killing the group, caps the
//! captured output, decodes the wait status, kills and reaps anything left behind, and measures
//! the CPU time of the whole program ([`Observation::cpu_us`]).
//!
//! A job with [`Job::trace`] is traced with ptrace: the supervisor sees every thread and process
//! the program creates and returns their [`Census`]: exact counts (a thread is a clone sharing
//! its creator's thread group; a raw `clone` without `CLONE_THREAD` is a process), how each
//! process ended, and whether its parent waited for it ([`Reaping`]). Signals still reach the
//! program as untraced. With [`Trace::perturb`], each new task is held stopped for a seeded
//! random delay before it first runs, which exposes a missing `join` or `wait` far more often
//! than repetition; the same seed gives the same delays ([`perturbation_delays`]). The details
//! and limits are in the supervisor's `tracer` module.
//!
//! A job with [`Job::limits`] (every student program; never cargo) is contained: rlimits on CPU
//! time, address space, file size, open files and tasks, and, when the supervisor is root, a
//! network namespace of its own and an unprivileged uid of its own. An isolated program also
//! runs in cgroups of its own where the machine allows: its memory and task limits then hold for
//! the whole program, everything left in them is killed at the end, and what they measured is
//! in [`Observation::resources`]. What was applied is in [`Observation::containment`].

mod job;
mod parent_death;
mod probe;
mod runner;
mod supervisor;

pub use job::{
    BaseEnv, CapturedOutput, Census, CgroupUsage, ChannelUse, FdTarget, HoldOrder, Interference,
    IpcObject, Job, Observation, OpenFd, Perturbation, PipeEnd, ProcessLimits, Reaping, Reply,
    Sandbox, StackRange, SyscallWatch, Task, TaskKind, Termination, Trace, format_bytes,
};
pub use job::{Doing, Frame, Holder, Hung, Stack, StackEnd, Waiting, WaitingTask};
pub(crate) use probe::landlock_abi;
pub use probe::{Capabilities, CgroupLayout, probe};
pub use runner::{RunError, Runner};
pub use supervisor::{PerturbationDelays, perturbation_delays, supervise};

use parent_death::die_with_parent;
