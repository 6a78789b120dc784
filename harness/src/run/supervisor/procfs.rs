//! What the supervisor reads in `/proc`: the process tree below it, and for the tracer the
//! thread group, CPU time and pending signals of single tasks.
//!
//! Every reader returns `None` (or zero) for a task that is gone or unreadable: tasks die at any
//! moment, and a vanished task is a normal answer, not an error.
//!
//! The `procfs` crate parses `stat`, `schedstat`, `maps` and descriptor links, each opened by
//! its path as before (one `open`, no `/proc/<pid>` directory handle). `status` is the
//! exception: `procfs`'s `Status` copies all of its ~55 lines into a map of owned strings,
//! which made a read about 70% slower (24 µs against 41 µs), and the tracer reads it at every
//! exit stop; its few fields are found here by name instead ([`status_field`]).

use std::collections::HashMap;

use ::procfs::FromRead;
use ::procfs::process::{FDPermissions, FDTarget, MemoryMaps, Process, Schedstat, Stat};
use nix::libc;
use nix::unistd::Pid;

use super::waiting::{Call, blocked_call};
use crate::run::job::{FdTarget, OpenFd, PipeEnd};

/// A process found in `/proc`.
pub(crate) struct ProcessEntry {
    pub(crate) pid: Pid,
    /// Pid of its real parent (not its tracer).
    pub(crate) ppid: i32,
    pub(crate) pgrp: i32,
    /// Neither a zombie nor dead; a zombie leader whose other threads still run is alive.
    pub(crate) alive: bool,
}

/// Every live process below `root`, found through the parent links in `/proc`.
pub(crate) fn live_descendants(root: Pid) -> Vec<ProcessEntry> {
    let mut children: HashMap<i32, Vec<ProcessEntry>> = HashMap::new();
    for process in scan_proc() {
        children.entry(process.ppid).or_default().push(process);
    }
    let mut live = Vec::new();
    let mut pending = vec![root.as_raw()];
    while let Some(parent) = pending.pop() {
        for process in children.remove(&parent).unwrap_or_default() {
            pending.push(process.pid.as_raw());
            if process.alive {
                live.push(process);
            }
        }
    }
    live
}

/// The pid of every process (not thread) in `/proc`.
fn pids() -> impl Iterator<Item = i32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
}

/// Every process (not thread) in `/proc`; processes that vanish while being read are skipped.
fn scan_proc() -> Vec<ProcessEntry> {
    pids().filter_map(stat).collect()
}

/// The thread ids of process `pid`; empty once it is gone.
pub(super) fn tasks(pid: i32) -> Vec<i32> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// `/proc/<pid>/stat` of one process, if it still exists (a zombie still does).
pub(super) fn stat(pid: i32) -> Option<ProcessEntry> {
    let stat = Stat::from_file(format!("/proc/{pid}/stat")).ok()?;
    Some(entry(pid, &stat))
}

/// The entry of process `pid` from its parsed `stat`.
fn entry(pid: i32, stat: &Stat) -> ProcessEntry {
    // A zombie leader whose other threads still run is a live process.
    let alive = !matches!(stat.state, 'Z' | 'X' | 'x') || stat.num_threads > 1;
    ProcessEntry {
        pid: Pid::from_raw(pid),
        ppid: stat.ppid,
        pgrp: stat.pgrp,
        alive,
    }
}

/// Whether task `tid` of `process` is running or waiting for a CPU (state `R` of its
/// `/proc/<process>/task/<tid>/stat`); false once it cannot be read.
pub(super) fn task_runnable(process: i32, tid: i32) -> bool {
    task_state(process, tid) == Some('R')
}

/// The state letter of task `tid` of `process` (`R`, `S`, `D`, `Z`, ...), from its `stat`;
/// `None` when it is gone or the line cannot be read.
pub(super) fn task_state(process: i32, tid: i32) -> Option<char> {
    Stat::from_file(format!("/proc/{process}/task/{tid}/stat"))
        .ok()
        .map(|stat| stat.state)
}

/// The thread-group id and the real parent's pid of a task, from `/proc/<tid>/status`.
pub(super) fn tgid_and_ppid(tid: i32) -> Option<(i32, i32)> {
    let status = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    let group = status_field(&status, "Tgid")?.parse().ok()?;
    let parent = status_field(&status, "PPid")?.parse().ok()?;
    Some((group, parent))
}

