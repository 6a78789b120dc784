//! Where a program that ran out of time waits: read from `/proc` just before the deadline kill,
//! for every live thread of every process below the supervisor (the program's own, escaped
//! ones included), its state, the system call it is blocked in with the descriptor it names,
//! and for a read of a pipe every descriptor of the program still open on the pipe's write end.
//!
//! Bounded: at most [`Waiting::MOST`] threads, a few file reads each; it runs once per
//! timed-out run, so it costs nothing to a program that ends in time.

use std::collections::HashMap;

use nix::libc;
use nix::unistd::Pid;

use super::procfs;
use super::waiting::{Call, blocked_call, is_sleep};
use crate::run::job::{Doing, Holder, Waiting, WaitingTask};

/// The program's threads, now. `None` when no process is left to read.
pub(super) fn waiting() -> Option<Waiting> {
    let mut processes: Vec<i32> = procfs::live_descendants(Pid::this())
        .iter()
        .map(|process| process.pid.as_raw())
        .collect();
    processes.sort_unstable();
    let mut tasks = Vec::new();
    let mut cut = false;
    // The write ends of each pipe some thread reads, found once per pipe.
    let mut writers = HashMap::new();
    'processes: for &pid in &processes {
        for tid in procfs::tasks(pid) {
            if tasks.len() == Waiting::MOST {
                cut = true;
                break 'processes;
            }
            if let Some(task) = task(pid, tid, &processes, &mut writers) {
                tasks.push(task);
            }
        }
    }
    (!tasks.is_empty()).then_some(Waiting { tasks, cut })
}

/// Thread `tid` of process `pid`; `None` if it is gone. `writers` keeps the write ends found of
/// each pipe, so that threads reading the same pipe scan the program's descriptors once.
fn task(
    pid: i32,
    tid: i32,
    processes: &[i32],
    writers: &mut HashMap<String, Vec<Holder>>,
) -> Option<WaitingTask> {
    let state = procfs::task_state(pid, tid)?;
    let name = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm"))
        .map(|name| name.trim_end().to_owned())
        .unwrap_or_default();
    let doing = match state {
        'R' => Doing::Running,
        'S' | 'D' => {
            match std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/syscall"))
                .ok()
                .as_deref()
                .and_then(blocked_call)
            {
                Some(call) => blocked(pid, &call, processes, writers),
                None => Doing::Other { letter: state },
            }
        }
        letter => Doing::Other { letter },
    };
    Some(WaitingTask {
        pid,
        tid,
        name,
        doing,
    })
}

/// What a thread blocked in `call` waits on.
fn blocked(
    pid: i32,
    call: &Call,
    processes: &[i32],
    writers: &mut HashMap<String, Vec<Holder>>,
) -> Doing {
    let name = call_name(call.number);
    let fd = takes_fd(call.number).then_some(call.args[0]);
    let target = fd.and_then(|fd| procfs::fd_link(pid, fd));
    let on = fd.map(|fd| match &target {
        Some(target) => format!("fd {fd}, {target}"),
        None => format!("fd {fd}"),
    });
    let reads = matches!(name.as_str(), "read" | "readv");
    let writers = match target {
        Some(target) if reads && target.starts_with("pipe:") => writers
            .entry(target)
            .or_insert_with_key(|target| write_ends(target, processes))
            .clone(),
        _ => Vec::new(),
    };
    Doing::Blocked {
        call: name,
        on,
        writers,
        ends_by_itself: ends_by_itself(call),
    }
}

/// Whether `call` ends without another thread or process: a sleep, or a wait given a time
/// limit (a timed futex wait, as `Condvar::wait_timeout` and `recv_timeout` make, or a poll,
/// select or signal wait with a timeout). A timeout is known from the call's arguments alone:
/// a timeout pointer that is not null, or a poll timeout that is not negative.
pub(super) fn ends_by_itself(call: &Call) -> bool {
    const FUTEX_CMD: u64 = 0x7f;
    const TIMED_FUTEX_WAITS: [u64; 5] = [0, 6, 9, 11, 13]; // WAIT, LOCK_PI, WAIT_BITSET, WAIT_REQUEUE_PI, LOCK_PI2
    let args = call.args;
    let number = call.number;
    is_sleep(call)
        || (number == libc::SYS_futex
            && TIMED_FUTEX_WAITS.contains(&(args[1] & FUTEX_CMD))
            && args[3] != 0)
        || ((number == libc::SYS_epoll_wait || number == libc::SYS_epoll_pwait)
            && int_not_negative(args[3]))
        || ((number == libc::SYS_ppoll || number == libc::SYS_rt_sigtimedwait) && args[2] != 0)
        || (number == libc::SYS_pselect6 && args[4] != 0)
        || legacy_timed(call)
}

