//! The resource limits and isolation of an untrusted program.

use serde::{Deserialize, Serialize};

/// Resource limits and isolation applied to an untrusted program just before it starts.
///
/// The rlimits apply to every process of the program separately (`RLIMIT_CPU`, `RLIMIT_AS`,
/// `RLIMIT_FSIZE`, `RLIMIT_NOFILE`), except [`ProcessLimits::tasks`] (`RLIMIT_NPROC`), which
/// counts every thread and process of the program's user and so only means something once the
/// program runs as a user of its own: when the supervisor is root and
/// [`ProcessLimits::isolate`] is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessLimits {
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

impl ProcessLimits {
    /// [`ProcessLimits::cpu_ms`] as the whole seconds of `RLIMIT_CPU`, rounded up, at least 1.
    #[must_use]
    pub fn cpu_seconds(&self) -> u64 {
        self.cpu_ms.div_ceil(1_000).max(1)
    }
}
