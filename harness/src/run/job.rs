//! What the front end asks a supervisor to run, and what the supervisor saw: the wire types of
//! the `__supervise` protocol (JSON on the supervisor's stdin and stdout).

use std::collections::BTreeMap;
use std::path::PathBuf;

use nix::libc;
use serde::{Deserialize, Serialize};

/// One program to run under a supervisor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Program to execute: an absolute path, or a name looked up in `PATH`.
    pub program: PathBuf,
    /// Arguments after the program name.
    pub args: Vec<String>,
    /// Variables set on top of the base environment.
    pub env: BTreeMap<String, String>,
    /// Which environment the program starts from.
    pub base_env: BaseEnv,
    /// Working directory of the program.
    pub cwd: PathBuf,
    /// Wall-clock limit; when it passes, the whole process group is killed.
    pub timeout_ms: u64,
    /// Bytes of stdout and of stderr kept; the rest is read and discarded.
    pub output_limit: u64,
    /// Trace the program with ptrace to take its census; `None` runs it untraced.
    #[serde(default)]
    pub trace: Option<Trace>,
    /// Resource limits and isolation of an untrusted program; `None` (trusted tools such as
    /// cargo) runs it with the supervisor's own limits, as the supervisor's user.
    #[serde(default)]
    pub limits: Option<Limits>,
    /// What the program may reach of the file system and the network; `None` leaves it
    /// everything its user may reach.
    #[serde(default)]
    pub sandbox: Option<Sandbox>,
}

/// The files and network an untrusted program may reach, enforced with Landlock where the
/// kernel has it, and with a network namespace of its own when the supervisor is root.
///
/// Besides the folders named here, the program may read and execute the system's programs and
/// libraries (`/usr`, `/bin`, `/lib*`), read `/proc`, `/sys` and the few files of `/etc` that
/// the C library needs, and use `/dev/null`, `/dev/zero` and the random devices: see the
/// supervisor's `sandbox` module. Everything else (other submissions, the reference solutions,
/// the rubrics, labgrade's own files, `/tmp`) is refused, as are TCP connections and listening
/// sockets, and signals to processes outside the program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sandbox {
    /// Folders and files the program may read and execute.
    pub read: Vec<PathBuf>,
    /// Folders the program may read, write and execute in.
    pub write: Vec<PathBuf>,
    /// Folders to hide from the program where Landlock is missing: when the supervisor is root,
    /// the program gets a mount namespace of its own in which each is covered by an empty,
    /// read-only file system. A folder that holds one of `read` or `write` is never hidden.
    #[serde(default)]
    pub hide: Vec<PathBuf>,
    /// Whether to use Landlock where the kernel has it; `false` only to test the fallback.
    #[serde(default = "yes")]
    pub landlock: bool,
    /// Whether the program may read `/proc`. A build may not: run as labgrade's user, the
    /// compiler could `include_str!("/proc/<pid>/environ")` of any process of that user (of
    /// every process, as root), the CI runner's secrets among them.
    #[serde(default = "yes")]
    pub proc: bool,
    /// As root, whether the program gets a private `/tmp`, `/var/tmp`, `/dev/shm` and `/run`
    /// even where Landlock confines its files: a student program may connect to a named UNIX
    /// socket left open there, which Landlock does not govern. A build runs no code of the
    /// student's and keeps the real ones (its `CARGO_HOME` may lie there).
    #[serde(default = "yes")]
    pub private_tmp: bool,
}

/// The default of [`Sandbox::landlock`].
fn yes() -> bool {
    true
}

