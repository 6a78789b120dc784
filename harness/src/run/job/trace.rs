//! How a traced job is traced: perturbation, system calls observed, starting together,
//! holding until waited.

use serde::{Deserialize, Serialize};

#[cfg(doc)]
use super::{Census, Task};

/// How a traced job is traced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "each flag is one independent option of the tracer"
)]
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
    /// Record the descriptors each process still holds at its last thread's exit stop
    /// ([`Task::open_fds`]), and the sockets of each socket pair ([`Census::socket_pairs`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub descriptors: bool,
    /// Record the IPC objects left when the main process ends ([`Census::ipc_left`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ipc_objects: bool,
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
