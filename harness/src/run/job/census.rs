//! The census of a traced program: every thread and process it created, and how each ended.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ChannelUse, IpcObject, OpenFd, Termination};
#[cfg(doc)]
use super::{Observation, SyscallWatch, Trace};

/// Every task (thread or process) a traced program created, counted exactly by ptrace events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Census {
    /// Threads created by any process of the program; the main thread of a process is not
    /// counted (it is the process).
    pub threads: u32,
    /// Processes created, grandchildren included; the program's own process is not counted.
    pub processes: u32,
    /// Processes created by the program's own process.
    pub children: u32,
    /// Most tasks (threads and processes, the program's own included) alive at once.
    pub peak_alive: u32,
    /// Processes that ended but that their parent never waited for.
    pub unreaped: u32,
    /// Processes still running when their parent ended.
    pub outlived_parent: u32,
    /// Every task, in order of creation; the program's own process first.
    pub tasks: Vec<Task>,
    /// How many times each system call of interest was made, by every task together, keyed by
    /// its name and the argument that matters (`socketpair(SOCK_SEQPACKET)`, `pipe`,
    /// `ioctl(FIONREAD)`): present only when [`Trace::syscalls`] asked for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syscalls: Option<BTreeMap<String, u64>>,
    /// Reads from pipes the tracer made short under [`SyscallWatch::short_reads`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub short_reads: u64,
    /// The two sockets of each `socketpair` the program made, by inode, under
    /// [`Trace::descriptors`] (read at the call's return, which needs [`Trace::syscalls`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub socket_pairs: Vec<[u64; 2]>,
    /// Under [`Trace::descriptors`]: each first read, write, send or receive of a task on a
    /// pipe or socket while its process held another descriptor of the same pipe, or another
    /// socket, with every descriptor it held then.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channel_uses: Vec<ChannelUse>,
    /// Under [`Trace::ipc_objects`]: the IPC objects still there when the main process's last
    /// thread stopped on its way out; `None` when they could not be seen (the program had no
    /// IPC namespace of its own, or that stop never came).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipc_left: Option<Vec<IpcObject>>,
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's `skip_serializing_if` passes a reference"
)]
pub(super) fn is_zero(count: &u64) -> bool {
    *count == 0
}

/// One thread or process of a traced program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// Thread id (for a process, its pid).
    pub tid: i32,
    /// What kind of task it is.
    pub kind: TaskKind,
    /// Pid of the process the task belongs to (its thread-group id).
    pub process: i32,
    /// Pid of the process that created it; `None` for the program's own process.
    pub parent: Option<i32>,
    /// When it was created, in microseconds after the program started.
    pub started_us: u64,
    /// When it ended, in microseconds after the program started; `None` if never seen ending.
    pub ended_us: Option<u64>,
    /// CPU time it used, in microseconds (from `/proc/<pid>/task/<tid>/schedstat` at its exit).
    /// For a process, that of its main thread: its other threads are tasks of their own.
    pub cpu_us: u64,
    /// Time it was runnable but waited for a CPU, in microseconds (the second field of the same
    /// `schedstat`): on-CPU plus waiting is the time it wanted a CPU, whatever the machine's load.
    #[serde(default)]
    pub waiting_us: u64,
    /// Context switches it made itself, by blocking or sleeping (`voluntary_ctxt_switches`).
    #[serde(default)]
    pub voluntary_switches: u64,
    /// Context switches forced on it while it could still run (`nonvoluntary_ctxt_switches`).
    #[serde(default)]
    pub involuntary_switches: u64,
    /// How a process ended; `None` for threads, and for a process that labgrade killed because
    /// it was still running after the program's main process had ended (its reaping is then
    /// [`Reaping::OutlivedParent`], and it counts in [`Observation::leftover_processes`]). A
    /// process alive when the time limit passed is [`Termination::TimedOut`].
    pub termination: Option<Termination>,
    /// Whether its parent waited for it; `None` for threads and the program's own process.
    pub reaping: Option<Reaping>,
    /// How long the tracer kept the task stopped before it first ran, in microseconds: its
    /// delay under [`Trace::perturb`], its wait for the others under [`Trace::gather_us`] or
    /// [`Trace::hold_until_waited`], 0 otherwise.
    #[serde(default)]
    pub delay_us: u64,
    /// For a thread, under [`Trace::stacks`]: the memory mapping that held its stack pointer at
    /// its exit stop, from `/proc/<pid>/task/<tid>/maps`; `None` otherwise, or if unreadable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<StackRange>,
    /// For a thread, under [`Trace::stacks`]: its stack pointer at its first stop, before it
    /// ran any instruction: the top of its stack. Above it, in the same mapping, lie the
    /// thread's thread-local storage and control block, which are not its stack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_top: Option<u64>,
    /// For a process, under [`Trace::descriptors`]: the descriptors it still held when its
    /// last thread stopped on its way out (all its threads share them), in order of number;
    /// `None` otherwise, or if that stop was never seen (a process killed by labgrade).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_fds: Option<Vec<OpenFd>>,
}

/// A range of addresses, `[start, end)`: one mapping of a process's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackRange {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
}

impl StackRange {
    /// Its size in bytes.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// Whether it holds no address.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `address` lies in it.
    #[must_use]
    pub fn contains(&self, address: u64) -> bool {
        (self.start..self.end).contains(&address)
    }

    /// Whether it shares an address with `other`.
    #[must_use]
    pub fn overlaps(&self, other: &StackRange) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// Kind of task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// The program's own process.
    Main,
    /// A thread: a clone sharing its creator's thread group.
    Thread,
    /// A process: fork, vfork, or a clone in a new thread group.
    Process,
}

impl TaskKind {
    /// The kind in words, before a tid in reports: `thread 4242`.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::Main => "the main process",
            Self::Thread => "thread",
            Self::Process => "process",
        }
    }
}

/// Whether a process's parent waited for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reaping {
    /// The parent waited for it.
    Reaped,
    /// It ended, but the parent ended without waiting for it (a zombie was left).
    NotReaped,
    /// It was still running when its parent ended.
    OutlivedParent,
}
