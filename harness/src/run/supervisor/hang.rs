//! Where a program that ran out of time waits: read from `/proc` just before the deadline kill,
//! for every live thread of every process below the supervisor (the program's own, escaped
//! ones included), its state, the system call it is blocked in with the descriptor it names,
//! and for a read of a pipe every descriptor of the program still open on the pipe's write end.
//!
//! Bounded: at most [`Waiting::MOST`] threads, a few file reads each; it runs once per
//! timed-out run, so it costs nothing to a program that ends in time.

use nix::libc;
use nix::unistd::Pid;

use super::procfs;
use super::waiting::{Call, blocked_call};
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
    'processes: for &pid in &processes {
        for tid in procfs::tasks(pid) {
            if tasks.len() == Waiting::MOST {
                cut = true;
                break 'processes;
            }
            if let Some(task) = task(pid, tid, &processes) {
                tasks.push(task);
            }
        }
    }
    (!tasks.is_empty()).then_some(Waiting { tasks, cut })
}

/// Thread `tid` of process `pid`; `None` if it is gone.
fn task(pid: i32, tid: i32, processes: &[i32]) -> Option<WaitingTask> {
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
                Some(call) => blocked(pid, &call, processes),
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
fn blocked(pid: i32, call: &Call, processes: &[i32]) -> Doing {
    let name = call_name(call.number);
    let fd = takes_fd(call.number).then_some(call.args[0]);
    let target = fd.and_then(|fd| {
        std::fs::read_link(format!("/proc/{pid}/fd/{fd}"))
            .ok()
            .map(|link| link.to_string_lossy().into_owned())
    });
    let on = fd.map(|fd| match &target {
        Some(target) => format!("fd {fd}, {target}"),
        None => format!("fd {fd}"),
    });
    let reads = matches!(name.as_str(), "read" | "readv");
    let writers = match &target {
        Some(target) if reads && target.starts_with("pipe:") => write_ends(target, processes),
        _ => Vec::new(),
    };
    Doing::Blocked {
        call: name,
        on,
        writers,
    }
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
            let same = std::fs::read_link(format!("/proc/{pid}/fd/{fd}"))
                .is_ok_and(|link| link.to_string_lossy() == target);
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
            let seen = task(me, tid, &[me]).unwrap();
            if matches!(&seen.doing, Doing::Blocked { call, .. } if call == "read")
                || std::time::Instant::now() > deadline
            {
                break seen;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        let Doing::Blocked { call, on, writers } = &seen.doing else {
            panic!("not blocked: {seen:?}");
        };
        assert_eq!(call, "read");
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

    #[test]
    fn calls_are_named() {
        assert_eq!(call_name(libc::SYS_futex), "futex");
        assert_eq!(call_name(libc::SYS_wait4), "wait4");
        assert_eq!(call_name(99_999), "system call 99999");
    }
}
