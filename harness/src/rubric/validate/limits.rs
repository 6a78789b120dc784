//! Limits of every run: the defaults, the `[limits]` table and a check's own limit keys, each
//! falling back on the one above it.

use std::time::Duration;

use crate::rubric::model::RunLimits;
use crate::rubric::wire::LimitsWire;

use super::parse::Validator;

pub(super) const DEFAULT_CASE_TIMEOUT: Duration = Duration::from_secs(10);
pub(super) const DEFAULT_OUTPUT_BYTES: u64 = 1 << 20;
/// Address space of each process. Generous on purpose: it only catches runaway allocation. A
/// Rust program with 8 threads reserves far more address space than it uses (glibc gives each
/// thread a 64 MiB malloc arena reservation, each thread stack 2 MiB or more).
const DEFAULT_MEMORY: u64 = 1 << 30;
/// Threads and processes alive at once, for the program's own uid: room for a pool of workers
/// and for labs that start a few hundred short-lived threads or processes one after another
/// (exiting tasks may linger a moment before they stop counting).
const DEFAULT_TASKS: u64 = 256;
const DEFAULT_FILE_SIZE: u64 = 64 << 20;
const DEFAULT_OPEN_FILES: u64 = 256;

/// The limits of one level (the defaults, `[limits]` or a check's own keys), each already
/// falling back on the level above.
pub(super) struct CheckLimits {
    pub(super) timeout: Duration,
    pub(super) output_bytes: u64,
    /// `None`: twice each check's own timeout.
    pub(super) cpu_time: Option<Duration>,
    pub(super) memory: u64,
    pub(super) tasks: u64,
    pub(super) file_size: u64,
    pub(super) open_files: u64,
    pub(super) isolate: bool,
}

impl Default for CheckLimits {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_CASE_TIMEOUT,
            output_bytes: DEFAULT_OUTPUT_BYTES,
            cpu_time: None,
            memory: DEFAULT_MEMORY,
            tasks: DEFAULT_TASKS,
            file_size: DEFAULT_FILE_SIZE,
            open_files: DEFAULT_OPEN_FILES,
            isolate: true,
        }
    }
}

impl Validator {
    /// Limits written in `wire` (the `[limits]` table, or a check's own keys), each falling
    /// back on `inherited`; a CPU time nobody sets is left to [`Self::run_limits`].
    pub(super) fn limits(&mut self, wire: &LimitsWire, inherited: &CheckLimits) -> CheckLimits {
        CheckLimits {
            timeout: self.duration(wire.timeout.as_ref(), inherited.timeout),
            output_bytes: self.output_bytes(wire.output_bytes.as_ref(), inherited.output_bytes),
            cpu_time: wire
                .cpu_time
                .as_ref()
                .map(|value| self.duration(Some(value), inherited.timeout * 2))
                .or(inherited.cpu_time),
            memory: self.positive(wire.memory.as_ref(), "memory", inherited.memory),
            tasks: self.positive(wire.tasks.as_ref(), "tasks", inherited.tasks),
            file_size: self.positive(wire.file_size.as_ref(), "file-size", inherited.file_size),
            open_files: self.positive(wire.open_files.as_ref(), "open-files", inherited.open_files),
            isolate: wire
                .isolate
                .as_ref()
                .map_or(inherited.isolate, |v| *v.get_ref()),
        }
    }

    /// The resource limits of a check's runs; CPU time defaults to twice the check's own
    /// wall-clock `timeout`.
    pub(super) fn run_limits(limits: &CheckLimits) -> RunLimits {
        RunLimits {
            cpu_time: limits.cpu_time.unwrap_or(limits.timeout * 2),
            memory: limits.memory,
            tasks: limits.tasks,
            file_size: limits.file_size,
            open_files: limits.open_files,
            isolate: limits.isolate,
        }
    }
}
