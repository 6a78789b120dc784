//! Ending a hung run early: when every thread of every process of a student's program has been
//! blocked, each in a call that only another thread of the program could end, and none of them
//! ran an instruction for [`window`], the run is ended then as hung, instead of at its time limit.
//!
//! The rule, checked every [`LOOK`] (documented in `rubrics/README.md`, "Time limit"):
//!
//! - every live thread is in state `S` or `D`, blocked in one of: a `futex` wait with no time
//!   limit (a lock, a condition variable, a join, a channel, a barrier), `wait4`/`waitid`, a
//!   `read`, `readv`, `recvfrom` or `recvmsg` of a pipe or a UNIX socket, an `accept` of a UNIX
//!   socket. A sleep, a wait with a time limit (`hang.rs`'s `ends_by_itself`), a poll, a signal
//!   wait, a write, a file lock, any other call or descriptor, and a thread outside a system
//!   call do not count: something but the program may end them (a timer, labgrade draining the
//!   output, another program). A thread that the tracer holds (`perturb`, `start-together`,
//!   `hold-until-waited`) is in a ptrace stop (`t`), not blocked, and the tracer's pending
//!   wakes stop the rule too;
//! - no process has a POSIX timer or a SIGALRM handler, which could wake a thread with a signal
//!   its call does not show;
//! - every thread's `schedstat` (time on a CPU and times run) and the set of threads are the same
//!   at every look of the window: nothing of the program ran, so nothing changed that could wake
//!   another thread;
//! - labgrade feeds nothing to the program (its stdin is `/dev/null`, its output is drained
//!   every turn of the loop, and an injected fault is the program's own code, which needs CPU).
//!
//! Then no thread can ever run again: each waits for another that waits too. The window guards
//! against what `/proc` does not show (a signal sent from outside the program, an `alarm`).
//!
//! It costs a running program one read of its main process's `stat` per look: the threads are
//! read only when that process is not running and its CPU time did not move since the last look.

use std::time::{Duration, Instant};

use nix::libc;
use nix::unistd::Pid;

use super::hang::ends_by_itself;
use super::procfs;
use super::waiting::Call;
use crate::run::job::Job;

/// How often the program is looked at.
const LOOK: Duration = Duration::from_millis(100);
/// The shortest window.
const LEAST_WINDOW: Duration = Duration::from_secs(1);

/// How long every thread must stay stuck, without running, before a run with time limit
/// `limit` is ended as hung: a tenth of the limit, at least a second. At least ten looks see
/// the same blocked threads; longer limits (programs that legitimately wait longer between
/// steps) get a longer window.
pub(super) fn window(limit: Duration) -> Duration {
    (limit / 10).max(LEAST_WINDOW)
}

/// A thread of the program: process, thread, and its run count (`schedstat`'s nanoseconds on a
/// CPU and times run).
type Ran = (i32, i32, (u64, u64));

/// Follows a run to tell when it hung.
#[derive(Debug)]
pub(super) struct HangWatch {
    window: Duration,
    next_look: Instant,
    /// The main process's CPU time at the last look, in clock ticks.
    main_cpu: Option<u64>,
    /// Since when every thread has been stuck, and how much each had run then.
    quiet: Option<(Instant, Vec<Ran>)>,
}

impl HangWatch {
    /// The watch of `job`, started at `start`: only a student's program (a job with
    /// [`Job::limits`]) is ended early; a build or another trusted tool runs to its limit.
    pub(super) fn new(job: &Job, start: Instant) -> Option<Self> {
        job.limits?;
        Some(Self {
            window: window(Duration::from_millis(job.timeout_ms)),
            next_look: start + LOOK,
            main_cpu: None,
            quiet: None,
        })
    }

    /// Whether the program of main process `main` has hung, at `now`: for how long its threads
    /// have been stuck, at least the window, if so. `labgrade_pending` says labgrade will still
    /// do something to the program (the tracer holds a task or will look at a stopped one
    /// again), which may wake it.
    pub(super) fn hung(
        &mut self,
        now: Instant,
        main: Pid,
        labgrade_pending: bool,
    ) -> Option<Duration> {
        if now < self.next_look {
            return None;
        }
        self.next_look = now + LOOK;
        let seen = match procfs::process_cpu(main.as_raw()) {
            Some((state, cpu)) if state != 'R' && !labgrade_pending => {
                let moved = self.main_cpu.replace(cpu) != Some(cpu);
                if moved { None } else { stuck_threads() }
            }
            other => {
                self.main_cpu = other.map(|(_, cpu)| cpu);
                None
            }
        };
        still_quiet(&mut self.quiet, now, seen, self.window)
    }
}

