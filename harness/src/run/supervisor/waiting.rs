//! Whether a task of the program waits, for `hold-until-waited` (see [`super::tracer`]): it is
//! blocked in a system call that is not a sleep, or it has ended.
//!
//! A task waits for another by blocking in the kernel: `join`, a channel, a condition variable
//! or a barrier block in `futex`, `waitpid` in `wait4`, reading a pipe in `read`, `poll` in
//! `poll`. A task that sleeps (`nanosleep`, `clock_nanosleep`, `pause`, or a `poll` or `select`
//! given no descriptor, which only time can end) does not wait for anyone, and neither does one
//! that runs, spins, or is blocked outside a system call (a page fault). The state comes from
//! `/proc/<pid>/task/<tid>/stat` and the system call from `.../syscall`, which the kernel fills
//! only for a blocked task (`running` otherwise): its number, then its six arguments.
//!
//! The `syscall` file is parsed here, not with the `procfs` crate that [`super::procfs`] uses:
//! `procfs` 0.18's `Syscall` fails on the kernel's `-1 <sp> <pc>` line of a task blocked outside
//! a system call, an error it cannot tell from an unreadable file, and the two must differ here
//! (not waiting, against waiting).

use nix::libc;

/// Whether task `tid` of process `process` waits: blocked (state `S` or `D`) in a system call
/// that is not a sleep, or ended (a zombie, or gone). A task whose system call cannot be read
/// counts as waiting, so that a machine that hides it never holds a correct program for ever.
pub(super) fn waits(process: i32, tid: i32) -> bool {
    match super::procfs::task_state(process, tid) {
        Some('S' | 'D') => match super::procfs::task_call(process, tid) {
            Ok(call) => call.is_some_and(|call| !is_sleep(&call)),
            Err(_) => true,
        },
        Some('Z' | 'X' | 'x') | None => true,
        Some(_) => false,
    }
}

/// A system call a task is blocked in: its number and arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Call {
    pub(super) number: i64,
    pub(super) args: [u64; 6],
}

/// The call of a `/proc/<pid>/task/<tid>/syscall` text: `None` for `running` and for a task
/// blocked outside a system call (number `-1`).
pub(super) fn blocked_call(text: &str) -> Option<Call> {
    let mut fields = text.split_ascii_whitespace();
    let number: i64 = fields.next()?.parse().ok()?;
    if number < 0 {
        return None;
    }
    let mut args = [0; 6];
    for arg in &mut args {
        let field = fields.next()?;
        *arg = u64::from_str_radix(field.strip_prefix("0x").unwrap_or(field), 16).ok()?;
    }
    Some(Call { number, args })
}

/// Whether `call` only waits for time to pass.
pub(super) fn is_sleep(call: &Call) -> bool {
    let number = call.number;
    if number == libc::SYS_nanosleep || number == libc::SYS_clock_nanosleep {
        return true;
    }
    // `ppoll(fds, nfds, ...)` and `pselect6(nfds, ...)` of no descriptor.
    if number == libc::SYS_ppoll {
        return call.args[1] == 0;
    }
    if number == libc::SYS_pselect6 {
        return call.args[0] == 0;
    }
    legacy_sleep(call)
}

/// The sleeps among the older calls of x86-64: `pause`, and `poll` or `select` of no descriptor.
#[cfg(target_arch = "x86_64")]
fn legacy_sleep(call: &Call) -> bool {
    let number = call.number;
    number == libc::SYS_pause
        || (number == libc::SYS_poll && call.args[1] == 0)
        || (number == libc::SYS_select && call.args[0] == 0)
}

/// Other architectures do not have the older calls.
#[cfg(not(target_arch = "x86_64"))]
fn legacy_sleep(_call: &Call) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use super::*;

    fn call(number: i64, args: [u64; 6]) -> Call {
        Call { number, args }
    }

    #[test]
    fn the_syscall_file_is_parsed() {
        let futex = "202 0x7f00a8 0x80 0x2 0x0 0x0 0x0 0x7ffd10 0x7f0042\n";
        assert_eq!(
            blocked_call(futex),
            Some(call(202, [0x7f_00a8, 0x80, 2, 0, 0, 0]))
        );
        assert_eq!(blocked_call("running\n"), None);
        assert_eq!(blocked_call("-1 0x7ffd10 0x7f0042\n"), None);
    }

    #[test]
    fn sleeps_are_told_from_waits() {
        assert!(is_sleep(&call(libc::SYS_clock_nanosleep, [0; 6])));
        assert!(is_sleep(&call(libc::SYS_nanosleep, [0; 6])));
        assert!(is_sleep(&call(libc::SYS_ppoll, [0, 0, 1, 0, 8, 0])));
        assert!(!is_sleep(&call(libc::SYS_ppoll, [0x1000, 1, 0, 0, 8, 0])));
        assert!(!is_sleep(&call(
            libc::SYS_futex,
            [0x1000, 0x80, 2, 0, 0, 0]
        )));
        assert!(!is_sleep(&call(libc::SYS_wait4, [42, 0, 0, 0, 0, 0])));
        assert!(!is_sleep(&call(libc::SYS_read, [3, 0x1000, 16, 0, 0, 0])));
    }

    /// Waits up to a second for `tid` to be seen as `expected`.
    fn seen(tid: i32, expected: bool) -> bool {
        let me = std::process::id().cast_signed();
        let deadline = Instant::now() + Duration::from_secs(1);
        while Instant::now() < deadline {
            if waits(me, tid) == expected {
                return true;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        false
    }

    #[test]
    fn a_blocked_receiver_waits_and_a_sleeper_does_not() {
        let (receiver_tid, receiver_tids) = mpsc::channel();
        let (sleeper_tid, sleeper_tids) = mpsc::channel();
        let (release, released) = mpsc::channel::<()>();
        let receiver = std::thread::spawn(move || {
            receiver_tid.send(nix::unistd::gettid().as_raw()).unwrap();
            released.recv().unwrap();
        });
        let sleeper = std::thread::spawn(move || {
            sleeper_tid.send(nix::unistd::gettid().as_raw()).unwrap();
            std::thread::sleep(Duration::from_secs(2));
        });
        let receiver_tid = receiver_tids.recv().unwrap();
        let sleeper_tid = sleeper_tids.recv().unwrap();
        assert!(seen(receiver_tid, true), "the receiver blocks in futex");
        assert!(seen(sleeper_tid, false), "the sleeper sleeps");
        release.send(()).unwrap();
        receiver.join().unwrap();
        sleeper.join().unwrap();
        // Ended tasks wait too: nothing is left of them to run.
        assert!(waits(std::process::id().cast_signed(), sleeper_tid));
    }
}