/// How a task used the CPU so far, readable until the task is reaped: its `schedstat` (time on
/// a CPU and time runnable but waiting for one) and its context switches. Zero where unreadable.
pub(super) fn task_times(process: i32, tid: i32) -> TaskTimes {
    let (cpu_ns, waiting_ns) =
        Schedstat::from_file(format!("/proc/{process}/task/{tid}/schedstat"))
            .map_or((0, 0), |schedstat| {
                (schedstat.sum_exec_runtime, schedstat.run_delay)
            });
    let status =
        std::fs::read_to_string(format!("/proc/{process}/task/{tid}/status")).unwrap_or_default();
    let count = |name| {
        status_field(&status, name)
            .and_then(|value| value.parse().ok())
            .unwrap_or(0)
    };
    TaskTimes {
        cpu_us: cpu_ns / 1_000,
        waiting_us: waiting_ns / 1_000,
        voluntary_switches: count("voluntary_ctxt_switches"),
        involuntary_switches: count("nonvoluntary_ctxt_switches"),
    }
}

/// What [`task_times`] reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct TaskTimes {
    /// Microseconds on a CPU.
    pub(super) cpu_us: u64,
    /// Microseconds runnable but waiting for a CPU (the run queue's delay).
    pub(super) waiting_us: u64,
    /// Times it gave up the CPU itself: it blocked or slept.
    pub(super) voluntary_switches: u64,
    /// Times the scheduler took the CPU from it while it could still run.
    pub(super) involuntary_switches: u64,
}

/// Whether a SIGCONT or SIGKILL waits for the task, in its own queue or its process's: what
/// ends a stop of the process.
pub(super) fn continue_pending(process: i32, tid: i32) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{process}/task/{tid}/status")) else {
        // Gone: nothing to hold any more.
        return true;
    };
    pending_mask(&status) & (signal_bit(libc::SIGCONT) | signal_bit(libc::SIGKILL)) != 0
}

/// The task's and its process's pending signals, as a bit mask (bit `n - 1` for signal `n`).
fn pending_mask(status: &str) -> u64 {
    ["SigPnd", "ShdPnd"]
        .iter()
        .filter_map(|name| u64::from_str_radix(status_field(status, name)?, 16).ok())
        .fold(0, |mask, field| mask | field)
}

fn signal_bit(signal: i32) -> u64 {
    1 << (signal - 1)
}

/// The value of `Name:\tvalue` in a `/proc/<pid>/status` text.
fn status_field<'a>(status: &'a str, name: &str) -> Option<&'a str> {
    status.lines().find_map(|line| {
        let value = line.strip_prefix(name)?.strip_prefix(':')?;
        Some(value.trim())
    })
}

/// The mapping of task `tid` of process `pid` that holds `address`, as `(start, end)`, from
/// `/proc/<pid>/task/<tid>/maps` (the task's own: a zombie leader's `/proc/<pid>/maps` is empty
/// while its threads still run).
pub(crate) fn mapping_containing(pid: i32, tid: i32, address: u64) -> Option<(u64, u64)> {
    let maps = MemoryMaps::from_file(format!("/proc/{pid}/task/{tid}/maps")).ok()?;
    maps.into_iter()
        .map(|map| map.address)
        .find(|&(start, end)| (start..end).contains(&address))
}

/// The system call task `tid` of `process` is blocked in, from its `syscall` file: `Ok(None)`
/// when it is in none (running, or blocked outside a call), an error when the file cannot be
/// read. By hand: the `procfs` crate cannot tell "outside a call" from "unreadable", which
/// `hold-until-waited` must.
pub(super) fn task_call(process: i32, tid: i32) -> std::io::Result<Option<Call>> {
    let text = std::fs::read_to_string(format!("/proc/{process}/task/{tid}/syscall"))?;
    Ok(blocked_call(&text))
}

/// The mappings of process `pid` (`/proc/<pid>/maps`); empty when it cannot be read.
pub(super) fn maps(pid: i32) -> Vec<::procfs::process::MemoryMap> {
    MemoryMaps::from_file(format!("/proc/{pid}/maps")).map_or_else(|_| Vec::new(), |maps| maps.0)
}

/// What descriptor `fd` of process or thread `tid` refers to, from its link in
/// `/proc/<tid>/fd` (`pipe:[inode]`, `socket:[inode]`, `/memfd:name (deleted)`, a path...);
/// `None` when it is closed or the task is gone.
pub(super) fn fd_target(tid: i32, fd: u64) -> Option<FDTarget> {
    fd_link(tid, fd)?.parse().ok()
}

/// The link of descriptor `fd` of process or thread `tid` as text (`pipe:[4711]`); lossy, since
/// a memory file's name need not be UTF-8 and only the kind of target matters.
pub(super) fn fd_link(tid: i32, fd: u64) -> Option<String> {
    let link = std::fs::read_link(format!("/proc/{tid}/fd/{fd}")).ok()?;
    Some(link.to_string_lossy().into_owned())
}