/// Keeps `quiet` (since when the threads have been stuck, and how much each had run then) up to
/// date with `seen` at `now` (`None`: some thread is not stuck), and says for how long they have
/// been stuck, with no thread running, once that is at least `window`.
fn still_quiet(
    quiet: &mut Option<(Instant, Vec<Ran>)>,
    now: Instant,
    seen: Option<Vec<Ran>>,
    window: Duration,
) -> Option<Duration> {
    match (quiet.as_ref(), seen) {
        (Some((since, before)), Some(seen)) if *before == seen => {
            Some(now.saturating_duration_since(*since)).filter(|quiet| *quiet >= window)
        }
        (_, seen) => {
            *quiet = seen.map(|seen| (now, seen));
            None
        }
    }
}

/// What a blocked thread's descriptor is, as far as who can write to it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Descriptor {
    Pipe,
    /// A UNIX socket of the program's network namespace.
    UnixSocket,
    Other,
}

/// Whether a thread blocked in `call` waits for something only another thread of its program
/// can give; `descriptor` tells what a descriptor argument is.
fn waits_on_the_program(call: &Call, descriptor: impl FnOnce(u64) -> Descriptor) -> bool {
    const FUTEX_CMD: u64 = 0x7f;
    const FUTEX_WAITS: [u64; 5] = [0, 6, 9, 11, 13]; // WAIT, LOCK_PI, WAIT_BITSET, WAIT_REQUEUE_PI, LOCK_PI2
    if ends_by_itself(call) {
        return false;
    }
    let number = call.number;
    if number == libc::SYS_futex {
        return FUTEX_WAITS.contains(&(call.args[1] & FUTEX_CMD));
    }
    if number == libc::SYS_wait4 || number == libc::SYS_waitid {
        return true;
    }
    let reads = [
        libc::SYS_read,
        libc::SYS_readv,
        libc::SYS_recvfrom,
        libc::SYS_recvmsg,
    ];
    if reads.contains(&number) {
        return matches!(
            descriptor(call.args[0]),
            Descriptor::Pipe | Descriptor::UnixSocket
        );
    }
    if number == libc::SYS_accept || number == libc::SYS_accept4 {
        return descriptor(call.args[0]) == Descriptor::UnixSocket;
    }
    false
}

/// Every thread of the program with how much it ran, if every one is stuck; `None` as soon as
/// one is not, or cannot be read.
fn stuck_threads() -> Option<Vec<Ran>> {
    let mut seen = Vec::new();
    for process in procfs::live_descendants(Pid::this()) {
        let pid = process.pid.as_raw();
        if procfs::has_timers(pid) != Some(false)
            || procfs::catches(pid, libc::SIGALRM) != Some(false)
        {
            return None;
        }
        let mut sockets = None;
        for tid in procfs::tasks(pid) {
            match procfs::task_state(pid, tid)? {
                // Ended threads of a live process run no more.
                'Z' | 'X' | 'x' => continue,
                'S' | 'D' => {}
                _ => return None,
            }
            let call = procfs::task_call(pid, tid).ok()??;
            let descriptor = |fd| {
                let sockets = sockets.get_or_insert_with(|| procfs::unix_socket_inodes(pid));
                descriptor_of(procfs::fd_link(pid, fd).as_deref(), sockets)
            };
            if !waits_on_the_program(&call, descriptor) {
                return None;
            }
            seen.push((pid, tid, procfs::task_run_count(pid, tid)?));
        }
    }
    seen.sort_unstable();
    (!seen.is_empty()).then_some(seen)
}

/// What a descriptor whose link reads `link` is, `unix` being the inodes of the UNIX sockets of
/// its process's network namespace.
fn descriptor_of(link: Option<&str>, unix: &[u64]) -> Descriptor {
    let inode = |prefix: &str| {
        link?
            .strip_prefix(prefix)?
            .strip_suffix(']')?
            .parse::<u64>()
            .ok()
    };
    if inode("pipe:[").is_some() {
        Descriptor::Pipe
    } else if inode("socket:[").is_some_and(|inode| unix.contains(&inode)) {
        Descriptor::UnixSocket
    } else {
        Descriptor::Other
    }
}

#[cfg(test)]
mod tests;
