//! What the supervisor saw of one job, and its reply on the wire.

use nix::libc;
use serde::{Deserialize, Serialize};

use super::census::is_zero;
use super::{Census, Termination, Waiting};
#[cfg(doc)]
use super::{Job, ProcessLimits};

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
    /// Where each thread of the program was when its time limit ran out (read just before the
    /// deadline kill); `None` when it ended by itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<Waiting>,
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
    /// The limit on threads and processes alive at once ([`ProcessLimits::tasks`]), when a cgroup
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
    /// The memory limit of the whole program, in bytes ([`ProcessLimits::memory_bytes`]), when a
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
    /// not counted because the machine was busy, where each thread waited when the time ran
    /// out, the task limit stopping thread or process creation, and processes other than the
    /// main one killed for memory.
    #[must_use]
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.load_credit_ms > 0 {
            notes.push(format!(
                "the machine was busy: {} ms the program spent waiting for a CPU that other work held were not counted against its time limit",
                self.load_credit_ms
            ));
        }
        if let Some(waiting) = &self.waiting {
            notes.extend(waiting.describe());
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