/// Whether an `int` argument (the low 32 bits of its register) is not negative: a poll timeout
/// of -1 waits for ever.
fn int_not_negative(arg: u64) -> bool {
    arg & 0x8000_0000 == 0
}

/// The timed waits among the older calls of x86-64: `poll` with a timeout that is not
/// negative, `select` with a timeout pointer.
#[cfg(target_arch = "x86_64")]
fn legacy_timed(call: &Call) -> bool {
    (call.number == libc::SYS_poll && int_not_negative(call.args[2]))
        || (call.number == libc::SYS_select && call.args[4] != 0)
}

/// Other architectures do not have the older calls.
#[cfg(not(target_arch = "x86_64"))]
fn legacy_timed(_call: &Call) -> bool {
    false
}

/// Every descriptor of `processes` open for writing on the pipe `target` (`pipe:[inode]`): its
/// link names the pipe and its `fdinfo` flags say write-only.
fn write_ends(target: &str, processes: &[i32]) -> Vec<Holder> {
    let mut holders = Vec::new();
    for &pid in processes {
        let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        let mut fds: Vec<u64> = entries
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        fds.sort_unstable();
        for fd in fds {
            let same = procfs::fd_link(pid, fd).is_some_and(|link| link == target);
            if same && opened_for_writing(pid, fd) {
                holders.push(Holder { pid, fd });
            }
        }
    }
    holders
}

/// Whether descriptor `fd` of `pid` was opened write-only (`flags:` of its `fdinfo`, octal).
fn opened_for_writing(pid: i32, fd: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}")).is_ok_and(|info| {
        info.lines()
            .find_map(|line| line.strip_prefix("flags:"))
            .and_then(|flags| i32::from_str_radix(flags.trim(), 8).ok())
            .is_some_and(|flags| flags & libc::O_ACCMODE == libc::O_WRONLY)
    })
}

/// Whether the call's first argument is a descriptor it waits on.
fn takes_fd(number: i64) -> bool {
    [
        libc::SYS_read,
        libc::SYS_readv,
        libc::SYS_write,
        libc::SYS_writev,
        libc::SYS_recvfrom,
        libc::SYS_recvmsg,
        libc::SYS_sendto,
        libc::SYS_sendmsg,
        libc::SYS_accept,
        libc::SYS_accept4,
        libc::SYS_epoll_wait,
        libc::SYS_epoll_pwait,
        libc::SYS_flock,
        libc::SYS_fcntl,
    ]
    .contains(&number)
}

/// A blocking call's name, or `system call <n>` for one this table does not know.
fn call_name(number: i64) -> String {
    let known = [
        (libc::SYS_futex, "futex"),
        (libc::SYS_read, "read"),
        (libc::SYS_readv, "readv"),
        (libc::SYS_write, "write"),
        (libc::SYS_writev, "writev"),
        (libc::SYS_recvfrom, "recvfrom"),
        (libc::SYS_recvmsg, "recvmsg"),
        (libc::SYS_sendto, "sendto"),
        (libc::SYS_sendmsg, "sendmsg"),
        (libc::SYS_accept, "accept"),
        (libc::SYS_accept4, "accept4"),
        (libc::SYS_wait4, "wait4"),
        (libc::SYS_waitid, "waitid"),
        (libc::SYS_ppoll, "ppoll"),
        (libc::SYS_pselect6, "pselect6"),
        (libc::SYS_epoll_wait, "epoll_wait"),
        (libc::SYS_epoll_pwait, "epoll_pwait"),
        (libc::SYS_nanosleep, "nanosleep"),
        (libc::SYS_clock_nanosleep, "clock_nanosleep"),
        (libc::SYS_rt_sigsuspend, "rt_sigsuspend"),
        (libc::SYS_rt_sigtimedwait, "rt_sigtimedwait"),
        (libc::SYS_flock, "flock"),
        (libc::SYS_fcntl, "fcntl"),
        (libc::SYS_connect, "connect"),
        (libc::SYS_msgrcv, "msgrcv"),
        (libc::SYS_semop, "semop"),
    ];
    known
        .iter()
        .chain(legacy_calls())
        .find(|(known, _)| *known == number)
        .map_or_else(
            || format!("system call {number}"),
            |(_, name)| (*name).to_owned(),
        )
}

