//! Taking over the program and handling each ptrace stop and end the supervisor's wait loop
//! hands the tracer; the raw ptrace calls.

use std::collections::{BinaryHeap, HashMap};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::libc;
use nix::sys::ptrace::{self, Options};
use nix::sys::signal::Signal;
use nix::sys::wait::WaitPidFlag;
use nix::unistd::Pid;

use super::delays::perturbation_delays;
use super::records::{State, Tracer};
use crate::run::job::{TaskKind, Trace};
use crate::run::supervisor::cores::Spreader;
use crate::run::supervisor::procfs::{self, TaskTimes};
use crate::run::supervisor::syscalls::Observer;

impl Tracer {
    /// Takes over the program, which called `PTRACE_TRACEME` before its `exec` and so stops with
    /// SIGTRAP right after it; sets the tracing options and lets it run. Also returns the raw
    /// wait status of the main process if it ended before that stop.
    pub(in crate::run::supervisor) fn attach(
        main: Pid,
        trace: &Trace,
        start: Instant,
    ) -> Result<(Self, Option<i32>), Errno> {
        let mut tracer = Self {
            start,
            main: main.as_raw(),
            records: Vec::new(),
            by_tid: HashMap::new(),
            processes: HashMap::new(),
            early: HashMap::new(),
            alive: 0,
            peak: 0,
            seq: 0,
            delays: trace.perturb.as_ref().map(perturbation_delays),
            held: BinaryHeap::new(),
            group_stopped: Vec::new(),
            reaped_cpu: None,
            syscalls: trace
                .syscalls
                .as_ref()
                .map(|watch| Observer::new(watch, trace.descriptors)),
            gather: trace.gather_us.map(Duration::from_micros),
            stacks: trace.stacks,
            descriptors: trace.descriptors,
            ipc_objects: trace.ipc_objects,
            ipc_left: None,
            cores: (trace.separate_cores && trace.gather_us.is_some()).then(Spreader::new),
            hold: trace.hold_until_waited,
            waiting_room: Vec::new(),
        };
        let index = tracer.register(main.as_raw(), TaskKind::Main, main.as_raw(), None, start);
        tracer.records[index].state = State::Running;
        loop {
            let status = wait_blocking(main.as_raw())?;
            if !libc::WIFSTOPPED(status) {
                tracer.on_end(main.as_raw(), status);
                return Ok((tracer, Some(status)));
            }
            let signal = libc::WSTOPSIG(status);
            if signal == libc::SIGTRAP {
                break;
            }
            // A signal that came between `PTRACE_TRACEME` and `exec` is the program's.
            resume(main.as_raw(), signal);
        }
        let mut options = Options::PTRACE_O_TRACECLONE
            | Options::PTRACE_O_TRACEFORK
            | Options::PTRACE_O_TRACEVFORK
            | Options::PTRACE_O_TRACEEXIT
            | Options::PTRACE_O_TRACEEXEC
            | Options::PTRACE_O_EXITKILL;
        if tracer.syscalls.is_some() {
            // Set before the program's first instruction: its seccomp filter's stops would
            // otherwise fail the calls with ENOSYS. A call whose result matters is resumed to
            // its syscall-exit stop, which TRACESYSGOOD tells from a SIGTRAP.
            options |= Options::PTRACE_O_TRACESECCOMP | Options::PTRACE_O_TRACESYSGOOD;
        }
        ptrace::setoptions(main, options)?;
        ptrace::cont(main, None)?;
        Ok((tracer, None))
    }

    /// Handles a ptrace stop of `tid` with raw wait status `status`, and resumes the task unless
    /// it must stay stopped.
    pub(in crate::run::supervisor) fn on_stop(&mut self, tid: i32, status: i32) {
        let signal = libc::WSTOPSIG(status);
        let event = status >> 16;
        if signal == libc::SIGTRAP | 0x80 {
            // The syscall-exit stop of a call the observer wanted the result of.
            if let Some(observer) = &mut self.syscalls {
                observer.on_exit(tid);
            }
            resume(tid, 0);
            return;
        }
        if signal == libc::SIGTRAP && event != 0 {
            if self.on_event(tid, event) {
                // A failure means the task died meanwhile; its end is reported by `waitpid`.
                let _ = ptrace::syscall(Pid::from_raw(tid), None);
            } else {
                resume(tid, 0);
            }
            return;
        }
        let Some(&index) = self.by_tid.get(&tid) else {
            if signal == libc::SIGSTOP {
                // A new task whose creator's event is still to come: keep it until then.
                let now = Instant::now();
                let early = self.early_entry(tid);
                early.seen.get_or_insert(now);
                early.stopped = true;
            } else {
                resume(tid, signal);
            }
            return;
        };
        match self.records[index].state {
            State::Pending if signal == libc::SIGSTOP => self.first_stop(index),
            _ if is_group_stop(tid, signal) => {
                self.records[index].state = State::GroupStopped;
                self.group_stopped.push(tid);
            }
            _ => resume(tid, signal),
        }
    }

