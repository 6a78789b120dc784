//! How much of a run's wall time the machine's other work took from the program, so that a
//! wall-clock limit does not fail a program that was only waiting for a CPU.
//!
//! At the deadline the supervisor asks for a [`Credit`] before it kills: the time the program
//! spent runnable but waiting in a run queue (`schedstat`'s second field, per task), but never
//! more than other work could have taken from it, which is the CPU time the rest of the machine
//! used during the run (`/proc/stat`, less the program's own CPU time) spread over the
//! machine's cores. The second bound matters: eight threads of a program on two cores wait for
//! each other, not for the machine, and that waiting is the program's own.
//!
//! The credit moves the [`Deadline`], at most to [`STRETCH`] times the limit,
//! and a program still running there that had more credit than time of its own ran out of time
//! mostly waiting: the run says so, and the grader reruns it instead of blaming the student.

use std::time::{Duration, Instant};

use ::procfs::{CpuTime, CurrentSI, KernelStats};
use nix::unistd::Pid;

use super::super::job::Interference;
use super::procfs;

/// How far the deadline may move, as a multiple of the time limit: bounds how long a hanging
/// program on a busy machine holds a grading up.
const STRETCH: u32 = 4;

/// Least move of a deadline for the time the machine's other work took: smaller credits end
/// the run instead of waking the loop again and again for a few microseconds each.
const MIN_MOVE: Duration = Duration::from_millis(5);

/// A run's wall-clock deadline, moved by the machine's load.
#[derive(Debug)]
pub(super) struct Deadline {
    start: Instant,
    limit: Duration,
    /// When the run ends now; `None` for a limit too far away to name.
    at: Option<Instant>,
    /// The farthest it may move.
    cap: Option<Instant>,
    clock: LoadClock,
    /// The credit found the last time the deadline was reached.
    credit: Credit,
    /// The run ended at the cap, short of the time its credit asked for.
    capped: bool,
}

impl Deadline {
    pub(super) fn new(start: Instant, limit: Duration) -> Self {
        Self {
            start,
            limit,
            at: start.checked_add(limit),
            cap: limit
                .checked_mul(STRETCH)
                .and_then(|stretched| start.checked_add(stretched)),
            clock: LoadClock::start(),
            credit: Credit::default(),
            capped: false,
        }
    }

    /// When the run ends as things stand.
    pub(super) fn at(&self) -> Option<Instant> {
        self.at
    }

    /// Whether the deadline has passed at `now`. When it is reached, the credit is measured
    /// again (with `reaped_cpu_us`, the CPU time of the program's reaped processes) and the
    /// deadline moves to the limit plus the credit, if that is later and within the cap.
    pub(super) fn passed(&mut self, now: Instant, reaped_cpu_us: impl Fn() -> u64) -> bool {
        let Some(at) = self.at else { return false };
        if now < at {
            return false;
        }
        self.credit = self.clock.credit(nix::unistd::getpid(), reaped_cpu_us());
        let Some(wanted) = self
            .start
            .checked_add(self.limit.saturating_add(self.credit.granted()))
        else {
            return true;
        };
        let moved = self.cap.map_or(wanted, |cap| wanted.min(cap));
        if moved >= now + MIN_MOVE {
            self.at = Some(moved);
            return false;
        }
        // Ends here; short of its time only if the cap, not its own use, ended it.
        self.capped = self.cap.is_some_and(|cap| wanted > cap + MIN_MOVE);
        true
    }

    /// The wall time not counted against the limit so far.
    pub(super) fn granted(&self) -> Duration {
        self.credit.granted()
    }

    /// For a run killed at its deadline: whether it ran out of time mostly waiting for a CPU,
    /// that is, the cap ended it before it had its whole limit to itself.
    pub(super) fn overloaded(&self) -> Option<Interference> {
        let wall = self.at?.duration_since(self.start);
        self.capped.then(|| Interference::Overloaded {
            limit_ms: millis(self.limit),
            wall_ms: millis(wall),
            waiting_ms: millis(self.granted()),
        })
    }
}