/// Resource limits and isolation applied to an untrusted program just before it starts.
///
/// The rlimits apply to every process of the program separately (`RLIMIT_CPU`, `RLIMIT_AS`,
/// `RLIMIT_FSIZE`, `RLIMIT_NOFILE`), except [`Limits::tasks`] (`RLIMIT_NPROC`), which counts every
/// thread and process of the program's user and so only means something once the program runs
/// as a user of its own: when the supervisor is root and [`Limits::isolate`] is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// CPU time per process, in milliseconds, rounded up to whole seconds (at least 1): past it
    /// the process gets SIGXCPU, and SIGKILL one second later.
    pub cpu_ms: u64,
    /// Memory, in bytes: for an isolated program in a memory cgroup of its own, the memory all
    /// its processes use together (beyond it the kernel kills one), with `RLIMIT_AS` only a
    /// backstop; otherwise the address space of each process (`RLIMIT_AS`): allocations beyond
    /// it fail.
    pub memory_bytes: u64,
    /// Threads and processes of the program at once: the `pids.max` of its cgroup, when
    /// isolated and cgroups are usable (even as root), and `RLIMIT_NPROC` of its user, when
    /// isolated as root.
    pub tasks: u64,
    /// Largest file a process may write, in bytes: writing beyond it raises SIGXFSZ.
    pub file_bytes: u64,
    /// Open file descriptors per process.
    pub open_files: u64,
    /// When the supervisor is root: run the program in a network namespace of its own (only a
    /// loopback interface, down) and as an unprivileged user of its own. Ignored otherwise.
    pub isolate: bool,
}

impl Limits {
    /// [`Limits::cpu_ms`] as the whole seconds of `RLIMIT_CPU`, rounded up, at least 1.
    #[must_use]
    pub fn cpu_seconds(&self) -> u64 {
        self.cpu_ms.div_ceil(1_000).max(1)
    }
}

/// How a traced job is traced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Trace {
    /// Delays injected to make races show up; `None` lets the program run undisturbed.
    #[serde(default)]
    pub perturb: Option<Perturbation>,
    /// Observe the system calls of interest to the IPC exercises (a seccomp filter stops only
    /// those); `None` stops at no system call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syscalls: Option<SyscallWatch>,
    /// Start new tasks together: hold every new thread and process at its first stop until no
    /// task has been created for this many microseconds, then let all the held ones run at
    /// once; `None` does not. Threads a program starts one right after the other then run at
    /// the same moment (a race shows), and a program that waits for one thread before it
    /// creates the next cannot hide it (see `overlap` in rubrics/README.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gather_us: Option<u64>,
    /// With [`Trace::gather_us`]: pin each task started together to a CPU of its own, the
    /// supervisor's CPUs taken in turn, so that they run at the same moment on different cores
    /// instead of taking turns on the one the kernel woke them on (see `separate-cores` in
    /// rubrics/README.md).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub separate_cores: bool,
    /// Record each thread's stack mapping at its exit stop ([`Task::stack`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stacks: bool,
    /// Hold every new thread and process at its first stop until every other task of the
    /// program is blocked waiting (in a system call that is not a sleep) or has ended, then let
    /// one held task run, in this order; `None` does not (see `hold-until-waited` in
    /// rubrics/README.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_until_waited: Option<HoldOrder>,
}

/// Which held task `hold-until-waited` lets run first, once the rest of the program waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HoldOrder {
    /// The task created last: workers run in the reverse of their creation order.
    NewestFirst,
    /// The task created first: workers run in their creation order.
    OldestFirst,
}

/// What the tracer does at the system calls of interest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SyscallWatch {
    /// Make reads from pipes come back short: each `read` of a pipe asks for fewer bytes, as
    /// many as a generator seeded with this seed draws, so that a program assuming one `read`
    /// per message fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_reads: Option<u64>,
}

/// Seeded delays injected by the tracer: the same seed gives the same delays, so a TA can
/// replay the exact run that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Perturbation {
    /// Seed of the delays.
    pub seed: u64,
    /// Longest delay, in microseconds.
    pub max_delay_us: u64,
}

/// The environment a job starts from, before [`Job::env`] is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BaseEnv {
    /// Only a fixed `PATH`, so that a student program sees the same environment on every machine
    /// and a replay from the report reproduces it.
    Clean,
    /// The harness's own environment, for trusted tools that compile nothing of a student's,
    /// such as `cargo fetch` (which may need proxies and registry settings).
    Inherit,
    /// Only what cargo and rustc need to find the toolchain ([`TOOLCHAIN_ENV`]), for a build of
    /// student code: the compiler expands `option_env!` and `include_str!("/proc/self/environ")`
    /// into the program, so labgrade's secrets (a CI token) must not be in its environment.
    Toolchain,
}