    /// Called just before the supervisor reaps `tid`, while its zombie is still in `/proc`.
    pub(in crate::run::supervisor) fn before_reap(&mut self, tid: i32) {
        let process = if let Some(&index) = self.by_tid.get(&tid) {
            if self.records[index].state == State::Ended {
                // Its exit stop read its times already; the zombie adds nothing worth a read.
                self.reaped_cpu = None;
                return;
            }
            self.records[index].task.process
        } else {
            let ids = procfs::tgid_and_ppid(tid);
            let now = Instant::now();
            let early = self.early_entry(tid);
            early.seen.get_or_insert(now);
            early.ids = early.ids.or(ids);
            ids.map_or(tid, |(tgid, _)| tgid)
        };
        self.reaped_cpu = Some((tid, procfs::task_times(process, tid)));
    }

    /// Records that `tid` ended with raw wait status `status` (the supervisor reaped it).
    pub(in crate::run::supervisor) fn on_end(&mut self, tid: i32, status: i32) {
        let now = Instant::now();
        let cpu = self
            .reaped_cpu
            .take()
            .filter(|(reaped, _)| *reaped == tid)
            .map_or_else(TaskTimes::default, |(_, cpu)| cpu);
        let Some(&index) = self.by_tid.get(&tid) else {
            self.early_entry(tid).end = Some((status, now, cpu));
            return;
        };
        let record = &mut self.records[index];
        if record.status.is_some() {
            // Its parent ended without reaping it, so the zombie came to the subreaper.
            record.reparented_zombie = true;
            return;
        }
        record.status = Some(status);
        self.end(index, now, cpu);
    }
}

/// Whether the stop of `tid` by `signal` is a group-stop rather than the delivery of `signal`.
pub(super) fn is_group_stop(tid: i32, signal: i32) -> bool {
    matches!(
        signal,
        libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU
    ) && ptrace::getsiginfo(Pid::from_raw(tid)) == Err(Errno::EINVAL)
}

/// The stack pointer of stopped tracee `tid`, where labgrade knows how to read it.
#[cfg(target_arch = "x86_64")]
pub(super) fn stack_pointer(tid: i32) -> Option<u64> {
    ptrace::getregs(Pid::from_raw(tid))
        .ok()
        .map(|regs| regs.rsp)
}

/// The stack pointer of stopped tracee `tid`, where labgrade knows how to read it.
#[cfg(not(target_arch = "x86_64"))]
pub(super) fn stack_pointer(_tid: i32) -> Option<u64> {
    None
}

/// Resumes a stopped tracee, delivering `signal` unless it is 0.
pub(super) fn resume(tid: i32, signal: i32) {
    let pid = Pid::from_raw(tid);
    // A failure means the task died meanwhile (ESRCH); its end is reported by `waitpid`.
    let _ = if signal == 0 {
        ptrace::cont(pid, None)
    } else if let Ok(signal) = Signal::try_from(signal) {
        ptrace::cont(pid, signal)
    } else {
        // nix cannot name real-time signals, which must be delivered all the same.
        // SAFETY: PTRACE_CONT reads and writes no memory: the address is ignored and the data
        // argument only carries the signal number.
        Errno::result(unsafe {
            libc::ptrace(
                libc::PTRACE_CONT,
                tid,
                std::ptr::null_mut::<libc::c_void>(),
                std::ptr::without_provenance_mut::<libc::c_void>(signal as usize),
            )
        })
        .map(drop)
    };
}

/// Waits, blocking, for the next status of `tid`.
pub(super) fn wait_blocking(tid: i32) -> Result<i32, Errno> {
    loop {
        let mut status = 0;
        // SAFETY: `waitpid` only writes the status through the pointer, which points to a live
        // local `i32`. nix's wrapper is not used because it rejects real-time signal statuses.
        let waited = unsafe { libc::waitpid(tid, &raw mut status, WaitPidFlag::__WALL.bits()) };
        match waited {
            -1 if Errno::last() == Errno::EINTR => {}
            -1 => return Err(Errno::last()),
            _ => return Ok(status),
        }
    }
}
