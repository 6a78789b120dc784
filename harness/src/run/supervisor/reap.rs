//! Reaping: collecting every wait status without blocking, the main process's and each
//! tracee's, and handing ptrace stops to the tracer.

use std::time::Instant;

use nix::errno::Errno;
use nix::libc;
use nix::sys::wait::WaitPidFlag;

use super::poll::Watch;

/// Wait statuses handled per loop turn. A program that creates and ends tasks as fast as it can
/// would otherwise keep a traced job's supervisor handling ptrace stops and never looking at the
/// deadline; the next turn then polls without waiting.
pub(super) const EVENTS_PER_TURN: usize = 256;

/// What one wait for a child found.
enum Waited {
    /// Nothing has happened.
    Nothing,
    /// The supervisor has no children (and no tracees) left.
    Childless,
    /// A pid and its raw wait status.
    Status(i32, i32),
}

impl Watch {
    /// Reaps every child that has ended, recording the main process's status, and hands the
    /// ptrace stops of a traced job to its tracer. Returns whether the supervisor has no
    /// children left.
    pub(super) fn reap(&mut self) -> bool {
        self.backlog = false;
        for _ in 0..EVENTS_PER_TURN {
            let (pid, status) = match self.wait_one() {
                Waited::Nothing => return false,
                Waited::Childless => return true,
                Waited::Status(pid, status) => (pid, status),
            };
            if libc::WIFSTOPPED(status) {
                // Only tracees report stops: no WUNTRACED.
                if let Some(tracer) = &mut self.tracer {
                    tracer.on_stop(pid, status);
                }
                continue;
            }
            if let Some(tracer) = &mut self.tracer {
                tracer.on_end(pid, status);
            }
            if pid == self.main.as_raw() {
                self.main_ended = Some((status, Instant::now()));
            }
            // Anything else is a descendant reparented to us, or a tracee: reaping is all it
            // needs.
        }
        self.backlog = true;
        false
    }

    /// Collects one wait status, without blocking.
    fn wait_one(&mut self) -> Waited {
        let target = match &mut self.tracer {
            None => -1,
            // A traced job looks before it reaps, so that the tracer can read a task's CPU
            // time in `/proc` while its zombie is still there.
            Some(tracer) => match peek() {
                Peek::Nothing => return Waited::Nothing,
                Peek::Childless => return Waited::Childless,
                Peek::Stopped(pid) => pid,
                Peek::Ended(pid) => {
                    tracer.before_reap(pid);
                    pid
                }
            },
        };
        loop {
            let mut status = 0;
            // nix's `waitpid` is not used because it fails with EINVAL, after the child has
            // been reaped, when the status holds a signal nix has no name for (real-time
            // signals); the main process's status would be lost.
            // SAFETY: `waitpid` only writes the status through the pointer, which points to a
            // live local `i32`.
            let pid = unsafe {
                libc::waitpid(
                    target,
                    &raw mut status,
                    (WaitPidFlag::WNOHANG | WaitPidFlag::__WALL).bits(),
                )
            };
            return match pid {
                0 => Waited::Nothing,
                -1 if Errno::last() == Errno::EINTR => continue,
                // Waiting for one pid that `peek` just saw cannot fail for want of children.
                -1 if target != -1 => Waited::Nothing,
                -1 => Waited::Childless,
                pid => Waited::Status(pid, status),
            };
        }
    }
}

/// What a look at the next wait status found, leaving it to be collected.
enum Peek {
    Nothing,
    Childless,
    /// A tracee in a ptrace stop.
    Stopped(i32),
    /// A child or tracee that ended, still a zombie.
    Ended(i32),
}

/// Looks at the next wait status without collecting it (`waitid` with `WNOWAIT`).
fn peek() -> Peek {
    loop {
        // SAFETY: `siginfo_t` is a plain C structure for which all zero bytes are a valid value
        // (and the value `waitid` leaves when nothing is waitable with WNOHANG).
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let flags = WaitPidFlag::WEXITED
            | WaitPidFlag::WNOHANG
            | WaitPidFlag::WNOWAIT
            | WaitPidFlag::__WALL;
        // SAFETY: `waitid` only writes through the pointer, which points to a live local
        // `siginfo_t`. nix's wrapper is not used because it fails on real-time signals.
        let result = unsafe { libc::waitid(libc::P_ALL, 0, &raw mut info, flags.bits()) };
        if result == -1 {
            match Errno::last() {
                Errno::EINTR => continue,
                Errno::ECHILD => return Peek::Childless,
                _ => return Peek::Nothing,
            }
        }
        // SAFETY: `waitid` filled in a SIGCHLD `siginfo_t` (or left it zeroed), for which
        // `si_pid` is the field to read.
        let pid = unsafe { info.si_pid() };
        return match info.si_code {
            _ if pid == 0 => Peek::Nothing,
            libc::CLD_EXITED | libc::CLD_KILLED | libc::CLD_DUMPED => Peek::Ended(pid),
            _ => Peek::Stopped(pid),
        };
    }
}