/// Process `pid`'s state letter and CPU time so far in clock ticks (its threads' user and
/// system time, and that of the children it reaped), from one read of `/proc/<pid>/stat`.
pub(super) fn process_cpu(pid: i32) -> Option<(char, u64)> {
    let stat = Stat::from_file(format!("/proc/{pid}/stat")).ok()?;
    let children = u64::try_from(stat.cutime.saturating_add(stat.cstime)).unwrap_or(0);
    Some((stat.state, stat.utime + stat.stime + children))
}

/// Task `tid` of `process`'s nanoseconds on a CPU and the times it was given one, from its
/// `schedstat`: unchanged only if the task ran no instruction in between.
pub(super) fn task_run_count(process: i32, tid: i32) -> Option<(u64, u64)> {
    let schedstat = Schedstat::from_file(format!("/proc/{process}/task/{tid}/schedstat")).ok()?;
    Some((schedstat.sum_exec_runtime, schedstat.pcount))
}

/// Whether process `pid` has a handler for `signal` (`SigCgt` of its `status`); `None` when it
/// cannot be read.
pub(super) fn catches(pid: i32, signal: i32) -> Option<bool> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let caught = u64::from_str_radix(status_field(&status, "SigCgt")?, 16).ok()?;
    Some(caught & signal_bit(signal) != 0)
}

/// Whether process `pid` has a POSIX timer (`timer_create`), from `/proc/<pid>/timers`, which
/// lists one `ID:` line each; `None` when it cannot be read.
pub(super) fn has_timers(pid: i32) -> Option<bool> {
    let timers = std::fs::read_to_string(format!("/proc/{pid}/timers")).ok()?;
    Some(!timers.trim().is_empty())
}

/// The inodes of the UNIX sockets of process `pid`'s network namespace, from
/// `/proc/<pid>/net/unix` (its seventh column); empty when it cannot be read.
pub(super) fn unix_socket_inodes(pid: i32) -> Vec<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/net/unix"))
        .unwrap_or_default()
        .lines()
        .skip(1)
        .filter_map(|line| line.split_whitespace().nth(6)?.parse().ok())
        .collect()
}

/// The descriptors task `tid` of process `pid` holds, in order of number, from
/// `/proc/<pid>/task/<tid>/fd`: the task's own table, which a task stopped on its way out still
/// holds (the kernel releases it after that stop), whereas `/proc/<pid>/fd` shows the
/// leader's, already released when the leader ended before its last thread. A pipe's end is
/// told by the read and write bits of its link, which the kernel sets from the open mode.
/// `None` when the task is gone or unreadable.
pub(super) fn open_fds(pid: i32, tid: i32) -> Option<Vec<OpenFd>> {
    let task = Process::new_with_root(format!("/proc/{pid}/task/{tid}").into()).ok()?;
    let mut fds: Vec<OpenFd> = task
        .fd()
        .ok()?
        .filter_map(Result::ok)
        .map(|info| {
            let mode = info.mode();
            let target = match info.target {
                FDTarget::Pipe(inode) => FdTarget::Pipe {
                    inode,
                    end: match (
                        mode.contains(FDPermissions::READ),
                        mode.contains(FDPermissions::WRITE),
                    ) {
                        (true, true) => PipeEnd::Both,
                        (false, true) => PipeEnd::Write,
                        _ => PipeEnd::Read,
                    },
                },
                FDTarget::Socket(inode) => FdTarget::Socket { inode },
                other => FdTarget::Other {
                    link: link_text(&other),
                },
            };
            OpenFd {
                fd: info.fd,
                target,
            }
        })
        .collect();
    fds.sort_by_key(|fd| fd.fd);
    Some(fds)
}