/// The variables of labgrade's environment that [`BaseEnv::Toolchain`] keeps: where the
/// toolchain and its registry are, and the locale. Nothing that can hold a secret.
pub(crate) const TOOLCHAIN_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "LANG",
    "LC_ALL",
];

/// What the supervisor observed of one job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// How the program's main process ended.
    pub termination: Termination,
    /// Wall-clock time from spawn to the end of the main process, in milliseconds.
    pub wall_ms: u64,
    /// What the program wrote to stdout.
    pub stdout: CapturedOutput,
    /// What the program wrote to stderr.
    pub stderr: CapturedOutput,
    /// Processes of the program still alive after its main process ended; the supervisor killed
    /// and reaped them. When the program was killed at its time limit, the processes of its
    /// process group died with it and are not counted, only those that had left the group (for
    /// example with `setsid`). Threads are not processes and never count.
    pub leftover_processes: u32,
    /// CPU time (user plus system) used by every process of the program, in microseconds,
    /// traced or not: the supervisor's `getrusage(RUSAGE_CHILDREN)` once everything is reaped,
    /// so processes reaped by their own parents count too.
    #[serde(default)]
    pub cpu_us: u64,
    /// Every thread and process the program created, when the job was traced.
    #[serde(default)]
    pub census: Option<Census>,
    /// The containment applied to the program, in words, such as `["rlimits", "network
    /// namespace", "uid 61234"]` or `["rlimits", "no uid drop: not root"]`; empty when the job
    /// had no [`Job::limits`].
    #[serde(default)]
    pub containment: Vec<String>,
    /// What the program's cgroups measured, when it ran in cgroups of its own (an isolated
    /// program on a machine where labgrade can create them); `None` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<CgroupUsage>,
    /// Wall time, in milliseconds, that was not counted against the time limit because the
    /// program was waiting for a CPU that the machine's other work held (see
    /// `supervisor::load`); 0 when the program ended within its limit anyway.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub load_credit_ms: u64,
    /// Something outside the program that spoiled the run, when there was: the run says
    /// nothing about the student's work, and the grader runs it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interference: Option<Interference>,
}

/// What spoiled a run from outside the program: neither the program nor labgrade's limits
/// did it, so it is not the student's failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Interference {
    /// A process of the program was killed by a signal that the program never sent (labgrade
    /// saw every signal it sent) and that labgrade did not send either.
    Killed {
        /// The process, as the supervisor's PID namespace numbers it.
        pid: i32,
        /// Whether it was the main process.
        main: bool,
        /// Signal number.
        signal: i32,
        /// Signal name, such as `SIGKILL`.
        name: String,
        /// The machine's OOM killer ran during the run (and not for the program's own memory
        /// limit): the likely sender.
        machine_oom: bool,
    },
    /// The program ran out of time mostly waiting for a CPU: by the deadline, moved as far as
    /// labgrade moves it, it had run and slept for less than its time limit.
    Overloaded {
        /// The time limit, in milliseconds.
        limit_ms: u64,
        /// Wall time from start to the kill, in milliseconds.
        wall_ms: u64,
        /// Of that, time spent waiting for a CPU the machine's other work held.
        waiting_ms: u64,
    },
}

impl Interference {
    /// What happened, in plain words, for reports.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Killed {
                pid,
                main,
                signal,
                name,
                machine_oom,
            } => {
                let who = if *main {
                    "the program's main process".to_owned()
                } else {
                    format!("process {pid} of the program")
                };
                let likely = if *machine_oom {
                    " (the machine ran out of memory: its OOM killer is the likely sender)"
                } else {
                    ""
                };
                format!(
                    "{who} was killed by signal {name} ({signal}) from outside: neither the program nor labgrade sent it{likely}"
                )
            }
            Self::Overloaded {
                limit_ms,
                wall_ms,
                waiting_ms,
            } => format!(
                "the machine was overloaded: the program waited {waiting_ms} ms of {wall_ms} ms for a CPU that other work held, and had less than its time limit of {limit_ms} ms to itself"
            ),
        }
    }
}

