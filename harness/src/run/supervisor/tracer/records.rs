//! What the tracer holds: a record of every task, every process, what was seen of a task before
//! its creation was reported, and the tracer itself.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::{Duration, Instant};

use super::delays::PerturbationDelays;
#[cfg(doc)]
use crate::run::job::Trace;
use crate::run::job::{HoldOrder, IpcObject, Task};
use crate::run::supervisor::cores::Spreader;
use crate::run::supervisor::procfs::TaskTimes;
use crate::run::supervisor::syscalls::Observer;

/// Where a task is, as far as the tracer knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    /// Created, but its first stop (the SIGSTOP every new tracee starts with) has not come yet.
    Pending,
    Running,
    /// Kept stopped by the perturbation until this instant.
    Held(Instant),
    /// Kept stopped by `hold-until-waited` until every other task waits or has ended.
    HeldUntilWaited,
    /// In a group-stop, kept stopped until a SIGCONT is pending.
    GroupStopped,
    /// Past its exit stop or dead.
    Ended,
}

/// Why labgrade killed a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kill {
    /// It was alive when the deadline passed.
    Deadline,
    /// It was left running after the main process ended.
    Leftover,
}

/// One task and what the tracer knows about it besides its [`Task`].
#[derive(Debug)]
pub(super) struct Record {
    pub(super) task: Task,
    pub(super) state: State,
    /// Raw wait status the tracer collected when it ended.
    pub(super) status: Option<i32>,
    /// Order in which ends were seen, to tell which of two tasks ended first.
    pub(super) end_seq: Option<u64>,
    /// It ended, was left a zombie, and came to the supervisor (the subreaper) a second time.
    pub(super) reparented_zombie: bool,
    /// For a process: whether labgrade killed it while alive.
    pub(super) killed: Option<Kill>,
}

/// A process of the program.
#[derive(Debug)]
pub(super) struct Process {
    /// Index of its leader's record.
    pub(super) leader: usize,
    /// Its tasks not yet ended.
    pub(super) live: u32,
    /// Indices of the records of the processes it created.
    pub(super) children: Vec<usize>,
    /// Whether its children's reaping was decided when it ended.
    pub(super) judged: bool,
    /// When its last task ended, in the order of [`Record::end_seq`].
    pub(super) end_seq: Option<u64>,
}

/// What was seen of a task before its creator's event named it.
#[derive(Debug, Default)]
pub(super) struct Early {
    pub(super) seen: Option<Instant>,
    /// Its first SIGSTOP arrived; it is kept stopped until the event.
    pub(super) stopped: bool,
    pub(super) exit_stop: Option<(Instant, TaskTimes)>,
    pub(super) end: Option<(i32, Instant, TaskTimes)>,
    /// `Tgid` and `PPid` from `/proc`, read when it was first seen.
    pub(super) ids: Option<(i32, i32)>,
}

/// The tracer of one job's program.
pub(in crate::run::supervisor) struct Tracer {
    pub(super) start: Instant,
    pub(super) main: i32,
    pub(super) records: Vec<Record>,
    pub(super) by_tid: HashMap<i32, usize>,
    pub(super) processes: HashMap<i32, Process>,
    pub(super) early: HashMap<i32, Early>,
    pub(super) alive: u32,
    pub(super) peak: u32,
    pub(super) seq: u64,
    pub(super) delays: Option<PerturbationDelays>,
    pub(super) held: BinaryHeap<Reverse<(Instant, i32)>>,
    pub(super) group_stopped: Vec<i32>,
    /// How the task about to be reaped used the CPU, read from its zombie.
    pub(super) reaped_cpu: Option<(i32, TaskTimes)>,
    /// The seccomp stops' observer, when the job observes system calls (see [`syscalls`]).
    ///
    /// [`syscalls`]: crate::run::supervisor::syscalls
    pub(super) syscalls: Option<Observer>,
    /// [`Trace::gather_us`]: how long no task must be created before the held ones start.
    pub(super) gather: Option<Duration>,
    /// [`Trace::stacks`]: record each thread's stack mapping at its exit stop.
    pub(super) stacks: bool,
    /// [`Trace::descriptors`]: record each process's descriptors at its last exit stop.
    pub(super) descriptors: bool,
    /// [`Trace::ipc_objects`]: record the IPC objects left when the main process ends.
    pub(super) ipc_objects: bool,
    /// The IPC objects left, read at the main process's last exit stop.
    pub(super) ipc_left: Option<Vec<IpcObject>>,
    /// [`Trace::separate_cores`]: the CPUs the tasks started together are pinned to, in turn.
    pub(super) cores: Option<Spreader>,
    /// [`Trace::hold_until_waited`]: which held task runs first once the others wait.
    pub(super) hold: Option<HoldOrder>,
    /// Indices of the records held by `hold-until-waited`.
    pub(super) waiting_room: Vec<usize>,
}
