//! Where a program that ran out of time waits: read from `/proc` just before the deadline kill,
//! for every live thread of every process below the supervisor (the program's own, escaped
//! ones included), its state, the system call it is blocked in with the descriptor it names,
//! and for a read of a pipe every descriptor of the program still open on the pipe's write end.
//!
//! Each thread's stack is read too (`stack/`), down to the student's own source, and a thread
//! that nothing but a signal can wake is marked so: it waits without a time limit on a futex
//! private to its process (`FUTEX_PRIVATE_FLAG` in the arguments of its call), it is its
//! process's only thread, and no other process of the program shares its memory (`kcmp` with
//! `KCMP_VM`, since a private futex is woken only from the same memory).
//!
//! Bounded: at most [`Waiting::MOST`] threads, a few file reads each, and stacks read for at
//! most [`Waiting::STACKS_MS`] (then [`Waiting::stacks_cut`]), each at most
//! [`Stack::MOST_FRAMES`] frames deep; it runs once per timed-out run, so it costs nothing to a
//! program that ends in time.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use nix::libc;
use nix::unistd::Pid;

use super::procfs;
use super::stack::{self, Modules};
use super::tracer::Tracer;
use super::waiting::{Call, is_sleep};
use crate::run::job::{Doing, Holder, Stack, Waiting, WaitingTask};

/// The program's threads, now, with their stacks; `tracer` is the job's tracer, if it traces
/// the program. `None` when no process is left to read.
pub(super) fn waiting(mut tracer: Option<&mut Tracer>) -> Option<Waiting> {
    let until = Instant::now() + Duration::from_millis(Waiting::STACKS_MS);
    let mut processes: Vec<i32> = procfs::live_descendants(Pid::this())
        .iter()
        .map(|process| process.pid.as_raw())
        .collect();
    processes.sort_unstable();
    let mut tasks = Vec::new();
    let mut cut = false;
    // The write ends of each pipe some thread reads, found once per pipe.
    let mut writers = HashMap::new();
    let mut stacks_cut = false;
    'processes: for &pid in &processes {
        let threads = procfs::tasks(pid);
        let mut modules = None;
        for &tid in &threads {
            if tasks.len() == Waiting::MOST {
                cut = true;
                break 'processes;
            }
            let Some((mut task, private_wait)) = task(pid, tid, &processes, &mut writers) else {
                continue;
            };
            if Instant::now() >= until {
                stacks_cut = true;
            } else {
                let modules = modules.get_or_insert_with(|| Modules::of(pid));
                task.stack = read_stack(pid, tid, modules, tracer.as_deref_mut(), until);
            }
            task.alone_on_private_futex =
                private_wait && threads.len() == 1 && shares_memory_with_none(pid, &processes);
            tasks.push(task);
        }
    }
    (!tasks.is_empty()).then_some(Waiting {
        tasks,
        cut,
        stacks_cut,
    })
}

/// The stack of thread `tid` of process `pid`, stopped for a moment, before `until`.
fn read_stack(
    pid: i32,
    tid: i32,
    modules: &Modules,
    tracer: Option<&mut Tracer>,
    until: Instant,
) -> Option<Stack> {
    let state = procfs::task_state(pid, tid)?;
    let registers = stack::registers(tid, state, tracer, until)?;
    stack::walk(pid, tid, registers, modules)
}

/// Whether no other process of `processes` shares the memory of `pid` (`kcmp` says so of
/// each); `false` when one cannot be compared.
fn shares_memory_with_none(pid: i32, processes: &[i32]) -> bool {
    const KCMP_VM: libc::c_long = 1;
    processes
        .iter()
        .filter(|&&other| other != pid)
        .all(|&other| {
            // SAFETY: `kcmp` takes plain integers and touches no memory of ours.
            let order = unsafe { libc::syscall(libc::SYS_kcmp, pid, other, KCMP_VM, 0, 0) };
            order > 0
        })
}

/// Thread `tid` of process `pid`, without its stack, and whether it waits without a time limit
/// on a futex private to its process; `None` if it is gone. `writers` keeps the write ends
/// found of each pipe, so that threads reading the same pipe scan the program's descriptors
/// once.
fn task(
    pid: i32,
    tid: i32,
    processes: &[i32],
    writers: &mut HashMap<String, Vec<Holder>>,
) -> Option<(WaitingTask, bool)> {
    let state = procfs::task_state(pid, tid)?;
    let name = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm"))
        .map(|name| name.trim_end().to_owned())
        .unwrap_or_default();
    let mut private_wait = false;
    let doing = match state {
        'R' => Doing::Running,
        'S' | 'D' => match procfs::task_call(pid, tid).ok().flatten() {
            Some(call) => {
                private_wait = waits_on_private_futex(&call);
                blocked(pid, &call, processes, writers)
            }
            None => Doing::Other { letter: state },
        },
        letter => Doing::Other { letter },
    };
    let task = WaitingTask {
        pid,
        tid,
        name,
        doing,
        stack: None,
        alone_on_private_futex: false,
    };
    Some((task, private_wait))
}

/// Whether `call` waits without a time limit on a futex private to its process
/// (`FUTEX_WAIT` or `FUTEX_WAIT_BITSET` with `FUTEX_PRIVATE_FLAG`), which only a thread sharing
/// the process's memory can wake: Rust's `Mutex::lock`, `Condvar::wait` and channels wait so.
fn waits_on_private_futex(call: &Call) -> bool {
    const FUTEX_CMD: u64 = 0x7f;
    const FUTEX_PRIVATE_FLAG: u64 = 0x80;
    const WAITS: [u64; 2] = [0, 9]; // FUTEX_WAIT, FUTEX_WAIT_BITSET
    call.number == libc::SYS_futex
        && call.args[1] & FUTEX_PRIVATE_FLAG != 0
        && WAITS.contains(&(call.args[1] & FUTEX_CMD))
        && !ends_by_itself(call)
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
            let (seen, _) = task(me, tid, &[me], &mut HashMap::new()).unwrap();
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