/// What the cgroups of a program measured over its whole run, all its threads and processes
/// together. A value is `None` where it was not measured: the limit was not applied by a
/// cgroup, or this kernel does not offer the counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CgroupUsage {
    /// The limit on threads and processes alive at once ([`Limits::tasks`]), when a cgroup
    /// enforced it (it holds even for root, unlike `RLIMIT_NPROC`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_limit: Option<u64>,
    /// Most threads and processes alive at once (`pids.peak`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tasks_peak: Option<u64>,
    /// How many times creating a thread or process failed because the program was at its task
    /// limit (the `max` count of `pids.events`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_limit_hits: Option<u64>,
    /// The memory limit of the whole program, in bytes ([`Limits::memory_bytes`]), when a
    /// cgroup enforced it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_limit_bytes: Option<u64>,
    /// Most memory the program used at once, in bytes (v1 `memory.max_usage_in_bytes`, v2
    /// `memory.peak`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_peak_bytes: Option<u64>,
    /// Processes the kernel killed because the program used more than its memory limit (the
    /// `oom_kill` count of v1 `memory.oom_control` or v2 `memory.events`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oom_kills: Option<u64>,
}

impl Observation {
    /// Whether the main process was killed by the kernel for using more than the memory limit:
    /// it died of SIGKILL, which labgrade did not send (a deadline kill is a
    /// [`Termination::TimedOut`]), while the program's memory cgroup recorded an OOM kill.
    #[must_use]
    pub fn killed_for_memory(&self) -> bool {
        matches!(self.termination, Termination::Signaled { signal, .. } if signal == libc::SIGKILL)
            && self
                .resources
                .as_ref()
                .is_some_and(|usage| usage.oom_kills.unwrap_or(0) > 0)
    }

    /// How the main process ended, in plain words for reports: [`Termination::describe`],
    /// except that a kill for memory says so and names the limit.
    #[must_use]
    pub fn termination_text(&self) -> String {
        let limit = self
            .resources
            .as_ref()
            .and_then(|usage| usage.memory_limit_bytes);
        match (&self.termination, limit) {
            (Termination::Signaled { name, .. }, Some(limit)) if self.killed_for_memory() => {
                format!(
                    "killed for memory: it used more than its memory limit of {} (signal {name})",
                    format_bytes(limit)
                )
            }
            (termination, _) => termination.describe(),
        }
    }

    /// What the supervisor saw that the termination does not already say, in plain words: time
    /// not counted because the machine was busy, the task limit stopping thread or process
    /// creation, and processes other than the main one killed for memory.
    #[must_use]
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.load_credit_ms > 0 {
            notes.push(format!(
                "the machine was busy: {} ms the program spent waiting for a CPU that other work held were not counted against its time limit",
                self.load_credit_ms
            ));
        }
        let Some(usage) = &self.resources else {
            return notes;
        };
        if let (Some(hits @ 1..), Some(limit)) = (usage.task_limit_hits, usage.task_limit) {
            notes.push(format!(
                "the program was stopped at its task limit of {limit} threads and processes at once: creating a thread or process failed {hits} {}",
                if hits == 1 { "time" } else { "times" }
            ));
        }
        let others = usage
            .oom_kills
            .unwrap_or(0)
            .saturating_sub(u64::from(self.killed_for_memory()));
        if let (1.., Some(limit)) = (others, usage.memory_limit_bytes) {
            let count = if others == 1 {
                "a process".to_owned()
            } else {
                format!("{others} processes")
            };
            let besides = if self.killed_for_memory() {
                " besides its main process"
            } else {
                ""
            };
            notes.push(format!(
                "the kernel killed {count} of the program{besides} for using more than its memory limit of {}",
                format_bytes(limit)
            ));
        }
        notes
    }
}

