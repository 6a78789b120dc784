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
    /// Address space per process, in bytes (`RLIMIT_AS`): allocations beyond it fail.
    pub memory_bytes: u64,
    /// Threads and processes of the program's user at once (`RLIMIT_NPROC`), when isolated.
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
    /// The harness's own environment, for trusted tools such as `cargo` that need `HOME`,
    /// `CARGO_HOME` and `RUSTUP_HOME`.
    Inherit,
}

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
    /// How a process ended; `None` for threads, and for a process that labgrade killed because
    /// it was still running after the program's main process had ended (its reaping is then
    /// [`Reaping::OutlivedParent`], and it counts in [`Observation::leftover_processes`]). A
    /// process alive when the time limit passed is [`Termination::TimedOut`].
    pub termination: Option<Termination>,
    /// Whether its parent waited for it; `None` for threads and the program's own process.
    pub reaping: Option<Reaping>,
    /// How long the tracer kept the task stopped before it first ran, in microseconds: its
    /// delay under [`Trace::perturb`], 0 without perturbation.
    #[serde(default)]
    pub delay_us: u64,
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
