//! Reading a thread's registers: the thread is stopped for the moment of a `PTRACE_GETREGS`,
//! then goes on as it was, blocked in the same call.
//!
//! Untraced, the supervisor seizes the thread (`PTRACE_SEIZE`, no signal sent), interrupts it
//! (`PTRACE_INTERRUPT`), reads, and detaches: the call it was blocked in is restarted by the
//! kernel. Traced (the supervisor is already the tracer of every task, see
//! [`super::super::tracer`]), a thread the tracer holds in a stop is read as it is; another is
//! sent SIGURG with `tgkill`, whose signal-delivery stop is taken here and resumed without the
//! signal. SIGURG is ignored by default: if its stop does not come in time, the tracer later
//! re-injects it as the program's own, and it does nothing. Any other stop of the thread seen
//! meanwhile is the tracer's, handed to it.
//!
//! Only a thread that runs or sleeps interruptibly (`R`, `S`) is stopped: one in `D` may not
//! stop before its wait ends. Registers are read on x86-64 only.

use std::time::{Duration, Instant};

use nix::libc;
use nix::sys::ptrace;
use nix::sys::signal::Signal;
use nix::sys::wait::WaitPidFlag;
use nix::unistd::Pid;

use crate::run::supervisor::tracer::Tracer;

/// Pause between two looks for a stop.
const POLL: Duration = Duration::from_micros(200);

/// What unwinding needs of a thread's registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::run::supervisor) struct Registers {
    /// The instruction pointer.
    pub(in crate::run::supervisor) ip: u64,
    /// The stack pointer.
    pub(in crate::run::supervisor) sp: u64,
    /// The frame pointer register (`rbp`), which unwind tables may use.
    pub(in crate::run::supervisor) bp: u64,
}

/// The registers of thread `tid` (state letter `state`), stopped at most until `until`; `None`
/// when it could not be stopped in time, or the machine does not allow it.
pub(in crate::run::supervisor) fn registers(
    tid: i32,
    state: char,
    tracer: Option<&mut Tracer>,
    until: Instant,
) -> Option<Registers> {
    let pid = Pid::from_raw(tid);
    if let Some(tracer) = tracer {
        // Held in a stop by the tracer (a delay, a group-stop), or stopped and not collected yet.
        if let Some(registers) = read(pid) {
            return Some(registers);
        }
        return if matches!(state, 'R' | 'S') {
            traced(tid, tracer, until)
        } else {
            None
        };
    }
    if !matches!(state, 'R' | 'S') || ptrace::seize(pid, ptrace::Options::empty()).is_err() {
        return None;
    }
    if ptrace::interrupt(pid).is_err() {
        let _ = ptrace::detach(pid, None);
        return None;
    }
    // Not stopped in time: it stays seized, and stops at the kill that follows, which the
    // supervisor's loop reaps as any other.
    let stop = seized_stop(tid, until)?;
    let registers = read(pid);
    let signal = match stop {
        SeizedStop::Interrupt => None,
        SeizedStop::Signal(signal) => signal,
    };
    let _ = ptrace::detach(pid, signal);
    registers
}

/// Waits until `until` for the stop of seized thread `tid`: the signal it stopped to receive,
/// to be given back at the detach (SIGTRAP, the interrupt's own stop, is not one).
fn seized_stop(tid: i32, until: Instant) -> Option<SeizedStop> {
    loop {
        match stopped(tid) {
            Some(libc::SIGTRAP) => return Some(SeizedStop::Interrupt),
            Some(signal) => return Some(SeizedStop::Signal(Signal::try_from(signal).ok())),
            None if Instant::now() >= until => return None,
            None => std::thread::sleep(POLL),
        }
    }
}

/// How a seized thread stopped.
enum SeizedStop {
    /// At the interrupt.
    Interrupt,
    /// To receive a signal (one nix can name, to give it back).
    Signal(Option<Signal>),
}

/// Collects a ptrace stop of `tid` and its signal, without collecting an end (`waitid` with
/// `WSTOPPED` only).
fn stopped(tid: i32) -> Option<i32> {
    wait_stop(tid, WaitPidFlag::empty())
}

/// The signal of a stop of `tid` that `waitid` reports with `flags` besides `WSTOPPED`,
/// `WNOHANG` and `__WALL`; `None` when there is none, or `tid` ended.
fn wait_stop(tid: i32, flags: WaitPidFlag) -> Option<i32> {
    // SAFETY: `siginfo_t` is a plain C structure for which all zero bytes are a valid value.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let flags = flags | WaitPidFlag::WSTOPPED | WaitPidFlag::WNOHANG | WaitPidFlag::__WALL;
    // SAFETY: `waitid` only writes through the pointer, to a live local `siginfo_t`.
    let result = unsafe {
        libc::waitid(
            libc::P_PID,
            tid.cast_unsigned(),
            &raw mut info,
            flags.bits(),
        )
    };
    // SAFETY: `waitid` filled in a SIGCHLD `siginfo_t` or left it zeroed.
    let (pid, status) = unsafe { (info.si_pid(), info.si_status()) };
    (result == 0 && pid == tid && matches!(info.si_code, libc::CLD_TRAPPED | libc::CLD_STOPPED))
        .then_some(status)
}

/// Stops traced thread `tid` with SIGURG and reads it at its signal-delivery stop, handing the
/// tracer any other stop of the thread that comes first.
fn traced(tid: i32, tracer: &mut Tracer, until: Instant) -> Option<Registers> {
    let (thread_group, _) = crate::run::supervisor::procfs::tgid_and_ppid(tid)?;
    // SAFETY: `tgkill` takes plain integers and touches no memory of ours.
    if unsafe { libc::syscall(libc::SYS_tgkill, thread_group, tid, libc::SIGURG) } != 0 {
        return None;
    }
    loop {
        if Instant::now() >= until {
            return None;
        }
        if peek_stop(tid) {
            let mut status = 0;
            // SAFETY: `waitpid` only writes the status through the pointer, to a live `i32`.
            let waited = unsafe {
                libc::waitpid(
                    tid,
                    &raw mut status,
                    (WaitPidFlag::WNOHANG | WaitPidFlag::__WALL).bits(),
                )
            };
            if waited != tid {
                continue;
            }
            let ours = libc::WIFSTOPPED(status)
                && libc::WSTOPSIG(status) == libc::SIGURG
                && status >> 16 == 0
                && ptrace::getsiginfo(Pid::from_raw(tid))
                    .is_ok_and(|info| info.si_code == libc::SI_TKILL);
            if ours {
                let registers = read(Pid::from_raw(tid));
                // Resumed without the signal, in the call it was blocked in.
                let _ = ptrace::cont(Pid::from_raw(tid), None);
                return registers;
            }
            tracer.on_stop(tid, status);
        } else {
            std::thread::sleep(POLL);
        }
    }
}

/// Whether a stop of `tid` is waiting to be collected (an end is left for the supervisor's loop).
fn peek_stop(tid: i32) -> bool {
    wait_stop(tid, WaitPidFlag::WNOWAIT).is_some()
}

/// The registers of stopped tracee `pid`.
#[cfg(target_arch = "x86_64")]
fn read(pid: Pid) -> Option<Registers> {
    ptrace::getregs(pid).ok().map(|regs| Registers {
        ip: regs.rip,
        sp: regs.rsp,
        bp: regs.rbp,
    })
}

/// Other architectures: not read.
#[cfg(not(target_arch = "x86_64"))]
fn read(_pid: Pid) -> Option<Registers> {
    None
}