/// A number of bytes in the largest binary unit that divides it exactly, such as `64 MiB`, so
/// that a limit reads as the rubric wrote it.
#[must_use]
pub fn format_bytes(bytes: u64) -> String {
    for (unit, name) in [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")] {
        if bytes >= unit && bytes.is_multiple_of(unit) {
            return format!("{} {name}", bytes / unit);
        }
    }
    format!("{bytes} bytes")
}

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
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's `skip_serializing_if` passes a reference"
)]
fn is_zero(count: &u64) -> bool {
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

/// Output of one stream, capped in size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CapturedOutput {
    /// The kept bytes, decoded as UTF-8 with invalid sequences replaced.
    pub text: String,
    /// Every byte the program wrote to the stream, kept or not.
    pub total_bytes: u64,
    /// Whether bytes beyond the limit were discarded.
    pub truncated: bool,
}

/// How the main process of a job ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Termination {
    /// The process exited by itself with this code.
    Exited {
        /// Exit code, 0 to 255.
        code: i32,
    },
    /// A signal that labgrade did not send killed the process.
    Signaled {
        /// Signal number.
        signal: i32,
        /// Signal name, such as `SIGSEGV`.
        name: String,
        /// Whether the kernel reported a core dump.
        core_dumped: bool,
        /// For SIGXCPU under [`Job::limits`]: the CPU time limit that was passed, in seconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cpu_limit_s: Option<u64>,
    },
    /// The process was still running at its time limit, so labgrade killed its process group.
    TimedOut {
        /// The limit that passed, in milliseconds.
        limit_ms: u64,
        /// CPU time the program had used when it was killed, in milliseconds
        /// ([`Observation::cpu_us`]): near the limit for a busy loop, near zero for a program
        /// blocked or sleeping. `None` where it was not measured (a process of a traced
        /// program other than the main one).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cpu_ms: Option<u64>,
    },
}

/// Below this share of its time limit spent on the CPU, a timed-out program was mostly waiting
/// (blocked or sleeping) rather than busy. Generous, because a busy loop on a loaded machine
/// gets only part of a CPU.
const BUSY_SHARE_PERCENT: u64 = 10;

impl Termination {
    /// The termination in plain words, for reports.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Exited { code } => format!("exited with code {code}"),
            Self::Signaled {
                signal,
                name,
                core_dumped,
                cpu_limit_s,
            } => {
                let core = if *core_dumped { " (core dumped)" } else { "" };
                let why = match (*signal, cpu_limit_s) {
                    (libc::SIGXCPU, Some(limit)) => {
                        format!(" because it used more than its CPU time limit of {limit} s")
                    }
                    (libc::SIGXCPU, None) => {
                        " because it used more than its CPU time limit".to_owned()
                    }
                    (libc::SIGXFSZ, _) => {
                        " because it wrote a file beyond the size limit".to_owned()
                    }
                    _ => String::new(),
                };
                format!("killed by signal {name} ({signal}){core}{why}")
            }
            Self::TimedOut { limit_ms, cpu_ms } => {
                let limit = humantime::format_duration(std::time::Duration::from_millis(*limit_ms));
                let killed =
                    format!("still running after the time limit of {limit}, so labgrade killed it");
                match cpu_ms {
                    // The CPU time tells an endless loop from a program waiting for something
                    // that never comes (a deadlock, a missing wake-up, a read that blocks).
                    Some(cpu_ms) => {
                        let state = if cpu_ms.saturating_mul(100)
                            >= limit_ms.saturating_mul(BUSY_SHARE_PERCENT)
                        {
                            "busy"
                        } else {
                            "blocked or sleeping"
                        };
                        format!(
                            "{killed} (it had used {}.{:02} s of CPU: {state})",
                            cpu_ms / 1000,
                            cpu_ms % 1000 / 10
                        )
                    }
                    None => killed,
                }
            }
        }
    }
}

