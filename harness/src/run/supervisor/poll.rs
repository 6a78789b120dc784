//! The supervisor's poll loop: what it holds while the program runs, and one turn of waiting
//! for the signalfd, the output pipes and the seccomp listener.

use std::collections::BTreeSet;
use std::os::fd::{AsFd, OwnedFd};
use std::process::Child;
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{Signal, kill};
use nix::sys::signalfd::SignalFd;
use nix::unistd::Pid;

use super::capture::Capture;
use super::protocol::{SuperviseError, tell_front_end};
use super::senders;
use super::tracer::Tracer;
use crate::run::job::Job;

/// Bytes read from a pipe per `read` call.
const READ_CHUNK: usize = 64 * 1024;

/// What the supervisor holds while the program runs.
pub(super) struct Watch {
    pub(super) main: Pid,
    /// Raw wait status of the main process and when it was reaped.
    pub(super) main_ended: Option<(i32, Instant)>,
    /// Delivers SIGCHLD and the interrupting signals.
    pub(super) signals: SignalFd,
    /// The first interrupting signal received.
    pub(super) interrupted: Option<Signal>,
    pub(super) stdout: Capture,
    pub(super) stderr: Capture,
    pub(super) buffer: Vec<u8>,
    /// The census of a traced job.
    pub(super) tracer: Option<Tracer>,
    /// Where the program reports the signals it sends.
    pub(super) senders: Option<senders::Listener>,
    /// The last reap stopped at [`EVENTS_PER_TURN`] with statuses still pending.
    ///
    /// [`EVENTS_PER_TURN`]: super::reap::EVENTS_PER_TURN
    pub(super) backlog: bool,
}

impl Watch {
    /// Starts watching `child`, the program of `job` started at `start`: takes its pipes and,
    /// for a traced job, attaches the tracer (killing the program if that fails).
    pub(super) fn start(
        job: &Job,
        mut child: Child,
        senders: Option<senders::Listener>,
        signals: SignalFd,
        start: Instant,
    ) -> Result<Self, SuperviseError> {
        let main = Pid::from_raw(child.id().cast_signed());
        let output_limit = usize::try_from(job.output_limit).unwrap_or(usize::MAX);
        let stdout = child.stdout.take().map(OwnedFd::from);
        let stderr = child.stderr.take().map(OwnedFd::from);
        // `Child` is never waited for: the loop reaps with `waitpid(-1)`, and dropping a
        // `Child` neither kills nor waits.
        drop(child);
        let mut watch = Self {
            main,
            main_ended: None,
            signals,
            interrupted: None,
            stdout: Capture::new(stdout, output_limit),
            stderr: Capture::new(stderr, output_limit),
            buffer: vec![0; READ_CHUNK],
            tracer: None,
            senders,
            backlog: false,
        };
        if let Some(trace) = &job.trace {
            match Tracer::attach(main, trace, start) {
                Ok((tracer, ended)) => {
                    watch.tracer = Some(tracer);
                    watch.main_ended = ended.map(|status| (status, Instant::now()));
                }
                Err(source) => {
                    // The program is stopped before its first instruction; it must not stay.
                    let _ = kill(main, Signal::SIGKILL);
                    if let (_, Some(gave_up)) = watch.kill_leftovers(main, true, BTreeSet::new()) {
                        tell_front_end(&gave_up);
                    }
                    return Err(SuperviseError::Setup {
                        what: "trace the program",
                        source,
                    });
                }
            }
        }
        Ok(watch)
    }

    pub(super) fn pipes_open(&self) -> bool {
        self.stdout.is_open() || self.stderr.is_open()
    }

    /// Waits up to `wait` for output or a child's end, then reads what the pipes hold and reaps
    /// what has ended. Returns whether the supervisor has no children left.
    pub(super) fn turn(&mut self, wait: Duration) -> bool {
        let mut wait = if self.backlog { Duration::ZERO } else { wait };
        if let Some(wake) = self.tracer.as_ref().and_then(Tracer::next_wake) {
            wait = wait.min(wake.saturating_duration_since(Instant::now()));
        }
        // Interest in each source; the order matches the `PollFd`s below.
        let mut fds = Vec::with_capacity(3);
        fds.push(PollFd::new(self.signals.as_fd(), PollFlags::POLLIN));
        if let Some(pipe) = &self.stdout.pipe {
            fds.push(PollFd::new(pipe.as_fd(), PollFlags::POLLIN));
        }
        if let Some(pipe) = &self.stderr.pipe {
            fds.push(PollFd::new(pipe.as_fd(), PollFlags::POLLIN));
        }
        if let Some(listener) = self.senders.as_ref().and_then(senders::Listener::poll_fd) {
            fds.push(PollFd::new(listener, PollFlags::POLLIN));
        }
        // Rounded up, so that a held task's instant has passed when `poll` returns.
        let timeout =
            PollTimeout::try_from(wait.as_micros().div_ceil(1_000)).unwrap_or(PollTimeout::MAX);
        // EINTR or any other failure only means the turn ends early; every source is read
        // without blocking below regardless of what `poll` said.
        let _ = poll(&mut fds, timeout);
        drop(fds);
        // First: a program waits in its `kill` until the call is answered.
        if let Some(listener) = &mut self.senders {
            listener.service();
        }

        while let Ok(Some(info)) = self.signals.read_signal() {
            let signal = Signal::try_from(info.ssi_signo.cast_signed());
            if let Ok(signal @ (Signal::SIGINT | Signal::SIGTERM | Signal::SIGHUP)) = signal {
                self.interrupted.get_or_insert(signal);
            }
        }
        self.stdout.drain(&mut self.buffer);
        self.stderr.drain(&mut self.buffer);
        let childless = self.reap();
        if let Some(tracer) = &mut self.tracer {
            tracer.service(Instant::now());
        }
        childless
    }
}