/// The older calls of x86-64.
#[cfg(target_arch = "x86_64")]
fn legacy_calls() -> &'static [(i64, &'static str)] {
    &[
        (libc::SYS_poll, "poll"),
        (libc::SYS_select, "select"),
        (libc::SYS_pause, "pause"),
    ]
}

/// Other architectures do not have the older calls.
#[cfg(not(target_arch = "x86_64"))]
fn legacy_calls() -> &'static [(i64, &'static str)] {
    &[]
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::os::fd::AsRawFd;

    use super::*;

    #[test]
    fn a_thread_blocked_on_a_pipe_is_seen_with_the_holder_of_its_write_end() {
        let (mut reader, writer) = std::io::pipe().unwrap();
        let reader_fd = reader.as_raw_fd();
        let writer_fd = u64::try_from(writer.as_raw_fd()).unwrap();
        let (tid_out, tid_in) = std::sync::mpsc::channel();
        let blocked_reader = std::thread::spawn(move || {
            tid_out.send(nix::unistd::gettid().as_raw()).unwrap();
            let mut byte = [0; 1];
            reader.read(&mut byte).unwrap()
        });
        let tid = tid_in.recv().unwrap();
        let me = std::process::id().cast_signed();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        let seen = loop {
            let seen = task(me, tid, &[me], &mut HashMap::new()).unwrap();
            if matches!(&seen.doing, Doing::Blocked { call, .. } if call == "read")
                || std::time::Instant::now() > deadline
            {
                break seen;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        let Doing::Blocked {
            call,
            on,
            writers,
            ends_by_itself,
        } = &seen.doing
        else {
            panic!("not blocked: {seen:?}");
        };
        assert_eq!(call, "read");
        assert!(!ends_by_itself);
        assert!(
            on.as_deref()
                .is_some_and(|on| on.starts_with(&format!("fd {reader_fd}, pipe:["))),
            "{on:?}"
        );
        assert_eq!(
            writers,
            &[Holder {
                pid: me,
                fd: writer_fd
            }]
        );
        drop(writer);
        assert_eq!(blocked_reader.join().unwrap(), 0);
    }

    fn call(number: i64, args: [u64; 6]) -> Call {
        Call { number, args }
    }

    #[test]
    fn sleeps_and_waits_with_a_timeout_end_by_themselves() {
        // Rust's `Mutex::lock` and `join`: FUTEX_WAIT_BITSET | FUTEX_PRIVATE, no timeout.
        assert!(!ends_by_itself(&call(
            libc::SYS_futex,
            [0x1000, 0x89, 2, 0, 0, u64::MAX]
        )));
        // `Condvar::wait_timeout`: the same with a timespec.
        assert!(ends_by_itself(&call(
            libc::SYS_futex,
            [0x1000, 0x89, 2, 0x7ff0, 0, u64::MAX]
        )));
        assert!(ends_by_itself(&call(libc::SYS_clock_nanosleep, [0; 6])));
        assert!(!ends_by_itself(&call(libc::SYS_wait4, [42, 0, 0, 0, 0, 0])));
        assert!(!ends_by_itself(&call(
            libc::SYS_read,
            [3, 0x1000, 16, 0, 0, 0]
        )));
        assert!(!ends_by_itself(&call(
            libc::SYS_ppoll,
            [0x1000, 1, 0, 0, 8, 0]
        )));
        assert!(ends_by_itself(&call(
            libc::SYS_ppoll,
            [0x1000, 1, 0x7ff0, 0, 8, 0]
        )));
        let forever = u64::from(u32::MAX); // -1 as an int
        assert!(!ends_by_itself(&call(
            libc::SYS_epoll_wait,
            [4, 0x1000, 8, forever, 0, 0]
        )));
        assert!(ends_by_itself(&call(
            libc::SYS_epoll_wait,
            [4, 0x1000, 8, 100, 0, 0]
        )));
    }

    #[test]
    fn calls_are_named() {
        assert_eq!(call_name(libc::SYS_futex), "futex");
        assert_eq!(call_name(libc::SYS_wait4), "wait4");
        assert_eq!(call_name(99_999), "system call 99999");
    }
}
