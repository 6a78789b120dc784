//! How the main process of a job ended, and in plain words.

use nix::libc;
use serde::{Deserialize, Serialize};

#[cfg(doc)]
use super::{Job, Observation};

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
        /// Set when labgrade ended the run before its limit because it had hung: every thread
        /// of the program blocked, waiting for another, with none running (the rule is in
        /// `rubrics/README.md`). It fails as a run killed at its limit does. `None` for a run
        /// killed at its limit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hung: Option<Hung>,
    },
}

/// A run ended before its time limit because it had hung.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hung {
    /// When it was ended, in milliseconds from its start.
    pub after_ms: u64,
    /// How long every thread had stayed blocked, with no thread running, in milliseconds.
    pub quiet_ms: u64,
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
            Self::TimedOut {
                limit_ms,
                cpu_ms,
                hung,
            } => {
                let limit = humantime::format_duration(std::time::Duration::from_millis(*limit_ms));
                let killed = match hung {
                    None => format!(
                        "still running after the time limit of {limit}, so labgrade killed it"
                    ),
                    Some(hung) => format!(
                        "ended early as hung after {} of its time limit of {limit}: for {} every thread had been blocked in a call that only another thread of the program could end, and none had run",
                        seconds(hung.after_ms),
                        seconds(hung.quiet_ms)
                    ),
                };
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

/// Milliseconds as seconds with one decimal, such as `1.2 s`.
fn seconds(millis: u64) -> String {
    format!("{}.{} s", millis / 1000, millis % 1000 / 100)
}