/// The supervisor's answer on its stdout.
#[expect(
    clippy::large_enum_variant,
    reason = "one reply per supervisor process, read once: boxing would only add noise"
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Reply {
    /// The program ran; this is what happened.
    Observed(Observation),
    /// The program could not be started at all (not found, not executable).
    SpawnFailed {
        /// The operating system's reason.
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signaled(signal: i32, name: &str, cpu_limit_s: Option<u64>) -> Termination {
        Termination::Signaled {
            signal,
            name: name.to_owned(),
            core_dumped: false,
            cpu_limit_s,
        }
    }

    #[test]
    fn resource_limit_signals_say_which_limit() {
        assert_eq!(
            signaled(libc::SIGXCPU, "SIGXCPU", Some(2)).describe(),
            "killed by signal SIGXCPU (24) because it used more than its CPU time limit of 2 s"
        );
        assert_eq!(
            signaled(libc::SIGXFSZ, "SIGXFSZ", None).describe(),
            "killed by signal SIGXFSZ (25) because it wrote a file beyond the size limit"
        );
        assert_eq!(
            signaled(libc::SIGSEGV, "SIGSEGV", None).describe(),
            "killed by signal SIGSEGV (11)"
        );
    }

    #[test]
    fn a_timeout_says_whether_the_program_was_busy() {
        let timed_out = |cpu_ms| Termination::TimedOut {
            limit_ms: 1000,
            cpu_ms,
        };
        assert_eq!(
            timed_out(Some(980)).describe(),
            "still running after the time limit of 1s, so labgrade killed it (it had used 0.98 s of CPU: busy)"
        );
        assert_eq!(
            timed_out(Some(3)).describe(),
            "still running after the time limit of 1s, so labgrade killed it (it had used 0.00 s of CPU: blocked or sleeping)"
        );
        assert_eq!(
            timed_out(None).describe(),
            "still running after the time limit of 1s, so labgrade killed it"
        );
        assert_eq!(
            serde_json::to_value(timed_out(None)).unwrap(),
            serde_json::json!({"kind": "timed_out", "limit_ms": 1000})
        );
        assert_eq!(
            serde_json::to_value(timed_out(Some(980))).unwrap()["cpu_ms"],
            980
        );
    }

    #[test]
    fn the_cpu_limit_is_only_on_the_wire_when_set() {
        let plain = serde_json::to_value(signaled(libc::SIGSEGV, "SIGSEGV", None)).unwrap();
        assert_eq!(
            plain,
            serde_json::json!({"kind": "signaled", "signal": 11, "name": "SIGSEGV", "core_dumped": false})
        );
        let xcpu = signaled(libc::SIGXCPU, "SIGXCPU", Some(3));
        let wire = serde_json::to_value(&xcpu).unwrap();
        assert_eq!(wire["cpu_limit_s"], 3);
        assert_eq!(serde_json::from_value::<Termination>(wire).unwrap(), xcpu);
    }

    #[test]
    fn cpu_seconds_round_up_and_are_at_least_one() {
        let limits = |cpu_ms| Limits {
            cpu_ms,
            memory_bytes: 1,
            tasks: 1,
            file_bytes: 1,
            open_files: 1,
            isolate: false,
        };
        assert_eq!(limits(0).cpu_seconds(), 1);
        assert_eq!(limits(500).cpu_seconds(), 1);
        assert_eq!(limits(1_000).cpu_seconds(), 1);
        assert_eq!(limits(1_001).cpu_seconds(), 2);
    }

    fn observed(termination: Termination, resources: Option<CgroupUsage>) -> Observation {
        Observation {
            termination,
            wall_ms: 1,
            stdout: CapturedOutput::default(),
            stderr: CapturedOutput::default(),
            leftover_processes: 0,
            cpu_us: 0,
            census: None,
            containment: Vec::new(),
            resources,
            load_credit_ms: 0,
            interference: None,
        }
    }

    fn usage(oom_kills: u64, task_limit_hits: u64) -> CgroupUsage {
        CgroupUsage {
            task_limit: Some(50),
            tasks_peak: Some(50),
            task_limit_hits: Some(task_limit_hits),
            memory_limit_bytes: Some(64 << 20),
            memory_peak_bytes: Some(64 << 20),
            oom_kills: Some(oom_kills),
        }
    }

    #[test]
    fn a_kill_for_memory_says_so_and_names_the_limit() {
        let sigkill = signaled(libc::SIGKILL, "SIGKILL", None);
        let killed = observed(sigkill.clone(), Some(usage(1, 0)));
        assert!(killed.killed_for_memory());
        assert_eq!(
            killed.termination_text(),
            "killed for memory: it used more than its memory limit of 64 MiB (signal SIGKILL)"
        );
        assert!(killed.notes().is_empty(), "{:?}", killed.notes());
        // A SIGKILL without an OOM kill (sent by the program itself) is only a signal.
        let plain = observed(sigkill.clone(), Some(usage(0, 0)));
        assert!(!plain.killed_for_memory());
        assert_eq!(plain.termination_text(), "killed by signal SIGKILL (9)");
        assert_eq!(
            observed(sigkill, None).termination_text(),
            "killed by signal SIGKILL (9)"
        );
        // Another process killed for memory while the main one exited is a note.
        let child_killed = observed(Termination::Exited { code: 0 }, Some(usage(2, 0)));
        assert_eq!(child_killed.termination_text(), "exited with code 0");
        assert_eq!(
            child_killed.notes(),
            [
                "the kernel killed 2 processes of the program for using more than its memory limit of 64 MiB"
            ]
        );
    }

    #[test]
    fn hitting_the_task_limit_is_a_note() {
        let bomb = observed(
            Termination::TimedOut {
                limit_ms: 2000,
                cpu_ms: Some(1900),
            },
            Some(usage(0, 10250)),
        );
        assert_eq!(
            bomb.notes(),
            [
                "the program was stopped at its task limit of 50 threads and processes at once: creating a thread or process failed 10250 times"
            ]
        );
        let once = observed(Termination::Exited { code: 1 }, Some(usage(0, 1)));
        assert!(
            once.notes()[0].ends_with("failed 1 time"),
            "{:?}",
            once.notes()
        );
        let fine = observed(Termination::Exited { code: 0 }, Some(usage(0, 0)));
        assert!(fine.notes().is_empty());
    }

    #[test]
    fn byte_counts_read_in_the_largest_exact_unit() {
        assert_eq!(format_bytes(64 << 20), "64 MiB");
        assert_eq!(format_bytes(1 << 30), "1 GiB");
        assert_eq!(format_bytes(1536 << 20), "1536 MiB");
        assert_eq!(format_bytes(4096), "4 KiB");
        assert_eq!(format_bytes(1000), "1000 bytes");
        assert_eq!(format_bytes(0), "0 bytes");
    }

    #[test]
    fn observations_without_resources_still_parse() {
        let mut wire = serde_json::to_value(observed(Termination::Exited { code: 0 }, None))
            .expect("serializes");
        assert!(wire.get("resources").is_none(), "{wire}");
        wire.as_object_mut().unwrap().remove("containment");
        let parsed: Observation = serde_json::from_value(wire).expect("an old reply parses");
        assert_eq!(parsed.resources, None);
        let with = observed(Termination::Exited { code: 0 }, Some(usage(0, 3)));
        let wire = serde_json::to_value(&with).unwrap();
        assert_eq!(wire["resources"]["task_limit_hits"], 3);
        assert_eq!(serde_json::from_value::<Observation>(wire).unwrap(), with);
    }

    #[test]
    fn jobs_without_limits_still_parse() {
        let job: Job = serde_json::from_str(
            r#"{"program":"/bin/true","args":[],"env":{},"base_env":"clean","cwd":"/",
                "timeout_ms":1,"output_limit":1}"#,
        )
        .unwrap();
        assert_eq!(job.limits, None);
    }
}