/// A descriptor's link as the kernel writes it, from what `procfs` parsed of it.
fn link_text(target: &FDTarget) -> String {
    match target {
        FDTarget::Path(path) => path.display().to_string(),
        FDTarget::Socket(inode) => format!("socket:[{inode}]"),
        FDTarget::Net(inode) => format!("net:[{inode}]"),
        FDTarget::Pipe(inode) => format!("pipe:[{inode}]"),
        FDTarget::AnonInode(kind) => format!("anon_inode:{kind}"),
        FDTarget::MemFD(name) => format!("/memfd:{name}"),
        FDTarget::Other(kind, inode) => format!("{kind}:[{inode}]"),
        FDTarget::Unknown(kind, rest) => format!("{kind}:{rest}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `stat` line from its first fields, completed with zeros to the kernel's 52 fields.
    fn stat_line(head: &str) -> String {
        let after_name = head[head.rfind(')').unwrap() + 1..]
            .split_whitespace()
            .count();
        let mut line = head.to_owned();
        for _ in after_name..50 {
            line.push_str(" 0");
        }
        line
    }

    fn parse_stat(pid: i32, head: &str) -> Option<ProcessEntry> {
        let stat = Stat::from_read(stat_line(head).as_bytes()).ok()?;
        Some(entry(pid, &stat))
    }

    fn state(head: &str) -> Option<char> {
        Stat::from_read(stat_line(head).as_bytes())
            .ok()
            .map(|stat| stat.state)
    }

    #[test]
    fn stat_fields_are_counted_from_the_last_parenthesis() {
        let stat = "42 (a) b (c) S 7 9 9 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 3 0 1 2 3";
        let entry = parse_stat(42, stat).expect("parses");
        assert_eq!((entry.ppid, entry.pgrp, entry.alive), (7, 9, true));
    }

    #[test]
    fn the_state_letter_follows_the_last_parenthesis() {
        assert_eq!(state("42 (a) R (b) S 7 9 9"), Some('S'));
        assert_eq!(state("42 (sum) R 7 9 9"), Some('R'));
        // A command name may hold `)` itself: the state follows the last one.
        assert_eq!(state("42 (a b) c) S 1 2"), Some('S'));
        assert!(Stat::from_read("no parenthesis".as_bytes()).is_err());
        // The running test itself is runnable.
        let me = nix::unistd::getpid().as_raw();
        let tid = nix::unistd::gettid().as_raw();
        assert!(task_runnable(me, tid));
        assert!(!task_runnable(me, -1));
    }

    #[test]
    fn zombie_with_running_threads_is_alive() {
        let zombie = "5 (x) Z 1 5 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 2 3";
        let leader = "5 (x) Z 1 5 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 4 0 1 2 3";
        assert!(!parse_stat(5, zombie).expect("parses").alive);
        assert!(parse_stat(5, leader).expect("parses").alive);
    }

    #[test]
    fn own_process_stat_is_read() {
        let me = std::process::id().cast_signed();
        let entry = stat(me).expect("this process is in /proc");
        assert_eq!(entry.ppid, nix::unistd::getppid().as_raw());
        assert!(entry.alive);
        assert!(stat(-1).is_none());
    }

    #[test]
    fn status_fields_and_pending_signals_are_read() {
        let status = "Name:\tx\nTgid:\t40\nPid:\t42\nPPid:\t7\nSigPnd:\t0000000000000000\n\
                      ShdPnd:\t0000000000020000\n";
        assert_eq!(status_field(status, "Tgid"), Some("40"));
        assert_eq!(status_field(status, "PPid"), Some("7"));
        assert_eq!(status_field(status, "Pid"), Some("42"));
        assert_eq!(pending_mask(status), signal_bit(libc::SIGCONT));
    }

    #[test]
    fn schedstat_gives_nanoseconds_on_cpu() {
        let schedstat = Schedstat::from_read("331100 13470 4\n".as_bytes()).expect("parses");
        assert_eq!(
            (schedstat.sum_exec_runtime, schedstat.run_delay),
            (331_100, 13_470)
        );
        assert!(Schedstat::from_read("".as_bytes()).is_err());
    }

    #[test]
    fn own_task_is_readable() {
        let me = std::process::id().cast_signed();
        assert_eq!(tgid_and_ppid(me).map(|(tgid, _)| tgid), Some(me));
        assert!(task_times(me, me).cpu_us > 0);
        assert!(!continue_pending(me, me));
    }

    #[test]
    fn the_stack_mapping_holds_a_local() {
        let me = std::process::id().cast_signed();
        let tid = nix::unistd::gettid().as_raw();
        let local = 0_u8;
        let address = std::ptr::from_ref(&local) as u64;
        let (start, end) = mapping_containing(me, tid, address).expect("mapped");
        assert!(start <= address && address < end);
        assert_eq!(mapping_containing(me, tid, 0), None);
    }

    #[test]
    fn descriptor_links_tell_pipes_and_sockets() {
        let me = std::process::id().cast_signed();
        let (read, _write) = nix::unistd::pipe().expect("pipe");
        let fd = std::os::fd::AsRawFd::as_raw_fd(&read) as u64;
        assert!(matches!(fd_target(me, fd), Some(FDTarget::Pipe(_))));
        let (socket, _other) = std::os::unix::net::UnixStream::pair().expect("socket pair");
        let fd = std::os::fd::AsRawFd::as_raw_fd(&socket) as u64;
        assert!(matches!(fd_target(me, fd), Some(FDTarget::Socket(_))));
        assert_eq!(fd_target(me, u64::from(u32::MAX)), None);
    }
}