/// Whole milliseconds, saturated.
pub(super) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The machine's CPU time at the start of a run.
#[derive(Debug, Clone, Copy)]
struct LoadClock {
    /// Busy CPU time of every core together, in microseconds, from `/proc/stat`.
    busy_us: Option<u64>,
    cores: u64,
}

/// What [`LoadClock::credit`] found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Credit {
    /// The longest any live task of the program waited for a CPU.
    waiting: Duration,
    /// CPU time the rest of the machine used since the start, per core.
    others_per_core: Duration,
}

impl Credit {
    /// The wall time not to count against the program.
    fn granted(self) -> Duration {
        self.waiting.min(self.others_per_core)
    }
}

impl LoadClock {
    fn start() -> Self {
        Self {
            busy_us: machine_busy_us(),
            cores: std::thread::available_parallelism().map_or(1, |cores| cores.get() as u64),
        }
    }

    /// The credit of the program whose processes descend from `supervisor`, given the CPU time
    /// its reaped processes used (`reaped_cpu_us`).
    fn credit(&self, supervisor: Pid, reaped_cpu_us: u64) -> Credit {
        let (Some(before), Some(now)) = (self.busy_us, machine_busy_us()) else {
            return Credit::default();
        };
        let mut waiting_us = 0;
        let mut program_cpu_us = reaped_cpu_us;
        for process in procfs::live_descendants(supervisor) {
            let pid = process.pid.as_raw();
            for tid in procfs::tasks(pid) {
                let times = procfs::task_times(pid, tid);
                waiting_us = waiting_us.max(times.waiting_us);
                program_cpu_us += times.cpu_us;
            }
        }
        let others = now.saturating_sub(before).saturating_sub(program_cpu_us);
        Credit {
            waiting: Duration::from_micros(waiting_us),
            others_per_core: Duration::from_micros(others / self.cores.max(1)),
        }
    }
}

/// Busy CPU time of all cores together since boot, in microseconds: every field of the `cpu`
/// line of `/proc/stat` but idle and iowait.
fn machine_busy_us() -> Option<u64> {
    let stat = KernelStats::current().ok()?;
    let ticks_per_second = Some(::procfs::ticks_per_second()).filter(|&ticks| ticks > 0)?;
    Some(busy_ticks(&stat.total).saturating_mul(1_000_000) / ticks_per_second)
}

/// The busy ticks of the `cpu` line of `/proc/stat`: user, nice, system, irq, softirq and steal
/// (guest time is already in user and nice).
fn busy_ticks(total: &CpuTime) -> u64 {
    let field = |value: Option<u64>| value.unwrap_or(0);
    total.user
        + total.nice
        + total.system
        + field(total.irq)
        + field(total.softirq)
        + field(total.steal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_ticks_leave_out_idle_and_iowait() {
        use ::procfs::FromReadSI;
        let stat = "cpu  100 2 30 5000 70 4 5 6 0 0\ncpu0 50 1 15 2500 35 2 2 3 0 0\n\
                    ctxt 9\nbtime 1700000000\nprocesses 12\n";
        let parse =
            |text: &str| KernelStats::from_read(text.as_bytes(), ::procfs::current_system_info());
        let stat = parse(stat).expect("parses");
        assert_eq!(busy_ticks(&stat.total), 100 + 2 + 30 + 4 + 5 + 6);
        assert!(parse("intr 1 2 3\n").is_err());
        assert!(machine_busy_us().is_some_and(|busy| busy > 0));
    }

    #[test]
    fn the_credit_is_what_the_program_waited_but_no_more_than_others_took() {
        let credit = |waiting, others| Credit {
            waiting: Duration::from_millis(waiting),
            others_per_core: Duration::from_millis(others),
        };
        // Starved by others: all its waiting is credited.
        assert_eq!(credit(300, 900).granted(), Duration::from_millis(300));
        // Its threads waited for each other on a quiet machine: nothing is.
        assert_eq!(credit(750, 5).granted(), Duration::from_millis(5));
    }
}
